using Cinnabar.Config;
using Cinnabar.Keyspace;

namespace Cinnabar.DataTypes;

/// <summary>
/// A sorted set: a skip list ordered by (score, member bytes) whose links carry spans, so rank lookups and
/// the start of a range are O(log n) (Redis' zskiplist), plus a member table for O(1) score lookups by span.
/// OBJECT ENCODING reports "listpack" until the set outgrows zset-max-listpack-entries/-value, then
/// "skiplist" for good, as Redis converts.
/// </summary>
public sealed class SortedSetValue : IRedisObject
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
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        internal ref Link Level(int i)
        {
            if (i == 0) return ref _level0;
            System.Diagnostics.Debug.Assert(i < _height);
            return ref System.Runtime.CompilerServices.Unsafe.As<Node32>(this).Upper[i - 1];
        }

        public Node? Next => _level0.Forward;
    }

    [System.Runtime.CompilerServices.InlineArray(3)] private struct Links3 { private Link _first; }
    [System.Runtime.CompilerServices.InlineArray(7)] private struct Links7 { private Link _first; }
    [System.Runtime.CompilerServices.InlineArray(MaxLevel - 1)] private struct Links31 { private Link _first; }

    private sealed class Node4(int height, double score, byte[] member) : Node(height, score, member) { internal Links3 Upper; }
    private sealed class Node8(int height, double score, byte[] member) : Node(height, score, member) { internal Links7 Upper; }
    private sealed class Node32(int height, double score, byte[] member) : Node(height, score, member) { internal Links31 Upper; }

    private sealed class RawObject { public byte FirstField = 0; }

    /// <summary>What <see cref="Node.Level"/> relies on: each node class's upper links start at the same offset.</summary>
    internal static bool UpperLinksShareOneOffset()
    {
        static nint Offset(Node node, ref Link upper) =>
            System.Runtime.CompilerServices.Unsafe.ByteOffset(ref System.Runtime.CompilerServices.Unsafe.As<RawObject>(node).FirstField,
                ref System.Runtime.CompilerServices.Unsafe.As<Link, byte>(ref upper));
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
    // The member table exists only in the skiplist encoding; a listpack-sized set (at most
    // zset-max-listpack-entries members) is searched along level 0, as Redis searches its listpack.
    private Dictionary<byte[], Node>? _members;
    private Dictionary<byte[], Node>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    public SortedSetValue(bool listpack = true)
    {
        IsListpack = listpack;
    }

    /// <summary>Redis' zsetTypeCreate: listpack when the expected size and first member fit.</summary>
    public static SortedSetValue Create(long sizeHint, long memberLengthHint, ServerConfig config) =>
        new(sizeHint <= config.ZSetMaxListpackEntries && memberLengthHint <= config.ZSetMaxListpackValue);

    public bool IsListpack
    {
        get;
        private set
        {
            field = value;
            if (value) _members = null;
            else if (_members is null) BuildMemberTable();
        }
    }

    public int Count => _count;

    private void BuildMemberTable()
    {
        _members = new Dictionary<byte[], Node>(_count, ByteArrayComparer.Instance);
        _lookup = _members.GetAlternateLookup<ReadOnlySpan<byte>>();
        for (var n = First; n is not null; n = n.Next) _members[n.Member] = n;
    }

    private bool TryFind(ReadOnlySpan<byte> member, out Node node)
    {
        if (_members is not null) return _lookup.TryGetValue(member, out node!);
        for (var n = First; n is not null; n = n.Next)
            if (member.SequenceEqual(n.Member)) { node = n; return true; }
        node = null!;
        return false;
    }
    public string TypeName => "zset";
    public string GetEncoding(ServerConfig config) => IsListpack ? "listpack" : "skiplist";
    public Node? First => _header.Level(0).Forward;
    public Node? Last => _tail;

    public IRedisObject DeepClone()
    {
        var clone = new SortedSetValue(IsListpack);
        for (var n = First; n is not null; n = n.Next) clone.Insert(n.Score, n.Member);
        return clone;
    }

    /// <summary>zsetTypeMaybeConvert: about to add up to <paramref name="sizeHint"/> elements.</summary>
    public void MaybeConvert(long sizeHint, ServerConfig config)
    {
        if (IsListpack && sizeHint > config.ZSetMaxListpackEntries) IsListpack = false;
    }

    /// <summary>Converts back to the compact encoding when small enough (results of STORE operations).</summary>
    public void ConvertToListpackIfSmall(ServerConfig config)
    {
        if (IsListpack || Count > config.ZSetMaxListpackEntries) return;
        for (var n = First; n is not null; n = n.Next)
            if (n.Member.Length > config.ZSetMaxListpackValue) return;
        IsListpack = true;
    }

    public bool TryGetScore(ReadOnlySpan<byte> member, out double score)
    {
        if (TryFind(member, out var node)) { score = node.Score; return true; }
        score = 0;
        return false;
    }

    public Node? Find(ReadOnlySpan<byte> member) => TryFind(member, out var n) ? n : null;

    /// <summary>Adds a member that is not present (converting the encoding first when it would outgrow it).</summary>
    public Node Add(byte[] member, double score, ServerConfig config)
    {
        if (IsListpack && (Count + 1 > config.ZSetMaxListpackEntries || member.Length > config.ZSetMaxListpackValue)) IsListpack = false;
        return Insert(score, member);
    }

    /// <summary>Changes the score of an existing member, keeping the order.</summary>
    public void UpdateScore(Node node, double newScore)
    {
        // In place when the node stays between its neighbours (Redis' zslUpdateScore fast path).
        if ((node.Backward is null || Compare(node.Backward.Score, node.Backward.Member, newScore, node.Member) < 0) &&
            (node.Level(0).Forward is null || Compare(node.Level(0).Forward!.Score, node.Level(0).Forward!.Member, newScore, node.Member) > 0))
        {
            node.Score = newScore;
            return;
        }
        // Otherwise unlink the node and link the same node (same level, same member-table entry) again.
        UnlinkNode(node);
        node.Score = newScore;
        LinkNode(node, Count - 1);
    }

    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (!TryFind(member, out var node)) return false;
        Delete(node);
        return true;
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
    [System.Runtime.CompilerServices.InlineArray(MaxLevel)]
    private struct NodeLevels
    {
        private Node _element;
    }

    private Node Insert(double score, byte[] member)
    {
        var node = Node.Create(RandomLevel(), score, member);
        LinkNode(node, _count);
        _count++;
        _members?.Add(member, node);
        return node;
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

    private void Delete(Node node)
    {
        UnlinkNode(node);
        _count--;
        _members?.Remove(node.Member);
    }

    /// <summary>zslDeleteNode: removes the node from every level; the member table is left to the caller.</summary>
    private Node UnlinkNode(Node node)
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
        return node;
    }

    /// <summary>0-based rank of a member (ascending), or -1.</summary>
    public long RankOf(ReadOnlySpan<byte> member)
    {
        if (!TryFind(member, out var target)) return -1;
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

    public Node? FirstInLexRange(in LexRange range)
    {
        var x = _header;
        for (int i = _level - 1; i >= 0; i--)
            while (x.Level(i).Forward is { } f && !range.GteMin(f.Member)) x = f;
        var n = x.Level(0).Forward;
        return n is not null && range.LteMax(n.Member) ? n : null;
    }

    public Node? LastInLexRange(in LexRange range)
    {
        var x = _header;
        for (int i = _level - 1; i >= 0; i--)
            while (x.Level(i).Forward is { } f && range.LteMax(f.Member)) x = f;
        return x != _header && range.GteMin(x.Member) ? x : null;
    }

    /// <summary>Number of elements whose 0-based rank is below that of <paramref name="node"/>.</summary>
    public long RankOf(Node node) => RankOf(node.Member);

    public IEnumerable<Node> Ascending()
    {
        for (var n = First; n is not null; n = n.Next) yield return n;
    }
}

/// <summary>A score interval as ZRANGEBYSCORE takes it: "(" makes an end exclusive.</summary>
public readonly record struct ScoreRange(double Min, double Max, bool MinExclusive, bool MaxExclusive)
{
    public bool GteMin(double v) => MinExclusive ? v > Min : v >= Min;
    public bool LteMax(double v) => MaxExclusive ? v < Max : v <= Max;
    public bool IsEmpty => Min > Max || (Min == Max && (MinExclusive || MaxExclusive));
}

/// <summary>A lexicographic interval ("[a", "(a", "-", "+") over raw member bytes.</summary>
public readonly record struct LexRange(byte[]? Min, byte[]? Max, bool MinExclusive, bool MaxExclusive, bool MinIsNegInf, bool MinIsPosInf, bool MaxIsNegInf, bool MaxIsPosInf)
{
    private static int Cmp(byte[] a, bool aNeg, bool aPos, byte[] b) => aNeg ? -1 : aPos ? 1 : a.AsSpan().SequenceCompareTo(b);

    public bool GteMin(byte[] v)
    {
        if (MinIsNegInf) return true;
        if (MinIsPosInf) return false;
        int c = v.AsSpan().SequenceCompareTo(Min);
        return MinExclusive ? c > 0 : c >= 0;
    }

    public bool LteMax(byte[] v)
    {
        if (MaxIsPosInf) return true;
        if (MaxIsNegInf) return false;
        int c = v.AsSpan().SequenceCompareTo(Max);
        return MaxExclusive ? c < 0 : c <= 0;
    }

    /// <summary>Redis' zslIsInLexRange pre-check: a range whose min is above its max holds nothing.</summary>
    public bool IsEmpty
    {
        get
        {
            if (MinIsPosInf || MaxIsNegInf) return true;
            if (MinIsNegInf || MaxIsPosInf) return false;
            int c = Min.AsSpan().SequenceCompareTo(Max);
            return c > 0 || (c == 0 && (MinExclusive || MaxExclusive));
        }
    }
}
