using Cinnabar.EndToEnd.Infrastructure;
using static Cinnabar.EndToEnd.Sets.CollectionTestSupport;

namespace Cinnabar.EndToEnd.Keys;

/// <summary>Generic key commands compared byte for byte with a real Redis 7.0 (per-key commands; prefix "kd:").</summary>
public sealed class KeyDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Fact]
    public void DelUnlinkExistsTouchAndType()
    {
        using var p = f.Pair();
        p.Same("SET", "kd:a", "1");
        p.Same("SET", "kd:b", "x");
        p.Same("SADD", "kd:s", "m");
        p.Same("HSET", "kd:h", "f", "v");
        p.Same("EXISTS", "kd:a", "kd:a", "kd:none", "kd:b");
        p.Same("TOUCH", "kd:a", "kd:none", "kd:s", "kd:s");
        foreach (var k in new[] { "kd:a", "kd:b", "kd:s", "kd:h", "kd:none" }) p.Same("TYPE", k);
        p.Same("DEL", "kd:a", "kd:a", "kd:none");
        p.Same("UNLINK", "kd:b", "kd:s", "kd:none");
        p.Same("DEL", "kd:none");
        p.Same("EXISTS", "kd:a", "kd:b", "kd:s", "kd:h");
        p.Same("TYPE", "kd:a");
        p.Same("DEL", "kd:h");
    }

    [Fact]
    public void ArityErrors()
    {
        using var p = f.Pair();
        foreach (var cmd in new[]
                 {
                     new[] { "DEL" }, ["UNLINK"], ["EXISTS"], ["TOUCH"], ["TYPE"], ["TYPE", "a", "b"], ["KEYS"], ["KEYS", "a", "b"],
                     ["SCAN"], ["RENAME", "a"], ["RENAME", "a", "b", "c"], ["RENAMENX", "a"], ["RANDOMKEY", "x"], ["DBSIZE", "x"],
                     ["EXPIRE", "a"], ["PEXPIRE", "a"], ["EXPIREAT", "a"], ["PEXPIREAT", "a"], ["TTL"], ["PTTL", "a", "b"],
                     ["EXPIRETIME"], ["PEXPIRETIME", "a", "b"], ["PERSIST"], ["COPY", "a"], ["MOVE", "a"], ["MOVE", "a", "1", "2"],
                     ["SWAPDB", "0"], ["OBJECT"], ["OBJECT", "encoding"], ["OBJECT", "encoding", "a", "b"], ["OBJECT", "help", "x"],
                     ["OBJECT", "nosuch"], ["OBJECT", "nosuch", "a"], ["OBJECT", "freq"], ["OBJECT", "idletime"], ["OBJECT", "refcount"],
                 })
            p.Same(cmd);
    }

    [Fact]
    public void ExpireOptionsAndErrors()
    {
        using var p = f.Pair();
        p.Same("SET", "kd:e", "v");
        foreach (var cmd in new[] { "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT" })
        {
            p.Same(cmd, "kd:e", "100", "NX", "XX");
            p.Same(cmd, "kd:e", "100", "NX", "GT");
            p.Same(cmd, "kd:e", "100", "nx", "lt");
            p.Same(cmd, "kd:e", "100", "GT", "LT");
            p.Same(cmd, "kd:e", "100", "FOO");
            p.Same(cmd, "kd:e", "100", "NX", "XX", "BAR");
            p.Same(cmd, "kd:e", "abc");
            p.Same(cmd, "kd:e", "1.5");
            p.Same(cmd, "kd:e", "");
            p.Same(cmd, "kd:e", "9223372036854775807");
            p.Same(cmd, "kd:e", "9223372036854775808");
            p.Same(cmd, "kd:e", "-9223372036854775807");
            p.Same(cmd, "kd:none", "100", "FOO");
            p.Same(cmd, "kd:none", "abc");
            p.Same(cmd, "kd:none", "100");
        }
        p.Same("EXPIRE", "kd:e", "9223372036854770");
        p.Same("TTL", "kd:e");
    }

    [Fact]
    public void ExpireConditions()
    {
        using var p = f.Pair();
        p.Same("SET", "kd:c", "v");
        p.Same("EXPIRE", "kd:c", "100", "XX");
        p.Same("EXPIRE", "kd:c", "100", "GT");
        p.Same("TTL", "kd:c");
        p.Same("EXPIRE", "kd:c", "100", "LT");
        p.Same("EXPIRE", "kd:c", "100", "NX");
        p.Same("EXPIRE", "kd:c", "200", "NX");
        p.Same("EXPIRE", "kd:c", "50", "GT");
        p.Same("EXPIRE", "kd:c", "150", "GT");
        p.Same("TTL", "kd:c");
        p.Same("EXPIRE", "kd:c", "10", "LT");
        p.Same("EXPIRE", "kd:c", "20", "LT");
        p.Same("EXPIRE", "kd:c", "20", "XX", "GT");
        p.Same("EXPIRE", "kd:c", "5", "xx", "lt", "xx");
        p.Same("TTL", "kd:c");
        p.Same("PERSIST", "kd:c");
        p.Same("PERSIST", "kd:c");
        p.Same("PERSIST", "kd:none");
        p.Same("TTL", "kd:c");
        p.Same("PTTL", "kd:c");
        p.Same("EXPIRETIME", "kd:c");
        p.Same("PEXPIRETIME", "kd:c");
        p.Same("TTL", "kd:none");
        p.Same("PTTL", "kd:none");
        p.Same("EXPIRETIME", "kd:none");
        p.Same("PEXPIRETIME", "kd:none");
        // Absolute times are deterministic.
        p.Same("EXPIREAT", "kd:c", "99999999999");
        p.Same("EXPIRETIME", "kd:c");
        p.Same("PEXPIRETIME", "kd:c");
        p.Same("PEXPIREAT", "kd:c", "99999999999999", "GT");
        p.Same("PEXPIRETIME", "kd:c");
        p.Same("EXPIRETIME", "kd:c");
        p.Same("PEXPIREAT", "kd:c", "99999999999499");
        p.Same("EXPIRETIME", "kd:c");
        p.Same("PEXPIREAT", "kd:c", "9223372036854775807");
        p.Same("EXPIRETIME", "kd:c");
        p.Same("PEXPIRETIME", "kd:c");
        p.Same("TTL", "kd:c");
        // A time in the past deletes the key.
        p.Same("EXPIREAT", "kd:c", "1");
        p.Same("EXISTS", "kd:c");
        p.Same("SET", "kd:c", "v");
        p.Same("EXPIRE", "kd:c", "0");
        p.Same("EXISTS", "kd:c");
        p.Same("SET", "kd:c", "v");
        p.Same("PEXPIRE", "kd:c", "-9223372036854775808");
        p.Same("EXISTS", "kd:c");
        p.Same("SET", "kd:c", "v");
        p.Same("EXPIRE", "kd:c", "-5", "LT");
        p.Same("EXISTS", "kd:c");
        p.Same("SET", "kd:c", "v");
        p.Same("EXPIRE", "kd:c", "-5", "GT");
        p.Same("EXISTS", "kd:c");
        p.Same("DEL", "kd:c");
    }

    [Fact]
    public void ExpiredKeysDisappear()
    {
        using var p = f.Pair();
        p.Same("SET", "kd:short", "v", "PX", "30");
        p.Same("SADD", "kd:shortset", "a");
        p.Same("PEXPIRE", "kd:shortset", "30");
        Thread.Sleep(80);
        p.Same("EXISTS", "kd:short", "kd:shortset");
        p.Same("TTL", "kd:short");
        p.Same("TYPE", "kd:shortset");
        p.Same("PERSIST", "kd:short");
        p.Same("RENAME", "kd:short", "kd:x");
        p.Same("OBJECT", "ENCODING", "kd:short");
    }

    [Fact]
    public void RenameAndRenameNx()
    {
        using var p = f.Pair();
        p.Same("RENAME", "kd:r:none", "kd:r:b");
        p.Same("RENAMENX", "kd:r:none", "kd:r:b");
        p.Same("RENAME", "kd:r:none", "kd:r:none");
        p.Same("SET", "kd:r:a", "1");
        p.Same("EXPIREAT", "kd:r:a", "99999999999");
        p.Same("RENAME", "kd:r:a", "kd:r:a");
        p.Same("RENAMENX", "kd:r:a", "kd:r:a");
        p.Same("RENAME", "kd:r:a", "kd:r:b");
        p.Same("EXISTS", "kd:r:a");
        p.Same("GET", "kd:r:b");
        p.Same("EXPIRETIME", "kd:r:b");
        p.Same("SADD", "kd:r:c", "m");
        p.Same("RENAMENX", "kd:r:b", "kd:r:c");
        p.Same("RENAME", "kd:r:b", "kd:r:c");
        p.Same("TYPE", "kd:r:c");
        p.Same("EXPIRETIME", "kd:r:c");
        p.Same("SET", "kd:r:d", "no-ttl", "EX", "100");
        p.Same("RENAME", "kd:r:c", "kd:r:d");
        p.Same("GET", "kd:r:d");
        p.Same("EXPIRETIME", "kd:r:d");
        p.Same("RENAMENX", "kd:r:d", "kd:r:e");
        p.Same("GET", "kd:r:e");
        p.Same("DEL", "kd:r:e");
    }

    [Fact]
    public void BinaryKeys()
    {
        using var p = f.Pair();
        string k1 = "kd:bin\r\n\0\u00ff\u0080", k2 = "kd:bin2\0";
        p.Same("SET", k1, "v\0\r\n");
        p.Same("EXISTS", k1, k2);
        p.Same("TYPE", k1);
        p.Same("EXPIRE", k1, "100");
        p.Same("TTL", k1);
        p.Same("RENAME", k1, k2);
        p.Same("GET", k2);
        p.Same("COPY", k2, k1);
        p.Same("GET", k1);
        p.Same("SCAN", "0", "MATCH", "kd:bin\r*", "COUNT", "1000");
        p.Same("KEYS", "kd:bin2*");
        p.Same("MOVE", k1, "3");
        p.Same("DEL", k1, k2);
        p.Same("SELECT", "3");
        p.Same("GET", k1);
        p.Same("DEL", k1);
        p.Same("SELECT", "0");
    }

    [Fact]
    public void CopyAndMove()
    {
        using var p = f.Pair();
        p.Same("COPY", "kd:m:none", "kd:m:b");
        p.Same("SET", "kd:m:a", "1");
        p.Same("COPY", "kd:m:a", "kd:m:a");
        p.Same("COPY", "kd:m:a", "kd:m:a", "DB", "0");
        p.Same("COPY", "kd:m:a", "kd:m:a", "REPLACE");
        p.Same("COPY", "kd:m:a", "kd:m:b", "DB");
        p.Same("COPY", "kd:m:a", "kd:m:b", "DB", "x");
        p.Same("COPY", "kd:m:a", "kd:m:b", "DB", "16");
        p.Same("COPY", "kd:m:a", "kd:m:b", "DB", "-1");
        p.Same("COPY", "kd:m:a", "kd:m:b", "DB", "99999999999");
        p.Same("COPY", "kd:m:a", "kd:m:b", "FOO");
        p.Same("COPY", "kd:m:a", "kd:m:b", "REPLACE", "FOO");
        p.Same("EXPIREAT", "kd:m:a", "99999999999");
        p.Same("COPY", "kd:m:a", "kd:m:b");
        p.Same("COPY", "kd:m:a", "kd:m:b");
        p.Same("EXPIRETIME", "kd:m:b");
        p.Same("SADD", "kd:m:s", "x", "y");
        p.Same("COPY", "kd:m:s", "kd:m:b");
        p.Same("COPY", "kd:m:s", "kd:m:b", "REPLACE");
        p.Same("TYPE", "kd:m:b");
        p.Same("EXPIRETIME", "kd:m:b");
        // The copy is independent of the original.
        p.Same("SADD", "kd:m:b", "z");
        p.Same("SCARD", "kd:m:s");
        p.Same("SCARD", "kd:m:b");
        p.Same("COPY", "kd:m:s", "kd:m:s", "DB", "2");
        p.Same("COPY", "kd:m:s", "kd:m:s", "DB", "2");
        p.Same("HSET", "kd:m:h", "f", "v");
        p.Same("COPY", "kd:m:h", "kd:m:h2", "REPLACE", "DB", "2", "REPLACE");

        p.Same("MOVE", "kd:m:a", "0");
        p.Same("MOVE", "kd:m:a", "16");
        p.Same("MOVE", "kd:m:a", "-1");
        p.Same("MOVE", "kd:m:a", "abc");
        p.Same("MOVE", "kd:m:a", "99999999999");
        p.Same("MOVE", "kd:m:none", "1");
        p.Same("MOVE", "kd:m:s", "2");
        p.Same("MOVE", "kd:m:a", "2");
        p.Same("EXISTS", "kd:m:a");
        p.Same("SELECT", "2");
        p.Same("SCARD", "kd:m:s");
        p.Same("SISMEMBER", "kd:m:s", "x");
        p.Same("GET", "kd:m:a");
        p.Same("EXPIRETIME", "kd:m:a");
        p.Same("HGETALL", "kd:m:h2");
        p.Same("DEL", "kd:m:a", "kd:m:s", "kd:m:h2");
        p.Same("SELECT", "0");
        p.Same("DEL", "kd:m:b", "kd:m:s", "kd:m:h");
    }

    [Fact]
    public void ObjectSubcommands()
    {
        using var p = f.Pair();
        p.Same("OBJECT", "HELP");
        p.Same("object", "help");
        p.Same("OBJECT", "ENCODING", "kd:o:none");
        p.Same("OBJECT", "REFCOUNT", "kd:o:none");
        p.Same("OBJECT", "FREQ", "kd:o:none");
        p.Same("OBJECT", "IDLETIME", "kd:o:none");
        foreach (var v in new[] { "1", "0", "9999", "10000", "-1", "01", "abc", "12345678901234567890", new string('x', 50) })
        {
            p.Same("SET", "kd:o:s", v);
            p.Same("OBJECT", "ENCODING", "kd:o:s");
            p.Same("OBJECT", "REFCOUNT", "kd:o:s");
            p.Same("OBJECT", "FREQ", "kd:o:s");
        }
        p.Same("SADD", "kd:o:set", "1", "2");
        p.Same("OBJECT", "ENCODING", "kd:o:set");
        p.Same("OBJECT", "REFCOUNT", "kd:o:set");
        p.Same("OBJECT", "IDLETIME", "kd:o:set");
        p.Same("DEL", "kd:o:s", "kd:o:set");
    }

    private void SetPolicy(DiffPair p, string policy)
    {
        p.Redis.Call("CONFIG", "SET", "maxmemory-policy", policy);
        lock (f.Cinnabar.Server.ExecLock) Assert.Null(f.Cinnabar.Server.Config.Apply("maxmemory-policy", [policy], atStartup: false));
    }

    [Fact]
    public void ObjectUnderLfuPolicy()
    {
        using var p = f.Pair();
        try
        {
            SetPolicy(p, "allkeys-lfu");
            p.Same("SET", "kd:lfu", "value");
            p.Same("SET", "kd:lfu2", "7");
            p.Same("OBJECT", "FREQ", "kd:lfu");
            p.Same("OBJECT", "FREQ", "kd:lfu2");
            p.Same("OBJECT", "IDLETIME", "kd:lfu");
            p.Same("OBJECT", "IDLETIME", "kd:none");
        }
        finally
        {
            SetPolicy(p, "noeviction");
            p.Both("DEL", "kd:lfu", "kd:lfu2");
        }
    }

    [Fact]
    public void LfuCountersCountAccessesAndRestoreSetsAccessData()
    {
        // Issue 20: OBJECT FREQ answered a constant and RESTORE ignored IDLETIME and FREQ.
        using var p = f.Pair();
        p.Both("SET", "kd:acc:src", "some value");
        var payload = RespClient.BulkContent(p.Ours.Call("DUMP", "kd:acc:src"));
        try
        {
            foreach (var bad in new[]
                     {
                         new[] { "IDLETIME", "1000", "FREQ", "5" }, ["FREQ", "5", "IDLETIME", "5"], ["FREQ", "256"], ["FREQ", "-1"],
                         ["IDLETIME", "-1"], ["IDLETIME", "x"], ["FREQ", "x"], ["IDLETIME"], ["FREQ"],
                     })
                p.Same(["RESTORE", "kd:acc:bad", "0", payload, .. bad]);
            p.Same("RESTORE", "kd:acc:idle", "0", payload, "IDLETIME", "1000");
            p.Same("RESTORE", "kd:acc:old", "0", payload, "IDLETIME", "100000000"); // wraps the 24-bit clock, as Redis
            p.Same("RESTORE", "kd:acc:freq", "0", payload, "FREQ", "7"); // no LFU policy: ignored
            foreach (var key in new[] { "kd:acc:idle", "kd:acc:old", "kd:acc:freq" })
            {
                // Both servers read the same wall clock; a second may tick between the two calls.
                long redis = long.Parse(p.Redis.Call("OBJECT", "IDLETIME", key)[1..^2]);
                long ours = long.Parse(p.Ours.Call("OBJECT", "IDLETIME", key)[1..^2]);
                Assert.InRange(ours, redis - 1, redis + 1);
            }
            p.Same("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
            p.Same("CONFIG", "SET", "lfu-log-factor", "0"); // every access counts: deterministic
            // One name at a time: Redis lists a glob's matches in its dict's random order.
            p.Same("CONFIG", "GET", "lfu-log-factor");
            p.Same("CONFIG", "GET", "lfu-decay-time");
            p.Same("SET", "kd:acc:n", "value");
            p.Same("OBJECT", "FREQ", "kd:acc:n");
            for (int i = 0; i < 4; i++) p.Same("GET", "kd:acc:n");
            p.Same("OBJECT", "FREQ", "kd:acc:n");
            p.Same("SET", "kd:acc:n", "overwritten"); // the counter stays with the key
            p.Same("OBJECT", "FREQ", "kd:acc:n");
            p.Same("OBJECT", "FREQ", "kd:acc:n"); // OBJECT itself is no access
            p.Same("RESTORE", "kd:acc:f100", "0", payload, "FREQ", "100");
            p.Same("OBJECT", "FREQ", "kd:acc:f100");
            p.Same("RESTORE", "kd:acc:f255", "0", payload, "FREQ", "255");
            p.Same("GET", "kd:acc:f255");
            p.Same("OBJECT", "FREQ", "kd:acc:f255");
            p.Same("RESTORE", "kd:acc:i50", "0", payload, "IDLETIME", "50"); // LFU policy: ignored
            p.Same("OBJECT", "FREQ", "kd:acc:i50");
            p.Same("CONFIG", "SET", "lfu-log-factor", "-1");
            p.Same("CONFIG", "SET", "lfu-decay-time", "x");
        }
        finally
        {
            p.Both("CONFIG", "SET", "maxmemory-policy", "noeviction");
            p.Both("CONFIG", "SET", "lfu-log-factor", "10");
            p.Both("DEL", "kd:acc:src", "kd:acc:idle", "kd:acc:old", "kd:acc:freq", "kd:acc:n", "kd:acc:f100", "kd:acc:f255", "kd:acc:i50");
        }
    }

    [Fact]
    public void ScanErrors()
    {
        using var p = f.Pair();
        foreach (var cursor in new[] { "x", "", "-", "+", " 1", "1 ", "18446744073709551616", "-18446744073709551616", "1.0" })
            p.Same("SCAN", cursor, "MATCH", "kd:nothing:*");
        p.Same("SCAN", "0", "COUNT", "0");
        p.Same("SCAN", "0", "COUNT", "-1");
        p.Same("SCAN", "0", "COUNT", "x");
        p.Same("SCAN", "0", "COUNT", "99999999999999999999");
        p.Same("SCAN", "0", "COUNT");
        p.Same("SCAN", "0", "MATCH");
        p.Same("SCAN", "0", "TYPE");
        p.Same("SCAN", "0", "FOO", "bar");
        p.Same("SCAN", "0", "MATCH", "*", "COUNT");
        p.Same("SCAN", "x", "COUNT", "0");
        p.Same("SCAN", "0", "COUNT", "0", "FOO");
    }

    [Fact]
    public void KeyCommandsInResp3()
    {
        using var p = f.Pair();
        p.Both("HELLO", "3");
        p.Same("SET", "kd:3", "v");
        p.Same("TYPE", "kd:3");
        p.Same("TTL", "kd:3");
        p.Same("OBJECT", "ENCODING", "kd:3");
        p.Same("OBJECT", "ENCODING", "kd:3none");
        p.Same("OBJECT", "REFCOUNT", "kd:3none");
        p.Same("OBJECT", "HELP");
        p.Same("EXISTS", "kd:3");
        p.Same("COPY", "kd:3", "kd:3b");
        p.Same("RENAME", "kd:3b", "kd:3c");
        p.Same("SCAN", "0", "MATCH", "kd:3c*", "COUNT", "1000", "TYPE", "string");
        p.Same("SCAN", "0", "MATCH", "kd:3c*", "COUNT", "1000", "TYPE", "set");
        p.Same("SCAN", "x");
        p.Same("EXPIRE", "kd:3", "10", "GT", "LT");
        p.Same("DEL", "kd:3", "kd:3c");
    }
}
