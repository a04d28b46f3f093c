using F = Cinnabar.Commands.CommandFlags;
using A = Cinnabar.Commands.AclCategories;

namespace Cinnabar.Commands;

/// <summary>Server commands: INFO, CONFIG, COMMAND, DBSIZE, FLUSHDB, TIME, DEBUG, SHUTDOWN...</summary>
public static class ServerCommands
{
    public static IEnumerable<CommandDef> Commands()
    {
        yield break;
    }
}
