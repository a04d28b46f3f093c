using Cinnabar.EndToEnd.Infrastructure;
using static Cinnabar.EndToEnd.Strings.StringTestSupport;

namespace Cinnabar.EndToEnd.Strings;

/// <summary>SETBIT, GETBIT, BITCOUNT and BITPOS against a real Redis 7.0.</summary>
public sealed class BitmapDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Fact]
    public void BitCountAndBitPosOverRandomRanges()
    {
        using var p = f.Pair();
        const string k = "bits:range:";
        var rnd = new Random(3);
        string[][] units = [[], ["bit"], ["BYTE"], ["BIT"], ["foo"]];
        foreach (var v in new[] { "", "\xff\xf0\0", "abc", "\0\0\x01", new string('\xff', 20), new string('\0', 17), "foobar", "\x80" + new string('\0', 9) + "\x01" })
        {
            p.Same("SET", k + "b", v);
            p.Same("BITCOUNT", k + "b");
            p.Same("BITPOS", k + "b", "0");
            p.Same("BITPOS", k + "b", "1");
            for (int n = 0; n < 60; n++)
            {
                string s = rnd.Next(-30, 31).ToString(), e = rnd.Next(-30, 31).ToString(), bit = rnd.Next(2).ToString();
                var u = units[rnd.Next(units.Length)];
                p.Same(["BITCOUNT", k + "b", s, e, .. u]);
                p.Same(["BITPOS", k + "b", bit, s, e, .. u]);
                p.Same("BITPOS", k + "b", bit, s);
                p.Same("BITPOS", k + "b", bit, s, "BIT");
            }
            p.Same("BITCOUNT", k + "b", "1");
            p.Same("BITCOUNT", k + "b", "1", "2", "bit", "x");
            p.Same("BITPOS", k + "b", "1", "2", "3", "bit", "x");
            p.Same("BITCOUNT", k + "b", "a", "1");
            p.Same("BITPOS", k + "b", "1", "a");
            p.Same("BITPOS", k + "b", "2");
            p.Same("BITPOS", k + "b", "a");
            p.Same("BITCOUNT", k + "b", "-5", "-10", "foo");
        }
    }

    [Fact]
    public void SetBitGetBitAndErrors()
    {
        using var p = f.Pair();
        const string k = "bits:set:";
        MakeList(f, p, k + "list");
        var rnd = new Random(4);
        for (int n = 0; n < 200; n++)
        {
            p.Same("SETBIT", k + "s", rnd.Next(0, 200).ToString(), rnd.Next(2).ToString());
            p.Same("GETBIT", k + "s", rnd.Next(0, 250).ToString());
        }
        p.Same("GET", k + "s");
        foreach (var bad in new[] { "-1", "4294967296", "a", "", "1.5", "+1" })
        {
            p.Same("SETBIT", k + "s", bad, "1");
            p.Same("GETBIT", k + "s", bad);
        }
        foreach (var bad in new[] { "2", "-1", "a", "" }) p.Same("SETBIT", k + "s", "1", bad);
        p.Same("GETBIT", k + "missing", "5");
        p.Same("BITCOUNT", k + "missing", "1");           // missing key: 0 before the syntax check
        p.Same("BITPOS", k + "missing", "1", "2", "3", "4", "5");
        p.Same("BITPOS", k + "missing", "0");
        p.Same("SETBIT", k + "list", "1", "1");
        p.Same("GETBIT", k + "list", "1");
        p.Same("BITCOUNT", k + "list");
        p.Same("BITPOS", k + "list", "1");
        p.Same("SET", k + "t", "a", "EX", "100");
        p.Same("SETBIT", k + "t", "100", "1");
        SameTtl(f, p, k + "t");
        p.Same("SETBIT", k + "s");
        p.Same("GETBIT", k + "s");
        p.Same("BITCOUNT");
        p.Same("BITPOS", k + "s");
    }
}
