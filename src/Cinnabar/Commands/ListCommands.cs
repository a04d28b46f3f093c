using Cinnabar.Blocking;
using Cinnabar.DataTypes;
using Cinnabar.Keyspace;
using Cinnabar.Protocol;

namespace Cinnabar.Commands;

/// <summary>List commands, including the blocking ones, with Redis 7.0's replies, errors and argument order.</summary>
public static class ListCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("lpush", c => Push(c, head: true, onlyIfExists: false));
        yield return new("rpush", c => Push(c, head: false, onlyIfExists: false));
        yield return new("lpushx", c => Push(c, head: true, onlyIfExists: true));
        yield return new("rpushx", c => Push(c, head: false, onlyIfExists: true));
        yield return new("lpop", c => Pop(c, head: true));
        yield return new("rpop", c => Pop(c, head: false));
        yield return new("llen", LLen);
        yield return new("lrange", LRange);
        yield return new("lindex", LIndex);
        yield return new("lset", LSet);
        yield return new("linsert", LInsert);
        yield return new("lrem", LRem);
        yield return new("ltrim", LTrim);
        yield return new("lpos", LPos);
        yield return new("lmove", LMove);
        yield return new("rpoplpush", RPopLPush);
        yield return new("lmpop", c => MPop(c, 1, blocking: false)) { Keys = KeySpec.NumKeys(0, 1, 2) };
        yield return new("blpop", c => BPop(c, head: true));
        yield return new("brpop", c => BPop(c, head: false));
        yield return new("blmove", BLMove);
        yield return new("brpoplpush", BRPopLPush);
        yield return new("blmpop", c => MPop(c, 2, blocking: true)) { Keys = KeySpec.NumKeys(0, 2, 3) };
    }

    // ---- lookups --------------------------------------------------------------------------------------


    /// <summary>Bookkeeping after elements left a list: event, deletion when empty, WATCH, dirty.</summary>
    private static void ElementsRemoved(Client c, ReadOnlySpan<byte> key, bool head, ListValue list, long count)
    {
        c.Notify(NotifyFlags.List, head ? "lpop" : "rpop", key);
        if (list.Count == 0)
        {
            c.Db.Delete(key);
            c.Notify(NotifyFlags.Generic, "del", key);
        }
        c.KeyModified(key);
        c.Dirty(count);
    }

    private static void AfterPush(Client c, ReadOnlySpan<byte> key, bool head, long count)
    {
        c.KeyModified(key);
        c.Notify(NotifyFlags.List, head ? "lpush" : "rpush", key);
        c.Dirty(count);
        c.Server.Blocking.SignalKeyReady(c.Db, key);
    }

    private static ListValue GetOrCreate(Client c, ReadOnlySpan<byte> key, ListValue? list)
    {
        if (list is not null) return list;
        list = new ListValue(c.Server.Config.ListMaxListpackSize);
        c.Db.Add(key, list);
        return list;
    }

    /// <summary>Redis' addListRangeReply: inclusive indexes, negative from the end, clamped; reversed for the tail.</summary>
    private static void ReplyRange(Client c, ListValue list, long start, long end, bool reverse)
    {
        long len = list.Count;
        if (start < 0) start = len + start;
        if (end < 0) end = len + end;
        if (start < 0) start = 0;
        if (start > end || start >= len)
        {
            c.Reply.WriteRaw("*0\r\n"u8);
            return;
        }
        if (end >= len) end = len - 1;
        long n = end - start + 1;
        c.Reply.ArrayHeader(n);
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        var cursor = list.From((int)(reverse ? end : start), forward: !reverse, scratch);
        for (long i = 0; i < n && cursor.MoveNext(); i++) c.Reply.Bulk(cursor.Current);
    }

    /// <summary>Replies with the first or last element straight from its node, then removes it.</summary>
    private static void ReplyPop(Client c, ListValue list, bool head)
    {
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        c.Reply.Bulk(list.Peek(head, scratch));
        list.RemoveEnd(head);
    }

    private static bool TryParseWhere(Client c, int i, out bool head)
    {
        head = c.ArgIs(i, "left"u8);
        if (head || c.ArgIs(i, "right"u8)) return true;
        c.SyntaxError();
        return false;
    }

    /// <summary>Redis' getTimeoutFromObjectOrReply in seconds: a long double, to ms; 0 = forever.</summary>
    internal static bool TryGetTimeout(Client c, int i, out long timeoutAtMs)
    {
        timeoutAtMs = 0;
        if (!Numerics.LongDouble.TryParse(c.Arg(i), out var value) || value.IsNaN)
        {
            c.Reply.Error("ERR timeout is not a float or out of range");
            return false;
        }
        // (long long) ceill(seconds * 1000) in long double: 0.001 is 1 ms, not 0 (forever); -0.0001 is -0,
        // so forever. Out of range (inf, huge) gives LLONG_MIN on x86, hence "timeout is negative".
        long t = value.TryMultiplyCeiling(1000, out long product) ? product : long.MinValue;
        if (t < 0)
        {
            c.Reply.Error("ERR timeout is negative");
            return false;
        }
        if (t > 0) t = unchecked(t + c.Server.KeyspaceState.NowMs);
        timeoutAtMs = t;
        return true;
    }

    private static byte[] PopName(bool head) => head ? "LPOP"u8.ToArray() : "RPOP"u8.ToArray();
    private static byte[] Num(long v) => System.Text.Encoding.ASCII.GetBytes(v.ToString(System.Globalization.CultureInfo.InvariantCulture));

    // ---- commands ---------------------------------------------------------------------------------------

    private static void Push(Client c, bool head, bool onlyIfExists)
    {
        var key = c.Arg(1);
        if (!c.TryWriteKey(key, out ListValue? list)) return;
        if (list is null && onlyIfExists)
        {
            c.Reply.Integer(0);
            return;
        }
        list = GetOrCreate(c, key, list);
        for (int j = 2; j < c.ArgCount; j++) list.Push(c.Arg(j), head);
        c.Reply.Integer(list.Count);
        AfterPush(c, key, head, c.ArgCount - 2);
    }

    private static void Pop(Client c, bool head)
    {
        if (c.ArgCount > 3)
        {
            c.Reply.Error(Errors.WrongArgs(c.CurrentCommand!.FullName));
            return;
        }
        bool hasCount = c.ArgCount == 3;
        long count = 0;
        if (hasCount && (!RespNumbers.TryParseInt64(c.Arg(2), out count) || count < 0))
        {
            c.Reply.Error("ERR value is out of range, must be positive");
            return;
        }
        var key = c.Arg(1);
        if (!c.TryWriteKey(key, out ListValue? list)) return;
        if (list is null)
        {
            if (hasCount) c.Reply.NullArray(); else c.Reply.Null();
            return;
        }
        if (hasCount && count == 0)
        {
            c.Reply.WriteRaw("*0\r\n"u8);
            return;
        }
        if (!hasCount)
        {
            ReplyPop(c, list, head);
            ElementsRemoved(c, key, head, list, 1);
            return;
        }
        long n = Math.Min(count, list.Count);
        c.Reply.ArrayHeader(n);
        for (long i = 0; i < n; i++) ReplyPop(c, list, head);
        ElementsRemoved(c, key, head, list, n);
    }

    private static void LLen(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out ListValue? list)) return;
        c.Reply.Integer(list?.Count ?? 0);
    }

    private static void LRange(Client c)
    {
        if (!c.TryGetLong(2, out long start) || !c.TryGetLong(3, out long end)) return;
        if (!c.TryReadKey(c.Arg(1), out ListValue? list)) return;
        if (list is null) { c.Reply.WriteRaw("*0\r\n"u8); return; }
        ReplyRange(c, list, start, end, reverse: false);
    }

    private static void LIndex(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out ListValue? list)) return;
        if (list is null) { c.Reply.Null(); return; }
        if (!c.TryGetLong(2, out long index)) return;
        if (index < 0) index += list.Count;
        if (index < 0 || index >= list.Count) c.Reply.Null();
        else
        {
            Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
            c.Reply.Bulk(list.Get((int)index, scratch));
        }
    }

    private static void LSet(Client c)
    {
        var key = c.Arg(1);
        if (!c.TryWriteKey(key, out ListValue? list)) return;
        if (list is null) { c.Reply.Error(Errors.NoSuchKey); return; }
        if (!c.TryGetLong(2, out long index)) return;
        if (index < 0) index += list.Count;
        if (index < 0 || index >= list.Count)
        {
            c.Reply.Error("ERR index out of range");
            return;
        }
        list.Set((int)index, c.Arg(3));
        c.Reply.Ok();
        c.KeyModified(key);
        c.Notify(NotifyFlags.List, "lset", key);
        c.Dirty();
    }

    private static void LInsert(Client c)
    {
        bool after;
        if (c.ArgIs(2, "after"u8)) after = true;
        else if (c.ArgIs(2, "before"u8)) after = false;
        else { c.SyntaxError(); return; }
        var key = c.Arg(1);
        if (!c.TryWriteKey(key, out ListValue? list)) return;
        if (list is null) { c.Reply.Integer(0); return; }
        var pivot = c.Arg(3);
        int at = -1;
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        var cursor = list.From(0, forward: true, scratch);
        for (int i = 0; at < 0 && cursor.MoveNext(); i++)
            if (cursor.Current.SequenceEqual(pivot)) at = i;
        if (at >= 0)
        {
            list.Insert(at, after, c.Arg(4));
            c.KeyModified(key);
            c.Notify(NotifyFlags.List, "linsert", key);
            c.Dirty();
            c.Reply.Integer(list.Count);
            return;
        }
        c.Reply.Integer(-1);
    }

    private static void LRem(Client c)
    {
        if (!c.TryGetLong(2, out long toRemove)) return;
        var key = c.Arg(1);
        if (!c.TryWriteKey(key, out ListValue? list)) return;
        if (list is null) { c.Reply.Integer(0); return; }
        bool fromTail = toRemove < 0;
        // As in C, negating the most negative count leaves it negative: no limit is ever reached.
        long removed = list.RemoveMatches(c.Arg(3), fromTail ? unchecked(-toRemove) : toRemove, fromTail);
        if (removed > 0)
        {
            c.Notify(NotifyFlags.List, "lrem", key);
            if (list.Count == 0)
            {
                c.Db.Delete(key);
                c.Notify(NotifyFlags.Generic, "del", key);
            }
            c.KeyModified(key);
            c.Dirty(removed);
        }
        c.Reply.Integer(removed);
    }

    private static void LTrim(Client c)
    {
        if (!c.TryGetLong(2, out long start) || !c.TryGetLong(3, out long end)) return;
        var key = c.Arg(1);
        if (!c.TryWriteKey(key, out ListValue? list)) return;
        if (list is null) { c.Reply.Ok(); return; }
        long len = list.Count, ltrim, rtrim;
        if (start < 0) start = len + start;
        if (end < 0) end = len + end;
        if (start < 0) start = 0;
        if (start > end || start >= len)
        {
            ltrim = len;
            rtrim = 0;
        }
        else
        {
            if (end >= len) end = len - 1;
            ltrim = start;
            rtrim = len - end - 1;
        }
        list.Trim((int)ltrim, (int)rtrim);
        c.Notify(NotifyFlags.List, "ltrim", key);
        if (list.Count == 0)
        {
            c.Db.Delete(key);
            c.Notify(NotifyFlags.Generic, "del", key);
        }
        c.KeyModified(key);
        c.Dirty(ltrim + rtrim);
        c.Reply.Ok();
    }

    private static void LPos(Client c)
    {
        long rank = 1, count = -1, maxLen = 0;
        for (int j = 3; j < c.ArgCount; j++)
        {
            bool more = c.ArgCount - 1 - j > 0;
            if (c.ArgIs(j, "rank"u8) && more)
            {
                j++;
                if (!c.TryGetLong(j, out rank)) return;
                if (rank == 0)
                {
                    c.Reply.Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
                    return;
                }
            }
            else if (c.ArgIs(j, "count"u8) && more)
            {
                j++;
                if (!RespNumbers.TryParseInt64(c.Arg(j), out count) || count < 0) { c.Reply.Error("ERR COUNT can't be negative"); return; }
            }
            else if (c.ArgIs(j, "maxlen"u8) && more)
            {
                j++;
                if (!RespNumbers.TryParseInt64(c.Arg(j), out maxLen) || maxLen < 0) { c.Reply.Error("ERR MAXLEN can't be negative"); return; }
            }
            else { c.SyntaxError(); return; }
        }
        bool fromTail = rank < 0;
        // As in C, negating the most negative rank leaves it negative: every match then qualifies.
        if (fromTail) rank = unchecked(-rank);

        if (!c.TryReadKey(c.Arg(1), out ListValue? list)) return;
        if (list is null)
        {
            if (count != -1) c.Reply.WriteRaw("*0\r\n"u8); else c.Reply.Null();
            return;
        }
        var element = c.Arg(2);
        long len = list.Count, matches = 0;
        List<long>? found = count != -1 ? new List<long>() : null;
        long single = -1;
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        var cursor = list.From(fromTail ? (int)len - 1 : 0, forward: !fromTail, scratch);
        for (long index = 0; index < len && (maxLen == 0 || index < maxLen) && cursor.MoveNext(); index++)
        {
            long pos = fromTail ? len - index - 1 : index;
            if (!cursor.Current.SequenceEqual(element)) continue;
            matches++;
            if (matches < rank) continue;
            if (found is null) { single = pos; break; }
            found.Add(pos);
            if (count != 0 && unchecked(matches - rank + 1) >= count) break;
        }
        if (found is not null)
        {
            c.Reply.ArrayHeader(found.Count);
            foreach (var p in found) c.Reply.Integer(p);
        }
        else if (single >= 0) c.Reply.Integer(single);
        else c.Reply.Null();
    }

    private static void LMove(Client c)
    {
        if (!TryParseWhere(c, 3, out bool fromHead) || !TryParseWhere(c, 4, out bool toHead)) return;
        MoveGeneric(c, fromHead, toHead);
    }

    private static void RPopLPush(Client c) => MoveGeneric(c, fromHead: false, toHead: true);

    /// <summary>LMOVE/RPOPLPUSH (and their blocking forms when data is there).</summary>
    private static void MoveGeneric(Client c, bool fromHead, bool toHead)
    {
        var src = c.Arg(1);
        if (!c.TryWriteKey(src, out ListValue? list)) return;
        if (list is null || list.Count == 0) { c.Reply.Null(); return; }
        if (!c.TryWriteKey(c.Arg(2), out ListValue? dst)) return;
        var value = list.Pop(fromHead);
        PushMoved(c, c.Arg(2), dst, value, toHead);
        c.Notify(NotifyFlags.List, fromHead ? "lpop" : "rpop", src);
        if (list.Count == 0)
        {
            c.Db.Delete(src);
            c.Notify(NotifyFlags.Generic, "del", src);
        }
        c.KeyModified(src);
        c.Dirty();
    }

    private static void PushMoved(Client c, ReadOnlySpan<byte> dstKey, ListValue? dst, byte[] value, bool toHead)
    {
        dst = GetOrCreate(c, dstKey, dst);
        c.KeyModified(dstKey);
        dst.Push(value, toHead);
        c.Notify(NotifyFlags.List, toHead ? "lpush" : "rpush", dstKey);
        c.Server.Blocking.SignalKeyReady(c.Db, dstKey);
        c.Reply.Bulk(value);
    }

    /// <summary>LMPOP numkeys key... LEFT|RIGHT [COUNT n] and BLMPOP timeout numkeys ...</summary>
    private static void MPop(Client c, int numKeysIndex, bool blocking)
    {
        if (!RespNumbers.TryParseInt64(c.Arg(numKeysIndex), out long numKeys) || numKeys < 1)
        {
            c.Reply.Error("ERR numkeys should be greater than 0");
            return;
        }
        long whereIndex = numKeysIndex + numKeys + 1;
        if (whereIndex >= c.ArgCount) { c.SyntaxError(); return; }
        if (!TryParseWhere(c, (int)whereIndex, out bool head)) return;
        long count = -1;
        for (int j = (int)whereIndex + 1; j < c.ArgCount; j++)
        {
            bool more = c.ArgCount - 1 - j > 0;
            if (count == -1 && c.ArgIs(j, "count"u8) && more)
            {
                j++;
                if (!RespNumbers.TryParseInt64(c.Arg(j), out count) || count < 1)
                {
                    c.Reply.Error("ERR count should be greater than 0");
                    return;
                }
            }
            else { c.SyntaxError(); return; }
        }
        if (count == -1) count = 1;
        var keys = new byte[numKeys][];
        for (int k = 0; k < numKeys; k++) keys[k] = c.ArgArray(numKeysIndex + 1 + k);
        if (blocking) BlockingPop(c, keys, head, 1, count);
        else
        {
            if (!TryPopFirstNonEmpty(c, keys, head, count, out bool done)) return;
            if (!done) c.Reply.NullArray();
        }
    }

    /// <summary>Pops from the first non-empty list of <paramref name="keys"/>, replying [key, [elements]].</summary>
    private static bool TryPopFirstNonEmpty(Client c, byte[][] keys, bool head, long count, out bool done)
    {
        done = false;
        foreach (var key in keys)
        {
            if (!c.TryWriteKey(key, out ListValue? list)) return false;
            if (list is null || list.Count == 0) continue;
            PopRangeWithKey(c, key, list, head, count);
            done = true;
            return true;
        }
        return true;
    }

    private static void PopRangeWithKey(Client c, byte[] key, ListValue list, bool head, long count)
    {
        long n = Math.Min(count, list.Count);
        c.Reply.ArrayHeader(2);
        c.Reply.Bulk(key);
        c.Reply.ArrayHeader(n);
        for (long i = 0; i < n; i++) ReplyPop(c, list, head);
        ElementsRemoved(c, key, head, list, n);
        c.Propagate(PopName(head), key, Num(n)); // replicas pop exactly this many
    }

    private static void BPop(Client c, bool head)
    {
        var keys = new byte[c.ArgCount - 2][];
        for (int k = 0; k < keys.Length; k++) keys[k] = c.ArgArray(1 + k);
        BlockingPop(c, keys, head, c.ArgCount - 1, count: -1);
    }

    /// <summary>BLPOP/BRPOP (count -1) and BLMPOP: pop now if any list has data, else block.</summary>
    private static void BlockingPop(Client c, byte[][] keys, bool head, int timeoutIndex, long count)
    {
        if (!TryGetTimeout(c, timeoutIndex, out long timeoutAt)) return;
        foreach (var key in keys)
        {
            if (!c.TryWriteKey(key, out ListValue? list)) return;
            if (list is null || list.Count == 0) continue;
            if (count != -1) PopRangeWithKey(c, key, list, head, count);
            else PopOneWithKey(c, key, list, head);
            return;
        }
        if (c.DenyBlocking)
        {
            c.Reply.NullArray();
            return;
        }
        c.Server.Blocking.Block(c, keys, timeoutAt, new BlockedPop(head, count));
    }

    private static void PopOneWithKey(Client c, byte[] key, ListValue list, bool head)
    {
        c.Reply.ArrayHeader(2);
        c.Reply.Bulk(key);
        ReplyPop(c, list, head);
        ElementsRemoved(c, key, head, list, 1);
        c.Propagate(PopName(head), key);
    }

    private static void BLMove(Client c)
    {
        if (!TryParseWhere(c, 3, out bool fromHead) || !TryParseWhere(c, 4, out bool toHead)) return;
        if (!TryGetTimeout(c, 5, out long timeoutAt)) return;
        BlockingMove(c, fromHead, toHead, timeoutAt, isBRPopLPush: false);
    }

    private static void BRPopLPush(Client c)
    {
        if (!TryGetTimeout(c, 3, out long timeoutAt)) return;
        BlockingMove(c, fromHead: false, toHead: true, timeoutAt, isBRPopLPush: true);
    }

    private static void BlockingMove(Client c, bool fromHead, bool toHead, long timeoutAt, bool isBRPopLPush)
    {
        var src = c.Arg(1);
        if (!c.TryWriteKey(src, out ListValue? list)) return;
        if (list is null)
        {
            if (c.DenyBlocking) c.Reply.Null();
            else c.Server.Blocking.Block(c, [c.ArgArray(1)], timeoutAt, new BlockedMove(c.ArgArray(2), fromHead, toHead, isBRPopLPush));
            return;
        }
        MoveGeneric(c, fromHead, toHead);
        // Replicas run the non-blocking form, with the directions as the client spelled them (as Redis).
        if (isBRPopLPush) c.Propagate("RPOPLPUSH"u8.ToArray(), c.ArgArray(1), c.ArgArray(2));
        else c.Propagate("LMOVE"u8.ToArray(), c.ArgArray(1), c.ArgArray(2), c.ArgArray(3), c.ArgArray(4));
    }

    // ---- served later -----------------------------------------------------------------------------------

    /// <summary>A parked BLPOP/BRPOP/BLMPOP.</summary>
    private sealed class BlockedPop(bool head, long count) : BlockedOperation
    {
        public override bool TryServe(Client c, byte[] key)
        {
            int i = c.Db.Find(key);
            if (i < 0 || c.Db.EntryAt(i).Value is not ListValue list || list.Count == 0) return false;
            if (count != -1) PopRangeWithKey(c, key, list, head, count);
            else PopOneWithKey(c, key, list, head);
            return true;
        }

        public override void ReplyTimeout(Client c) => c.Reply.NullArray();
    }

    /// <summary>A parked BLMOVE/BRPOPLPUSH.</summary>
    private sealed class BlockedMove(byte[] destination, bool fromHead, bool toHead, bool isBRPopLPush) : BlockedOperation
    {
        public override bool TryServe(Client c, byte[] key)
        {
            int i = c.Db.Find(key);
            if (i < 0 || c.Db.EntryAt(i).Value is not ListValue list || list.Count == 0) return false;
            // A destination of another type fails the waiting command with WRONGTYPE (it is still answered).
            if (!c.TryWriteKey(destination, out ListValue? dst)) return true;
            c.Server.Persistence.BeforeWriteKey(c.Db, destination);
            var value = list.Pop(fromHead);
            PushMoved(c, destination, dst, value, toHead);
            c.Notify(NotifyFlags.List, fromHead ? "lpop" : "rpop", key);
            if (list.Count == 0)
            {
                c.Db.Delete(key);
                c.Notify(NotifyFlags.Generic, "del", key);
            }
            c.KeyModified(key);
            c.Dirty();
            if (isBRPopLPush) c.Propagate("RPOPLPUSH"u8.ToArray(), key, destination);
            // Served later, Redis spells the directions with its shared lower-case "left"/"right".
            else c.Propagate("LMOVE"u8.ToArray(), key, destination, fromHead ? "left"u8.ToArray() : "right"u8.ToArray(), toHead ? "left"u8.ToArray() : "right"u8.ToArray());
            return true;
        }

        public override void ReplyTimeout(Client c) => c.Reply.NullArray();
    }
}
