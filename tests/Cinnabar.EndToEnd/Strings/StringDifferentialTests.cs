using Cinnabar.EndToEnd.Infrastructure;
using static Cinnabar.EndToEnd.Strings.StringTestSupport;

namespace Cinnabar.EndToEnd.Strings;

/// <summary>Every string command against a real Redis 7.0, byte for byte: normal cases, errors, edges.</summary>
public sealed class StringDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Fact]
    public void EncodingFollowsHowTheStringWasWritten()
    {
        // Issue 20: Redis keeps the object's encoding; the bytes alone say "int" for all of these.
        using var p = f.Pair();
        const string k = "str:enc:";
        string[][] script =
        [
            ["SET", k + "a", "123"], ["APPEND", k + "a", "4"], ["INCR", k + "a"],
            ["SET", k + "b", "123"], ["SETRANGE", k + "b", "0", "9"],
            ["SETRANGE", k + "nb", "0", "12"], ["APPEND", k + "na", "12"],
            ["SET", k + "c", "10"], ["INCRBYFLOAT", k + "c", "1"],
            ["SETBIT", k + "nbit", "1", "1"], ["SET", k + "d", "1"], ["SETBIT", k + "d", "1", "1"],
            ["SET", k + "e", "abc"], ["APPEND", k + "e", ""],
            ["SET", k + "f", "12"], ["SETRANGE", k + "f", "0", ""], ["SET", k + "g", "12"], ["APPEND", k + "g", ""],
            ["SET", k + "h", "7"], ["APPEND", k + "h", "1"], ["COPY", k + "h", k + "hcopy"], ["RENAME", k + "h", k + "hren"],
            ["SET", k + "i", "5"], ["APPEND", k + "i", "5"], ["SET", k + "i", "55"],
            ["SET", k + "j", "3"], ["APPEND", k + "j", "3"], ["DECRBY", k + "j", "1"],
        ];
        foreach (var cmd in script) p.Same(cmd);
        foreach (var key in new[] { "a", "b", "nb", "na", "c", "nbit", "d", "e", "f", "g", "hcopy", "hren", "i", "j" })
        {
            p.Same("OBJECT", "ENCODING", k + key);
            p.Same("OBJECT", "REFCOUNT", k + key);
        }
        p.Same("MOVE", k + "hren", "3");
        p.Same("SELECT", "3");
        p.Same("OBJECT", "ENCODING", k + "hren");
        p.Same("DEL", k + "hren");
    }

    [Fact]
    public void SetNxSetExPSetEx()
    {
        using var p = f.Pair();
        const string k = "str:setx:";
        MakeList(f, p, k + "list");
        p.Same("SETNX", k + "a", "1");
        p.Same("SETNX", k + "a", "2");
        p.Same("GET", k + "a");
        p.Same("SETNX", k + "list", "x");
        p.Same("SETNX", k + "a");
        p.Same("SETEX", k + "e", "100", "v");
        SameTtl(f, p, k + "e");
        p.Same("GET", k + "e");
        foreach (var bad in new[] { "0", "-5", "abc", "9223372036854775807", "1.5", "" })
        {
            p.Same("SETEX", k + "e", bad, "v");
            p.Same("PSETEX", k + "e", bad, "v");
        }
        p.Same("PSETEX", k + "p", "100000", "v");
        SameTtl(f, p, k + "p");
        p.Same("SETEX", k + "list", "10", "v"); // overwrites any type
        p.Same("GET", k + "list");
        p.Same("SETEX", k + "e", "10");
        p.Same("PSETEX", k + "e");
        p.Same("SETEX", k + "e", "10", "v", "extra");
    }

    [Fact]
    public void SetKeepsItsBehaviourWithGetAndExpiry()
    {
        using var p = f.Pair();
        const string k = "str:set:";
        MakeList(f, p, k + "list");
        p.Same("SET", k + "list", "v", "GET");
        p.Same("SET", k + "a", "v", "EX", "100");
        p.Same("SET", k + "a", "w", "KEEPTTL");
        SameTtl(f, p, k + "a");
        p.Same("SET", k + "a", "w");
        SameTtl(f, p, k + "a");
        p.Same("SET", k + "a", "x", "PXAT", "99999999999999", "GET");
        p.Same("SET", k + "a", "x", "EXAT", "0");
        p.Same("SET", k + "a", "x", "GET", "GET", "NX");
        p.Same("SET", k + "b", "x", "NX", "GET");
    }

    [Fact]
    public void GetSetGetDelGetEx()
    {
        using var p = f.Pair();
        const string k = "str:getx:";
        MakeList(f, p, k + "list");
        p.Same("GETSET", k + "gs", "a");
        p.Same("GETSET", k + "gs", "b");
        p.Same("GET", k + "gs");
        p.Same("GETSET", k + "list", "x");
        p.Same("SET", k + "gs", "v", "EX", "100");
        p.Same("GETSET", k + "gs", "w");
        SameTtl(f, p, k + "gs"); // GETSET clears the TTL
        p.Same("GETDEL", k + "gs");
        p.Same("GETDEL", k + "gs");
        p.Same("GETDEL", k + "list");
        p.Same("GETDEL");
        p.Same("GETDEL", k + "a", k + "b");

        string[][] options =
        [
            [], ["persist"], ["ex", "10"], ["px", "10000"], ["exat", "99999999999"], ["pxat", "99999999999999"],
            ["EX", "0"], ["ex", "-1"], ["ex", "a"], ["ex"], ["persist", "ex", "10"], ["ex", "10", "persist"],
            ["ex", "10", "px", "10"], ["ex", "10", "ex", "20"], ["keepttl"], ["nx"], ["xx"], ["get"], ["foo"],
            ["EX", "9223372036854775807"], ["PX", "9223372036854775807"], ["PXAT", "1"], ["exat", "1"],
        ];
        foreach (var o in options)
        {
            p.Same("SET", k + "ge", "v");
            p.Same(["GETEX", k + "ge", .. o]);
            SameTtl(f, p, k + "ge");
            p.Same("GET", k + "ge");
        }
        p.Same("GETEX", k + "missing", "ex", "abc"); // key checked before the expire value
        p.Same("GETEX", k + "missing", "foo");       // options checked before the key
        p.Same("GETEX", k + "list", "ex", "abc");
        p.Same("GETEX", k + "list");
        p.Same("SET", k + "ge", "v", "EX", "100");
        p.Same("GETEX", k + "ge", "PERSIST");
        SameTtl(f, p, k + "ge");
        p.Same("GETEX", k + "ge", "PERSIST");
        p.Same("GETEX");
    }

    [Fact]
    public void MGetMSetMSetNx()
    {
        using var p = f.Pair();
        const string k = "str:multi:";
        MakeList(f, p, k + "list");
        p.Same("MSET", k + "a", "1", k + "b", "2");
        p.Same("MGET", k + "a", k + "b", k + "c", k + "list", k + "a");
        p.Same("MSET", k + "a");
        p.Same("MSET", k + "a", "1", k + "b");
        p.Same("MSETNX", k + "a", "1", k + "b");
        p.Same("MSETNX", k + "x1", "1", k + "x2", "2");
        p.Same("MSETNX", k + "x1", "1", k + "x3", "2");
        p.Same("GET", k + "x3");
        p.Same("MSETNX", k + "x4", "1", k + "x4", "2");
        p.Same("GET", k + "x4");
        p.Same("MSETNX", k + "list", "1");
        p.Same("MSET", k + "list", "z");
        p.Same("GET", k + "list");
        p.Same("MSET", k + "a", "1", k + "a", "2");
        p.Same("GET", k + "a");
        p.Same("MGET");
        p.Same("MSET");
        p.Same("MSETNX");
        p.Same("msetnx", k + "q");
    }

    [Fact]
    public void AppendAndStrlen()
    {
        using var p = f.Pair();
        const string k = "str:append:";
        MakeList(f, p, k + "list");
        p.Same("APPEND", k + "a", "");
        p.Same("GET", k + "a");       // APPEND of nothing still creates the key
        p.Same("STRLEN", k + "a");
        p.Same("APPEND", k + "a", "abc");
        p.Same("APPEND", k + "a", "\0\r\n\xff");
        p.Same("APPEND", k + "a", "");
        p.Same("GET", k + "a");
        p.Same("STRLEN", k + "a");
        p.Same("STRLEN", k + "missing");
        p.Same("STRLEN", k + "list");
        p.Same("APPEND", k + "list", "x");
        p.Same("SET", k + "n", "10");
        p.Same("APPEND", k + "n", "5");
        p.Same("INCR", k + "n");
        p.Same("APPEND");
        p.Same("APPEND", k + "a");
        p.Same("STRLEN");
        p.Same("STRLEN", "a", "b");
    }

    [Fact]
    public void IncrDecrFamily()
    {
        using var p = f.Pair();
        const string k = "str:incr:";
        MakeList(f, p, k + "list");
        string[] stored = ["0", "1", "-1", "9", "99", "-10", "9223372036854775807", "-9223372036854775808", "00", "-0", "+1", " 1",
            "1 ", "abc", "", "12345678901234567890", "1.5", "0x10", "-9223372036854775809", "1\0"];
        foreach (var v in stored)
        {
            p.Same("SET", k + "n", v); p.Same("INCR", k + "n"); p.Same("GET", k + "n");
            p.Same("SET", k + "n", v); p.Same("DECR", k + "n"); p.Same("GET", k + "n");
            p.Same("SET", k + "n", v); p.Same("INCRBY", k + "n", "-5"); p.Same("DECRBY", k + "n", "5"); p.Same("GET", k + "n");
        }
        string[] increments = ["0", "1", "-1", "9223372036854775807", "-9223372036854775808", "a", "", "1.0", " 1", "+1"];
        foreach (var by in increments)
        {
            p.Same("SET", k + "m", "10");
            p.Same("INCRBY", k + "m", by);
            p.Same("DECRBY", k + "m", by);
            p.Same("GET", k + "m");
            p.Same("INCRBY", k + "fresh" + by, by);
            p.Same("DECRBY", k + "fresh2" + by, by);
            p.Same("INCRBY", k + "list", by);
        }
        p.Same("SET", k + "m", "99");
        p.Same("INCR", k + "m"); p.Same("INCR", k + "m"); p.Same("DECR", k + "m"); p.Same("DECR", k + "m");
        p.Same("DECR", k + "m"); p.Same("GET", k + "m");
        p.Same("INCR", k + "list"); p.Same("DECR", k + "list"); p.Same("DECRBY", k + "list", "x");
        p.Same("INCR", k + "new"); p.Same("DECR", k + "new2");
        p.Same("SET", k + "t", "5", "EX", "100");
        p.Same("INCR", k + "t");
        p.Same("INCRBY", k + "t", "1000");
        SameTtl(f, p, k + "t"); // counters keep the TTL
        p.Same("INCR"); p.Same("INCR", "a", "b"); p.Same("INCRBY", k + "m"); p.Same("DECRBY", k + "m", "1", "2");
    }

    [Fact]
    public void IncrByFloatMatchesLongDoublePrecision()
    {
        using var p = f.Pair();
        const string k = "str:float:";
        MakeList(f, p, k + "list");
        string[] values = ["10.5", "0.1", "1e300", "5.0e3", "-0.0", "3.0e-5", "12345678901234567890", "0.12345678901234567890123",
            "1e5", " 1", "0x10", "inf", "-inf", "nan", "+1", ".5", "1.", ".", "1e", "0x", "0x1p3", "0x1.8p1", "1e4000", "1e-4000",
            "1e4933", "1e-4950", "1e-4952", "abc", "1 ", "", "0x.8", "1E+5", "infinity", "1.7976931348623157e308",
            "9223372036854775807", "-9223372036854775808", "1e-17", "5e-18", "1.5e-17", "2.5e-17", "-5e-18", "99999999999999999.5",
            "1.0000000000000000001", "1\0"];
        foreach (var v in values)
        {
            p.Same("INCRBYFLOAT", k + "fresh:" + v, v);
            p.Same("SET", k + "g", v);
            p.Same("INCRBYFLOAT", k + "g", "0");
            p.Same("GET", k + "g");
            p.Same("SET", k + "h", "10.5");
            p.Same("INCRBYFLOAT", k + "h", v);
        }
        p.Same("SET", k + "acc", "0");
        var rnd = new Random(1234);
        for (int i = 0; i < 300; i++)
        {
            string v = (i % 4) switch
            {
                0 => (rnd.NextDouble() * 2e6 - 1e6).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                1 => (rnd.NextDouble() * 20 - 10).ToString("E" + rnd.Next(0, 25), System.Globalization.CultureInfo.InvariantCulture).Replace("E", "e"),
                2 => rnd.NextInt64(long.MinValue, long.MaxValue).ToString(),
                _ => $"{rnd.Next(-999, 999)}e{rnd.Next(-60, 60)}",
            };
            p.Same("INCRBYFLOAT", k + "acc", v);
        }
        p.Same("SET", k + "big", "1e4932");
        p.Same("INCRBYFLOAT", k + "big", "1e4932");
        p.Same("INCRBYFLOAT", k + "big", "inf");
        p.Same("INCRBYFLOAT", k + "list", "1");
        p.Same("INCRBYFLOAT", k + "list", "x");
        p.Same("SET", k + "t", "1.5", "EX", "100");
        p.Same("INCRBYFLOAT", k + "t", "1");
        SameTtl(f, p, k + "t");
        p.Same("INCRBYFLOAT", k + "t");
        p.Same("INCRBYFLOAT", k + "t", "1", "2");
    }

    [Fact]
    public void GetRangeAndSubstr()
    {
        using var p = f.Pair();
        const string k = "str:range:";
        MakeList(f, p, k + "list");
        p.Same("SET", k + "s", "hello world");
        p.Same("SET", k + "e", "");
        string[][] ranges =
        [
            ["0", "-1"], ["0", "4"], ["-3", "-1"], ["-1", "-3"], ["5", "100"], ["100", "200"], ["-100", "-50"], ["-100", "5"],
            ["3", "2"], ["0", "0"], ["-1", "-1"], ["a", "1"], ["1", "b"], ["9223372036854775807", "-9223372036854775808"],
            ["-20", "-12"], ["-11", "-11"], ["1.5", "2"],
        ];
        foreach (var r in ranges)
        {
            foreach (var key in new[] { k + "s", k + "e", k + "missing" })
            {
                p.Same("GETRANGE", key, r[0], r[1]);
                p.Same("SUBSTR", key, r[0], r[1]);
            }
        }
        p.Same("GETRANGE", k + "list", "0", "1");
        p.Same("GETRANGE", k + "list", "x", "1");
        p.Same("GETRANGE", k + "s", "0");
        p.Same("SUBSTR", k + "s", "0", "1", "2");
    }

    [Fact]
    public void SetRange()
    {
        using var p = f.Pair();
        const string k = "str:setrange:";
        MakeList(f, p, k + "list");
        p.Same("SETRANGE", k + "a", "0", "");
        p.Same("GET", k + "a"); // nothing written, no key created
        p.Same("SETRANGE", k + "a", "5", "abc");
        p.Same("GET", k + "a");
        p.Same("SETRANGE", k + "a", "0", "X");
        p.Same("SETRANGE", k + "a", "10", "\0\r\nz");
        p.Same("GET", k + "a");
        p.Same("SETRANGE", k + "a", "2", "");
        p.Same("SETRANGE", k + "a", "1000", "");
        p.Same("SETRANGE", k + "a", "-1", "x");
        p.Same("SETRANGE", k + "a", "abc", "x");
        p.Same("SETRANGE", k + "a", "536870912", "x");
        p.Same("SETRANGE", k + "a", "536870911", "xy");
        p.Same("SETRANGE", k + "a", "536870912", "");
        p.Same("SETRANGE", k + "a", "9223372036854775807", "x");
        p.Same("SETRANGE", k + "new", "536870912", "x");
        p.Same("SETRANGE", k + "new", "-1", "");
        p.Same("SETRANGE", k + "list", "0", "x");
        p.Same("SETRANGE", k + "list", "0", "");
        p.Same("SET", k + "n", "123");
        p.Same("SETRANGE", k + "n", "1", "9");
        p.Same("INCR", k + "n");
        p.Same("SET", k + "t", "abc", "EX", "100");
        p.Same("SETRANGE", k + "t", "1", "Z");
        SameTtl(f, p, k + "t");
        p.Same("SETRANGE", k + "a", "0");
    }

    [Fact]
    public void Lcs()
    {
        using var p = f.Pair();
        const string k = "str:lcs:";
        MakeList(f, p, k + "list");
        p.Same("MSET", k + "a", "ohmytext", k + "b", "mynewtext");
        string[][] options =
        [
            [], ["len"], ["IDX"], ["idx", "withmatchlen"], ["idx", "minmatchlen", "4"], ["idx", "MINMATCHLEN", "4", "withmatchlen"],
            ["idx", "len"], ["len", "idx"], ["minmatchlen"], ["minmatchlen", "x"], ["foo"], ["idx", "minmatchlen", "-5"],
            ["LEN", "LEN"], ["withmatchlen"], ["minmatchlen", "2"],
        ];
        foreach (var o in options)
        {
            p.Same(["LCS", k + "a", k + "b", .. o]);
            p.Same(["LCS", k + "a", k + "nope", .. o]);
        }
        p.Same("LCS", k + "a", k + "list");
        p.Same("LCS", k + "list", k + "a", "foo"); // type checked before options
        p.Same("MSET", k + "a", "ABCBDAB", k + "b", "BDCABA");
        p.Same("LCS", k + "a", k + "b", "IDX", "WITHMATCHLEN");
        p.Same("MSET", k + "a", "aaaa", k + "b", "aa");
        p.Same("LCS", k + "a", k + "b", "IDX", "WITHMATCHLEN");
        p.Same("LCS", k + "a");
        var rnd = new Random(9);
        for (int i = 0; i < 150; i++)
        {
            p.Both("MSET", k + "ra", RandomText(rnd), k + "rb", RandomText(rnd));
            p.Same("LCS", k + "ra", k + "rb", "IDX", "WITHMATCHLEN", "MINMATCHLEN", rnd.Next(0, 3).ToString());
            p.Same("LCS", k + "ra", k + "rb");
        }
    }

    private static string RandomText(Random rnd)
    {
        var chars = new char[rnd.Next(0, 14)];
        for (int i = 0; i < chars.Length; i++) chars[i] = "ab\0c"[rnd.Next(4)];
        return new string(chars);
    }

    [Fact]
    public void Resp3Replies()
    {
        using var p = f.Pair();
        const string k = "str:resp3:";
        p.Both("HELLO", "3");
        p.Same("GET", k + "missing");
        p.Same("MGET", k + "missing", k + "m2");
        p.Same("GETDEL", k + "missing");
        p.Same("GETEX", k + "missing");
        p.Same("GETSET", k + "a", "1");
        p.Same("SET", k + "a", "v", "NX");
        p.Same("SET", k + "a", "v", "XX", "GET");
        p.Same("INCRBYFLOAT", k + "f", "1.5");
        p.Same("INCR", k + "i");
        p.Same("GETRANGE", k + "missing", "0", "1");
        p.Same("MSET", k + "x", "ohmytext", k + "y", "mynewtext");
        p.Same("LCS", k + "x", k + "y", "IDX", "WITHMATCHLEN");
        p.Same("LCS", k + "x", k + "y", "IDX");
        p.Same("LCS", k + "x", k + "y", "LEN");
        p.Same("LCS", k + "x", k + "y");
        p.Same("SETNX", k + "x", "1");
    }

    [Fact]
    public void BinaryKeysAndValuesRoundTrip()
    {
        using var p = f.Pair();
        string k = "str:bin:\0\r\n\xff";
        string v = "\0\r\n\xfe\x80 $3\r\n";
        p.Same("SET", k, v);
        p.Same("GET", k);
        p.Same("APPEND", k, v);
        p.Same("GETRANGE", k, "1", "-2");
        p.Same("SETRANGE", k, "3", "\0\0");
        p.Same("MGET", k, k + "x");
        p.Same("MSET", k + "1", v, k + "2", "");
        p.Same("GETSET", k + "2", v);
        p.Same("GETEX", k + "2", "PX", "100000");
        p.Same("STRLEN", k);
        p.Same("LCS", k, k + "1", "IDX");
        p.Same("GETDEL", k);
    }
}
