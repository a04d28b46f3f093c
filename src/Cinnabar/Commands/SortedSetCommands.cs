using System.Globalization;
using System.Text;
using Cinnabar.Blocking;
using Cinnabar.DataTypes;
using Cinnabar.Keyspace;
using Cinnabar.Protocol;

namespace Cinnabar.Commands;

/// <summary>Sorted-set commands, following Redis 7.0's t_zset.c: replies, errors, argument order, encodings.</summary>
public static class SortedSetCommands
{
    private enum RangeType { Auto, Rank, Score, Lex }

    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("zadd", c => ZAdd(c, incrOnly: false));
        yield return new("zincrby", c => ZAdd(c, incrOnly: true));
        yield return new("zrem", ZRem);
        yield return new("zcard", ZCard);
        yield return new("zscore", ZScore);
        yield return new("zmscore", ZMScore);
        yield return new("zrank", c => ZRank(c, reverse: false));
        yield return new("zrevrank", c => ZRank(c, reverse: true));
        yield return new("zrange", c => ZRangeGeneric(c, 1, store: false, RangeType.Auto, reverse: null));
        yield return new("zrevrange", c => ZRangeGeneric(c, 1, store: false, RangeType.Rank, reverse: true));
        yield return new("zrangebyscore", c => ZRangeGeneric(c, 1, store: false, RangeType.Score, reverse: false));
        yield return new("zrevrangebyscore", c => ZRangeGeneric(c, 1, store: false, RangeType.Score, reverse: true));
        yield return new("zrangebylex", c => ZRangeGeneric(c, 1, store: false, RangeType.Lex, reverse: false));
        yield return new("zrevrangebylex", c => ZRangeGeneric(c, 1, store: false, RangeType.Lex, reverse: true));
        yield return new("zrangestore", c => ZRangeGeneric(c, 2, store: true, RangeType.Auto, reverse: null));
        yield return new("zcount", ZCount);
        yield return new("zlexcount", ZLexCount);
        yield return new("zpopmin", c => ZPop(c, max: false));
        yield return new("zpopmax", c => ZPop(c, max: true));
        yield return new("zmpop", c => ZMPop(c, 1, blocking: false)) { Keys = KeySpec.NumKeys(0, 1, 2) };
        yield return new("bzpopmin", c => BZPop(c, max: false));
        yield return new("bzpopmax", c => BZPop(c, max: true));
        yield return new("bzmpop", c => ZMPop(c, 2, blocking: true)) { Keys = KeySpec.NumKeys(0, 2, 3) };
        yield return new("zremrangebyrank", c => ZRemRange(c, RangeType.Rank));
        yield return new("zremrangebyscore", c => ZRemRange(c, RangeType.Score));
        yield return new("zremrangebylex", c => ZRemRange(c, RangeType.Lex));
        yield return new("zunionstore", c => SetOp(c, 2, Op.Union, store: true, cardOnly: false)) { Keys = KeySpec.NumKeys(1, 2, 3) };
        yield return new("zinterstore", c => SetOp(c, 2, Op.Inter, store: true, cardOnly: false)) { Keys = KeySpec.NumKeys(1, 2, 3) };
        yield return new("zdiffstore", c => SetOp(c, 2, Op.Diff, store: true, cardOnly: false)) { Keys = KeySpec.NumKeys(1, 2, 3) };
        yield return new("zunion", c => SetOp(c, 1, Op.Union, store: false, cardOnly: false)) { Keys = KeySpec.NumKeys(0, 1, 2) };
        yield return new("zinter", c => SetOp(c, 1, Op.Inter, store: false, cardOnly: false)) { Keys = KeySpec.NumKeys(0, 1, 2) };
        yield return new("zdiff", c => SetOp(c, 1, Op.Diff, store: false, cardOnly: false)) { Keys = KeySpec.NumKeys(0, 1, 2) };
        yield return new("zintercard", c => SetOp(c, 1, Op.Inter, store: false, cardOnly: true)) { Keys = KeySpec.NumKeys(0, 1, 2) };
        yield return new("zrandmember", ZRandMember);
        yield return new("zscan", ZScan);
    }

    // ---- helpers ------------------------------------------------------------------------------------


    private static void WriteEmptyArray(Client c) => c.Reply.WriteRaw("*0\r\n"u8);

    /// <summary>C strtod over the whole argument (leading spaces and "" accepted, NaN refused), as zslParseRange uses it.</summary>
    private static bool TryStrtod(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        int i = 0;
        while (i < s.Length && s[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r') i++;
        s = s[i..];
        if (s.Length == 0) return true; // nothing consumed, end reached: 0
        if (s.IndexOf((byte)0) >= 0) s = s[..s.IndexOf((byte)0)];
        if (!RespNumbers.TryParseDouble(s, out value) && !TryParseInfinityWord(s, out value)) return false;
        return !double.IsNaN(value);
    }

    private static bool TryParseInfinityWord(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        bool neg = s.Length > 0 && s[0] == '-';
        var rest = s.Length > 0 && (s[0] == '-' || s[0] == '+') ? s[1..] : s;
        if (RespNumbers.EqualsIgnoreCase(rest, "inf"u8) || RespNumbers.EqualsIgnoreCase(rest, "infinity"u8))
        {
            value = neg ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        return false;
    }

    /// <summary>Redis' zslParseRange: "(" for exclusive ends.</summary>
    private static bool TryParseScoreRange(ReadOnlySpan<byte> min, ReadOnlySpan<byte> max, out ScoreRange range)
    {
        range = default;
        bool minEx = min.Length > 0 && min[0] == '(';
        bool maxEx = max.Length > 0 && max[0] == '(';
        if (!TryStrtod(minEx ? min[1..] : min, out double lo) || !TryStrtod(maxEx ? max[1..] : max, out double hi)) return false;
        range = new ScoreRange(lo, hi, minEx, maxEx);
        return true;
    }

    /// <summary>Redis' zslParseLexRange: "[x" inclusive, "(x" exclusive, "-" and "+" the extremes.</summary>
    private static bool TryParseLexRange(ReadOnlySpan<byte> min, ReadOnlySpan<byte> max, out LexRange range)
    {
        range = default;
        if (!TryParseLexItem(min, out var lo, out bool loEx, out bool loNeg, out bool loPos)) return false;
        if (!TryParseLexItem(max, out var hi, out bool hiEx, out bool hiNeg, out bool hiPos)) return false;
        range = new LexRange(lo, hi, loEx, hiEx, loNeg, loPos, hiNeg, hiPos);
        return true;
    }

    private static bool TryParseLexItem(ReadOnlySpan<byte> s, out byte[]? value, out bool exclusive, out bool negInf, out bool posInf)
    {
        value = null;
        exclusive = negInf = posInf = false;
        if (s.Length == 0) return false;
        switch (s[0])
        {
            case (byte)'+':
                if (s.Length > 1 && s[1] != 0) return false;
                posInf = exclusive = true;
                return true;
            case (byte)'-':
                if (s.Length > 1 && s[1] != 0) return false;
                negInf = exclusive = true;
                return true;
            case (byte)'(':
                exclusive = true;
                value = s[1..].ToArray();
                return true;
            case (byte)'[':
                value = s[1..].ToArray();
                return true;
            default:
                return false;
        }
    }

    private static byte[] Num(long v) => Encoding.ASCII.GetBytes(v.ToString(CultureInfo.InvariantCulture));

    /// <summary>A score as Redis' d2string writes it (integers plainly, otherwise %.17g).</summary>
    internal static byte[] ScoreText(double d)
    {
        Span<byte> buf = stackalloc byte[32];
        return buf[..SortedSetValue.FormatScore(d, buf)].ToArray();
    }

    private static void DeleteIfEmpty(Client c, ReadOnlySpan<byte> key, SortedSetValue z)
    {
        if (z.Count != 0) return;
        c.Db.Delete(key);
        c.Notify(NotifyFlags.Generic, "del", key);
    }

    // ---- ZADD / ZINCRBY -------------------------------------------------------------------------------

    private static void ZAdd(Client c, bool incrOnly)
    {
        bool nx = false, xx = false, ch = false, incr = incrOnly, gt = false, lt = false;
        int scoreIdx = 2;
        // ZINCRBY shares ZADD's parser in Redis, flags included: "ZINCRBY key GT 1" is a syntax error.
        while (scoreIdx < c.ArgCount)
        {
            if (c.ArgIs(scoreIdx, "nx"u8)) nx = true;
            else if (c.ArgIs(scoreIdx, "xx"u8)) xx = true;
            else if (c.ArgIs(scoreIdx, "ch"u8)) ch = true;
            else if (c.ArgIs(scoreIdx, "incr"u8)) incr = true;
            else if (c.ArgIs(scoreIdx, "gt"u8)) gt = true;
            else if (c.ArgIs(scoreIdx, "lt"u8)) lt = true;
            else break;
            scoreIdx++;
        }
        int elements = c.ArgCount - scoreIdx;
        if (elements % 2 != 0 || elements == 0) { c.SyntaxError(); return; }
        elements /= 2;
        if (nx && xx) { c.Reply.Error("ERR XX and NX options at the same time are not compatible"); return; }
        if ((gt && nx) || (lt && nx) || (gt && lt)) { c.Reply.Error("ERR GT, LT, and/or NX options at the same time are not compatible"); return; }
        if (incr && elements > 1) { c.Reply.Error("ERR INCR option supports a single increment-element pair"); return; }

        // Scores are all parsed before anything changes (one bad score fails the whole command).
        Span<double> scores = elements <= 16 ? stackalloc double[16] : new double[elements];
        for (int j = 0; j < elements; j++)
            if (!c.TryGetDouble(scoreIdx + j * 2, out scores[j])) return;

        var key = c.Arg(1);
        if (!c.TryWriteKey(key, out SortedSetValue? z)) return;
        long added = 0, updated = 0, processed = 0;
        double score = 0;
        if (z is null)
        {
            if (xx) { Reply(); return; }
            z = SortedSetValue.Create(elements, c.Arg(scoreIdx + 1).Length, c.Server.Config);
            c.Db.Add(key, z);
        }
        else z.MaybeConvert(elements, c.Server.Config);

        for (int j = 0; j < elements; j++)
        {
            score = scores[j];
            var member = c.Arg(scoreIdx + 1 + j * 2);
            var pos = z.Find(member);
            if (pos.Exists)
            {
                if (nx) continue;
                double current = z.ScoreAt(pos);
                if (incr)
                {
                    score += current;
                    if (double.IsNaN(score))
                    {
                        c.Reply.Error("ERR resulting score is not a number (NaN)");
                        Finish();
                        return;
                    }
                }
                if ((lt && score >= current) || (gt && score <= current)) continue;
                processed++;
                if (score != current)
                {
                    z.UpdateScore(pos, score);
                    updated++;
                }
            }
            else if (!xx)
            {
                z.Add(member, score, c.Server.Config);
                added++;
                processed++;
            }
        }
        c.Dirty(added + updated);
        Reply();
        Finish();

        void Reply()
        {
            if (incr)
            {
                if (processed > 0) c.Reply.Double(score); else c.Reply.Null();
            }
            else c.Reply.Integer(ch ? added + updated : added);
        }

        void Finish()
        {
            if (added + updated == 0)
            {
                // A key created for nothing (NX/XX/GT/LT filtered everything) must not stay behind empty.
                if (z is { Count: 0 }) c.Db.Delete(c.Arg(1));
                return;
            }
            c.KeyModified(c.Arg(1));
            c.Notify(NotifyFlags.ZSet, incr ? "zincr" : "zadd", c.Arg(1));
            c.Server.Blocking.SignalKeyReady(c.Db, c.Arg(1));
        }
    }

    private static void ZRem(Client c)
    {
        var key = c.Arg(1);
        if (!c.TryWriteKey(key, out SortedSetValue? z)) return;
        if (z is null) { c.Reply.Integer(0); return; }
        long deleted = 0;
        bool removedKey = false;
        for (int j = 2; j < c.ArgCount; j++)
        {
            if (z.Remove(c.Arg(j))) deleted++;
            if (z.Count == 0)
            {
                c.Db.Delete(key);
                removedKey = true;
                break;
            }
        }
        if (deleted > 0)
        {
            c.Notify(NotifyFlags.ZSet, "zrem", key);
            if (removedKey) c.Notify(NotifyFlags.Generic, "del", key);
            c.KeyModified(key);
            c.Dirty(deleted);
        }
        c.Reply.Integer(deleted);
    }

    private static void ZCard(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out SortedSetValue? z)) return;
        c.Reply.Integer(z?.Count ?? 0);
    }

    private static void ZScore(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out SortedSetValue? z)) return;
        if (z is not null && z.TryGetScore(c.Arg(2), out double s)) c.Reply.Double(s);
        else c.Reply.Null();
    }

    private static void ZMScore(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out SortedSetValue? z)) return;
        c.Reply.ArrayHeader(c.ArgCount - 2);
        for (int j = 2; j < c.ArgCount; j++)
        {
            if (z is not null && z.TryGetScore(c.Arg(j), out double s)) c.Reply.Double(s);
            else c.Reply.Null();
        }
    }

    private static void ZRank(Client c, bool reverse)
    {
        if (!c.TryReadKey(c.Arg(1), out SortedSetValue? z)) return;
        if (z is null) { c.Reply.Null(); return; }
        long rank = z.RankOf(c.Arg(2));
        if (rank < 0) c.Reply.Null();
        else c.Reply.Integer(reverse ? z.Count - 1 - rank : rank);
    }

    private static void ZCount(Client c)
    {
        if (!TryParseScoreRange(c.Arg(2), c.Arg(3), out var range)) { c.Reply.Error("ERR min or max is not a float"); return; }
        if (!c.TryReadKey(c.Arg(1), out SortedSetValue? z)) return;
        if (z is null) { c.Reply.Integer(0); return; }
        var first = z.FirstInRange(range);
        if (!first.Exists) { c.Reply.Integer(0); return; }
        var last = z.LastInRange(range);
        c.Reply.Integer(z.RankOf(last) - z.RankOf(first) + 1);
    }

    private static void ZLexCount(Client c)
    {
        if (!TryParseLexRange(c.Arg(2), c.Arg(3), out var range)) { c.Reply.Error("ERR min or max not valid string range item"); return; }
        if (!c.TryReadKey(c.Arg(1), out SortedSetValue? z)) return;
        if (z is null || range.IsEmpty) { c.Reply.Integer(0); return; }
        if (z.IsListpack)
        {
            // Redis counts a listpack by walking (the two differ only when scores are mixed).
            c.Reply.Integer(WalkRange(z, RangeType.Lex, default, range, reverse: false, offset: 0, limit: -1, out _));
            return;
        }
        var first = z.FirstInLexRange(range);
        if (!first.Exists) { c.Reply.Integer(0); return; }
        var last = z.LastInLexRange(range);
        c.Reply.Integer(z.RankOf(last) - z.RankOf(first) + 1);
    }

    // ---- ranges ---------------------------------------------------------------------------------------

    /// <summary>Redis' zrangeGenericCommand: one parser for every ZRANGE form and ZRANGESTORE.</summary>
    private static void ZRangeGeneric(Client c, int argStart, bool store, RangeType type, bool? reverse)
    {
        int keyIdx = argStart, minIdx = argStart + 1, maxIdx = argStart + 2;
        bool withScores = false;
        long offset = 0, limit = -1;
        for (int j = argStart + 3; j < c.ArgCount; j++)
        {
            int left = c.ArgCount - j - 1;
            if (!store && c.ArgIs(j, "withscores"u8)) withScores = true;
            else if (c.ArgIs(j, "limit"u8) && left >= 2)
            {
                if (!c.TryGetLong(j + 1, out offset) || !c.TryGetLong(j + 2, out limit)) return;
                j += 2;
            }
            else if (reverse is null && c.ArgIs(j, "rev"u8)) reverse = true;
            else if (type == RangeType.Auto && c.ArgIs(j, "bylex"u8)) type = RangeType.Lex;
            else if (type == RangeType.Auto && c.ArgIs(j, "byscore"u8)) type = RangeType.Score;
            else { c.SyntaxError(); return; }
        }
        bool rev = reverse ?? false;
        if (type == RangeType.Auto) type = RangeType.Rank;
        if (limit != -1 && type == RangeType.Rank)
        {
            c.Reply.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
            return;
        }
        if (withScores && type == RangeType.Lex)
        {
            c.Reply.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
            return;
        }
        if (rev && type is RangeType.Score or RangeType.Lex) (minIdx, maxIdx) = (maxIdx, minIdx);

        long start = 0, end = 0;
        ScoreRange scoreRange = default;
        LexRange lexRange = default;
        switch (type)
        {
            case RangeType.Rank:
                if (!c.TryGetLong(minIdx, out start) || !c.TryGetLong(maxIdx, out end)) return;
                break;
            case RangeType.Score:
                if (!TryParseScoreRange(c.Arg(minIdx), c.Arg(maxIdx), out scoreRange)) { c.Reply.Error("ERR min or max is not a float"); return; }
                break;
            default:
                if (!TryParseLexRange(c.Arg(minIdx), c.Arg(maxIdx), out lexRange)) { c.Reply.Error("ERR min or max not valid string range item"); return; }
                break;
        }

        if (!c.TryReadKey(c.Arg(keyIdx), out SortedSetValue? z)) return;
        // The result is always a run of consecutive elements: where it starts, how long it is, which way.
        var first = default(ZPos);
        long length = 0;
        if (z is not null)
        {
            if (type == RangeType.Rank)
            {
                long len = z.Count;
                if (start < 0) start = len + start;
                if (end < 0) end = len + end;
                if (start < 0) start = 0;
                if (!(start > end || start >= len))
                {
                    if (end >= len) end = len - 1;
                    length = end - start + 1;
                    first = z.AtRank(rev ? len - 1 - start : start);
                }
            }
            else if ((type == RangeType.Score || !lexRange.IsEmpty) && !(offset > 0 && offset >= z.Count))
            {
                length = WalkRange(z, type, scoreRange, lexRange, rev, offset, limit, out first);
            }
        }

        if (store)
        {
            var dest = c.Arg(1);
            if (length > 0)
            {
                var dst = new SortedSetValue(listpack: true);
                Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
                var p = first;
                for (long i = 0; i < length; i++, p = z!.Step(p, rev)) dst.Add(z!.MemberAt(p, scratch), z.ScoreAt(p), c.Server.Config);
                c.Db.Set(dest, dst);
                c.Reply.Integer(length);
                c.KeyModified(dest);
                c.Notify(NotifyFlags.ZSet, "zrangestore", dest);
                c.Dirty();
            }
            else
            {
                c.Reply.Integer(0);
                c.DeleteStoreDestination(dest);
            }
            return;
        }
        if (z is null) { WriteEmptyArray(c); return; }
        WriteRange(c, z, first, length, rev, withScores);
    }

    /// <summary>
    /// The run of elements a score or lex range selects, found as Redis walks it: from the first element in
    /// range at the chosen end, <paramref name="offset"/> steps on, then while elements stay on the near side
    /// of the far end (at most <paramref name="limit"/>, negative for no limit). Walking rather than counting
    /// ranks matters for lex ranges over mixed scores, where Redis' answer is defined only by this walk.
    /// </summary>
    private static long WalkRange(SortedSetValue z, RangeType type, in ScoreRange scores, in LexRange lex, bool reverse, long offset, long limit, out ZPos first)
    {
        var p = type == RangeType.Score
            ? reverse ? z.LastInRange(scores) : z.FirstInRange(scores)
            : reverse ? z.LastInLexRange(lex) : z.FirstInLexRange(lex);
        // A negative offset never runs out in C: it skips everything.
        for (long o = offset; p.Exists && o != 0; o--) p = z.Step(p, reverse);
        first = p;
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        long n = 0;
        for (long l = limit; p.Exists && l != 0; l--, n++, p = z.Step(p, reverse))
        {
            bool inside = type == RangeType.Score
                ? reverse ? scores.GteMin(z.ScoreAt(p)) : scores.LteMax(z.ScoreAt(p))
                : reverse ? lex.GteMin(z.MemberAt(p, scratch)) : lex.LteMax(z.MemberAt(p, scratch));
            if (!inside) break;
        }
        return n;
    }

    /// <summary>
    /// <paramref name="length"/> consecutive elements from <paramref name="first"/>: members (and scores),
    /// one flat array in RESP2, [member, score] pairs in RESP3.
    /// </summary>
    private static void WriteRange(Client c, SortedSetValue z, ZPos first, long length, bool reverse, bool withScores)
    {
        var r = c.Reply;
        r.ArrayHeader(withScores && c.Protocol == 2 ? length * 2 : length);
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        var p = first;
        for (long i = 0; i < length; i++, p = z.Step(p, reverse)) WriteElement(c, z, p, withScores, scratch);
    }

    private static void WriteElement(Client c, SortedSetValue z, ZPos p, bool withScores, Span<byte> scratch)
    {
        var r = c.Reply;
        if (withScores && c.Protocol > 2) r.ArrayHeader(2);
        r.Bulk(z.MemberAt(p, scratch));
        if (withScores) r.Double(z.ScoreAt(p));
    }

    private static void ZRemRange(Client c, RangeType type)
    {
        long start = 0, end = 0;
        ScoreRange scoreRange = default;
        LexRange lexRange = default;
        if (type == RangeType.Rank)
        {
            if (!c.TryGetLong(2, out start) || !c.TryGetLong(3, out end)) return;
        }
        else if (type == RangeType.Score)
        {
            if (!TryParseScoreRange(c.Arg(2), c.Arg(3), out scoreRange)) { c.Reply.Error("ERR min or max is not a float"); return; }
        }
        else if (!TryParseLexRange(c.Arg(2), c.Arg(3), out lexRange)) { c.Reply.Error("ERR min or max not valid string range item"); return; }

        var key = c.Arg(1);
        if (!c.TryWriteKey(key, out SortedSetValue? z)) return;
        if (z is null) { c.Reply.Integer(0); return; }
        // Every form removes a run of consecutive ranks.
        long first = 0, last = -1;
        if (type == RangeType.Rank)
        {
            long len = z.Count;
            if (start < 0) start = len + start;
            if (end < 0) end = len + end;
            if (start < 0) start = 0;
            if (start > end || start >= len) { c.Reply.Integer(0); return; }
            if (end >= len) end = len - 1;
            (first, last) = (start, end);
        }
        else if (type == RangeType.Score || !lexRange.IsEmpty)
        {
            long n = WalkRange(z, type, scoreRange, lexRange, reverse: false, offset: 0, limit: -1, out var low);
            if (n > 0) (first, last) = (z.RankOf(low), z.RankOf(low) + n - 1);
        }
        long deleted = last - first + 1;
        if (deleted > 0)
        {
            z.RemoveRankRange(first, last);
            c.KeyModified(key);
            c.Notify(NotifyFlags.ZSet, type switch { RangeType.Rank => "zremrangebyrank", RangeType.Score => "zremrangebyscore", _ => "zremrangebylex" }, key);
            DeleteIfEmpty(c, key, z);
        }
        c.Dirty(deleted);
        c.Reply.Integer(deleted);
    }

    // ---- pops -----------------------------------------------------------------------------------------

    private static void ZPop(Client c, bool max)
    {
        if (c.ArgCount > 3) { c.SyntaxError(); return; }
        long count = -1;
        if (c.ArgCount == 3 && (!RespNumbers.TryParseInt64(c.Arg(2), out count) || count < 0))
        {
            c.Reply.Error("ERR value is out of range, must be positive");
            return;
        }
        bool nested = c.Protocol > 2 && count != -1;
        GenericPop(c, [c.ArgArray(1)], max, emitKey: false, count, nested, nilWhenEmpty: false);
    }

    /// <summary>Redis' genericZpopCommand: pops from the first existing key; the reply shape depends on the caller.</summary>
    private static bool GenericPop(Client c, byte[][] keys, bool max, bool emitKey, long count, bool nested, bool nilWhenEmpty)
    {
        SortedSetValue? z = null;
        byte[]? key = null;
        foreach (var k in keys)
        {
            if (!c.TryWriteKey(k, out SortedSetValue? candidate)) return true;
            if (candidate is null) continue;
            z = candidate;
            key = k;
            break;
        }
        if (z is null)
        {
            if (nilWhenEmpty) c.Reply.NullArray(); else WriteEmptyArray(c);
            return false;
        }
        if (count == 0) { WriteEmptyArray(c); return true; }
        if (count == -1) count = 1;
        long n = Math.Min(count, z.Count);
        var r = c.Reply;
        if (!nested && !emitKey) r.ArrayHeader(n * 2);
        else if (nested && !emitKey) r.ArrayHeader(n);
        else if (!nested) { r.ArrayHeader(n * 2 + 1); r.Bulk(key!); }
        else { r.ArrayHeader(2); r.Bulk(key!); r.ArrayHeader(n); }
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        for (long i = 0; i < n; i++)
        {
            var p = max ? z.Last : z.First;
            if (nested) r.ArrayHeader(2);
            r.Bulk(z.MemberAt(p, scratch));
            r.Double(z.ScoreAt(p));
            z.RemoveAt(p);
        }
        c.Notify(NotifyFlags.ZSet, max ? "zpopmax" : "zpopmin", key!);
        DeleteIfEmpty(c, key!, z);
        c.KeyModified(key!);
        c.Dirty(n);
        return true;
    }

    private static void ZMPop(Client c, int numKeysIndex, bool blocking)
    {
        if (!RespNumbers.TryParseInt64(c.Arg(numKeysIndex), out long numKeys) || numKeys < 1)
        {
            c.Reply.Error("ERR numkeys should be greater than 0");
            return;
        }
        long whereIdx = numKeysIndex + numKeys + 1;
        if (whereIdx >= c.ArgCount) { c.SyntaxError(); return; }
        bool max;
        if (c.ArgIs((int)whereIdx, "min"u8)) max = false;
        else if (c.ArgIs((int)whereIdx, "max"u8)) max = true;
        else { c.SyntaxError(); return; }
        long count = -1;
        for (int j = (int)whereIdx + 1; j < c.ArgCount; j++)
        {
            bool more = c.ArgCount - 1 - j > 0;
            if (count == -1 && c.ArgIs(j, "count"u8) && more)
            {
                j++;
                if (!RespNumbers.TryParseInt64(c.Arg(j), out count) || count < 1) { c.Reply.Error("ERR count should be greater than 0"); return; }
            }
            else { c.SyntaxError(); return; }
        }
        if (count == -1) count = 1;
        var keys = new byte[numKeys][];
        for (int k = 0; k < numKeys; k++) keys[k] = c.ArgArray(numKeysIndex + 1 + k);
        if (blocking) BlockingPop(c, keys, max, 1, count, nested: true, nilWhenEmpty: true);
        else PopAndPropagate(c, keys, max, emitKey: true, count, nested: true, nilWhenEmpty: true);
    }

    private static void PopAndPropagate(Client c, byte[][] keys, bool max, bool emitKey, long count, bool nested, bool nilWhenEmpty)
    {
        // Which key will be popped: the first existing one.
        byte[]? popped = keys.FirstOrDefault(k => c.Db.Find(k) >= 0);
        long n = popped is null ? 0 : PoppedCount(c, popped, count);
        if (GenericPop(c, keys, max, emitKey, count, nested, nilWhenEmpty) && popped is not null)
            c.Propagate(max ? "ZPOPMAX"u8.ToArray() : "ZPOPMIN"u8.ToArray(), popped, Num(n));
    }

    /// <summary>How many members a pop of <paramref name="count"/> takes from <paramref name="key"/>: replicas are told exactly that (Redis' zmpop propagation).</summary>
    private static long PoppedCount(Client c, byte[] key, long count)
    {
        int i = c.Db.Find(key);
        long want = count > 0 ? count : 1;
        return i >= 0 && c.Db.EntryAt(i).Value is SortedSetValue z ? Math.Min(want, z.Count) : want;
    }

    private static void BZPop(Client c, bool max)
    {
        var keys = new byte[c.ArgCount - 2][];
        for (int k = 0; k < keys.Length; k++) keys[k] = c.ArgArray(1 + k);
        BlockingPop(c, keys, max, c.ArgCount - 1, -1, nested: false, nilWhenEmpty: false);
    }

    private static void BlockingPop(Client c, byte[][] keys, bool max, int timeoutIndex, long count, bool nested, bool nilWhenEmpty)
    {
        if (!ListCommands.TryGetTimeout(c, timeoutIndex, out long timeoutAt)) return;
        foreach (var key in keys)
        {
            if (!c.TryWriteKey(key, out SortedSetValue? z)) return;
            if (z is null || z.Count == 0) continue;
            long n = PoppedCount(c, key, count);
            GenericPop(c, [key], max, emitKey: true, count, nested, nilWhenEmpty);
            if (count == -1) c.Propagate(max ? "ZPOPMAX"u8.ToArray() : "ZPOPMIN"u8.ToArray(), key);
            else c.Propagate(max ? "ZPOPMAX"u8.ToArray() : "ZPOPMIN"u8.ToArray(), key, Num(n));
            return;
        }
        if (c.DenyBlocking) { c.Reply.NullArray(); return; }
        c.Server.Blocking.Block(c, keys, timeoutAt, new BlockedZPop(max, count, nested));
    }

    private sealed class BlockedZPop(bool max, long count, bool nested) : BlockedOperation
    {
        public override bool TryServe(Client c, byte[] key)
        {
            int i = c.Db.Find(key);
            if (i < 0 || c.Db.EntryAt(i).Value is not SortedSetValue z || z.Count == 0) return false;
            long n = PoppedCount(c, key, count);
            GenericPop(c, [key], max, emitKey: true, count, nested, nilWhenEmpty: nested);
            if (count == -1) c.Propagate(max ? "ZPOPMAX"u8.ToArray() : "ZPOPMIN"u8.ToArray(), key);
            else c.Propagate(max ? "ZPOPMAX"u8.ToArray() : "ZPOPMIN"u8.ToArray(), key, Num(n));
            return true;
        }

        public override void ReplyTimeout(Client c) => c.Reply.NullArray();
    }

    // ---- union / intersection / difference ----------------------------------------------------------------

    private enum Op { Union, Inter, Diff }
    private enum Aggregate { Sum, Min, Max }

    /// <summary>An input of ZUNION and friends: a sorted set, or a set whose members all score 1.</summary>
    private readonly record struct Source(object? Value, double Weight)
    {
        public long Count => Value switch { SortedSetValue z => z.Count, SetValue s => s.Count, _ => 0 };

        public IEnumerable<(byte[] Member, double Score)> Elements()
        {
            if (Value is SortedSetValue z) { for (var p = z.Last; p.Exists; p = z.Prev(p)) yield return (z.MemberArrayAt(p), z.ScoreAt(p)); }
            else if (Value is SetValue s) { for (int p = 0; p < s.PositionEnd; p++) if (s.IsLive(p)) yield return (s.MemberArrayAt(p), 1.0); }
        }

        public bool TryScore(byte[] member, out double score)
        {
            score = 1.0;
            if (Value is SortedSetValue z) return z.TryGetScore(member, out score);
            return Value is SetValue s && s.Contains(member);
        }
    }

    private static void SetOp(Client c, int numKeysIndex, Op op, bool store, bool cardOnly)
    {
        if (!c.TryGetLong(numKeysIndex, out long setNum)) return;
        if (setNum < 1)
        {
            c.Reply.Error($"ERR at least 1 input key is needed for '{c.CurrentCommand!.Name}' command");
            return;
        }
        if (setNum > c.ArgCount - (numKeysIndex + 1)) { c.SyntaxError(); return; }

        var sources = new Source[setNum];
        int j = numKeysIndex + 1;
        for (int i = 0; i < setNum; i++, j++)
        {
            int idx = c.Db.FindForRead(c.Arg(j));
            object? value = idx >= 0 ? c.Db.EntryAt(idx).Value : null;
            if (value is not null and not SortedSetValue and not SetValue) { c.WrongType(); return; }
            sources[i] = new Source(value, 1.0);
        }
        var aggregate = Aggregate.Sum;
        bool withScores = false;
        long limit = 0;
        while (j < c.ArgCount)
        {
            int remaining = c.ArgCount - j;
            if (op != Op.Diff && !cardOnly && remaining >= setNum + 1 && c.ArgIs(j, "weights"u8))
            {
                j++;
                for (int i = 0; i < setNum; i++, j++)
                {
                    if (!RespNumbers.TryParseDouble(c.Arg(j), out double w)) { c.Reply.Error("ERR weight value is not a float"); return; }
                    sources[i] = sources[i] with { Weight = w };
                }
            }
            else if (op != Op.Diff && !cardOnly && remaining >= 2 && c.ArgIs(j, "aggregate"u8))
            {
                j++;
                if (c.ArgIs(j, "sum"u8)) aggregate = Aggregate.Sum;
                else if (c.ArgIs(j, "min"u8)) aggregate = Aggregate.Min;
                else if (c.ArgIs(j, "max"u8)) aggregate = Aggregate.Max;
                else { c.SyntaxError(); return; }
                j++;
            }
            else if (remaining >= 1 && !store && !cardOnly && c.ArgIs(j, "withscores"u8))
            {
                j++;
                withScores = true;
            }
            else if (cardOnly && remaining >= 2 && c.ArgIs(j, "limit"u8))
            {
                j++;
                if (!RespNumbers.TryParseInt64(c.Arg(j), out limit) || limit < 0) { c.Reply.Error("ERR LIMIT can't be negative"); return; }
                j++;
            }
            else { c.SyntaxError(); return; }
        }

        // Smallest inputs first (as Redis sorts them) for intersection and union.
        if (op != Op.Diff) Array.Sort(sources, (a, b) => a.Count.CompareTo(b.Count));

        var result = new Dictionary<byte[], double>(ByteArrayComparer.Instance);
        long cardinality = 0;
        if (op == Op.Inter)
        {
            if (sources[0].Count > 0)
            {
                foreach (var (member, s0) in sources[0].Elements())
                {
                    double score = sources[0].Weight * s0;
                    if (double.IsNaN(score)) score = 0;
                    int k;
                    for (k = 1; k < setNum; k++)
                    {
                        if (!sources[k].TryScore(member, out double v)) break;
                        score = Combine(score, v * sources[k].Weight, aggregate);
                    }
                    if (k != setNum) continue;
                    if (cardOnly)
                    {
                        cardinality++;
                        if (limit != 0 && cardinality >= limit) break;
                    }
                    else result[member] = score;
                }
            }
        }
        else if (op == Op.Union)
        {
            foreach (var src in sources)
            {
                foreach (var (member, s) in src.Elements())
                {
                    double score = src.Weight * s;
                    if (double.IsNaN(score)) score = 0;
                    result[member] = result.TryGetValue(member, out double existing) ? Combine(existing, score, aggregate) : score;
                }
            }
        }
        else
        {
            foreach (var (member, s) in sources[0].Elements())
            {
                bool inOthers = false;
                for (int k = 1; k < setNum && !inOthers; k++) inOthers = sources[k].TryScore(member, out _);
                if (!inOthers) result[member] = s;
            }
        }

        if (cardOnly) { c.Reply.Integer(cardinality); return; }

        var dst = new SortedSetValue(listpack: false);
        foreach (var (member, score) in result) dst.Add(member, score, c.Server.Config);

        if (store)
        {
            var dest = c.Arg(1);
            if (dst.Count > 0)
            {
                dst.ConvertToListpackIfSmall(c.Server.Config);
                c.Db.Set(dest, dst);
                c.Reply.Integer(dst.Count);
                c.KeyModified(dest);
                c.Notify(NotifyFlags.ZSet, op switch { Op.Union => "zunionstore", Op.Inter => "zinterstore", _ => "zdiffstore" }, dest);
                c.Dirty();
            }
            else
            {
                c.Reply.Integer(0);
                c.DeleteStoreDestination(dest);
            }
            return;
        }
        WriteRange(c, dst, dst.First, dst.Count, reverse: false, withScores);
    }

    /// <summary>Redis' zunionInterAggregate (a NaN sum becomes 0).</summary>
    private static double Combine(double target, double value, Aggregate aggregate)
    {
        switch (aggregate)
        {
            case Aggregate.Sum:
                target += value;
                return double.IsNaN(target) ? 0 : target;
            case Aggregate.Min:
                return value < target ? value : target;
            default:
                return value > target ? value : target;
        }
    }

    // ---- random members and scan ---------------------------------------------------------------------------

    private static void ZRandMember(Client c)
    {
        if (c.ArgCount >= 3)
        {
            if (!c.TryGetLong(2, out long l)) return;
            if (l == long.MinValue)
            {
                c.Reply.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
                return;
            }
            bool withScores = false;
            if (c.ArgCount > 4 || (c.ArgCount == 4 && !c.ArgIs(3, "withscores"u8))) { c.SyntaxError(); return; }
            if (c.ArgCount == 4)
            {
                withScores = true;
                if (l < -long.MaxValue / 2 || l > long.MaxValue / 2) { c.Reply.Error("ERR value is out of range"); return; }
            }
            RandomWithCount(c, l, withScores);
            return;
        }
        if (!c.TryReadKey(c.Arg(1), out SortedSetValue? z)) return;
        if (z is null) { c.Reply.Null(); return; }
        c.Reply.Bulk(z.MemberAt(z.AtRank(Random.Shared.NextInt64(z.Count)), stackalloc byte[ListpackEntry.ScratchSize]));
    }

    private static void RandomWithCount(Client c, long l, bool withScores)
    {
        if (!c.TryReadKey(c.Arg(1), out SortedSetValue? z)) return;
        if (z is null) { WriteEmptyArray(c); return; }
        bool unique = l >= 0;
        long count = unique ? l : -l;
        if (count == 0) { WriteEmptyArray(c); return; }
        var r = c.Reply;
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        if (!unique || count == 1)
        {
            r.ArrayHeader(withScores && c.Protocol == 2 ? count * 2 : count);
            for (long i = 0; i < count; i++) WriteElement(c, z, z.AtRank(Random.Shared.NextInt64(z.Count)), withScores, scratch);
            return;
        }
        long size = z.Count;
        long replySize = Math.Min(count, size);
        r.ArrayHeader(withScores && c.Protocol == 2 ? replySize * 2 : replySize);
        if (count >= size)
        {
            // Everything, walked from the highest score down as Redis' zset iterator does.
            for (var p = z.Last; p.Exists; p = z.Prev(p)) WriteElement(c, z, p, withScores, scratch);
            return;
        }
        var picked = new HashSet<long>();
        while (picked.Count < count) picked.Add(Random.Shared.NextInt64(size));
        foreach (var rank in picked) WriteElement(c, z, z.AtRank(rank), withScores, scratch);
    }

    /// <summary>
    /// ZSCAN. A compact (listpack) set comes back whole with cursor 0, like Redis. A large one is walked by
    /// rank: elements present throughout are all returned even while the set grows (an insertion before the
    /// cursor can only make an element come twice).
    /// </summary>
    private static void ZScan(Client c)
    {
        if (!CollectionScan.TryParseCursor(c, 2, out ulong cursor)) return;
        if (!c.TryReadKey(c.Arg(1), out SortedSetValue? z)) return;
        if (z is null) { CollectionScan.WriteEmpty(c); return; }
        if (!CollectionScan.TryParseOptions(c, 3, out long count, out int matchArg)) return;
        ReadOnlySpan<byte> pattern = matchArg > 0 ? c.Arg(matchArg) : default;
        var items = new List<(byte[] Key, byte[]? Value)>();
        ulong next = 0;
        if (z.IsListpack)
        {
            foreach (var (member, score) in z.Elements()) items.Add((member, ScoreText(score)));
        }
        else
        {
            var p = cursor < (ulong)z.Count ? z.AtRank((long)cursor) : default;
            long taken = 0;
            for (; p.Exists && taken < count; p = z.Next(p), taken++) items.Add((z.MemberArrayAt(p), ScoreText(z.ScoreAt(p))));
            next = p.Exists ? cursor + (ulong)taken : 0;
        }
        CollectionScan.WriteResult(c, next, items, pattern, matchArg != 0, pairs: true);
    }
}
