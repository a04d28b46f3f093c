using Cinnabar.Commands.Strings;
using Cinnabar.Keyspace;
using Cinnabar.Numerics;

namespace Cinnabar.Commands;

/// <summary>String commands. Values are byte[]; counters are stored as their decimal text, as Redis replies.</summary>
public static partial class StringCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("get", Get);
        yield return new("set", Set) { Keys = SetKeys };
        yield return new("setnx", SetNx);
        yield return new("setex", SetEx);
        yield return new("psetex", PSetEx);
        yield return new("getset", GetSet);
        yield return new("getdel", GetDel);
        yield return new("getex", GetEx);
        yield return new("mget", MGet);
        yield return new("mset", MSet);
        yield return new("msetnx", MSetNx);
        yield return new("append", Append);
        yield return new("strlen", StrLen);
        yield return new("incr", Incr);
        yield return new("decr", Decr);
        yield return new("incrby", IncrBy);
        yield return new("decrby", DecrBy);
        yield return new("incrbyfloat", IncrByFloat);
        yield return new("getrange", GetRange);
        yield return new("substr", GetRange);
        yield return new("setrange", SetRange);
        yield return new("lcs", Lcs);
        yield return new("setbit", SetBit);
        yield return new("getbit", GetBit);
        yield return new("bitcount", BitCount);
        yield return new("bitpos", BitPos);
        yield return new("bitop", BitOp);
        yield return new("bitfield", BitField) { Keys = BitFieldKeys };
        yield return new("bitfield_ro", BitFieldRo);
    }

    private const string MaxSizeError = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

    private static void Get(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out byte[]? v)) return;
        if (v is null) c.Reply.Null();
        else c.Reply.Bulk(v);
    }

    /// <summary>Redis' getGenericCommand: replies the value or null; false (after WRONGTYPE) for other types.</summary>
    private static bool ReplyCurrentValue(Client c, ReadOnlySpan<byte> key)
    {
        if (!c.TryReadKey(key, out byte[]? v)) return false;
        if (v is null) c.Reply.Null();
        else c.Reply.Bulk(v);
        return true;
    }

    private enum SetReply { Ok, OneZero }

    /// <summary>Redis' setGetKeys: SET's key spec has variable flags; GET makes the key read as well as written.</summary>
    private static void SetKeys(Client c, List<KeyReference> keys)
    {
        for (int i = 3; i < c.ArgCount; i++)
            if (c.ArgIs(i, "get"u8)) { keys.Add(new(1, KeySpecFlags.RW | KeySpecFlags.Access | KeySpecFlags.Update)); return; }
        keys.Add(new(1, KeySpecFlags.OW | KeySpecFlags.Update));
    }

    private static void Set(Client c)
    {
        if (!ExtendedStringArgs.TryParse(c, 3, ExtendedStringArgs.CommandType.Set, out var opts)) return;
        SetGeneric(c, 2, opts, SetReply.Ok);
    }

    private static void SetNx(Client c) =>
        SetGeneric(c, 2, new ExtendedStringArgs.Options { Nx = true, ExpireArg = -1 }, SetReply.OneZero);

    private static void SetEx(Client c) =>
        SetGeneric(c, 3, new ExtendedStringArgs.Options { Unit = ExtendedStringArgs.Unit.Ex, ExpireArg = 2 }, SetReply.Ok);

    private static void PSetEx(Client c) =>
        SetGeneric(c, 3, new ExtendedStringArgs.Options { Unit = ExtendedStringArgs.Unit.Px, ExpireArg = 2 }, SetReply.Ok);

    /// <summary>Redis' setGenericCommand: the shared core of SET, SETNX, SETEX and PSETEX.</summary>
    private static void SetGeneric(Client c, int valueArg, in ExtendedStringArgs.Options opts, SetReply reply)
    {
        long expireAt = 0;
        if (opts.ExpireArg >= 0 && !ExtendedStringArgs.TryGetExpireAt(c, opts, out expireAt)) return;

        var db = c.Db;
        var key = c.Arg(1);
        if (opts.Get && !ReplyCurrentValue(c, key)) return;
        int existing = db.Find(key);
        if ((opts.Nx && existing >= 0) || (opts.Xx && existing < 0))
        {
            if (!opts.Get)
            {
                if (reply == SetReply.OneZero) c.Reply.Integer(0); else c.Reply.Null();
            }
            return;
        }
        int index = StoreString(c, existing, key, valueArg, opts.KeepTtl);
        if (expireAt != 0) db.SetExpire(index, expireAt);
        // Replicas get an absolute expiry, so they agree however late the command reaches them: any
        // expiry (PXAT too, in Redis' spelling) goes out as SET key value PXAT ms, other flags dropped.
        if (expireAt != 0)
        {
            if (c.ReplicationWanted)
                c.Propagate("SET"u8.ToArray(), key.ToArray(), c.ArgArray(valueArg), "PXAT"u8.ToArray(), Ascii(expireAt));
        }
        else if (opts.Get && c.ReplicationWanted) PropagateWithoutGet(c);
        c.KeyModified(key);
        c.Dirty();
        c.Notify(NotifyFlags.String, "set", key);
        if (expireAt != 0) c.Notify(NotifyFlags.Generic, "expire", key);
        if (!opts.Get)
        {
            if (reply == SetReply.OneZero) c.Reply.Integer(1); else c.Reply.Ok();
        }
    }

    /// <summary>SET ... GET goes to replicas without its GET arguments (Redis' setCommand), other flags kept.</summary>
    private static void PropagateWithoutGet(Client c)
    {
        var argv = new List<byte[]>(c.ArgCount);
        for (int i = 0; i < c.ArgCount; i++)
            if (i < 3 || !c.ArgIs(i, "get"u8)) argv.Add(c.ArgArray(i));
        c.Propagate([.. argv]);
    }

    /// <summary>
    /// Stores argument <paramref name="valueArg"/> as the string value of <paramref name="key"/>, whose live
    /// entry index is <paramref name="existing"/> (or -1). A string of the same length is overwritten in place
    /// (values are owned by their key), so overwriting SETs allocate nothing. Clears the TTL unless kept.
    /// </summary>
    private static int StoreString(Client c, int existing, ReadOnlySpan<byte> key, int valueArg, bool keepTtl)
    {
        var db = c.Db;
        var value = c.Arg(valueArg);
        if (existing >= 0)
        {
            ref KeyEntry e = ref db.EntryAt(existing);
            if (e.Value is byte[] old && old.Length == value.Length)
            {
                value.CopyTo(old);
                e.StringHint = StringHint.FromBytes; // a new object in Redis, encoded from its bytes
                if (!keepTtl) db.Persist(existing);
                return existing;
            }
        }
        return db.Set(key, value.ToArray(), keepTtl);
    }

    private static void GetSet(Client c)
    {
        var key = c.Arg(1);
        if (!ReplyCurrentValue(c, key)) return;
        StoreString(c, c.Db.Find(key), key, 2, keepTtl: false);
        if (c.ReplicationWanted) c.Propagate("SET"u8.ToArray(), key.ToArray(), c.ArgArray(2)); // as Redis' getsetCommand
        c.KeyModified(key);
        c.Dirty();
        c.Notify(NotifyFlags.String, "set", key);
    }

    private static void GetDel(Client c)
    {
        var key = c.Arg(1);
        if (!ReplyCurrentValue(c, key)) return;
        if (c.Db.Delete(key))
        {
            c.Propagate(DelCommand(c), key.ToArray());
            c.KeyModified(key);
            c.Notify(NotifyFlags.Generic, "del", key);
            c.Dirty();
        }
    }

    /// <summary>DEL, or UNLINK when lazyfree-lazy-user-del is on, as the command replicas receive.</summary>
    private static byte[] DelCommand(Client c) => c.Server.Config.LazyFreeLazyUserDel ? "UNLINK"u8.ToArray() : "DEL"u8.ToArray();

    private static byte[] Ascii(long v) => System.Text.Encoding.ASCII.GetBytes(v.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static void GetEx(Client c)
    {
        // Options are checked first, then the key; the expiry value only once the key exists.
        if (!ExtendedStringArgs.TryParse(c, 2, ExtendedStringArgs.CommandType.Get, out var opts)) return;
        var db = c.Db;
        var key = c.Arg(1);
        int i = db.FindForRead(key);
        if (i < 0) { c.Reply.Null(); return; }
        if (db.EntryAt(i).Value is not byte[] v) { c.WrongType(); return; }
        long expireAt = 0;
        if (opts.ExpireArg >= 0 && !ExtendedStringArgs.TryGetExpireAt(c, opts, out expireAt)) return;
        c.Reply.Bulk(v);

        bool absolute = opts.Unit is ExtendedStringArgs.Unit.ExAt or ExtendedStringArgs.Unit.PxAt;
        if (absolute && expireAt <= c.Server.KeyspaceState.NowMs && !c.Server.KeyspaceState.IsReplica)
        {
            // A timestamp already in the past deletes the key (Redis' checkAlreadyExpired).
            db.RemoveAt(i);
            c.Propagate(c.Server.Config.LazyFreeLazyExpire ? "UNLINK"u8.ToArray() : "DEL"u8.ToArray(), key.ToArray());
            c.KeyModified(key);
            c.Notify(NotifyFlags.Generic, "del", key);
            c.Dirty();
        }
        else if (opts.ExpireArg >= 0)
        {
            db.SetExpire(i, expireAt);
            if (c.ReplicationWanted) c.Propagate("PEXPIREAT"u8.ToArray(), key.ToArray(), Ascii(expireAt));
            c.KeyModified(key);
            c.Notify(NotifyFlags.Generic, "expire", key);
            c.Dirty();
        }
        else if (opts.Persist && db.Persist(i))
        {
            c.Propagate("PERSIST"u8.ToArray(), key.ToArray());
            c.KeyModified(key);
            c.Notify(NotifyFlags.Generic, "persist", key);
            c.Dirty();
        }
    }

    private static void MGet(Client c)
    {
        var db = c.Db;
        int n = c.ArgCount - 1;
        c.Reply.ArrayHeader(n);
        for (int j = 1; j <= n; j++)
        {
            int i = db.FindForRead(c.Arg(j));
            if (i >= 0 && db.EntryAt(i).Value is byte[] v) c.Reply.Bulk(v);
            else c.Reply.Null();
        }
    }

    private static void MSet(Client c) => MSetGeneric(c, nx: false);

    private static void MSetNx(Client c) => MSetGeneric(c, nx: true);

    private static void MSetGeneric(Client c, bool nx)
    {
        if (c.ArgCount % 2 == 0) { c.Reply.Error(Errors.WrongArgs(c.CurrentCommand!.FullName)); return; }
        var db = c.Db;
        if (nx)
        {
            for (int j = 1; j < c.ArgCount; j += 2)
            {
                if (db.Find(c.Arg(j)) >= 0) { c.Reply.Integer(0); return; }
            }
        }
        for (int j = 1; j < c.ArgCount; j += 2)
        {
            var key = c.Arg(j);
            StoreString(c, db.Find(key), key, j + 1, keepTtl: false);
            c.KeyModified(key);
            c.Notify(NotifyFlags.String, "set", key);
        }
        c.Dirty((c.ArgCount - 1) / 2);
        if (nx) c.Reply.Integer(1); else c.Reply.Ok();
    }

    /// <summary>Redis' checkStringLength: the result may not exceed proto-max-bulk-len (the master link is exempt).</summary>
    private static bool CheckStringLength(Client c, long size, long append)
    {
        if ((c.Flags & ClientFlags.Master) != 0) return true;
        long total = unchecked(size + append);
        if (total > c.Server.Config.ProtoMaxBulkLen || total < size || total < append || total > Array.MaxLength)
        {
            c.Reply.Error(MaxSizeError);
            return false;
        }
        return true;
    }

    private static void Append(Client c)
    {
        var db = c.Db;
        var key = c.Arg(1);
        var suffix = c.Arg(2);
        int i = db.Find(key);
        long total;
        if (i < 0)
        {
            db.Add(key, c.ArgArray(2));
            total = suffix.Length;
        }
        else
        {
            ref KeyEntry e = ref db.EntryAt(i);
            if (e.Value is not byte[] old) { c.WrongType(); return; }
            if (!CheckStringLength(c, old.Length, suffix.Length)) return;
            e.StringHint = StringHint.Raw; // Redis unshares the string into a raw one, even for an empty suffix
            if (suffix.Length > 0)
            {
                var grown = new byte[old.Length + suffix.Length];
                old.CopyTo(grown, 0);
                suffix.CopyTo(grown.AsSpan(old.Length));
                db.ReplaceValue(i, grown);
            }
            total = old.Length + suffix.Length;
        }
        c.KeyModified(key);
        c.Notify(NotifyFlags.String, "append", key);
        c.Dirty();
        c.Reply.Integer(total);
    }

    private static void StrLen(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out byte[]? v)) return;
        c.Reply.Integer(v?.Length ?? 0);
    }

    private static void Incr(Client c) => IncrDecr(c, 1);

    private static void Decr(Client c) => IncrDecr(c, -1);

    private static void IncrBy(Client c)
    {
        if (!c.TryGetLong(2, out long by)) return;
        IncrDecr(c, by);
    }

    private static void DecrBy(Client c)
    {
        if (!c.TryGetLong(2, out long by)) return;
        if (by == long.MinValue) { c.Reply.Error("ERR decrement would overflow"); return; }
        IncrDecr(c, -by);
    }

    /// <summary>
    /// INCR/DECR/INCRBY/DECRBY. The counter is kept as its decimal text; when the new value has as many
    /// digits as the old one the digits are rewritten in place, so the common case allocates nothing.
    /// </summary>
    private static void IncrDecr(Client c, long by)
    {
        var db = c.Db;
        var key = c.Arg(1);
        int i = db.Find(key);
        long value = 0;
        byte[]? old = null;
        if (i >= 0)
        {
            old = db.EntryAt(i).Value as byte[];
            if (old is null) { c.WrongType(); return; }
            if (!Protocol.RespNumbers.TryParseInt64(old, out value)) { c.Reply.Error(Errors.NotInteger); return; }
        }
        if ((by < 0 && value < 0 && by < long.MinValue - value) || (by > 0 && value > 0 && by > long.MaxValue - value))
        {
            c.Reply.Error(Errors.Overflow);
            return;
        }
        value += by;
        int len = Protocol.RespNumbers.CountDigits(value);
        if (old is not null && old.Length == len)
        {
            Protocol.RespNumbers.FormatInt64(value, old);
        }
        else
        {
            var text = new byte[len];
            Protocol.RespNumbers.FormatInt64(value, text);
            if (i >= 0) db.ReplaceValue(i, text); // keeps the TTL, as Redis does
            else db.Add(key, text);
        }
        if (i >= 0) db.EntryAt(i).StringHint = StringHint.FromBytes; // an integer object again, as in Redis
        c.KeyModified(key);
        c.Notify(NotifyFlags.String, "incrby", key);
        c.Dirty();
        c.Reply.Integer(value);
    }

    /// <summary>INCRBYFLOAT in emulated x87 long double precision, formatted as Redis' "%.17Lf" human form.</summary>
    private static void IncrByFloat(Client c)
    {
        var db = c.Db;
        var key = c.Arg(1);
        int i = db.Find(key);
        LongDouble value = LongDouble.Zero(false);
        if (i >= 0)
        {
            if (db.EntryAt(i).Value is not byte[] old) { c.WrongType(); return; }
            if (!LongDouble.TryParse(old, out value)) { c.Reply.Error(Errors.NotFloat); return; }
        }
        if (!LongDouble.TryParse(c.Arg(2), out var by)) { c.Reply.Error(Errors.NotFloat); return; }
        value += by;
        if (!value.IsFinite)
        {
            c.Reply.Error("ERR increment would produce NaN or Infinity");
            return;
        }
        var text = value.ToHumanString();
        if (i >= 0) db.ReplaceValue(i, text); // keeps the TTL
        else i = db.Add(key, text);
        // Redis builds the result with createStringObject: never an integer object, even for "11".
        db.EntryAt(i).StringHint = text.Length <= 44 ? StringHint.Embstr : StringHint.FromBytes;
        // The exact result, not the increment: replicas must not redo floating-point arithmetic.
        c.Propagate("SET"u8.ToArray(), key.ToArray(), text, "KEEPTTL"u8.ToArray());
        c.KeyModified(key);
        c.Notify(NotifyFlags.String, "incrbyfloat", key);
        c.Dirty();
        c.Reply.Bulk(text);
    }

    /// <summary>GETRANGE and its old name SUBSTR: inclusive indexes, negative from the end, clamped.</summary>
    private static void GetRange(Client c)
    {
        if (!c.TryGetLong(2, out long start) || !c.TryGetLong(3, out long end)) return;
        if (!c.TryReadKey(c.Arg(1), out byte[]? v)) return;
        if (v is null) { c.Reply.Bulk(ReadOnlySpan<byte>.Empty); return; }
        long len = v.Length;
        if (start < 0 && end < 0 && start > end) { c.Reply.Bulk(ReadOnlySpan<byte>.Empty); return; }
        if (start < 0) start = len + start;
        if (end < 0) end = len + end;
        if (start < 0) start = 0;
        if (end < 0) end = 0;
        if (end >= len) end = len - 1;
        if (start > end || len == 0) { c.Reply.Bulk(ReadOnlySpan<byte>.Empty); return; }
        c.Reply.Bulk(v.AsSpan((int)start, (int)(end - start + 1)));
    }

    private static void SetRange(Client c)
    {
        if (!c.TryGetLong(2, out long offset)) return;
        if (offset < 0) { c.Reply.Error("ERR offset is out of range"); return; }
        var db = c.Db;
        var key = c.Arg(1);
        var patch = c.Arg(3);
        int i = db.Find(key);
        if (i < 0)
        {
            // Writing nothing on a missing key creates nothing.
            if (patch.Length == 0) { c.Reply.Integer(0); return; }
            if (!CheckStringLength(c, offset, patch.Length)) return;
            var created = new byte[offset + patch.Length];
            patch.CopyTo(created.AsSpan((int)offset));
            db.EntryAt(db.Add(key, created)).StringHint = StringHint.Raw;
            SetRangeDone(c, key, created.Length);
            return;
        }
        ref KeyEntry e = ref db.EntryAt(i);
        if (e.Value is not byte[] old) { c.WrongType(); return; }
        if (patch.Length == 0) { c.Reply.Integer(old.Length); return; }
        if (!CheckStringLength(c, offset, patch.Length)) return;
        long needed = offset + patch.Length;
        e.StringHint = StringHint.Raw;
        byte[] target = old;
        if (needed > old.Length)
        {
            target = new byte[needed];
            old.CopyTo(target, 0);
            db.ReplaceValue(i, target);
        }
        patch.CopyTo(target.AsSpan((int)offset));
        SetRangeDone(c, key, target.Length);
    }

    private static void SetRangeDone(Client c, ReadOnlySpan<byte> key, long length)
    {
        c.KeyModified(key);
        c.Notify(NotifyFlags.String, "setrange", key);
        c.Dirty();
        c.Reply.Integer(length);
    }

    private static void Lcs(Client c)
    {
        var db = c.Db;
        int ia = db.FindForRead(c.Arg(1));
        int ib = db.FindForRead(c.Arg(2));
        object? oa = ia >= 0 ? db.EntryAt(ia).Value : null;
        object? ob = ib >= 0 ? db.EntryAt(ib).Value : null;
        if ((oa is not null && oa is not byte[]) || (ob is not null && ob is not byte[]))
        {
            c.Reply.Error("ERR The specified keys must contain string values");
            return;
        }
        byte[] a = oa as byte[] ?? [];
        byte[] b = ob as byte[] ?? [];

        bool getLen = false, getIdx = false, withMatchLen = false;
        long minMatchLen = 0;
        for (int j = 3; j < c.ArgCount; j++)
        {
            bool more = j < c.ArgCount - 1;
            if (c.ArgIs(j, "idx"u8)) getIdx = true;
            else if (c.ArgIs(j, "len"u8)) getLen = true;
            else if (c.ArgIs(j, "withmatchlen"u8)) withMatchLen = true;
            else if (c.ArgIs(j, "minmatchlen"u8) && more)
            {
                if (!c.TryGetLong(j + 1, out minMatchLen)) return;
                if (minMatchLen < 0) minMatchLen = 0;
                j++;
            }
            else { c.SyntaxError(); return; }
        }
        if (getIdx && getLen)
        {
            c.Reply.Error("ERR If you want both the length and indexes, please just use IDX.");
            return;
        }
        LcsAlgorithm.Reply(c, a, b, getLen, getIdx, withMatchLen, minMatchLen);
    }
}

/// <summary>The option grammar shared by SET and GETEX (Redis' parseExtendedStringArgumentsOrReply).</summary>
public static class ExtendedStringArgs
{
    public enum CommandType { Set, Get }
    public enum Unit { None, Ex, Px, ExAt, PxAt }

    public struct Options
    {
        public bool Nx, Xx, Get, KeepTtl, Persist;
        public Unit Unit;
        public int ExpireArg;
    }

    /// <summary>Parses options from argument <paramref name="start"/>; writes "ERR syntax error" and returns false on a bad combination.</summary>
    public static bool TryParse(Client c, int start, CommandType type, out Options o)
    {
        o = new Options { ExpireArg = -1 };
        for (int j = start; j < c.ArgCount; j++)
        {
            var opt = c.Arg(j);
            bool hasNext = j < c.ArgCount - 1;
            bool anyExpire = o.Unit != Unit.None;
            if (Is(opt, "nx"u8) && !o.Xx && type == CommandType.Set) o.Nx = true;
            else if (Is(opt, "xx"u8) && !o.Nx && type == CommandType.Set) o.Xx = true;
            else if (Is(opt, "get"u8) && type == CommandType.Set) o.Get = true;
            else if (Is(opt, "keepttl"u8) && !o.Persist && !anyExpire && type == CommandType.Set) o.KeepTtl = true;
            else if (Is(opt, "persist"u8) && type == CommandType.Get && !anyExpire && !o.KeepTtl) o.Persist = true;
            else if (Is(opt, "ex"u8) && !o.KeepTtl && !o.Persist && o.Unit is Unit.None or Unit.Ex && hasNext) { o.Unit = Unit.Ex; o.ExpireArg = ++j; }
            else if (Is(opt, "px"u8) && !o.KeepTtl && !o.Persist && o.Unit is Unit.None or Unit.Px && hasNext) { o.Unit = Unit.Px; o.ExpireArg = ++j; }
            else if (Is(opt, "exat"u8) && !o.KeepTtl && !o.Persist && o.Unit is Unit.None or Unit.ExAt && hasNext) { o.Unit = Unit.ExAt; o.ExpireArg = ++j; }
            else if (Is(opt, "pxat"u8) && !o.KeepTtl && !o.Persist && o.Unit is Unit.None or Unit.PxAt && hasNext) { o.Unit = Unit.PxAt; o.ExpireArg = ++j; }
            else
            {
                c.SyntaxError();
                return false;
            }
        }
        return true;
    }

    /// <summary>Converts the expiry argument to absolute Unix ms; writes Redis' error and returns false when invalid.</summary>
    public static bool TryGetExpireAt(Client c, in Options o, out long expireAt)
    {
        expireAt = 0;
        if (!c.TryGetLong(o.ExpireArg, out long ms)) return false;
        bool seconds = o.Unit is Unit.Ex or Unit.ExAt;
        if (ms <= 0 || (seconds && ms > long.MaxValue / 1000))
        {
            c.Reply.Error($"ERR invalid expire time in '{c.CurrentCommand!.FullName}' command");
            return false;
        }
        if (seconds) ms *= 1000;
        if (o.Unit is Unit.Ex or Unit.Px) ms = unchecked(ms + c.Server.KeyspaceState.NowMs);
        if (ms <= 0)
        {
            c.Reply.Error($"ERR invalid expire time in '{c.CurrentCommand!.FullName}' command");
            return false;
        }
        expireAt = ms;
        return true;
    }

    private static bool Is(ReadOnlySpan<byte> arg, ReadOnlySpan<byte> lower) => Protocol.RespNumbers.EqualsIgnoreCase(arg, lower);
}
