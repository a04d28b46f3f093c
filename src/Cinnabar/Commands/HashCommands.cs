using F = Cinnabar.Commands.CommandFlags;
using A = Cinnabar.Commands.AclCategories;

namespace Cinnabar.Commands;

/// <summary>Hash commands (HSET, HGET, HSCAN...).</summary>
public static class HashCommands
{
    public static IEnumerable<CommandDef> Commands()
    {
        yield break;
    }
}
