using System.Runtime.CompilerServices;

namespace Cinnabar.Keyspace;

/// <summary>Receives keyspace events that other subsystems (notifications, WATCH, replication) care about.</summary>
public interface IKeyspaceObserver
{
    /// <summary>A key was found expired (lazily or by the active cycle) and deleted.</summary>
    void OnKeyExpired(Database db, byte[] key);

    /// <summary>A key was created (the "new" keyspace event).</summary>
    void OnKeyAdded(Database db, ReadOnlySpan<byte> key);

    /// <summary>A read command looked for a key that does not exist (the "keymiss" event).</summary>
    void OnKeyMiss(Database db, ReadOnlySpan<byte> key);
}

/// <summary>
/// Told when a stream leaves a database (deleted, expired, overwritten, flushed): clients blocked in
/// XREADGROUP on it are answered -UNBLOCKED, as Redis' signalDeletedKeyAsReady and signalFlushedDb do.
/// </summary>
public interface IKeyRemovalObserver
{
    void OnStreamRemoved(Database db, byte[] key);

    /// <summary>Every key of <paramref name="db"/> is about to go (FLUSHDB, FLUSHALL, a full resync, DEBUG RELOAD).</summary>
    void OnDatabaseCleared(Database db);
}

/// <summary>
/// One numbered database (SELECT n): a key table plus expiry bookkeeping. All access happens under the
/// server's execution lock, so nothing here is synchronised.
/// </summary>
public sealed class Database
{
    private KeyTable _table = new();
    private readonly KeyspaceState _keyspace;

    internal Database(int id, KeyspaceState keyspace)
    {
        Id = id;
        _keyspace = keyspace;
    }

    public int Id { get; }

    /// <summary>Keys that have an expiry set (the "expires" count of INFO keyspace).</summary>
    public int ExpiresCount { get; private set; }

    public int Count => _table.Count;

    /// <summary>
    /// Bytes of this database's keys and values as the running total counts them (used_memory's dataset
    /// part; the table's own slots and buckets are <see cref="KeyTable.OverheadBytes"/>). See docs/memory.md.
    /// </summary>
    public long UsedBytes { get; private set; }

    /// <summary>The entry the last lookup or store found: the key a write then signals, almost always.</summary>
    private int _lastIndex = -1;

    /// <summary>
    /// The entry of <paramref name="key"/> without expiring it: the last entry looked up or stored when it is
    /// that key (a write signals the key it just found, so one comparison replaces a hash lookup), else a lookup.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int FindSignalled(ReadOnlySpan<byte> key)
    {
        int i = _lastIndex;
        if (i >= 0 && _table.EntryAt(i).Key is { } k && key.SequenceEqual(k)) return i;
        return _table.Find(key);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Account(long delta)
    {
        UsedBytes += delta;
        _keyspace.DatasetBytes += delta;
    }

    /// <summary>What the running total counts for <paramref name="value"/> as last measured.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Counted(object? value) => value switch
    {
        byte[] s => DataTypes.MemorySize.Bytes(s),
        DataTypes.IRedisObject o => o.AccountedBytes,
        _ => 0,
    };

    /// <summary>Measures <paramref name="value"/> now and remembers the measure with it (collections).</summary>
    private static long Measure(object value)
    {
        if (value is byte[] s) return DataTypes.MemorySize.Bytes(s);
        long size = DataTypes.RedisValue.AccountingSize(value);
        if (value is DataTypes.IRedisObject o) o.AccountedBytes = size;
        return size;
    }

    /// <summary>
    /// A collection stored at <paramref name="index"/> was changed in place: the running total follows its
    /// new size (called for every signalled key write).
    /// </summary>
    public void Remeasure(int index)
    {
        if (_table.EntryAt(index).Value is DataTypes.IRedisObject o)
        {
            long before = o.AccountedBytes;
            Account(Measure(o) - before);
        }
    }

    /// <summary>Replaces the value at <paramref name="index"/> keeping its expiry and access data (APPEND, SETRANGE, PFADD...).</summary>
    public void ReplaceValue(int index, object value)
    {
        ref KeyEntry e = ref _table.EntryAt(index);
        long old = Counted(e.Value); // first: the same collection may be stored again
        Account(Measure(value) - old);
        e.Value = value;
    }

    internal KeyTable Table => _table;

    /// <summary>Position of the active expiry cycle in the slot array.</summary>
    internal int ExpireCursor;

    /// <summary>Running average of remaining TTL of sampled keys, as INFO's avg_ttl.</summary>
    internal long AvgTtl;

    private long Now => _keyspace.NowMs;

    /// <summary>Redis' LRU clock: seconds, wrapping at 24 bits.</summary>
    public const int LruClockMax = (1 << 24) - 1;

    public int LruClock => (int)((Now / 1000) & LruClockMax);

    /// <summary>Seconds since the entry was last accessed (OBJECT IDLETIME), as Redis estimates it.</summary>
    public long IdleSeconds(in KeyEntry entry) => IdleSeconds(entry.LruSeconds, Now);

    /// <summary>Redis' estimateObjectIdleTime in seconds for access bits <paramref name="lru"/> at <paramref name="nowMs"/>.</summary>
    public static long IdleSeconds(int lru, long nowMs)
    {
        int clock = (int)((nowMs / 1000) & LruClockMax);
        return clock >= lru ? clock - lru : clock + (LruClockMax - lru);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref KeyEntry EntryAt(int index) => ref _table.EntryAt(index);

    /// <summary>
    /// Finds a live key: an expired one is deleted on the spot (lazy expiry) and reported missing.
    /// Returns the entry index or -1. Marks the key as accessed unless <paramref name="touch"/> is false
    /// (Redis' LOOKUP_NOTOUCH: TYPE, TTL, EXISTS, OBJECT).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ReadOnlySpan<byte> key, bool touch = true)
    {
        int i = _table.Find(key);
        if (i >= 0)
        {
            _lastIndex = i;
            ref KeyEntry e = ref _table.EntryAt(i);
            long exp = e.ExpireAt;
            if (exp != 0 && exp <= Now && ExpireIfAllowed(i)) return -1;
            if (touch) Accessed(ref e);
        }
        return i;
    }

    /// <summary>Like <see cref="Find"/>, and counts a keyspace hit or miss (for read commands).</summary>
    public int FindForRead(ReadOnlySpan<byte> key, bool touch = true)
    {
        int i = Find(key, touch);
        if (i >= 0) _keyspace.Hits++;
        else
        {
            _keyspace.Misses++;
            _keyspace.Observer?.OnKeyMiss(this, key);
        }
        return i;
    }

    /// <summary>The value of a live key, or null.</summary>
    public object? Get(ReadOnlySpan<byte> key)
    {
        int i = Find(key);
        return i >= 0 ? _table.EntryAt(i).Value : null;
    }

    public bool Exists(ReadOnlySpan<byte> key) => Find(key) >= 0;

    /// <summary>True when <paramref name="entry"/> is past its expiry time (without deleting it).</summary>
    public bool IsExpired(in KeyEntry entry) => entry.ExpireAt != 0 && entry.ExpireAt <= Now;

    /// <summary>
    /// Sets a key's value, creating the key if needed. Unless <paramref name="keepTtl"/>, any expiry is
    /// cleared, as SET does. Returns the entry index.
    /// </summary>
    public int Set(ReadOnlySpan<byte> key, object value, bool keepTtl = false)
    {
        int hash = KeyTable.HashOf(key);
        int i = _table.Find(key, hash);
        if (i >= 0)
        {
            _table.BeforeChange(i);
            ref KeyEntry e = ref _table.EntryAt(i);
            if (e.ExpireAt != 0 && (!keepTtl || e.ExpireAt <= Now))
            {
                e.ExpireAt = 0;
                ExpiresCount--;
            }
            if (e.Value is DataTypes.StreamValue) _keyspace.Removals?.OnStreamRemoved(this, e.Key!);
            long old = Counted(e.Value); // first: the same collection may be stored again
            Account(Measure(value) - old);
            e.Value = value;
            // A new object: the LRU clock now; an LFU counter stays with the key (Redis' dbOverwrite).
            if (_keyspace.Config is not { LfuPolicy: true }) e.LruSeconds = LruClock;
            e.StringHint = StringHint.FromBytes;
            _lastIndex = i;
            return i;
        }
        var copy = key.ToArray();
        Account(DataTypes.MemorySize.Bytes(copy) + Measure(value));
        i = Touch(_table.Add(copy, hash, value));
        _keyspace.Observer?.OnKeyAdded(this, key);
        return i;
    }

    private int Touch(int index)
    {
        _lastIndex = index;
        _table.EntryAt(index).LruSeconds = _keyspace.Config is { LfuPolicy: true } ? Lfu.New(Now) : LruClock;
        return index;
    }

    /// <summary>Records an access: the LRU clock, or with an LFU policy Redis' updateLFU.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Accessed(ref KeyEntry e)
    {
        var config = _keyspace.Config;
        e.LruSeconds = config is { LfuPolicy: true } ? Lfu.Accessed(e.LruSeconds, Now, config) : LruClock;
    }

    /// <summary>
    /// Redis' objectSetLRUOrLFU (RESTORE IDLETIME/FREQ): with an LFU policy the counter <paramref name="freq"/>,
    /// otherwise an access <paramref name="idleSeconds"/> ago on the wrapping 24-bit clock; -1 leaves it.
    /// </summary>
    public void SetAccess(int index, long freq, long idleSeconds)
    {
        ref KeyEntry e = ref _table.EntryAt(index);
        if (_keyspace.Config is { LfuPolicy: true })
        {
            if (freq >= 0) e.LruSeconds = Lfu.Of(Now, (int)freq);
        }
        else if (idleSeconds >= 0)
        {
            long at = LruClock - idleSeconds;
            if (at < 0) at += LruClockMax; // once, as Redis; the 24-bit field keeps the low bits
            e.LruSeconds = (int)(at & LruClockMax);
        }
    }

    /// <summary>Adds a key that <see cref="Find"/> just reported missing.</summary>
    public int Add(ReadOnlySpan<byte> key, object value)
    {
        int hash = KeyTable.HashOf(key);
        // An expired entry may still sit in the table if the caller did not look it up; drop it first.
        int old = _table.Find(key, hash);
        if (old >= 0) RemoveAt(old);
        var copy = key.ToArray();
        Account(DataTypes.MemorySize.Bytes(copy) + Measure(value));
        int i = Touch(_table.Add(copy, hash, value));
        _keyspace.Observer?.OnKeyAdded(this, key);
        return i;
    }

    /// <summary>Adds a key reusing an existing byte array (RENAME, MOVE, loading).</summary>
    public int Add(byte[] key, object value, long expireAt)
    {
        int hash = KeyTable.HashOf(key);
        int old = _table.Find(key, hash);
        if (old >= 0) RemoveAt(old);
        Account(DataTypes.MemorySize.Bytes(key) + Measure(value));
        int i = Touch(_table.Add(key, hash, value, expireAt));
        if (expireAt != 0) ExpiresCount++;
        _keyspace.Observer?.OnKeyAdded(this, key);
        return i;
    }

    public bool Delete(ReadOnlySpan<byte> key)
    {
        int i = Find(key);
        if (i < 0) return false;
        RemoveAt(i);
        return true;
    }

    public void RemoveAt(int index)
    {
        ref KeyEntry e = ref _table.EntryAt(index);
        if (e.Value is DataTypes.StreamValue) _keyspace.Removals?.OnStreamRemoved(this, e.Key!);
        if (e.ExpireAt != 0) ExpiresCount--;
        Account(-(DataTypes.MemorySize.Bytes(e.Key) + Counted(e.Value)));
        _table.RemoveAt(index);
    }

    /// <summary>Sets an absolute expiry (Unix ms) on a live key.</summary>
    public void SetExpire(int index, long whenMs)
    {
        _table.BeforeChange(index);
        ref KeyEntry e = ref _table.EntryAt(index);
        if (e.ExpireAt == 0) ExpiresCount++;
        e.ExpireAt = whenMs;
    }

    /// <summary>Removes a key's expiry; returns false when it had none.</summary>
    public bool Persist(int index)
    {
        _table.BeforeChange(index);
        ref KeyEntry e = ref _table.EntryAt(index);
        if (e.ExpireAt == 0) return false;
        e.ExpireAt = 0;
        ExpiresCount--;
        return true;
    }

    public void Clear()
    {
        if (_table.Count > 0) _keyspace.Removals?.OnDatabaseCleared(this);
        _table = new KeyTable();
        _lastIndex = -1;
        Account(-UsedBytes);
        ExpiresCount = 0;
        ExpireCursor = 0;
        AvgTtl = 0;
    }

    /// <summary>Prepares for <paramref name="keys"/> keys about to be loaded (RDB RESIZEDB).</summary>
    public void Reserve(long keys) => _table.Reserve(keys);

    /// <summary>Exchanges the contents of two databases (SWAPDB).</summary>
    public void SwapWith(Database other)
    {
        (_table, other._table) = (other._table, _table);
        _lastIndex = other._lastIndex = -1;
        (ExpiresCount, other.ExpiresCount) = (other.ExpiresCount, ExpiresCount);
        (UsedBytes, other.UsedBytes) = (other.UsedBytes, UsedBytes); // the total over databases is unchanged
        (AvgTtl, other.AvgTtl) = (other.AvgTtl, AvgTtl);
        ExpireCursor = other.ExpireCursor = 0;
    }

    /// <summary>A random live key, or null when the database is empty (expired samples are reclaimed).</summary>
    public byte[]? RandomKey()
    {
        // Bounded retries: a database full of expired keys must not loop forever (Redis does the same).
        for (int tries = 0; tries < 100 && _table.Count > 0; tries++)
        {
            int i = _table.RandomIndex(Random.Shared);
            if (i < 0) return null;
            ref KeyEntry e = ref _table.EntryAt(i);
            if (e.ExpireAt != 0 && e.ExpireAt <= Now)
            {
                var k = e.Key!;
                if (ExpireIfAllowed(i)) continue;
                return k;
            }
            return e.Key;
        }
        return null;
    }

    /// <summary>SCAN step over the buckets; see <see cref="KeyTable.ScanBucket"/>.</summary>
    public ulong ScanBucket<TVisitor>(ulong cursor, ref TVisitor visitor) where TVisitor : struct, IEntryVisitor, allows ref struct
        => _table.ScanBucket(cursor, ref visitor);

    /// <summary>Deletes an expired key unless this server must wait for its master to do so.</summary>
    internal bool ExpireIfAllowed(int index)
    {
        // A replica reports the key missing but keeps it until its master's DEL arrives; the master's own
        // commands still see it.
        if (_keyspace.IsReplica) return !_keyspace.ObeyMaster;
        ref KeyEntry e = ref _table.EntryAt(index);
        var key = e.Key!;
        if (_keyspace.Config is { LazyFreeLazyExpire: true } && DataTypes.RedisValue.FreeEffort(e.Value!) > DataTypes.RedisValue.LazyFreeThreshold)
            _keyspace.LazyfreedObjects++;
        RemoveAt(index);
        _keyspace.ExpiredKeys++;
        _keyspace.Observer?.OnKeyExpired(this, key);
        return true;
    }

    /// <summary>
    /// One step of active expiry: examines up to <paramref name="maxSlots"/> slots from the cursor and deletes
    /// the expired keys. Returns (keys with a TTL seen, of which expired).
    /// </summary>
    internal (int Sampled, int Expired) ActiveExpireStep(int maxSlots)
    {
        int sampled = 0, expired = 0;
        long now = Now;
        int used = _table.SlotCount;
        if (used == 0) return (0, 0);
        long ttlSum = 0;
        for (int n = 0; n < maxSlots && n < used; n++)
        {
            if (ExpireCursor >= used) ExpireCursor = 0;
            int i = ExpireCursor++;
            ref KeyEntry e = ref _table.EntryAt(i);
            if (e.Key is null || e.ExpireAt == 0) continue;
            sampled++;
            if (e.ExpireAt <= now)
            {
                if (!_keyspace.IsReplica)
                {
                    ExpireIfAllowed(i);
                    expired++;
                }
            }
            else ttlSum += e.ExpireAt - now;
        }
        int alive = sampled - expired;
        if (alive > 0)
        {
            long avg = ttlSum / alive;
            // Same smoothing as Redis: the estimate moves 2% towards each new sample.
            AvgTtl = AvgTtl == 0 ? avg : (AvgTtl / 50) * 49 + (avg / 50);
        }
        return (sampled, expired);
    }
}

/// <summary>State shared by all databases: the clock for this command, counters, role.</summary>
public sealed class KeyspaceState
{
    /// <summary>Current time in Unix ms, refreshed before each command so a command sees one instant.</summary>
    public long NowMs;
    public long Hits;
    public long Misses;
    public long ExpiredKeys;
    /// <summary>Values an asynchronous delete released (UNLINK, FLUSHALL ASYNC...), counted as Redis' lazyfreed_objects.</summary>
    public long LazyfreedObjects;
    /// <summary>Sum of every database's <see cref="Database.UsedBytes"/>: the dataset part of used_memory.</summary>
    public long DatasetBytes;
    public bool IsReplica;
    /// <summary>Set while our master's replication stream executes: expired keys stay visible to it.</summary>
    public bool ObeyMaster;
    public IKeyspaceObserver? Observer;
    public IKeyRemovalObserver? Removals;
    /// <summary>The server's configuration (the LFU policy and parameters that key accesses follow).</summary>
    public Config.ServerConfig? Config;

    public static long WallClockMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
