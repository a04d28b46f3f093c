using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.SortedSets;

/// <summary>Sorted-set commands compared byte for byte with Redis 7.0 in both protocols.</summary>
public sealed class SortedSetDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    public void AddScoreRankAndErrors(string protocol)
    {
        using var p = f.Pair();
        p.Both("HELLO", protocol);
        string k = "za:" + protocol;
        p.Both("DEL", k, k + ":s");
        p.Same("ZADD", k, "1", "a", "2", "b", "1.5", "c", "-inf", "min", "+inf", "max", "1.1", "bin\0\r\n");
        p.Same("ZADD", k, "NX", "5", "a", "7", "new");
        p.Same("ZADD", k, "XX", "CH", "5", "a", "7", "ghost");
        p.Same("ZADD", k, "GT", "CH", "1", "b", "3", "b");
        p.Same("ZADD", k, "LT", "CH", "10", "b");
        p.Same("ZADD", k, "INCR", "2.5", "a");
        p.Same("ZADD", k, "NX", "INCR", "1", "a");
        p.Same("ZADD", k, "XX", "INCR", "1", "ghost");
        p.Same("ZADD", k, "NX", "XX", "1", "a");
        p.Same("ZADD", k, "GT", "LT", "1", "a");
        p.Same("ZADD", k, "GT", "NX", "1", "a");
        p.Same("ZADD", k, "INCR", "1", "a", "2", "b");
        p.Same("ZADD", k, "1");
        p.Same("ZADD", k, "abc", "a");
        p.Same("ZADD", k, "nan", "a");
        p.Same("ZADD", k, "1e400", "a");
        p.Same("ZINCRBY", k, "1", "zzz");
        p.Same("ZINCRBY", k, "x", "zzz");
        p.Same("ZINCRBY", k, "GT", "zzz"); // ZADD's flags are parsed here too: a syntax error, not a bad float
        p.Same("ZINCRBY", k, "incr", "1");
        p.Same("ZINCRBY", "zd:none", "NX", "1");
        p.Same("ZADD", k, "INCR", "-inf", "max");
        p.Same("ZCARD", k);
        p.Same("ZCARD", k + ":none");
        foreach (var m in new[] { "a", "b", "c", "min", "max", "nope", "bin\0\r\n" })
        {
            p.Same("ZSCORE", k, m);
            p.Same("ZRANK", k, m);
            p.Same("ZREVRANK", k, m);
        }
        p.Same("ZMSCORE", k, "a", "nope", "c");
        p.Same("ZMSCORE", k + ":none", "a");
        p.Same("ZREM", k, "c", "nope");
        p.Same("ZREM", k + ":none", "c");
        p.Both("SET", k + ":s", "x");
        p.Same("ZADD", k + ":s", "1", "a");
        p.Same("ZSCORE", k + ":s", "a");
        p.Same("ZRANGE", k + ":s", "0", "1");
        p.Same("ZRANK", k + ":s", "a");
        p.Same("OBJECT", "ENCODING", k);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    public void Ranges(string protocol)
    {
        using var p = f.Pair();
        p.Both("HELLO", protocol);
        string k = "zr:" + protocol;
        p.Both("DEL", k, k + ":lex", k + ":dst");
        p.Same("ZADD", k, "1", "one", "2", "two", "3", "three", "4", "four", "5", "five", "2", "deux");
        foreach (var (s, e) in new[] { ("0", "-1"), ("1", "3"), ("-2", "-1"), ("4", "1"), ("-100", "100"), ("10", "20") })
        {
            p.Same("ZRANGE", k, s, e);
            p.Same("ZRANGE", k, s, e, "WITHSCORES");
            p.Same("ZREVRANGE", k, s, e, "WITHSCORES");
            p.Same("ZRANGE", k, s, e, "REV");
        }
        foreach (var (lo, hi) in new[] { ("-inf", "+inf"), ("2", "4"), ("(2", "4"), ("2", "(4"), ("(1", "(2"), ("5", "1"), ("", "3"), (" 2", "3") })
        {
            p.Same("ZRANGEBYSCORE", k, lo, hi);
            p.Same("ZRANGEBYSCORE", k, lo, hi, "WITHSCORES", "LIMIT", "1", "2");
            p.Same("ZREVRANGEBYSCORE", k, hi, lo, "WITHSCORES");
            p.Same("ZRANGE", k, lo, hi, "BYSCORE", "LIMIT", "0", "-1");
            p.Same("ZRANGE", k, hi, lo, "BYSCORE", "REV", "LIMIT", "-1", "2");
            p.Same("ZCOUNT", k, lo, hi);
        }
        p.Same("ZRANGEBYSCORE", k, "a", "3");
        p.Same("ZRANGEBYSCORE", k, "1", "(x");
        p.Same("ZRANGE", k, "0", "1", "LIMIT", "0", "1");
        p.Same("ZRANGE", k, "[a", "[z", "BYLEX", "WITHSCORES");
        p.Same("ZRANGE", k, "0", "1", "BYSCORE", "BYLEX");
        p.Same("ZRANGEBYSCORE", k, "0", "1", "REV");
        p.Same("ZRANGE", k, "0", "1", "LIMIT", "x", "1");
        p.Same("ZRANGE", k + ":none", "0", "-1");
        p.Same("ZADD", k + ":lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e\0", "0", "ee");
        foreach (var (lo, hi) in new[] { ("-", "+"), ("[b", "[d"), ("(b", "(d"), ("[e", "+"), ("+", "-"), ("[c", "[a"), ("[", "(e") })
        {
            p.Same("ZRANGEBYLEX", k + ":lex", lo, hi);
            p.Same("ZRANGEBYLEX", k + ":lex", lo, hi, "LIMIT", "1", "2");
            p.Same("ZREVRANGEBYLEX", k + ":lex", hi, lo);
            p.Same("ZLEXCOUNT", k + ":lex", lo, hi);
        }
        p.Same("ZRANGEBYLEX", k + ":lex", "b", "[d");
        p.Same("ZRANGEBYLEX", k + ":lex", "[b", "+x");
        p.Same("ZLEXCOUNT", k + ":lex", "a", "b");
        p.Same("ZRANGESTORE", k + ":dst", k, "1", "3");
        p.Same("ZRANGE", k + ":dst", "0", "-1", "WITHSCORES");
        p.Same("ZRANGESTORE", k + ":dst", k, "(2", "+inf", "BYSCORE", "LIMIT", "1", "2");
        p.Same("ZRANGE", k + ":dst", "0", "-1", "WITHSCORES");
        p.Same("ZRANGESTORE", k + ":dst", k, "10", "20");
        p.Same("EXISTS", k + ":dst");
        p.Same("ZRANGESTORE", k + ":dst", k, "0", "1", "WITHSCORES");
        p.Same("ZREMRANGEBYRANK", k, "0", "0");
        p.Same("ZREMRANGEBYSCORE", k, "(4", "+inf");
        p.Same("ZREMRANGEBYLEX", k + ":lex", "[b", "(d");
        p.Same("ZREMRANGEBYSCORE", k, "x", "1");
        p.Same("ZREMRANGEBYRANK", k, "5", "10");
        p.Same("ZRANGE", k, "0", "-1", "WITHSCORES");
        p.Same("ZREMRANGEBYLEX", k + ":lex", "-", "+");
        p.Same("EXISTS", k + ":lex");
    }

    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    public void PopsAndSetOperations(string protocol)
    {
        using var p = f.Pair();
        p.Both("HELLO", protocol);
        string k = "zp:" + protocol;
        p.Both("DEL", k + ":a", k + ":b", k + ":s", k + ":d");
        p.Same("ZADD", k + ":a", "1", "x", "2", "y", "3", "z");
        p.Same("ZADD", k + ":b", "10", "y", "20", "z", "30", "w");
        p.Same("SADD", k + ":s", "x", "w", "q");
        p.Same("ZUNION", "2", k + ":a", k + ":b", "WITHSCORES");
        p.Same("ZUNION", "3", k + ":a", k + ":b", k + ":s", "WEIGHTS", "1", "2", "3", "AGGREGATE", "MAX", "WITHSCORES");
        p.Same("ZINTER", "2", k + ":a", k + ":b", "AGGREGATE", "MIN", "WITHSCORES");
        p.Same("ZINTER", "2", k + ":a", k + ":s", "WITHSCORES");
        p.Same("ZDIFF", "2", k + ":a", k + ":b", "WITHSCORES");
        p.Same("ZDIFF", "2", k + ":a", k + ":b", "WEIGHTS", "1", "1");
        p.Same("ZINTERCARD", "2", k + ":a", k + ":b");
        p.Same("ZINTERCARD", "2", k + ":a", k + ":b", "LIMIT", "1");
        p.Same("ZINTERCARD", "0", k + ":a");
        p.Same("ZINTERCARD", "1", k + ":a", "LIMIT", "-1");
        p.Same("ZUNION", "0", k + ":a");
        p.Same("ZUNION", "3", k + ":a");
        p.Same("ZUNION", "1", k + ":a", "WEIGHTS", "abc");
        p.Same("ZUNION", "1", k + ":a", "AGGREGATE", "AVG");
        p.Same("ZUNIONSTORE", k + ":d", "2", k + ":a", k + ":b");
        p.Same("ZRANGE", k + ":d", "0", "-1", "WITHSCORES");
        p.Same("ZINTERSTORE", k + ":d", "2", k + ":a", k + ":b", "WEIGHTS", "2", "0.5");
        p.Same("ZRANGE", k + ":d", "0", "-1", "WITHSCORES");
        p.Same("ZDIFFSTORE", k + ":d", "2", k + ":a", k + ":a");
        p.Same("EXISTS", k + ":d");
        p.Same("ZUNIONSTORE", k + ":d", "1", k + ":s");
        p.Same("OBJECT", "ENCODING", k + ":d");
        p.Both("SET", k + ":str", "v");
        p.Same("ZUNION", "2", k + ":a", k + ":str");
        p.Same("ZPOPMIN", k + ":a");
        p.Same("ZPOPMAX", k + ":a", "5");
        p.Same("ZPOPMIN", k + ":a", "0");
        p.Same("ZPOPMIN", k + ":a", "-1");
        p.Same("ZPOPMIN", k + ":none");
        p.Same("ZPOPMIN", k + ":b", "1", "2");
        p.Same("ZMPOP", "2", k + ":none", k + ":b", "MIN", "COUNT", "2");
        p.Same("ZMPOP", "1", k + ":none", "MAX");
        p.Same("ZMPOP", "0", k + ":b", "MIN");
        p.Same("ZMPOP", "1", k + ":b", "MIDDLE");
        p.Same("ZMPOP", "1", k + ":b", "MIN", "COUNT", "0");
        p.Same("ZADD", k + ":b", "1", "m", "2", "n");
        p.Same("BZPOPMIN", k + ":none", k + ":b", "0");
        p.Same("BZPOPMAX", k + ":b", "1");
        p.Same("BZMPOP", "0", "1", k + ":b", "MIN");
        p.Same("BZPOPMIN", k + ":b", "-1");
        p.Same("MULTI");
        p.Same("BZPOPMIN", k + ":none", "0");
        p.Same("BZMPOP", "0", "1", k + ":none", "MIN");
        p.Same("EXEC");
    }

    [Fact]
    public void RandomMembersScanAndEncodings()
    {
        using var p = f.Pair();
        p.Both("DEL", "zx:k", "zx:big");
        p.Same("ZADD", "zx:k", "1", "a", "2", "b", "3", "c");
        p.Same("ZRANDMEMBER", "zx:k", "5");
        p.Same("ZRANDMEMBER", "zx:k", "5", "WITHSCORES");
        p.Same("ZRANDMEMBER", "zx:k", "0");
        p.Same("ZRANDMEMBER", "zx:none");
        p.Same("ZRANDMEMBER", "zx:none", "3");
        p.Same("ZRANDMEMBER", "zx:k", "1", "BOGUS");
        p.Same("ZRANDMEMBER", "zx:k", "-9223372036854775808");
        p.Same("ZRANDMEMBER", "zx:k", "9223372036854775807", "WITHSCORES");
        p.Same("ZSCAN", "zx:k", "0");
        p.Same("ZSCAN", "zx:k", "0", "MATCH", "[ab]", "COUNT", "100");
        p.Same("ZSCAN", "zx:k", "0", "COUNT", "0");
        p.Same("ZSCAN", "zx:k", "x");
        p.Same("ZSCAN", "zx:none", "0");
        var args = new List<string> { "ZADD", "zx:big" };
        for (int i = 0; i < 200; i++) { args.Add(i.ToString()); args.Add("m" + i); }
        p.Same(args.ToArray());
        p.Same("OBJECT", "ENCODING", "zx:big");
        p.Same("ZRANGE", "zx:big", "100", "105", "WITHSCORES");
        p.Same("ZRANK", "zx:big", "m150");
        p.Same("ZCOUNT", "zx:big", "(50", "150");
        p.Same("ZADD", "zx:long", "1", new string('x', 65));
        p.Same("OBJECT", "ENCODING", "zx:long");
    }
}
