using Cinnabar.Config;
using Cinnabar.DataTypes;
using Cinnabar.Keyspace;
using Cinnabar.Protocol;

namespace Cinnabar.Commands;

/// <summary>Generic key commands: DEL, EXISTS, TYPE, expiry, SCAN, RENAME, COPY, MOVE, FLUSH*, OBJECT...</summary>
public static class KeyCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("del", Del);
        yield return new("unlink", Del);
        yield return new("exists", Exists);
        yield return new("type", Type);
        yield return new("keys", Keys);
        yield return new("scan", Scan);
        yield return new("rename", Rename);
        yield return new("renamenx", RenameNx);
        yield return new("randomkey", RandomKey);
        yield return new("dbsize", DbSize);
        yield return new("expire", Expire);
        yield return new("pexpire", PExpire);
        yield return new("expireat", ExpireAt);
        yield return new("pexpireat", PExpireAt);
        yield return new("ttl", Ttl);
        yield return new("pttl", PTtl);
        yield return new("expiretime", ExpireTime);
        yield return new("pexpiretime", PExpireTime);
        yield return new("persist", Persist);
        yield return new("touch", Touch);
        yield return new("copy", Copy);
        yield return new("move", Move);
        yield return new("swapdb", SwapDb);
        yield return new("flushdb", FlushDb);
        yield return new("flushall", FlushAll);
        yield return new("object|encoding", ObjectEncoding);
        yield return new("object|freq", ObjectFreq);
        yield return new("object|idletime", ObjectIdleTime);
        yield return new("object|refcount", ObjectRefCount);
        yield return new("object|help", ObjectHelp);
    }

    private const string SameObject = "ERR source and destination objects are the same";

    // ---- existence and deletion -----------------------------------------------------------------

    /// <summary>
    /// DEL and UNLINK. Either way the value is only dropped here and the collector reclaims it in the
    /// background, so neither walks a large value under the lock; UNLINK (and DEL with lazyfree-lazy-user-del)
    /// counts the values Redis would free on its lazyfree thread.
    /// </summary>
    private static void Del(Client c)
    {
        long deleted = 0;
        bool lazy = c.ArgIs(0, "unlink"u8) || c.Server.Config.LazyFreeLazyUserDel;
        for (int j = 1; j < c.ArgCount; j++)
        {
            var key = c.Arg(j);
            int i = c.Db.Find(key);
            if (i < 0) continue;
            if (lazy && RedisValue.FreeEffort(c.Db.EntryAt(i).Value!) > RedisValue.LazyFreeThreshold)
                c.Server.KeyspaceState.LazyfreedObjects++;
            c.Db.RemoveAt(i);
            c.KeyModified(key);
            c.Notify(NotifyFlags.Generic, "del", key);
            c.Dirty();
            deleted++;
        }
        c.Reply.Integer(deleted);
    }

    /// <summary>EXISTS counts repeated keys once per mention, as Redis does; it does not count as an access.</summary>
    private static void Exists(Client c) => CountExisting(c, touch: false);

    /// <summary>TOUCH: EXISTS that marks the keys as accessed (OBJECT IDLETIME restarts).</summary>
    private static void Touch(Client c) => CountExisting(c, touch: true);

    private static void CountExisting(Client c, bool touch)
    {
        long n = 0;
        for (int j = 1; j < c.ArgCount; j++)
            if (c.Db.FindForRead(c.Arg(j), touch) >= 0) n++;
        c.Reply.Integer(n);
    }

    private static void Type(Client c)
    {
        int i = c.Db.FindForRead(c.Arg(1), touch: false);
        c.Reply.SimpleString(i < 0 ? "none"u8 : TypeBytes(c.Db.EntryAt(i).Value!));
    }

    /// <summary>The TYPE name as constant bytes, chosen by the value's class (no per-call encoding or string compare).</summary>
    private static ReadOnlySpan<byte> TypeBytes(object value) => value switch
    {
        byte[] => "string"u8,
        ListValue => "list"u8,
        HashValue => "hash"u8,
        SetValue => "set"u8,
        SortedSetValue => "zset"u8,
        StreamValue => "stream"u8,
        _ => "none"u8,
    };

    private static void DbSize(Client c) => c.Reply.Integer(c.Db.Count);

    private static void RandomKey(Client c)
    {
        var key = c.Db.RandomKey();
        if (key is null) c.Reply.Null();
        else c.Reply.Bulk(key);
    }

    // ---- KEYS and SCAN ----------------------------------------------------------------------------

    /// <summary>Collects the keys of the visited buckets (SCAN filters them afterwards, as Redis does).</summary>
    private struct KeyCollector(List<byte[]> keys) : IEntryVisitor
    {
        public void Visit(int index, ref KeyEntry entry) => keys.Add(entry.Key!);
    }

    // Commands run one at a time under the execution lock, so one scratch list serves every call.
    private static readonly List<byte[]> ScanScratch = new();

    private static void Keys(Client c)
    {
        var db = c.Db;
        var pattern = c.Arg(1);
        bool all = Glob.MatchesEverything(pattern);
        var keys = ScanScratch;
        keys.Clear();
        var table = db.Table;
        // Expired keys are skipped but left for the expiry cycle, as Redis' KEYS does.
        for (int i = 0; i < table.SlotCount; i++)
        {
            ref KeyEntry e = ref table.EntryAt(i);
            if (e.Key is null || db.IsExpired(e)) continue;
            if (all || Glob.Match(pattern, e.Key)) keys.Add(e.Key);
        }
        c.Reply.ArrayHeader(keys.Count);
        foreach (var k in keys) c.Reply.Bulk(k);
        keys.Clear();
    }

    private static void Scan(Client c)
    {
        if (!CollectionScan.TryParseCursor(c, 1, out ulong cursor)) return;
        long count = 10;
        int matchArg = 0, typeArg = 0;
        for (int i = 2; i < c.ArgCount; i += 2)
        {
            bool hasValue = i + 1 < c.ArgCount;
            if (hasValue && c.ArgIs(i, "count"u8))
            {
                if (!c.TryGetLong(i + 1, out count)) return;
                if (count < 1) { c.SyntaxError(); return; }
            }
            else if (hasValue && c.ArgIs(i, "match"u8))
                matchArg = Glob.MatchesEverything(c.Arg(i + 1)) ? 0 : i + 1;
            else if (hasValue && c.ArgIs(i, "type"u8))
                typeArg = i + 1;
            else { c.SyntaxError(); return; }
        }

        var db = c.Db;
        var keys = ScanScratch;
        keys.Clear();
        var collector = new KeyCollector(keys);
        // Redis' dictScan loop: about COUNT keys, at most COUNT*10 extra buckets when they are empty.
        long maxIterations = count * 10;
        do
        {
            cursor = db.ScanBucket(cursor, ref collector);
        } while (cursor != 0 && maxIterations-- > 0 && keys.Count < count);

        // Filter in place: pattern, then type (a lookup that may reclaim the key), then expiry.
        int kept = 0;
        for (int k = 0; k < keys.Count; k++)
        {
            var key = keys[k];
            if (matchArg != 0 && !Glob.Match(c.Arg(matchArg), key)) continue;
            int idx = -2;
            if (typeArg != 0)
            {
                idx = db.FindForRead(key, touch: false);
                var type = idx < 0 ? "none"u8 : TypeBytes(db.EntryAt(idx).Value!);
                if (!System.Text.Ascii.EqualsIgnoreCase(c.Arg(typeArg), type)) continue;
            }
            if (idx != -1 && db.Find(key, touch: false) < 0) continue;
            keys[kept++] = key;
        }

        var r = c.Reply;
        r.ArrayHeader(2);
        Span<byte> tmp = stackalloc byte[24];
        System.Buffers.Text.Utf8Formatter.TryFormat(cursor, tmp, out int len);
        r.Bulk(tmp[..len]);
        r.ArrayHeader(kept);
        for (int k = 0; k < kept; k++) r.Bulk(keys[k]);
        keys.Clear();
    }

    // ---- RENAME, COPY, MOVE -----------------------------------------------------------------------

    private static void Rename(Client c) => RenameGeneric(c, nx: false);
    private static void RenameNx(Client c) => RenameGeneric(c, nx: true);

    private static void RenameGeneric(Client c, bool nx)
    {
        var db = c.Db;
        var src = c.Arg(1);
        var dst = c.Arg(2);
        int i = db.Find(src);
        if (i < 0) { c.Reply.Error(Errors.NoSuchKey); return; }
        if (src.SequenceEqual(dst))
        {
            // Renaming onto itself changes nothing (but the key had to exist).
            if (nx) c.Reply.Integer(0); else c.Reply.Ok();
            return;
        }
        ref KeyEntry e = ref db.EntryAt(i);
        object value = e.Value!;
        long expireAt = e.ExpireAt;
        if (db.Find(dst) >= 0)
        {
            if (nx) { c.Reply.Integer(0); return; }
        }
        var hint = e.StringHint;
        // Remove the source first: its index is no longer valid once the destination is added.
        db.RemoveAt(db.Find(src));
        db.EntryAt(db.Add(c.ArgArray(2), value, expireAt)).StringHint = hint; // the same object, as in Redis
        c.KeyModified(src);
        c.KeyModified(dst);
        c.Notify(NotifyFlags.Generic, "rename_from", src);
        c.Notify(NotifyFlags.Generic, "rename_to", dst);
        c.Server.Blocking.SignalKeyReady(db, dst);
        c.Dirty();
        if (nx) c.Reply.Integer(1); else c.Reply.Ok();
    }

    /// <summary>Redis' getIntFromObjectOrReply: a 32-bit integer, or the error (custom text for both failures when given).</summary>
    private static bool TryGetInt(Client c, int arg, out int value, string? error = null)
    {
        value = 0;
        if (!RespNumbers.TryParseInt64(c.Arg(arg), out long v))
        {
            c.Reply.Error(error ?? Errors.NotInteger);
            return false;
        }
        if (v is < int.MinValue or > int.MaxValue)
        {
            c.Reply.Error(error ?? "ERR value is out of range, value must between -2147483648 and 2147483647");
            return false;
        }
        value = (int)v;
        return true;
    }

    private static Database? DbOrError(Client c, int id)
    {
        var dbs = c.Server.Databases;
        if (id >= 0 && id < dbs.Length) return dbs[id];
        c.Reply.Error(Errors.DbIndexOutOfRange);
        return null;
    }

    private static void Copy(Client c)
    {
        var src = c.Db;
        var dst = c.Db;
        bool replace = false;
        for (int j = 3; j < c.ArgCount; j++)
        {
            if (c.ArgIs(j, "replace"u8)) replace = true;
            else if (c.ArgIs(j, "db"u8) && j + 1 < c.ArgCount)
            {
                if (!TryGetInt(c, j + 1, out int id)) return;
                if ((dst = DbOrError(c, id)) is null) return;
                j++;
            }
            else { c.SyntaxError(); return; }
        }
        var key = c.Arg(1);
        var newKey = c.Arg(2);
        if (src == dst && key.SequenceEqual(newKey)) { c.Reply.Error(SameObject); return; }
        int i = src.FindForRead(key);
        if (i < 0) { c.Reply.Integer(0); return; }
        ref KeyEntry e = ref src.EntryAt(i);
        object value = e.Value!;
        long expireAt = e.ExpireAt;
        if (dst.Find(newKey) >= 0)
        {
            if (!replace) { c.Reply.Integer(0); return; }
            dst.Delete(newKey);
        }
        var hint = e.StringHint; // Redis' dupStringObject keeps the encoding
        dst.EntryAt(dst.Add(c.ArgArray(2), RedisValue.DeepClone(value), expireAt)).StringHint = hint;
        c.Server.SignalModifiedKey(dst, newKey);
        c.Server.Notifications.Notify(NotifyFlags.Generic, "copy_to", newKey, dst.Id);
        c.Server.Blocking.SignalKeyReady(dst, newKey);
        c.Dirty();
        c.Reply.Integer(1);
    }

    private static void Move(Client c)
    {
        var src = c.Db;
        if (!TryGetInt(c, 2, out int id)) return;
        var dst = DbOrError(c, id);
        if (dst is null) return;
        if (dst == src) { c.Reply.Error(SameObject); return; }
        var key = c.Arg(1);
        int i = src.Find(key);
        if (i < 0) { c.Reply.Integer(0); return; }
        if (dst.Find(key) >= 0) { c.Reply.Integer(0); return; }
        ref KeyEntry e = ref src.EntryAt(i);
        var keyBytes = e.Key!;
        object value = e.Value!;
        long expireAt = e.ExpireAt;
        var hint = e.StringHint;
        src.RemoveAt(i);
        // The key's bytes move with it: the source table no longer references them.
        dst.EntryAt(dst.Add(keyBytes, value, expireAt)).StringHint = hint;
        c.Server.SignalModifiedKey(src, key);
        c.Server.SignalModifiedKey(dst, key);
        c.Server.Notifications.Notify(NotifyFlags.Generic, "move_from", key, src.Id);
        c.Server.Notifications.Notify(NotifyFlags.Generic, "move_to", key, dst.Id);
        c.Server.Blocking.SignalKeyReady(dst, key);
        c.Dirty();
        c.Reply.Integer(1);
    }

    // ---- databases ----------------------------------------------------------------------------------

    private static void SwapDb(Client c)
    {
        if (!TryGetInt(c, 1, out int id1, "ERR invalid first DB index")) return;
        if (!TryGetInt(c, 2, out int id2, "ERR invalid second DB index")) return;
        var dbs = c.Server.Databases;
        if (id1 < 0 || id1 >= dbs.Length || id2 < 0 || id2 >= dbs.Length)
        {
            c.Reply.Error(Errors.DbIndexOutOfRange);
            return;
        }
        if (id1 != id2)
        {
            // Watchers of keys in either database see a change, as with FLUSHDB.
            c.Server.Transactions.TouchAllWatchedKeysInDb(dbs[id1], dbs[id2]);
            c.Server.Transactions.TouchAllWatchedKeysInDb(dbs[id2], dbs[id1]);
            dbs[id1].SwapWith(dbs[id2]);
            // Clients blocked on a key that the swap brought into their database are served, as in Redis.
            c.Server.Blocking.SignalDatabaseReady(dbs[id1]);
            c.Server.Blocking.SignalDatabaseReady(dbs[id2]);
        }
        c.Dirty();
        c.Reply.Ok();
    }

    /// <summary>The optional ASYNC|SYNC argument of FLUSHDB/FLUSHALL; false after a syntax error.</summary>
    private static bool ParseFlushMode(Client c, out bool async)
    {
        async = false;
        if (c.ArgCount == 1)
        {
            async = c.Server.Config.LazyFreeLazyUserFlush;
            return true;
        }
        if (c.ArgCount == 2 && (c.ArgIs(1, "sync"u8) || c.ArgIs(1, "async"u8)))
        {
            async = c.ArgIs(1, "async"u8);
            return true;
        }
        c.SyntaxError();
        return false;
    }

    private static void FlushDb(Client c)
    {
        if (!ParseFlushMode(c, out bool async)) return;
        long removed = c.Db.Count;
        // Redis' emptyDbAsync hands every key to its lazyfree thread; here the old table is simply dropped.
        if (async) c.Server.KeyspaceState.LazyfreedObjects += removed;
        c.Server.Transactions.TouchAllWatchedKeysInDb(c.Db, null);
        c.Db.Clear();
        c.Server.SignalFlushed();
        c.Dirty(removed);
        // Propagated even when the database was already empty (Redis forces it).
        c.PropagateVerbatim();
        c.Reply.Ok();
    }

    private static void FlushAll(Client c)
    {
        if (!ParseFlushMode(c, out bool async)) return;
        var server = c.Server;
        long removed = 0;
        foreach (var db in server.Databases)
        {
            removed += db.Count;
            server.Transactions.TouchAllWatchedKeysInDb(db, null);
            db.Clear();
        }
        server.SignalFlushed();
        // Redis' emptyDbAsync hands every key to its lazyfree thread; here the old tables are simply dropped.
        if (async) server.KeyspaceState.LazyfreedObjects += removed;
        server.Persistence.Dirty += removed;
        if (server.Config.SavePoints.Length > 0 && !server.Persistence.BgsaveInProgress)
        {
            // Like Redis, write the now empty dataset at once; the save must not reset the change
            // counter, so that FLUSHALL itself still counts (and replicates).
            long dirty = server.Persistence.Dirty;
            server.Persistence.Save();
            server.Persistence.Dirty = dirty;
        }
        c.Dirty();
        c.PropagateVerbatim();
        c.Reply.Ok();
    }

    // ---- expiry -------------------------------------------------------------------------------------

    private static void Expire(Client c) => ExpireGeneric(c, c.Server.KeyspaceState.NowMs, seconds: true);
    private static void PExpire(Client c) => ExpireGeneric(c, c.Server.KeyspaceState.NowMs, seconds: false);
    private static void ExpireAt(Client c) => ExpireGeneric(c, 0, seconds: true);
    private static void PExpireAt(Client c) => ExpireGeneric(c, 0, seconds: false, absoluteMs: true);

    [Flags]
    private enum ExpireCondition { None = 0, Nx = 1, Xx = 2, Gt = 4, Lt = 8 }

    /// <summary>Redis' expireGenericCommand: options first, then the time (with overflow checks), then the key.</summary>
    private static void ExpireGeneric(Client c, long baseMs, bool seconds, bool absoluteMs = false)
    {
        var flags = ExpireCondition.None;
        for (int j = 3; j < c.ArgCount; j++)
        {
            if (c.ArgIs(j, "nx"u8)) flags |= ExpireCondition.Nx;
            else if (c.ArgIs(j, "xx"u8)) flags |= ExpireCondition.Xx;
            else if (c.ArgIs(j, "gt"u8)) flags |= ExpireCondition.Gt;
            else if (c.ArgIs(j, "lt"u8)) flags |= ExpireCondition.Lt;
            else { c.Reply.Error("ERR Unsupported option " + c.ArgString(j)); return; }
        }
        if ((flags & ExpireCondition.Nx) != 0 && (flags & (ExpireCondition.Xx | ExpireCondition.Gt | ExpireCondition.Lt)) != 0)
        {
            c.Reply.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
            return;
        }
        if ((flags & (ExpireCondition.Gt | ExpireCondition.Lt)) == (ExpireCondition.Gt | ExpireCondition.Lt))
        {
            c.Reply.Error("ERR GT and LT options at the same time are not compatible");
            return;
        }
        if (!c.TryGetLong(2, out long when)) return;
        if (seconds)
        {
            if (when > long.MaxValue / 1000 || when < long.MinValue / 1000) { InvalidExpire(c); return; }
            when *= 1000;
        }
        if (when > long.MaxValue - baseMs) { InvalidExpire(c); return; }
        when += baseMs;

        var db = c.Db;
        var key = c.Arg(1);
        int i = db.Find(key);
        if (i < 0) { c.Reply.Integer(0); return; }

        if (flags != ExpireCondition.None)
        {
            long current = db.EntryAt(i).ExpireAt;
            bool hasTtl = current != 0;
            if ((flags & ExpireCondition.Nx) != 0 && hasTtl) { c.Reply.Integer(0); return; }
            if ((flags & ExpireCondition.Xx) != 0 && !hasTtl) { c.Reply.Integer(0); return; }
            // No TTL counts as infinite: GT never beats it, LT always does.
            if ((flags & ExpireCondition.Gt) != 0 && (!hasTtl || when <= current)) { c.Reply.Integer(0); return; }
            if ((flags & ExpireCondition.Lt) != 0 && hasTtl && when >= current) { c.Reply.Integer(0); return; }
        }

        var state = c.Server.KeyspaceState;
        if (when <= state.NowMs && !state.IsReplica)
        {
            // Already in the past: the key goes now, and replicas get the deletion itself.
            db.RemoveAt(i);
            c.Propagate(c.Server.Config.LazyFreeLazyExpire ? "UNLINK"u8.ToArray() : "DEL"u8.ToArray(), key.ToArray());
            c.KeyModified(key);
            c.Notify(NotifyFlags.Generic, "del", key);
            c.Dirty();
            c.Reply.Integer(1);
            return;
        }
        // 0 means "no expiry" in the table; an absolute time of 0 (only reachable on a replica) becomes 1.
        db.SetExpire(i, when == 0 ? -1 : when);
        c.Reply.Integer(1);
        if (!absoluteMs)
        {
            // Replicas get the absolute time, keeping the options as Redis does.
            var argv = new byte[c.ArgCount][];
            argv[0] = "PEXPIREAT"u8.ToArray();
            argv[1] = key.ToArray();
            argv[2] = System.Text.Encoding.ASCII.GetBytes(when.ToString(System.Globalization.CultureInfo.InvariantCulture));
            for (int j = 3; j < argv.Length; j++) argv[j] = c.ArgArray(j);
            c.Propagate(argv);
        }
        c.KeyModified(key);
        c.Notify(NotifyFlags.Generic, "expire", key);
        c.Dirty();
    }

    private static void InvalidExpire(Client c) => c.Reply.Error($"ERR invalid expire time in '{c.CurrentCommand!.FullName}' command");

    private static void Ttl(Client c) => TtlGeneric(c, ms: false, absolute: false);
    private static void PTtl(Client c) => TtlGeneric(c, ms: true, absolute: false);
    private static void ExpireTime(Client c) => TtlGeneric(c, ms: false, absolute: true);
    private static void PExpireTime(Client c) => TtlGeneric(c, ms: true, absolute: true);

    private static void TtlGeneric(Client c, bool ms, bool absolute)
    {
        int i = c.Db.FindForRead(c.Arg(1), touch: false);
        if (i < 0) { c.Reply.Integer(-2); return; }
        long expire = c.Db.EntryAt(i).ExpireAt;
        if (expire == 0) { c.Reply.Integer(-1); return; }
        long ttl = absolute ? expire : expire - c.Server.KeyspaceState.NowMs;
        if (ttl < 0) ttl = 0;
        // Seconds are rounded to the nearest; split so the largest timestamps do not overflow.
        c.Reply.Integer(ms ? ttl : ttl / 1000 + (ttl % 1000 + 500) / 1000);
    }

    private static void Persist(Client c)
    {
        var key = c.Arg(1);
        int i = c.Db.Find(key);
        if (i < 0 || !c.Db.Persist(i)) { c.Reply.Integer(0); return; }
        c.KeyModified(key);
        c.Notify(NotifyFlags.Generic, "persist", key);
        c.Dirty();
        c.Reply.Integer(1);
    }

    // ---- OBJECT -------------------------------------------------------------------------------------

    private const string LfuSelectedIdle = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
    private const string LfuNotSelected = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

    private static bool IsLfu(Client c) => c.Server.Config.MaxMemoryPolicy.IsLfu();

    /// <summary>The value of the key in argument 2, or null after replying null (OBJECT's missing-key answer).</summary>
    private static object? ObjectLookup(Client c) => ObjectLookup(c, out _);

    private static object? ObjectLookup(Client c, out int index)
    {
        // OBJECT inspects without counting as an access.
        index = c.Db.FindForRead(c.Arg(2), touch: false);
        if (index >= 0) return c.Db.EntryAt(index).Value;
        c.Reply.Null();
        return null;
    }

    private static void ObjectEncoding(Client c)
    {
        var value = ObjectLookup(c, out int i);
        if (value is not null) c.Reply.Bulk(RedisValue.Encoding(c.Db.EntryAt(i), c.Server.Config));
    }

    /// <summary>
    /// Redis stores small non-negative integers (below 10000) as shared objects with an "infinite" refcount,
    /// unless maxmemory with an LRU/LFU policy needs per-key access data.
    /// </summary>
    internal static bool IsSharedInteger(Client c, in KeyEntry entry)
    {
        // Raw (APPEND, SETRANGE...) and INCRBYFLOAT's strings are objects of their own.
        if (entry.Value is not byte[] s || s.Length is 0 or > 4 || entry.StringHint != StringHint.FromBytes) return false;
        if (!RespNumbers.TryParseInt64(s, out long v) || v is < 0 or >= 10000) return false;
        Span<byte> canonical = stackalloc byte[RespNumbers.MaxInt64Chars];
        if (!canonical[..RespNumbers.FormatInt64(v, canonical)].SequenceEqual(s)) return false;
        var cfg = c.Server.Config;
        bool lruOrLfu = cfg.MaxMemoryPolicy.IsLru() || cfg.MaxMemoryPolicy.IsLfu();
        return !(cfg.MaxMemory != 0 && lruOrLfu);
    }

    private static void ObjectRefCount(Client c)
    {
        var value = ObjectLookup(c, out int i);
        if (value is not null) c.Reply.Integer(IsSharedInteger(c, c.Db.EntryAt(i)) ? int.MaxValue : 1);
    }

    private static void ObjectFreq(Client c)
    {
        var value = ObjectLookup(c, out int i);
        if (value is null) return;
        if (!IsLfu(c)) { c.Reply.Error(LfuNotSelected); return; }
        ref KeyEntry e = ref c.Db.EntryAt(i);
        // Redis' shared integers carry one counter for all their keys, decayed to 0 unless used within the
        // minute; Cinnabar counts per key and reports them as Redis usually shows them.
        c.Reply.Integer(IsSharedInteger(c, e) ? 0 : Lfu.Counter(e.LruSeconds, c.Server.KeyspaceState.NowMs, c.Server.Config.LfuDecayTime));
    }

    private static void ObjectIdleTime(Client c)
    {
        var value = ObjectLookup(c, out int i);
        if (value is null) return;
        if (IsLfu(c)) { c.Reply.Error(LfuSelectedIdle); return; }
        c.Reply.Integer(c.Db.IdleSeconds(c.Db.EntryAt(i)));
    }

    private static readonly string[] ObjectHelpLines =
    [
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ];

    private static void ObjectHelp(Client c)
    {
        c.Reply.ArrayHeader(ObjectHelpLines.Length);
        foreach (var line in ObjectHelpLines) c.Reply.SimpleString(line);
    }
}
