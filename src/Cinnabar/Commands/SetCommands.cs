using F = Cinnabar.Commands.CommandFlags;
using A = Cinnabar.Commands.AclCategories;

namespace Cinnabar.Commands;

/// <summary>Set commands (SADD, SINTER, SSCAN...).</summary>
public static class SetCommands
{
    public static IEnumerable<CommandDef> Commands()
    {
        yield break;
    }
}
