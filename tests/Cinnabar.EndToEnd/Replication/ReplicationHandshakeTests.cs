using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Replication;

/// <summary>
/// The replica's handshake, recorded by a <see cref="FakeMaster"/> and compared with a real Redis 7.0
/// replica's, and the master's PING schedule as a <see cref="FakeReplica"/> sees it.
/// </summary>
public sealed partial class ReplicationHandshakeTests
{
    [GeneratedRegex(@"listening-port \d+")]
    private static partial Regex ListeningPort();

    [GeneratedRegex(@"\b[0-9a-f]{40}\b")]
    private static partial Regex ReplId();

    private static List<string> Normalise(List<string> handshake) =>
        handshake.Select(c => ReplId().Replace(ListeningPort().Replace(c, "listening-port <port>"), "<replid>")).ToList();

    [Fact]
    public async Task ReplicaStartedWithReplicaofAsksForAFullResync()
    {
        using var redisMaster = new FakeMaster();
        using var redis = new RealRedis("--replicaof", "127.0.0.1", redisMaster.Port.ToString());
        var expected = redisMaster.RecordHandshake();

        using var ourMaster = new FakeMaster();
        await using var cinnabar = new TestServer(c => { c.ReplicaOfHost = "127.0.0.1"; c.ReplicaOfPort = ourMaster.Port; });
        var actual = ourMaster.RecordHandshake();

        Assert.Equal("PSYNC ? -1", expected[^1]); // no history: Redis asks for a full resync
        Assert.Equal(Normalise(expected), Normalise(actual));
        Assert.Contains($"listening-port {cinnabar.Port}", actual[1]);
    }

    [Fact]
    public async Task MasterTurnedReplicaOffersItsOwnHistory()
    {
        using var redisMaster = new FakeMaster();
        using var redis = new RealRedis();
        using var r = redis.Connect();
        var redisId = Field(r.Call("INFO", "replication"), "master_replid");
        r.Call("REPLICAOF", "127.0.0.1", redisMaster.Port.ToString());
        var expected = redisMaster.RecordHandshake();

        using var ourMaster = new FakeMaster();
        await using var cinnabar = new TestServer();
        using var o = cinnabar.Raw();
        var ourId = Field(o.Call("INFO", "replication"), "master_replid");
        o.Call("REPLICAOF", "127.0.0.1", ourMaster.Port.ToString());
        var actual = ourMaster.RecordHandshake();

        Assert.Equal($"PSYNC {redisId} 1", expected[^1]); // its own replication ID, offset 0 + 1
        Assert.Equal($"PSYNC {ourId} 1", actual[^1]);
        Assert.Equal(Normalise(expected), Normalise(actual));
    }

    [Fact]
    public async Task ReplicaThatNeverSyncedStillAsksForAFullResyncAfterReplicaof()
    {
        using var redisFirst = new FakeMaster();
        using var redisSecond = new FakeMaster();
        using var redis = new RealRedis("--replicaof", "127.0.0.1", redisFirst.Port.ToString());
        redisFirst.RecordHandshake();
        using (var r = redis.Connect()) r.Call("REPLICAOF", "127.0.0.1", redisSecond.Port.ToString());
        var expected = redisSecond.RecordHandshake();

        using var ourFirst = new FakeMaster();
        using var ourSecond = new FakeMaster();
        await using var cinnabar = new TestServer(c => { c.ReplicaOfHost = "127.0.0.1"; c.ReplicaOfPort = ourFirst.Port; });
        ourFirst.RecordHandshake();
        using (var o = cinnabar.Raw()) o.Call("REPLICAOF", "127.0.0.1", ourSecond.Port.ToString());
        var actual = ourSecond.RecordHandshake();

        Assert.Equal("PSYNC ? -1", expected[^1]);
        Assert.Equal(Normalise(expected), Normalise(actual));
    }

    private static string Field(string info, string name) =>
        info.Split("\r\n").First(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..];

    private static readonly byte[] Ping = "*1\r\n$4\r\nPING\r\n"u8.ToArray();

    [Fact]
    public async Task NoPingPrecedesTheFirstWriteAfterAFullSync()
    {
        await using var master = new TestServer(); // repl-ping-replica-period 10, the default
        using var replica = new FakeReplica(master.Port);
        Thread.Sleep(1500); // many cron ticks
        using var m = master.Raw();
        m.Call("SET", "k", "v");
        var set = RespClient.Encode([.. new[] { "SET", "k", "v" }.Select(Encoding.ASCII.GetBytes)]);
        var stream = replica.ReadThrough(set);
        Assert.Equal("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n" + Encoding.ASCII.GetString(set), Encoding.ASCII.GetString(stream));
        // The offsets agree: nothing but the SELECT and the SET was produced since +FULLRESYNC.
        Assert.Contains($"master_repl_offset:{replica.Offset + stream.Length}\r\n", m.Call("INFO", "replication"));
    }

    [Fact]
    public async Task PingsComeEveryReplPingReplicaPeriodAfterTheSync()
    {
        await using var master = new TestServer(c => c.ReplPingReplicaPeriod = 1);
        var sw = Stopwatch.StartNew();
        using var replica = new FakeReplica(master.Port);
        var first = replica.ReadThrough(Ping);
        long firstMs = sw.ElapsedMilliseconds;
        Assert.Equal(Ping, first);
        Assert.True(firstMs >= 700, $"the first PING came {firstMs} ms after the sync");
        Assert.Equal(Ping, replica.ReadThrough(Ping));
    }
}
