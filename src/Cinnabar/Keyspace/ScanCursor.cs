namespace Cinnabar.Keyspace;

/// <summary>
/// One step of Redis' SCAN cursor over a power-of-two bucket array (dictScan), shared by the key table and the
/// hash/set table: which buckets a cursor names, and the next cursor. The cursor's bits are incremented from
/// the top (reverse binary), so buckets split or merged by a resize between calls are neither skipped nor
/// (mostly) repeated. While a table rehashes into a second array, the smaller array's bucket is visited
/// together with every bucket of the larger one that it expands into. The tables walk their own chains.
/// </summary>
public struct ScanCursor
{
    private ulong _cursor;
    private readonly ulong _smallMask, _largeMask;
    private readonly bool _smallIsRehashing, _largeIsRehashing;
    private int _phase; // 0: the smaller array's bucket is next, 1: the larger array's buckets, 2: done

    /// <param name="cursor">The cursor the client sent.</param>
    /// <param name="bucketCount">Buckets of the table's array (a power of two).</param>
    /// <param name="rehashingBucketCount">Buckets of the array being rehashed from, 0 when not rehashing.</param>
    public ScanCursor(ulong cursor, int bucketCount, int rehashingBucketCount = 0)
    {
        _cursor = cursor;
        if (rehashingBucketCount == 0)
        {
            _smallMask = _largeMask = (ulong)bucketCount - 1;
            _phase = 1;
        }
        else
        {
            _smallIsRehashing = rehashingBucketCount < bucketCount;
            _largeIsRehashing = !_smallIsRehashing;
            _smallMask = (ulong)Math.Min(bucketCount, rehashingBucketCount) - 1;
            _largeMask = (ulong)Math.Max(bucketCount, rehashingBucketCount) - 1;
        }
    }

    /// <summary>The next bucket to visit: its index, and whether it is in the array being rehashed from.</summary>
    public bool MoveNext(out bool inRehashing, out int bucket)
    {
        switch (_phase)
        {
            case 0:
                _phase = 1;
                inRehashing = _smallIsRehashing;
                bucket = (int)(_cursor & _smallMask);
                return true;
            case 1:
                inRehashing = _largeIsRehashing;
                bucket = (int)(_cursor & _largeMask);
                _cursor = Increment(_cursor, _largeMask);
                // The larger array's buckets that share the smaller one's low bits differ only in the high bits.
                if ((_cursor & (_smallMask ^ _largeMask)) == 0) _phase = 2;
                return true;
            default:
                inRehashing = false;
                bucket = -1;
                return false;
        }
    }

    /// <summary>The cursor to return to the client once every bucket was visited (0: the iteration is complete).</summary>
    public readonly ulong Next => _cursor;

    /// <summary>Increments the cursor's bits under <paramref name="mask"/> from the top.</summary>
    public static ulong Increment(ulong cursor, ulong mask)
    {
        cursor |= ~mask;
        cursor = ReverseBits(cursor);
        cursor++;
        return ReverseBits(cursor);
    }

    private static ulong ReverseBits(ulong v)
    {
        v = ((v >> 1) & 0x5555555555555555UL) | ((v & 0x5555555555555555UL) << 1);
        v = ((v >> 2) & 0x3333333333333333UL) | ((v & 0x3333333333333333UL) << 2);
        v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FUL) | ((v & 0x0F0F0F0F0F0F0F0FUL) << 4);
        return System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v);
    }
}
