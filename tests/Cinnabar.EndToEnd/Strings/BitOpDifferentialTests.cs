using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Strings;

/// <summary>BITOP, BITFIELD and BITFIELD_RO against a real Redis 7.0, with random inputs, in RESP2 and RESP3.</summary>
public sealed class BitOpDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    private static string RandomBytes(Random rnd, int len)
    {
        var chars = new char[len];
        for (int i = 0; i < len; i++) chars[i] = (char)(rnd.Next(4) == 0 ? 0 : rnd.Next(256));
        return new string(chars);
    }

    [Theory]
    [InlineData("2", 1)]
    [InlineData("3", 2)]
    public void BitOpOverRandomSourcesOfDifferentLengths(string protocol, int seed)
    {
        using var p = f.Pair();
        p.Both("HELLO", protocol);
        var rnd = new Random(seed);
        string k = $"bitop{seed}:";
        var r = new CommandRecorder(p, []);
        string[] ops = ["AND", "OR", "XOR", "and", "Or"];
        for (int step = 0; step < 300; step++)
        {
            for (int s = 0; s < 4; s++)
                if (rnd.Next(3) == 0)
                {
                    // Lengths around the vector and word widths, past the 16 KB blocks, and sometimes a missing source.
                    if (rnd.Next(6) == 0) r.Same("DEL", k + s);
                    else r.Same("SET", k + s, RandomBytes(rnd, rnd.Next(20) == 0 ? rnd.Next(16000, 40000) : rnd.Next(4) == 0 ? rnd.Next(0, 200) : rnd.Next(0, 40)));
                }
            int n = rnd.Next(1, 5);
            var srcs = Enumerable.Range(0, n).Select(_ => k + rnd.Next(5)).ToArray();
            if (rnd.Next(4) == 0) r.Same("BITOP", "NOT", k + "d", srcs[0]);
            else r.Same(["BITOP", ops[rnd.Next(ops.Length)], k + "d", .. srcs]);
            r.Same("GET", k + "d");
            r.Same("EXISTS", k + "d");
            r.Same("OBJECT", "ENCODING", k + "d");
        }
        // A destination with a TTL loses it; an empty result deletes the destination.
        r.Same("SET", k + "d", "x", "EX", "100");
        r.Same("BITOP", "OR", k + "d", k + "0", k + "1");
        r.Same("TTL", k + "d");
        r.Same("BITOP", "AND", k + "d", k + "missing1", k + "missing2");
        r.Same("EXISTS", k + "d");
        r.Same("SET", k + "d", "x");
        r.Same("BITOP", "XOR", k + "d", k + "missing1");
        r.Same("EXISTS", k + "d");
        r.Same("SET", k + "e", "");
        r.Same("BITOP", "NOT", k + "d", k + "e");
        // A source can be the destination.
        r.Same("SET", k + "d", "abc");
        r.Same("BITOP", "NOT", k + "d", k + "d");
        r.Same("GET", k + "d");
    }

    [Fact]
    public void BitOpErrors()
    {
        using var p = f.Pair();
        p.Both("RPUSH", "bitop:list", "a");
        p.Both("SET", "bitop:s", "abc");
        p.Same("BITOP", "NAND", "bitop:d", "bitop:s");
        p.Same("BITOP", "NOT", "bitop:d", "bitop:s", "bitop:s");
        p.Same("BITOP", "NOT", "bitop:d", "bitop:list");
        p.Same("BITOP", "AND", "bitop:d", "bitop:s", "bitop:list");
        p.Same("BITOP", "OR", "bitop:d", "bitop:list", "bitop:nope");
        p.Same("EXISTS", "bitop:d");
        p.Same("BITOP", "AND", "bitop:d");
        p.Same("BITOP", "foo", "bitop:d");
        p.Same("BITOP", "NOT", "bitop:list", "bitop:s"); // a destination of another type is replaced
        p.Same("TYPE", "bitop:list");
    }

    [Theory]
    [InlineData("2", 1)]
    [InlineData("3", 2)]
    public void BitFieldRandomOperations(string protocol, int seed)
    {
        using var p = f.Pair();
        p.Both("HELLO", protocol);
        var rnd = new Random(seed);
        string key = $"bf{seed}:k";
        var r = new CommandRecorder(p, []);
        string[] overflows = ["WRAP", "SAT", "FAIL", "wrap", "sat", "fail"];
        string Type()
        {
            bool signed = rnd.Next(2) == 0;
            int bits = rnd.Next(4) == 0 ? (signed ? rnd.Next(60, 65) : rnd.Next(60, 64)) : rnd.Next(1, signed ? 65 : 64);
            return (signed ? (rnd.Next(5) == 0 ? "I" : "i") : (rnd.Next(5) == 0 ? "U" : "u")) + bits;
        }
        string Offset() => rnd.Next(4) == 0 ? "#" + rnd.Next(0, 12) : rnd.Next(0, 120).ToString();
        string Value() => rnd.Next(6) switch
        {
            0 => "9223372036854775807",
            1 => "-9223372036854775808",
            2 => rnd.NextInt64(long.MinValue, long.MaxValue).ToString(),
            3 => rnd.Next(-300, 300).ToString(),
            _ => rnd.Next(-10, 10).ToString(),
        };
        for (int step = 0; step < 600; step++)
        {
            if (rnd.Next(40) == 0) r.Same("DEL", key);
            var args = new List<string> { rnd.Next(8) == 0 ? "BITFIELD_RO" : "BITFIELD", key };
            int nops = rnd.Next(0, 5);
            for (int o = 0; o < nops; o++)
            {
                switch (rnd.Next(7))
                {
                    case 0: case 1: args.AddRange(["GET", Type(), Offset()]); break;
                    case 2: case 3: args.AddRange(["SET", Type(), Offset(), Value()]); break;
                    case 4: case 5: args.AddRange(["INCRBY", Type(), Offset(), Value()]); break;
                    default: args.AddRange(["OVERFLOW", overflows[rnd.Next(overflows.Length)]]); break;
                }
            }
            r.Same([.. args]);
            if (rnd.Next(10) == 0) r.Same("GET", key);
        }
        r.Same("GET", key);
        r.Same("OBJECT", "ENCODING", key);
    }

    [Fact]
    public void BitFieldErrorsAndEdges()
    {
        using var p = f.Pair();
        const string k = "bferr:k";
        p.Both("SET", k, "\xff\x80\x01");
        p.Both("RPUSH", "bferr:list", "a");
        foreach (var t in new[] { "i0", "u0", "i65", "u64", "x8", "i", "u", "", "i-1", "i08", "i+8", "8", "ii8" })
            p.Same("BITFIELD", k, "GET", t, "0");
        foreach (var o in new[] { "-1", "#-1", "a", "#", "##1", "4294967296", "#9223372036854775807", "1.5", "" })
            p.Same("BITFIELD", k, "GET", "u8", o);
        p.Same("BITFIELD", k, "SET", "u8", "0", "notanumber");
        p.Same("BITFIELD", k, "INCRBY", "u8", "0", "1.5");
        p.Same("BITFIELD", k, "OVERFLOW", "bogus", "GET", "u8", "0");
        p.Same("BITFIELD", k, "OVERFLOW");
        p.Same("BITFIELD", k, "GET", "u8");
        p.Same("BITFIELD", k, "SET", "u8", "0");
        p.Same("BITFIELD", k, "FOO", "u8", "0");
        p.Same("BITFIELD", k, "GET", "u8", "0", "GET", "i99", "0"); // nothing answered before a later error
        p.Same("BITFIELD_RO", k, "SET", "u8", "0", "1");
        p.Same("BITFIELD_RO", k, "GET", "u8", "0", "INCRBY", "u8", "0", "1");
        p.Same("BITFIELD_RO", k, "GET", "i16", "#1");
        p.Same("BITFIELD_RO", "bferr:missing", "GET", "i16", "100");
        p.Same("BITFIELD", k);
        p.Same("BITFIELD_RO", k);
        p.Same("BITFIELD", "bferr:missing");
        p.Same("EXISTS", "bferr:missing");
        p.Same("BITFIELD", "bferr:list", "GET", "u8", "0");
        p.Same("BITFIELD_RO", "bferr:list", "GET", "u8", "0");
        p.Same("BITFIELD", "bferr:list", "SET", "u8", "0", "1");
        p.Same("BITFIELD", "bferr:list", "GET", "u8", "x"); // argument errors come before the type
        // GET past the end reads zeros and does not grow the string; SET grows it to the last written byte.
        p.Same("BITFIELD", k, "GET", "i64", "20", "GET", "u63", "#3");
        p.Same("STRLEN", k);
        p.Same("BITFIELD", k, "OVERFLOW", "FAIL", "SET", "u8", "200", "1000", "INCRBY", "i8", "#30", "200");
        p.Same("STRLEN", k);
        p.Same("GET", k);
        p.Same("BITFIELD", k, "SET", "i64", "5", "-1", "INCRBY", "i64", "5", "1", "INCRBY", "u63", "1", "-1");
        p.Same("BITFIELD", k, "OVERFLOW", "SAT", "INCRBY", "i64", "5", "-9223372036854775808", "INCRBY", "i64", "5", "-1");
        p.Same("BITFIELD", k, "OVERFLOW", "SAT", "SET", "u8", "0", "-1", "SET", "i8", "0", "-129", "OVERFLOW", "WRAP", "SET", "u8", "0", "-1");
        p.Same("GET", k);
    }

    /// <summary>BITCOUNT and BITPOS over longer random strings, with extreme, negative and out-of-range indexes in both units.</summary>
    [Theory]
    [InlineData("2", 1)]
    [InlineData("3", 2)]
    public void BitCountAndBitPosWideRanges(string protocol, int seed)
    {
        using var p = f.Pair();
        p.Both("HELLO", protocol);
        var rnd = new Random(seed);
        var r = new CommandRecorder(p, []);
        string k = $"bcwide{seed}";
        string Index(int len) => rnd.Next(8) switch
        {
            0 => "9223372036854775807",
            1 => "-9223372036854775808",
            2 => rnd.Next(-len * 10, len * 10).ToString(),
            _ => rnd.Next(-len - 3, len + 3).ToString(),
        };
        for (int step = 0; step < 120; step++)
        {
            int len = rnd.Next(0, 300);
            string v = rnd.Next(4) switch
            {
                0 => new string('\xff', len),
                1 => new string('\0', len) + (rnd.Next(2) == 0 ? "\x01" : ""),
                _ => RandomBytes(rnd, len),
            };
            r.Same("SET", k, v);
            for (int q = 0; q < 10; q++)
            {
                int bitLen = (len + 1) * 8;
                bool bit = rnd.Next(2) == 0;
                int scale = bit ? bitLen : len + 1;
                string unit = bit ? (rnd.Next(2) == 0 ? "BIT" : "bit") : "BYTE";
                r.Same("BITCOUNT", k, Index(scale), Index(scale), unit);
                r.Same("BITCOUNT", k, Index(scale), Index(scale));
                r.Same("BITPOS", k, rnd.Next(2).ToString(), Index(scale), Index(scale), unit);
                r.Same("BITPOS", k, rnd.Next(2).ToString(), Index(scale));
                r.Same("BITPOS", k, rnd.Next(2).ToString());
            }
        }
    }
}
