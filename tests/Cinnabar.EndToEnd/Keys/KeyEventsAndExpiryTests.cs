using System.Diagnostics;
using System.Text;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Keys;

/// <summary>
/// Keyspace events and WATCH signals of the key commands (recorded at the server hooks; expected sequences
/// observed on redis-server 7.0.15 with notify-keyspace-events KEA), and active expiry.
/// </summary>
public sealed class KeyEventsAndExpiryTests : IAsyncLifetime
{
    private readonly TestServer _server = new();
    private readonly List<string> _events = [];
    private readonly List<string> _modified = [];

    public Task InitializeAsync()
    {
        _server.Server.Notifications.Observed += (type, ev, key, db) =>
        {
            lock (_events) _events.Add($"{ev}:{Encoding.Latin1.GetString(key)}@{db}");
        };
        _server.Server.KeyModifiedObserved += (db, key) =>
        {
            lock (_modified) _modified.Add($"{Encoding.Latin1.GetString(key)}@{db.Id}");
        };
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private (List<string> Events, List<string> Modified) Run(params string[][] commands)
    {
        using var c = _server.Raw();
        lock (_events) _events.Clear();
        lock (_modified) _modified.Clear();
        foreach (var cmd in commands) c.Call(cmd);
        lock (_events) lock (_modified) return ([.. _events], [.. _modified]);
    }

    [Fact]
    public void KeyCommandsRaiseRedisEventNames()
    {
        var (events, modified) = Run(
            ["SET", "a", "1"], ["EXPIRE", "a", "100"], ["EXPIRE", "a", "100", "NX"], ["PERSIST", "a"], ["PERSIST", "a"],
            ["RENAME", "a", "b"], ["RENAME", "b", "b"], ["RENAMENX", "b", "c"], ["COPY", "c", "d"], ["COPY", "c", "d", "DB", "2"],
            ["MOVE", "d", "3"], ["DEL", "c", "nokey"], ["UNLINK", "d"], ["SET", "e", "1"], ["EXPIREAT", "e", "1"],
            ["EXPIRE", "nokey", "10"], ["TOUCH", "e"], ["SWAPDB", "0", "1"], ["FLUSHDB"], ["FLUSHALL"]);
        Assert.Equal([
            "set:a@0", "expire:a@0", "persist:a@0", "rename_from:a@0", "rename_to:b@0", "rename_from:b@0", "rename_to:c@0",
            "copy_to:d@0", "copy_to:d@2", "move_from:d@0", "move_to:d@3", "del:c@0", "set:e@0", "del:e@0",
        ], events);
        Assert.Equal(["a@0", "a@0", "a@0", "a@0", "b@0", "b@0", "c@0", "d@0", "d@2", "d@0", "d@3", "c@0", "e@0", "e@0"], modified);
    }

    [Fact]
    public void DirtyCountsEveryChange()
    {
        using var c = _server.Raw();
        c.Call("FLUSHALL");
        long Dirty() { lock (_server.Server.ExecLock) return _server.Server.Persistence.Dirty; }
        long before = Dirty();
        c.Call("SET", "x", "1");
        c.Call("SET", "y", "1");
        c.Call("EXPIRE", "x", "100");
        c.Call("EXPIRE", "x", "100", "NX"); // no change
        c.Call("DEL", "x", "y", "z");
        Assert.Equal(before + 5, Dirty());
        c.Call("SET", "x", "1");
        c.Call("SET", "y", "1");
        before = Dirty();
        c.Call("FLUSHDB");
        Assert.Equal(before + 2, Dirty());
        c.Call("SET", "x", "1");
        before = Dirty();
        c.Call("FLUSHALL");
        Assert.Equal(before + 2, Dirty()); // the removed key, and FLUSHALL itself
    }

    [Fact]
    public void FlushAllSavesWhenSavePointsAreConfigured()
    {
        var dir = Directory.CreateTempSubdirectory("cinnabar-flushall");
        try
        {
            long saves;
            lock (_server.Server.ExecLock)
            {
                _server.Server.Config.Dir = dir.FullName;
                _server.Server.Config.SavePoints = [3600, 1];
                saves = _server.Server.Persistence.Saves;
            }
            using var c = _server.Raw();
            c.Call("SET", "k", "v");
            Assert.Equal("+OK\r\n", c.Call("FLUSHALL"));
            Assert.True(File.Exists(Path.Combine(dir.FullName, _server.Server.Config.DbFilename)));
            lock (_server.Server.ExecLock)
            {
                Assert.Equal(saves + 1, _server.Server.Persistence.Saves);
                Assert.True(_server.Server.Persistence.Dirty >= 1, "FLUSHALL still counts as a change after its save");
                _server.Server.Config.SavePoints = [];
            }
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void IdleTimeCountsFromTheLastAccess()
    {
        using var c = _server.Raw();
        c.Call("SELECT", "8");
        c.Call("SET", "idle:a", "v");
        c.Call("SET", "idle:b", "v");
        c.Call("SET", "idle:c", "v");
        Assert.Equal(":0\r\n", c.Call("OBJECT", "IDLETIME", "idle:a"));
        Thread.Sleep(2200);
        // Inspection does not count as access (Redis' LOOKUP_NOTOUCH)...
        foreach (var cmd in new[] { "EXISTS", "TYPE", "TTL", "PTTL", "EXPIRETIME" }) c.Call(cmd, "idle:a");
        c.Call("OBJECT", "ENCODING", "idle:a");
        c.Call("SCAN", "0", "TYPE", "string");
        Assert.InRange(long.Parse(c.Call("OBJECT", "IDLETIME", "idle:a")[1..^2]), 2, 3);
        // ...reads, writes and TOUCH do.
        c.Call("GET", "idle:a");
        c.Call("TOUCH", "idle:b");
        c.Call("APPEND", "idle:c", "x");
        foreach (var k in new[] { "idle:a", "idle:b", "idle:c" })
            Assert.Equal(":0\r\n", c.Call("OBJECT", "IDLETIME", k));
        c.Call("FLUSHDB");
    }

    [Fact]
    public void ActiveExpiryReclaimsUntouchedKeys()
    {
        using var c = _server.Raw();
        c.Call("SELECT", "9");
        // Long enough that a loaded machine sets all 210 keys before the first expires.
        for (int i = 0; i < 200; i++) c.Call("SET", $"short:{i}", "v", "PX", "1000");
        for (int i = 0; i < 10; i++) c.Call("SET", $"long:{i}", "v");
        Assert.Equal(":210\r\n", c.Call("DBSIZE"));
        var sw = Stopwatch.StartNew();
        while (c.Call("DBSIZE") != ":10\r\n" && sw.ElapsedMilliseconds < 10_000) Thread.Sleep(50);
        Assert.Equal(":10\r\n", c.Call("DBSIZE"));
        c.Call("FLUSHDB");
    }

    [Fact]
    public void CronFinishesKeyTableGrowthUnlessActiveRehashingIsOff()
    {
        using var c = _server.Raw();
        var server = _server.Server;
        c.Call("SELECT", "10");
        bool Rehashing() { lock (server.ExecLock) return server.Databases[10].Table.IsRehashing; }
        Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "activerehashing", "no"));
        // The 1025th key starts growing 1024 buckets to 2048; the writes stop long before that is done.
        for (int i = 0; i < 1025; i++) c.Call("SET", "grow:" + i, "v");
        Assert.True(Rehashing());
        Thread.Sleep(400); // four cron ticks
        Assert.True(Rehashing(), "with activerehashing no, only writes move chains");
        Assert.Equal("*2\r\n$15\r\nactiverehashing\r\n$2\r\nno\r\n", c.Call("CONFIG", "GET", "activerehashing"));
        c.Call("CONFIG", "SET", "activerehashing", "yes");
        var sw = Stopwatch.StartNew();
        while (Rehashing() && sw.ElapsedMilliseconds < 5000) Thread.Sleep(20);
        Assert.False(Rehashing());
        Assert.Equal(":1025\r\n", c.Call("DBSIZE"));
        Assert.Equal("$1\r\nv\r\n", c.Call("GET", "grow:1024"));
        c.Call("FLUSHDB");
    }
}
