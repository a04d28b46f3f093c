using Cinnabar.Commands;
using Cinnabar.Keyspace;

namespace Cinnabar.Server;

/// <summary>CLIENT PAUSE / UNPAUSE: ordinary clients wait (outside the execution lock) until the pause ends.</summary>
public sealed class ClientPause
{
    /// <summary>Unix ms until which clients are paused; 0 = not paused.</summary>
    public long PausedUntilMs { get; private set; }
    /// <summary>Only write commands wait (CLIENT PAUSE ... WRITE).</summary>
    public bool WritesOnly { get; private set; }

    public bool Active => PausedUntilMs != 0;

    /// <summary>Starts (or extends, as Redis never shortens a pause) or ends (<paramref name="untilMs"/> 0) a pause.</summary>
    public void Pause(long untilMs, bool writesOnly)
    {
        if (untilMs == 0) { PausedUntilMs = 0; return; }
        if (untilMs > PausedUntilMs || WritesOnly && !writesOnly) PausedUntilMs = Math.Max(untilMs, PausedUntilMs);
        WritesOnly = writesOnly && (PausedUntilMs == untilMs || WritesOnly);
    }

    /// <summary>
    /// Called by the dispatcher before a batch, outside the execution lock: blocks the receive loop while the
    /// pause applies to the batch's first command (<paramref name="first"/>, null when unknown). Replication
    /// links never wait.
    /// </summary>
    public void WaitIfPaused(Client c, CommandDef? first)
    {
        if ((c.Flags & (ClientFlags.Master | ClientFlags.Replica)) != 0) return;
        if (WritesOnly && (first is null || !(first.IsWrite || first.HasFlag(CommandFlags.MayReplicate)))) return;
        while (PausedUntilMs != 0 && KeyspaceState.WallClockMs() < PausedUntilMs) Thread.Sleep(2);
    }
}
