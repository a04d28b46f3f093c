using System.IO.Hashing;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Cinnabar.Keyspace;

/// <summary>
/// Redis keeps a string's object encoding, which the bytes alone do not always tell: APPEND, SETRANGE,
/// SETBIT and BITFIELD leave a "raw" string even when it reads as a small integer, INCRBYFLOAT an "embstr".
/// </summary>
public enum StringHint : byte
{
    /// <summary>From the bytes: "int" for a canonical 64-bit integer, "embstr" up to 44 bytes, else "raw".</summary>
    FromBytes = 0,
    Raw = 1,
    Embstr = 2,
}

/// <summary>One key of a database. Lives inline in the table's entry array (no per-key node object).</summary>
public struct KeyEntry
{
    /// <summary>The key's bytes; null marks a free slot.</summary>
    public byte[]? Key;
    /// <summary>The value: a byte[] for strings, or a data-type object (list, hash...).</summary>
    public object? Value;
    /// <summary>Absolute expiry in Unix milliseconds; 0 means none.</summary>
    public long ExpireAt;
    /// <summary>
    /// Low 24 bits: last access on Redis' 24-bit seconds clock (OBJECT IDLETIME), or with an LFU policy
    /// Redis' 16-bit minutes and 8-bit counter. Bits 24-25: <see cref="StringHint"/>. High 6 bits: a tag taken
    /// from the key's hash, so a chain walk skips almost every other key without reading its bytes (a cache
    /// miss each). The full hash is not kept, so the entry stays 32 bytes; the table recomputes hashes on
    /// removal and resize.
    /// </summary>
    private int _lruAndTag;

    public int LruSeconds
    {
        readonly get => _lruAndTag & 0xFFFFFF;
        set => _lruAndTag = (_lruAndTag & ~0xFFFFFF) | (value & 0xFFFFFF);
    }

    /// <summary>How a string value was written, where its bytes alone do not give Redis' encoding.</summary>
    public StringHint StringHint
    {
        readonly get => (StringHint)((_lruAndTag >> 24) & 3);
        set => _lruAndTag = (_lruAndTag & ~(3 << 24)) | ((int)value << 24);
    }

    internal readonly int Tag => (int)((uint)_lruAndTag >> 26);

    /// <summary>The tag of a hash: its top bits, which bucket numbers do not use below 64M buckets.</summary>
    internal static int TagOf(int hash) => (int)((uint)hash >> 26);

    /// <summary>Sets the tag, and clears the string hint (a new value starts with its bytes' encoding).</summary>
    internal void SetTag(int hash) => _lruAndTag = (_lruAndTag & 0xFFFFFF) | (hash & ~0x3FFFFFF);
    /// <summary>Next entry in the bucket chain (or in the free list), -1 at the end.</summary>
    public int Next;
}

/// <summary>
/// An open hash table keyed by byte strings, looked up by span without allocating.
/// Entries live in fixed-size pages (an entry's index never changes, and growing adds a page instead of
/// copying every entry), chained per power-of-two bucket so that SCAN can use Redis' reverse-binary
/// cursor, which visits every key present for the whole iteration even when the table grows between calls.
/// Growing the buckets is incremental, as Redis' dict does: while a larger bucket array is being filled,
/// each insertion (and the server cron) moves a few chains from the old array, and lookups consult the
/// array that holds the key's chain, so no single command pays for rehashing millions of keys.
/// Not thread-safe: the server serialises access.
/// </summary>
public sealed class KeyTable
{
    private static readonly long HashSeed = RandomNumberGenerator.GetInt32(int.MaxValue);

    // 4096 entries of 32 bytes = 128 KB per page. The first page starts small and doubles up to this
    // size, so the many empty databases cost little.
    private const int PageShift = 12;
    private const int PageSize = 1 << PageShift;
    private const int PageMask = PageSize - 1;
    private const int MinSize = 16;

    /// <summary>Old chains moved per insertion while rehashing; above 1 so a rehash ends long before the next one is due.</summary>
    private const int RehashBucketsPerAdd = 4;

    private KeyEntry[][] _pages;
    private int _capacity;         // entry slots across all pages
    private int _used;             // slots [0.._used) have been handed out at some point
    private int _count;
    private int _freeList = -1;
    private int _freeCount;

    private int[] _buckets;        // 1-based index of the first entry of each chain, 0 = empty
    private int[]? _oldBuckets;    // the smaller array being emptied into _buckets, null when not rehashing
    private int _rehashIndex;      // old buckets below this have been moved

    public KeyTable(int capacity = MinSize)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, MinSize));
        _buckets = new int[size];
        _pages = [new KeyEntry[Math.Min(size, PageSize)]];
        _capacity = _pages[0].Length;
        while (_capacity < size) AddPage();
    }

    public int Count => _count;

    /// <summary>Number of buckets (a power of two) of the array keys are moving into; SCAN cursors are bucket positions.</summary>
    public int BucketCount => _buckets.Length;

    /// <summary>Bytes of the table itself (entry pages and bucket arrays), without keys and values (MEMORY STATS).</summary>
    public long OverheadBytes => (long)_capacity * 32 + ((long)_buckets.Length + (_oldBuckets?.Length ?? 0)) * 4;

    /// <summary>True while chains are still being moved from a smaller bucket array.</summary>
    public bool IsRehashing => _oldBuckets is not null;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int HashOf(ReadOnlySpan<byte> key) => (int)XxHash3.HashToUInt64(key, HashSeed);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref KeyEntry EntryAt(int index) => ref _pages[index >> PageShift][index & PageMask];

    /// <summary>The chain head that holds (or would hold) keys with <paramref name="hash"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref int BucketOf(int hash)
    {
        if (_oldBuckets is { } old)
        {
            int b = hash & (old.Length - 1);
            if (b >= _rehashIndex) return ref old[b];
        }
        return ref _buckets[hash & (_buckets.Length - 1)];
    }

    /// <summary>Index of the entry for <paramref name="key"/>, or -1.</summary>
    public int Find(ReadOnlySpan<byte> key) => Find(key, HashOf(key));

    public int Find(ReadOnlySpan<byte> key, int hash)
    {
        int i = BucketOf(hash) - 1, tag = KeyEntry.TagOf(hash);
        while (i >= 0)
        {
            ref KeyEntry e = ref EntryAt(i);
            if (e.Tag == tag && key.SequenceEqual(e.Key)) return i;
            i = e.Next;
        }
        return -1;
    }

    /// <summary>Adds a key known to be absent; returns its entry index. The table keeps <paramref name="key"/>.</summary>
    public int Add(byte[] key, int hash, object value, long expireAt = 0)
    {
        if (_oldBuckets is not null) RehashSteps(RehashBucketsPerAdd);
        else if (_count >= _buckets.Length) BeginRehash(_buckets.Length * 2);

        int index;
        if (_freeCount > 0)
        {
            index = _freeList;
            _freeList = EntryAt(index).Next;
            _freeCount--;
        }
        else
        {
            if (_used == _capacity) GrowSlots();
            index = _used++;
        }
        BeforeChange(index); // a reused free slot may lie in a page a snapshot has not read yet
        ref KeyEntry e = ref EntryAt(index);
        e.Key = key;
        e.Value = value;
        e.ExpireAt = expireAt;
        e.LruSeconds = 0;
        e.SetTag(hash);
        ref int bucket = ref BucketOf(hash);
        e.Next = bucket - 1;
        bucket = index + 1;
        _count++;
        return index;
    }

    /// <summary>Removes the entry at <paramref name="index"/>.</summary>
    public void RemoveAt(int index)
    {
        BeforeChange(index);
        ref KeyEntry target = ref EntryAt(index);
        ref int bucket = ref BucketOf(HashOf(target.Key));
        int prev = -1, i = bucket - 1;
        while (i != index)
        {
            prev = i;
            i = EntryAt(i).Next;
        }
        if (prev < 0) bucket = target.Next + 1;
        else EntryAt(prev).Next = target.Next;

        target.Key = null;
        target.Value = null;
        target.ExpireAt = 0;
        target.LruSeconds = 0;
        target.SetTag(0);
        target.Next = _freeList;
        _freeList = index;
        _freeCount++;
        _count--;
    }

    public void Clear()
    {
        _pages = [new KeyEntry[MinSize]];
        _capacity = MinSize;
        _buckets = new int[MinSize];
        _oldBuckets = null;
        _rehashIndex = 0;
        _used = 0;
        _count = 0;
        _freeList = -1;
        _freeCount = 0;
    }

    /// <summary>Most buckets <see cref="Reserve"/> allocates ahead (64 MB); the size comes from files, which may lie.</summary>
    private const int MaxReservedBuckets = 1 << 24;

    /// <summary>
    /// Sizes the bucket array for <paramref name="count"/> keys in one step (RESIZEDB while loading, when
    /// nobody waits), so the keys that follow are not rehashed again and again. Slot pages still grow as
    /// keys arrive: they never copy, and a lying file cannot make them allocate ahead.
    /// </summary>
    public void Reserve(long count)
    {
        if (count <= _buckets.Length) return;
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Min(count, MaxReservedBuckets));
        if (size <= _buckets.Length) return;
        FinishRehash();
        BeginRehash(size);
        FinishRehash();
    }

    private void GrowSlots()
    {
        if (_capacity < PageSize)
        {
            Array.Resize(ref _pages[0], Math.Min(_capacity * 2, PageSize));
            _capacity = _pages[0].Length;
        }
        else AddPage();
    }

    private void AddPage()
    {
        int n = _capacity >> PageShift;
        if (n == _pages.Length) Array.Resize(ref _pages, n * 2);
        _pages[n] = new KeyEntry[PageSize];
        _capacity += PageSize;
    }

    private void BeginRehash(int newSize)
    {
        _oldBuckets = _buckets;
        _buckets = new int[newSize];
        _rehashIndex = 0;
    }

    /// <summary>
    /// Moves up to <paramref name="chains"/> non-empty old buckets into the new array (Redis' dictRehash:
    /// at most ten empty buckets are skipped per chain, so one step stays short on a sparse table).
    /// Returns false once the rehash is complete.
    /// </summary>
    public bool RehashSteps(int chains)
    {
        var old = _oldBuckets;
        if (old is null) return false;
        int emptyVisits = chains * 10;
        int mask = _buckets.Length - 1;
        while (chains > 0 && _rehashIndex < old.Length)
        {
            int i = old[_rehashIndex] - 1;
            if (i < 0)
            {
                _rehashIndex++;
                if (--emptyVisits == 0) break;
                continue;
            }
            while (i >= 0)
            {
                ref KeyEntry e = ref EntryAt(i);
                int next = e.Next;
                ref int b = ref _buckets[HashOf(e.Key) & mask];
                e.Next = b - 1;
                b = i + 1;
                i = next;
            }
            old[_rehashIndex++] = 0;
            chains--;
        }
        if (_rehashIndex < old.Length) return true;
        _oldBuckets = null;
        _rehashIndex = 0;
        return false;
    }

    private void FinishRehash()
    {
        while (RehashSteps(1024)) { }
    }

    /// <summary>
    /// Visits the chains named by <paramref name="cursor"/> and returns the next cursor (0 when the iteration
    /// is complete). Redis' dictScan: the cursor's bits are incremented from the top so that buckets split by
    /// a resize are neither skipped nor (mostly) repeated; while rehashing, the old bucket and every new
    /// bucket it expands into are visited together.
    /// </summary>
    public ulong ScanBucket<TVisitor>(ulong cursor, ref TVisitor visitor) where TVisitor : struct, IEntryVisitor, allows ref struct
    {
        if (_count == 0) return 0; // as dictScan: an empty table ends the iteration at once
        var old = _oldBuckets;
        var step = new ScanCursor(cursor, _buckets.Length, old?.Length ?? 0);
        while (step.MoveNext(out bool inOld, out int bucket))
            VisitChain(inOld ? old![bucket] : _buckets[bucket], ref visitor);
        return step.Next;
    }

    private void VisitChain<TVisitor>(int head, ref TVisitor visitor) where TVisitor : struct, IEntryVisitor, allows ref struct
    {
        int i = head - 1;
        while (i >= 0)
        {
            ref KeyEntry e = ref EntryAt(i);
            int next = e.Next;
            visitor.Visit(i, ref e);
            i = next;
        }
    }

    /// <summary>A random occupied entry index, or -1 when empty. Uniform over slots, retried on free ones.</summary>
    public int RandomIndex(Random random)
    {
        if (_count == 0) return -1;
        // With few keys in a large slot array, probing could take long: fall back to a walk.
        if (_count * 8L < _used)
        {
            int skip = random.Next(_count);
            for (int i = 0; i < _used; i++)
                if (EntryAt(i).Key is not null && skip-- == 0) return i;
            return -1;
        }
        while (true)
        {
            int i = random.Next(_used);
            if (EntryAt(i).Key is not null) return i;
        }
    }

    /// <summary>
    /// Fills <paramref name="dest"/> with random occupied entry indexes (with an expiry only, when
    /// <paramref name="withExpiry"/>) for eviction sampling; returns how many were found. Each sample is a few
    /// random probes of the slot array (O(1) while the table is not mostly free slots); what probing misses is
    /// made up by a bounded walk from a random slot, as Redis' dictGetSomeKeys walks buckets.
    /// </summary>
    public int SampleIndexes(Span<int> dest, Random random, bool withExpiry)
    {
        if (_count == 0 || dest.Length == 0) return 0;
        int n = 0, probes = dest.Length * (withExpiry ? 16 : 8);
        while (n < dest.Length && probes-- > 0)
        {
            int i = random.Next(_used);
            ref KeyEntry e = ref EntryAt(i);
            if (e.Key is null || (withExpiry && e.ExpireAt == 0)) continue;
            dest[n++] = i;
        }
        if (n < dest.Length)
        {
            int start = random.Next(_used), steps = Math.Min(_used, 4096);
            for (int s = 0; s < steps && n < dest.Length; s++)
            {
                int i = start + s;
                if (i >= _used) i -= _used;
                ref KeyEntry e = ref EntryAt(i);
                if (e.Key is null || (withExpiry && e.ExpireAt == 0)) continue;
                dest[n++] = i;
            }
        }
        return n;
    }

    /// <summary>Slots handed out so far; valid entry indexes are below this (some may be free).</summary>
    public int SlotCount => _used;

    public bool IsOccupied(int index) => index < _used && EntryAt(index).Key is not null;

    /// <summary>
    /// A shallow copy of the used entry slots (keys, value references, expiry) for a point-in-time snapshot:
    /// plain array copies, so it is fast even for millions of keys. Free slots have a null Key.
    /// </summary>
    // ---- point-in-time snapshots: copy-on-write per page --------------------------------------------

    private List<TableSnapshot>? _snapshots;

    /// <summary>
    /// Starts a point-in-time image of the entries (BGSAVE, AOF rewrite, full sync) without copying them:
    /// the snapshot keeps the page arrays as they are, and a page is copied only when a change would reach
    /// one the snapshot has not read yet (<see cref="BeforeChange"/>), as fork() copies pages on write.
    /// O(pages) under the lock instead of a copy of every entry.
    /// </summary>
    internal TableSnapshot BeginSnapshot()
    {
        var snapshot = new TableSnapshot(this, (KeyEntry[][])_pages.Clone(), _used);
        (_snapshots ??= new()).Add(snapshot);
        return snapshot;
    }

    internal void EndSnapshot(TableSnapshot snapshot)
    {
        if (_snapshots is null) return;
        _snapshots.Remove(snapshot);
        if (_snapshots.Count == 0) _snapshots = null;
    }

    /// <summary>
    /// Call before the key, value or expiry of the entry at <paramref name="index"/> changes: a running
    /// snapshot that has not read its page yet gets a copy of the page first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void BeforeChange(int index)
    {
        if (_snapshots is not null) SaveForSnapshots(index);
    }

    private void SaveForSnapshots(int index)
    {
        foreach (var s in _snapshots!) s.SavePage(index >> PageShift, index);
    }

    internal const int SnapshotPageSize = PageSize;

    internal KeyEntry[] CopyEntries()
    {
        var copy = new KeyEntry[_used];
        for (int start = 0; start < _used; start += PageSize)
            _pages[start >> PageShift].AsSpan(0, Math.Min(PageSize, _used - start)).CopyTo(copy.AsSpan(start));
        return copy;
    }
}

public interface IEntryVisitor
{
    void Visit(int index, ref KeyEntry entry);
}

/// <summary>
/// A point-in-time image of a <see cref="KeyTable"/>'s entries, read in order by a background writer.
/// Pages it has not read yet are copied by the table before they change (<see cref="SavePage"/>); pages
/// it has read need nothing more. All members run under the execution lock.
/// </summary>
internal sealed class TableSnapshot
{
    private readonly KeyTable _table;
    private readonly KeyEntry[][] _pages;
    private readonly KeyEntry[]?[] _saved;
    private readonly int _used;
    private int _consumed; // pages already handed to the reader

    internal TableSnapshot(KeyTable table, KeyEntry[][] pages, int used)
    {
        _table = table;
        _pages = pages;
        _saved = new KeyEntry[]?[pages.Length];
        _used = used;
    }

    /// <summary>Pages copied because a write reached them first (tests).</summary>
    internal int SavedPages;

    internal void SavePage(int page, int index)
    {
        if (index >= _used || page < _consumed || _saved[page] is not null) return;
        _saved[page] = (KeyEntry[])_pages[page].Clone();
        SavedPages++;
    }

    /// <summary>True once every entry was handed out by <see cref="Take"/>.</summary>
    internal bool Done => ((long)_consumed * KeyTable.SnapshotPageSize) >= _used;

    /// <summary>Copies the next whole pages that fit into <paramref name="dest"/>; returns the entries copied (0 at the end).</summary>
    internal int Take(KeyEntry[] dest)
    {
        int n = 0;
        while (!Done)
        {
            int p = _consumed;
            var src = _saved[p] ?? _pages[p];
            int len = (int)Math.Min(src.Length, _used - (long)p * KeyTable.SnapshotPageSize);
            if (n + len > dest.Length) break;
            src.AsSpan(0, len).CopyTo(dest.AsSpan(n));
            _saved[p] = null;
            _consumed++;
            n += len;
        }
        return n;
    }

    internal void End() => _table.EndSnapshot(this);
}
