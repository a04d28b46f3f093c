using Cinnabar.EndToEnd.Infrastructure;
using StackExchange.Redis;

namespace Cinnabar.EndToEnd.Keys;

/// <summary>The common key commands through StackExchange.Redis and redis-cli.</summary>
public sealed class KeyClientTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer S => fixture.Server;

    [Fact]
    public void KeyCommandsThroughStackExchangeRedis()
    {
        var db = S.Db(4);
        db.StringSet("ck:a", "1");
        Assert.True(db.KeyExists("ck:a"));
        Assert.Equal(RedisType.String, db.KeyType("ck:a"));
        Assert.True(db.KeyExpire("ck:a", TimeSpan.FromSeconds(100)));
        var ttl = db.KeyTimeToLive("ck:a");
        Assert.NotNull(ttl);
        Assert.InRange(ttl!.Value.TotalSeconds, 98, 100);
        Assert.True(db.KeyPersist("ck:a"));
        Assert.Null(db.KeyTimeToLive("ck:a"));
        Assert.True(db.KeyRename("ck:a", "ck:b"));
        Assert.False(db.KeyExists("ck:a"));
        Assert.True(db.KeyCopy("ck:b", "ck:c"));
        Assert.True(db.KeyMove("ck:c", 5));
        Assert.Equal("1", (string?)S.Db(5).StringGet("ck:c"));
        Assert.Equal(1, S.Db(5).KeyDelete(["ck:c", "ck:c", "ck:none"]));
        Assert.Equal("int", db.Execute("OBJECT", "ENCODING", "ck:b").ToString());
        Assert.True(db.KeyDelete("ck:b"));
        Assert.Equal(RedisType.None, db.KeyType("ck:b"));
        var ex = Assert.Throws<RedisServerException>(() => db.KeyRename("ck:none", "ck:x"));
        Assert.Equal("ERR no such key", ex.Message);
    }

    [Fact]
    public void FullScanThroughStackExchangeRedis()
    {
        var db = S.Db(6);
        var server = S.Multiplexer.GetServer(S.Multiplexer.GetEndPoints()[0]);
        var expected = new HashSet<string>();
        for (int i = 0; i < 1500; i++)
        {
            db.StringSet($"scan:{i}", "v");
            expected.Add($"scan:{i}");
        }
        db.SetAdd("other", "m");
        var seen = server.Keys(6, "scan:*", pageSize: 37).Select(k => (string)k!).ToList();
        Assert.Equal(expected.Count, seen.Count);
        Assert.True(expected.SetEquals(seen));
        Assert.Equal(1501, server.DatabaseSize(6));
        Assert.Equal(1501, server.Keys(6, pageSize: 1000).Count());
        server.FlushDatabase(6);
        Assert.Equal(0, server.DatabaseSize(6));
    }

    [Fact]
    public void RedisCliScanAndKeys()
    {
        if (!RedisCli.Available) return;
        using var c = S.Raw();
        c.Call("SELECT", "7");
        for (int i = 0; i < 300; i++) c.Call("SET", $"cli:{i}", "v");
        c.Call("SET", "nomatch", "v");
        var scanned = S.Cli("-n", "7", "--scan", "--pattern", "cli:*").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(300, scanned.Length);
        Assert.Equal(300, scanned.Distinct().Count());
        Assert.Equal("301", S.Cli("-n", "7", "DBSIZE"));
        Assert.Equal("string", S.Cli("-n", "7", "TYPE", "nomatch"));
        Assert.Equal("-1", S.Cli("-n", "7", "TTL", "nomatch"));
        Assert.Equal("nomatch", S.Cli("-n", "7", "KEYS", "no*"));
        Assert.Equal("OK", S.Cli("-n", "7", "FLUSHDB"));
    }
}
