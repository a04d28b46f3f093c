using F = Cinnabar.Commands.CommandFlags;
using A = Cinnabar.Commands.AclCategories;

namespace Cinnabar.Commands;

/// <summary>MULTI, EXEC, DISCARD, WATCH, UNWATCH.</summary>
public static class TransactionCommands
{
    public static IEnumerable<CommandDef> Commands()
    {
        yield break;
    }
}
