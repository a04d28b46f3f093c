using System.IO.Hashing;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Cinnabar.DataTypes;

/// <summary>
/// The "hashtable" encoding shared by large hashes (field -> value) and large sets (member, no value).
/// Entries live inline in one array, chained per power-of-two bucket; lookups take a span and allocate
/// nothing. The bucket layout supports Redis' reverse-binary SCAN cursor, which visits every element present
/// for the whole iteration even when the table grows or shrinks between calls.
/// Not thread-safe: the server serialises access.
/// </summary>
public sealed class HashDict
{
    private static readonly long Seed = RandomNumberGenerator.GetInt32(int.MaxValue);
    private const int MinSize = 8;

    public struct Entry
    {
        /// <summary>Field or member bytes; null marks a free slot.</summary>
        public byte[]? Key;
        /// <summary>The hash field's value (null for sets).</summary>
        public byte[]? Value;
        public int Hash;
        public int Next;
    }

    private int[] _buckets;   // 1-based index of the first entry of each chain, 0 = empty
    private Entry[] _entries;
    private int _used;        // slots handed out so far
    private int _count;
    private int _freeList = -1;
    private readonly bool _pairs;

    /// <param name="pairs">
    /// A hash's table: each entry's Key holds the field and its value in one array (<see cref="Pair"/>: the
    /// field's length as a varint, the field, the value) and Value stays null. One array per field instead
    /// of two saves an object header and a length, about 24 bytes a field.
    /// </param>
    public HashDict(int capacity = MinSize, bool pairs = false)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, MinSize));
        _buckets = new int[size];
        _entries = new Entry[size];
        _pairs = pairs;
    }

    /// <summary>One array holding <paramref name="field"/> and <paramref name="value"/> (for a table made with pairs).</summary>
    public static byte[] Pair(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        int prefix = 1;
        for (uint n = (uint)field.Length; n >= 0x80; n >>= 7) prefix++;
        var pair = new byte[prefix + field.Length + value.Length];
        int p = 0;
        for (uint n = (uint)field.Length; ; n >>= 7)
        {
            if (n < 0x80) { pair[p++] = (byte)n; break; }
            pair[p++] = (byte)(n | 0x80);
        }
        field.CopyTo(pair.AsSpan(p));
        value.CopyTo(pair.AsSpan(p + field.Length));
        return pair;
    }

    public static ReadOnlySpan<byte> FieldOf(byte[] pair)
    {
        int length = ReadPrefix(pair, out int p);
        return pair.AsSpan(p, length);
    }

    public static ReadOnlySpan<byte> ValueOf(byte[] pair)
    {
        int length = ReadPrefix(pair, out int p);
        return pair.AsSpan(p + length);
    }

    private static int ReadPrefix(byte[] pair, out int p)
    {
        int length = 0, shift = 0;
        p = 0;
        while (true)
        {
            byte b = pair[p++];
            length |= (b & 0x7f) << shift;
            if (b < 0x80) return length;
            shift += 7;
        }
    }

    /// <summary>The lookup key of a stored entry: the field of a pair, else the whole key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> KeyOf(byte[] stored) => _pairs ? FieldOf(stored) : stored;

    public int Count => _count;
    public int BucketCount => _buckets.Length;

    /// <summary>Slots handed out so far: iterate 0..SlotCount and skip free ones (<see cref="IsLive"/>).</summary>
    public int SlotCount => _used;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int HashOf(ReadOnlySpan<byte> key) => (int)XxHash3.HashToUInt64(key, Seed);

    public bool IsLive(int slot) => _entries[slot].Key is not null;
    public ref Entry At(int slot) => ref _entries[slot];

    public int Find(ReadOnlySpan<byte> key) => Find(key, HashOf(key));

    public int Find(ReadOnlySpan<byte> key, int hash)
    {
        var entries = _entries;
        int i = _buckets[hash & (_buckets.Length - 1)] - 1;
        while (i >= 0)
        {
            ref Entry e = ref entries[i];
            if (e.Hash == hash && key.SequenceEqual(KeyOf(e.Key!))) return i;
            i = e.Next;
        }
        return -1;
    }

    public bool Contains(ReadOnlySpan<byte> key) => Find(key) >= 0;

    /// <summary>The value of <paramref name="key"/> or null.</summary>
    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        System.Diagnostics.Debug.Assert(!_pairs, "a pair table's values are read with TryGetValue");
        int i = Find(key);
        return i >= 0 ? _entries[i].Value : null;
    }

    /// <summary>A pair table's value for <paramref name="field"/>.</summary>
    public bool TryGetValue(ReadOnlySpan<byte> field, out ReadOnlySpan<byte> value)
    {
        int i = Find(field);
        value = i >= 0 ? ValueOf(_entries[i].Key!) : default;
        return i >= 0;
    }

    /// <summary>Sets a pair table's field (both copied); returns true when the field was new.</summary>
    public bool SetPair(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        int hash = HashOf(field);
        int i = Find(field, hash);
        var pair = Pair(field, value);
        if (i >= 0)
        {
            _entries[i].Key = pair;
            return false;
        }
        AddNew(pair, null, hash);
        return true;
    }

    /// <summary>Inserts or updates; returns true when the key was new. The table keeps <paramref name="key"/>.</summary>
    public bool Set(byte[] key, byte[]? value)
    {
        System.Diagnostics.Debug.Assert(!_pairs, "a pair table is written with SetPair");
        int hash = HashOf(key);
        int i = Find(key, hash);
        if (i >= 0)
        {
            _entries[i].Value = value;
            return false;
        }
        AddNew(key, value, hash);
        return true;
    }

    /// <summary>Adds <paramref name="key"/> (copied) unless present; the value is created only when added.</summary>
    public bool TryAdd(ReadOnlySpan<byte> key, byte[]? value = null)
    {
        int hash = HashOf(key);
        if (Find(key, hash) >= 0) return false;
        AddNew(key.ToArray(), value, hash);
        return true;
    }

    /// <summary>Adds a key known to be absent.</summary>
    public void AddNew(byte[] key, byte[]? value) => AddNew(key, value, HashOf(key));

    /// <summary>Adds a key known to be absent, whose <see cref="HashOf"/> is <paramref name="hash"/>.</summary>
    public void AddNew(byte[] key, byte[]? value, int hash)
    {
        int index;
        if (_freeList >= 0)
        {
            index = _freeList;
            _freeList = _entries[index].Next;
        }
        else
        {
            if (_used == _entries.Length) Rebuild(_entries.Length * 2);
            index = _used++;
        }
        ref Entry e = ref _entries[index];
        e.Key = key;
        e.Value = value;
        e.Hash = hash;
        ref int bucket = ref _buckets[hash & (_buckets.Length - 1)];
        e.Next = bucket - 1;
        bucket = index + 1;
        _count++;
    }

    public bool Remove(ReadOnlySpan<byte> key)
    {
        int i = Find(key);
        if (i < 0) return false;
        RemoveAt(i);
        return true;
    }

    /// <summary>Removes the entry in <paramref name="slot"/>. May compact the table: slot numbers are then invalid.</summary>
    public void RemoveAt(int slot)
    {
        ref Entry target = ref _entries[slot];
        ref int bucket = ref _buckets[target.Hash & (_buckets.Length - 1)];
        int prev = -1, i = bucket - 1;
        while (i != slot)
        {
            prev = i;
            i = _entries[i].Next;
        }
        if (prev < 0) bucket = target.Next + 1;
        else _entries[prev].Next = target.Next;
        target = default;
        target.Next = _freeList;
        _freeList = slot;
        _count--;
        // Like Redis, give memory back when the table is mostly empty (under 1/8 full).
        if (_entries.Length > MinSize && _count * 8 < _entries.Length)
            Rebuild((int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(_count * 2, MinSize)));
    }

    /// <summary>Resizes to <paramref name="size"/> slots and buckets, packing live entries to the front.</summary>
    private void Rebuild(int size)
    {
        var entries = new Entry[size];
        var buckets = new int[size];
        int mask = size - 1, n = 0;
        for (int i = 0; i < _used; i++)
        {
            ref Entry src = ref _entries[i];
            if (src.Key is null) continue;
            ref Entry dst = ref entries[n];
            dst = src;
            ref int b = ref buckets[dst.Hash & mask];
            dst.Next = b - 1;
            b = n + 1;
            n++;
        }
        _entries = entries;
        _buckets = buckets;
        _used = n;
        _freeList = -1;
    }

    /// <summary>A random live slot, or -1 when empty.</summary>
    public int RandomSlot(Random random)
    {
        if (_count == 0) return -1;
        // The table is kept at least 1/8 full, so probing finishes quickly.
        while (true)
        {
            int i = random.Next(_used);
            if (_entries[i].Key is not null) return i;
        }
    }

    /// <summary>
    /// Calls <paramref name="visitor"/> for each entry of the bucket named by <paramref name="cursor"/> and returns
    /// the next cursor (0 when done), with the SCAN cursor of the key table (<see cref="Keyspace.ScanCursor"/>).
    /// </summary>
    public ulong ScanBucket<TVisitor>(ulong cursor, ref TVisitor visitor) where TVisitor : struct, IHashDictVisitor, allows ref struct
    {
        var step = new Keyspace.ScanCursor(cursor, _buckets.Length); // resizes happen at once: one array
        while (step.MoveNext(out _, out int bucket))
        {
            int i = _buckets[bucket] - 1;
            while (i >= 0)
            {
                visitor.Visit(ref _entries[i]);
                i = _entries[i].Next;
            }
        }
        return step.Next;
    }

    /// <summary>The table's arrays plus the keys and values, the first <paramref name="samples"/> live entries (0: all) extrapolated.</summary>
    public long MemoryUsage(int samples)
    {
        long bytes = MemorySize.Object(40) + MemorySize.Array(_buckets.Length, 4) + MemorySize.Array(_entries.Length, 24);
        long sampled = 0, sampledBytes = 0;
        if (samples == 0 || samples >= _count)
        {
            for (int i = 0; i < _used; i++)
            {
                ref Entry e = ref _entries[i];
                if (e.Key is null) continue;
                sampledBytes += MemorySize.Bytes(e.Key) + MemorySize.Bytes(e.Value);
                sampled++;
            }
        }
        else
        {
            // Samples spread over the entries: they are in insertion order, and the first ones alone would
            // stand for the oldest elements only (Redis' dict iteration samples in hash order, effectively
            // at random).
            int stride = Math.Max(1, _used / samples);
            for (int start = 0; start < _used && sampled < samples; start += stride)
            {
                int i = start;
                while (i < _used && _entries[i].Key is null) i++;
                if (i == _used) break;
                ref Entry e = ref _entries[i];
                sampledBytes += MemorySize.Bytes(e.Key) + MemorySize.Bytes(e.Value);
                sampled++;
            }
        }
        return bytes + MemorySize.Extrapolate(sampledBytes, sampled, _count);
    }

    public HashDict Clone()
    {
        var copy = new HashDict(_entries.Length, _pairs);
        for (int i = 0; i < _used; i++)
        {
            ref Entry e = ref _entries[i];
            if (e.Key is not null) copy.AddNew(e.Key.ToArray(), e.Value?.ToArray(), e.Hash);
        }
        return copy;
    }
}

public interface IHashDictVisitor
{
    void Visit(ref HashDict.Entry entry);
}
