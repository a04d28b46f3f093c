using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Keys;

/// <summary>
/// The typed key lookup shared by every family: read commands count keyspace hits and misses and raise
/// keymiss, write commands do neither, a key of another type is a hit answered with WRONGTYPE, and an
/// expired key is deleted and missed. Compared with a real Redis on the statistics and on the keymiss events.
/// (Its own fixture: the statistics are server-wide.)
/// </summary>
public sealed class KeyLookupDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Fact]
    public void HitsMissesAndKeyMissEventsMatchRedisInEveryFamily()
    {
        using var p = f.Pair();
        p.Both("FLUSHALL");
        p.Both("CONFIG", "SET", "notify-keyspace-events", "Em");
        using var redisSub = f.Redis.Connect();
        using var oursSub = f.Cinnabar.Raw();
        foreach (var sub in new[] { redisSub, oursSub }) sub.Call("SUBSCRIBE", "__keyevent@0__:keymiss");

        p.Both("SET", "kl:s", "1");
        p.Both("HSET", "kl:h", "f", "1");
        p.Both("SADD", "kl:set", "m");
        p.Both("ZADD", "kl:z", "1", "m");
        p.Both("RPUSH", "kl:l", "a");
        p.Both("XADD", "kl:x", "1-1", "f", "v");
        p.Both("SET", "kl:gone", "1", "PX", "1");
        Thread.Sleep(20);
        p.Both("CONFIG", "RESETSTAT");

        string[][] script =
        [
            // reads: hit, miss, wrong type (the sources of the STORE forms are reads too)
            ["GET", "kl:s"], ["GET", "kl:none:get"], ["GET", "kl:h"], ["STRLEN", "kl:none:strlen"], ["GETRANGE", "kl:h", "0", "1"],
            ["GETBIT", "kl:none:getbit", "1"], ["BITCOUNT", "kl:s"], ["BITPOS", "kl:none:bitpos", "1"], ["GET", "kl:gone"],
            ["HGET", "kl:h", "f"], ["HGET", "kl:none:hget", "f"], ["HLEN", "kl:s"], ["HSCAN", "kl:none:hscan", "0"], ["HSCAN", "kl:z", "0"],
            ["SCARD", "kl:set"], ["SISMEMBER", "kl:none:sismember", "m"], ["SMEMBERS", "kl:h"], ["SSCAN", "kl:none:sscan", "0"],
            ["SINTER", "kl:set", "kl:none:sinter"], ["SUNION", "kl:none:sunion", "kl:set"],
            ["ZSCORE", "kl:z", "m"], ["ZCARD", "kl:none:zcard"], ["ZRANGE", "kl:l", "0", "-1"],
            ["LLEN", "kl:l"], ["LRANGE", "kl:none:lrange", "0", "-1"], ["LINDEX", "kl:z", "0"],
            ["SINTERSTORE", "kl:dst", "kl:set", "kl:none:sinterstore"], ["SUNIONSTORE", "kl:dst", "kl:none:sunionstore", "kl:set"],
            ["SDIFFSTORE", "kl:dst", "kl:set", "kl:none:sdiffstore"], ["SINTERSTORE", "kl:dst", "kl:h"],
            ["SORT", "kl:l", "STORE", "kl:dst"], ["SORT", "kl:none:sortstore", "STORE", "kl:dst"],
            ["TYPE", "kl:s"], ["TYPE", "kl:h"], ["TYPE", "kl:set"], ["TYPE", "kl:z"], ["TYPE", "kl:l"], ["TYPE", "kl:x"], ["TYPE", "kl:none:type"],
            ["XLEN", "kl:x"], ["XRANGE", "kl:none:xrange", "-", "+"], ["XINFO", "STREAM", "kl:s"],
            // writes: neither hits nor misses, whatever they find
            ["HSET", "kl:none:hset", "f", "1"], ["HDEL", "kl:none:hdel", "f"], ["HINCRBYFLOAT", "kl:s", "f", "1"],
            ["SADD", "kl:none:sadd", "m"], ["SREM", "kl:h", "m"], ["SMOVE", "kl:none:smove", "kl:set", "m"],
            ["ZADD", "kl:none:zadd", "1", "m"], ["ZREM", "kl:s", "m"], ["ZPOPMIN", "kl:none:zpopmin"],
            ["LPUSH", "kl:none:lpush", "a"], ["LPOP", "kl:none:lpop"], ["RPOPLPUSH", "kl:l", "kl:h"],
            ["XADD", "kl:none:xadd", "1-1", "f", "v"], ["XTRIM", "kl:s", "MAXLEN", "1"], ["XDEL", "kl:none:xdel", "1-1"],
            ["INCRBYFLOAT", "kl:none:incrbyfloat", "1"], ["APPEND", "kl:h", "x"],
        ];
        foreach (var command in script) p.Same(command);

        Assert.Equal(Stats(p.Redis), Stats(p.Ours));
        var expectedMisses = KeyMisses(redisSub);
        Assert.NotEmpty(expectedMisses);
        Assert.Equal(expectedMisses, KeyMisses(oursSub));
        p.Both("CONFIG", "SET", "notify-keyspace-events", "");
    }

    private static (string Hits, string Misses) Stats(RespClient c)
    {
        var info = RespClient.BulkContent(c.Call("INFO", "stats"));
        string Field(string name) => info.Split("\r\n").Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..];
        return (Field("keyspace_hits"), Field("keyspace_misses"));
    }

    /// <summary>The keys of the keymiss events delivered so far (a PING reply marks the end).</summary>
    private static List<string> KeyMisses(RespClient sub)
    {
        sub.Send("PING");
        var keys = new List<string>();
        while (true)
        {
            var reply = sub.ReadReply();
            if (reply.Contains("pong", StringComparison.Ordinal)) return keys;
            keys.Add(reply[(reply.LastIndexOf("$", StringComparison.Ordinal))..]);
        }
    }
}
