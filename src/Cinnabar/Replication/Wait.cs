using Cinnabar.Networking;

namespace Cinnabar.Replication;

public sealed partial class ReplicationManager
{
    private sealed class WaitRequest
    {
        public required ClientConnection Client { get; init; }
        public long Offset;
        public long NumReplicas;
        public long DeadlineMs; // 0 = forever
        public Timer? Timer;
    }

    /// <summary>Replicas whose acknowledged offset reached <paramref name="offset"/>.</summary>
    public int CountAcked(long offset) => _replicas.Count(r => r.State == ReplicaState.Online && r.AckOffset >= offset);

    /// <summary>
    /// WAIT numreplicas timeout: answers at once when enough replicas acknowledged this client's last
    /// write; otherwise asks replicas for an ACK and parks the client (no polling) until enough arrive
    /// or the timeout passes. Other clients are never blocked.
    /// </summary>
    internal void Wait(Client c, long numReplicas, long timeoutMs)
    {
        long target = c.LastWriteOffset;
        int acked = CountAcked(target);
        if (acked >= numReplicas || c.DenyBlocking || c is not ClientConnection conn)
        {
            c.Reply.Integer(acked);
            return;
        }
        var w = new WaitRequest
        {
            Client = conn,
            Offset = target,
            NumReplicas = numReplicas,
            DeadlineMs = timeoutMs > 0 ? Keyspace.KeyspaceState.WallClockMs() + timeoutMs : 0,
        };
        _waiters.Add(w);
        c.Flags |= ClientFlags.Blocked;
        _getAckRequested = true;
        // Ask now rather than at the next cron tick, so WAIT returns as soon as replicas answer.
        FeedStream(EncodeCommand([System.Text.Encoding.ASCII.GetBytes("REPLCONF"), System.Text.Encoding.ASCII.GetBytes("GETACK"), System.Text.Encoding.ASCII.GetBytes("*")]));
        _getAckRequested = false;
        if (timeoutMs > 0)
            w.Timer = new Timer(_ => _server.Dispatcher.RunLocked(() => ExpireWaiters(Keyspace.KeyspaceState.WallClockMs())),
                null, Math.Min(timeoutMs, int.MaxValue - 1) + 1, Timeout.Infinite);
    }

    private void ServeWaiters()
    {
        for (int i = _waiters.Count - 1; i >= 0; i--)
        {
            var w = _waiters[i];
            int acked = CountAcked(w.Offset);
            if (acked >= w.NumReplicas)
            {
                _waiters.RemoveAt(i);
                Finish(w, acked);
            }
        }
    }

    private void ExpireWaiters(long now)
    {
        for (int i = _waiters.Count - 1; i >= 0; i--)
        {
            var w = _waiters[i];
            if (w.DeadlineMs != 0 && now >= w.DeadlineMs)
            {
                _waiters.RemoveAt(i);
                Finish(w, CountAcked(w.Offset));
            }
        }
    }

    private void Finish(WaitRequest w, int acked)
    {
        w.Timer?.Dispose();
        w.Client.TryWriteFromOutside((long)acked, static (buf, n) => buf.Integer(n));
        w.Client.Flags &= ~ClientFlags.Blocked;
        _server.Dispatcher.Output.Request(w.Client);
        w.Client.Resume();
    }
}
