namespace Cinnabar.Commands;

public static partial class StreamCommands
{
    /// <summary>Streams propagate deterministic forms of their writes (concrete IDs, exact trims, XCLAIM/XGROUP SETID).</summary>
    static partial void Propagate(Client c, byte[][] args) => c.Propagate(args);
}
