using System.Text;
using System.Text.RegularExpressions;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Replication;

/// <summary>
/// What a replica receives: the same write commands run on a real Redis 7.0 master and on Cinnabar, each
/// with a <see cref="FakeReplica"/> attached, must produce the same replication stream byte for byte
/// (absolute times within a tolerance, random choices by shape), and the same replies.
/// </summary>
public sealed partial class ReplicationStreamTests
{
    private static readonly Encoding L = Encoding.Latin1;

    /// <summary>One master under test: its main connection, extra connections for blocked clients, its fake replica.</summary>
    private sealed class Side(string name, int port) : IDisposable
    {
        public string Name { get; } = name;
        public RespClient Main { get; } = new("127.0.0.1", port);
        public FakeReplica Replica { get; private set; } = null!;
        public List<string> Replies { get; } = new();
        /// <summary>Command names (and container|subcommand) this side ran, for the coverage check.</summary>
        public HashSet<string> Commands { get; } = new();
        private readonly List<RespClient> _others = new();
        private RespClient? _probe;

        public void Attach() => Replica = new FakeReplica(port);

        public string Call(params string[] args)
        {
            Record(args);
            var reply = Main.Call(args);
            Replies.Add(reply);
            return reply;
        }

        public void Record(string[] args)
        {
            var name = args[0].ToLowerInvariant();
            Commands.Add(name);
            if (args.Length > 1) Commands.Add(name + "|" + args[1].ToLowerInvariant());
        }

        /// <summary>A command that blocks on another connection, the command that serves it, and both replies.</summary>
        public void Blocked(string[] blocking, params string[] serve) => Blocked(0, blocking, serve);

        public void Blocked(int db, string[] blocking, params string[] serve)
        {
            var other = new RespClient("127.0.0.1", port);
            _others.Add(other);
            other.Call("SELECT", db.ToString());
            Record(blocking);
            other.Send(blocking);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            // Polled on a connection of its own: the main one may be inside MULTI.
            _probe ??= new RespClient("127.0.0.1", port);
            while (!_probe.Call("INFO", "clients").Contains("blocked_clients:1\r\n"))
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"{Name}: {string.Join(' ', blocking)} did not block");
                Thread.Sleep(5);
            }
            Call(serve);
            Replies.Add(other.ReadReply());
        }

        public void Dispose()
        {
            foreach (var o in _others) o.Dispose();
            _probe?.Dispose();
            Replica?.Dispose();
            Main.Dispose();
        }
    }

    private sealed record Step(string Name, Action<Side> Run, Func<string, string>? Shape = null);

    private static Step S(params string[][] commands) =>
        new(string.Join(" / ", commands.Select(c => string.Join(' ', c))), s => { foreach (var c in commands) s.Call(c); });

    private static string[] C(params string[] args) => args;

    /// <summary>A Unix time in milliseconds or seconds, <paramref name="deltaSeconds"/> from now.</summary>
    private static string AtMs(int deltaSeconds) => DateTimeOffset.UtcNow.AddSeconds(deltaSeconds).ToUnixTimeMilliseconds().ToString();
    private static string AtSeconds(int deltaSeconds) => DateTimeOffset.UtcNow.AddSeconds(deltaSeconds).ToUnixTimeSeconds().ToString();

    private static Step[] Steps() =>
    [
        // Strings: relative expiries become SET ... PXAT, other flags dropped as Redis does.
        S(C("SET", "s1", "v")),
        S(C("SET", "s2", "v", "EX", "100")),
        S(C("set", "s3", "v", "px", "100000")),
        S(C("SET", "s4", "v", "EXAT", AtSeconds(200))),
        S(C("SET", "s5", "v", "pxat", AtMs(300))),
        S(C("SET", "s6", "v", "EX", "100", "NX", "GET")),
        S(C("SET", "s6", "w", "NX")),                       // not set: nothing propagated
        S(C("SET", "s6b", "v", "PXAT", AtMs(300), "NX", "GET")),
        S(C("SET", "s6c", "v", "get", "NX", "get"), C("SET", "s6c", "w", "XX", "KEEPTTL", "GET")),
        S(C("SET", "s1", "v2", "KEEPTTL")),
        S(C("SET", "s1", "v3", "GET")),
        S(C("SET", "s2", "x", "XX", "GET", "PX", "50000")),
        S(C("SETEX", "s7", "100", "v")),
        S(C("PSETEX", "s8", "100000", "v")),
        S(C("SETNX", "s9", "v"), C("SETNX", "s9", "w")),
        S(C("GETSET", "s9", "x")),
        S(C("GETDEL", "s9"), C("GETDEL", "s9")),
        S(C("GETEX", "s1", "EX", "100")),
        S(C("GETEX", "s1", "PX", "100000")),
        S(C("GETEX", "s1", "EXAT", AtSeconds(100))),
        S(C("GETEX", "s1", "PXAT", AtMs(100))),
        S(C("GETEX", "s1", "PERSIST"), C("GETEX", "s1", "PERSIST"), C("GETEX", "s1")),
        S(C("GETEX", "s1", "EXAT", "1")),                  // in the past: the key is deleted
        S(C("MSET", "m1", "1", "m2", "2"), C("MSETNX", "m3", "3", "m4", "4"), C("MSETNX", "m3", "x")),
        S(C("APPEND", "m1", "0"), C("STRLEN", "m1")),
        S(C("INCR", "n"), C("DECR", "n"), C("INCRBY", "n", "10"), C("DECRBY", "n", "3")),
        S(C("INCRBYFLOAT", "f", "1.5"), C("SET", "f2", "1", "EX", "100"), C("INCRBYFLOAT", "f2", "0.1")),
        S(C("SETRANGE", "m2", "5", "x"), C("SETBIT", "bits", "7", "1"), C("SETBIT", "bits", "7", "1")),
        // Bitmaps: BITOP writes (or deletes) its destination; BITFIELD with only GETs is not a write, one with
        // SET/INCRBY propagates verbatim even when OVERFLOW FAIL leaves the value unchanged.
        S(C("BITOP", "AND", "bdst", "bits", "m2"), C("BITOP", "OR", "bdst", "nob1", "nob2"), C("BITOP", "NOT", "bdst", "nob1")),
        S(C("BITFIELD", "bf", "GET", "u8", "0"), C("BITFIELD_RO", "bits", "GET", "i4", "#1"), C("BITFIELD", "bf", "INCRBY", "u2", "100", "1", "GET", "u4", "0"),
            C("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "7")),
        // Geo: GEOADD replicates as the ZADD it runs (integer scores, only when something changed); searches
        // that store replicate verbatim, an empty result deletes the destination.
        S(C("GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"), C("GEOADD", "geo", "NX", "CH", "1", "2", "Palermo"),
            C("GEOADD", "geo", "XX", "CH", "1", "2", "Palermo", "3", "4", "nope")),
        S(C("GEORADIUS", "geo", "15", "37", "200", "km"), C("GEORADIUS", "geo", "15", "37", "200", "km", "STORE", "geod"),
            C("GEOSEARCHSTORE", "geod2", "geo", "FROMMEMBER", "Catania", "BYBOX", "10", "10", "km", "STOREDIST"),
            C("GEOSEARCHSTORE", "geod2", "geo", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m"), C("GEOSEARCH", "geo", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m"),
            C("GEORADIUSBYMEMBER", "geo", "Catania", "500", "km", "STOREDIST", "geod3"), C("GEORADIUSBYMEMBER", "geo", "Catania", "1", "km", "DESC")),

        // Keys: expiries become PEXPIREAT with the absolute time, options kept.
        S(C("EXPIRE", "m1", "100")),
        S(C("PEXPIRE", "m1", "100000", "XX")),
        S(C("EXPIREAT", "m1", AtSeconds(100), "GT")),
        S(C("pexpireat", "m1", AtMs(200))),
        S(C("EXPIRE", "m1", "100", "NX")),                  // refused by NX: nothing propagated
        S(C("EXPIRE", "missing", "100")),
        S(C("PERSIST", "m1"), C("PERSIST", "m1")),
        S(C("EXPIRE", "m2", "0")),                          // in the past: DEL
        S(C("PEXPIREAT", "m3", "1")),
        S(C("DEL", "m4", "missing"), C("DEL", "missing"), C("UNLINK", "n", "f")),
        S(C("SET", "r1", "v"), C("RENAME", "r1", "r2"), C("RENAMENX", "r2", "r3"), C("RENAMENX", "r3", "f2")),
        S(C("COPY", "r3", "r4"), C("COPY", "r3", "r4", "DB", "2", "REPLACE")),
        S(C("MOVE", "r4", "3")),
        new("DUMP / RESTORE", s =>
        {
            var payload = RespClient.BulkContent(s.Main.Call("DUMP", "r3"));
            s.Call("RESTORE", "rs1", "0", payload);
            s.Call("RESTORE", "rs2", "100000", payload);
            s.Call("RESTORE", "rs3", AtMs(100), payload, "ABSTTL");
            s.Call("RESTORE", "rs1", "0", payload, "REPLACE", "IDLETIME", "10");
            s.Call("RESTORE", "rs4", "100000", payload, "FREQ", "5");
            s.Call("RESTORE", "rs1", "1", payload, "REPLACE", "ABSTTL"); // already expired: the key goes
        }),

        // Lists, and the pops that take counts or several keys.
        S(C("LPUSH", "l1", "a", "b", "c"), C("RPUSH", "l1", "d"), C("LPUSHX", "l1", "e"), C("RPUSHX", "l1", "f"), C("LPUSHX", "nol", "x")),
        S(C("LPOP", "l1"), C("RPOP", "l1"), C("LPOP", "l1", "2"), C("RPOP", "nol")),
        S(C("LINSERT", "l1", "BEFORE", "d", "x"), C("LSET", "l1", "0", "y"), C("LREM", "l1", "0", "x"), C("LTRIM", "l1", "0", "-1")),
        S(C("RPUSH", "l2", "1", "2", "3"), C("LMOVE", "l2", "l3", "LEFT", "RIGHT"), C("RPOPLPUSH", "l2", "l3")),
        S(C("LMPOP", "2", "nol", "l3", "LEFT", "COUNT", "5")),
        S(C("RPUSH", "l4", "1", "2", "3"), C("LMPOP", "1", "l4", "RIGHT")),
        S(C("BLPOP", "l4", "0"), C("BRPOP", "nol", "l4", "0")),
        S(C("RPUSH", "l5", "1", "2", "3"), C("BLMPOP", "0", "1", "l5", "RIGHT", "COUNT", "2"), C("BRPOPLPUSH", "l5", "l6", "0"), C("BLMOVE", "l6", "l7", "right", "Left", "0"), C("lmove", "l7", "l6", "left", "LEFT")),
        new("BLPOP served by RPUSH", s => s.Blocked(C("BLPOP", "bl1", "0"), "RPUSH", "bl1", "a", "b")),
        new("BRPOP served by LPUSH in db 5", s =>
        {
            s.Call("SELECT", "5");
            s.Blocked(5, C("BRPOP", "bl2", "0"), "LPUSH", "bl2", "a");
            s.Call("SELECT", "0");
        }),
        new("BLMPOP served by RPUSH", s => s.Blocked(C("BLMPOP", "0", "2", "nol", "bl3", "LEFT", "COUNT", "3"), "RPUSH", "bl3", "a", "b")),
        new("BRPOPLPUSH served by RPUSH", s => s.Blocked(C("BRPOPLPUSH", "bl4", "bl5", "0"), "RPUSH", "bl4", "a")),
        new("BLMOVE served by RPUSH", s => s.Blocked(C("BLMOVE", "bl6", "bl7", "LEFT", "LEFT", "0"), "RPUSH", "bl6", "a", "b")),
        new("BZPOPMIN served by ZADD", s => s.Blocked(C("BZPOPMIN", "bz1", "0"), "ZADD", "bz1", "1", "a", "2", "b")),
        new("BZPOPMAX served by ZADD", s => s.Blocked(C("BZPOPMAX", "bz2", "0"), "ZADD", "bz2", "1", "a", "2", "b")),
        new("BZMPOP served by ZADD", s => s.Blocked(C("BZMPOP", "0", "1", "bz3", "MAX", "COUNT", "5"), "ZADD", "bz3", "1", "a", "2", "b")),
        new("BLPOP served inside MULTI", s =>
        {
            s.Call("MULTI");
            s.Call("RPUSH", "bl8", "x");
            s.Call("SET", "after-push", "1");
            s.Blocked(C("BLPOP", "bl8", "0"), "EXEC");
        }),

        // Hashes.
        S(C("HSET", "h1", "a", "1", "b", "2"), C("HSETNX", "h1", "a", "x"), C("HSETNX", "h1", "c", "3"), C("HMSET", "h1", "d", "4")),
        S(C("HDEL", "h1", "d", "zz"), C("HDEL", "h1", "zz"), C("HINCRBY", "h1", "a", "5"), C("HINCRBYFLOAT", "h1", "b", "0.25")),

        // Sets: a random pop goes out as the SREM (or DEL) of what was chosen.
        S(C("SADD", "t1", "a", "b", "c"), C("SREM", "t1", "c", "zz"), C("SMOVE", "t1", "t2", "a"), C("SMOVE", "t1", "t2", "zz")),
        S(C("SADD", "t3", "only"), C("SPOP", "t3")),
        S(C("SADD", "t4", "x"), C("SPOP", "t4", "5")),
        new("SPOP with a count (by shape)", s => { s.Call("SADD", "t5", "m1", "m2", "m3"); s.Call("SPOP", "t5", "2"); },
            Shape: x => Regex.Replace(x, "m[123]", "m#")),
        S(C("SADD", "t6", "a", "b"), C("SINTERSTORE", "t7", "t6", "t2"), C("SUNIONSTORE", "t8", "t6", "t2"), C("SDIFFSTORE", "t9", "t6", "t6")),

        // Sorted sets: the MPOP family goes out as ZPOPMIN/ZPOPMAX with the count popped.
        S(C("ZADD", "z1", "1", "a", "2", "b", "3", "c", "4", "d"), C("ZADD", "z1", "XX", "CH", "5", "a"), C("ZINCRBY", "z1", "1.5", "b"), C("ZREM", "z1", "zz", "c")),
        S(C("ZPOPMIN", "z1"), C("ZPOPMAX", "z1", "1"), C("ZPOPMIN", "nozset", "2")),
        S(C("ZADD", "z2", "1", "a", "2", "b", "3", "c"), C("ZMPOP", "2", "nozset", "z2", "MIN", "COUNT", "2"), C("ZMPOP", "1", "z2", "MAX")),
        S(C("ZADD", "z2", "1", "a"), C("BZPOPMIN", "nozset", "z2", "0"), C("ZADD", "z3", "1", "a", "2", "b"), C("BZPOPMAX", "z3", "0"), C("BZMPOP", "0", "1", "z3", "MIN", "COUNT", "9")),
        S(C("ZADD", "z4", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"), C("ZREMRANGEBYRANK", "z4", "0", "0"), C("ZREMRANGEBYSCORE", "z4", "2", "2"), C("ZREMRANGEBYLEX", "z4", "[c", "[c")),
        S(C("ZADD", "z5", "1", "d", "2", "e"), C("ZRANGESTORE", "z6", "z4", "0", "-1"), C("ZUNIONSTORE", "z7", "2", "z4", "z5"), C("ZINTERSTORE", "z8", "2", "z4", "z5"), C("ZDIFFSTORE", "z9", "1", "z5")),
        S(C("RPUSH", "srt", "3", "1", "2"), C("SORT", "srt", "STORE", "srt2"), C("SORT", "srt"), C("SORT", "srt", "BY", "nosort", "STORE", "srt3")),

        // Streams: explicit IDs, exact trims, and group reads as XCLAIM / XGROUP SETID.
        S(C("XADD", "x1", "1-1", "f", "v"), C("XADD", "x1", "1-*", "f", "v"), C("XADD", "x1", "*", "f", "v")),
        S(C("XADD", "x2", "MAXLEN", "~", "1", "5-1", "f", "v"), C("XADD", "x2", "NOMKSTREAM", "MINID", "=", "0", "5-2", "f", "v"), C("XADD", "nox", "NOMKSTREAM", "*", "f", "v")),
        S(C("XTRIM", "x2", "MAXLEN", "~", "0"), C("XTRIM", "x2", "MAXLEN", "1"), C("XDEL", "x2", "5-1", "9-9")),
        S(C("XSETID", "x2", "100-0"), C("XSETID", "x2", "200-0", "ENTRIESADDED", "10", "MAXDELETEDID", "150-0")),
        S(C("XGROUP", "CREATE", "x1", "g1", "0"), C("XGROUP", "CREATE", "x3", "g1", "$", "MKSTREAM", "ENTRIESREAD", "0"), C("XGROUP", "CREATECONSUMER", "x1", "g1", "c9")),
        S(C("XREADGROUP", "GROUP", "g1", "c1", "COUNT", "2", "STREAMS", "x1", ">")),
        S(C("XREADGROUP", "GROUP", "g1", "c2", "NOACK", "COUNT", "1", "STREAMS", "x1", ">")),
        S(C("XREADGROUP", "GROUP", "g1", "c1", "STREAMS", "x1", "0")),
        S(C("XCLAIM", "x1", "g1", "c3", "0", "1-1")),
        S(C("XCLAIM", "x1", "g1", "c3", "0", "1-2", "JUSTID", "RETRYCOUNT", "5")),
        S(C("XAUTOCLAIM", "x1", "g1", "c4", "0", "0-0", "COUNT", "1")),
        S(C("XADD", "x4", "1-1", "f", "v"), C("XADD", "x4", "1-2", "f", "v"), C("XGROUP", "CREATE", "x4", "g", "0"),
            C("XREADGROUP", "GROUP", "g", "c", "STREAMS", "x4", ">"), C("XDEL", "x4", "1-1"), C("XAUTOCLAIM", "x4", "g", "d", "0", "0-0")),
        S(C("XACK", "x1", "g1", "1-1", "1-2"), C("XGROUP", "DELCONSUMER", "x1", "g1", "c9"), C("XGROUP", "SETID", "x1", "g1", "0", "ENTRIESREAD", "0")),
        new("XREADGROUP served by XADD", s => { s.Call("XGROUP", "SETID", "x1", "g1", "$"); s.Blocked(C("XREADGROUP", "GROUP", "g1", "c5", "BLOCK", "0", "STREAMS", "x1", ">"), "XADD", "x1", "*", "f", "v"); }),
        S(C("XGROUP", "DESTROY", "x1", "g1"), C("XGROUP", "DESTROY", "x1", "g1")),

        // Keys found expired: the DEL goes out before the command that found them.
        new("lazy expiry by a read", s => { s.Call("SET", "e1", "v", "PX", "1"); Thread.Sleep(20); s.Call("GET", "e1"); }),
        new("lazy expiry by a write", s => { s.Call("SET", "e2", "5", "PX", "1"); Thread.Sleep(20); s.Call("INCR", "e2"); }),
        new("lazy expiry inside MULTI", s =>
        {
            s.Call("SET", "e3", "5", "PX", "1");
            Thread.Sleep(20);
            s.Call("MULTI");
            s.Call("INCR", "e3");
            s.Call("GET", "e3");
            s.Call("EXEC");
        }),

        // Edge forms: times in the past, LIMIT on approximate trims, options kept verbatim.
        S(C("SET", "past1", "v", "PXAT", "1"), C("SET", "past2", "v", "EXAT", "1"), C("EXISTS", "past1", "past2")),
        S(C("XADD", "xl", "MAXLEN", "~", "1", "LIMIT", "2", "1-1", "f", "v"), C("XADD", "xl", "MAXLEN", "~", "1", "LIMIT", "2", "*", "f", "v"),
            C("XTRIM", "xl", "MINID", "~", "0", "LIMIT", "10"), C("XADD", "xl", "MINID", "=", "0", "*", "f", "v")),
        S(C("ZADD", "zo", "INCR", "1", "a"), C("ZADD", "zo", "GT", "CH", "5", "a", "1", "b"), C("ZRANGESTORE", "zo2", "zo", "(1", "+inf", "BYSCORE", "LIMIT", "0", "1")),
        S(C("RPUSH", "rot", "1", "2"), C("RPOPLPUSH", "rot", "rot"), C("LMOVE", "rot", "rot", "LEFT", "LEFT"), C("LMPOP", "1", "rot", "LEFT", "COUNT", "10")),
        S(C("SET", "kt", "1", "EX", "100"), C("INCRBYFLOAT", "kt", "0.5"), C("HINCRBYFLOAT", "ht", "f", "1e3"), C("HINCRBYFLOAT", "ht", "f", "-0.5")),
        // HyperLogLog: PFCOUNT propagates when it rewrites the cached cardinality, not when the cache is valid.
        S(C("PFADD", "hll", "a", "b", "c"), C("PFADD", "hll", "a"), C("PFCOUNT", "hll"), C("PFCOUNT", "hll"), C("PFCOUNT", "hll", "nohll"),
            C("PFMERGE", "hll2", "hll", "nohll"), C("PFMERGE", "hll3"), C("PFDEBUG", "ENCODING", "hll"), C("PFDEBUG", "TODENSE", "hll"),
            C("PFDEBUG", "TODENSE", "hll"), C("PFDEBUG", "GETREG", "hll2"), C("PFDEBUG", "DECODE", "hll3"), C("PFADD", "hll"), C("PFADD", "hll4")),

        // Writes that change nothing: Redis propagates some (its dirty counter moved) and not others.
        S(C("SET", "nop", "abc"), C("APPEND", "nop", ""), C("SETRANGE", "nop", "0", ""), C("SETRANGE", "nop", "1", "b"), C("INCRBY", "nopn", "0"), C("SETBIT", "nopb", "0", "0")),
        S(C("RPUSH", "nopl", "a", "b"), C("LREM", "nopl", "0", "zz"), C("LTRIM", "nopl", "0", "-1"), C("LSET", "nopl", "0", "a"), C("LINSERT", "nopl", "BEFORE", "zz", "x"), C("RPUSHX", "nol", "x")),
        S(C("HSET", "noph", "f", "v"), C("HSET", "noph", "f", "v"), C("HSETNX", "noph", "f", "w"), C("HDEL", "noph", "zz"), C("HINCRBY", "noph", "n", "0")),
        S(C("SADD", "nops", "a"), C("SADD", "nops", "a"), C("SREM", "nops", "zz"), C("SMOVE", "nops", "nops", "a"), C("SINTERSTORE", "nopd", "nos1", "nos2"), C("SUNIONSTORE", "nopd", "nos1")),
        S(C("ZADD", "nopz", "1", "a"), C("ZADD", "nopz", "1", "a"), C("ZADD", "nopz", "NX", "2", "a"), C("ZINCRBY", "nopz", "0", "a"), C("ZREM", "nopz", "zz"), C("ZREMRANGEBYSCORE", "nopz", "5", "6"), C("ZUNIONSTORE", "nopzd", "1", "noz")),
        S(C("SORT", "nosort", "STORE", "nopsd"), C("RPUSH", "nopsl", "1"), C("SORT", "nopsl", "STORE", "nopsd"), C("SORT", "nosort", "STORE", "nopsd")),
        S(C("RENAME", "nop", "nop"), C("RENAMENX", "nop", "nop"), C("COPY", "nop", "noph"), C("MOVE", "nop", "0"), C("PERSIST", "nop"), C("DEL", "zz"), C("UNLINK", "zz"), C("EXPIRE", "zz", "10")),
        S(C("SWAPDB", "0", "0"), C("SELECT", "9"), C("FLUSHDB"), C("SELECT", "0")),
        S(C("XADD", "nopx", "1-1", "f", "v"), C("XTRIM", "nopx", "MAXLEN", "5"), C("XDEL", "nopx", "9-9"), C("XGROUP", "CREATE", "nopx", "g", "$"),
            C("XACK", "nopx", "g", "1-1"), C("XGROUP", "CREATECONSUMER", "nopx", "g", "c"), C("XGROUP", "CREATECONSUMER", "nopx", "g", "c"),
            C("XGROUP", "DELCONSUMER", "nopx", "g", "zz"), C("XGROUP", "SETID", "nopx", "g", "$"), C("XCLAIM", "nopx", "g", "c", "0", "9-9"), C("XAUTOCLAIM", "nopx", "g", "c", "0", "0-0"),
            C("XREADGROUP", "GROUP", "g", "newc", "STREAMS", "nopx", ">"), C("XSETID", "nopx", "1-1")),

        // Transactions and databases.
        S(C("MULTI"), C("SET", "tx1", "1"), C("EXEC")),
        S(C("MULTI"), C("SET", "tx1", "2"), C("INCR", "tx2"), C("GET", "tx1"), C("EXEC")),
        S(C("MULTI"), C("GET", "tx1"), C("EXEC")),
        S(C("MULTI"), C("PUBLISH", "ch", "in-tx"), C("SET", "tx5", "a"), C("INCR", "tx5"), C("SET", "tx6", "b"), C("EXEC")),
        S(C("MULTI"), C("INCR", "tx5"), C("EXEC"), C("MULTI"), C("PUBLISH", "ch", "alone"), C("EXEC")),
        S(C("SET", "w", "1"), C("WAIT", "1", "100")),      // WAIT asks replicas for an ACK
        S(C("MULTI"), C("SELECT", "2"), C("SET", "tx3", "1"), C("SELECT", "3"), C("SET", "tx3", "2"), C("EXEC"), C("SET", "tx4", "x"), C("SELECT", "0")),
        S(C("SELECT", "4"), C("SET", "d4", "1"), C("SELECT", "0"), C("GET", "d4"), C("SELECT", "4"), C("DEL", "d4"), C("SELECT", "0")),
        S(C("PUBLISH", "ch", "hello"), C("SPUBLISH", "sch", "hi")),
        S(C("SELECT", "6"), C("PUBLISH", "ch", "from-6"), C("SELECT", "0")),
        S(C("SWAPDB", "0", "1"), C("SWAPDB", "1", "0")),
        S(C("SELECT", "2"), C("FLUSHDB"), C("SELECT", "0"), C("FLUSHDB", "ASYNC")),
        // Scripts go out as their effects (wrapped in MULTI/EXEC when several); functions as the FUNCTION commands.
        S(C("EVAL", "redis.call('SET', KEYS[1], 'a') redis.call('INCR', 'evalcount') return 1", "1", "evalk")),
        S(C("EVAL", "return redis.call('GET', 'evalk')", "0"), C("EVAL", "return redis.call('INCR', 'evalcount')", "0")),
        S(C("EVAL", "redis.set_repl(redis.REPL_NONE) redis.call('SET', 'nowhere', '1') redis.set_repl(redis.REPL_ALL) redis.call('SET', 'everywhere', '1') return 1", "0")),
        S(C("FUNCTION", "LOAD", "#!lua name=replib\nredis.register_function('rf', function(k) return redis.call('SET', k[1], 'f') end)"),
          C("FCALL", "rf", "1", "fk"), C("FUNCTION", "DELETE", "replib")),
        S(C("FUNCTION", "RESTORE", FunctionPayload("#!lua name=restored\nredis.register_function('g', function() return 1 end)")), C("FUNCTION", "FLUSH")),
        S(C("SET", "last", "1"), C("FLUSHALL"), C("FLUSHALL", "SYNC")),
    ];

    /// <summary>A FUNCTION DUMP payload of one library, uncompressed (RDB_OPCODE_FUNCTION2, the code, RDB version 10, CRC64).</summary>
    private static string FunctionPayload(string code)
    {
        var bytes = new List<byte> { 245 };
        var body = Encoding.Latin1.GetBytes(code);
        if (body.Length < 64) bytes.Add((byte)body.Length);
        else { bytes.Add((byte)(0x40 | (body.Length >> 8))); bytes.Add((byte)body.Length); }
        bytes.AddRange(body);
        bytes.Add(10);
        bytes.Add(0);
        var crc = BitConverter.GetBytes(Cinnabar.Persistence.Crc64.Compute(bytes.ToArray()));
        bytes.AddRange(crc);
        return Encoding.Latin1.GetString(bytes.ToArray());
    }

    [GeneratedRegex(@"(?<!\d)\d{13}(-\d)?(?!\d)")]
    private static partial Regex UnixMs();

    /// <summary>
    /// Absolute times (13-digit Unix milliseconds) become a placeholder; their values are returned for a
    /// tolerance check. The sequence of a generated stream ID (one digit) goes too: whether two IDs
    /// fell in the same millisecond is timing.
    /// </summary>
    private static string NormaliseTimes(string s, List<long> times) => UnixMs().Replace(s, m =>
    {
        times.Add(long.Parse(m.Value[..13]));
        return m.Groups[1].Success ? "<ms>-<seq>" : "<ms>";
    });

    [Fact]
    public async Task StreamMatchesRealRedisForEveryWriteCommand()
    {
        using var redis = new RealRedis("--repl-ping-replica-period", "3600", "--repl-diskless-sync-delay", "0");
        await using var cinnabar = new TestServer(c => c.ReplPingReplicaPeriod = 3600);
        var ours = CompareStreams(redis, cinnabar, Steps());
        // Every write command of the table must have been exercised above.
        using var o = cinnabar.Raw();
        var writes = o.Call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "write").Split("\r\n")
            .Where(l => l.Length > 0 && l[0] != '*' && l[0] != '$').ToList();
        var missing = writes.Where(w => !ours.Contains(w)).ToList();
        Assert.True(missing.Count == 0, "write commands not covered: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task StreamMatchesRealRedisWithLazyFree()
    {
        string[] lazy = ["lazyfree-lazy-expire", "lazyfree-lazy-user-del", "lazyfree-lazy-server-del", "lazyfree-lazy-user-flush"];
        using var redis = new RealRedis([.. lazy.SelectMany(p => new[] { "--" + p, "yes" }), "--repl-ping-replica-period", "3600", "--repl-diskless-sync-delay", "0"]);
        await using var cinnabar = new TestServer(c =>
        {
            c.ReplPingReplicaPeriod = 3600;
            c.LazyFreeLazyExpire = c.LazyFreeLazyUserDel = c.LazyFreeLazyServerDel = c.LazyFreeLazyUserFlush = true;
        });
        CompareStreams(redis, cinnabar,
        [
            S(C("SET", "a", "1"), C("GETDEL", "a")),
            S(C("SET", "a", "1"), C("DEL", "a")),
            S(C("SET", "a", "1"), C("EXPIRE", "a", "0")),
            S(C("SET", "a", "1"), C("GETEX", "a", "PXAT", "1")),
            S(C("SADD", "s", "x"), C("SPOP", "s", "3")),
            S(C("SET", "a", "1"), C("RENAME", "a", "b"), C("SET", "c", "2"), C("RENAME", "c", "b")),
            new("lazy expiry", s => { s.Call("SET", "e", "v", "PX", "1"); Thread.Sleep(20); s.Call("EXISTS", "e"); }),
            new("RESTORE of an expired key", s =>
            {
                var payload = RespClient.BulkContent(s.Main.Call("DUMP", "b"));
                s.Call("RESTORE", "b", "1", payload, "REPLACE", "ABSTTL");
            }),
            S(C("SET", "a", "1"), C("FLUSHALL")),
        ]);
    }

    /// <summary>
    /// Runs every step on a real Redis and on Cinnabar, each with a fake replica attached, and asserts the
    /// stream each step produced (delimited by a PUBLISH marker) and its replies are the same. Returns the
    /// command names run on Cinnabar.
    /// </summary>
    private static HashSet<string> CompareStreams(RealRedis redis, TestServer cinnabar, Step[] steps)
    {
        using var r = new Side("redis", redis.Port);
        using var o = new Side("cinnabar", cinnabar.Port);
        var sides = new[] { r, o };
        foreach (var side in sides)
        {
            // Lazy expiry only, so a key expires where the step makes it.
            side.Main.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
            side.Attach();
        }

        var failures = new List<string>();
        for (int i = 0; i < steps.Length; i++)
        {
            var step = steps[i];
            var marker = RespClient.Encode([L.GetBytes("PUBLISH"), L.GetBytes("mark"), L.GetBytes(i.ToString())]);
            var streams = new string[2];
            var replies = new string[2];
            var times = new List<long>[2];
            for (int k = 0; k < 2; k++)
            {
                var side = sides[k];
                side.Replies.Clear();
                string stream;
                try
                {
                    step.Run(side);
                    side.Main.Call("PUBLISH", "mark", i.ToString());
                    stream = L.GetString(side.Replica.ReadThrough(marker));
                }
                catch (IOException e) { throw new IOException($"{side.Name}, step [{step.Name}]: {e.Message}", e); }
                var reply = string.Join("", side.Replies);
                if (step.Shape is not null) (stream, reply) = (step.Shape(stream), step.Shape(reply));
                times[k] = new List<long>();
                streams[k] = NormaliseTimes(stream, times[k]);
                replies[k] = NormaliseTimes(reply, new List<long>());
            }
            if (streams[0] != streams[1])
                failures.Add($"stream differs for [{step.Name}]\n  redis:    {DiffPair.Escape(streams[0])}\n  cinnabar: {DiffPair.Escape(streams[1])}");
            else if (times[0].Zip(times[1]).Any(t => Math.Abs(t.First - t.Second) > 5000))
                failures.Add($"times differ for [{step.Name}]: redis {string.Join(',', times[0])}, cinnabar {string.Join(',', times[1])}");
            if (replies[0] != replies[1])
                failures.Add($"replies differ for [{step.Name}]\n  redis:    {DiffPair.Escape(replies[0])}\n  cinnabar: {DiffPair.Escape(replies[1])}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        return o.Commands;
    }
}
