using Cinnabar.Config;
using Cinnabar.Protocol;

namespace Cinnabar.DataTypes;

/// <summary>
/// A position in a sorted set, valid until the set changes: a skip-list node, or the offset of a member
/// entry in the packed buffer. <c>default</c> is no position.
/// </summary>
public readonly struct ZPos
{
    internal readonly ZSkipList.Node? Node;
    private readonly int _offsetPlusOne;

    internal ZPos(ZSkipList.Node? node)
    {
        Node = node;
        _offsetPlusOne = 0;
    }

    internal ZPos(int offset)
    {
        Node = null;
        _offsetPlusOne = offset + 1;
    }

    internal int Offset => _offsetPlusOne - 1;
    public bool Exists => Node is not null || _offsetPlusOne > 0;
}

/// <summary>
/// A sorted set in one of Redis' two encodings. Small sets are a real listpack: member and score entries in
/// one buffer (<see cref="ListpackEntry"/>), ordered by (score, member bytes), scores written as Redis'
/// d2string text (integers as integer entries), searched linearly as Redis' zzl functions do. That is two
/// objects per set instead of three per member, and RDB files and DUMP payloads copy the buffer as it is.
/// Past zset-max-listpack-entries members or a member longer than zset-max-listpack-value it becomes a
/// <see cref="ZSkipList"/> (O(log n) ranks and ranges, O(1) scores) and stays one; only the results of STORE
/// commands and RDB loads are converted back, as in Redis.
/// </summary>
public sealed class SortedSetValue : IRedisObject
{
    // listpack encoding (when _skiplist is null): member, score, member, score ... in _packed[_start.._end)
    private byte[] _packed = [];
    private int _start;
    private int _end;
    private int _count;
    private ZSkipList? _skiplist;

    public SortedSetValue(bool listpack = true)
    {
        if (!listpack) _skiplist = new ZSkipList();
    }

    /// <summary>Redis' zsetTypeCreate: listpack when the expected size and first member fit.</summary>
    public static SortedSetValue Create(long sizeHint, long memberLengthHint, ServerConfig config) =>
        new(sizeHint <= config.ZSetMaxListpackEntries && memberLengthHint <= config.ZSetMaxListpackValue);

    public string TypeName => "zset";

    public long AccountedBytes { get; set; }
    public bool IsListpack => _skiplist is null;
    public string GetEncoding(ServerConfig config) => IsListpack ? "listpack" : "skiplist";
    public int Count => _skiplist?.Count ?? _count;

    public long MemoryUsage(int samples) =>
        MemorySize.Object(32) + (_skiplist is not null ? _skiplist.MemoryUsage(samples) : MemorySize.Bytes(_packed));

    public IRedisObject DeepClone()
    {
        var clone = new SortedSetValue(IsListpack);
        if (_skiplist is null)
        {
            clone._packed = _packed.AsSpan(_start, _end - _start).ToArray();
            clone._end = clone._packed.Length;
            clone._count = _count;
        }
        else
        {
            for (var n = _skiplist.Last; n is not null; n = n.Backward) clone._skiplist!.Insert(n.Score, n.Member);
        }
        return clone;
    }

    // ---- encoding conversions ----

    /// <summary>zsetTypeMaybeConvert: about to add up to <paramref name="sizeHint"/> elements.</summary>
    public void MaybeConvert(long sizeHint, ServerConfig config)
    {
        if (IsListpack && sizeHint > config.ZSetMaxListpackEntries) ConvertToSkipList();
    }

    public void ConvertToSkipList()
    {
        if (_skiplist is not null) return;
        var list = new ZSkipList(_count);
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        // From the highest score down, so every insertion lands at the head of the list.
        for (var p = Last; p.Exists; p = Prev(p)) list.Insert(ScoreAt(p), MemberAt(p, scratch).ToArray());
        _skiplist = list;
        _packed = [];
        _start = _end = _count = 0;
    }

    /// <summary>Converts back to the compact encoding when small enough (results of STORE commands, RDB loads).</summary>
    public void ConvertToListpackIfSmall(ServerConfig config)
    {
        if (_skiplist is null || _skiplist.Count > config.ZSetMaxListpackEntries) return;
        int size = 0;
        Span<byte> text = stackalloc byte[MaxScoreChars];
        for (var n = _skiplist.First; n is not null; n = n.Next)
        {
            if (n.Member.Length > config.ZSetMaxListpackValue) return;
            size += ListpackEntry.SizeOf(n.Member) + ListpackEntry.SizeOf(text[..PackedScoreText(n.Score, text)]);
        }
        var packed = new byte[size];
        int w = 0;
        for (var n = _skiplist.First; n is not null; n = n.Next)
        {
            w += ListpackEntry.Write(packed.AsSpan(w), n.Member);
            w += ListpackEntry.Write(packed.AsSpan(w), text[..PackedScoreText(n.Score, text)]);
        }
        _count = _skiplist.Count;
        _skiplist = null;
        _packed = packed;
        _start = 0;
        _end = size;
    }

    // ---- lookups ----

    public bool TryGetScore(ReadOnlySpan<byte> member, out double score)
    {
        var p = Find(member);
        score = p.Exists ? ScoreAt(p) : 0;
        return p.Exists;
    }

    public ZPos Find(ReadOnlySpan<byte> member)
    {
        if (_skiplist is not null) return new ZPos(_skiplist.Find(member));
        int p = ListpackEntry.Find(_packed, _start, _end, member, stride: 2);
        return p >= 0 ? new ZPos(p) : default;
    }

    public double ScoreAt(ZPos p) => p.Node?.Score ?? PackedScore(p.Offset);

    /// <summary>The member at <paramref name="p"/>; an integer-encoded one is formatted into <paramref name="scratch"/>.</summary>
    public ReadOnlySpan<byte> MemberAt(ZPos p, Span<byte> scratch) =>
        p.Node is { } n ? n.Member : ListpackEntry.Read(_packed, p.Offset, scratch);

    /// <summary>The member at <paramref name="p"/> as an array (the node's own, or a copy).</summary>
    public byte[] MemberArrayAt(ZPos p) =>
        p.Node is { } n ? n.Member : MemberAt(p, stackalloc byte[ListpackEntry.ScratchSize]).ToArray();

    public ZPos First => _skiplist is not null ? new ZPos(_skiplist.First) : _count > 0 ? new ZPos(_start) : default;
    public ZPos Last => _skiplist is not null ? new ZPos(_skiplist.Last) : _count > 0 ? new ZPos(PairBefore(_end)) : default;

    public ZPos Next(ZPos p)
    {
        if (p.Node is { } n) return new ZPos(n.Next);
        int q = p.Offset + ListpackEntry.SizeAt(_packed, p.Offset);
        q += ListpackEntry.SizeAt(_packed, q);
        return q < _end ? new ZPos(q) : default;
    }

    public ZPos Prev(ZPos p)
    {
        if (p.Node is { } n) return new ZPos(n.Backward);
        return p.Offset > _start ? new ZPos(PairBefore(p.Offset)) : default;
    }

    /// <summary>Moves <paramref name="p"/> one step towards the high end, or the low end when <paramref name="reverse"/>.</summary>
    public ZPos Step(ZPos p, bool reverse) => reverse ? Prev(p) : Next(p);

    /// <summary>0-based ascending rank of a member, or -1.</summary>
    public long RankOf(ReadOnlySpan<byte> member)
    {
        var p = Find(member);
        return p.Exists ? RankOf(p) : -1;
    }

    public long RankOf(ZPos p)
    {
        if (p.Node is { } n) return _skiplist!.RankOf(n);
        long rank = 0;
        for (int q = _start; q < p.Offset; rank++) q = PairAfter(q);
        return rank;
    }

    /// <summary>The element at 0-based ascending <paramref name="rank"/>, or no position.</summary>
    public ZPos AtRank(long rank)
    {
        if (rank < 0 || rank >= Count) return default;
        if (_skiplist is not null) return new ZPos(_skiplist.AtRank(rank));
        // From the nearer end, as Redis' lpSeek does.
        if (rank <= _count / 2)
        {
            int p = _start;
            for (long i = 0; i < rank; i++) p = PairAfter(p);
            return new ZPos(p);
        }
        int q = _end;
        for (long i = _count; i > rank; i--) q = PairBefore(q);
        return new ZPos(q);
    }

    /// <summary>First element whose score is within the range, or no position.</summary>
    public ZPos FirstInRange(in ScoreRange range)
    {
        if (_skiplist is not null) return new ZPos(_skiplist.FirstInRange(range));
        for (var p = First; p.Exists; p = Next(p))
        {
            double score = ScoreAt(p);
            if (range.GteMin(score)) return range.LteMax(score) ? p : default;
        }
        return default;
    }

    /// <summary>Last element whose score is within the range, or no position.</summary>
    public ZPos LastInRange(in ScoreRange range)
    {
        if (_skiplist is not null) return new ZPos(_skiplist.LastInRange(range));
        for (var p = Last; p.Exists; p = Prev(p))
        {
            double score = ScoreAt(p);
            if (range.LteMax(score)) return range.GteMin(score) ? p : default;
        }
        return default;
    }

    public ZPos FirstInLexRange(in LexRange range)
    {
        if (_skiplist is not null) return new ZPos(_skiplist.FirstInLexRange(range));
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        if (!MayHoldLexRange(range, scratch)) return default;
        for (var p = First; p.Exists; p = Next(p))
        {
            var member = MemberAt(p, scratch);
            if (range.GteMin(member)) return range.LteMax(member) ? p : default;
        }
        return default;
    }

    public ZPos LastInLexRange(in LexRange range)
    {
        if (_skiplist is not null) return new ZPos(_skiplist.LastInLexRange(range));
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        if (!MayHoldLexRange(range, scratch)) return default;
        for (var p = Last; p.Exists; p = Prev(p))
        {
            var member = MemberAt(p, scratch);
            if (range.LteMax(member)) return range.GteMin(member) ? p : default;
        }
        return default;
    }

    /// <summary>
    /// zzlIsInLexRange: the last member reaches the minimum and the first does not pass the maximum. Redis
    /// checks the two ends before walking, which decides the answer when scores are mixed.
    /// </summary>
    private bool MayHoldLexRange(in LexRange range, Span<byte> scratch) =>
        _count > 0 && !range.IsEmpty && range.GteMin(MemberAt(Last, scratch)) && range.LteMax(MemberAt(First, scratch));

    /// <summary>Every element from the lowest score up, as new arrays (tests, diagnostics, slow paths).</summary>
    public IEnumerable<(byte[] Member, double Score)> Elements()
    {
        for (var p = First; p.Exists; p = Next(p)) yield return (MemberArrayAt(p), ScoreAt(p));
    }

    // ---- changes ----

    /// <summary>
    /// Adds a member that is not present (copying it), converting the encoding first when the set would
    /// outgrow the listpack.
    /// </summary>
    public void Add(ReadOnlySpan<byte> member, double score, ServerConfig config)
    {
        if (_skiplist is null && (_count + 1 > config.ZSetMaxListpackEntries || member.Length > config.ZSetMaxListpackValue))
            ConvertToSkipList();
        if (_skiplist is not null) _skiplist.Insert(score, member.ToArray());
        else PackedInsert(member, score);
    }

    /// <summary>Changes the score of the member at <paramref name="p"/>, keeping the order.</summary>
    public void UpdateScore(ZPos p, double newScore)
    {
        if (p.Node is { } n)
        {
            _skiplist!.UpdateScore(n, newScore);
            return;
        }
        int at = p.Offset;
        Span<byte> memberScratch = stackalloc byte[ListpackEntry.ScratchSize], scratch = stackalloc byte[ListpackEntry.ScratchSize];
        var member = ListpackEntry.Read(_packed, at, memberScratch);
        var prev = Prev(p);
        var next = Next(p);
        if ((!prev.Exists || Compare(prev, newScore, member, scratch) < 0) && (!next.Exists || Compare(next, newScore, member, scratch) > 0))
        {
            // Still between its neighbours: only the score entry changes.
            int scoreAt = at + ListpackEntry.SizeAt(_packed, at);
            Span<byte> text = stackalloc byte[MaxScoreChars];
            Splice(scoreAt, scoreAt + ListpackEntry.SizeAt(_packed, scoreAt), text[..PackedScoreText(newScore, text)], default, 1);
            return;
        }
        // zzlDelete then zzlInsert, as Redis moves an element; the member is copied out of the buffer first.
        byte[] copy = member.ToArray();
        RemovePairAt(at);
        PackedInsert(copy, newScore);
    }

    public bool Remove(ReadOnlySpan<byte> member)
    {
        var p = Find(member);
        if (!p.Exists) return false;
        RemoveAt(p);
        return true;
    }

    public void RemoveAt(ZPos p)
    {
        if (p.Node is { } n) _skiplist!.Delete(n);
        else RemovePairAt(p.Offset);
    }

    /// <summary>Removes the elements of ascending ranks <paramref name="start"/> to <paramref name="end"/>, both inclusive.</summary>
    public void RemoveRankRange(long start, long end)
    {
        var first = AtRank(start);
        if (_skiplist is not null)
        {
            var node = first.Node;
            for (long i = start; i <= end && node is not null; i++)
            {
                var next = node.Next;
                _skiplist.Delete(node);
                node = next;
            }
            return;
        }
        int from = first.Offset, to = from;
        for (long i = start; i <= end && to < _end; i++) to = PairAfter(to);
        _packed.AsSpan(to, _end - to).CopyTo(_packed.AsSpan(from));
        _end -= to - from;
        _count -= (int)(end - start + 1);
    }

    // ---- the packed form ----

    /// <summary>Longest text of a score as d2string writes it ("%.17g" needs at most 24 characters).</summary>
    private const int MaxScoreChars = 32;

    /// <summary>A score as Redis' d2string writes it (integers plainly, otherwise %.17g); returns the length.</summary>
    public static int FormatScore(double d, Span<byte> dest)
    {
        if (d == 0)
        {
            if (1 / d < 0) { "-0"u8.CopyTo(dest); return 2; }
            dest[0] = (byte)'0';
            return 1;
        }
        if (d > -4503599627370495 && d < 4503599627370496 && d == Math.Truncate(d)) return RespNumbers.FormatInt64((long)d, dest);
        return RespNumbers.FormatDouble(d, dest);
    }

    /// <summary>
    /// The text of a score's listpack entry, as zzlInsertAt chooses it: a whole number within half the long
    /// range (double2ll) as an integer, so it is stored as an integer entry (and -0 becomes 0, as in Redis),
    /// anything else as d2string writes it.
    /// </summary>
    private static int PackedScoreText(double d, Span<byte> dest)
    {
        if (d >= (double)(-(long.MaxValue / 2)) && d <= (double)(long.MaxValue / 2) && (long)d == d)
            return RespNumbers.FormatInt64((long)d, dest);
        return FormatScore(d, dest);
    }

    /// <summary>The listpack entries (member, score, member, ...) while a listpack.</summary>
    public ReadOnlySpan<byte> PackedEntries => _packed.AsSpan(_start, _end - _start);

    /// <summary>
    /// A listpack sorted set over already validated entries, taking <paramref name="buffer"/> as it is.
    /// Throws <see cref="ArgumentException"/> when a score is not a number or NaN, the pairs are out of
    /// order, or a member repeats: data Redis never writes, refused rather than served wrong.
    /// </summary>
    public static SortedSetValue FromPacked(byte[] buffer, int start, int end, int pairs)
    {
        var z = new SortedSetValue { _packed = buffer, _start = start, _end = end, _count = pairs };
        z.CheckPacked();
        return z;
    }

    private void CheckPacked()
    {
        // One pass over raw offsets (this runs for every small sorted set loaded): scores, then order.
        Span<byte> a = stackalloc byte[ListpackEntry.ScratchSize], b = stackalloc byte[ListpackEntry.ScratchSize];
        Span<int> members = stackalloc int[16];
        int previous = -1, n = 0;
        double previousScore = 0;
        for (int p = _start; p < _end; n++)
        {
            int scoreAt = p + ListpackEntry.SizeAt(_packed, p);
            if (!ListpackEntry.TryReadDouble(_packed, scoreAt, out double score) || double.IsNaN(score))
                throw new ArgumentException("invalid sorted set score");
            if (previous >= 0 && (score < previousScore || (score == previousScore &&
                    ListpackEntry.Read(_packed, previous, a).SequenceCompareTo(ListpackEntry.Read(_packed, p, b)) >= 0)))
                throw new ArgumentException("sorted set entries out of order");
            if (n < members.Length) members[n] = p;
            previous = p;
            previousScore = score;
            p = scoreAt + ListpackEntry.SizeAt(_packed, scoreAt);
        }
        // Equal members with equal scores were caught as out of order; with different scores they can be anywhere.
        if (n <= members.Length)
        {
            // Pairwise: no allocation for the small sets a dump mostly holds.
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++)
                    if (ListpackEntry.Read(_packed, members[i], a).SequenceEqual(ListpackEntry.Read(_packed, members[j], b)))
                        throw new ArgumentException("duplicate sorted set members");
            return;
        }
        var seen = new HashSet<byte[]>(_count, Keyspace.ByteArrayComparer.Instance).GetAlternateLookup<ReadOnlySpan<byte>>();
        for (var p = First; p.Exists; p = Next(p))
            if (!seen.Add(MemberAt(p, a))) throw new ArgumentException("duplicate sorted set members");
    }

    private double PackedScore(int memberAt)
    {
        ListpackEntry.TryReadDouble(_packed, memberAt + ListpackEntry.SizeAt(_packed, memberAt), out double score);
        return score;
    }

    private int PairAfter(int memberAt)
    {
        int q = memberAt + ListpackEntry.SizeAt(_packed, memberAt);
        return q + ListpackEntry.SizeAt(_packed, q);
    }

    private int PairBefore(int memberAt) => ListpackEntry.StartBefore(_packed, ListpackEntry.StartBefore(_packed, memberAt));

    /// <summary>The element at <paramref name="p"/> against (score, member): negative when it sorts first.</summary>
    private int Compare(ZPos p, double score, ReadOnlySpan<byte> member, Span<byte> scratch)
    {
        double s = ScoreAt(p);
        if (s < score) return -1;
        if (s > score) return 1;
        return MemberAt(p, scratch).SequenceCompareTo(member);
    }

    /// <summary>zzlInsert: before the first element that sorts after (score, member).</summary>
    private void PackedInsert(ReadOnlySpan<byte> member, double score)
    {
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        int at = _end;
        for (int p = _start; p < _end; p = PairAfter(p))
        {
            if (Compare(new ZPos(p), score, member, scratch) > 0)
            {
                at = p;
                break;
            }
        }
        Span<byte> text = stackalloc byte[MaxScoreChars];
        Splice(at, at, member, text[..PackedScoreText(score, text)], 2);
        _count++;
    }

    private void RemovePairAt(int memberAt)
    {
        int end = PairAfter(memberAt);
        _packed.AsSpan(end, _end - end).CopyTo(_packed.AsSpan(memberAt));
        _end -= end - memberAt;
        _count--;
    }

    private void Splice(int from, int to, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, int entries) =>
        ListpackEntry.Splice(ref _packed, ref _start, ref _end, from, to, first, second, entries);
}
