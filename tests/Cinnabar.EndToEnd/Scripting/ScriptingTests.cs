using System.Diagnostics;
using Cinnabar.EndToEnd.Infrastructure;
using StackExchange.Redis;

namespace Cinnabar.EndToEnd.Scripting;

/// <summary>Scripting behaviour that needs more than one connection, a replica, a restart or a client library.</summary>
public sealed class ScriptingTests
{
    [Fact]
    public async Task BusyScriptAnswersOthersBusyAndScriptKillStopsIt()
    {
        await using var s = new TestServer(c => c.LuaTimeLimit = 100);
        using var runner = s.Raw();
        using var other = s.Raw();
        runner.Send("EVAL", "local i = 0 while true do i = i + 1 end", "0");
        var sw = Stopwatch.StartNew();
        string reply;
        // Until the threshold passes, the other client waits; after it, it is answered -BUSY.
        do reply = other.Call("GET", "x"); while (!reply.StartsWith("-BUSY") && sw.ElapsedMilliseconds < 10_000);
        Assert.Equal("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n", reply);
        // FUNCTION KILL cannot stop an EVAL script: it answers which command can (Redis' scriptKill).
        Assert.Equal("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n", other.Call("FUNCTION", "KILL"));
        // FUNCTION STATS runs while busy; it shows functions only, so no running script for an EVAL.
        Assert.StartsWith("*4\r\n$14\r\nrunning_script\r\n$-1\r\n", other.Call("FUNCTION", "STATS"));
        Assert.Equal("+OK\r\n", other.Call("SCRIPT", "KILL"));
        var killed = runner.ReadReply();
        Assert.Matches(@"^-ERR Script killed by user with SCRIPT KILL\.\.\. script: [0-9a-f]{40}, on @user_script:1\.\r\n$", killed);
        Assert.Equal("+PONG\r\n", other.Call("PING"));
        Assert.Equal("-NOTBUSY No scripts in execution right now.\r\n", other.Call("SCRIPT", "KILL"));
    }

    [Fact]
    public async Task ScriptThatWroteCannotBeKilledButShutdownNosaveStopsTheServer()
    {
        var s = new TestServer(c => c.LuaTimeLimit = 100);
        try
        {
            using var runner = s.Raw();
            using var other = s.Raw();
            runner.Send("EVAL", "redis.call('SET', 'k', 'v') while true do end", "0");
            var sw = Stopwatch.StartNew();
            string reply;
            do reply = other.Call("PING"); while (!reply.StartsWith("-BUSY") && sw.ElapsedMilliseconds < 10_000);
            Assert.StartsWith("-UNKILLABLE Sorry the script already executed write commands", other.Call("SCRIPT", "KILL"));
            Assert.StartsWith("-BUSY", other.Call("SHUTDOWN"));
            other.Send("SHUTDOWN", "NOSAVE");
            Assert.True(other.IsClosedByServer(10_000));
        }
        finally
        {
            await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task ScriptEffectsReachARealReplicaWrappedInMultiExec()
    {
        await using var master = new TestServer();
        using var replica = new RealRedis("--replicaof", "127.0.0.1", master.Port.ToString());
        using var m = master.Raw();
        using var r = replica.Connect();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!r.Call("INFO", "replication").Contains("master_link_status:up") && DateTime.UtcNow < deadline) Thread.Sleep(50);
        // Effects, not the script: TIME and random members differ on every run, the replica still converges.
        m.Call("SADD", "set", "a", "b", "c", "d");
        m.Call("EVAL", "local t = redis.call('TIME') redis.call('SET', KEYS[1], t[1] .. t[2]) redis.call('SPOP', 'set') redis.call('INCR', 'counter') return 1", "1", "stamp");
        m.Call("EVAL", "redis.set_repl(redis.REPL_NONE) redis.call('SET', 'local-only', '1') redis.set_repl(redis.REPL_ALL) redis.call('SET', 'replicated', '1') return 1", "0");
        m.Call("FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)");
        m.Call("FCALL", "bump", "1", "counter", "10");
        Assert.Equal(":1\r\n", m.Call("WAIT", "1", "10000"));
        Assert.Equal(m.Call("GET", "stamp"), r.Call("GET", "stamp"));
        Assert.Equal(m.Call("SMEMBERS", "set").Length, r.Call("SMEMBERS", "set").Length);
        Assert.Equal(":3\r\n", r.Call("SCARD", "set"));
        Assert.Equal("$2\r\n11\r\n", r.Call("GET", "counter"));
        Assert.Equal("$-1\r\n", r.Call("GET", "local-only"));
        Assert.Equal("$1\r\n1\r\n", r.Call("GET", "replicated"));
        Assert.Contains("mylib", r.Call("FUNCTION", "LIST"));
    }

    [Fact]
    public async Task FunctionLibrariesSurviveARestartThroughTheRdbFileAndLoadInRealRedis()
    {
        var dir = Directory.CreateTempSubdirectory("cinnabar-functions-").FullName;
        try
        {
            await using (var s = new TestServer(c => c.Dir = dir))
            {
                using var c = s.Raw();
                Assert.Equal("$5\r\nmylib\r\n", c.Call("FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function{function_name='hello', callback=function() return 'world' end, flags={'no-writes'}}"));
                c.Call("SET", "k", "v");
                Assert.Equal("+OK\r\n", c.Call("SAVE"));
            }
            // The same file loads in a real Redis 7.0, functions included.
            using (var redis = new RealRedis("--dir", dir, "--dbfilename", "dump.rdb"))
            {
                using var rc = redis.Connect();
                Assert.Equal("$5\r\nworld\r\n", rc.Call("FCALL", "hello", "0"));
            }
            await using var restarted = new TestServer(c => c.Dir = dir);
            using var c2 = restarted.Raw();
            Assert.Equal("$5\r\nworld\r\n", c2.Call("FCALL_RO", "hello", "0"));
            Assert.Equal("$1\r\nv\r\n", c2.Call("GET", "k"));
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task StackExchangeRedisScriptEvaluateAndLuaScriptWork()
    {
        await using var s = new TestServer();
        var db = s.Db();
        var result = await db.ScriptEvaluateAsync("redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])", [new RedisKey("se:k")], ["hello"]);
        Assert.Equal("hello", (string?)result);
        var prepared = LuaScript.Prepare("return redis.call('INCRBY', @key, @amount)");
        var loaded = await prepared.LoadAsync(s.Multiplexer.GetServer(s.Multiplexer.GetEndPoints()[0]));
        Assert.Equal(5, (long)await loaded.EvaluateAsync(db, new { key = new RedisKey("se:n"), amount = 5 }));
        Assert.Equal(7, (long)await prepared.EvaluateAsync(db, new { key = new RedisKey("se:n"), amount = 2 }));
        var error = await Assert.ThrowsAsync<RedisServerException>(() => db.ScriptEvaluateAsync("return redis.call('nosuch')"));
        Assert.StartsWith("ERR Unknown Redis command called from script", error.Message);
    }

    [Fact]
    public async Task ScriptCommandsAppearInCommandStatsAndInfoCountsScripts()
    {
        await using var s = new TestServer();
        using var c = s.Raw();
        c.Call("CONFIG", "RESETSTAT");
        c.Call("EVAL", "redis.call('SET', 'a', '1') return redis.call('GET', 'a')", "0");
        var stats = c.Call("INFO", "commandstats");
        Assert.Contains("cmdstat_eval:calls=1", stats);
        Assert.Contains("cmdstat_set:calls=1", stats);
        Assert.Contains("cmdstat_get:calls=1", stats);
        Assert.Contains("number_of_cached_scripts:1", c.Call("INFO", "memory"));
        c.Call("SCRIPT", "FLUSH");
        Assert.Contains("number_of_cached_scripts:0", c.Call("INFO", "memory"));
    }

    [Fact]
    public async Task WatchedKeyWrittenByAScriptAbortsTheTransaction()
    {
        await using var s = new TestServer();
        using var watcher = s.Raw();
        using var other = s.Raw();
        watcher.Call("WATCH", "w");
        other.Call("EVAL", "return redis.call('SET', 'w', '1')", "0");
        watcher.Call("MULTI");
        watcher.Call("GET", "w");
        Assert.Equal("*-1\r\n", watcher.Call("EXEC"));
    }

    /// <summary>Keys a script reads are tracked for the script's caller (client-side caching), as on Redis.</summary>
    [Fact]
    public async Task KeysReadByAScriptAreTrackedForItsCaller()
    {
        await using var s = new TestServer();
        using var redis = new RealRedis();
        string Run(Func<RespClient> connect)
        {
            using var tracker = connect();
            using var writer = connect();
            tracker.Call("HELLO", "3");
            tracker.Call("CLIENT", "TRACKING", "ON");
            var read = tracker.Call("EVAL", "return redis.call('GET', KEYS[1])", "1", "tracked");
            writer.Call("SET", "tracked", "v");
            writer.Call("SET", "untracked", "v");
            return read + tracker.Call("PING");
        }
        var ours = Run(s.Raw);
        Assert.Equal(Run(redis.Connect), ours);
        Assert.Contains("invalidate", ours);
    }

    [Fact]
    public async Task ScriptsInsideMultiExecRunAtExec()
    {
        await using var s = new TestServer();
        using var c = s.Raw();
        c.Call("MULTI");
        Assert.Equal("+QUEUED\r\n", c.Call("EVAL", "return redis.call('INCR', 'tx')", "0"));
        Assert.Equal("+QUEUED\r\n", c.Call("EVAL", "return redis.call('INCR', 'tx')", "0"));
        Assert.Equal("*2\r\n:1\r\n:2\r\n", c.Call("EXEC"));
    }
}
