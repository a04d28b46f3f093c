using Cinnabar.DataTypes;
using Cinnabar.Keyspace;
using Cinnabar.Numerics;
using Cinnabar.Protocol;

namespace Cinnabar.Commands;

/// <summary>Hash commands (HSET, HGET, HSCAN...), following Redis 7.0's t_hash.c semantics.</summary>
public static class HashCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("hset", HSet);
        yield return new("hmset", HSet);
        yield return new("hsetnx", HSetNx);
        yield return new("hget", HGet);
        yield return new("hmget", HMGet);
        yield return new("hdel", HDel);
        yield return new("hlen", HLen);
        yield return new("hexists", HExists);
        yield return new("hstrlen", HStrLen);
        yield return new("hkeys", c => GetAll(c, keys: true, values: false));
        yield return new("hvals", c => GetAll(c, keys: false, values: true));
        yield return new("hgetall", c => GetAll(c, keys: true, values: true));
        yield return new("hincrby", HIncrBy);
        yield return new("hincrbyfloat", HIncrByFloat);
        yield return new("hrandfield", HRandField);
        yield return new("hscan", HScan);
    }

    /// <summary>Redis' hashTypeLookupWriteOrCreate: creates an empty hash under the key when missing.</summary>
    private static HashValue? WriteOrCreate(Client c, ReadOnlySpan<byte> key)
    {
        if (!c.TryWriteKey(key, out HashValue? hash)) return null;
        if (hash is null)
        {
            hash = new HashValue();
            c.Db.Add(key, hash);
        }
        return hash;
    }

    private static void HSet(Client c)
    {
        if (c.ArgCount % 2 == 1)
        {
            c.Reply.Error(Errors.WrongArgs(c.CurrentCommand?.FullName ?? "hset"));
            return;
        }
        var key = c.Arg(1);
        var hash = WriteOrCreate(c, key);
        if (hash is null) return;
        var config = c.Server.Config;
        // hashTypeTryConversion: any over-long argument converts before inserting.
        for (int i = 2; i < c.ArgCount && hash.IsListpack; i++) hash.ConvertIfLong(c.Arg(i).Length, config);
        int created = 0;
        for (int i = 2; i < c.ArgCount; i += 2)
            if (hash.Set(c.Arg(i), c.Arg(i + 1), config)) created++;
        if (c.ArgIs(0, "hmset"u8)) c.Reply.Ok();
        else c.Reply.Integer(created);
        c.KeyModified(key);
        c.Notify(NotifyFlags.Hash, "hset", key);
        c.Dirty((c.ArgCount - 2) / 2);
    }

    private static void HSetNx(Client c)
    {
        var key = c.Arg(1);
        var hash = WriteOrCreate(c, key);
        if (hash is null) return;
        if (hash.Contains(c.Arg(2)))
        {
            c.Reply.Integer(0);
            return;
        }
        var config = c.Server.Config;
        hash.ConvertIfLong(c.Arg(2).Length, config);
        hash.ConvertIfLong(c.Arg(3).Length, config);
        hash.Set(c.Arg(2), c.Arg(3), config);
        c.Reply.Integer(1);
        c.KeyModified(key);
        c.Notify(NotifyFlags.Hash, "hset", key);
        c.Dirty();
    }

    private static void HGet(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out HashValue? hash)) return;
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        if (hash is not null && hash.TryGet(c.Arg(2), scratch, out var v)) c.Reply.Bulk(v);
        else c.Reply.Null();
    }

    private static void HMGet(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out HashValue? hash)) return;
        c.Reply.ArrayHeader(c.ArgCount - 2);
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        for (int i = 2; i < c.ArgCount; i++)
        {
            if (hash is not null && hash.TryGet(c.Arg(i), scratch, out var v)) c.Reply.Bulk(v);
            else c.Reply.Null();
        }
    }

    private static void HDel(Client c) => MemberRemoval.Remove<HashValue>(c, NotifyFlags.Hash, "hdel");

    private static void HLen(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out HashValue? hash)) return;
        c.Reply.Integer(hash?.Count ?? 0);
    }

    private static void HExists(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out HashValue? hash)) return;
        c.Reply.Integer(hash is not null && hash.Contains(c.Arg(2)) ? 1 : 0);
    }

    private static void HStrLen(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out HashValue? hash)) return;
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        c.Reply.Integer(hash is not null && hash.TryGet(c.Arg(2), scratch, out var v) ? v.Length : 0);
    }

    private static void GetAll(Client c, bool keys, bool values)
    {
        if (!c.TryReadKey(c.Arg(1), out HashValue? hash)) return;
        int n = hash?.Count ?? 0;
        var r = c.Reply;
        if (keys && values) r.MapHeader(n);
        else r.ArrayHeader(n);
        if (hash is null) return;
        var cursor = hash.GetCursor(stackalloc byte[ListpackEntry.ScratchSize], stackalloc byte[ListpackEntry.ScratchSize]);
        while (cursor.MoveNext())
        {
            if (keys) r.Bulk(cursor.Field);
            if (values) r.Bulk(cursor.Value);
        }
    }

    private static void HIncrBy(Client c)
    {
        if (!c.TryGetLong(3, out long incr)) return;
        var key = c.Arg(1);
        var hash = WriteOrCreate(c, key);
        if (hash is null) return;
        long value = 0;
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        if (hash.TryGet(c.Arg(2), scratch, out var current) && !RespNumbers.TryParseInt64(current, out value))
        {
            c.Reply.Error("ERR hash value is not an integer");
            return;
        }
        if ((incr < 0 && value < 0 && incr < long.MinValue - value) || (incr > 0 && value > 0 && incr > long.MaxValue - value))
        {
            c.Reply.Error(Errors.Overflow);
            return;
        }
        value += incr;
        Span<byte> buf = stackalloc byte[RespNumbers.MaxInt64Chars];
        int n = RespNumbers.FormatInt64(value, buf);
        hash.Set(c.Arg(2), buf[..n], c.Server.Config);
        c.Reply.Integer(value);
        c.KeyModified(key);
        c.Notify(NotifyFlags.Hash, "hincrby", key);
        c.Dirty();
    }

    private static void HIncrByFloat(Client c)
    {
        if (!LongDouble.TryParse(c.Arg(3), out var incr))
        {
            c.Reply.Error(Errors.NotFloat);
            return;
        }
        if (!incr.IsFinite)
        {
            c.Reply.Error("ERR value is NaN or Infinity");
            return;
        }
        var key = c.Arg(1);
        var hash = WriteOrCreate(c, key);
        if (hash is null) return;
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        var value = LongDouble.Zero(false);
        if (hash.TryGet(c.Arg(2), scratch, out var current) && !LongDouble.TryParse(current, out value))
        {
            c.Reply.Error("ERR hash value is not a float");
            return;
        }
        var sum = value + incr;
        if (!sum.IsFinite)
        {
            c.Reply.Error("ERR increment would produce NaN or Infinity");
            return;
        }
        byte[] text = sum.ToHumanString();
        hash.Set(c.Arg(2), text, c.Server.Config);
        c.Reply.Bulk(text);
        c.Propagate("HSET"u8.ToArray(), key.ToArray(), c.ArgArray(2), text); // the result, not the increment
        c.KeyModified(key);
        c.Notify(NotifyFlags.Hash, "hincrbyfloat", key);
        c.Dirty();
    }

    private static void HRandField(Client c)
    {
        if (c.ArgCount == 2)
        {
            if (!c.TryReadKey(c.Arg(1), out HashValue? h)) return;
            if (h is null) c.Reply.Null();
            else c.Reply.Bulk(h.FieldAt(h.RandomPosition(Random.Shared), stackalloc byte[ListpackEntry.ScratchSize]));
            return;
        }
        if (!c.TryGetLong(2, out long l)) return;
        if (l == long.MinValue)
        {
            c.Reply.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
            return;
        }
        bool withValues = false;
        if (c.ArgCount > 4 || (c.ArgCount == 4 && !c.ArgIs(3, "withvalues"u8)))
        {
            c.SyntaxError();
            return;
        }
        if (c.ArgCount == 4)
        {
            withValues = true;
            if (l < -long.MaxValue / 2 || l > long.MaxValue / 2)
            {
                c.Reply.Error("ERR value is out of range");
                return;
            }
        }
        if (!c.TryReadKey(c.Arg(1), out HashValue? hash)) return;
        var r = c.Reply;
        if (hash is null || l == 0)
        {
            r.WriteRaw("*0\r\n"u8); // Redis' shared empty array, also under RESP3
            return;
        }
        bool resp3Pairs = withValues && r.Resp3;
        int size = hash.Count;
        bool unique = l > 0;
        long count = unique ? l : -l;
        if (!unique || count == 1)
        {
            // Repeats allowed: independent picks.
            r.ArrayHeader(withValues && !r.Resp3 ? count * 2 : count);
            for (long i = 0; i < count; i++)
                WritePairAt(r, hash, hash.RandomPosition(Random.Shared), withValues, resp3Pairs);
            return;
        }
        if (count >= size)
        {
            // The whole hash, in its own order (listpack order matches Redis byte for byte).
            r.ArrayHeader(withValues && !r.Resp3 ? size * 2L : size);
            var cursor = hash.GetCursor(stackalloc byte[ListpackEntry.ScratchSize], stackalloc byte[ListpackEntry.ScratchSize]);
            while (cursor.MoveNext()) WritePair(r, cursor.Field, cursor.Value, withValues, resp3Pairs);
            return;
        }
        var picks = SetSampling.Distinct(hash, (int)count, Random.Shared);
        r.ArrayHeader(withValues && !r.Resp3 ? count * 2 : count);
        foreach (int p in picks) WritePairAt(r, hash, p, withValues, resp3Pairs);
    }

    private static void WritePairAt(ReplyBuffer r, HashValue hash, int pos, bool withValues, bool resp3Pairs)
    {
        Span<byte> fieldScratch = stackalloc byte[ListpackEntry.ScratchSize], valueScratch = stackalloc byte[ListpackEntry.ScratchSize];
        WritePair(r, hash.FieldAt(pos, fieldScratch), withValues ? hash.ValueAt(pos, valueScratch) : default, withValues, resp3Pairs);
    }

    private static void WritePair(ReplyBuffer r, ReadOnlySpan<byte> field, ReadOnlySpan<byte> value, bool withValues, bool resp3Pairs)
    {
        if (resp3Pairs) r.ArrayHeader(2);
        r.Bulk(field);
        if (withValues) r.Bulk(value);
    }

    private static void HScan(Client c)
    {
        if (!CollectionScan.TryParseCursor(c, 2, out ulong cursor)) return;
        if (!c.TryReadKey(c.Arg(1), out HashValue? hash)) return;
        if (hash is null)
        {
            CollectionScan.WriteEmpty(c);
            return;
        }
        if (!CollectionScan.TryParseOptions(c, 3, out long count, out int matchArg)) return;
        var r = c.Reply;
        ReadOnlySpan<byte> pattern = matchArg > 0 ? c.Arg(matchArg) : default;
        if (hash.Dict is null)
        {
            // A listpack is returned whole in one call, cursor 0, as Redis does.
            Span<byte> fieldScratch = stackalloc byte[ListpackEntry.ScratchSize], valueScratch = stackalloc byte[ListpackEntry.ScratchSize];
            int n = 0;
            var counting = hash.GetCursor(fieldScratch, valueScratch);
            while (counting.MoveNext())
                if (matchArg == 0 || Glob.Match(pattern, counting.Field)) n++;
            r.ArrayHeader(2);
            r.Bulk("0"u8);
            r.ArrayHeader(n * 2);
            var pairs = hash.GetCursor(fieldScratch, valueScratch);
            while (pairs.MoveNext())
            {
                if (matchArg != 0 && !Glob.Match(pattern, pairs.Field)) continue;
                r.Bulk(pairs.Field);
                r.Bulk(pairs.Value);
            }
            return;
        }
        var collector = new CollectionScan.Collector(withValues: true);
        cursor = CollectionScan.Run(hash.Dict, cursor, count, ref collector);
        CollectionScan.WriteResult(c, cursor, collector.Items, pattern, matchArg != 0, pairs: true);
    }
}
