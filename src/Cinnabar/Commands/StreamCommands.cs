using F = Cinnabar.Commands.CommandFlags;
using A = Cinnabar.Commands.AclCategories;

namespace Cinnabar.Commands;

/// <summary>Stream commands (XADD, XREAD, consumer groups...).</summary>
public static class StreamCommands
{
    public static IEnumerable<CommandDef> Commands()
    {
        yield break;
    }
}
