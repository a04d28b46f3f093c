using Cinnabar.Networking;
using Cinnabar.Protocol;

namespace Cinnabar;

/// <summary>CLIENT PAUSE / UNPAUSE: ordinary clients wait (outside the execution lock) until the pause ends.</summary>
public sealed partial class CinnabarServer
{
    /// <summary>Unix ms until which clients are paused; 0 = not paused.</summary>
    public long PausedUntilMs { get; private set; }
    /// <summary>Only write commands wait (CLIENT PAUSE ... WRITE).</summary>
    public bool PauseWritesOnly { get; private set; }

    /// <summary>Starts (or extends, as Redis never shortens a pause) or ends (<paramref name="untilMs"/> 0) a pause.</summary>
    public void PauseClients(long untilMs, bool writesOnly)
    {
        if (untilMs == 0) { PausedUntilMs = 0; return; }
        if (untilMs > PausedUntilMs || PauseWritesOnly && !writesOnly) PausedUntilMs = Math.Max(untilMs, PausedUntilMs);
        PauseWritesOnly = writesOnly && (PausedUntilMs == untilMs || PauseWritesOnly);
    }

    /// <summary>Called before executing a batch: blocks the receive loop while a pause applies to it.</summary>
    private void WaitWhilePaused(ClientConnection c, byte[] buffer, ArgSlice[] args, int firstArg)
    {
        if ((c.Flags & (ClientFlags.Master | ClientFlags.Replica)) != 0) return;
        if (PauseWritesOnly)
        {
            var first = args[firstArg];
            var cmd = Commands.Find(buffer.AsSpan(first.Offset, first.Length));
            if (cmd is null || !(cmd.IsWrite || cmd.HasFlag(Cinnabar.Commands.CommandFlags.MayReplicate))) return;
        }
        while (PausedUntilMs != 0 && Keyspace.KeyspaceState.WallClockMs() < PausedUntilMs) Thread.Sleep(2);
    }
}
