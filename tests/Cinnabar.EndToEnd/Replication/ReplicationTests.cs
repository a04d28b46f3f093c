using System.Diagnostics;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Replication;

/// <summary>Replication with a real redis-server 7.0 on either side, and chained.</summary>
public sealed class ReplicationTests
{
    private static void Eventually(Func<bool> condition, string what, int timeoutMs = 15000)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.ElapsedMilliseconds > timeoutMs) Assert.Fail($"timed out waiting for {what}");
            Thread.Sleep(50);
        }
    }

    private static string Bulk(string value) => $"${value.Length}\r\n{value}\r\n";

    [Fact]
    public async Task MasterRestartedWithANewHistoryForcesAFullResync()
    {
        var first = new TestServer();
        int port = first.Port;
        using var replica = new RealRedis("--replicaof", "127.0.0.1", port.ToString());
        using var r = replica.Connect();
        using (var m = first.Raw())
        {
            m.Call("SET", "old-only", "1");
            m.Call("SET", "shared", "old");
            Eventually(() => r.Call("GET", "shared") == Bulk("old"), "the first sync");
        }
        string oldReplId = first.Server.Replication.ReplId;
        await first.DisposeAsync();

        // A new master process on the same port: new replication ID, different data.
        await using var second = new TestServer(c => c.Port = port);
        Assert.NotEqual(oldReplId, second.Server.Replication.ReplId);
        using var m2 = second.Raw();
        m2.Call("SET", "shared", "new");
        m2.Call("SET", "new-only", "1");
        Eventually(() => r.Call("GET", "new-only") == Bulk("1"), "the resync with the new master");
        Assert.Equal(Bulk("new"), r.Call("GET", "shared"));
        Assert.Equal("$-1\r\n", r.Call("GET", "old-only")); // the old dataset was replaced, not merged
        Assert.Contains("master_replid:" + second.Server.Replication.ReplId, r.Call("INFO", "replication"));
        Assert.Contains("sync_full:1", m2.Call("INFO", "stats"));
    }

    [Fact]
    public async Task RestartedReplicaCatchesUpWithWritesMadeWhileItWasDown()
    {
        using var master = new RealRedis("--repl-diskless-sync-delay", "0");
        using var m = master.Connect();
        for (int i = 0; i < 100; i++) m.Call("RPUSH", "log", "before-" + i);
        await using (var replica = new TestServer(c => { c.ReplicaOfHost = "127.0.0.1"; c.ReplicaOfPort = master.Port; }))
        {
            using var r = replica.Raw();
            Eventually(() => r.Call("LLEN", "log") == ":100\r\n", "the first sync");
        }
        for (int i = 0; i < 50; i++) m.Call("RPUSH", "log", "while-down-" + i);
        m.Call("HSET", "h", "f", "v");
        await using (var replica = new TestServer(c => { c.ReplicaOfHost = "127.0.0.1"; c.ReplicaOfPort = master.Port; }))
        {
            using var r = replica.Raw();
            Eventually(() => r.Call("LLEN", "log") == ":150\r\n", "the sync after the restart");
            Assert.Equal(m.Call("LRANGE", "log", "0", "-1"), r.Call("LRANGE", "log", "0", "-1"));
            Assert.Equal(Bulk("v"), r.Call("HGET", "h", "f"));
            m.Call("RPUSH", "log", "after");
            Assert.Equal(":1\r\n", m.Call("WAIT", "1", "5000"));
            Eventually(() => r.Call("LINDEX", "log", "-1") == Bulk("after"), "the live stream after the restart");
        }
    }

    [Fact]
    public async Task RealRedisReplicaFollowsCinnabarIncludingPartialResync()
    {
        await using var master = new TestServer();
        using var m = master.Raw();
        m.Call("SET", "before", "1");
        m.Call("SET", "ttl", "x", "EX", "5000");
        using var replica = new RealRedis("--replicaof", "127.0.0.1", master.Port.ToString());
        using var r = replica.Connect();
        Eventually(() => r.Call("GET", "before") == Bulk("1"), "the full sync");

        m.Call("SET", "after", "2");
        m.Call("SELECT", "4");
        m.Call("SET", "in4", "four");
        Assert.Equal(":1\r\n", m.Call("WAIT", "1", "5000"));
        Assert.Equal(Bulk("2"), r.Call("GET", "after"));
        r.Call("SELECT", "4");
        Assert.Equal(Bulk("four"), r.Call("GET", "in4"));
        r.Call("SELECT", "0");
        Assert.InRange(long.Parse(r.Call("TTL", "ttl")[1..^2]), 4990, 5000);

        // Cut the link from the replica side: it must come back with +CONTINUE, not a full sync.
        long fullSyncs = master.Server.Stats.SyncFull;
        r.Call("CLIENT", "KILL", "TYPE", "master");
        m.Call("SELECT", "0");
        m.Call("SET", "during", "3");
        Eventually(() => r.Call("GET", "during") == Bulk("3"), "the partial resync");
        Assert.Equal(fullSyncs, master.Server.Stats.SyncFull);
        Assert.True(master.Server.Stats.SyncPartialOk >= 1);
    }

    [Fact]
    public async Task CinnabarReplicaFollowsRealRedis()
    {
        using var master = new RealRedis("--repl-diskless-sync-delay", "0");
        using var m = master.Connect();
        m.Call("SET", "k1", "v1");
        m.Call("SELECT", "2");
        m.Call("SET", "k2", "v2");
        await using var replica = new TestServer(c => { c.ReplicaOfHost = "127.0.0.1"; c.ReplicaOfPort = master.Port; });
        using var r = replica.Raw();
        Eventually(() => r.Call("GET", "k1") == Bulk("v1"), "the full sync");
        r.Call("SELECT", "2");
        Assert.Equal(Bulk("v2"), r.Call("GET", "k2"));

        m.Call("INCR", "counter");
        m.Call("INCRBY", "counter", "41");
        m.Call("SET", "ex", "v", "PX", "100000");
        Assert.Equal(":1\r\n", m.Call("WAIT", "1", "5000"));
        Assert.Equal(Bulk("42"), r.Call("GET", "counter"));
        Assert.Equal("-READONLY You can't write against a read only replica.\r\n", r.Call("SET", "nope", "1"));
        var role = r.Call("ROLE");
        Assert.StartsWith("*5\r\n$5\r\nslave\r\n", role);
        Assert.Contains("$9\r\nconnected\r\n", role);

        // Cut the link from the master side: the replica reconnects and continues.
        m.Call("CLIENT", "KILL", "TYPE", "replica");
        m.Call("SET", "after-cut", "yes");
        r.Call("SELECT", "2");
        Eventually(() => r.Call("GET", "after-cut") == Bulk("yes"), "the reconnection");
        Assert.Contains("sync_partial_ok:1", m.Call("INFO", "stats"));
    }

    [Fact]
    public async Task ChainRedisToCinnabarToRedis()
    {
        using var top = new RealRedis("--repl-diskless-sync-delay", "0");
        await using var middle = new TestServer(c => { c.ReplicaOfHost = "127.0.0.1"; c.ReplicaOfPort = top.Port; });
        using var bottom = new RealRedis("--replicaof", "127.0.0.1", middle.Port.ToString());
        using var t = top.Connect();
        using var b = bottom.Connect();
        for (int i = 0; i < 200; i++) t.Call("SET", $"chain:{i}", $"value-{i}");
        t.Call("SELECT", "7");
        t.Call("SET", "deep", "down");
        Eventually(() => { b.Call("SELECT", "7"); return b.Call("GET", "deep") == Bulk("down"); }, "the chain to deliver");
        b.Call("SELECT", "0");
        Assert.Equal(Bulk("value-199"), b.Call("GET", "chain:199"));
        // Offsets agree along the chain (the middle proxies the exact stream).
        Eventually(() => Offset(top.Connect()) == Offset(bottom.Connect()), "equal offsets");
    }

    private static long Offset(RespClient c)
    {
        using (c)
        {
            var info = c.Call("INFO", "replication");
            var line = info.Split("\r\n").First(l => l.StartsWith("master_repl_offset:"));
            return long.Parse(line.Split(':')[1]);
        }
    }

    [Fact]
    public async Task WaitTimesOutWithTheCountSoFarWithoutBlockingOthers()
    {
        await using var master = new TestServer();
        using var replica = new RealRedis("--replicaof", "127.0.0.1", master.Port.ToString());
        using var m = master.Raw();
        using var other = master.Raw();
        using var r = replica.Connect();
        m.Call("SET", "w", "1");
        Eventually(() => r.Call("GET", "w") == Bulk("1"), "the sync");
        var waiting = Task.Run(() => m.Call("WAIT", "2", "500"));
        Thread.Sleep(100);
        Assert.Equal("+PONG\r\n", other.Call("PING"));
        Assert.False(waiting.IsCompleted);
        Assert.Equal(":1\r\n", await waiting);
        Assert.Equal(":1\r\n", other.Call("WAIT", "0", "0")); // nothing to wait for: counts every replica
    }

    [Fact]
    public async Task PromotedReplicaKeepsTheOldHistoryAsReplid2()
    {
        await using var master = new TestServer();
        await using var replica = new TestServer(c => { c.ReplicaOfHost = "127.0.0.1"; c.ReplicaOfPort = master.Port; });
        using var m = master.Raw();
        using var r = replica.Raw();
        m.Call("SET", "p", "1");
        Eventually(() => r.Call("GET", "p") == Bulk("1"), "the sync");
        var oldId = master.Server.Replication.ReplId;
        Assert.Equal(oldId, replica.Server.Replication.ReplId);
        Assert.Equal("+OK\r\n", r.Call("REPLICAOF", "NO", "ONE"));
        Assert.Equal(oldId, replica.Server.Replication.ReplId2);
        Assert.NotEqual(oldId, replica.Server.Replication.ReplId);
        Assert.Equal("+OK\r\n", r.Call("SET", "now-writable", "1"));
    }
}
