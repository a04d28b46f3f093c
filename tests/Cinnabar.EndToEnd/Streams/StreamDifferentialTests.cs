using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Streams;

/// <summary>Stream commands compared byte for byte with Redis 7.0 (explicit IDs keep replies deterministic).</summary>
public sealed class StreamDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    /// <summary>Compares with every integer masked: idle and delivery times differ between the two servers.</summary>
    private static void SameMasked(DiffPair p, params string[] args)
    {
        static string Mask(string r) => System.Text.RegularExpressions.Regex.Replace(r, @":\d+\r\n", ":N\r\n");
        var expected = Mask(p.Redis.Call(args));
        var actual = Mask(p.Ours.Call(args));
        Assert.True(expected == actual, $"reply differs for: {string.Join(' ', args)}\n  redis:    {DiffPair.Escape(expected)}\n  cinnabar: {DiffPair.Escape(actual)}");
    }

    private static void Fill(DiffPair p, string key, int n, int fieldsVariant = 0)
    {
        for (int i = 1; i <= n; i++)
        {
            if (fieldsVariant == 0 || i % 3 != 0) p.Same("XADD", key, $"{i}-1", "sensor", i.ToString(), "temp", "25.5");
            else p.Same("XADD", key, $"{i}-1", "other", "x", "y", "z", "w", "v");
        }
    }

    [Fact]
    public void XAddIdsAndErrors()
    {
        using var p = f.Pair();
        const string k = "sd:add";
        p.Same("XADD", k, "1-1", "a", "1");
        p.Same("XADD", k, "1-1", "a", "1");
        p.Same("XADD", k, "1-0", "a", "1");
        p.Same("XADD", k, "1-*", "a", "2");
        p.Same("XADD", k, "1", "a", "2");
        p.Same("XADD", k, "5", "a", "2");
        p.Same("XADD", k, "5-*", "a", "3");
        p.Same("XADD", k, "4-*", "a", "3");
        p.Same("XADD", k, "0-0", "a", "3");
        p.Same("XADD", "sd:add2", "0-0", "a", "3");
        p.Same("XADD", "sd:add2", "0-*", "a", "3");
        p.Same("XLEN", "sd:add2");
        p.Same("XADD", k, "abc", "a", "3");
        p.Same("XADD", k, "1-abc", "a", "3");
        p.Same("XADD", k, "-1", "a", "3");
        p.Same("XADD", k, "+", "a", "3");
        p.Same("XADD", k, "-", "a", "3");
        p.Same("XADD", k, "6-1", "a");
        p.Same("XADD", k, "6-1", "a", "1", "b");
        p.Same("XADD", k, "6-1");
        p.Same("XADD", k);
        p.Same("XADD", k, "18446744073709551615-18446744073709551615", "a", "1");
        p.Same("XADD", k, "*", "a", "1");
        p.Same("XADD", k, "18446744073709551615-*", "a", "1");
        p.Same("XADD", k, "18446744073709551616-1", "a", "1");
        p.Same("XADD", "sd:nomk", "NOMKSTREAM", "1-1", "a", "1");
        p.Same("XLEN", "sd:nomk");
        p.Same("XADD", k, "NOMKSTREAM", "MAXLEN", "x", "*", "a", "1");
        p.Same("XADD", k, "MAXLEN", "-1", "*", "a", "1");
        p.Same("XADD", k, "MAXLEN", "1", "MINID", "1", "*", "a", "1");
        p.Same("XADD", k, "LIMIT", "10", "*", "a", "1");
        p.Same("XADD", k, "MAXLEN", "10", "LIMIT", "10", "*", "a", "1");
        p.Same("XADD", k, "MAXLEN", "~", "10", "LIMIT", "-1", "*", "a", "1");
        p.Same("XADD", k, "MINID", "=", "abc", "*", "a", "1");
        p.Same("XADD", k, "MAXLEN");
        p.Same("XLEN", k);
        p.Same("SET", "sd:str", "x");
        p.Same("XADD", "sd:str", "1-1", "a", "1");
        p.Same("XLEN", "sd:str");
        p.Same("XLEN", "sd:none");
        p.Same("XADD", "sd:bin", "1-1", "f\r\n\0", "v\0\xff");
        p.Same("XRANGE", "sd:bin", "-", "+");
    }

    [Fact]
    public void XRangeForms()
    {
        using var p = f.Pair();
        const string k = "sd:range";
        Fill(p, k, 30, 1);
        p.Same("XRANGE", k, "-", "+");
        p.Same("XREVRANGE", k, "+", "-");
        p.Same("XRANGE", k, "5", "9");
        p.Same("XRANGE", k, "5-1", "9-0");
        p.Same("XRANGE", k, "(5-1", "(9-1");
        p.Same("XREVRANGE", k, "(9-1", "(5-1");
        p.Same("XRANGE", k, "-", "+", "COUNT", "3");
        p.Same("XREVRANGE", k, "+", "-", "COUNT", "3");
        p.Same("XRANGE", k, "-", "+", "COUNT", "0");
        p.Same("XRANGE", k, "-", "+", "COUNT", "-5");
        p.Same("XRANGE", k, "-", "+", "COUNT", "x");
        p.Same("XRANGE", k, "-", "+", "COUNT");
        p.Same("XRANGE", k, "-", "+", "LIMIT", "1");
        p.Same("XRANGE", k, "(-", "+");
        p.Same("XRANGE", k, "(0-0", "+", "COUNT", "1");
        p.Same("XRANGE", k, "-", "(0-0");
        p.Same("XRANGE", k, "(18446744073709551615-18446744073709551615", "+");
        p.Same("XRANGE", k, "x", "+");
        p.Same("XRANGE", k, "9", "5");
        p.Same("XRANGE", "sd:none", "-", "+");
        p.Same("XRANGE", "sd:none", "-", "+", "COUNT", "0");
        p.Same("XRANGE", k, "-");
        p.Same("XRANGE", k, "(", "+");
        p.Same("XRANGE", k, "((5", "+");
        p.Same("XRANGE", k, "+", "+");
        p.Same("XRANGE", k, "-", "-");
        p.Both("HELLO", "3");
        p.Same("XRANGE", k, "-", "+", "COUNT", "2");
        p.Same("XRANGE", k, "-", "+", "COUNT", "0");
    }

    [Fact]
    public void XDelXTrimAndInfo()
    {
        using var p = f.Pair();
        const string k = "sd:trim";
        Fill(p, k, 350);
        p.Same("XDEL", k, "1-1", "2-1", "2-1", "999-1");
        p.Same("XDEL", k, "1-1", "bad");
        p.Same("XDEL", "sd:none", "1-1");
        // XTRIM checks its arguments before the key: errors on a missing key and before WRONGTYPE.
        p.Same("XTRIM", "sd:none", "MAXLEN", "=", "11-2");
        p.Same("XTRIM", "sd:none", "MINID", "bad");
        p.Same("XTRIM", "sd:none", "MAXLEN", "-1");
        p.Same("XTRIM", "sd:none", "LIMIT", "5");
        p.Both("SET", "sd:str", "x");
        p.Same("XTRIM", "sd:str", "MAXLEN", "x");
        p.Same("XTRIM", "sd:str", "MAXLEN", "1");
        p.Same("XINFO", "STREAM", k);
        p.Same("XTRIM", k, "MAXLEN", "~", "300");
        p.Same("XLEN", k);
        p.Same("XTRIM", k, "MAXLEN", "~", "100", "LIMIT", "150");
        p.Same("XLEN", k);
        p.Same("XTRIM", k, "MAXLEN", "250");
        p.Same("XTRIM", k, "MAXLEN", "=", "240");
        p.Same("XTRIM", k, "MINID", "200");
        p.Same("XTRIM", k, "MINID", "~", "250");
        p.Same("XTRIM", k, "MINID", "~", "300", "LIMIT", "0");
        p.Same("XINFO", "STREAM", k);
        p.Same("XTRIM", k);
        p.Same("XTRIM", k, "LIMIT", "10");
        p.Same("XTRIM", k, "MAXLEN", "10", "LIMIT", "10");
        p.Same("XTRIM", k, "FOO", "10");
        p.Same("XTRIM", k, "MAXLEN", "-1");
        p.Same("XTRIM", "sd:none", "FOO");
        p.Same("XTRIM", k, "MAXLEN", "0");
        p.Same("XINFO", "STREAM", k);
        p.Same("XADD", k, "MAXLEN", "2", "1000-1", "a", "b");
        p.Same("XADD", k, "MAXLEN", "2", "1001-1", "a", "b");
        p.Same("XADD", k, "MAXLEN", "2", "1002-1", "a", "b");
        p.Same("XINFO", "STREAM", k);
        SameMasked(p, "XINFO", "STREAM", k, "FULL");
        SameMasked(p, "XINFO", "STREAM", k, "FULL", "COUNT", "1");
        p.Same("XINFO", "STREAM", k, "FULL", "COUNT");
        p.Same("XINFO", "STREAM", k, "FOO");
        p.Same("XINFO", "STREAM", "sd:none");
        p.Same("XINFO", "STREAM", "sd:str2");
        p.Same("XINFO", "GROUPS", k);
        p.Same("XINFO", "FOO", k);
        p.Same("XINFO", "HELP");
        p.Same("XINFO");
        p.Both("HELLO", "3");
        p.Same("XINFO", "STREAM", k);
        SameMasked(p, "XINFO", "STREAM", k, "FULL");
    }

    [Fact]
    public void RadixTreeNodesMatchForManyNodes()
    {
        using var p = f.Pair();
        const string k = "sd:rax";
        for (int i = 1; i <= 2500; i++) p.Both("XADD", k, $"{i * 7919}-{i % 5}", "f", "v");
        p.Same("XINFO", "STREAM", k);
        p.Same("XTRIM", k, "MAXLEN", "~", "1234");
        p.Same("XINFO", "STREAM", k);
        p.Same("XDEL", k, "7919000-0");
        p.Same("XINFO", "STREAM", "sd:empty-none");
    }

    [Fact]
    public void NodesFillByListpackBytesLikeRedis()
    {
        using var p = f.Pair();
        const string k = "sd:bytes";
        var rnd = new Random(7);
        for (int i = 1; i <= 400; i++)
        {
            int len = rnd.Next(4) switch { 0 => rnd.Next(1, 10), 1 => rnd.Next(50, 70), 2 => rnd.Next(100, 300), _ => rnd.Next(1000, 5000) };
            var value = new string((char)('a' + i % 26), len);
            if (i % 7 == 0) p.Both("XADD", k, $"{i * 1000}-{i}", "field", value, "n", (i * 12345).ToString());
            else if (i % 5 == 0) p.Both("XADD", k, $"{i * 1000}-{i}", "other", value);
            else p.Both("XADD", k, $"{i * 1000}-{i}", "field", value, "n", "-" + i);
            if (i % 50 == 0) p.Same("XINFO", "STREAM", k);
        }
        p.Same("XTRIM", k, "MAXLEN", "~", "200");
        p.Same("XINFO", "STREAM", k);
        p.Same("XTRIM", k, "MINID", "~", "300000");
        p.Same("XINFO", "STREAM", k);
    }

    [Fact]
    public void XSetIdAndEmptyStreams()
    {
        using var p = f.Pair();
        const string k = "sd:setid";
        p.Same("XSETID", k, "5-5");
        p.Same("XADD", k, "5-5", "a", "1");
        p.Same("XADD", k, "6-0", "a", "1");
        p.Same("XSETID", k, "5-0");
        p.Same("XSETID", k, "6-0");
        p.Same("XSETID", k, "10-0", "ENTRIESADDED", "1");
        p.Same("XSETID", k, "10-0", "ENTRIESADDED", "-1");
        p.Same("XSETID", k, "10-0", "ENTRIESADDED", "5", "MAXDELETEDID", "11-0");
        p.Same("XSETID", k, "10-0", "ENTRIESADDED", "5", "MAXDELETEDID", "3-0");
        p.Same("XINFO", "STREAM", k);
        p.Same("XSETID", k, "2-0");
        p.Same("XSETID", k, "-");
        p.Same("XSETID", k, "10-0", "FOO");
        p.Same("XSETID", k, "10-0", "ENTRIESADDED");
        p.Same("XDEL", k, "5-5", "6-0");
        p.Same("XINFO", "STREAM", k);
        p.Same("XSETID", k, "4-0");
        p.Same("XSETID", k, "20-0");
        p.Same("XADD", k, "15-0", "a", "1");
        // An automatic ID comes from each server's clock, which may tick between the two calls: compare the
        // reply's shape (a bulk ID past 20-0), not its millisecond.
        var theirs = p.Redis.Call("XADD", k, "*", "a", "1");
        var ours = p.Ours.Call("XADD", k, "*", "a", "1");
        Assert.Matches(@"^\$\d+\r\n\d{13}-0\r\n$", theirs);
        Assert.Matches(@"^\$\d+\r\n\d{13}-0\r\n$", ours);
        p.Same("XLEN", k);
    }

    [Fact]
    public void XReadNonBlocking()
    {
        using var p = f.Pair();
        Fill(p, "sd:r1", 5);
        Fill(p, "sd:r2", 3);
        p.Same("XREAD", "STREAMS", "sd:r1", "0");
        p.Same("XREAD", "COUNT", "2", "STREAMS", "sd:r1", "sd:r2", "0", "1-1");
        p.Same("XREAD", "STREAMS", "sd:r1", "sd:r2", "$", "$");
        p.Same("XREAD", "STREAMS", "sd:r1", "sd:none", "3", "0");
        p.Same("XREAD", "STREAMS", "sd:none", "0");
        p.Same("XREAD", "STREAMS", "sd:r1", "sd:r2", "0");
        p.Same("XREAD", "STREAMS", "sd:r1", ">");
        p.Same("XREAD", "STREAMS", "sd:r1", "bad");
        p.Same("XREAD", "GROUP", "g", "c", "STREAMS", "sd:r1", "0");
        p.Same("XREAD", "NOACK", "STREAMS", "sd:r1", "0");
        p.Same("XREAD", "COUNT", "x", "STREAMS", "sd:r1", "0");
        p.Same("XREAD", "BLOCK", "-1", "STREAMS", "sd:r1", "0");
        p.Same("XREAD", "BLOCK", "x", "STREAMS", "sd:r1", "0");
        p.Same("XREAD", "BLOCK", "9223372036854775807", "STREAMS", "sd:r1", "0");
        p.Same("XREAD", "BLOCK", "9223372036854775808", "STREAMS", "sd:r1", "0");
        p.Same("XREAD", "BLOCK", "0", "STREAMS", "sd:r1", "0");
        p.Same("XREAD", "FOO", "STREAMS", "sd:r1", "0");
        p.Same("XREAD", "COUNT", "1", "sd:r1", "0");
        p.Same("XREAD", "STREAMS");
        p.Same("XREAD", "COUNT", "-3", "STREAMS", "sd:r1", "4");
        p.Same("SET", "sd:rs", "x");
        p.Same("XREAD", "STREAMS", "sd:rs", "0");
        p.Both("HELLO", "3");
        p.Same("XREAD", "COUNT", "1", "STREAMS", "sd:r1", "sd:r2", "0", "0");
        p.Same("XREAD", "STREAMS", "sd:none", "0");
    }

    [Fact]
    public void ConsumerGroupsLifecycle()
    {
        using var p = f.Pair();
        const string k = "sd:cg";
        Fill(p, k, 10);
        p.Same("XGROUP", "CREATE", k, "g1", "0");
        p.Same("XGROUP", "CREATE", k, "g1", "0");
        p.Same("XGROUP", "CREATE", k, "g2", "$");
        p.Same("XGROUP", "CREATE", k, "g3", "3-1", "ENTRIESREAD", "3");
        p.Same("XGROUP", "CREATE", k, "g4", "3-1", "ENTRIESREAD", "-2");
        p.Same("XGROUP", "CREATE", k, "g4", "bad");
        p.Same("XGROUP", "CREATE", k, "g4", "0", "FOO");
        p.Same("XGROUP", "CREATE", "sd:cgnone", "g", "$");
        p.Same("XGROUP", "CREATE", "sd:cgnew", "g", "$", "MKSTREAM");
        p.Same("XINFO", "STREAM", "sd:cgnew");
        p.Same("XINFO", "GROUPS", k);
        p.Same("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", k, ">");
        p.Same("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", k, ">");
        p.Same("XREADGROUP", "GROUP", "g1", "alice", "STREAMS", k, "0");
        p.Same("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "1", "STREAMS", k, "1-1");
        p.Same("XREADGROUP", "GROUP", "g1", "carol", "NOACK", "COUNT", "1", "STREAMS", k, ">");
        p.Same("XREADGROUP", "GROUP", "g9", "alice", "STREAMS", k, ">");
        p.Same("XREADGROUP", "GROUP", "g1", "alice", "STREAMS", k, "$");
        p.Same("XREADGROUP", "GROUP", "g1", "alice", "STREAMS", k);
        p.Same("XREADGROUP", "GROUP", "g1", "alice", "STREAMS", k, "sd:none", ">", ">");
        p.Same("XREADGROUP", "STREAMS", k, ">");
        p.Same("XREADGROUP", "GROUP", "g2", "alice", "STREAMS", k, ">");
        p.Same("XREADGROUP", "GROUP", "g2", "alice", "BLOCK", "0", "STREAMS", k, "0");
        p.Same("XINFO", "GROUPS", k);
        p.Same("XPENDING", k, "g1");
        SameMasked(p, "XPENDING", k, "g1", "-", "+", "10");
        SameMasked(p, "XPENDING", k, "g1", "-", "+", "10", "bob");
        p.Same("XPENDING", k, "g1", "-", "+", "10", "nobody");
        SameMasked(p, "XPENDING", k, "g1", "(1-1", "+", "2");
        p.Same("XPENDING", k, "g1", "-", "+", "0");
        p.Same("XPENDING", k, "g1", "-", "+", "x");
        p.Same("XPENDING", k, "g1", "IDLE", "x", "-", "+", "10");
        p.Same("XPENDING", k, "g1", "IDLE", "100000", "-", "+", "10");
        p.Same("XPENDING", k, "g1", "IDLE", "10", "-", "+");
        p.Same("XPENDING", k, "g1", "-", "+");
        p.Same("XPENDING", k, "g9");
        p.Same("XPENDING", "sd:none", "g1");
        p.Same("XPENDING", k, "g2");
        p.Same("XACK", k, "g1", "1-1", "2-1", "99-1");
        p.Same("XACK", k, "g1", "1-1", "bad");
        p.Same("XACK", k, "g9", "1-1");
        p.Same("XACK", "sd:none", "g1", "1-1");
        p.Same("XPENDING", k, "g1");
        p.Same("XDEL", k, "4-1");
        p.Same("XINFO", "GROUPS", k);
        p.Same("XGROUP", "CREATECONSUMER", k, "g1", "dave");
        p.Same("XGROUP", "CREATECONSUMER", k, "g1", "dave");
        p.Same("XGROUP", "CREATECONSUMER", k, "g9", "dave");
        p.Same("XGROUP", "DELCONSUMER", k, "g1", "bob");
        p.Same("XGROUP", "DELCONSUMER", k, "g1", "nobody");
        p.Same("XPENDING", k, "g1");
        p.Same("XGROUP", "SETID", k, "g1", "0");
        p.Same("XGROUP", "SETID", k, "g1", "$", "ENTRIESREAD", "10");
        p.Same("XGROUP", "SETID", k, "g1", "2-1", "ENTRIESREAD", "x");
        p.Same("XGROUP", "SETID", k, "g1", "2-1", "FOO", "1");
        p.Same("XGROUP", "SETID", k, "g1", "2-1", "FOO");
        p.Same("XGROUP", "SETID", k, "g9", "0");
        p.Same("XGROUP", "SETID", k, "g1", "0");
        p.Same("XREADGROUP", "GROUP", "g1", "erin", "COUNT", "2", "STREAMS", k, ">");
        p.Same("XPENDING", k, "g1");
        p.Same("XINFO", "GROUPS", k);
        p.Same("XGROUP", "DESTROY", k, "g2");
        p.Same("XGROUP", "DESTROY", k, "g2");
        p.Same("XGROUP", "DESTROY", "sd:none", "g2");
        p.Same("XGROUP", "HELP");
        p.Same("XGROUP", "FOO");
        p.Same("XGROUP", "CREATE", k);
        p.Same("XGROUP");
        p.Both("HELLO", "3");
        p.Same("XINFO", "GROUPS", k);
        p.Same("XPENDING", k, "g1");
        p.Same("XREADGROUP", "GROUP", "g1", "erin", "COUNT", "1", "STREAMS", k, "0");
        p.Same("XREADGROUP", "GROUP", "g1", "erin", "COUNT", "1", "STREAMS", k, ">");
    }

    [Fact]
    public void XInfoConsumersInBothProtocols()
    {
        using var p = f.Pair();
        const string k = "sd:cons";
        Fill(p, k, 4);
        p.Same("XGROUP", "CREATE", k, "g", "0");
        p.Same("XINFO", "CONSUMERS", k, "g");
        p.Same("XREADGROUP", "GROUP", "g", "zed", "COUNT", "1", "STREAMS", k, ">");
        p.Same("XREADGROUP", "GROUP", "g", "amy", "COUNT", "2", "STREAMS", k, ">");
        p.Same("XGROUP", "CREATECONSUMER", k, "g", "mid");
        SameMasked(p, "XINFO", "CONSUMERS", k, "g");
        p.Same("XINFO", "CONSUMERS", k, "nope");
        p.Same("XINFO", "CONSUMERS", "sd:none", "g");
        p.Both("HELLO", "3");
        SameMasked(p, "XINFO", "CONSUMERS", k, "g");
        SameMasked(p, "XINFO", "STREAM", k, "FULL");
        SameMasked(p, "XPENDING", k, "g", "-", "+", "10");
        p.Same("XPENDING", k, "g");
        p.Same("XREAD", "STREAMS", k, "sd:none", "0", "0");
        p.Same("XREAD", "STREAMS", k, "$");
    }

    [Fact]
    public void LagAndEntriesReadFollowRedis()
    {
        using var p = f.Pair();
        const string k = "sd:lag";
        p.Same("XGROUP", "CREATE", k, "g", "$", "MKSTREAM");
        p.Same("XINFO", "GROUPS", k);
        Fill(p, k, 6);
        p.Same("XINFO", "GROUPS", k);
        p.Same("XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", k, ">");
        p.Same("XINFO", "GROUPS", k);
        p.Same("XDEL", k, "5-1");
        p.Same("XINFO", "GROUPS", k);
        p.Same("XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", k, ">");
        p.Same("XINFO", "GROUPS", k);
        p.Same("XREADGROUP", "GROUP", "g", "c", "STREAMS", k, ">");
        p.Same("XINFO", "GROUPS", k);
        p.Same("XGROUP", "CREATE", k, "h", "0");
        p.Same("XDEL", k, "1-1");
        p.Same("XINFO", "GROUPS", k);
        p.Same("XGROUP", "SETID", k, "h", "2-1");
        p.Same("XINFO", "GROUPS", k);
        p.Same("XTRIM", k, "MAXLEN", "0");
        p.Same("XINFO", "GROUPS", k);
        SameMasked(p, "XINFO", "STREAM", k, "FULL");
    }

    [Fact]
    public void ClaimingErrorsAndDeletedEntries()
    {
        using var p = f.Pair();
        const string k = "sd:claim";
        Fill(p, k, 6);
        p.Same("XGROUP", "CREATE", k, "g", "0");
        p.Same("XREADGROUP", "GROUP", "g", "a", "STREAMS", k, ">");
        p.Same("XDEL", k, "2-1");
        p.Same("XCLAIM", k, "g", "b", "0", "1-1", "2-1", "JUSTID");
        p.Same("XCLAIM", k, "g", "b", "100000000", "3-1");
        p.Same("XCLAIM", k, "g", "b", "x", "3-1");
        p.Same("XCLAIM", k, "g", "b", "0", "3-1", "IDLE", "x");
        p.Same("XCLAIM", k, "g", "b", "0", "3-1", "TIME", "x");
        p.Same("XCLAIM", k, "g", "b", "0", "3-1", "RETRYCOUNT", "x");
        p.Same("XCLAIM", k, "g", "b", "0", "3-1", "LASTID", "x");
        p.Same("XCLAIM", k, "g", "b", "0", "3-1", "BOGUS");
        p.Same("XCLAIM", k, "g", "b", "0", "3-1", "RETRYCOUNT", "7", "JUSTID");
        p.Same("XCLAIM", k, "g", "b", "0", "3-1", "4-1");
        p.Same("XCLAIM", k, "g", "b", "0", "99-1", "FORCE");
        p.Same("XCLAIM", k, "g", "b", "0", "6-1", "FORCE", "LASTID", "50-0");
        p.Same("XCLAIM", k, "g9", "b", "0", "3-1");
        p.Same("XCLAIM", "sd:none", "g", "b", "0", "3-1");
        SameMasked(p, "XPENDING", k, "g", "-", "+", "10", "b");
        p.Same("XINFO", "GROUPS", k);
        p.Same("XDEL", k, "5-1");
        p.Same("XAUTOCLAIM", k, "g", "c", "0", "0", "COUNT", "2");
        p.Same("XAUTOCLAIM", k, "g", "c", "0", "0", "COUNT", "2", "JUSTID");
        p.Same("XAUTOCLAIM", k, "g", "c", "0", "0");
        p.Same("XAUTOCLAIM", k, "g", "c", "100000000", "0");
        p.Same("XAUTOCLAIM", k, "g", "c", "x", "0");
        p.Same("XAUTOCLAIM", k, "g", "c", "0", "x");
        p.Same("XAUTOCLAIM", k, "g", "c", "0", "0", "COUNT", "0");
        p.Same("XAUTOCLAIM", k, "g", "c", "0", "0", "COUNT", "x");
        p.Same("XAUTOCLAIM", k, "g", "c", "0", "0", "FOO");
        p.Same("XAUTOCLAIM", k, "g9", "c", "0", "0");
        p.Same("XAUTOCLAIM", "sd:none", "g", "c", "0", "0");
        p.Same("XAUTOCLAIM", k, "g", "c", "0", "(0-0");
        p.Same("XREADGROUP", "GROUP", "g", "c", "STREAMS", k, "0");
        p.Both("HELLO", "3");
        p.Same("XAUTOCLAIM", k, "g", "d", "0", "-", "COUNT", "1");
        p.Same("XCLAIM", k, "g", "d", "0", "3-1", "4-1");
    }
}

/// <summary>Error paths shared by every stream command: wrong type, arity, binary names in errors.</summary>
public sealed class StreamErrorDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Fact]
    public void WrongTypeAndArity()
    {
        using var p = f.Pair();
        p.Same("SET", "se:str", "x");
        foreach (var cmd in new[]
        {
            new[] { "XADD", "se:str", "*", "a", "1" }, ["XLEN", "se:str"], ["XRANGE", "se:str", "-", "+"],
            ["XREVRANGE", "se:str", "+", "-"], ["XDEL", "se:str", "1-1"], ["XTRIM", "se:str", "MAXLEN", "1"],
            ["XSETID", "se:str", "1-1"], ["XREAD", "STREAMS", "se:str", "0"],
            ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "se:str", ">"], ["XACK", "se:str", "g", "1-1"],
            ["XPENDING", "se:str", "g"], ["XCLAIM", "se:str", "g", "c", "0", "1-1"],
            ["XAUTOCLAIM", "se:str", "g", "c", "0", "0"], ["XGROUP", "CREATE", "se:str", "g", "$"],
            ["XGROUP", "CREATE", "se:str", "g", "$", "MKSTREAM"],
            ["XINFO", "STREAM", "se:str"], ["XINFO", "GROUPS", "se:str"], ["XINFO", "CONSUMERS", "se:str", "g"],
        })
        {
            p.Same(cmd);
        }
        foreach (var cmd in new[]
        {
            new[] { "XADD", "k", "*", "a" }, ["XLEN"], ["XLEN", "a", "b"], ["XRANGE", "k", "-"], ["XDEL", "k"],
            ["XTRIM", "k", "MAXLEN"], ["XSETID", "k"], ["XREAD", "STREAMS", "k"], ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "k"],
            ["XACK", "k", "g"], ["XPENDING", "k"], ["XCLAIM", "k", "g", "c", "0"], ["XAUTOCLAIM", "k", "g", "c", "0"],
            ["XGROUP", "CREATE", "k", "g"], ["XGROUP", "DESTROY", "k"], ["XGROUP", "CREATECONSUMER", "k", "g"],
            ["XGROUP", "DELCONSUMER", "k", "g", "c", "d"], ["XGROUP", "HELP", "x"], ["XINFO", "GROUPS"], ["XINFO", "CONSUMERS", "k"],
            ["XINFO", "STREAM"], ["XINFO", "HELP", "x"], ["XINFO", "NOPE", "k"], ["XGROUP", "NOPE", "k"],
        })
        {
            p.Same(cmd);
        }
    }

    [Fact]
    public void BinaryNamesInGroupErrorsAndReplies()
    {
        using var p = f.Pair();
        p.Same("XADD", "se:bin\r\nx", "1-1", "f", "v");
        p.Same("XPENDING", "se:bin\r\nx", "g\0hidden");
        p.Same("XCLAIM", "se:bin\r\nx", "g\0hidden", "c", "0", "1-1");
        p.Same("XREADGROUP", "GROUP", "g\nx", "c", "STREAMS", "se:bin\r\nx", ">");
        p.Same("XINFO", "CONSUMERS", "se:bin\r\nx", "g\r\n");
        p.Same("XGROUP", "SETID", "se:bin\r\nx", "g\0x", "0");
        p.Same("XGROUP", "CREATE", "se:bin\r\nx", "g\0\xff", "0");
        p.Same("XREADGROUP", "GROUP", "g\0\xff", "c\0\xfe", "STREAMS", "se:bin\r\nx", ">");
        p.Same("XPENDING", "se:bin\r\nx", "g\0\xff");
        p.Same("XINFO", "GROUPS", "se:bin\r\nx");
        p.Same("XCLAIM", "se:bin\r\nx", "g\0\xff", "c", "0", "1-1", "J\0USTID");
        p.Same("XGROUP", "CREATE", "se:bin\r\nx", "g", "0", "ENTRIESREAD");
        p.Same("XGROUP", "SETID", "se:bin\r\nx", "g\0\xff", "-");
        p.Same("XGROUP", "SETID", "se:bin\r\nx", "g\0\xff", "+");
        p.Same("XINFO", "GROUPS", "se:bin\r\nx");
        p.Same("XREAD", "STREAMS", "se:bin\r\nx", "1-0\0junk");
    }

    [Fact]
    public void OddArgumentShapes()
    {
        using var p = f.Pair();
        const string k = "se:odd";
        p.Same("XADD", k, "1-1", "a", "1");
        foreach (var cmd in new[]
        {
            new[] { "XADD", k, "NOMKSTREAM" }, ["XADD", k, "NOMKSTREAM", "a", "b"], ["XADD", k, "MAXLEN", "1", "a", "b"],
            ["XADD", k, "MAXLEN", "~", "a", "b"], ["XADD", k, "MAXLEN", "=", "1"], ["XADD", k, "MINID", "~"],
            ["XADD", k, "LIMIT", "5", "MAXLEN", "~", "5", "2-1", "a", "b"], ["XADD", k, "maxlen", "=", "0", "3-1", "a", "b"],
            ["XADD", k, "*"], ["XADD", k, "* ", "a", "b"], ["XADD", k, "5-1 ", "a", "b"], ["XADD", k, " 6-1", "a", "b"],
            ["XADD", k, "007-0010", "a", "b"], ["XADD", k, "+8-1", "a", "b"], ["XADD", k, "9-+1", "a", "b"],
            ["XADD", k, "10--0", "a", "b"], ["XADD", k, "-0", "a", "b"], ["XADD", k, "11-18446744073709551615", "a", "b"],
            ["XADD", k, "11-*", "a", "b"], ["XADD", k, "12-18446744073709551616", "a", "b"],
            ["XRANGE", k, "-", "+"], ["XRANGE", k, "(-", "(+"], ["XRANGE", k, "(1", "+"], ["XRANGE", k, "-", "(12"],
            ["XRANGE", k, "-", "+", "COUNT", "1", "COUNT", "2"], ["XRANGE", k, "-", "+", "count", "1", "extra"],
            ["XREVRANGE", k, "(11-18446744073709551615", "-"], ["XREVRANGE", k, "+", "(0-1"],
            ["XTRIM", k, "MAXLEN", "~", "0", "LIMIT", "0"], ["XTRIM", k, "MINID", "-"], ["XTRIM", k, "MINID", "=", "+"],
            ["XTRIM", k, "MAXLEN", "1", "MAXLEN", "2"], ["XTRIM", k, "MAXLEN", "1", "extra"],
            ["XREAD", "COUNT", "1", "COUNT", "2", "STREAMS", k, "0"], ["XREAD", "STREAMS", "STREAMS", k, "0"],
            ["XREAD", "BLOCK", "10", "COUNT", "1", "STREAMS", k, "x"], ["XREAD", "streams", k, k, "0", "5"],
            ["XREADGROUP", "GROUP", "g", "STREAMS", k, ">"], ["XREADGROUP", "GROUP", "g", "c", "NOACK", "NOACK", "STREAMS", k, ">"],
            ["XPENDING", k, "g", "-", "+", "1", "c", "extra"], ["XPENDING", k, "g", "IDLE", "1", "-", "+", "1", "c", "x"],
            ["XPENDING", k, "g", "-"], ["XACK", k, "g", "-"], ["XDEL", k, "+"], ["XSETID", k, "+"],
            ["XCLAIM", k, "g", "c", "-1", "1-1"], ["XCLAIM", k, "g", "c", "0", "IDLE"], ["XAUTOCLAIM", k, "g", "c", "0", "+"],
            ["XAUTOCLAIM", k, "g", "c", "0", "(+"], ["XAUTOCLAIM", k, "g", "c", "0", "(18446744073709551615-18446744073709551615"],
            ["XAUTOCLAIM", k, "g", "c", "0", "0", "COUNT", "1152921504606846976"], ["XAUTOCLAIM", k, "g", "c", "0", "0", "COUNT"],
            ["XINFO", "STREAM", k, "FULL", "COUNT", "-1"], ["XINFO", "STREAM", k, "full", "count", "x"],
            ["XINFO", "STREAM", k, "FULL", "LIMIT", "1"], ["XINFO", "CONSUMERS", k, "g"],
            ["XGROUP", "CREATE", k, "g", "$", "ENTRIESREAD", "5", "MKSTREAM", "MKSTREAM"], ["XGROUP", "CREATE", k, "g2", "-"],
            ["XGROUP", "CREATE", k, "g3", "+"], ["XGROUP", "CREATE", k, "g4", "(5"], ["XGROUP", "SETID", k, "g", "(5"],
            ["XGROUP", "SETID", k, "g", "5-1", "ENTRIESREAD", "-3"], ["XGROUP", "DESTROY", k, "nope"],
            ["XGROUP", "DELCONSUMER", k, "nope", "c"], ["XINFO", "GROUPS", k],
        })
        {
            try { p.Same(cmd); }
            catch (IOException e) { throw new IOException(string.Join(' ', cmd), e); }
        }
    }

    [Fact]
    public void HistoryOfDeletedPendingEntryHasNullBody()
    {
        using var p = f.Pair();
        const string k = "se:hist";
        p.Same("XADD", k, "1-1", "a", "1");
        p.Same("XADD", k, "2-1", "b", "2");
        p.Same("XGROUP", "CREATE", k, "g", "0");
        p.Same("XREADGROUP", "GROUP", "g", "c", "STREAMS", k, ">");
        p.Same("XDEL", k, "1-1");
        p.Same("XREADGROUP", "GROUP", "g", "c", "STREAMS", k, "0");
        p.Same("XREADGROUP", "GROUP", "g", "c", "STREAMS", k, "1-1");
        p.Same("XREADGROUP", "GROUP", "g", "other", "STREAMS", k, "0");
        p.Same("XINFO", "GROUPS", k);
        p.Same("XPENDING", k, "g");
        p.Both("HELLO", "3");
        p.Same("XREADGROUP", "GROUP", "g", "c", "STREAMS", k, "0");
        p.Same("XPENDING", k, "g");
        p.Same("XPENDING", "se:none", "g");
        p.Same("XINFO", "STREAM", "se:empty-x");
        p.Same("XGROUP", "CREATE", "se:empty", "g", "$", "MKSTREAM");
        p.Same("XINFO", "STREAM", "se:empty");
        p.Same("XINFO", "STREAM", "se:empty", "FULL");
    }
}
