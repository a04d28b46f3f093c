using System.Diagnostics;
using Cinnabar.Config;
using Cinnabar.DataTypes;
using Cinnabar.Keyspace;

namespace Cinnabar.Memory;

/// <summary>What <see cref="MemoryManager.PerformEvictions"/> achieved, as Redis' EVICT_OK / EVICT_RUNNING / EVICT_FAIL.</summary>
public enum EvictResult { Ok, Running, Fail }

/// <summary>
/// used_memory and maxmemory (Redis' evict.c): the running total of what the server holds, and eviction of
/// keys under one of the eight policies when a command runs while the total is above the limit. Sampling
/// follows Redis: <c>maxmemory-samples</c> keys per database go through a pool of the 16 best candidates
/// (highest idle time, lowest LFU counter, soonest expiry), and the best one still present is deleted, with
/// all the usual signals (WATCH, the <c>evicted</c> keyspace event, DEL to replicas and the AOF). One call
/// is bounded in time by <c>maxmemory-eviction-tenacity</c>; what is left continues off the command path.
/// See docs/memory.md.
/// </summary>
public sealed class MemoryManager
{
    /// <summary>EVPOOL_SIZE.</summary>
    public const int PoolSize = 16;

    public const string OomError = "OOM command not allowed when used memory > 'maxmemory'.";

    private readonly CinnabarServer _server;

    private struct PoolEntry
    {
        public long Idle;
        /// <summary>The key's array, the table's own: the same array at <see cref="Index"/> means the same key, still there.</summary>
        public byte[]? Key;
        public int Index;
        public int Db;
    }

    private readonly PoolEntry[] _pool = new PoolEntry[PoolSize];
    private readonly int[] _samples = new int[64];
    private int _nextDb;

    // total_eviction_exceeded_time / current_eviction_exceeded_time (Stopwatch ticks).
    private long _exceededSince;
    private long _exceededTotalTicks;
    private int _timeProcScheduled;

    public MemoryManager(CinnabarServer server) => _server = server;

    /// <summary>Bytes of client buffers (query, replies, pending output) of normal clients, as of the last <see cref="RefreshClients"/>.</summary>
    public long ClientsNormalBytes { get; private set; }

    /// <summary>The same for replicas (Redis' mem_clients_slaves): not counted for eviction.</summary>
    public long ClientsReplicaBytes { get; private set; }

    /// <summary>Fixed bytes every server starts with (used_memory_startup): the empty tables and the server's own structures.</summary>
    public long StartupBytes { get; private set; }

    /// <summary>The server's own structures, estimated (Redis counts ~0.9 MB at start-up).</summary>
    private const long ServerBaseBytes = 512 * 1024;

    internal void CaptureStartup() => StartupBytes = ServerBaseBytes + TablesOverhead();

    /// <summary>Slots and buckets of every key table.</summary>
    public long TablesOverhead()
    {
        long sum = 0;
        foreach (var db in _server.Databases) sum += db.Table.OverheadBytes;
        return sum;
    }

    public long BacklogBytes => _server.Replication.Backlog?.Size ?? 0;

    /// <summary>used_memory: the dataset, the key tables, client buffers, the replication backlog, the base.</summary>
    /// <summary>Redis' pre_command_oom_state: the last admission found memory over the limit after evicting what it could.</summary>
    public bool PreCommandOom;

    public long UsedMemory => ServerBaseBytes + _server.KeyspaceState.DatasetBytes + TablesOverhead() + ClientsNormalBytes + ClientsReplicaBytes + BacklogBytes + ScriptsBytes;

    /// <summary>The EVAL script cache and function libraries' code (Redis counts used_memory_scripts in used_memory).</summary>
    public long ScriptsBytes => _server.Scripting is { } s ? s.ScriptBodiesBytes + s.Functions.CodeBytes : 0;

    /// <summary>Redis' freeMemoryGetNotCountedMemory: replica output buffers (and the AOF buffer, written at once here).</summary>
    public long NotCountedForEvict => ClientsReplicaBytes;

    /// <summary>Re-sums client buffers (the cron does it every tick, INFO and MEMORY STATS before they answer).</summary>
    public void RefreshClients()
    {
        long normal = 0, replicas = 0;
        foreach (var c in _server.Clients)
        {
            long bytes = c.MemoryBytes;
            if ((c.Flags & ClientFlags.Replica) != 0) replicas += bytes; else normal += bytes;
        }
        ClientsNormalBytes = normal;
        ClientsReplicaBytes = replicas;
    }

    // ---- eviction ----------------------------------------------------------------------------------

    /// <summary>Redis' evictionTimeLimitUs: how long one call may evict, from maxmemory-eviction-tenacity.</summary>
    public static long EvictionTimeLimitUs(int tenacity)
    {
        if (tenacity <= 10) return 50L * tenacity;
        if (tenacity < 100) return (long)(500.0 * Math.Pow(1.15, tenacity - 10.0));
        return long.MaxValue;
    }

    private bool SafeToEvict()
    {
        // A replica leaves its dataset to its master unless told otherwise (replica-ignore-maxmemory).
        if (_server.Replication.IsReplica && _server.Config.ReplicaIgnoreMaxMemory) return false;
        // Evictions are writes: not while writes are paused.
        if (_server.Pause.Active) return false;
        return true;
    }

    /// <summary>
    /// Redis' performEvictions: when used memory (less what is not counted) exceeds maxmemory, evicts keys by
    /// the policy until it does not or the time limit passes (then the rest continues in the background).
    /// Fail means nothing more could be evicted (or the policy is noeviction): denyoom commands are refused.
    /// Caller holds the execution lock.
    /// </summary>
    public EvictResult PerformEvictions()
    {
        var config = _server.Config;
        if (config.MaxMemory == 0 || !SafeToEvict()) return EvictResult.Ok;
        long used = UsedMemory - NotCountedForEvict;
        var result = EvictResult.Fail;
        if (used <= config.MaxMemory) result = EvictResult.Ok;
        else if (config.MaxMemoryPolicy != MaxMemoryPolicy.NoEviction)
            result = Evict(used - config.MaxMemory, config);
        UpdateMetrics(result);
        return result;
    }

    private EvictResult Evict(long toFree, ServerConfig config)
    {
        var keyspace = _server.KeyspaceState;
        long start = Stopwatch.GetTimestamp();
        long limitTicks = EvictionTimeLimitUs(config.MaxMemoryEvictionTenacity) is var us && us == long.MaxValue
            ? long.MaxValue : us * Stopwatch.Frequency / 1_000_000;
        long freed = 0;
        int keysFreed = 0;
        while (freed < toFree)
        {
            if (!SelectKey(config, out var db, out int index)) return EvictResult.Fail;
            long before = keyspace.DatasetBytes;
            if (config.LatencyMonitorThreshold > 0)
            {
                long delStart = Stopwatch.GetTimestamp();
                EvictKey(db, index, config);
                long delMs = (Stopwatch.GetTimestamp() - delStart) * 1000 / Stopwatch.Frequency;
                if (delMs >= config.LatencyMonitorThreshold) _server.Latency.Add("eviction-del", delMs);
            }
            else EvictKey(db, index, config);
            freed += before - keyspace.DatasetBytes;
            keysFreed++;
            if (keysFreed % 16 == 0 && Stopwatch.GetTimestamp() - start > limitTicks)
            {
                // Out of time for this command: the rest continues between commands (startEvictionTimeProc).
                StartTimeProc();
                return EvictResult.Running;
            }
        }
        long cycleMs = (Stopwatch.GetTimestamp() - start) * 1000 / Stopwatch.Frequency;
        if (config.LatencyMonitorThreshold > 0 && cycleMs >= config.LatencyMonitorThreshold) _server.Latency.Add("eviction-cycle", cycleMs);
        return _timeProcScheduled != 0 ? EvictResult.Running : EvictResult.Ok;
    }

    private void UpdateMetrics(EvictResult result)
    {
        if (result != EvictResult.Ok)
        {
            if (_exceededSince == 0) _exceededSince = Stopwatch.GetTimestamp();
        }
        else if (_exceededSince != 0)
        {
            _exceededTotalTicks += Stopwatch.GetTimestamp() - _exceededSince;
            _exceededSince = 0;
        }
    }

    /// <summary>current_eviction_exceeded_time in ms: how long used memory has been over the limit, 0 when it is not.</summary>
    public long CurrentExceededMs => _exceededSince == 0 ? 0 : (Stopwatch.GetTimestamp() - _exceededSince) * 1000 / Stopwatch.Frequency;

    /// <summary>total_eviction_exceeded_time in ms, including the current stretch.</summary>
    public long TotalExceededMs => _exceededTotalTicks * 1000 / Stopwatch.Frequency + CurrentExceededMs;

    public void ResetStats()
    {
        _exceededTotalTicks = 0;
        EvictedClients = 0;
        if (_exceededSince != 0) _exceededSince = Stopwatch.GetTimestamp();
    }

    /// <summary>Redis' evictionTimeProc: keeps evicting between commands until under the limit.</summary>
    private void StartTimeProc()
    {
        if (Interlocked.Exchange(ref _timeProcScheduled, 1) != 0) return;
        ThreadPool.UnsafeQueueUserWorkItem(static self => self.TimeProc(), this, preferLocal: false);
    }

    private void TimeProc()
    {
        bool again = false;
        _server.Dispatcher.RunLocked(() =>
        {
            Volatile.Write(ref _timeProcScheduled, 0);
            again = PerformEvictions() == EvictResult.Running;
        });
        if (again) StartTimeProc();
    }

    /// <summary>CONFIG SET maxmemory below the current usage: warn, and evict at once (updateMaxmemory).</summary>
    public void OnMaxMemoryChanged()
    {
        var config = _server.Config;
        if (config.MaxMemory == 0) return;
        RefreshClients();
        long used = UsedMemory - NotCountedForEvict;
        if (config.MaxMemory < used)
        {
            _server.Log.Warning($"WARNING: the new maxmemory value set via CONFIG SET ({config.MaxMemory}) is smaller than the current memory usage ({used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.");
            if (PerformEvictions() == EvictResult.Running) StartTimeProc();
        }
    }

    /// <summary>Deletes an evicted key with all of a deletion's signals (evict.c after the choice).</summary>
    private void EvictKey(Database db, int index, ServerConfig config)
    {
        ref var e = ref db.EntryAt(index);
        var key = e.Key!;
        if (config.LazyFreeLazyEviction && RedisValue.FreeEffort(e.Value!) > RedisValue.LazyFreeThreshold)
            _server.KeyspaceState.LazyfreedObjects++;
        db.RemoveAt(index);
        _server.Stats.EvictedKeys++;
        _server.SignalEvictedKey(db, key);
        _server.Notifications.Notify(NotifyFlags.Evicted, "evicted", key, db.Id);
        _server.Replication.PropagateDeletion(db.Id, key, config.LazyFreeLazyEviction);
        // Each eviction reaches replicas and the AOF on its own, before the command that caused it.
        _server.Replication.FlushPending(null);
    }

    /// <summary>Chooses the key to evict by the policy; false when there is none.</summary>
    private bool SelectKey(ServerConfig config, out Database db, out int index)
    {
        var policy = config.MaxMemoryPolicy;
        bool volatileOnly = policy is MaxMemoryPolicy.VolatileLru or MaxMemoryPolicy.VolatileLfu or MaxMemoryPolicy.VolatileRandom or MaxMemoryPolicy.VolatileTtl;
        var dbs = _server.Databases;
        if (policy is MaxMemoryPolicy.AllKeysRandom or MaxMemoryPolicy.VolatileRandom)
        {
            // Databases in turn, a random key of the first that has any (Redis' next_db).
            for (int n = 0; n < dbs.Length; n++)
            {
                var candidate = dbs[_nextDb = (_nextDb + 1) % dbs.Length];
                if ((volatileOnly ? candidate.ExpiresCount : candidate.Count) == 0) continue;
                int got = candidate.Table.SampleIndexes(_samples.AsSpan(0, 1), Random.Shared, volatileOnly);
                if (got == 0) continue;
                db = candidate;
                index = _samples[0];
                return true;
            }
            db = null!;
            index = -1;
            return false;
        }
        while (true)
        {
            long total = 0;
            foreach (var candidate in dbs)
            {
                long keys = volatileOnly ? candidate.ExpiresCount : candidate.Count;
                if (keys == 0) continue;
                PopulatePool(candidate, config, volatileOnly);
                total += keys;
            }
            if (total == 0) break;
            // From the best candidate down: the first still present wins; ghosts are dropped.
            bool anyInPool = false;
            for (int k = PoolSize - 1; k >= 0; k--)
            {
                ref var p = ref _pool[k];
                if (p.Key is null) continue;
                anyInPool = true;
                var candidate = dbs[p.Db];
                var key = p.Key;
                int i = p.Index;
                p.Key = null;
                p.Idle = 0;
                // Still there when its slot holds the same array (a key deleted and written again is a new
                // array: a ghost, as Redis finds when the lookup fails).
                if (candidate.Table.IsOccupied(i) && ReferenceEquals(candidate.EntryAt(i).Key, key) && (!volatileOnly || candidate.EntryAt(i).ExpireAt != 0))
                {
                    db = candidate;
                    index = i;
                    return true;
                }
            }
            // Keys exist but sampling found none (a sparse table, or keys with a TTL too rare to hit): give up
            // this round rather than spin.
            if (!anyInPool) break;
        }
        db = null!;
        index = -1;
        return false;
    }

    /// <summary>Redis' evictionPoolPopulate: samples keys of <paramref name="db"/> into the pool, kept sorted by idle ascending.</summary>
    private void PopulatePool(Database db, ServerConfig config, bool volatileOnly)
    {
        long now = _server.KeyspaceState.NowMs;
        int samples = Math.Clamp(config.MaxMemorySamples, 1, _samples.Length);
        int got = db.Table.SampleIndexes(_samples.AsSpan(0, samples), Random.Shared, volatileOnly);
        var policy = config.MaxMemoryPolicy;
        for (int s = 0; s < got; s++)
        {
            ref var e = ref db.EntryAt(_samples[s]);
            long idle = policy switch
            {
                MaxMemoryPolicy.AllKeysLru or MaxMemoryPolicy.VolatileLru => Database.IdleSeconds(e.LruSeconds, now) * 1000,
                MaxMemoryPolicy.AllKeysLfu or MaxMemoryPolicy.VolatileLfu => 255 - Lfu.Counter(e.LruSeconds, now, config.LfuDecayTime),
                _ => long.MaxValue - e.ExpireAt, // volatile-ttl: the sooner the expiry, the better
            };
            Insert(idle, e.Key!, _samples[s], db.Id);
        }
    }

    private void Insert(long idle, byte[] key, int index, int dbId)
    {
        var pool = _pool;
        int k = 0;
        while (k < PoolSize && pool[k].Key is not null && pool[k].Idle < idle) k++;
        if (k == 0 && pool[PoolSize - 1].Key is not null) return; // worse than every candidate of a full pool
        if (k < PoolSize && pool[k].Key is null)
        {
            // An empty slot: insert here.
        }
        else if (pool[PoolSize - 1].Key is null)
        {
            // Free space on the right: shift right from k.
            Array.Copy(pool, k, pool, k + 1, PoolSize - k - 1);
        }
        else
        {
            // No free space: drop the worst (leftmost) and insert at k-1.
            k--;
            Array.Copy(pool, 1, pool, 0, k);
        }
        pool[k] = new PoolEntry { Idle = idle, Key = key, Index = index, Db = dbId };
    }

    /// <summary>Forgets pooled candidates (FLUSHALL, policy changes): they would only be ghosts.</summary>
    public void ClearPool() => Array.Clear(_pool);

    // ---- the collector -------------------------------------------------------------------------------

    private long _lastInducedGc;

    /// <summary>
    /// With a maxmemory limit, starts a background full collection when the managed heap holds much more than
    /// the running total says is live: evicted, deleted and overwritten values are garbage that the collector
    /// only reclaims at its next gen2 collection, which its own budget may put off long enough for RSS to reach
    /// several times maxmemory under a steady eviction load. A background collection runs beside the
    /// commands; at most one is asked for every 200 ms. Called by the cron outside the execution lock.
    /// </summary>
    public void CollectIfGarbageExceeds()
    {
        long limit = _server.Config.MaxMemory;
        if (limit == 0) return;
        long live = UsedMemory;
        long heap = GC.GetTotalMemory(false);
        if (heap < live + Math.Max(live / 4, 8L << 20)) return;
        long now = Environment.TickCount64;
        if (now - _lastInducedGc < 200) return;
        _lastInducedGc = now;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: false, compacting: false);
    }

    // ---- client eviction (maxmemory-clients) ---------------------------------------------------------

    /// <summary>The limit maxmemory-clients sets now (a percentage is of maxmemory), 0 for none.</summary>
    public long ClientsLimit
    {
        get
        {
            var config = _server.Config;
            if (config.MaxMemoryClientsPercent > 0)
                return config.MaxMemory == 0 ? 0 : config.MaxMemory * config.MaxMemoryClientsPercent / 100;
            return config.MaxMemoryClients;
        }
    }

    /// <summary>Clients evicted by maxmemory-clients (evicted_clients).</summary>
    public long EvictedClients;

    /// <summary>
    /// Redis 7.0's evictClients: while the memory of normal clients exceeds maxmemory-clients, the client
    /// using the most is closed (not those with CLIENT NO-EVICT, replicas, our master, pub/sub is included).
    /// Runs from the cron and after the clients' memory is re-summed.
    /// </summary>
    public void EvictClients()
    {
        long limit = ClientsLimit;
        if (limit <= 0) return;
        RefreshClients();
        long total = ClientsNormalBytes;
        while (total > limit)
        {
            Networking.ClientConnection? worst = null;
            long worstBytes = 0;
            foreach (var c in _server.Clients)
            {
                if ((c.Flags & (ClientFlags.NoEvict | ClientFlags.Replica | ClientFlags.Master | ClientFlags.Closing)) != 0) continue;
                if (c is not Networking.ClientConnection conn || conn.IsClosed) continue;
                long bytes = c.MemoryBytes;
                if (bytes > worstBytes) { worst = conn; worstBytes = bytes; }
            }
            if (worst is null) break;
            _server.Log.Debug($"Evicting client: {worst}");
            EvictedClients++;
            total -= worstBytes;
            worst.Close();
        }
    }
}
