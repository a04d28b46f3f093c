using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.HyperLogLog;

/// <summary>
/// Random PF commands on a master reach a replica with the same bytes, both ways with a real Redis 7.0:
/// PFADD and PFMERGE verbatim, PFCOUNT when it rewrites the cached cardinality, PFDEBUG's conversions.
/// </summary>
public sealed class HyperLogLogReplicationTests
{
    private static string[] RandomCommand(Random rng)
    {
        string K() => "hll" + rng.Next(6);
        string E() => new([.. Enumerable.Range(0, rng.Next(1, 10)).Select(_ => (char)rng.Next(256))]);
        return rng.Next(10) switch
        {
            < 5 => ["PFADD", K(), .. Enumerable.Range(0, rng.Next(0, 80)).Select(_ => E())],
            5 or 6 => ["PFCOUNT", K()],
            7 => ["PFMERGE", K(), K(), K()],
            8 => ["PFDEBUG", "TODENSE", K()],
            _ => ["PFCOUNT", K(), K()],
        };
    }

    private static void Run(RespClient master, RespClient replica)
    {
        var rng = new Random(9);
        for (int i = 0; i < 1500; i++) master.Call(RandomCommand(rng));
        Assert.Equal(":1\r\n", master.Call("WAIT", "1", "10000"));
        for (int k = 0; k < 6; k++)
        {
            var expected = master.Call("GET", "hll" + k);
            Assert.True(expected == replica.Call("GET", "hll" + k), $"hll{k} differs on the replica");
        }
    }

    private static void Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(what);
            Thread.Sleep(20);
        }
    }

    [Fact]
    public async Task RealRedisReplicaOfCinnabar()
    {
        await using var master = new TestServer();
        using var replica = new RealRedis("--replicaof", "127.0.0.1", master.Port.ToString());
        using var r = replica.Connect();
        Eventually(() => r.Call("INFO", "replication").Contains("master_link_status:up"), "the link");
        using var m = master.Raw();
        Run(m, r);
    }

    [Fact]
    public async Task CinnabarReplicaOfRealRedis()
    {
        using var master = new RealRedis("--repl-diskless-sync-delay", "0");
        await using var replica = new TestServer(c => { c.ReplicaOfHost = "127.0.0.1"; c.ReplicaOfPort = master.Port; });
        using var r = replica.Raw();
        Eventually(() => r.Call("INFO", "replication").Contains("master_link_status:up"), "the link");
        using var m = master.Connect();
        Run(m, r);
    }
}
