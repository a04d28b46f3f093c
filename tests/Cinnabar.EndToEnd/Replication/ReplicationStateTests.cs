using System.Diagnostics;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Replication;

/// <summary>How ROLE and INFO replication name the link and replica states, next to a real Redis.</summary>
public sealed class ReplicationStateTests
{
    private static string InfoField(RespClient c, string name) =>
        RespClient.BulkContent(c.Call("INFO", "replication")).Split("\r\n").Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..];

    [Fact]
    public async Task ALinkToAnAbsentMasterIsDownAsInRedis()
    {
        int deadPort = RealRedis.FreePort();
        using var redis = new RealRedis("--replicaof", "127.0.0.1", deadPort.ToString());
        await using var ours = new TestServer(c => { c.ReplicaOfHost = "127.0.0.1"; c.ReplicaOfPort = deadPort; });
        Thread.Sleep(1500); // a few failed attempts on both
        using var r = redis.Connect();
        using var o = ours.Raw();
        foreach (var c in new[] { r, o })
        {
            var role = c.Call("ROLE");
            Assert.StartsWith($"*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:{deadPort}\r\n$7\r\nconnect", role); // connect or connecting
            Assert.EndsWith("\r\n:-1\r\n", role);
        }
        foreach (var field in new[] { "master_link_status", "master_last_io_seconds_ago", "master_sync_in_progress" })
            Assert.Equal(InfoField(r, field), InfoField(o, field));
        Assert.Equal("down", InfoField(o, "master_link_status"));
    }

    [Fact]
    public async Task ASyncedReplicaIsOnlineAndTheLinkUp()
    {
        await using var master = new TestServer();
        using var m = master.Raw();
        using var replica = new RealRedis("--replicaof", "127.0.0.1", master.Port.ToString());
        m.Call("SET", "k", "v");
        var sw = Stopwatch.StartNew();
        while (m.Call("WAIT", "1", "100") != ":1\r\n" && sw.ElapsedMilliseconds < 15000) { }
        Assert.Matches(@"^slave0:ip=127\.0\.0\.1,port=\d+,state=online,", InfoField(m, "slave0").Insert(0, "slave0:"));
        Assert.StartsWith("*3\r\n$6\r\nmaster\r\n:", m.Call("ROLE"));
        Assert.Contains("*1\r\n*3\r\n$9\r\n127.0.0.1\r\n", m.Call("ROLE"));

        // And a Cinnabar replica of that master reports its link connected and up.
        await using var second = new TestServer(c => { c.ReplicaOfHost = "127.0.0.1"; c.ReplicaOfPort = master.Port; });
        using var s = second.Raw();
        sw.Restart();
        while (InfoField(s, "master_link_status") != "up" && sw.ElapsedMilliseconds < 15000) Thread.Sleep(50);
        Assert.Equal("0", InfoField(s, "master_sync_in_progress"));
        Assert.Contains("$9\r\nconnected\r\n", s.Call("ROLE"));
    }
}
