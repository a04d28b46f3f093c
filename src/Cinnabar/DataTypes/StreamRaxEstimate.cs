using System.Buffers.Binary;

namespace Cinnabar.DataTypes;

/// <summary>
/// XINFO STREAM's "radix-tree-nodes": the node count Redis' rax would have for the stream's node keys
/// (each node's master ID as 16 big-endian bytes). In a rax a node starts at the root, at every branching
/// point, at every child of a branching point and where a key ends; chains between them are compressed.
/// </summary>
public static class StreamRaxEstimate
{
    private const int KeyLength = 16;

    public static long NodeCount(StreamValue s)
    {
        int n = s.NodeCount;
        if (n == 0) return 1;
        var keys = new byte[n][];
        for (int i = 0; i < n; i++)
        {
            var k = new byte[KeyLength];
            var id = s.NodeAt(i).Master;
            BinaryPrimitives.WriteUInt64BigEndian(k, id.Ms);
            BinaryPrimitives.WriteUInt64BigEndian(k.AsSpan(8), id.Seq);
            keys[i] = k;
        }
        return CountFrom(keys, 0, n, 0);
    }

    /// <summary>Rax nodes under a node that starts at <paramref name="depth"/> for sorted keys [lo, hi).</summary>
    private static long CountFrom(byte[][] keys, int lo, int hi, int depth)
    {
        if (hi - lo == 1) return depth < KeyLength ? 2 : 1;
        int lcp = depth;
        while (lcp < KeyLength && keys[lo][lcp] == keys[hi - 1][lcp]) lcp++;
        return lcp > depth ? 1 + Branch(keys, lo, hi, lcp) : Branch(keys, lo, hi, depth);
    }

    private static long Branch(byte[][] keys, int lo, int hi, int depth)
    {
        long total = 1;
        int start = lo;
        for (int i = lo + 1; i <= hi; i++)
        {
            if (i == hi || keys[i][depth] != keys[start][depth])
            {
                total += CountFrom(keys, start, i, depth + 1);
                start = i;
            }
        }
        return total;
    }
}
