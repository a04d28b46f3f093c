using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Lists;

/// <summary>List commands compared byte for byte with Redis 7.0.</summary>
public sealed class ListDifferentialCasesTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Fact]
    public void PushPopAndLength()
    {
        using var p = f.Pair();
        p.Same("RPUSH", "ld:pp", "a", "b", "c");
        p.Same("LPUSH", "ld:pp", "x", "y");
        p.Same("LLEN", "ld:pp");
        p.Same("LPUSHX", "ld:pp", "h");
        p.Same("RPUSHX", "ld:pp", "t", "u");
        p.Same("LPUSHX", "ld:none", "h");
        p.Same("RPUSHX", "ld:none", "h");
        p.Same("LLEN", "ld:none");
        p.Same("LPOP", "ld:pp");
        p.Same("RPOP", "ld:pp");
        p.Same("LPOP", "ld:pp", "2");
        p.Same("RPOP", "ld:pp", "0");
        p.Same("RPOP", "ld:pp", "100");
        p.Same("LLEN", "ld:pp");
        p.Same("LPOP", "ld:pp");
        p.Same("LPOP", "ld:pp", "1");
        p.Same("LPOP", "ld:none", "0");
        p.Same("LPOP", "ld:none", "-1");
        p.Same("LPOP", "ld:none", "x");
        p.Same("LPOP", "ld:none", "1", "2");
        p.Same("LPUSH", "ld:pp");
        p.Same("LLEN");
    }

    [Fact]
    public void RangeIndexSetInsert()
    {
        using var p = f.Pair();
        p.Same("RPUSH", "ld:r", "a", "b", "c", "d", "e");
        foreach (var (s, e) in new[] { ("0", "-1"), ("-100", "100"), ("3", "1"), ("5", "10"), ("-2", "-1"), ("-9223372036854775808", "9223372036854775807"), ("x", "1"), ("1", "y") })
            p.Same("LRANGE", "ld:r", s, e);
        p.Same("LRANGE", "ld:none", "0", "-1");
        p.Same("LRANGE", "ld:none", "x", "-1");
        foreach (var i in new[] { "0", "-1", "4", "5", "-6", "x" }) p.Same("LINDEX", "ld:r", i);
        p.Same("LINDEX", "ld:none", "x");
        p.Same("LSET", "ld:r", "-1", "E");
        p.Same("LSET", "ld:r", "5", "E");
        p.Same("LSET", "ld:r", "x", "E");
        p.Same("LSET", "ld:none", "x", "E");
        p.Same("LINSERT", "ld:r", "BEFORE", "c", "X");
        p.Same("LINSERT", "ld:r", "after", "E", "Y");
        p.Same("LINSERT", "ld:r", "after", "nope", "Y");
        p.Same("LINSERT", "ld:r", "middle", "c", "Y");
        p.Same("LINSERT", "ld:none", "before", "c", "Y");
        p.Same("LINSERT", "ld:none", "x", "c", "Y");
        p.Same("LRANGE", "ld:r", "0", "-1");
    }

    [Fact]
    public void RemTrimAndDeletion()
    {
        using var p = f.Pair();
        var items = Enumerable.Range(0, 300).Select(i => (i % 7).ToString()).ToArray();
        p.Same(["RPUSH", "ld:t", .. items]);
        p.Same("LREM", "ld:t", "-5", "3");
        p.Same("LREM", "ld:t", "2", "4");
        p.Same("LREM", "ld:t", "0", "1");
        p.Same("LREM", "ld:t", "-9223372036854775808", "2");
        p.Same("LREM", "ld:t", "x", "2");
        p.Same("LREM", "ld:none", "x", "2");
        p.Same("LREM", "ld:none", "1", "2");
        p.Same("LRANGE", "ld:t", "0", "-1");
        p.Same("LTRIM", "ld:t", "10", "-10");
        p.Same("LRANGE", "ld:t", "0", "-1");
        p.Same("LTRIM", "ld:t", "-9223372036854775808", "9223372036854775807");
        p.Same("LTRIM", "ld:t", "x", "1");
        p.Same("LTRIM", "ld:none", "0", "1");
        p.Same("LTRIM", "ld:t", "5", "1");
        p.Same("LLEN", "ld:t");
        p.Same("RPUSH", "ld:t2", "a", "a");
        p.Same("LREM", "ld:t2", "0", "a");
        p.Same("LLEN", "ld:t2");
    }

    [Fact]
    public void LposOptionsAndErrors()
    {
        using var p = f.Pair();
        p.Same("RPUSH", "ld:p", "a", "b", "c", "a", "b", "a", "c");
        p.Same("LPOS", "ld:p", "a");
        p.Same("LPOS", "ld:p", "a", "RANK", "2");
        p.Same("LPOS", "ld:p", "a", "RANK", "-1");
        p.Same("LPOS", "ld:p", "a", "RANK", "-4");
        p.Same("LPOS", "ld:p", "a", "COUNT", "0");
        p.Same("LPOS", "ld:p", "a", "COUNT", "2", "RANK", "-2");
        p.Same("LPOS", "ld:p", "a", "MAXLEN", "4", "COUNT", "0");
        p.Same("LPOS", "ld:p", "c", "MAXLEN", "1", "RANK", "-1");
        p.Same("LPOS", "ld:p", "zz");
        p.Same("LPOS", "ld:p", "zz", "COUNT", "1");
        p.Same("LPOS", "ld:p", "a", "RANK", "-9223372036854775808");
        p.Same("LPOS", "ld:p", "a", "RANK", "0");
        p.Same("LPOS", "ld:p", "a", "RANK", "x");
        p.Same("LPOS", "ld:p", "a", "COUNT", "-1");
        p.Same("LPOS", "ld:p", "a", "COUNT", "x");
        p.Same("LPOS", "ld:p", "a", "MAXLEN", "-1");
        p.Same("LPOS", "ld:p", "a", "RANK");
        p.Same("LPOS", "ld:p", "a", "bogus", "1");
        p.Same("LPOS", "ld:none", "a");
        p.Same("LPOS", "ld:none", "a", "COUNT", "0");
        p.Same("LPOS", "ld:p");
    }

    [Fact]
    public void MoveAndMultiPop()
    {
        using var p = f.Pair();
        p.Same("RPUSH", "ld:m1", "a", "b", "c");
        p.Same("LMOVE", "ld:m1", "ld:m2", "LEFT", "RIGHT");
        p.Same("LMOVE", "ld:m1", "ld:m1", "right", "left");
        p.Same("LRANGE", "ld:m1", "0", "-1");
        p.Same("RPOPLPUSH", "ld:m1", "ld:m2");
        p.Same("RPOPLPUSH", "ld:m1", "ld:m2");
        p.Same("LLEN", "ld:m1");
        p.Same("RPOPLPUSH", "ld:m1", "ld:m2");
        p.Same("LMOVE", "ld:m2", "ld:m2", "left", "right");
        p.Same("LRANGE", "ld:m2", "0", "-1");
        p.Same("LMOVE", "ld:m2", "ld:m3", "up", "left");
        p.Same("LMOVE", "ld:m2", "ld:m3", "left");
        p.Same("LMPOP", "2", "ld:none", "ld:m2", "RIGHT", "COUNT", "2");
        p.Same("LMPOP", "1", "ld:m2", "left", "count", "10");
        p.Same("LMPOP", "1", "ld:m2", "left");
        foreach (var bad in new[] { new[] { "0", "a", "left" }, ["x", "a", "left"], ["9223372036854775807", "a", "left"], ["1", "a", "up"],
                     ["1", "a", "left", "count", "0"], ["1", "a", "left", "count", "1", "count", "1"], ["2", "a", "left"], ["1", "a", "left", "count"] })
            p.Same(["LMPOP", .. bad]);
        p.Same("LMPOP", "1", "a");
    }

    [Fact]
    public void WrongTypeEverywhere()
    {
        using var p = f.Pair();
        p.Same("SET", "ld:s", "v");
        p.Same("RPUSH", "ld:l", "a");
        string[][] calls =
        [
            ["LPUSH", "ld:s", "a"], ["RPUSHX", "ld:s", "a"], ["LPOP", "ld:s"], ["RPOP", "ld:s", "2"], ["LLEN", "ld:s"],
            ["LRANGE", "ld:s", "0", "1"], ["LINDEX", "ld:s", "0"], ["LINDEX", "ld:s", "x"], ["LSET", "ld:s", "0", "x"],
            ["LINSERT", "ld:s", "before", "a", "b"], ["LREM", "ld:s", "1", "a"], ["LTRIM", "ld:s", "0", "1"],
            ["LPOS", "ld:s", "a"], ["LPOS", "ld:s", "a", "RANK", "0"], ["LMOVE", "ld:s", "ld:x", "left", "left"],
            ["LMOVE", "ld:l", "ld:s", "left", "left"], ["LMOVE", "ld:none", "ld:s", "left", "left"], ["LMPOP", "2", "ld:none", "ld:s", "left"],
            ["BLPOP", "ld:s", "0"], ["BLMPOP", "0", "1", "ld:s", "left"], ["BRPOPLPUSH", "ld:s", "ld:l", "0"], ["BRPOPLPUSH", "ld:l", "ld:s", "0"],
            ["GET", "ld:l"],
        ];
        foreach (var c in calls) p.Same(c);
        p.Same("LRANGE", "ld:l", "0", "-1");
    }

    [Fact]
    public void BlockingCommandsWithDataAndArgumentErrors()
    {
        using var p = f.Pair();
        p.Same("RPUSH", "ld:b", "1", "2", "3", "4", "5", "6");
        p.Same("BLPOP", "ld:none", "ld:b", "0");
        p.Same("BRPOP", "ld:none", "ld:b", "1.5");
        p.Same("BLMOVE", "ld:b", "ld:b2", "LEFT", "RIGHT", "0");
        p.Same("BRPOPLPUSH", "ld:b", "ld:b2", "0");
        p.Same("BLMPOP", "0", "2", "ld:none", "ld:b", "RIGHT", "COUNT", "5");
        p.Same("LLEN", "ld:b");
        p.Same(["RPUSH", "ld:tl", .. Enumerable.Range(0, 40).Select(i => i.ToString())]);
        foreach (var t in new[] { "nan", "inf", "-inf", "-0.0001", "0x10", "0X1.8", " 1", "1 ", "", "1e400", "9223372036854775", "9223372036854775807",
                     "1e3", "+1", ".5", "1.", "-0", "-1", "1e-400", "0x", "infinity", "abc" })
            p.Same("BLPOP", "ld:tl", t);
        p.Same("BLMOVE", "ld:tl", "ld:x", "up", "left", "x");
        p.Same("BLMOVE", "ld:tl", "ld:x", "left", "left", "x");
        p.Same("BLMOVE", "ld:tl", "ld:x", "left", "left", "-1");
        p.Same("BLMPOP", "x", "1", "ld:tl", "left");
        p.Same("BLMPOP", "-1", "1", "ld:tl", "left");
        p.Same("BLMPOP", "0", "0", "ld:tl", "left");
        p.Same("BLMPOP", "0", "1", "ld:tl", "up");
        p.Same("BLMPOP", "0", "1", "ld:tl", "left", "count", "0");
        p.Same("BLPOP", "ld:tl");
        p.Same("BRPOPLPUSH", "a", "b");
        p.Same("BLMOVE", "a", "b", "left", "left");
        p.Same("BLMPOP", "0", "1", "a");
    }

    [Fact]
    public void TimeoutsReplyNullInBothProtocols()
    {
        using var p = f.Pair();
        p.Same("BLPOP", "ld:nb1", "ld:nb2", "0.01");
        p.Same("BRPOP", "ld:nb1", "0.01");
        p.Same("BLMOVE", "ld:nb1", "ld:x", "left", "left", "0.01");
        p.Same("BRPOPLPUSH", "ld:nb1", "ld:x", "0.01");
        p.Same("BLMPOP", "0.01", "1", "ld:nb1", "left");
        p.Same("LMPOP", "1", "ld:nb1", "left");
        p.Both("HELLO", "3");
        p.Same("BLPOP", "ld:nb1", "0.01");
        p.Same("BLMOVE", "ld:nb1", "ld:x", "left", "left", "0.01");
        p.Same("BLMPOP", "0.01", "1", "ld:nb1", "left");
        p.Same("LMPOP", "1", "ld:nb1", "left");
        p.Same("LPOP", "ld:nb1");
        p.Same("LPOP", "ld:nb1", "2");
        p.Same("LINDEX", "ld:nb1", "0");
        p.Same("LPOS", "ld:nb1", "a");
        p.Same("RPUSH", "ld:r3", "a", "b", "c");
        p.Same("LPOP", "ld:r3", "2");
        p.Same("BLPOP", "ld:r3", "0");
        p.Same("LRANGE", "ld:r3", "0", "-1");
    }

    [Fact]
    public void BinaryElementsRoundTrip()
    {
        using var p = f.Pair();
        byte[] key = [(byte)'l', (byte)'d', 0, 0xff, (byte)'\r', (byte)'\n'];
        byte[] v1 = [0, (byte)'\r', (byte)'\n', 0xff, 0xfe], v2 = [];
        Assert.Equal(p.Redis.Call([.. new[] { "RPUSH"u8.ToArray(), key, v1, v2, v1 }]), p.Ours.Call([.. new[] { "RPUSH"u8.ToArray(), key, v1, v2, v1 }]));
        byte[][][] calls =
        [
            ["LRANGE"u8.ToArray(), key, "0"u8.ToArray(), "-1"u8.ToArray()],
            ["LPOS"u8.ToArray(), key, v2],
            ["LPOS"u8.ToArray(), key, v1, "COUNT"u8.ToArray(), "0"u8.ToArray()],
            ["LREM"u8.ToArray(), key, "-1"u8.ToArray(), v1],
            ["BLPOP"u8.ToArray(), key, "0"u8.ToArray()],
            ["LMPOP"u8.ToArray(), "1"u8.ToArray(), key, "RIGHT"u8.ToArray()],
            ["LLEN"u8.ToArray(), key],
        ];
        foreach (var c in calls) Assert.Equal(p.Redis.Call(c), p.Ours.Call(c));
    }
}
