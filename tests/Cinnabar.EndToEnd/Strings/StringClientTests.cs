using Cinnabar.EndToEnd.Infrastructure;
using StackExchange.Redis;

namespace Cinnabar.EndToEnd.Strings;

/// <summary>The common string commands through StackExchange.Redis and redis-cli.</summary>
public sealed class StringClientTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer S => fixture.Server;

    [Fact]
    public void CountersThroughStackExchangeRedis()
    {
        var db = S.Db();
        Assert.Equal(1, db.StringIncrement("se:counter"));
        Assert.Equal(11, db.StringIncrement("se:counter", 10));
        Assert.Equal(6, db.StringDecrement("se:counter", 5));
        Assert.Equal(6.5, db.StringIncrement("se:counter", 0.5));
        Assert.Equal("6.5", (string?)db.StringGet("se:counter"));
        db.StringSet("se:text", "abc");
        var ex = Assert.Throws<RedisServerException>(() => db.StringIncrement("se:text"));
        Assert.Equal("ERR value is not an integer or out of range", ex.Message);
    }

    [Fact]
    public void MultiKeyAndRangeCommandsThroughStackExchangeRedis()
    {
        var db = S.Db();
        Assert.True(db.StringSet([new("se:m1", "a"), new("se:m2", "b")]));
        Assert.False(db.StringSet([new("se:m1", "x"), new("se:m3", "c")], When.NotExists));
        var values = db.StringGet(["se:m1", "se:m2", "se:m3"]);
        Assert.Equal(["a", "b", null], values.Select(v => (string?)v));
        Assert.Equal(5, db.StringAppend("se:m1", "bcde"));
        Assert.Equal("bcd", (string?)db.StringGetRange("se:m1", 1, 3));
        Assert.Equal(5, (long)db.StringSetRange("se:m1", 0, "Z"));
        Assert.Equal("Zbcde", (string?)db.StringGet("se:m1"));
        Assert.Equal(5, db.StringLength("se:m1"));
        Assert.Equal("Zbcde", (string?)db.StringGetDelete("se:m1"));
        Assert.False(db.StringGet("se:m1").HasValue);
        Assert.Equal("b", (string?)db.StringGetSet("se:m2", "B"));
        Assert.Equal("B", (string?)db.StringGetSetExpiry("se:m2", TimeSpan.FromSeconds(100)));
        Assert.True(db.StringSet("se:m4", "v", TimeSpan.FromSeconds(50)));
    }

    [Fact]
    public void LcsThroughStackExchangeRedis()
    {
        var db = S.Db();
        db.StringSet("se:lcs1", "ohmytext");
        db.StringSet("se:lcs2", "mynewtext");
        Assert.Equal("mytext", db.StringLongestCommonSubsequence("se:lcs1", "se:lcs2"));
        Assert.Equal(6, db.StringLongestCommonSubsequenceLength("se:lcs1", "se:lcs2"));
        var idx = db.StringLongestCommonSubsequenceWithMatches("se:lcs1", "se:lcs2", minLength: 4);
        Assert.Equal(6, idx.LongestMatchLength);
        var match = Assert.Single(idx.Matches);
        Assert.Equal(4, match.FirstStringIndex);
        Assert.Equal(5, match.SecondStringIndex);
        Assert.Equal(4, match.Length);
    }

    [Fact]
    public void RedisCliShowsStringReplies()
    {
        if (!RedisCli.Available) return;
        Assert.Equal("OK", S.Cli("SET", "cli:n", "10"));
        Assert.Equal("11", S.Cli("INCR", "cli:n"));
        Assert.Equal("11.5", S.Cli("INCRBYFLOAT", "cli:n", "0.5"));
        Assert.Equal("ERR value is not an integer or out of range", S.Cli("INCR", "cli:n"));
        Assert.Equal("OK", S.Cli("MSET", "cli:a", "x", "cli:b", "y"));
        Assert.Equal("x\ny", S.Cli("MGET", "cli:a", "cli:b", "cli:c"));
        Assert.Equal("ERR wrong number of arguments for 'mset' command", S.Cli("MSET", "cli:a"));
    }
}
