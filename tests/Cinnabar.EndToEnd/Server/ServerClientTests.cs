using Cinnabar.EndToEnd.Infrastructure;
using StackExchange.Redis;

namespace Cinnabar.EndToEnd.Server;

/// <summary>INFO, CLIENT LIST, CONFIG and DEBUG through client libraries and redis-cli (structure, not exact values).</summary>
public sealed class ServerClientTests(ServerClientTests.Fixture fx) : IClassFixture<ServerClientTests.Fixture>
{
    private TestServer S => fx.Server;

    /// <summary>A server with its own directory, so no dump.rdb of other tests is loaded.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public TestServer Server { get; private set; } = null!;

        public Task InitializeAsync()
        {
            var dir = Path.Combine(Path.GetTempPath(), "cinnabar-srvc-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(dir);
            Server = new TestServer(c => c.Dir = dir);
            return Task.CompletedTask;
        }

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }

    [Fact]
    public void InfoDefaultHasRedisSectionsInOrder()
    {
        var raw = S.Raw().Call("INFO");
        var headers = raw.Split("\r\n").Where(l => l.StartsWith('#')).ToArray();
        Assert.Equal(["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# CPU", "# Modules", "# Errorstats", "# Cluster", "# Keyspace"], headers);
        var all = S.Raw().Call("INFO", "everything").Split("\r\n").Where(l => l.StartsWith('#')).ToArray();
        Assert.Contains("# Commandstats", all);
        Assert.Contains("# Latencystats", all);
    }

    [Fact]
    public void InfoThroughStackExchangeRedis()
    {
        S.Db().StringSet("srvc:k", "v");
        S.Db().StringGet("srvc:k");
        var info = S.Multiplexer.GetServer("127.0.0.1", S.Port).Info();
        var server = info.Single(g => g.Key == "Server").ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(CinnabarServer.RedisVersion, server["redis_version"]);
        Assert.Equal("standalone", server["redis_mode"]);
        Assert.Equal(S.Port.ToString(), server["tcp_port"]);
        Assert.Equal(Environment.ProcessId.ToString(), server["process_id"]);
        Assert.Equal(40, server["run_id"].Length);
        var keyspace = info.Single(g => g.Key == "Keyspace").ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Matches(@"^keys=\d+,expires=\d+,avg_ttl=\d+$", keyspace["db0"]);
        var stats = info.Single(g => g.Key == "Stats").ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.True(long.Parse(stats["total_commands_processed"]) > 0);
        Assert.True(long.Parse(stats["keyspace_hits"]) > 0);
        Assert.Equal("role:master", S.Raw().Call("INFO", "replication").Split("\r\n")[2]);
    }

    [Fact]
    public void InfoSectionsAreCaseInsensitiveAndCombined()
    {
        var text = S.Raw().Call("INFO", "SERVER", "clients");
        Assert.Contains("# Server\r\n", text);
        Assert.Contains("# Clients\r\nconnected_clients:", text);
        Assert.DoesNotContain("# Memory", text);
        Assert.Equal("$0\r\n\r\n", S.Raw().Call("INFO", "nosuch"));
    }

    [Fact]
    public void InfoIsVerbatimInResp3()
    {
        using var c = S.Raw();
        c.Call("HELLO", "3");
        Assert.StartsWith("=", c.Call("INFO", "cluster"));
        Assert.Equal("=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n", c.Call("INFO", "cluster"));
    }

    [Fact]
    public void CommandAndErrorStatsCount()
    {
        using var c = S.Raw();
        c.Call("CONFIG", "RESETSTAT");
        c.Call("SET", "srvc:s", "1");
        c.Call("GET", "srvc:s");
        c.Call("GET", "srvc:s");
        c.Call("INCR", "nosuchcmd-not-here", "x");
        c.Call("NOSUCHCOMMAND");
        c.Call("CONFIG", "GET", "hz");
        var text = c.Call("INFO", "commandstats", "errorstats");
        Assert.Matches(@"cmdstat_get:calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0", text);
        Assert.Matches(@"cmdstat_incr:calls=0,usec=0,usec_per_call=0\.00,rejected_calls=1,failed_calls=0", text);
        Assert.Contains("cmdstat_config|get:calls=1", text);
        Assert.Contains("errorstat_ERR:count=2", text);
        Assert.Contains("total_error_replies:2", c.Call("INFO", "stats"));
    }

    [Fact]
    public void ClientListHasRedisFields()
    {
        using var c = S.Raw();
        c.Call("CLIENT", "SETNAME", "lister");
        var list = c.Call("CLIENT", "LIST");
        var line = list.Split('\n').First(l => l.Contains("name=lister"));
        var fields = line.Split(' ').Select(f => f.Split('=')[0]).ToArray();
        Assert.Equal(["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub", "ssub", "multi", "qbuf", "qbuf-free",
            "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem", "events", "cmd", "user", "redir", "resp"], fields);
        Assert.Contains("flags=N ", line);
        Assert.Contains("cmd=client|list ", line);
        var id = c.Call("CLIENT", "ID").Trim(':', '\r', '\n');
        Assert.Contains($"id={id} ", c.Call("CLIENT", "INFO"));
        Assert.Contains("name=lister", c.Call("CLIENT", "LIST", "ID", id));
        Assert.Contains("name=lister", c.Call("CLIENT", "LIST", "TYPE", "normal"));
        Assert.Equal("$0\r\n\r\n", c.Call("CLIENT", "LIST", "TYPE", "master"));

        var clients = S.Multiplexer.GetServer("127.0.0.1", S.Port).ClientList();
        Assert.Contains(clients, x => x.Name == "lister" && x.Id.ToString() == id);
    }

    [Fact]
    public void ClientKillClosesTheVictim()
    {
        using var victim = S.Raw();
        victim.Call("CLIENT", "SETNAME", "victim");
        var id = victim.Call("CLIENT", "ID").Trim(':', '\r', '\n');
        using var killer = S.Raw();
        Assert.Equal(":1\r\n", killer.Call("CLIENT", "KILL", "ID", id));
        Assert.Throws<IOException>(() => { victim.Call("PING"); victim.Call("PING"); });
        Assert.Equal(":0\r\n", killer.Call("CLIENT", "KILL", "ID", id));
        // SKIPME yes (the default) protects the caller; legacy ip:port form replies +OK.
        var myId = killer.Call("CLIENT", "ID").Trim(':', '\r', '\n');
        Assert.Equal(":0\r\n", killer.Call("CLIENT", "KILL", "ID", myId));
        using var other = S.Raw();
        var info = other.Call("CLIENT", "INFO");
        var addr = info.Split(' ').First(f => f.StartsWith("addr=")).Substring(5);
        Assert.Equal("+OK\r\n", killer.Call("CLIENT", "KILL", addr));
    }

    [Fact]
    public void ClientPauseDelaysOtherClients()
    {
        using var a = S.Raw();
        using var b = S.Raw();
        Assert.Equal("+OK\r\n", a.Call("CLIENT", "PAUSE", "300"));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("+PONG\r\n", b.Call("PING"));
        Assert.True(sw.ElapsedMilliseconds >= 200, $"took {sw.ElapsedMilliseconds} ms");
        a.Call("CLIENT", "PAUSE", "100000", "WRITE");
        Assert.Equal("$-1\r\n", b.Call("GET", "srvc:paused")); // reads pass
        Assert.Equal("+OK\r\n", a.Call("CLIENT", "UNPAUSE"));
        Assert.Equal("+OK\r\n", b.Call("SET", "srvc:paused", "1"));
    }

    [Fact]
    public void CommandCountAndListAgreeWithTheTable()
    {
        using var c = S.Raw();
        Assert.Equal($":{S.Server.Commands.Count}\r\n", c.Call("COMMAND", "COUNT"));
        var all = c.Call("COMMAND");
        Assert.StartsWith($"*{S.Server.Commands.Count}\r\n", all);
        var docs = S.Cli("COMMAND", "DOCS", "get");
        Assert.Contains("summary", docs);
        Assert.Contains("string", docs);
        var listed = S.Cli("COMMAND", "LIST").Split('\n');
        Assert.Contains("config|get", listed);
        Assert.Contains("get", listed);
        Assert.Equal(["get"], S.Cli("COMMAND", "LIST", "FILTERBY", "PATTERN", "ge?").Split('\n'));
    }

    [Fact]
    public void DebugSleepSetActiveExpireAndReload()
    {
        using var c = S.Raw();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "SLEEP", "0.2"));
        Assert.True(sw.ElapsedMilliseconds >= 180);
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0"));
        Assert.False(S.Server.Config.ActiveExpireEnabled);
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "SET-ACTIVE-EXPIRE", "1"));
        Assert.Equal("-ERR unknown subcommand or wrong number of arguments for 'NOPE'. Try DEBUG HELP.\r\n", c.Call("DEBUG", "NOPE"));
        Assert.Equal("-ERR unknown subcommand or wrong number of arguments for 'sleep'. Try DEBUG HELP.\r\n", c.Call("DEBUG", "sleep"));
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "SLEEP", "abc"));
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "SET-ACTIVE-EXPIRE", "x"));
        Assert.False(S.Server.Config.ActiveExpireEnabled);
        Assert.StartsWith("*", c.Call("DEBUG", "HELP"));
    }

    [Fact]
    public void DebugReloadKeepsTheDataset()
    {
        using var c = S.Raw();
        c.Call("SET", "srvc:reload", "value");
        c.Call("SADD", "srvc:set", "a", "b");
        Assert.Matches(@"rdb_changes_since_last_save:[1-9]", c.Call("INFO", "persistence"));
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "RELOAD"));
        Assert.Equal("$5\r\nvalue\r\n", c.Call("GET", "srvc:reload"));
        Assert.Equal(":2\r\n", c.Call("SCARD", "srvc:set"));
        var persistence = c.Call("INFO", "persistence");
        Assert.Contains("rdb_changes_since_last_save:0\r\n", persistence);
        Assert.Matches(@"rdb_last_load_keys_loaded:[1-9]", persistence);
        Assert.Equal($":{S.Server.Persistence.LastSaveTimeMs / 1000}\r\n", c.Call("LASTSAVE"));
    }

    [Fact]
    public void ResetStatClearsCounters()
    {
        using var c = S.Raw();
        c.Call("GET", "srvc:x");
        c.Call("NOSUCH");
        Assert.Equal("+OK\r\n", c.Call("CONFIG", "RESETSTAT"));
        var text = c.Call("INFO", "stats", "commandstats", "errorstats");
        Assert.Contains("keyspace_misses:0\r\n", text);
        Assert.Contains("total_error_replies:0\r\n", text);
        Assert.DoesNotContain("cmdstat_get:", text);
        Assert.DoesNotContain("errorstat_", text);
    }

    [Fact]
    public void ConfigGetStarListsEveryParameterOnce()
    {
        var text = S.Cli("CONFIG", "GET", "*").Split('\n');
        var names = text.Where((_, i) => i % 2 == 0).ToArray();
        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.Contains("maxmemory", names);
        Assert.Contains("hash-max-ziplist-entries", names);
    }

    [Fact]
    public void ConfigRewriteWithoutFileFails()
    {
        Assert.Equal("-ERR The server is running without a config file\r\n", S.Raw().Call("CONFIG", "REWRITE"));
    }
}
