using System.Diagnostics;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Security;

/// <summary>masterauth and masteruser: replication with a password-protected master, a real Redis on either side.</summary>
public sealed class ReplicationAuthTests
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

    [Fact]
    public async Task CinnabarReplicaAuthenticatesToAProtectedRedisMaster()
    {
        using var master = new RealRedis("--repl-diskless-sync-delay", "0");
        using var m = master.Connect();
        m.Call("SET", "k", "v");
        m.Call("ACL", "SETUSER", "repl", "on", ">rpw", "+psync", "+replconf", "+ping");
        m.Call("CONFIG", "SET", "requirepass", "mpw");
        Assert.Equal("+OK\r\n", m.Call("AUTH", "mpw"));

        // Without credentials the handshake is refused and the replica keeps trying.
        await using (var refused = new TestServer(c => { c.ReplicaOfHost = "127.0.0.1"; c.ReplicaOfPort = master.Port; }))
        {
            Thread.Sleep(1500);
            Assert.Contains("master_link_status:down", refused.Cli("INFO", "replication"));
        }
        // The default user's password (masterauth alone).
        await using (var r1 = new TestServer(c => { c.ReplicaOfHost = "127.0.0.1"; c.ReplicaOfPort = master.Port; c.MasterAuth = "mpw"; }))
            Eventually(() => r1.Cli("GET", "k") == "v", "the sync with masterauth");
        // A user of the master's ACL with only what replication needs (masteruser + masterauth).
        await using var r2 = new TestServer(c => { c.ReplicaOfHost = "127.0.0.1"; c.ReplicaOfPort = master.Port; c.MasterUser = "repl"; c.MasterAuth = "rpw"; });
        Eventually(() => r2.Cli("GET", "k") == "v", "the sync with masteruser");
        m.Call("SET", "k2", "v2");
        Eventually(() => r2.Cli("GET", "k2") == "v2", "the stream after the sync");
        Assert.Contains("user=repl", m.Call("CLIENT", "LIST", "TYPE", "replica"));
    }

    [Fact]
    public async Task RedisReplicaAuthenticatesToAProtectedCinnabarMaster()
    {
        await using var master = new TestServer(c => c.RequirePass = "cpw");
        using var m = master.Raw();
        Assert.Equal("+OK\r\n", m.Call("AUTH", "cpw"));
        m.Call("SET", "k", "v");
        m.Call("ACL", "SETUSER", "repl", "on", ">rpw", "+psync", "+replconf", "+ping");

        using (var refused = new RealRedis("--replicaof", "127.0.0.1", master.Port.ToString()))
        {
            Thread.Sleep(1500);
            using var r = refused.Connect();
            Assert.Contains("master_link_status:down", r.Call("INFO", "replication"));
            Assert.Contains("NOAUTH", refused.LogTail());
        }
        using var replica = new RealRedis("--replicaof", "127.0.0.1", master.Port.ToString(), "--masteruser", "repl", "--masterauth", "rpw");
        using var rc = replica.Connect();
        Eventually(() => rc.Call("GET", "k") == "$1\r\nv\r\n", "the sync with masteruser");
        m.Call("SET", "k2", "v2");
        Eventually(() => rc.Call("GET", "k2") == "$2\r\nv2\r\n", "the stream after the sync");
        Assert.Contains("user=repl", m.Call("CLIENT", "LIST", "TYPE", "replica"));
        Assert.Equal(":1\r\n", m.Call("WAIT", "1", "5000"));
    }
}
