using System.Diagnostics;
using Cinnabar.Config;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Security;

/// <summary>tls-replication: the replica's link to its master over TLS, Cinnabar and real Redis on either side.</summary>
public sealed class TlsReplicationTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    private static void Eventually(Func<bool> condition, string what, int timeoutMs = 20000)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.ElapsedMilliseconds > timeoutMs) Assert.Fail($"timed out waiting for {what}");
            Thread.Sleep(50);
        }
    }

    /// <summary>A Cinnabar replica of 127.0.0.1:<paramref name="masterTlsPort"/> over TLS, with a TLS port of its own.</summary>
    private TestServer TlsReplica(int masterTlsPort, TlsAuthClients auth = TlsAuthClients.Yes) => new(c =>
    {
        _certs.Configure(c, RealRedis.FreePort(), auth);
        c.TlsReplication = true;
        c.ReplicaOfHost = "127.0.0.1";
        c.ReplicaOfPort = masterTlsPort;
    });

    [Fact]
    public async Task CinnabarMasterToCinnabarReplica()
    {
        // The master requires client certificates: the replica presents its tls-cert-file.
        await using var master = new TestServer(c => _certs.Configure(c, RealRedis.FreePort(), TlsAuthClients.Yes));
        master.Db().StringSet("k", "before");
        await using var replica = TlsReplica(master.Server.TlsPort);
        Eventually(() => replica.Cli("GET", "k") == "before", "the full sync over TLS");
        master.Db().StringSet("k2", "after");
        master.Db().ListLeftPush("list", new StackExchange.Redis.RedisValue[] { "a", "b", "c" });
        Eventually(() => replica.Cli("GET", "k2") == "after" && replica.Cli("LLEN", "list") == "3", "the stream over TLS");
        var info = master.Cli("INFO", "replication");
        // The replica announces its TLS port (Redis' syncWithMaster with tls-replication).
        Assert.Contains($"port={replica.Server.TlsPort},state=online", info);
        Assert.Equal("1", master.Cli("WAIT", "1", "5000"));
        Assert.Contains("master_link_status:up", replica.Cli("INFO", "replication"));

        // The link breaks and comes back with a partial resync, still over TLS.
        master.Cli("CLIENT", "KILL", "TYPE", "replica");
        master.Db().StringSet("k3", "resumed");
        Eventually(() => replica.Cli("GET", "k3") == "resumed", "the partial resync over TLS");
        Assert.Contains("sync_partial_ok:1", master.Cli("INFO", "stats"));
    }

    [Fact]
    public async Task AReplicaWithoutTrustIsRefusedByTheMaster()
    {
        await using var master = new TestServer(c => _certs.Configure(c, RealRedis.FreePort(), TlsAuthClients.Yes));
        master.Db().StringSet("k", "v");
        // The replica presents a certificate from another CA: the master refuses the handshake.
        await using var replica = new TestServer(c =>
        {
            _certs.Configure(c, 0);
            c.TlsCertFile = _certs.UntrustedCertFile;
            c.TlsKeyFile = _certs.UntrustedKeyFile;
            c.TlsReplication = true;
            c.ReplicaOfHost = "127.0.0.1";
            c.ReplicaOfPort = master.Server.TlsPort;
        });
        Thread.Sleep(2000);
        Assert.Contains("master_link_status:down", replica.Cli("INFO", "replication"));
        Assert.Equal("", replica.Cli("GET", "k"));
        // tls-client-cert-file: the certificate presented to the master, when set.
        Assert.Equal("OK", replica.Cli("CONFIG", "SET", "tls-client-cert-file", _certs.ClientCertFile, "tls-client-key-file", _certs.ClientKeyFile));
        Eventually(() => replica.Cli("GET", "k") == "v", "the sync once the replica presents a trusted certificate");
    }

    [Fact]
    public async Task RealRedisMasterToCinnabarReplica()
    {
        int redisTls = RealRedis.FreePort();
        using var master = new RealRedis([.. _certs.RedisArgs(redisTls, "yes"), "--repl-diskless-sync-delay", "0"]);
        using var m = master.Connect();
        m.Call("SET", "k", "from-redis");
        await using var replica = TlsReplica(redisTls);
        Eventually(() => replica.Cli("GET", "k") == "from-redis", "the full sync from Redis over TLS");
        m.Call("HSET", "h", "f", "v");
        Eventually(() => replica.Cli("HGET", "h", "f") == "v", "Redis' stream over TLS");
        Assert.Contains($"port={replica.Server.TlsPort},state=online", m.Call("INFO", "replication"));
    }

    [Fact]
    public async Task CinnabarMasterToRealRedisReplica()
    {
        await using var master = new TestServer(c => _certs.Configure(c, RealRedis.FreePort(), TlsAuthClients.Yes));
        master.Db().StringSet("k", "from-cinnabar");
        int replicaTls = RealRedis.FreePort();
        using var replica = new RealRedis([.. _certs.RedisArgs(replicaTls), "--tls-replication", "yes", "--replicaof", "127.0.0.1", master.Server.TlsPort.ToString()]);
        using var r = replica.Connect();
        Eventually(() => r.Call("GET", "k") == "$13\r\nfrom-cinnabar\r\n", "Redis' full sync from Cinnabar over TLS");
        master.Db().SetAdd("s", "m");
        Eventually(() => r.Call("SISMEMBER", "s", "m") == ":1\r\n", "Cinnabar's stream to Redis over TLS");
        Assert.Contains($"port={replicaTls},state=online", master.Cli("INFO", "replication"));
        Assert.Equal("1", master.Cli("WAIT", "1", "5000"));
    }
}
