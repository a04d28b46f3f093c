using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Lists;

/// <summary>List commands compared byte for byte with Redis 7.0.</summary>
public sealed class ListDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    public void PushPopRangeAndErrors(string protocol)
    {
        using var p = f.Pair();
        p.Both("HELLO", protocol);
        string k = "ld:" + protocol;
        p.Both("DEL", k, k + ":s", k + ":d");
        p.Same("LPUSH", k, "a", "b", "c");
        p.Same("RPUSH", k, "x\0\r\n", "y");
        p.Same("LPUSHX", k + ":none", "a");
        p.Same("RPUSHX", k, "z");
        p.Same("LLEN", k);
        p.Same("LLEN", k + ":none");
        foreach (var (s, e) in new[] { ("0", "-1"), ("1", "2"), ("-2", "-1"), ("5", "1"), ("-100", "100"), ("3", "3"), ("10", "20"), ("abc", "1") })
            p.Same("LRANGE", k, s, e);
        p.Same("LRANGE", k + ":none", "0", "-1");
        foreach (var i in new[] { "0", "-1", "5", "-7", "100", "x" }) p.Same("LINDEX", k, i);
        p.Same("LINDEX", k + ":none", "x");
        p.Same("LSET", k, "1", "B");
        p.Same("LSET", k, "99", "B");
        p.Same("LSET", k + ":none", "0", "B");
        p.Same("LINSERT", k, "BEFORE", "B", "before-b");
        p.Same("LINSERT", k, "after", "y", "after-y");
        p.Same("LINSERT", k, "AFTER", "missing", "v");
        p.Same("LINSERT", k, "middle", "y", "v");
        p.Same("LINSERT", k + ":none", "AFTER", "y", "v");
        p.Same("LRANGE", k, "0", "-1");
        p.Same("LPOP", k);
        p.Same("RPOP", k);
        p.Same("LPOP", k, "2");
        p.Same("RPOP", k, "2");
        p.Same("LPOP", k, "0");
        p.Same("LPOP", k, "-1");
        p.Same("LPOP", k, "x");
        p.Same("LPOP", k, "1", "2");
        p.Same("LPOP", k + ":none");
        p.Same("LPOP", k + ":none", "3");
        p.Same("RPOP", k, "100");
        p.Same("EXISTS", k);
        p.Both("SET", k + ":s", "string");
        p.Same("LPUSH", k + ":s", "a");
        p.Same("LRANGE", k + ":s", "0", "1");
        p.Same("LINDEX", k + ":s", "x");
        p.Same("LPOP", k + ":s");
        p.Same("LLEN", k + ":s");
    }

    [Fact]
    public void RemTrimPosAndMove()
    {
        using var p = f.Pair();
        const string k = "lm:list";
        p.Both("DEL", k, "lm:dst", "lm:s");
        p.Same("RPUSH", k, "a", "b", "a", "c", "a", "d", "a");
        p.Same("LPOS", k, "a");
        p.Same("LPOS", k, "a", "RANK", "2");
        p.Same("LPOS", k, "a", "RANK", "-1");
        p.Same("LPOS", k, "a", "RANK", "-2", "COUNT", "0");
        p.Same("LPOS", k, "a", "COUNT", "2");
        p.Same("LPOS", k, "a", "COUNT", "0", "MAXLEN", "3");
        p.Same("LPOS", k, "zz");
        p.Same("LPOS", k, "zz", "COUNT", "1");
        p.Same("LPOS", k, "a", "RANK", "0");
        p.Same("LPOS", k, "a", "RANK", "-9223372036854775808");
        p.Same("LPOS", k, "a", "COUNT", "-1");
        p.Same("LPOS", k, "a", "MAXLEN", "x");
        p.Same("LPOS", k, "a", "BOGUS");
        p.Same("LPOS", k, "a", "RANK");
        p.Same("LPOS", "lm:none", "a");
        p.Same("LPOS", "lm:none", "a", "COUNT", "3");
        p.Same("LREM", k, "2", "a");
        p.Same("LREM", k, "-1", "a");
        p.Same("LRANGE", k, "0", "-1");
        p.Same("LREM", k, "0", "a");
        p.Same("LREM", k, "x", "a");
        p.Same("LREM", "lm:none", "0", "a");
        p.Same("RPUSH", k, "1", "2", "3", "4", "5");
        p.Same("LTRIM", k, "1", "-2");
        p.Same("LRANGE", k, "0", "-1");
        p.Same("LTRIM", k, "5", "1");
        p.Same("EXISTS", k);
        p.Same("LTRIM", "lm:none", "0", "1");
        p.Same("RPUSH", k, "1", "2", "3");
        p.Same("LMOVE", k, "lm:dst", "LEFT", "RIGHT");
        p.Same("LMOVE", k, "lm:dst", "right", "left");
        p.Same("RPOPLPUSH", k, "lm:dst");
        p.Same("RPOPLPUSH", k, "lm:dst");
        p.Same("LRANGE", "lm:dst", "0", "-1");
        p.Same("LMOVE", "lm:dst", "lm:dst", "LEFT", "RIGHT");
        p.Same("LMOVE", "lm:dst", "lm:dst", "UP", "RIGHT");
        p.Both("SET", "lm:s", "x");
        p.Same("LMOVE", "lm:dst", "lm:s", "LEFT", "RIGHT");
        p.Same("LMOVE", "lm:s", "lm:dst", "LEFT", "RIGHT");
        p.Same("LRANGE", "lm:dst", "0", "-1");
    }

    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    public void MPopAndNonBlockingPathsOfBlockingCommands(string protocol)
    {
        using var p = f.Pair();
        p.Both("HELLO", protocol);
        string a = "mp:a" + protocol, b = "mp:b" + protocol;
        p.Both("DEL", a, b);
        p.Same("RPUSH", b, "1", "2", "3");
        p.Same("LMPOP", "2", a, b, "LEFT");
        p.Same("LMPOP", "2", a, b, "RIGHT", "COUNT", "5");
        p.Same("LMPOP", "2", a, b, "RIGHT");
        p.Same("LMPOP", "0", a, "LEFT");
        p.Same("LMPOP", "x", a, "LEFT");
        p.Same("LMPOP", "3", a, b, "LEFT");
        p.Same("LMPOP", "1", a, "MIDDLE");
        p.Same("LMPOP", "1", a, "LEFT", "COUNT", "0");
        p.Same("LMPOP", "1", a, "LEFT", "COUNT", "1", "COUNT", "2");
        p.Same("RPUSH", a, "x", "y");
        p.Same("BLPOP", "mp:none", a, "0");
        p.Same("BRPOP", a, "0.5");
        p.Same("BLPOP", a, "-1");
        p.Same("BLPOP", a, "abc");
        p.Same("BLPOP", a, "inf");
        p.Same("RPUSH", a, "1", "2", "3");
        p.Same("BLMPOP", "0", "1", a, "LEFT", "COUNT", "2");
        p.Same("BLMOVE", a, b, "LEFT", "LEFT", "0");
        p.Same("BRPOPLPUSH", b, a, "0");
        p.Same("BLMOVE", a, b, "LEFT", "SIDEWAYS", "0");
    }

    /// <summary>
    /// Random edits of lists long enough to span many 8 KB nodes (integers, short, long and 5 KB values),
    /// so splits, whole-node trims and cross-node ranges are compared with Redis reply by reply.
    /// </summary>
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void RandomEditsOfMultiNodeLists(int seed)
    {
        using var p = f.Pair();
        var rng = new Random(seed);
        string k = "lbig:" + seed, d = "lbig:dst:" + seed;
        p.Both("DEL", k, d);
        string Value() => rng.Next(6) switch
        {
            0 => rng.Next(-70000, 70000).ToString(),
            1 => new string('x', rng.Next(100, 300)),
            2 when rng.Next(10) == 0 => new string('L', rng.Next(5000, 9000)),
            3 => "v\0" + rng.Next(40),
            _ => "e" + rng.Next(30),
        };
        for (int i = 0; i < 40; i++)
        {
            var args = new List<string> { rng.Next(2) == 0 ? "LPUSH" : "RPUSH", k };
            for (int j = 0; j < 60; j++) args.Add(Value());
            p.Same(args.ToArray());
        }
        string Index() => rng.Next(-2600, 2600).ToString();
        for (int step = 0; step < 400; step++)
        {
            switch (rng.Next(12))
            {
                case 0: p.Same("LINSERT", k, rng.Next(2) == 0 ? "BEFORE" : "AFTER", "e" + rng.Next(30), Value()); break;
                case 1: p.Same("LSET", k, Index(), Value()); break;
                case 2: p.Same("LREM", k, rng.Next(-3, 4).ToString(), "e" + rng.Next(30)); break;
                case 3: p.Same("LINDEX", k, Index()); break;
                case 4: p.Same("LRANGE", k, Index(), Index()); break;
                case 5: p.Same("LPOS", k, "e" + rng.Next(30), "RANK", (rng.Next(2) == 0 ? -1 : 1) * rng.Next(1, 5) + "", "COUNT", rng.Next(4).ToString()); break;
                case 6: p.Same(rng.Next(2) == 0 ? "LPOP" : "RPOP", k, rng.Next(1, 40).ToString()); break;
                case 7: p.Same("LMOVE", k, rng.Next(3) == 0 ? k : d, rng.Next(2) == 0 ? "LEFT" : "RIGHT", rng.Next(2) == 0 ? "LEFT" : "RIGHT"); break;
                case 8 when rng.Next(8) == 0: p.Same("LTRIM", k, rng.Next(0, 200).ToString(), (-rng.Next(1, 200)).ToString()); break;
                case 9: p.Same(rng.Next(2) == 0 ? "LPUSH" : "RPUSH", k, Value(), Value(), Value()); break;
                default: p.Same("LLEN", k); break;
            }
        }
        p.Same("LRANGE", k, "0", "-1");
        p.Same("LRANGE", d, "0", "-1");
    }
}
