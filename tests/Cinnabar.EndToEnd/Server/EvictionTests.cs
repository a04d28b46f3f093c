using System.Diagnostics;
using System.Text.RegularExpressions;
using Cinnabar.Config;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Server;

/// <summary>maxmemory, the eight eviction policies, -OOM, eviction signals and replication (issue 17).</summary>
public sealed class EvictionTests
{
    private const int ValueSize = 10_000;
    private static readonly string Value = new('v', ValueSize);

    private static long Field(string info, string name) => long.Parse(Regex.Match(info, $"\r\n{name}:(\\d+)").Groups[1].Value);

    /// <summary>used_memory as eviction sees it: less replica buffers (mem_not_counted_for_evict).</summary>
    private static long Used(RespClient r)
    {
        var info = r.Call("INFO", "memory");
        return Field(info, "used_memory") - Field(info, "mem_not_counted_for_evict");
    }

    private static void Eventually(Func<bool> condition, string what, int timeoutMs = 15000)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.ElapsedMilliseconds > timeoutMs) Assert.Fail($"timed out waiting for {what}");
            Thread.Sleep(20);
        }
    }

    private static bool Exists(RespClient r, string key) => r.Call("EXISTS", key) == ":1\r\n";

    /// <summary>Sets maxmemory to what is used now less <paramref name="keys"/> values, then runs one write so eviction happens.</summary>
    private static void SqueezeBy(RespClient r, int keys)
    {
        long target = Used(r) - (long)keys * ValueSize;
        Assert.Equal("+OK\r\n", r.Call("CONFIG", "SET", "maxmemory", target.ToString()));
        // CONFIG SET evicts at once within its time budget; the rest continues in the background.
        Eventually(() => Used(r) <= target, "eviction down to the new limit");
    }

    [Fact]
    public void NoEvictionRefusesWritesWithRedisErrorWhileReadsAndDeletesGoOn()
    {
        using var redis = new RealRedis();
        using var rc = redis.Connect();
        using var srv = new DisposableServer();
        using var oc = srv.Raw();
        foreach (var c in new[] { rc, oc })
        {
            Assert.Equal("+OK\r\n", c.Call("SET", "a", "1"));
            Assert.Equal("+OK\r\n", c.Call("SET", "b", "2"));
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "maxmemory", "1"));
        }
        var p = new DiffPair(rc, oc);
        Assert.Equal("-OOM command not allowed when used memory > 'maxmemory'.\r\n", p.Same("SET", "c", "3"));
        p.Same("GET", "a");
        p.Same("LPUSH", "l", "x");
        p.Same("INCR", "a");          // denyoom
        p.Same("EXPIRE", "a", "100"); // not denyoom: allowed
        p.Same("DEL", "a");
        p.Same("EXISTS", "a");
        p.Same("DBSIZE");
        // Inside MULTI every queued command is refused (queuing grows memory); EXEC then aborts.
        p.Same("MULTI");
        p.Same("GET", "b");
        p.Same("EXEC");
        p.Same("MULTI");
        p.Same("DISCARD");
        p.Same("CONFIG", "SET", "maxmemory", "0");
        p.Same("SET", "c", "3");
        var info = oc.Call("INFO", "stats");
        Assert.Equal(0, Field(info, "evicted_keys"));
        Assert.Contains("errorstat_OOM:count=", oc.Call("INFO", "errorstats"));
    }

    [Fact]
    public void AllKeysLruKeepsRecentlyReadKeys()
    {
        using var srv = new DisposableServer(c => c.MaxMemoryPolicy = MaxMemoryPolicy.AllKeysLru);
        using var r = srv.Raw();
        var payload = DumpOf(r);
        // 100 keys idle for hours, 100 read just now.
        for (int i = 0; i < 100; i++) r.Call("RESTORE", "cold:" + i, "0", payload, "IDLETIME", "10000");
        for (int i = 0; i < 100; i++) r.Call("SET", "hot:" + i, Value);
        for (int i = 0; i < 100; i++) r.Call("GET", "hot:" + i);
        SqueezeBy(r, 80);
        int hot = Enumerable.Range(0, 100).Count(i => Exists(r, "hot:" + i));
        int cold = Enumerable.Range(0, 100).Count(i => Exists(r, "cold:" + i));
        Assert.True(hot >= 95, $"hot keys kept: {hot}, cold kept: {cold}");
        Assert.True(cold <= 30, $"cold keys kept: {cold}");
        Assert.True(Field(r.Call("INFO", "stats"), "evicted_keys") >= 70);
    }

    [Fact]
    public void AllKeysLfuKeepsFrequentlyUsedKeysAndObjectFreqReportsTheCounter()
    {
        using var srv = new DisposableServer(c => c.MaxMemoryPolicy = MaxMemoryPolicy.AllKeysLfu);
        using var r = srv.Raw();
        var payload = DumpOf(r);
        for (int i = 0; i < 100; i++) r.Call("RESTORE", "rare:" + i, "0", payload, "FREQ", "0");
        for (int i = 0; i < 100; i++) r.Call("RESTORE", "freq:" + i, "0", payload, "FREQ", "200");
        Assert.Equal(":200\r\n", r.Call("OBJECT", "FREQ", "freq:1"));
        SqueezeBy(r, 80);
        int frequent = Enumerable.Range(0, 100).Count(i => Exists(r, "freq:" + i));
        int rare = Enumerable.Range(0, 100).Count(i => Exists(r, "rare:" + i));
        Assert.True(frequent >= 95, $"frequent kept: {frequent}, rare kept: {rare}");
        Assert.True(rare <= 30, $"rare kept: {rare}");
    }

    [Fact]
    public void ObjectFreqMatchesRedisUnderAllKeysLfu()
    {
        using var redis = new RealRedis("--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0");
        using var rc = redis.Connect();
        using var srv = new DisposableServer(c => { c.MaxMemoryPolicy = MaxMemoryPolicy.AllKeysLfu; c.LfuLogFactor = 0; });
        using var oc = srv.Raw();
        var p = new DiffPair(rc, oc);
        p.Same("SET", "k", "v");
        p.Same("OBJECT", "FREQ", "k");  // LFU_INIT_VAL
        for (int i = 0; i < 20; i++) p.Same("GET", "k"); // factor 0: every access counts
        p.Same("OBJECT", "FREQ", "k");
        p.Same("OBJECT", "IDLETIME", "k"); // LFU selected: idle time not tracked
        p.Same("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
        p.Same("OBJECT", "FREQ", "k");
    }

    [Fact]
    public void VolatileTtlEvictsTheSoonestExpiringAndNeverKeysWithoutTtl()
    {
        using var srv = new DisposableServer(c => c.MaxMemoryPolicy = MaxMemoryPolicy.VolatileTtl);
        using var r = srv.Raw();
        for (int i = 0; i < 100; i++) r.Call("SET", "ttl:" + i, Value, "EX", (1000 + i * 100).ToString());
        for (int i = 0; i < 50; i++) r.Call("SET", "persistent:" + i, Value);
        SqueezeBy(r, 40);
        var kept = Enumerable.Range(0, 100).Where(i => Exists(r, "ttl:" + i)).ToList();
        Assert.True(kept.Count <= 60);
        // The soonest-expiring went first: what is left is the later half (with sampling's slack).
        Assert.True(kept.Count(i => i < 30) <= 5, $"kept: {string.Join(",", kept)}");
        Assert.Equal(50, Enumerable.Range(0, 50).Count(i => Exists(r, "persistent:" + i)));
        // Only persistent keys left above the limit: nothing can be evicted, writes are refused.
        Assert.Equal("+OK\r\n", r.Call("CONFIG", "SET", "maxmemory", "1"));
        Assert.Equal("-OOM command not allowed when used memory > 'maxmemory'.\r\n", r.Call("SET", "x", "y"));
        Assert.Equal(0, Enumerable.Range(0, 100).Count(i => Exists(r, "ttl:" + i)));
        Assert.Equal(50, Enumerable.Range(0, 50).Count(i => Exists(r, "persistent:" + i)));
        Assert.Equal("$-1\r\n", r.Call("GET", "nothing")); // reads go on
    }

    [Theory]
    [InlineData(MaxMemoryPolicy.VolatileLru)]
    [InlineData(MaxMemoryPolicy.VolatileLfu)]
    [InlineData(MaxMemoryPolicy.VolatileRandom)]
    public void VolatilePoliciesEvictOnlyKeysWithTtl(MaxMemoryPolicy policy)
    {
        using var srv = new DisposableServer(c => c.MaxMemoryPolicy = policy);
        using var r = srv.Raw();
        for (int i = 0; i < 60; i++) r.Call("SET", "ttl:" + i, Value, "EX", "10000");
        for (int i = 0; i < 60; i++) r.Call("SET", "persistent:" + i, Value);
        SqueezeBy(r, 40);
        Assert.Equal(60, Enumerable.Range(0, 60).Count(i => Exists(r, "persistent:" + i)));
        Assert.True(Enumerable.Range(0, 60).Count(i => Exists(r, "ttl:" + i)) <= 20);
        Assert.Equal("+OK\r\n", r.Call("CONFIG", "SET", "maxmemory", "1"));
        Assert.StartsWith("-OOM", r.Call("SET", "x", "y"));
        Assert.Equal(0, Enumerable.Range(0, 60).Count(i => Exists(r, "ttl:" + i)));
    }

    [Fact]
    public void AllKeysRandomEvictsAcrossDatabasesDownToTheLimit()
    {
        using var srv = new DisposableServer(c => c.MaxMemoryPolicy = MaxMemoryPolicy.AllKeysRandom);
        using var r = srv.Raw();
        for (int db = 0; db < 3; db++)
        {
            r.Call("SELECT", db.ToString());
            for (int i = 0; i < 50; i++) r.Call("SET", "k:" + i, Value);
        }
        SqueezeBy(r, 100);
        long keys = 0;
        for (int db = 0; db < 3; db++)
        {
            r.Call("SELECT", db.ToString());
            keys += long.Parse(r.Call("DBSIZE")[1..^2]);
        }
        Assert.InRange(keys, 30, 55);
        Assert.Equal("+OK\r\n", r.Call("SET", "after", "1")); // evicts, never refuses
    }

    [Fact]
    public void EvictionCountsNotifiesAndTouchesWatchers()
    {
        using var srv = new DisposableServer(c =>
        {
            c.MaxMemoryPolicy = MaxMemoryPolicy.AllKeysRandom;
            c.NotifyKeyspaceEvents = NotifyFlags.Evicted | NotifyFlags.Keyevent;
        });
        using var r = srv.Raw();
        using var sub = srv.Raw();
        using var watcher = srv.Raw();
        sub.Call("SUBSCRIBE", "__keyevent@0__:evicted");
        for (int i = 0; i < 10; i++) r.Call("SET", "k:" + i, Value);
        watcher.Call("WATCH", "k:0", "k:1", "k:2", "k:3", "k:4", "k:5", "k:6", "k:7", "k:8", "k:9");
        r.Call("CONFIG", "SET", "maxmemory", "1");
        Assert.StartsWith("-OOM", r.Call("SET", "x", "y")); // everything evicted, still above the base
        Assert.Equal(":0\r\n", r.Call("DBSIZE"));
        var info = r.Call("INFO", "stats");
        Assert.Equal(10, Field(info, "evicted_keys"));
        Assert.True(Field(info, "current_eviction_exceeded_time") >= 0);
        Assert.Contains("total_eviction_exceeded_time:", info);
        var evicted = new HashSet<string>();
        for (int i = 0; i < 10; i++)
        {
            var msg = sub.ReadReply();
            Assert.Contains("__keyevent@0__:evicted", msg);
            evicted.Add(Regex.Match(msg, @"(k:\d)\r\n$").Groups[1].Value);
        }
        Assert.Equal(10, evicted.Count);
        Assert.Equal("+OK\r\n", r.Call("CONFIG", "SET", "maxmemory", "0"));
        watcher.Call("MULTI");
        watcher.Call("PING");
        Assert.Equal("*-1\r\n", watcher.Call("EXEC")); // a watched key was evicted
        Assert.Equal("+OK\r\n", r.Call("SET", "x", "y"));
    }

    [Fact]
    public void ConfigSetMaxmemoryAtRunTimeEvictsDown()
    {
        using var srv = new DisposableServer(c => c.MaxMemoryPolicy = MaxMemoryPolicy.AllKeysLru);
        using var r = srv.Raw();
        for (int i = 0; i < 2000; i++) r.Call("SET", "k:" + i, Value);
        long used = Used(r);
        Assert.True(used > 2000L * ValueSize);
        long limit = used / 4;
        // The command answers after its time budget; eviction goes on between commands until under.
        Assert.Equal("+OK\r\n", r.Call("CONFIG", "SET", "maxmemory", limit.ToString()));
        Eventually(() => Used(r) <= limit, "used memory under the new limit");
        long keys = long.Parse(r.Call("DBSIZE")[1..^2]);
        Assert.InRange(keys, 300, 520);
        Assert.Equal("+OK\r\n", r.Call("SET", "new", "1"));
        Assert.Equal(limit.ToString(), Regex.Match(r.Call("CONFIG", "GET", "maxmemory"), @"\$\d+\r\n(\d+)\r\n$").Groups[1].Value);
    }

    [Fact]
    public void EvictionsReachARealRedisReplicaAsDel()
    {
        using var srv = new DisposableServer(c => c.MaxMemoryPolicy = MaxMemoryPolicy.AllKeysRandom);
        using var m = srv.Raw();
        for (int i = 0; i < 100; i++) m.Call("SET", "k:" + i, Value);
        using var replica = new RealRedis("--replicaof", "127.0.0.1", srv.Port.ToString());
        using var rr = replica.Connect();
        Eventually(() => rr.Call("DBSIZE") == ":100\r\n", "the full sync");
        using var monitor = replica.Connect();
        monitor.Call("MONITOR");
        SqueezeBy(m, 50);
        string masterKeys = m.Call("DBSIZE");
        Eventually(() => rr.Call("DBSIZE") == masterKeys, "the evictions on the replica");
        // They arrived as DELs.
        string seen = "";
        Eventually(() => (seen += monitor.ReadReply()).Contains("\"DEL\""), "a DEL in the replica's MONITOR");
        for (int i = 0; i < 100; i++) Assert.Equal(Exists(m, "k:" + i), Exists(rr, "k:" + i));
    }

    [Fact]
    public void AReplicaIgnoresMaxmemoryByDefault()
    {
        using var master = new RealRedis();
        using var mc = master.Connect();
        for (int i = 0; i < 50; i++) mc.Call("SET", "k:" + i, Value);
        using var srv = new DisposableServer(c =>
        {
            c.ReplicaOfHost = "127.0.0.1";
            c.ReplicaOfPort = master.Port;
            c.MaxMemory = 1;
            c.MaxMemoryPolicy = MaxMemoryPolicy.AllKeysRandom;
        });
        using var r = srv.Raw();
        Eventually(() => r.Call("DBSIZE") == ":50\r\n", "the full sync");
        mc.Call("SET", "more", "1");
        Eventually(() => r.Call("DBSIZE") == ":51\r\n", "a write from the master");
        Assert.Equal(0, Field(r.Call("INFO", "stats"), "evicted_keys"));
        Assert.EndsWith("$3\r\nyes\r\n", r.Call("CONFIG", "GET", "replica-ignore-maxmemory"));
    }

    [Fact]
    public void MaxmemoryClientsEvictsTheLargestClientUnlessNoEvict()
    {
        using var srv = new DisposableServer();
        using var r = srv.Raw();
        using var big = srv.Raw();
        using var protectedClient = srv.Raw();
        // Every evictable client goes while the total is above the limit, as in Redis: these two are exempt.
        Assert.Equal("+OK\r\n", r.Call("CLIENT", "NO-EVICT", "on"));
        Assert.Equal("+OK\r\n", protectedClient.Call("CLIENT", "NO-EVICT", "on"));
        Assert.Equal("+OK\r\n", r.Call("CONFIG", "SET", "maxmemory-clients", "1mb"));
        // An unfinished 4 MB argument: the query buffer grows past the limit.
        protectedClient.SendRaw("*3\r\n$3\r\nSET\r\n$1\r\np\r\n$4000000\r\n" + new string('x', 2_000_000));
        big.SendRaw("*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$4000000\r\n" + new string('x', 2_000_000));
        Assert.True(big.IsClosedByServer(5000));
        Assert.Equal(1, Field(r.Call("INFO", "stats"), "evicted_clients"));
        Assert.Equal("+PONG\r\n", r.Call("PING"));
        Assert.Equal("+OK\r\n", r.Call("CONFIG", "SET", "maxmemory-clients", "0"));
        protectedClient.SendRaw(new string('x', 2_000_000) + "\r\n");
        Assert.Equal("+OK\r\n", protectedClient.ReadReply());
    }

    private static string DumpOf(RespClient r)
    {
        r.Call("SET", "dump:source", Value);
        var dump = r.Call("DUMP", "dump:source");
        r.Call("DEL", "dump:source");
        return RespClient.BulkContent(dump);
    }

    /// <summary>A <see cref="TestServer"/> disposed synchronously at the end of a test.</summary>
    private sealed class DisposableServer(Action<ServerConfig>? configure = null) : IDisposable
    {
        private readonly TestServer _server = new(configure);
        public int Port => _server.Port;
        public CinnabarServer Server => _server.Server;
        public RespClient Raw() => _server.Raw();
        public void Dispose() => _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
