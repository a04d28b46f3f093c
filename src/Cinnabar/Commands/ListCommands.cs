using F = Cinnabar.Commands.CommandFlags;
using A = Cinnabar.Commands.AclCategories;

namespace Cinnabar.Commands;

/// <summary>List commands (LPUSH, LPOP, LRANGE, BLPOP...).</summary>
public static class ListCommands
{
    public static IEnumerable<CommandDef> Commands()
    {
        yield break;
    }
}
