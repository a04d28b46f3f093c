using Cinnabar.Keyspace;
using Cinnabar.Networking;

namespace Cinnabar.Blocking;

/// <summary>
/// What a blocked client is waiting to do. When one of its keys is signalled ready, <see cref="TryServe"/>
/// runs under the execution lock; it returns true when it could complete the command (having written the
/// reply into the client's buffer, performed the pop/move/read and propagated its effect), which unblocks
/// the client. It returns false to keep waiting (the key holds nothing for it).
/// </summary>
public abstract class BlockedOperation
{
    public abstract bool TryServe(Client client, byte[] readyKey);

    /// <summary>
    /// When <see cref="TryServe"/> declines, whether the clients queued behind may still be served from the
    /// key. False for lists and sorted sets (an empty key holds nothing for anyone); true for streams, where
    /// each reader waits for IDs of its own (Redis' serveClientsBlockedOnStreamKey visits every reader).
    /// </summary>
    public virtual bool OthersMayStillBeServed => false;

    /// <summary>Writes the timeout reply (the protocol's null, as the command defines).</summary>
    public abstract void ReplyTimeout(Client client);
}

/// <summary>
/// Parks clients of blocking commands (BLPOP, BZPOPMIN, XREAD BLOCK...) per (db, key), serves them in FIFO
/// order when a write makes a key ready, and times them out with timers: nothing polls, so a waiting client
/// costs no CPU. All members are called under the server's execution lock.
/// </summary>
public sealed class BlockingManager : IKeyRemovalObserver
{
    private sealed class Waiter
    {
        public required Client Client { get; init; }
        public required BlockedOperation Operation { get; init; }
        public required int Db { get; init; }
        public required byte[][] Keys { get; init; }
        public Timer? Timer;
        public long TimeoutAtMs;
        public bool Done;
    }

    private readonly CinnabarServer _server;
    private readonly Dictionary<(int Db, byte[] Key), LinkedList<Waiter>> _byKey = new(new DbKeyComparer());
    private readonly Dictionary<Client, Waiter> _byClient = new(ReferenceEqualityComparer.Instance);
    private readonly List<(int Db, byte[] Key)> _ready = new();
    private readonly HashSet<(int Db, byte[] Key)> _readySet = new(new DbKeyComparer());

    public BlockingManager(CinnabarServer server)
    {
        _server = server;
        server.KeyspaceState.Removals = this;
    }

    /// <summary>Clients currently blocked (INFO blocked_clients).</summary>
    public int BlockedClientCount => _byClient.Count;

    public bool IsBlocked(Client c) => _byClient.ContainsKey(c);

    /// <summary>
    /// Parks <paramref name="client"/> on <paramref name="keys"/> of its current database until one is served,
    /// <paramref name="timeoutAtMs"/> (Unix ms; 0 = forever) passes, it disconnects, or CLIENT UNBLOCK.
    /// The command handler writes no reply itself.
    /// </summary>
    public void Block(Client client, IReadOnlyList<byte[]> keys, long timeoutAtMs, BlockedOperation operation)
    {
        var w = new Waiter { Client = client, Operation = operation, Db = client.DbIndex, Keys = keys.ToArray() };
        _byClient[client] = w;
        foreach (var key in w.Keys)
        {
            if (!_byKey.TryGetValue((w.Db, key), out var list)) _byKey[(w.Db, key)] = list = new LinkedList<Waiter>();
            if (!list.Contains(w)) list.AddLast(w);
        }
        client.Flags |= ClientFlags.Blocked;
        if (timeoutAtMs > 0)
        {
            w.TimeoutAtMs = timeoutAtMs;
            long due = Math.Max(0, timeoutAtMs - KeyspaceState.WallClockMs());
            w.Timer = new Timer(_ => _server.Dispatcher.RunLocked(() => TimeOut(w)), null, Math.Min(due, uint.MaxValue - 1L), Timeout.Infinite);
        }
    }

    /// <summary>
    /// Call after a write that may satisfy blocked clients (push, add, XADD). Cheap when nobody waits.
    /// Ready keys are only recorded here; <see cref="ServeReadyKeys"/> serves them after the command.
    /// </summary>
    public void SignalKeyReady(Database db, ReadOnlySpan<byte> key)
    {
        if (_byKey.Count == 0) return;
        // Only keys somebody waits on are worth remembering.
        var k = (db.Id, key.ToArray());
        if (_byKey.ContainsKey(k) && _readySet.Add(k)) _ready.Add(k);
    }

    /// <summary>
    /// After SWAPDB: every key of <paramref name="db"/> that clients wait on is ready (Redis'
    /// scanDatabaseForReadyKeys and scanDatabaseForDeletedStreams); serving then decides whether its value
    /// suits each waiter, and answers XREADGROUP waiters whose stream is gone.
    /// </summary>
    public void SignalDatabaseReady(Database db)
    {
        if (_byKey.Count == 0) return;
        foreach (var k in _byKey.Keys)
            if (k.Db == db.Id && _readySet.Add(k)) _ready.Add(k);
    }

    void IKeyRemovalObserver.OnStreamRemoved(Database db, byte[] key) => SignalKeyReady(db, key);

    void IKeyRemovalObserver.OnDatabaseCleared(Database db) => SignalDatabaseReady(db);

    /// <summary>True when a write since the last command made a key with waiters ready.</summary>
    public bool HasReadyKeys => _ready.Count > 0;

    /// <summary>
    /// Serves clients waiting on ready keys, FIFO per key, until each key holds nothing more for them.
    /// Serving can make other keys ready (BLMOVE pushes), so this loops until nothing is left.
    /// </summary>
    public void ServeReadyKeys()
    {
        while (_ready.Count > 0)
        {
            var batch = _ready.ToArray();
            _ready.Clear();
            _readySet.Clear();
            foreach (var (db, key) in batch)
            {
                var node = _byKey.TryGetValue((db, key), out var list) ? list.First : null;
                while (node is not null)
                {
                    var w = node.Value;
                    var next = node.Next; // serving removes this node from the list
                    var database = _server.Databases[db];
                    _server.Persistence.BeforeWriteKey(database, key);
                    bool served;
                    // The served client runs its command now: its own invalidations follow its reply, as
                    // Redis' serveClientsBlockedOnListKey makes it the current client for the time.
                    var tracking = _server.Tracking;
                    var current = tracking.CurrentClient;
                    bool executing = tracking.Executing;
                    tracking.CurrentClient = w.Client;
                    tracking.Executing = true;
                    try
                    {
                        if (w.Client is ClientConnection conn)
                        {
                            lock (conn.OutputLock) served = w.Operation.TryServe(w.Client, key);
                        }
                        else served = w.Operation.TryServe(w.Client, key);
                    }
                    finally
                    {
                        tracking.Executing = executing;
                    }
                    if (served) _server.Replication.FlushPending(w.Client);
                    tracking.SendPending();
                    tracking.CurrentClient = current;
                    if (served) Finish(w);
                    else if (!w.Operation.OthersMayStillBeServed) break;
                    node = next;
                }
            }
        }
    }

    /// <summary>Unblocks a client (CLIENT UNBLOCK): with an error (-UNBLOCKED) or the timeout reply.</summary>
    public bool Unblock(Client client, bool withError)
    {
        if (!_byClient.TryGetValue(client, out var w)) return false;
        WriteTo(w.Client, r =>
        {
            if (withError) r.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
            else w.Operation.ReplyTimeout(w.Client);
        });
        Finish(w);
        return true;
    }

    private void TimeOut(Waiter w)
    {
        if (w.Done) return;
        // Timers run on a coarse clock (a few ms on Linux) and may fire early; a timeout never ends early.
        long remaining = w.TimeoutAtMs - KeyspaceState.WallClockMs();
        if (remaining > 0)
        {
            w.Timer?.Change(remaining, Timeout.Infinite);
            return;
        }
        WriteTo(w.Client, _ => w.Operation.ReplyTimeout(w.Client));
        Finish(w);
    }

    private static void WriteTo(Client c, Action<Protocol.ReplyBuffer> write)
    {
        if (c is ClientConnection conn) conn.TryWriteFromOutside(write, static (r, f) => f(r));
        else write(c.Reply);
    }

    /// <summary>The client's command is complete: forget it everywhere and let its connection go on.</summary>
    private void Finish(Waiter w)
    {
        Remove(w.Client);
        w.Client.Flags &= ~ClientFlags.Blocked;
        if (w.Client is ClientConnection conn)
        {
            _server.Dispatcher.Output.Request(conn);
            conn.Resume();
        }
    }

    /// <summary>A closed client stops waiting.</summary>
    internal void Remove(Client c)
    {
        if (!_byClient.Remove(c, out var w)) return;
        w.Done = true;
        w.Timer?.Dispose();
        foreach (var key in w.Keys)
        {
            if (!_byKey.TryGetValue((w.Db, key), out var list)) continue;
            list.Remove(w);
            if (list.Count == 0) _byKey.Remove((w.Db, key));
        }
    }

    private sealed class DbKeyComparer : IEqualityComparer<(int Db, byte[] Key)>
    {
        public bool Equals((int Db, byte[] Key) x, (int Db, byte[] Key) y) => x.Db == y.Db && x.Key.AsSpan().SequenceEqual(y.Key);
        public int GetHashCode((int Db, byte[] Key) obj) => HashCode.Combine(obj.Db, KeyTable.HashOf(obj.Key));
    }
}
