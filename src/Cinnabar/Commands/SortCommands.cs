using F = Cinnabar.Commands.CommandFlags;
using A = Cinnabar.Commands.AclCategories;

namespace Cinnabar.Commands;

/// <summary>SORT and SORT_RO.</summary>
public static class SortCommands
{
    public static IEnumerable<CommandDef> Commands()
    {
        yield break;
    }
}
