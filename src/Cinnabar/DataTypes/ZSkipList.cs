using System.Runtime.CompilerServices;

namespace Cinnabar.DataTypes;

/// <summary>
/// The skiplist encoding of a sorted set (Redis' zset: a zskiplist plus a dict). Nodes are ordered by
/// (score, member bytes) and their links carry spans, so rank lookups and the start of a range are O(log n);
/// the member table gives O(1) score lookups.
/// </summary>
public sealed class ZSkipList
{
    private const int MaxLevel = 32;
    private const double LevelProbability = 0.25;

    /// <summary>One level's link of a node: the next node at that level and how many elements it skips.</summary>
    public struct Link
    {
        public Node? Forward;
        public long Span;
    }

    /// <summary>
    /// A skip-list node. Its links are inline, as in Redis' flexible array: level 0 in every node, the
    /// levels above it in a subclass sized for the node's height (<see cref="Create"/>), so walking an upper
    /// level reads the node itself rather than a separate link array (one cache miss per step, not two).
    /// </summary>
    public class Node
    {
        public readonly byte[] Member;
        public double Score;
        public Node? Backward;
        private Link _level0;
        private readonly int _height;
        /// <summary>The member's hash, for the member index (it fills what would be padding after the height).</summary>
        internal int Hash;

        private protected Node(int height, double score, byte[] member)
        {
            Member = member;
            Score = score;
            _height = height;
        }

        /// <summary>A node with <paramref name="height"/> levels, of the smallest class that holds them.</summary>
        public static Node Create(int height, double score, byte[] member) => height switch
        {
            1 => new Node(1, score, member),
            <= 4 => new Node4(height, score, member),
            <= 8 => new Node8(height, score, member),
            _ => new Node32(height, score, member),
        };

        public int Height => _height;

        /// <summary>
        /// Link <paramref name="i"/> (below <see cref="Height"/>). The subclasses differ only in the length of
        /// their one inline array, which sits at the same offset in each, so it is read through the largest.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal ref Link Level(int i)
        {
            if (i == 0) return ref _level0;
            System.Diagnostics.Debug.Assert(i < _height);
            return ref Unsafe.As<Node32>(this).Upper[i - 1];
        }

        public Node? Next => _level0.Forward;
    }

    [InlineArray(3)] private struct Links3 { private Link _first; }
    [InlineArray(7)] private struct Links7 { private Link _first; }
    [InlineArray(MaxLevel - 1)] private struct Links31 { private Link _first; }

    private sealed class Node4(int height, double score, byte[] member) : Node(height, score, member) { internal Links3 Upper; }
    private sealed class Node8(int height, double score, byte[] member) : Node(height, score, member) { internal Links7 Upper; }
    private sealed class Node32(int height, double score, byte[] member) : Node(height, score, member) { internal Links31 Upper; }

    private sealed class RawObject { public byte FirstField = 0; }

    /// <summary>What <see cref="Node.Level"/> relies on: each node class's upper links start at the same offset.</summary>
    internal static bool UpperLinksShareOneOffset()
    {
        static nint Offset(Node node, ref Link upper) =>
            Unsafe.ByteOffset(ref Unsafe.As<RawObject>(node).FirstField, ref Unsafe.As<Link, byte>(ref upper));
        var n4 = new Node4(4, 0, []);
        var n8 = new Node8(8, 0, []);
        var n32 = new Node32(MaxLevel, 0, []);
        nint expected = Offset(n32, ref n32.Upper[0]);
        return Offset(n4, ref n4.Upper[0]) == expected && Offset(n8, ref n8.Upper[0]) == expected;
    }

    /// <summary>The header's levels grow with the tallest node, so a small set does not carry 32 empty links.</summary>
    private Node _header = Node.Create(4, 0, []);
    private Node? _tail;
    private int _level = 1;
    private int _count;
    /// <summary>
    /// The member index (Redis' zset dict): open addressing over the nodes themselves, linear probing and
    /// backward-shift deletion, at most 3/4 full. A slot is one reference (Dictionary's entry and bucket took
    /// 28 bytes), and since a node keeps its member's hash, probing compares hashes before bytes and growing
    /// never hashes a member again.
    /// </summary>
    private Node?[] _slots;

    public ZSkipList(int capacity = 0) => _slots = new Node?[SlotsFor(capacity)];

    private static int SlotsFor(int count) => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(8, count + count / 3 + 1));

    public int Count => _count;
    public Node? First => _header.Level(0).Forward;
    public Node? Last => _tail;

    /// <summary>Nodes and members, the first <paramref name="samples"/> (0: all) extrapolated, plus the member table.</summary>
    public long MemoryUsage(int samples)
    {
        long bytes = MemorySize.Object(40) + MemorySize.Array(_slots.Length, 8);
        long sampled = 0, sampledBytes = 0;
        for (var n = First; n is not null && (samples == 0 || sampled < samples); n = n.Next)
        {
            int links = n.Height switch { 1 => 0, <= 4 => 3, <= 8 => 7, _ => MaxLevel - 1 };
            sampledBytes += MemorySize.Object(48 + links * 16) + MemorySize.Bytes(n.Member);
            sampled++;
        }
        return bytes + MemorySize.Extrapolate(sampledBytes, sampled, _count);
    }

    public Node? Find(ReadOnlySpan<byte> member)
    {
        int hash = HashDict.HashOf(member), mask = _slots.Length - 1;
        for (int i = hash & mask; _slots[i] is { } n; i = (i + 1) & mask)
            if (n.Hash == hash && n.Member.AsSpan().SequenceEqual(member)) return n;
        return null;
    }

    private void IndexAdd(Node node)
    {
        if ((_count + 1) * 4L > _slots.Length * 3L) Reindex(_slots.Length * 2);
        int mask = _slots.Length - 1, i = node.Hash & mask;
        for (; _slots[i] is { } n; i = (i + 1) & mask)
            if (n.Hash == node.Hash && n.Member.AsSpan().SequenceEqual(node.Member))
                throw new ArgumentException("the member is already in the sorted set");
        _slots[i] = node;
    }

    /// <summary>Removes the node's slot and moves later slots of the same probe run back (no tombstones).</summary>
    private void IndexRemove(Node node)
    {
        int mask = _slots.Length - 1, i = node.Hash & mask;
        while (!ReferenceEquals(_slots[i], node)) i = (i + 1) & mask;
        for (int j = (i + 1) & mask; _slots[j] is { } n; j = (j + 1) & mask)
        {
            int home = n.Hash & mask;
            // n may fill the hole at i unless its home slot lies cyclically in (i, j].
            bool homeBetween = i <= j ? home > i && home <= j : home > i || home <= j;
            if (homeBetween) continue;
            _slots[i] = n;
            i = j;
        }
        _slots[i] = null;
        // Give memory back when the set has shrunk to an eighth, as Redis' dicts do.
        if (_slots.Length > 64 && (_count - 1) * 8L < _slots.Length) Reindex(SlotsFor(_count - 1));
    }

    private void Reindex(int size)
    {
        var old = _slots;
        _slots = new Node?[size];
        int mask = size - 1;
        foreach (var n in old)
        {
            if (n is null) continue;
            int i = n.Hash & mask;
            while (_slots[i] is not null) i = (i + 1) & mask;
            _slots[i] = n;
        }
    }

    /// <summary>Adds a member that is not present; the array is kept, not copied.</summary>
    public Node Insert(double score, byte[] member)
    {
        var node = Node.Create(RandomLevel(), score, member);
        node.Hash = HashDict.HashOf(member);
        IndexAdd(node);
        LinkNode(node, _count);
        _count++;
        return node;
    }

    /// <summary>Changes the score of a member's node, keeping the order.</summary>
    public void UpdateScore(Node node, double newScore)
    {
        // In place when the node stays between its neighbours (Redis' zslUpdateScore fast path).
        if ((node.Backward is null || Compare(node.Backward.Score, node.Backward.Member, newScore, node.Member) < 0) &&
            (node.Next is null || Compare(node.Next.Score, node.Next.Member, newScore, node.Member) > 0))
        {
            node.Score = newScore;
            return;
        }
        // Otherwise unlink the node and link the same node (same level, same member-table entry) again.
        UnlinkNode(node);
        node.Score = newScore;
        LinkNode(node, Count - 1);
    }

    public void Delete(Node node)
    {
        IndexRemove(node);
        UnlinkNode(node);
        _count--;
    }

    private static int Compare(double s1, byte[] m1, double s2, byte[] m2)
    {
        if (s1 < s2) return -1;
        if (s1 > s2) return 1;
        return m1.AsSpan().SequenceCompareTo(m2);
    }

    private static int RandomLevel()
    {
        int level = 1;
        while (level < MaxLevel && Random.Shared.NextDouble() < LevelProbability) level++;
        return level;
    }

    /// <summary>Scratch for the per-level predecessors of an insert or delete, kept on the stack.</summary>
    [InlineArray(MaxLevel)]
    private struct NodeLevels
    {
        private Node _element;
    }

    /// <summary>
    /// zslInsert for an existing node object: finds its place by (score, member) and links every level.
    /// <paramref name="length"/> is the number of nodes linked before this one.
    /// </summary>
    private void LinkNode(Node node, int length)
    {
        NodeLevels update = default;
        Span<long> rank = stackalloc long[MaxLevel];
        double score = node.Score;
        byte[] member = node.Member;
        if (node.Height > _header.Height) GrowHeader(node.Height);
        var x = _header;
        for (int i = _level - 1; i >= 0; i--)
        {
            rank[i] = i == _level - 1 ? 0 : rank[i + 1];
            while (x.Level(i).Forward is { } f && Compare(f.Score, f.Member, score, member) < 0)
            {
                rank[i] += x.Level(i).Span;
                x = f;
            }
            update[i] = x;
        }
        int level = node.Height;
        if (level > _level)
        {
            for (int i = _level; i < level; i++)
            {
                rank[i] = 0;
                update[i] = _header;
                _header.Level(i).Span = length;
            }
            _level = level;
        }
        for (int i = 0; i < level; i++)
        {
            node.Level(i).Forward = update[i].Level(i).Forward;
            update[i].Level(i).Forward = node;
            node.Level(i).Span = update[i].Level(i).Span - (rank[0] - rank[i]);
            update[i].Level(i).Span = rank[0] - rank[i] + 1;
        }
        for (int i = level; i < _level; i++) update[i].Level(i).Span++;
        node.Backward = update[0] == _header ? null : update[0];
        if (node.Level(0).Forward is { } next) next.Backward = node; else _tail = node;
    }

    /// <summary>A taller header with the same links (done before a search, so no stale header is held).</summary>
    private void GrowHeader(int level)
    {
        var header = Node.Create(Math.Min(MaxLevel, Math.Max(level, _header.Height * 2)), 0, []);
        for (int i = 0; i < _header.Height; i++) header.Level(i) = _header.Level(i);
        _header = header;
    }

    /// <summary>zslDeleteNode: removes the node from every level; the member table is left to the caller.</summary>
    private void UnlinkNode(Node node)
    {
        NodeLevels update = default;
        var x = _header;
        for (int i = _level - 1; i >= 0; i--)
        {
            while (x.Level(i).Forward is { } f && Compare(f.Score, f.Member, node.Score, node.Member) < 0) x = f;
            update[i] = x;
        }
        for (int i = 0; i < _level; i++)
        {
            if (update[i].Level(i).Forward == node)
            {
                update[i].Level(i).Span += node.Level(i).Span - 1;
                update[i].Level(i).Forward = node.Level(i).Forward;
            }
            else update[i].Level(i).Span--;
        }
        if (node.Level(0).Forward is { } next) next.Backward = node.Backward; else _tail = node.Backward;
        while (_level > 1 && _header.Level(_level - 1).Forward is null) _level--;
    }

    /// <summary>0-based ascending rank of a node of this list.</summary>
    public long RankOf(Node target)
    {
        long rank = 0;
        var x = _header;
        for (int i = _level - 1; i >= 0; i--)
        {
            while (x.Level(i).Forward is { } f && Compare(f.Score, f.Member, target.Score, target.Member) <= 0)
            {
                rank += x.Level(i).Span;
                x = f;
            }
            if (x == target) return rank - 1;
        }
        return -1;
    }

    /// <summary>The node at 0-based ascending <paramref name="rank"/>, or null.</summary>
    public Node? AtRank(long rank)
    {
        if (rank < 0 || rank >= Count) return null;
        long traversed = 0;
        var x = _header;
        rank++;
        for (int i = _level - 1; i >= 0; i--)
        {
            while (x.Level(i).Forward is not null && traversed + x.Level(i).Span <= rank)
            {
                traversed += x.Level(i).Span;
                x = x.Level(i).Forward!;
            }
            if (traversed == rank) return x;
        }
        return null;
    }

    /// <summary>First node whose score is within the range (from the low end), or null.</summary>
    public Node? FirstInRange(in ScoreRange range)
    {
        var x = _header;
        for (int i = _level - 1; i >= 0; i--)
            while (x.Level(i).Forward is { } f && !range.GteMin(f.Score)) x = f;
        var n = x.Level(0).Forward;
        return n is not null && range.LteMax(n.Score) ? n : null;
    }

    /// <summary>Last node whose score is within the range, or null.</summary>
    public Node? LastInRange(in ScoreRange range)
    {
        var x = _header;
        for (int i = _level - 1; i >= 0; i--)
            while (x.Level(i).Forward is { } f && range.LteMax(f.Score)) x = f;
        return x != _header && range.GteMin(x.Score) ? x : null;
    }

    /// <summary>zslIsInLexRange: checked before a lex search, as Redis does (it decides the answer when scores are mixed).</summary>
    private bool MayHoldLexRange(in LexRange range) =>
        _tail is not null && !range.IsEmpty && range.GteMin(_tail.Member) && range.LteMax(First!.Member);

    public Node? FirstInLexRange(in LexRange range)
    {
        if (!MayHoldLexRange(range)) return null;
        var x = _header;
        for (int i = _level - 1; i >= 0; i--)
            while (x.Level(i).Forward is { } f && !range.GteMin(f.Member)) x = f;
        var n = x.Level(0).Forward;
        return n is not null && range.LteMax(n.Member) ? n : null;
    }

    public Node? LastInLexRange(in LexRange range)
    {
        if (!MayHoldLexRange(range)) return null;
        var x = _header;
        for (int i = _level - 1; i >= 0; i--)
            while (x.Level(i).Forward is { } f && range.LteMax(f.Member)) x = f;
        return x != _header && range.GteMin(x.Member) ? x : null;
    }
}
