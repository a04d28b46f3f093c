using F = Cinnabar.Commands.CommandFlags;
using A = Cinnabar.Commands.AclCategories;

namespace Cinnabar.Commands;

/// <summary>Generic key commands: DEL, EXISTS, TYPE, expiry, SCAN, RENAME...</summary>
public static class KeyCommands
{
    public static IEnumerable<CommandDef> Commands()
    {
        yield break;
    }
}
