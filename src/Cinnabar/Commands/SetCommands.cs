using Cinnabar.DataTypes;
using Cinnabar.Keyspace;
using Cinnabar.Protocol;

namespace Cinnabar.Commands;

/// <summary>Set commands (SADD, SINTER, SSCAN...), following Redis 7.0's t_set.c semantics.</summary>
public static class SetCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("sadd", SAdd);
        yield return new("srem", SRem);
        yield return new("smembers", SMembers);
        yield return new("sismember", SIsMember);
        yield return new("smismember", SMIsMember);
        yield return new("scard", SCard);
        yield return new("spop", SPop);
        yield return new("srandmember", SRandMember);
        yield return new("smove", SMove);
        yield return new("sinter", c => SInter(c, 1, c.ArgCount - 1, -1, false, 0));
        yield return new("sinterstore", c => SInter(c, 2, c.ArgCount - 2, 1, false, 0));
        yield return new("sintercard", SInterCard) { Keys = KeySpec.NumKeys(0, 1, 2) };
        yield return new("sunion", c => SUnionDiff(c, 1, -1, diff: false));
        yield return new("sunionstore", c => SUnionDiff(c, 2, 1, diff: false));
        yield return new("sdiff", c => SUnionDiff(c, 1, -1, diff: true));
        yield return new("sdiffstore", c => SUnionDiff(c, 2, 1, diff: true));
        yield return new("sscan", SScan);
    }

    private static void SAdd(Client c)
    {
        var key = c.Arg(1);
        if (!c.TryWriteKey(key, out SetValue? set)) return;
        if (set is null)
        {
            set = SetValue.CreateFor(c.Arg(2));
            c.Db.Add(key, set);
        }
        var config = c.Server.Config;
        int added = 0;
        for (int i = 2; i < c.ArgCount; i++)
            if (set.Add(c.Arg(i), config)) added++;
        if (added > 0)
        {
            c.KeyModified(key);
            c.Notify(NotifyFlags.Set, "sadd", key);
            c.Dirty(added);
        }
        c.Reply.Integer(added);
    }

    private static void SRem(Client c) => MemberRemoval.Remove<SetValue>(c, NotifyFlags.Set, "srem");

    private static void SMembers(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out SetValue? set)) return;
        if (set is null)
        {
            c.Reply.SetHeader(0);
            return;
        }
        c.Reply.SetHeader(set.Count);
        WriteMembers(c.Reply, set);
    }

    private static void WriteMembers(ReplyBuffer r, SetValue set)
    {
        Span<byte> scratch = stackalloc byte[RespNumbers.MaxInt64Chars];
        for (int p = 0; p < set.PositionEnd; p++)
            if (set.TryGetMember(p, scratch, out var m)) r.Bulk(m);
    }

    private static void WriteMemberAt(ReplyBuffer r, SetValue set, int pos)
    {
        Span<byte> scratch = stackalloc byte[RespNumbers.MaxInt64Chars];
        set.TryGetMember(pos, scratch, out var m);
        r.Bulk(m);
    }

    private static void SIsMember(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out SetValue? set)) return;
        c.Reply.Integer(set is not null && set.Contains(c.Arg(2)) ? 1 : 0);
    }

    private static void SMIsMember(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out SetValue? set)) return;
        c.Reply.ArrayHeader(c.ArgCount - 2);
        for (int i = 2; i < c.ArgCount; i++)
            c.Reply.Integer(set is not null && set.Contains(c.Arg(i)) ? 1 : 0);
    }

    private static void SCard(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out SetValue? set)) return;
        c.Reply.Integer(set?.Count ?? 0);
    }

    private static void SPop(Client c)
    {
        if (c.ArgCount > 3)
        {
            c.SyntaxError();
            return;
        }
        var key = c.Arg(1);
        if (c.ArgCount == 3)
        {
            SPopWithCount(c);
            return;
        }
        if (!c.TryWriteKey(key, out SetValue? set)) return;
        if (set is null)
        {
            c.Reply.Null();
            return;
        }
        int pos = set.RandomPosition(Random.Shared);
        var member = set.MemberArrayAt(pos);
        set.Remove(member);
        c.Reply.Bulk(member);
        c.Propagate("SREM"u8.ToArray(), key.ToArray(), member); // replicas remove the member chosen here
        c.Notify(NotifyFlags.Set, "spop", key);
        if (set.Count == 0)
        {
            c.Db.Delete(key);
            c.Notify(NotifyFlags.Generic, "del", key);
        }
        c.KeyModified(key);
        c.Dirty();
    }

    private static void SPopWithCount(Client c)
    {
        if (!RespNumbers.TryParseInt64(c.Arg(2), out long count) || count < 0)
        {
            c.Reply.Error("ERR value is out of range, must be positive");
            return;
        }
        var key = c.Arg(1);
        if (!c.TryWriteKey(key, out SetValue? set)) return;
        if (set is null || count == 0)
        {
            c.Reply.SetHeader(0);
            return;
        }
        c.Notify(NotifyFlags.Set, "spop", key);
        if (count >= set.Count)
        {
            // The whole set, replied as Redis does through SUNION of the key: the members go through a fresh
            // intset-first set, so all-integer sets come back sorted even from a hashtable. Then the key goes.
            var union = SetValue.CreateIntset();
            Span<byte> scratch = stackalloc byte[RespNumbers.MaxInt64Chars];
            AddAll(union, set, c.Server.Config, scratch);
            c.Reply.SetHeader(union.Count);
            WriteMembers(c.Reply, union);
            c.Db.Delete(key);
            c.Propagate("DEL"u8.ToArray(), key.ToArray()); // DEL even with lazyfree-lazy-server-del, as Redis 7.0
            c.Notify(NotifyFlags.Generic, "del", key);
            c.KeyModified(key);
            c.Dirty();
            return;
        }
        var picks = SetSampling.Distinct(set, (int)count, Random.Shared);
        var members = new byte[picks.Length][];
        for (int i = 0; i < picks.Length; i++) members[i] = set.MemberArrayAt(picks[i]);
        c.Reply.SetHeader(members.Length);
        foreach (var m in members)
        {
            set.Remove(m);
            c.Reply.Bulk(m);
        }
        // Replicas remove exactly these members, one SREM each as Redis 7.0 sends them (7.2 batches them).
        if (c.ReplicationWanted)
        {
            var keyBytes = key.ToArray();
            foreach (var m in members) c.Propagate("SREM"u8.ToArray(), keyBytes, m);
        }
        c.KeyModified(key);
        c.Dirty(count);
    }

    private static void SRandMember(Client c)
    {
        if (c.ArgCount > 3)
        {
            c.SyntaxError();
            return;
        }
        if (c.ArgCount == 2)
        {
            if (!c.TryReadKey(c.Arg(1), out SetValue? s)) return;
            if (s is null) c.Reply.Null();
            else WriteMemberAt(c.Reply, s, s.RandomPosition(Random.Shared));
            return;
        }
        if (!c.TryGetLong(2, out long l)) return;
        if (l == long.MinValue)
        {
            c.Reply.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
            return;
        }
        if (!c.TryReadKey(c.Arg(1), out SetValue? set)) return;
        var r = c.Reply;
        if (set is null || l == 0)
        {
            r.WriteRaw("*0\r\n"u8); // Redis' shared empty array, also under RESP3
            return;
        }
        if (l < 0 || l == 1)
        {
            long count = l < 0 ? -l : l;
            r.ArrayHeader(count);
            for (long i = 0; i < count; i++) WriteMemberAt(r, set, set.RandomPosition(Random.Shared));
            return;
        }
        if (l >= set.Count)
        {
            r.ArrayHeader(set.Count);
            WriteMembers(r, set);
            return;
        }
        var picks = SetSampling.Distinct(set, (int)l, Random.Shared);
        r.ArrayHeader(picks.Length);
        foreach (int p in picks) WriteMemberAt(r, set, p);
    }

    private static void SMove(Client c)
    {
        var srcKey = c.Arg(1);
        var dstKey = c.Arg(2);
        var member = c.Arg(3);
        int si = c.Db.Find(srcKey);
        int di = c.Db.Find(dstKey);
        if (si < 0)
        {
            c.Reply.Integer(0);
            return;
        }
        if (!c.TryTypedAt(si, out SetValue? src) || !c.TryTypedAt(di, out SetValue? dst)) return;
        if (ReferenceEquals(src, dst))
        {
            c.Reply.Integer(src!.Contains(member) ? 1 : 0);
            return;
        }
        if (!src!.Remove(member))
        {
            c.Reply.Integer(0);
            return;
        }
        c.Notify(NotifyFlags.Set, "srem", srcKey);
        if (src.Count == 0)
        {
            c.Db.Delete(srcKey);
            c.Notify(NotifyFlags.Generic, "del", srcKey);
        }
        if (dst is null)
        {
            dst = SetValue.CreateFor(member);
            c.Db.Add(dstKey, dst);
        }
        c.KeyModified(srcKey);
        c.Dirty();
        if (dst.Add(member, c.Server.Config))
        {
            c.Dirty();
            c.KeyModified(dstKey);
            c.Notify(NotifyFlags.Set, "sadd", dstKey);
        }
        c.Reply.Integer(1);
    }

    // ---- intersection, union, difference ----------------------------------------------------------

    private static void SInterCard(Client c)
    {
        if (!RespNumbers.TryParseInt64(c.Arg(1), out long numKeys) || numKeys < 1)
        {
            c.Reply.Error("ERR numkeys should be greater than 0");
            return;
        }
        if (numKeys > c.ArgCount - 2)
        {
            c.Reply.Error("ERR Number of keys can't be greater than number of args");
            return;
        }
        long limit = 0;
        for (int j = 2 + (int)numKeys; j < c.ArgCount; j++)
        {
            if (c.ArgIs(j, "limit"u8) && j + 1 < c.ArgCount)
            {
                j++;
                if (!RespNumbers.TryParseInt64(c.Arg(j), out limit) || limit < 0)
                {
                    c.Reply.Error("ERR LIMIT can't be negative");
                    return;
                }
            }
            else
            {
                c.SyntaxError();
                return;
            }
        }
        SInter(c, 2, (int)numKeys, -1, true, limit);
    }

    /// <summary>
    /// SINTER / SINTERSTORE / SINTERCARD, as Redis' sinterGenericCommand: every key is type-checked first, then a
    /// missing key means an empty result; the smallest set is iterated and its order is the reply's order.
    /// </summary>
    private static void SInter(Client c, int firstKey, int keyCount, int dstArg, bool cardinalityOnly, long limit)
    {
        var sets = new SetValue[keyCount];
        bool anyMissing = false;
        for (int j = 0; j < keyCount; j++)
        {
            // Sources are read lookups even for the STORE forms (hits, misses, keymiss), as in Redis 7.0.
            if (!c.TryReadKey(c.Arg(firstKey + j), out SetValue? s)) return;
            if (s is null) anyMissing = true;
            else sets[j] = s;
        }
        if (anyMissing)
        {
            if (dstArg >= 0)
            {
                c.DeleteStoreDestination(c.Arg(dstArg));
                c.Reply.Integer(0);
            }
            else if (cardinalityOnly) c.Reply.Integer(0);
            else c.Reply.SetHeader(0);
            return;
        }
        // Stable sort by cardinality (glibc's qsort is a merge sort), so ties keep argument order as in Redis.
        for (int i = 1; i < sets.Length; i++)
        {
            var s = sets[i];
            int k = i - 1;
            while (k >= 0 && sets[k].Count > s.Count) { sets[k + 1] = sets[k]; k--; }
            sets[k + 1] = s;
        }
        var first = sets[0];
        Span<byte> scratch = stackalloc byte[RespNumbers.MaxInt64Chars];
        long cardinality = 0;
        List<int>? positions = dstArg < 0 && !cardinalityOnly ? new List<int>() : null;
        SetValue? result = dstArg >= 0 ? SetValue.CreateIntset() : null;
        var config = c.Server.Config;
        for (int p = 0; p < first.PositionEnd; p++)
        {
            if (!first.TryGetMember(p, scratch, out var m)) continue;
            bool inAll = true;
            for (int j = 1; j < sets.Length && inAll; j++)
                if (!ReferenceEquals(sets[j], first) && !sets[j].Contains(m)) inAll = false;
            if (!inAll) continue;
            cardinality++;
            if (cardinalityOnly)
            {
                if (limit != 0 && cardinality >= limit) break;
            }
            else if (result is not null)
            {
                if (first.Dict is { } dict) result.Add(dict.At(p).Key!, config);
                else result.Add(m, config);
            }
            else positions!.Add(p);
        }
        if (cardinalityOnly)
        {
            c.Reply.Integer(cardinality);
            return;
        }
        if (result is not null)
        {
            StoreResult(c, dstArg, result, "sinterstore");
            return;
        }
        c.Reply.SetHeader(positions!.Count);
        foreach (int p in positions) WriteMemberAt(c.Reply, first, p);
    }

    /// <summary>SUNION / SDIFF and their STORE forms, as Redis' sunionDiffGenericCommand.</summary>
    private static void SUnionDiff(Client c, int firstKey, int dstArg, bool diff)
    {
        int keyCount = c.ArgCount - firstKey;
        var sets = new SetValue?[keyCount];
        for (int j = 0; j < keyCount; j++)
        {
            if (!c.TryReadKey(c.Arg(firstKey + j), out sets[j])) return; // a read lookup for STORE too
        }
        var config = c.Server.Config;
        var result = SetValue.CreateIntset();
        Span<byte> scratch = stackalloc byte[RespNumbers.MaxInt64Chars];
        if (!diff)
        {
            foreach (var s in sets)
                if (s is not null) AddAll(result, s, config, scratch);
        }
        else if (sets[0] is not null)
        {
            // Redis picks the cheaper of two algorithms; which one decides the result's encoding (and so its order).
            long algoOne = 0, algoTwo = 0;
            foreach (var s in sets)
            {
                if (s is null) continue;
                algoOne += sets[0]!.Count;
                algoTwo += s.Count;
            }
            algoOne /= 2;
            var first = sets[0]!;
            if (algoOne <= algoTwo)
            {
                // Algorithm 1: each member of the first set not found in any other (largest first).
                for (int i = 2; i < sets.Length; i++)
                {
                    var s = sets[i];
                    int k = i - 1;
                    while (k >= 1 && (sets[k]?.Count ?? 0) < (s?.Count ?? 0)) { sets[k + 1] = sets[k]; k--; }
                    sets[k + 1] = s;
                }
                for (int p = 0; p < first.PositionEnd; p++)
                {
                    if (!first.TryGetMember(p, scratch, out var m)) continue;
                    bool found = false;
                    for (int j = 1; j < sets.Length; j++)
                    {
                        var s = sets[j];
                        if (s is null) continue;
                        if (ReferenceEquals(s, first) || s.Contains(m)) { found = true; break; }
                    }
                    if (!found) AddMember(result, first, p, m, config);
                }
            }
            else
            {
                // Algorithm 2: copy the first set, then remove every member of the others.
                for (int j = 0; j < sets.Length; j++)
                {
                    var s = sets[j];
                    if (s is null) continue;
                    if (j == 0) AddAll(result, s, config, scratch);
                    else
                    {
                        for (int p = 0; p < s.PositionEnd; p++)
                            if (s.TryGetMember(p, scratch, out var m)) result.Remove(m);
                    }
                    if (result.Count == 0) break;
                }
            }
        }
        if (dstArg >= 0)
        {
            StoreResult(c, dstArg, result, diff ? "sdiffstore" : "sunionstore");
            return;
        }
        c.Reply.SetHeader(result.Count);
        WriteMembers(c.Reply, result);
    }

    private static void AddAll(SetValue result, SetValue source, Config.ServerConfig config, Span<byte> scratch)
    {
        for (int p = 0; p < source.PositionEnd; p++)
            if (source.TryGetMember(p, scratch, out var m)) AddMember(result, source, p, m, config);
    }

    /// <summary>Adds a member of <paramref name="source"/>, sharing its stored bytes (members are never mutated).</summary>
    private static void AddMember(SetValue result, SetValue source, int pos, ReadOnlySpan<byte> member, Config.ServerConfig config)
    {
        if (source.Dict is { } dict) result.Add(dict.At(pos).Key!, config);
        else result.Add(member, config);
    }

    /// <summary>The end of a *STORE: the result replaces the destination, or an empty result deletes it.</summary>
    private static void StoreResult(Client c, int dstArg, SetValue result, string @event)
    {
        var dst = c.Arg(dstArg);
        if (result.Count > 0)
        {
            c.Db.Set(dst, result);
            c.Reply.Integer(result.Count);
            c.KeyModified(dst);
            c.Notify(NotifyFlags.Set, @event, dst);
            c.Dirty();
        }
        else
        {
            c.Reply.Integer(0);
            c.DeleteStoreDestination(c.Arg(dstArg));
        }
    }

    private static void SScan(Client c)
    {
        if (!CollectionScan.TryParseCursor(c, 2, out ulong cursor)) return;
        if (!c.TryReadKey(c.Arg(1), out SetValue? set)) return;
        if (set is null)
        {
            CollectionScan.WriteEmpty(c);
            return;
        }
        if (!CollectionScan.TryParseOptions(c, 3, out long count, out int matchArg)) return;
        ReadOnlySpan<byte> pattern = matchArg > 0 ? c.Arg(matchArg) : default;
        var r = c.Reply;
        if (set.Dict is null)
        {
            // An intset is returned whole in one call, cursor 0, as Redis does.
            Span<byte> scratch = stackalloc byte[RespNumbers.MaxInt64Chars];
            int n = 0;
            for (int p = 0; p < set.PositionEnd; p++)
                if (set.TryGetMember(p, scratch, out var m) && (matchArg == 0 || Glob.Match(pattern, m))) n++;
            r.ArrayHeader(2);
            r.Bulk("0"u8);
            r.ArrayHeader(n);
            for (int p = 0; p < set.PositionEnd; p++)
                if (set.TryGetMember(p, scratch, out var m) && (matchArg == 0 || Glob.Match(pattern, m))) r.Bulk(m);
            return;
        }
        var collector = new CollectionScan.Collector(withValues: false);
        cursor = CollectionScan.Run(set.Dict, cursor, count, ref collector);
        CollectionScan.WriteResult(c, cursor, collector.Items, pattern, matchArg != 0, pairs: false);
    }
}

/// <summary>HSCAN / SSCAN over a hashtable encoding: Redis' cursor parsing, options and COUNT-bounded bucket walk.</summary>
internal static class CollectionScan
{
    /// <summary>Redis' parseScanCursorOrReply: strtoul semantics (sign allowed, wraps), "ERR invalid cursor".</summary>
    public static bool TryParseCursor(Client c, int arg, out ulong cursor)
    {
        cursor = 0;
        var s = c.Arg(arg);
        int i = 0;
        bool neg = false;
        bool ok = true;
        if (s.Length > 0 && (s[0] == '+' || s[0] == '-')) { neg = s[0] == '-'; i = 1; }
        if (s.Length == 0) ok = true; // strtoul consumes nothing and the end is reached: cursor 0
        else if (i == s.Length) ok = false;
        for (; i < s.Length && ok; i++)
        {
            uint d = (uint)(s[i] - '0');
            if (d > 9 || cursor > (ulong.MaxValue - d) / 10) { ok = false; break; }
            cursor = cursor * 10 + d;
        }
        if (!ok)
        {
            c.Reply.Error("ERR invalid cursor");
            return false;
        }
        if (neg) cursor = 0 - cursor;
        return true;
    }

    public static void WriteEmpty(Client c)
    {
        c.Reply.ArrayHeader(2);
        c.Reply.Bulk("0"u8);
        c.Reply.ArrayHeader(0);
    }

    /// <summary>COUNT n (at least 1) and MATCH pattern, in any order; false with the error written.</summary>
    public static bool TryParseOptions(Client c, int start, out long count, out int matchArg)
    {
        count = 10;
        matchArg = 0;
        for (int i = start; i < c.ArgCount; i += 2)
        {
            bool hasValue = i + 1 < c.ArgCount;
            if (c.ArgIs(i, "count"u8) && hasValue)
            {
                if (!c.TryGetLong(i + 1, out count)) return false;
                if (count < 1)
                {
                    c.SyntaxError();
                    return false;
                }
            }
            else if (c.ArgIs(i, "match"u8) && hasValue)
            {
                matchArg = Glob.MatchesEverything(c.Arg(i + 1)) ? 0 : i + 1;
            }
            else
            {
                c.SyntaxError();
                return false;
            }
        }
        return true;
    }

    public struct Collector(bool withValues) : IHashDictVisitor
    {
        public readonly List<(byte[] Key, byte[]? Value)> Items = new();

        public void Visit(ref HashDict.Entry entry) => Items.Add(Unpack(entry));

        /// <summary>A set's member as stored; a hash's field and value split out of their pair.</summary>
        private readonly (byte[], byte[]?) Unpack(in HashDict.Entry entry) => withValues
            ? (HashDict.FieldOf(entry.Key!).ToArray(), HashDict.ValueOf(entry.Key!).ToArray())
            : (entry.Key!, null);
    }

    /// <summary>Walks buckets until COUNT elements are collected, up to COUNT*10 buckets, or the end.</summary>
    public static ulong Run(HashDict dict, ulong cursor, long count, ref Collector collector)
    {
        long maxIterations = count * 10;
        do
        {
            cursor = dict.ScanBucket(cursor, ref collector);
        } while (cursor != 0 && maxIterations-- > 0 && collector.Items.Count < count);
        return cursor;
    }

    public static void WriteResult(Client c, ulong cursor, List<(byte[] Key, byte[]? Value)> items, ReadOnlySpan<byte> pattern, bool filter, bool pairs)
    {
        var r = c.Reply;
        int n = 0;
        foreach (var it in items)
            if (!filter || Glob.Match(pattern, it.Key)) n++;
        r.ArrayHeader(2);
        Span<byte> tmp = stackalloc byte[24];
        System.Buffers.Text.Utf8Formatter.TryFormat(cursor, tmp, out int len);
        r.Bulk(tmp[..len]);
        r.ArrayHeader(pairs ? n * 2 : n);
        foreach (var it in items)
        {
            if (filter && !Glob.Match(pattern, it.Key)) continue;
            r.Bulk(it.Key);
            if (pairs) r.Bulk(it.Value!);
        }
    }
}
