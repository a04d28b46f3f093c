using Cinnabar.Commands;
using Cinnabar.Protocol;

namespace Cinnabar.Transactions;

/// <summary>One client's transaction state, allocated on its first MULTI-queued command or WATCH.</summary>
public sealed class ClientTransaction
{
    /// <summary>Commands queued since MULTI, with their own copies of the arguments.</summary>
    internal readonly List<(CommandDef Command, byte[] Buffer, ArgSlice[] Slices)> Queued = new();

    /// <summary>Keys this client WATCHes: (db, key, whether it was already expired when watched).</summary>
    internal readonly List<(int Db, byte[] Key, bool ExpiredWhenWatched)> Watched = new();

    /// <summary>A script (EVAL, FCALL...) is queued: EXEC may run for long.</summary>
    internal bool HasQueuedScript => Queued.Exists(q => (q.Command.Flags & CommandFlags.ScriptFlagsApply) != 0);
}
