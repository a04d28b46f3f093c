using F = Cinnabar.Commands.CommandFlags;
using A = Cinnabar.Commands.AclCategories;

namespace Cinnabar.Commands;

/// <summary>Sorted set commands (ZADD, ZRANGE, BZPOPMIN...).</summary>
public static class SortedSetCommands
{
    public static IEnumerable<CommandDef> Commands()
    {
        yield break;
    }
}
