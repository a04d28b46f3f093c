using System.Diagnostics;
using Cinnabar.Keyspace;

namespace Cinnabar.Server;

/// <summary>
/// Periodic background work, hz times a second (Redis' serverCron): the active expiry cycle, ops/sec
/// sampling, idle-client timeouts. Each tick takes the execution lock for a bounded time.
/// </summary>
public sealed class ServerCron
{
    /// <summary>Redis' ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC: at most this share of each tick goes to expiry.</summary>
    private const int ExpireTimePercent = 25;
    /// <summary>Slots of the key table examined per step before checking the clock again.</summary>
    private const int SlotsPerStep = 1024;
    /// <summary>Redis' ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP.</summary>
    private const int KeysPerLoop = 20;

    private readonly CinnabarServer _server;
    private readonly Thread _thread;
    private volatile bool _stopping;


    public ServerCron(CinnabarServer server)
    {
        _server = server;
        _thread = new Thread(Run) { IsBackground = true, Name = "cinnabar-cron" };
    }

    public void Start() => _thread.Start();
    public void Stop() => _stopping = true;

    private void Run()
    {
        while (!_stopping)
        {
            int periodMs = 1000 / Math.Clamp(_server.Config.Hz, 1, 500);
            Thread.Sleep(periodMs);
            if (_stopping) break;
            try
            {
                _server.Dispatcher.RunLocked(() =>
                {
                    _server.Stats.SampleOps(_server.KeyspaceState.NowMs);
                    if (_server.Config.ActiveExpireEnabled) ActiveExpireCycle(periodMs);
                    // An expired stream answers its XREADGROUP waiters, as after a command.
                    if (_server.Blocking.HasReadyKeys) _server.Blocking.ServeReadyKeys();
                    if (_server.Config.ActiveRehashing) RehashCycle();
                    // A scheduled AOF rewrite first, then save points and a scheduled BGSAVE (serverCron's order).
                    _server.Aof.Cron();
                    _server.Persistence.Cron();
                    if (_server.Config.Timeout > 0) CloseIdleClients();
                    TrimIdleQueryBuffers();
                    // The tracking table is kept within tracking-table-max-keys even when no command runs.
                    if (_server.Tracking.TrackingClients > 0) _server.Tracking.LimitUsedSlots();
                    // Client buffers re-summed for used_memory, and maxmemory-clients enforced (clientsCron).
                    _server.Memory.RefreshClients();
                    _server.Memory.EvictClients();
                    _server.TrackPeak(_server.Memory.UsedMemory);
                    _server.Replication.Cron();
                });
            }
            catch (Exception ex)
            {
                _server.Log.Error($"cron: {ex}");
            }
            // Outside the lock: a collection asked for here runs beside the commands.
            _server.Memory.CollectIfGarbageExceeds();
        }
    }

    private long _nextIdleCheckMs;

    /// <summary>
    /// timeout: closes clients idle for longer than that many seconds, once a second, as Redis'
    /// clientsCronHandleTimeout. Replicas, our master, MONITORs, blocked and subscribed clients are exempt.
    /// </summary>
    internal void CloseIdleClients()
    {
        long now = _server.KeyspaceState.NowMs;
        if (now < _nextIdleCheckMs) return;
        _nextIdleCheckMs = now + 1000;
        long maxIdleMs = _server.Config.Timeout * 1000L;
        const ClientFlags exempt = ClientFlags.Replica | ClientFlags.Master | ClientFlags.Monitor | ClientFlags.Blocked;
        List<Networking.ClientConnection>? idle = null;
        foreach (var c in _server.Clients)
        {
            if ((c.Flags & exempt) != 0 || c.IsSubscribed || c is not Networking.ClientConnection conn) continue;
            if (now - c.LastInteractionMs > maxIdleMs) (idle ??= new()).Add(conn);
        }
        if (idle is null) return;
        foreach (var conn in idle)
        {
            _server.Log.Debug("Closing idle client");
            conn.Close();
        }
    }

    private long _nextTrimCheckMs;

    /// <summary>
    /// Redis' clientsCronResizeQueryBuffer: once a second, a client idle for more than 2 s with a receive
    /// buffer grown for a large argument gets it trimmed to what it holds, so a stalled upload does not pin
    /// its peak buffer.
    /// </summary>
    private void TrimIdleQueryBuffers()
    {
        long now = _server.KeyspaceState.NowMs;
        if (now < _nextTrimCheckMs) return;
        _nextTrimCheckMs = now + 1000;
        foreach (var c in _server.Clients)
        {
            if (c is Networking.ClientConnection conn && conn.QueryBufferFree > 4 * 16 * 1024 && now - c.LastInteractionMs > 2000)
                conn.RequestQueryBufferTrim();
        }
    }

    /// <summary>
    /// Finishes key-table growth that writes have left half done (Redis' incrementallyRehash): up to a
    /// millisecond per database, so the old bucket array is released even when the writes stop.
    /// </summary>
    private void RehashCycle()
    {
        foreach (var db in _server.Databases)
        {
            if (!db.Table.IsRehashing) continue;
            long deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 1000;
            while (db.Table.RehashSteps(100) && Stopwatch.GetTimestamp() < deadline) { }
        }
    }

    /// <summary>
    /// Reclaims expired keys nobody touches. Like Redis' adaptive cycle: walk the keys with TTLs in steps;
    /// keep going while a step finds many expired keys (more than 10% of those sampled) and the time budget
    /// of this tick lasts, so memory is returned quickly when many keys expire together, while the cost
    /// stays small when few do.
    /// </summary>
    internal void ActiveExpireCycle(int periodMs)
    {
        long budgetTicks = Stopwatch.Frequency * periodMs * ExpireTimePercent / 100 / 1000;
        long start = Stopwatch.GetTimestamp();
        int effort = Math.Clamp(_server.Config.ActiveExpireEffort, 1, 10);
        foreach (var db in _server.Databases)
        {
            if (db.ExpiresCount == 0) continue;
            int slotsSeen = 0, sampledThisTick = 0;
            while (true)
            {
                var (sampled, expired) = db.ActiveExpireStep(SlotsPerStep);
                slotsSeen += SlotsPerStep;
                sampledThisTick += sampled;
                if (db.ExpiresCount == 0 || slotsSeen >= db.Table.SlotCount) break; // a whole lap done
                if (Stopwatch.GetTimestamp() - start > budgetTicks) return;
                // Keys with a TTL may be sparse among all keys: look at enough of them, and keep going
                // while many of those seen were stale (Redis' 10% rule).
                if (sampledThisTick >= KeysPerLoop * effort && expired * 10 <= sampled) break;
            }
        }
    }
}
