using Cinnabar.EndToEnd.Infrastructure;
using static Cinnabar.EndToEnd.Sets.CollectionTestSupport;

namespace Cinnabar.EndToEnd.Sets;

/// <summary>Set commands compared byte for byte with a real Redis 7.0.</summary>
public sealed class SetDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Fact]
    public void BasicCommandsMatchRedisOnIntsets()
    {
        using var p = f.Pair();
        p.Same("SADD", "sd:b", "3", "1", "2", "-5", "1");
        p.Same("SMEMBERS", "sd:b");
        p.Same("SCARD", "sd:b");
        p.Same("SISMEMBER", "sd:b", "2");
        p.Same("SISMEMBER", "sd:b", "02");
        p.Same("SISMEMBER", "sd:b", "x");
        p.Same("SMISMEMBER", "sd:b", "1", "7", "-5", "x");
        p.Same("SMISMEMBER", "sd:nokey", "1");
        p.Same("SISMEMBER", "sd:nokey", "1");
        p.Same("SCARD", "sd:nokey");
        p.Same("SMEMBERS", "sd:nokey");
        p.Same("SREM", "sd:b", "1", "9", "x", "1");
        p.Same("SMEMBERS", "sd:b");
        p.Same("SADD", "sd:b", "9223372036854775807", "-9223372036854775808", "0");
        p.Same("SMEMBERS", "sd:b");
        p.Same("SSCAN", "sd:b", "0");
        p.Same("SSCAN", "sd:b", "0", "MATCH", "*9*", "COUNT", "1");
        p.Same("SREM", "sd:b", "3", "2", "-5", "9223372036854775807", "-9223372036854775808", "0", "more");
        p.Same("SCARD", "sd:b");
        p.Same("SREM", "sd:nokey", "1");
        p.Same("SPOP", "sd:nokey");
        p.Same("SPOP", "sd:nokey", "3");
        p.Same("SRANDMEMBER", "sd:nokey");
        p.Same("SRANDMEMBER", "sd:nokey", "3");
        p.Same("SRANDMEMBER", "sd:nokey", "-3");
    }

    [Fact]
    public void IntsetOfWideIntegersConvertsOnAStringMember()
    {
        // Issue 20: the intset's conversion sized its buffer at 4 bytes a member; 64-bit members take 10.
        using var p = f.Pair();
        p.Same("SADD", "sd:wide", "4166245135087031541", "-2846324991276127175", "2624867767967583412", "-2018309");
        p.Same("SADD", "sd:wide", "abc");
        p.Same("SCARD", "sd:wide");
        p.Same("SISMEMBER", "sd:wide", "-2846324991276127175");
        p.Same("SISMEMBER", "sd:wide", "abc");
        p.Same("OBJECT", "ENCODING", "sd:wide");
    }

    [Fact]
    public void AritySyntaxAndWrongTypeErrorsMatchRedis()
    {
        using var p = f.Pair();
        PutString(f, p, "sd:str", "x");
        p.Same("SADD", "sd:e", "1");
        foreach (var cmd in new[]
                 {
                     new[] { "SADD", "sd:e" }, ["SREM", "sd:e"], ["SMEMBERS"], ["SISMEMBER", "sd:e"], ["SMISMEMBER", "sd:e"],
                     ["SCARD"], ["SPOP"], ["SRANDMEMBER"], ["SMOVE", "a", "b"], ["SINTER"], ["SINTERSTORE", "d"],
                     ["SINTERCARD", "1"], ["SUNION"], ["SUNIONSTORE", "d"], ["SDIFF"], ["SDIFFSTORE", "d"], ["SSCAN", "sd:e"],
                     ["SPOP", "sd:e", "1", "2"], ["SRANDMEMBER", "sd:e", "1", "2"], ["SPOP", "sd:e", "-1"], ["SPOP", "sd:e", "x"],
                     ["SRANDMEMBER", "sd:e", "x"], ["SRANDMEMBER", "sd:e", "-9223372036854775808"],
                     ["SADD", "sd:str", "1"], ["SREM", "sd:str", "1"], ["SMEMBERS", "sd:str"], ["SISMEMBER", "sd:str", "1"],
                     ["SMISMEMBER", "sd:str", "1"], ["SCARD", "sd:str"], ["SPOP", "sd:str"], ["SPOP", "sd:str", "2"],
                     ["SPOP", "sd:str", "0"], ["SRANDMEMBER", "sd:str"], ["SRANDMEMBER", "sd:str", "2"], ["SSCAN", "sd:str", "0"],
                     ["SMOVE", "sd:str", "sd:e", "1"], ["SMOVE", "sd:e", "sd:str", "1"], ["SMOVE", "sd:nokey", "sd:str", "1"],
                     ["SINTER", "sd:e", "sd:str"], ["SINTER", "sd:nokey", "sd:str"], ["SINTER", "sd:str", "sd:nokey"],
                     ["SUNION", "sd:e", "sd:str"], ["SUNION", "sd:nokey", "sd:str"], ["SDIFF", "sd:nokey", "sd:str"],
                     ["SINTERSTORE", "sd:d", "sd:str"], ["SUNIONSTORE", "sd:d", "sd:e", "sd:str"], ["SDIFFSTORE", "sd:d", "sd:str"],
                     ["SINTERCARD", "2", "sd:e", "sd:str"], ["SINTERCARD", "2", "sd:nokey", "sd:str"],
                     ["SSCAN", "sd:e", "x"], ["SSCAN", "sd:e", "0", "COUNT", "0"], ["SSCAN", "sd:e", "0", "COUNT"],
                     ["SSCAN", "sd:e", "0", "FOO", "1"], ["SSCAN", "sd:nokey", "0", "COUNT", "0"],
                 })
            p.Same(cmd);
        p.Same("SMEMBERS", "sd:e");
    }

    [Fact]
    public void SInterCardMatchesRedis()
    {
        using var p = f.Pair();
        p.Same("SADD", "sd:c1", "1", "2", "3", "4", "a");
        p.Same("SADD", "sd:c2", "2", "3", "4", "a", "b");
        p.Same("SINTERCARD", "2", "sd:c1", "sd:c2");
        p.Same("SINTERCARD", "2", "sd:c1", "sd:c2", "LIMIT", "2");
        p.Same("SINTERCARD", "2", "sd:c1", "sd:c2", "limit", "0");
        p.Same("SINTERCARD", "2", "sd:c1", "sd:c2", "LIMIT", "100");
        p.Same("SINTERCARD", "1", "sd:c1");
        p.Same("SINTERCARD", "2", "sd:c1", "sd:nokey");
        p.Same("SINTERCARD", "0", "sd:c1");
        p.Same("SINTERCARD", "-1", "sd:c1");
        p.Same("SINTERCARD", "x", "sd:c1");
        p.Same("SINTERCARD", "3", "sd:c1", "sd:c2");
        p.Same("SINTERCARD", "2", "sd:c1", "sd:c2", "LIMIT");
        p.Same("SINTERCARD", "2", "sd:c1", "sd:c2", "LIMIT", "-1");
        p.Same("SINTERCARD", "2", "sd:c1", "sd:c2", "LIMIT", "x");
        p.Same("SINTERCARD", "2", "sd:c1", "sd:c2", "FOO", "1");
        p.Same("SINTERCARD", "1", "sd:c1", "sd:c2");
        p.Same("SINTERCARD", "2", "sd:c1", "sd:c1");
    }

    [Fact]
    public void AlgebraMatchesRedisOnIntegerSets()
    {
        using var p = f.Pair();
        p.Same("SADD", "sd:a1", "5", "1", "3", "7", "9");
        p.Same("SADD", "sd:a2", "3", "4", "5", "6");
        p.Same("SADD", "sd:a3", "x", "5", "3", "100");
        foreach (var op in new[] { "SINTER", "SUNION", "SDIFF" })
        {
            p.Same(op, "sd:a1");
            p.Same(op, "sd:a1", "sd:a2");
            p.Same(op, "sd:a2", "sd:a1");
            p.Same(op, "sd:a1", "sd:nokey");
            p.Same(op, "sd:nokey", "sd:a1");
            p.Same(op, "sd:a1", "sd:a1");
            // sd:a3 is a hashtable: where its order shows, compare as sets
            Assert.Equal(Sorted(p.Redis.Call(op, "sd:a1", "sd:a3")), Sorted(p.Ours.Call(op, "sd:a1", "sd:a3")));
            Assert.Equal(Sorted(p.Redis.Call(op, "sd:a1", "sd:a2", "sd:a3")), Sorted(p.Ours.Call(op, "sd:a1", "sd:a2", "sd:a3")));
            p.Same(op + "STORE", "sd:dst", "sd:a1", "sd:a2");
            p.Same("SMEMBERS", "sd:dst");
            SameEncoding(f, p, "sd:dst");
            p.Same(op + "STORE", "sd:dst", "sd:a1", "sd:a3");
            p.Same("SCARD", "sd:dst");
            p.Same(op + "STORE", "sd:dst", "sd:nokey", "sd:nokey2");
            p.Same("SCARD", "sd:dst");
            p.Same(op + "STORE", "sd:dst", "sd:nokey");
        }
        // the destination may be one of the sources, and any type is overwritten
        p.Same("SUNIONSTORE", "sd:a2", "sd:a2", "sd:a1");
        p.Same("SMEMBERS", "sd:a2");
        PutString(f, p, "sd:strdst", "x");
        p.Same("SINTERSTORE", "sd:strdst", "sd:a1", "sd:a2");
        p.Same("SMEMBERS", "sd:strdst");
        // SDIFF where Redis' second algorithm is used (first set small against big others)
        p.Same("SADD", "sd:small", "1", "2", "3");
        p.Same("SADD", "sd:bigint", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11");
        p.Same("SDIFF", "sd:small", "sd:bigint");
        p.Same("SDIFF", "sd:bigint", "sd:small", "sd:a1");
        p.Same("SDIFFSTORE", "sd:dd", "sd:small", "sd:bigint", "sd:nokey");
        p.Same("SMEMBERS", "sd:dd");
        p.Same("SDIFF", "sd:a1", "sd:a3");
        // Redis' second SDIFF algorithm copies the first set (a hashtable here) and keeps that encoding
        p.Same("SADD", "sd:mix", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "x");
        p.Same("SADD", "sd:onlyx", "x");
        p.Same("SADD", "sd:only2", "2");
        p.Same("SDIFFSTORE", "sd:mixd", "sd:mix", "sd:onlyx", "sd:only2");
        Assert.Equal("hashtable", SameEncoding(f, p, "sd:mixd"));
        p.Same("SDIFFSTORE", "sd:mixd2", "sd:mix", "sd:onlyx");
        Assert.Equal("intset", SameEncoding(f, p, "sd:mixd2"));
        p.Same("SMEMBERS", "sd:mixd2");
        p.Same("SDIFF", "sd:mix", "sd:onlyx");
    }

    [Fact]
    public void AlgebraOverStringMembersMatchesAsSets()
    {
        using var p = f.Pair();
        p.Same("SADD", "sd:s1", "a", "b", "c", "1");
        p.Same("SADD", "sd:s2", "b", "c", "d", "2");
        foreach (var op in new[] { "SINTER", "SUNION", "SDIFF" })
        {
            Assert.Equal(Sorted(p.Redis.Call(op, "sd:s1", "sd:s2")), Sorted(p.Ours.Call(op, "sd:s1", "sd:s2")));
            p.Same(op + "STORE", "sd:sdst", "sd:s1", "sd:s2");
            SameEncoding(f, p, "sd:sdst");
        }
        // members common to a string set that happen to be integers come back as a (sorted) intset
        p.Same("SADD", "sd:s3", "1", "2", "x");
        p.Same("SADD", "sd:s4", "2", "1", "y");
        p.Same("SINTERSTORE", "sd:s5", "sd:s3", "sd:s4");
        Assert.Equal("intset", SameEncoding(f, p, "sd:s5"));
        p.Same("SMEMBERS", "sd:s5");
        p.Same("SDIFF", "sd:s3", "sd:s4");
        p.Same("SUNION", "sd:s5", "sd:s5");
    }

    [Fact]
    public void SMoveMatchesRedis()
    {
        using var p = f.Pair();
        p.Same("SADD", "sd:m1", "1", "2", "a");
        p.Same("SADD", "sd:m2", "5");
        p.Same("SMOVE", "sd:m1", "sd:m2", "1");
        p.Same("SMOVE", "sd:m1", "sd:m2", "1");
        p.Same("SMOVE", "sd:m1", "sd:m2", "a");
        Assert.Equal(Sorted(p.Redis.Call("SMEMBERS", "sd:m2")), Sorted(p.Ours.Call("SMEMBERS", "sd:m2")));
        SameEncoding(f, p, "sd:m2");
        p.Same("SMOVE", "sd:m1", "sd:m1", "2");
        p.Same("SMOVE", "sd:m1", "sd:m1", "9");
        p.Same("SMOVE", "sd:m1", "sd:new", "2");
        p.Same("SCARD", "sd:m1");
        p.Same("SMEMBERS", "sd:new");
        SameEncoding(f, p, "sd:new");
        p.Same("SMOVE", "sd:nokey", "sd:new", "2");
        p.Same("SMOVE", "sd:new", "sd:new2", "x");
        p.Same("SMOVE", "sd:m2", "sd:new", "5");
        p.Same("SMEMBERS", "sd:new");
        p.Same("SMOVE", "sd:new", "sd:m3", "str");
        p.Same("SADD", "sd:m3", "str");
        p.Same("SMOVE", "sd:m3", "sd:new", "str");
    }

    [Fact]
    public void EncodingFollowsRedisThresholds()
    {
        using var p = f.Pair();
        var fill = new List<string> { "SADD", "sd:enc" };
        for (int i = 0; i < 512; i++) fill.Add((i * 7 - 1000).ToString());
        p.Same(fill.ToArray());
        Assert.Equal("intset", SameEncoding(f, p, "sd:enc"));
        p.Same("SMEMBERS", "sd:enc");
        p.Same("SSCAN", "sd:enc", "0", "COUNT", "3");
        p.Same("SADD", "sd:enc", "-1000");
        Assert.Equal("intset", SameEncoding(f, p, "sd:enc"));
        p.Same("SADD", "sd:enc", "123456");
        Assert.Equal("hashtable", SameEncoding(f, p, "sd:enc"));
        p.Same("SREM", "sd:enc", "123456", "-1000");
        Assert.Equal("hashtable", SameEncoding(f, p, "sd:enc"));
        Assert.Equal(Sorted(p.Redis.Call("SMEMBERS", "sd:enc")), Sorted(p.Ours.Call("SMEMBERS", "sd:enc")));
        // the union of a hashtable of small integers is a fresh intset again
        p.Same("SUNIONSTORE", "sd:enc2", "sd:enc");
        Assert.Equal("intset", SameEncoding(f, p, "sd:enc2"));
        p.Same("SUNION", "sd:enc");

        foreach (var (key, first) in new[] { ("sd:e1", "1"), ("sd:e2", "a"), ("sd:e3", "01"), ("sd:e4", "-0"), ("sd:e5", " 1"), ("sd:e6", "1.0"), ("sd:e7", "99999999999999999999") })
        {
            p.Same("SADD", key, first);
            SameEncoding(f, p, key);
        }
        p.Same("SADD", "sd:e1", "x");
        Assert.Equal("hashtable", SameEncoding(f, p, "sd:e1"));
    }

    [Fact]
    public void SPopAndSRandMemberMatchRedisWhereDeterministic()
    {
        using var p = f.Pair();
        p.Same("SADD", "sd:p", "3", "1", "2");
        p.Same("SRANDMEMBER", "sd:p", "3");
        p.Same("SRANDMEMBER", "sd:p", "100");
        p.Same("SRANDMEMBER", "sd:p", "0");
        p.Same("SPOP", "sd:p", "0");
        p.Same("SPOP", "sd:p", "3");
        p.Same("SCARD", "sd:p");
        p.Same("SADD", "sd:p2", "10", "20");
        p.Same("SPOP", "sd:p2", "100");
        // a hashtable holding only integers: SPOP of everything replies through a fresh intset (sorted)
        p.Same("SADD", "sd:ht", "15", "3", "9", "1", "12", "7", "x", "20", "5");
        p.Same("SREM", "sd:ht", "x");
        Assert.Equal("hashtable", SameEncoding(f, p, "sd:ht"));
        p.Same("SUNION", "sd:ht");
        p.Same("SPOP", "sd:ht", "100");
        p.Same("SADD", "sd:p3", "only");
        p.Same("SPOP", "sd:p3");
        p.Same("SPOP", "sd:p3");

        // randomized replies: shape, membership, distinctness
        var args = new List<string> { "SADD", "sd:rnd" };
        for (int i = 0; i < 300; i++) args.Add("m" + i);
        p.Same(args.ToArray());
        var rep = Flat(p.Ours.Call("SRANDMEMBER", "sd:rnd", "-1000"));
        Assert.Equal(1000, rep.Count);
        Assert.All(rep, m => Assert.StartsWith("m", m));
        foreach (var n in new[] { 1, 2, 99, 150, 299 })
        {
            var picked = Flat(p.Ours.Call("SRANDMEMBER", "sd:rnd", n.ToString()));
            Assert.Equal(n, picked.Distinct().Count());
        }
        Assert.Equal(300, Flat(p.Ours.Call("SRANDMEMBER", "sd:rnd", "300")).Distinct().Count());
        var popped = new HashSet<string?>();
        foreach (var n in new[] { 1, 10, 100, 150 })
        {
            var got = Flat(p.Ours.Call("SPOP", "sd:rnd", n.ToString()));
            Assert.Equal(n, got.Count);
            foreach (var m in got) Assert.True(popped.Add(m));
        }
        popped.Add(Flat("*1\r\n" + p.Ours.Call("SPOP", "sd:rnd"))[0]);
        Assert.Equal("*1\r\n:" + (300 - popped.Count) + "\r\n", "*1\r\n" + p.Ours.Call("SCARD", "sd:rnd"));
        var rest = Flat(p.Ours.Call("SPOP", "sd:rnd", "1000"));
        foreach (var m in rest) Assert.True(popped.Add(m));
        Assert.Equal(300, popped.Count);
        Assert.Equal(":0\r\n", p.Ours.Call("SCARD", "sd:rnd"));
    }

    [Fact]
    public void Resp3RepliesMatchRedis()
    {
        using var p = f.Pair();
        p.Both("HELLO", "3");
        p.Same("SADD", "sd:r3", "2", "1");
        p.Same("SADD", "sd:r3b", "2", "3");
        p.Same("SMEMBERS", "sd:r3");
        p.Same("SMEMBERS", "sd:nokey");
        p.Same("SINTER", "sd:r3", "sd:r3b");
        p.Same("SINTER", "sd:r3", "sd:nokey");
        p.Same("SUNION", "sd:r3", "sd:r3b");
        p.Same("SUNION", "sd:nokey");
        p.Same("SDIFF", "sd:r3", "sd:r3b");
        p.Same("SDIFF", "sd:nokey", "sd:r3");
        p.Same("SMISMEMBER", "sd:r3", "1", "5");
        p.Same("SRANDMEMBER", "sd:r3", "5");
        p.Same("SRANDMEMBER", "sd:r3", "0");
        p.Same("SRANDMEMBER", "sd:nokey", "5");
        p.Same("SRANDMEMBER", "sd:nokey");
        p.Same("SPOP", "sd:nokey");
        p.Same("SPOP", "sd:nokey", "2");
        p.Same("SPOP", "sd:r3", "0");
        p.Same("SSCAN", "sd:r3", "0");
        p.Same("SINTERCARD", "2", "sd:r3", "sd:r3b");
        Assert.StartsWith("~1\r\n", p.Ours.Call("SPOP", "sd:r3b", "1"));
        Assert.StartsWith("*3\r\n", p.Ours.Call("SRANDMEMBER", "sd:r3", "-3"));
        p.Same("SPOP", "sd:r3", "5");
    }

    [Fact]
    public void BinaryMembersRoundTrip()
    {
        using var p = f.Pair();
        string bin = "\0\r\n\u00ff";
        p.Same("SADD", "sd:bin", bin, "", "plain");
        p.Same("SISMEMBER", "sd:bin", bin);
        p.Same("SISMEMBER", "sd:bin", "");
        p.Same("SMISMEMBER", "sd:bin", "\0", bin);
        p.Same("SSCAN", "sd:bin", "0", "MATCH", "\0*", "COUNT", "100");
        p.Same("SREM", "sd:bin", bin);
        p.Same("SADD", "sd:bin2", bin);
        p.Same("SINTER", "sd:bin2", "sd:bin2");
        p.Same("SPOP", "sd:bin2");
    }

    [Fact]
    public void SScanOverHashtableVisitsEveryMemberWhileGrowing()
    {
        using var p = f.Pair();
        var args = new List<string> { "SADD", "sd:big" };
        for (int i = 0; i < 1000; i++) args.Add("m" + i);
        p.Same(args.ToArray());
        var seen = new HashSet<string?>();
        string cursor = "0";
        int round = 0;
        do
        {
            var items = Flat(p.Ours.Call("SSCAN", "sd:big", cursor, "COUNT", "25"));
            cursor = items[0]!;
            foreach (var m in items.Skip(1)) seen.Add(m);
            // grow the set during the iteration: the original members must all still be returned
            var more = new List<string> { "SADD", "sd:big" };
            for (int i = 0; i < 50; i++) more.Add($"new{round}-{i}");
            p.Ours.Call(more.ToArray());
            round++;
        } while (cursor != "0");
        for (int i = 0; i < 1000; i++) Assert.Contains("m" + i, seen);
    }
}
