using Cinnabar.EndToEnd.Infrastructure;
using static Cinnabar.EndToEnd.Sets.CollectionTestSupport;

namespace Cinnabar.EndToEnd.Hashes;

/// <summary>Hash commands compared byte for byte with a real Redis 7.0.</summary>
public sealed class HashDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Fact]
    public void BasicCommandsMatchRedisOnListpacks()
    {
        using var p = f.Pair();
        p.Same("HSET", "hd:b", "f1", "v1", "f2", "v2", "f3", "v3");
        p.Same("HSET", "hd:b", "f2", "new", "f4", "v4");
        p.Same("HGETALL", "hd:b");
        p.Same("HKEYS", "hd:b");
        p.Same("HVALS", "hd:b");
        p.Same("HGET", "hd:b", "f2");
        p.Same("HGET", "hd:b", "nope");
        p.Same("HGET", "hd:nokey", "f");
        p.Same("HMGET", "hd:b", "f1", "nope", "f4");
        p.Same("HMGET", "hd:nokey", "a", "b");
        p.Same("HLEN", "hd:b");
        p.Same("HLEN", "hd:nokey");
        p.Same("HEXISTS", "hd:b", "f1");
        p.Same("HEXISTS", "hd:b", "zz");
        p.Same("HEXISTS", "hd:nokey", "zz");
        p.Same("HSTRLEN", "hd:b", "f2");
        p.Same("HSTRLEN", "hd:b", "zz");
        p.Same("HSTRLEN", "hd:nokey", "zz");
        p.Same("HSETNX", "hd:b", "f1", "x");
        p.Same("HSETNX", "hd:b", "f9", "x");
        p.Same("HMSET", "hd:b", "f10", "a", "f1", "b");
        p.Same("HGETALL", "hd:b");
        p.Same("HDEL", "hd:b", "f1", "nope", "f1", "f3");
        p.Same("HGETALL", "hd:b");
        p.Same("HDEL", "hd:b", "f2", "f4", "f9", "f10", "more");
        p.Same("HLEN", "hd:b");
        p.Same("HGETALL", "hd:b");
        p.Same("HDEL", "hd:b", "x");
        p.Same("HKEYS", "hd:nokey");
        p.Same("HVALS", "hd:nokey");
        p.Same("HGETALL", "hd:nokey");
    }

    [Fact]
    public void ArityAndWrongTypeErrorsMatchRedis()
    {
        using var p = f.Pair();
        PutString(f, p, "hd:str", "x");
        p.Same("HSET", "hd:e", "f");
        p.Same("HSET", "hd:e", "f", "v", "g");
        p.Same("HMSET", "hd:e", "f", "v", "g");
        p.Same("HMSET", "hd:e");
        p.Same("HSETNX", "hd:e", "f");
        p.Same("HGET", "hd:e");
        p.Same("HMGET", "hd:e");
        p.Same("HDEL", "hd:e");
        p.Same("HLEN");
        p.Same("HEXISTS", "hd:e");
        p.Same("HSTRLEN", "hd:e", "a", "b");
        p.Same("HKEYS");
        p.Same("HVALS", "a", "b");
        p.Same("HGETALL");
        p.Same("HINCRBY", "hd:e", "f");
        p.Same("HINCRBYFLOAT", "hd:e", "f");
        p.Same("HRANDFIELD");
        p.Same("HSCAN", "hd:e");
        foreach (var cmd in new[]
                 {
                     new[] { "HSET", "hd:str", "f", "v" }, ["HMSET", "hd:str", "f", "v"], ["HSETNX", "hd:str", "f", "v"],
                     ["HGET", "hd:str", "f"], ["HMGET", "hd:str", "f"], ["HDEL", "hd:str", "f"], ["HLEN", "hd:str"],
                     ["HEXISTS", "hd:str", "f"], ["HSTRLEN", "hd:str", "f"], ["HKEYS", "hd:str"], ["HVALS", "hd:str"],
                     ["HGETALL", "hd:str"], ["HINCRBY", "hd:str", "f", "1"], ["HINCRBYFLOAT", "hd:str", "f", "1"],
                     ["HRANDFIELD", "hd:str"], ["HRANDFIELD", "hd:str", "2"], ["HRANDFIELD", "hd:str", "2", "WITHVALUES"],
                     ["HSCAN", "hd:str", "0"], ["HINCRBY", "hd:str", "f", "x"], ["HINCRBYFLOAT", "hd:str", "f", "x"],
                 })
            p.Same(cmd);
    }

    [Fact]
    public void HIncrByMatchesRedis()
    {
        using var p = f.Pair();
        p.Same("HSET", "hd:i", "a", "1", "b", "1.5", "c", "x", "d", "9223372036854775807", "e", "-9223372036854775808", "z", "01");
        p.Same("HINCRBY", "hd:i", "a", "5");
        p.Same("HINCRBY", "hd:i", "a", "-10");
        p.Same("HINCRBY", "hd:i", "b", "5");
        p.Same("HINCRBY", "hd:i", "c", "5");
        p.Same("HINCRBY", "hd:i", "z", "5");
        p.Same("HINCRBY", "hd:i", "d", "1");
        p.Same("HINCRBY", "hd:i", "d", "0");
        p.Same("HINCRBY", "hd:i", "e", "-1");
        p.Same("HINCRBY", "hd:i", "e", "9223372036854775807");
        p.Same("HINCRBY", "hd:i", "a", "x");
        p.Same("HINCRBY", "hd:i", "a", "1.0");
        p.Same("HINCRBY", "hd:i", "a", "99999999999999999999");
        p.Same("HINCRBY", "hd:i", "new", "-3");
        p.Same("HINCRBY", "hd:new", "f", "7");
        p.Same("HGETALL", "hd:i");
        p.Same("HGETALL", "hd:new");
    }

    [Theory]
    [InlineData("0.1")]
    [InlineData("1.5")]
    [InlineData("-3.3")]
    [InlineData("1e308")]
    [InlineData("1000.1")]
    [InlineData("3.0e3")]
    [InlineData("1.23456789012345678")]
    [InlineData("-0.0")]
    [InlineData("1e20")]
    [InlineData("1e-20")]
    [InlineData("-1e-20")]
    [InlineData("123456789.987654321")]
    [InlineData(".5")]
    [InlineData("5.")]
    [InlineData("+1")]
    [InlineData("1E2")]
    [InlineData("2.5e-3")]
    [InlineData("0.30000000000000004")]
    [InlineData("17")]
    [InlineData("1e4000")]
    [InlineData("1.7976931348623157e308")]
    [InlineData("0x10")]
    [InlineData("0x1p-2")]
    [InlineData("0X.8P1")]
    [InlineData("0xffffffffffffffffff")]
    [InlineData("0x1.8")]
    public void HIncrByFloatFormatsLikeRedisLongDouble(string increment)
    {
        using var p = f.Pair();
        string key = "hd:f:" + increment;
        p.Same("HINCRBYFLOAT", key, "f", increment);
        p.Same("HINCRBYFLOAT", key, "f", increment);
        p.Same("HINCRBYFLOAT", key, "f", "0.1");
        p.Same("HINCRBYFLOAT", key, "f", "-" + increment.TrimStart('+', '-'));
        p.Same("HGET", key, "f");
    }

    [Fact]
    public void HIncrByFloatErrorsMatchRedis()
    {
        using var p = f.Pair();
        p.Same("HSET", "hd:fe", "a", "1", "c", "x", "big", "1e400", "inf", "inf", "sp", " 1", "sp2", "1 ");
        foreach (var bad in new[] { "abc", "", " 1", "1 ", "nan", "1e", ".", "1.2.3", "--1", "1e5000", "1e-5000", "0x", "0x1p", "0xg", "0x1p99999" })
            p.Same("HINCRBYFLOAT", "hd:fe", "a", bad);
        p.Same("HINCRBYFLOAT", "hd:fe", "a", "inf");
        p.Same("HINCRBYFLOAT", "hd:fe", "a", "-infinity");
        p.Same("HINCRBYFLOAT", "hd:fe", "c", "1");
        p.Same("HINCRBYFLOAT", "hd:fe", "sp", "1");
        p.Same("HINCRBYFLOAT", "hd:fe", "sp2", "1");
        p.Same("HINCRBYFLOAT", "hd:fe", "inf", "1");
        p.Same("HINCRBYFLOAT", "hd:fe", "big", "1");
        p.Same("HINCRBYFLOAT", "hd:fe", "big", "-1e400");
        p.Same("HINCRBYFLOAT", "hd:fe", "a", "1e4931");
        p.Same("HINCRBYFLOAT", "hd:fe", "a", "1e4931");
        // the 4932-digit value made the hash a hashtable, whose order cannot match
        Assert.Equal(SortedPairs(p.Redis.Call("HGETALL", "hd:fe")), SortedPairs(p.Ours.Call("HGETALL", "hd:fe")));
    }

    /// <summary>
    /// Values below 2^-16382 are x87 subnormals: strtold returns them (with ERANGE, which Redis only refuses
    /// for zero or infinity), so they are valid increments and stored values, and print as "0".
    /// </summary>
    [Fact]
    public void HIncrByFloatAcceptsSubnormalLongDoubles()
    {
        using var p = f.Pair();
        p.Same("HINCRBYFLOAT", "hd:sub", "a", "1e-4940");
        p.Same("HINCRBYFLOAT", "hd:sub", "b", "0x1p-16440");
        p.Same("HINCRBYFLOAT", "hd:sub", "b", "3e-4932");
        p.Same("HSET", "hd:sub", "c", "1e-4940");
        p.Same("HINCRBYFLOAT", "hd:sub", "c", "1");
        p.Same("HINCRBYFLOAT", "hd:sub", "c", "1e-4960");
        p.Same("HGETALL", "hd:sub");
    }

    [Fact]
    public void Resp3RepliesMatchRedis()
    {
        using var p = f.Pair();
        p.Both("HELLO", "3");
        p.Same("HSET", "hd:r3", "a", "1", "b", "2", "c", "3");
        p.Same("HGETALL", "hd:r3");
        p.Same("HGETALL", "hd:nokey");
        p.Same("HKEYS", "hd:r3");
        p.Same("HVALS", "hd:nokey");
        p.Same("HGET", "hd:r3", "zz");
        p.Same("HMGET", "hd:r3", "a", "zz");
        p.Same("HRANDFIELD", "hd:nokey");
        p.Same("HRANDFIELD", "hd:nokey", "3");
        p.Same("HRANDFIELD", "hd:nokey", "3", "WITHVALUES");
        p.Same("HRANDFIELD", "hd:r3", "0");
        p.Same("HRANDFIELD", "hd:r3", "3");
        p.Same("HRANDFIELD", "hd:r3", "10", "WITHVALUES");
        p.Same("HINCRBYFLOAT", "hd:r3", "a", "1.5");
        p.Same("HSCAN", "hd:r3", "0");
        p.Same("HSCAN", "hd:nokey", "0");
        var reply = p.Ours.Call("HRANDFIELD", "hd:r3", "-5", "WITHVALUES");
        Assert.StartsWith("*5\r\n*2\r\n$1\r\n", reply);
    }

    [Fact]
    public void BinaryFieldsAndValuesRoundTrip()
    {
        using var p = f.Pair();
        string bin = "\0\r\n\u00ff\u00fe" + "a\0";
        p.Same("HSET", "hd:bin", bin, bin + "v", "", "empty", "e", "");
        p.Same("HGETALL", "hd:bin");
        p.Same("HGET", "hd:bin", bin);
        p.Same("HGET", "hd:bin", "");
        p.Same("HSTRLEN", "hd:bin", bin);
        p.Same("HEXISTS", "hd:bin", "\0");
        p.Same("HSCAN", "hd:bin", "0", "MATCH", "*\0*");
        p.Same("HDEL", "hd:bin", bin);
        p.Same("HGETALL", "hd:bin");
    }

    [Fact]
    public void EncodingFollowsRedisThresholds()
    {
        using var p = f.Pair();
        // entries: 512 stays listpack, 513 converts
        var fill = new List<string> { "HSET", "hd:enc1" };
        for (int i = 0; i < 512; i++) { fill.Add("field" + i); fill.Add("v" + i); }
        p.Same(fill.ToArray());
        Assert.Equal("listpack", SameEncoding(f, p, "hd:enc1"));
        p.Same("HGETALL", "hd:enc1");
        p.Same("HSCAN", "hd:enc1", "0", "COUNT", "5");
        p.Same("HSET", "hd:enc1", "field512", "x");
        Assert.Equal("hashtable", SameEncoding(f, p, "hd:enc1"));
        p.Same("HDEL", "hd:enc1", "field512", "field1");
        Assert.Equal("hashtable", SameEncoding(f, p, "hd:enc1")); // never converts back
        Assert.Equal(Sorted(p.Redis.Call("HGETALL", "hd:enc1")), Sorted(p.Ours.Call("HGETALL", "hd:enc1")));

        // value length: 64 stays, 65 converts; field length too
        p.Same("HSET", "hd:enc2", "f", new string('v', 64));
        Assert.Equal("listpack", SameEncoding(f, p, "hd:enc2"));
        p.Same("HSET", "hd:enc2", "g", new string('v', 65));
        Assert.Equal("hashtable", SameEncoding(f, p, "hd:enc2"));
        p.Same("HSET", "hd:enc3", new string('k', 65), "v");
        Assert.Equal("hashtable", SameEncoding(f, p, "hd:enc3"));
        // HSETNX on an existing field does not convert; HINCRBY with a long field does
        p.Same("HSET", "hd:enc4", "a", "1");
        p.Same("HSETNX", "hd:enc4", "a", new string('v', 100));
        Assert.Equal("listpack", SameEncoding(f, p, "hd:enc4"));
        p.Same("HINCRBY", "hd:enc4", new string('n', 70), "1");
        Assert.Equal("hashtable", SameEncoding(f, p, "hd:enc4"));
        // a long argument converts even when it is an existing field's new value
        p.Same("HSET", "hd:enc5", "a", "1", "b", "2");
        p.Same("HSET", "hd:enc5", "a", new string('z', 80));
        Assert.Equal("hashtable", SameEncoding(f, p, "hd:enc5"));
        // HINCRBYFLOAT producing a long value converts
        p.Same("HINCRBYFLOAT", "hd:enc6", "f", "1e100");
        Assert.Equal("hashtable", SameEncoding(f, p, "hd:enc6"));
    }

    [Fact]
    public void HScanOptionsAndErrorsMatchRedis()
    {
        using var p = f.Pair();
        p.Same("HSET", "hd:sc", "a1", "1", "b1", "2", "a2", "3");
        p.Same("HSCAN", "hd:sc", "0");
        p.Same("HSCAN", "hd:sc", "0", "MATCH", "a*");
        p.Same("HSCAN", "hd:sc", "0", "MATCH", "a*", "COUNT", "1");
        p.Same("HSCAN", "hd:sc", "0", "match", "*");
        p.Same("HSCAN", "hd:sc", "123");
        p.Same("HSCAN", "hd:sc", "+5");
        p.Same("HSCAN", "hd:sc", "");
        p.Same("HSCAN", "hd:sc", "x");
        p.Same("HSCAN", "hd:sc", "-1");
        p.Same("HSCAN", "hd:sc", "+");
        p.Same("HSCAN", "hd:sc", " 1");
        p.Same("HSCAN", "hd:sc", "18446744073709551615");
        p.Same("HSCAN", "hd:sc", "18446744073709551616");
        p.Same("HSCAN", "hd:sc", "0", "COUNT", "0");
        p.Same("HSCAN", "hd:sc", "0", "COUNT", "-1");
        p.Same("HSCAN", "hd:sc", "0", "COUNT", "x");
        p.Same("HSCAN", "hd:sc", "0", "MATCH");
        p.Same("HSCAN", "hd:sc", "0", "NOVALUES");
        p.Same("HSCAN", "hd:sc", "0", "TYPE", "hash");
        p.Same("HSCAN", "hd:nokey", "0", "COUNT", "0");
        p.Same("HSCAN", "hd:nokey", "x");
    }

    [Fact]
    public void HScanOverHashtableVisitsEveryFieldOnce()
    {
        using var p = f.Pair();
        var args = new List<string> { "HSET", "hd:big" };
        for (int i = 0; i < 600; i++) { args.Add("f" + i); args.Add("v" + i); }
        p.Same(args.ToArray());
        var seen = new HashSet<string>();
        string cursor = "0";
        int calls = 0;
        do
        {
            var items = Flat(p.Ours.Call("HSCAN", "hd:big", cursor, "COUNT", "20"));
            cursor = items[0]!;
            for (int i = 1; i + 1 < items.Count; i += 2)
            {
                seen.Add(items[i]!);
                Assert.Equal("v" + items[i]![1..], items[i + 1]);
            }
            calls++;
        } while (cursor != "0");
        Assert.Equal(600, seen.Count);
        Assert.True(calls > 5);
        var matched = Flat(p.Ours.Call("HSCAN", "hd:big", "0", "MATCH", "f1*", "COUNT", "1000"));
        Assert.Equal("0", matched[0]);
        Assert.Equal(111 * 2, matched.Count - 1);
    }

    [Fact]
    public void HRandFieldMatchesRedisWhereDeterministic()
    {
        using var p = f.Pair();
        p.Same("HSET", "hd:rf", "a", "1", "b", "2", "c", "3");
        p.Same("HRANDFIELD", "hd:rf", "3");
        p.Same("HRANDFIELD", "hd:rf", "5", "WITHVALUES");
        p.Same("HRANDFIELD", "hd:rf", "0", "WITHVALUES");
        p.Same("HRANDFIELD", "hd:nokey");
        p.Same("HRANDFIELD", "hd:nokey", "-5");
        p.Same("HRANDFIELD", "hd:rf", "x");
        p.Same("HRANDFIELD", "hd:rf", "1", "WITHVALUE");
        p.Same("HRANDFIELD", "hd:rf", "1", "WITHVALUES", "x");
        p.Same("HRANDFIELD", "hd:rf", "-9223372036854775808");
        p.Same("HRANDFIELD", "hd:rf", "-9223372036854775807", "WITHVALUES");
        p.Same("HRANDFIELD", "hd:rf", "9223372036854775807", "WITHVALUES");
        p.Same("HRANDFIELD", "hd:rf", "-4611686018427387904", "WITHVALUES");
        p.Same("HRANDFIELD", "hd:rf", "4611686018427387904", "WITHVALUES");
        p.Same("HRANDFIELD", "hd:nokey", "x");

        // Single pick, repeats, distinctness.
        Assert.Contains(Flat("*1\r\n" + p.Ours.Call("HRANDFIELD", "hd:rf"))[0], new[] { "a", "b", "c" });
        var rep = Flat(p.Ours.Call("HRANDFIELD", "hd:rf", "-20", "WITHVALUES"));
        Assert.Equal(40, rep.Count);
        for (int i = 0; i < 40; i += 2) Assert.Equal(rep[i] == "a" ? "1" : rep[i] == "b" ? "2" : "3", rep[i + 1]);
        var args = new List<string> { "HSET", "hd:rf2" };
        for (int i = 0; i < 300; i++) { args.Add("f" + i); args.Add("v"); }
        p.Same(args.ToArray());
        foreach (var n in new[] { 2, 50, 150, 299 })
        {
            var picked = Flat(p.Ours.Call("HRANDFIELD", "hd:rf2", n.ToString()));
            Assert.Equal(n, picked.Count);
            Assert.Equal(n, picked.Distinct().Count());
        }
        Assert.Equal(300, Flat(p.Ours.Call("HRANDFIELD", "hd:rf2", "1000")).Distinct().Count());
    }
}
