using F = Cinnabar.Commands.CommandFlags;
using A = Cinnabar.Commands.AclCategories;

namespace Cinnabar.Commands;

/// <summary>Pub/sub commands (SUBSCRIBE, PUBLISH, PUBSUB...).</summary>
public static class PubSubCommands
{
    public static IEnumerable<CommandDef> Commands()
    {
        yield break;
    }
}
