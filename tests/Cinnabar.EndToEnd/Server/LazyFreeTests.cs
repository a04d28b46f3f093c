using System.Text.RegularExpressions;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Server;

/// <summary>
/// INFO's lazyfree and pub/sub counters against Redis 7.0, and deletes during a snapshot (issue 20).
/// </summary>
public sealed class LazyFreeTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    private static string Field(string info, string name) => Regex.Match(info, $"{name}:(\\d+)").Groups[1].Value;

    /// <summary>Redis counts on its lazyfree thread: give it a moment before reading.</summary>
    private static void SameCounters(DiffPair p)
    {
        Thread.Sleep(100);
        var redis = p.Redis.Call("INFO", "memory");
        var ours = p.Ours.Call("INFO", "memory");
        Assert.Equal(Field(redis, "lazyfreed_objects"), Field(ours, "lazyfreed_objects"));
        Assert.Equal(Field(redis, "lazyfree_pending_objects"), Field(ours, "lazyfree_pending_objects"));
    }

    private static void Fill(DiffPair p, string cmd, string key, int n, Func<int, string[]> element)
    {
        var args = new List<string> { cmd, key };
        for (int i = 0; i < n; i++) args.AddRange(element(i));
        p.Same([.. args]);
    }

    [Fact]
    public void AsynchronousDeletesCountWhatRedisHandsToItsLazyfreeThread()
    {
        using var p = f.Pair();
        p.Both("FLUSHALL");
        p.Same("CONFIG", "RESETSTAT");
        SameCounters(p);
        Fill(p, "SADD", "lf:s100", 100, i => ["m" + i]);       // a hashtable in Redis: 100 > 64
        Fill(p, "SADD", "lf:s64", 64, i => ["m" + i]);         // 64: not above the threshold
        Fill(p, "SADD", "lf:ints", 300, i => [i.ToString()]);  // an intset: one allocation
        Fill(p, "HSET", "lf:h", 200, i => ["f" + i, "v"]);
        Fill(p, "ZADD", "lf:z", 200, i => [i.ToString(), "m" + i]);
        Fill(p, "RPUSH", "lf:l", 20000, i => ["element-" + i]); // many quicklist nodes
        Fill(p, "SADD", "lf:del", 100, i => ["m" + i]);
        p.Same("UNLINK", "lf:s100", "lf:s64", "lf:ints");
        SameCounters(p);
        p.Same("DEL", "lf:del"); // DEL frees synchronously in Redis: not counted
        SameCounters(p);
        p.Same("UNLINK", "lf:h", "lf:z", "lf:l");
        SameCounters(p);
        p.Same("CONFIG", "SET", "lazyfree-lazy-user-del", "yes");
        Fill(p, "SADD", "lf:del", 100, i => ["m" + i]);
        p.Same("DEL", "lf:del");
        SameCounters(p);
        p.Same("CONFIG", "SET", "lazyfree-lazy-user-del", "no");
        p.Same("SET", "lf:a", "1");
        p.Same("SELECT", "2");
        p.Same("SET", "lf:b", "1");
        p.Same("FLUSHDB", "ASYNC"); // every key of the database counts
        SameCounters(p);
        p.Same("SET", "lf:b", "1");
        p.Same("FLUSHALL", "ASYNC");
        SameCounters(p);
        p.Same("SET", "lf:c", "1");
        p.Same("FLUSHALL", "SYNC");
        p.Same("CONFIG", "SET", "lazyfree-lazy-user-flush", "yes");
        p.Same("SET", "lf:c", "1");
        p.Same("FLUSHALL");
        SameCounters(p);
        p.Same("CONFIG", "SET", "lazyfree-lazy-user-flush", "no");
        p.Same("CONFIG", "RESETSTAT");
        SameCounters(p);
    }

    [Fact]
    public void PubSubCountersCountChannelsAndPatterns()
    {
        using var p = f.Pair();
        using var redisSub = f.Redis.Connect();
        using var ourSub = f.Cinnabar.Raw();
        foreach (var sub in new[] { redisSub, ourSub })
        {
            sub.Call("SUBSCRIBE", "lf:c1");
            sub.Call("SUBSCRIBE", "lf:c2");
            sub.Call("PSUBSCRIBE", "lf:*");
        }
        using var other = f.Cinnabar.Raw();
        using var otherRedis = f.Redis.Connect();
        otherRedis.Call("SUBSCRIBE", "lf:c1"); // the same channel again: still two channels
        other.Call("SUBSCRIBE", "lf:c1");
        foreach (var field in new[] { "pubsub_channels", "pubsub_patterns", "pubsubshard_channels" })
            Assert.Equal(Field(p.Redis.Call("INFO", "stats"), field), Field(p.Ours.Call("INFO", "stats"), field));
        Assert.Equal("2", Field(p.Ours.Call("INFO", "stats"), "pubsub_channels"));
        Assert.Equal("1", Field(p.Ours.Call("INFO", "stats"), "pubsub_patterns"));
    }

    [Fact]
    public void DeletingDuringASnapshotCopiesNothing()
    {
        var server = f.Cinnabar.Server;
        using var c = f.Cinnabar.Raw();
        var add = new List<string> { "SADD", "lf:snap" };
        for (int i = 0; i < 1000; i++) add.Add("member-" + i);
        c.Call([.. add]);
        c.Call([.. add.Select(a => a == "lf:snap" ? "lf:snap2" : a)]);
        lock (server.ExecLock) server.Persistence.BeginSnapshot();
        try
        {
            // The snapshot holds the set; dropping it from the live keyspace must not copy it first.
            Assert.Equal(":1\r\n", c.Call("UNLINK", "lf:snap"));
            Assert.Equal(":1\r\n", c.Call("DEL", "lf:snap2"));
            lock (server.ExecLock) Assert.Equal(0, server.Persistence.PrivateValueCount);
            // A write that changes a value in place still gets its private copy.
            c.Call("SADD", "lf:snap3", "x");
            c.Call("SADD", "lf:snap3", "y");
            lock (server.ExecLock) Assert.Equal(1, server.Persistence.PrivateValueCount);
        }
        finally
        {
            lock (server.ExecLock) server.Persistence.EndSnapshot();
            c.Call("DEL", "lf:snap3");
        }
    }
}
