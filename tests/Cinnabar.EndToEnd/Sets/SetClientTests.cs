using Cinnabar.EndToEnd.Infrastructure;
using StackExchange.Redis;

namespace Cinnabar.EndToEnd.Sets;

/// <summary>Sets through StackExchange.Redis and redis-cli.</summary>
public sealed class SetClientTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer S => fixture.Server;

    private static string[] Strings(RedisValue[] values) => values.Select(v => (string)v!).OrderBy(s => s, StringComparer.Ordinal).ToArray();

    [Fact]
    public void StackExchangeRedisSetOperations()
    {
        var db = S.Db();
        Assert.Equal(3, db.SetAdd("sc:a", ["1", "2", "x"]));
        Assert.True(db.SetAdd("sc:b", "2"));
        Assert.False(db.SetAdd("sc:b", "2"));
        db.SetAdd("sc:b", ["x", "y"]);
        Assert.True(db.SetContains("sc:a", "x"));
        Assert.Equal([true, false], db.SetContains("sc:a", ["1", "9"]));
        Assert.Equal(3, db.SetLength("sc:a"));
        Assert.Equal(["1", "2", "x"], Strings(db.SetMembers("sc:a")));
        Assert.Equal(["2", "x"], Strings(db.SetCombine(SetOperation.Intersect, "sc:a", "sc:b")));
        Assert.Equal(["1", "2", "x", "y"], Strings(db.SetCombine(SetOperation.Union, "sc:a", "sc:b")));
        Assert.Equal(["1"], Strings(db.SetCombine(SetOperation.Difference, "sc:a", "sc:b")));
        Assert.Equal(2, db.SetCombineAndStore(SetOperation.Intersect, "sc:dst", "sc:a", "sc:b"));
        Assert.Equal(2, db.SetIntersectionLength(["sc:a", "sc:b"]));
        Assert.Equal(1, db.SetIntersectionLength(["sc:a", "sc:b"], limit: 1));
        Assert.True(db.SetMove("sc:a", "sc:b", "1"));
        Assert.False(db.SetMove("sc:a", "sc:b", "1"));
        Assert.True(db.SetRemove("sc:b", "1"));
        Assert.Contains((string?)db.SetRandomMember("sc:b"), new[] { "2", "x", "y" });
        Assert.Equal(5, db.SetRandomMembers("sc:b", -5).Length);
        var popped = db.SetPop("sc:b", 2);
        Assert.Equal(2, popped.Distinct().Count());
        Assert.Equal(1, db.SetLength("sc:b"));
        Assert.NotNull((string?)db.SetPop("sc:b"));
        Assert.Equal(0, db.SetLength("sc:b"));
    }

    [Fact]
    public void StackExchangeRedisSetScan()
    {
        var db = S.Db();
        db.SetAdd("sc:scan", Enumerable.Range(0, 3000).Select(i => (RedisValue)("m" + i)).ToArray());
        Assert.Equal(3000, db.SetScan("sc:scan", pageSize: 100).Distinct().Count());
        db.SetAdd("sc:ints", Enumerable.Range(0, 100).Select(i => (RedisValue)i).ToArray());
        Assert.Equal(100, db.SetScan("sc:ints", pageSize: 10).Count());
    }

    [Fact]
    public void RedisCliShowsSets()
    {
        if (!RedisCli.Available) return;
        Assert.Equal("3", S.Cli("SADD", "sc:cli", "3", "1", "2"));
        Assert.Equal("1\n2\n3", S.Cli("SMEMBERS", "sc:cli"));
        Assert.Equal("1) \"1\"\n2) \"2\"\n3) \"3\"", S.Cli("--no-raw", "SMEMBERS", "sc:cli"));
    }
}
