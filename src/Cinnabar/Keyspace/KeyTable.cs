using System.IO.Hashing;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Cinnabar.Keyspace;

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
    /// Last access on Redis' 24-bit seconds clock (OBJECT IDLETIME). Kept instead of the key's hash so the
    /// entry stays 32 bytes; the table recomputes hashes on removal and resize.
    /// </summary>
    public int LruSeconds;
    /// <summary>Next entry in the bucket chain (or in the free list), -1 at the end.</summary>
    public int Next;
}

/// <summary>
/// An open hash table keyed by byte strings, looked up by span without allocating.
/// Entries live in one array (like Dictionary), chained per power-of-two bucket so that SCAN can use
/// Redis' reverse-binary cursor, which visits every key present for the whole iteration even when the
/// table is resized between calls. Not thread-safe: the server serialises access.
/// </summary>
public sealed class KeyTable
{
    private static readonly long HashSeed = RandomNumberGenerator.GetInt32(int.MaxValue);

    private int[] _buckets;        // 1-based index of the first entry of each chain, 0 = empty
    private KeyEntry[] _entries;
    private int _used;             // entries[0.._used) have been handed out at some point
    private int _count;
    private int _freeList = -1;
    private int _freeCount;

    public KeyTable(int capacity = 16)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 4));
        _buckets = new int[size];
        _entries = new KeyEntry[size];
    }

    public int Count => _count;

    /// <summary>Number of buckets (a power of two); SCAN cursors are bucket positions.</summary>
    public int BucketCount => _buckets.Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int HashOf(ReadOnlySpan<byte> key) => (int)XxHash3.HashToUInt64(key, HashSeed);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref KeyEntry EntryAt(int index) => ref _entries[index];

    /// <summary>Index of the entry for <paramref name="key"/>, or -1.</summary>
    public int Find(ReadOnlySpan<byte> key) => Find(key, HashOf(key));

    public int Find(ReadOnlySpan<byte> key, int hash)
    {
        var entries = _entries;
        int i = _buckets[hash & (_buckets.Length - 1)] - 1;
        while (i >= 0)
        {
            ref KeyEntry e = ref entries[i];
            if (key.SequenceEqual(e.Key)) return i;
            i = e.Next;
        }
        return -1;
    }

    /// <summary>Adds a key known to be absent; returns its entry index. The table keeps <paramref name="key"/>.</summary>
    public int Add(byte[] key, int hash, object value, long expireAt = 0)
    {
        int index;
        if (_freeCount > 0)
        {
            index = _freeList;
            _freeList = _entries[index].Next;
            _freeCount--;
        }
        else
        {
            if (_used == _entries.Length) Resize(_entries.Length * 2);
            index = _used++;
        }
        ref KeyEntry e = ref _entries[index];
        e.Key = key;
        e.Value = value;
        e.ExpireAt = expireAt;
        e.LruSeconds = 0;
        ref int bucket = ref _buckets[hash & (_buckets.Length - 1)];
        e.Next = bucket - 1;
        bucket = index + 1;
        _count++;
        return index;
    }

    /// <summary>Removes the entry at <paramref name="index"/>.</summary>
    public void RemoveAt(int index)
    {
        ref KeyEntry target = ref _entries[index];
        ref int bucket = ref _buckets[HashOf(target.Key) & (_buckets.Length - 1)];
        int prev = -1, i = bucket - 1;
        while (i != index)
        {
            prev = i;
            i = _entries[i].Next;
        }
        if (prev < 0) bucket = target.Next + 1;
        else _entries[prev].Next = target.Next;

        target.Key = null;
        target.Value = null;
        target.ExpireAt = 0;
        target.LruSeconds = 0;
        target.Next = _freeList;
        _freeList = index;
        _freeCount++;
        _count--;
    }

    public void Clear()
    {
        int size = 16;
        _buckets = new int[size];
        _entries = new KeyEntry[size];
        _used = 0;
        _count = 0;
        _freeList = -1;
        _freeCount = 0;
    }

    private void Resize(int newSize)
    {
        var entries = new KeyEntry[newSize];
        Array.Copy(_entries, entries, _used);
        var buckets = new int[newSize];
        int mask = newSize - 1;
        for (int i = 0; i < _used; i++)
        {
            if (entries[i].Key is null) continue;
            ref int b = ref buckets[HashOf(entries[i].Key) & mask];
            entries[i].Next = b - 1;
            b = i + 1;
        }
        _entries = entries;
        _buckets = buckets;
    }

    /// <summary>
    /// Visits the chain of the bucket named by <paramref name="cursor"/> and returns the next cursor
    /// (0 when the iteration is complete). Redis' dictScan: the cursor's bits are incremented from the
    /// top so that buckets split or merged by a resize are neither skipped nor (mostly) repeated.
    /// </summary>
    public ulong ScanBucket<TVisitor>(ulong cursor, ref TVisitor visitor) where TVisitor : struct, IEntryVisitor, allows ref struct
    {
        if (_count == 0) return 0; // as dictScan: an empty table ends the iteration at once
        ulong mask = (ulong)_buckets.Length - 1;
        int i = _buckets[(int)(cursor & mask)] - 1;
        while (i >= 0)
        {
            int next = _entries[i].Next;
            visitor.Visit(i, ref _entries[i]);
            i = next;
        }
        cursor |= ~mask;
        cursor = ReverseBits(cursor);
        cursor++;
        cursor = ReverseBits(cursor);
        return cursor;
    }

    private static ulong ReverseBits(ulong v)
    {
        v = ((v >> 1) & 0x5555555555555555UL) | ((v & 0x5555555555555555UL) << 1);
        v = ((v >> 2) & 0x3333333333333333UL) | ((v & 0x3333333333333333UL) << 2);
        v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FUL) | ((v & 0x0F0F0F0F0F0F0F0FUL) << 4);
        return System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v);
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
                if (_entries[i].Key is not null && skip-- == 0) return i;
            return -1;
        }
        while (true)
        {
            int i = random.Next(_used);
            if (_entries[i].Key is not null) return i;
        }
    }

    /// <summary>Slots handed out so far; valid entry indexes are below this (some may be free).</summary>
    public int SlotCount => _used;

    public bool IsOccupied(int index) => index < _used && _entries[index].Key is not null;

    /// <summary>
    /// A shallow copy of the used entry slots (keys, value references, expiry) for a point-in-time snapshot:
    /// a plain array copy, so it is fast even for millions of keys. Free slots have a null Key.
    /// </summary>
    internal KeyEntry[] CopyEntries() => _entries.AsSpan(0, _used).ToArray();
}

public interface IEntryVisitor
{
    void Visit(int index, ref KeyEntry entry);
}
