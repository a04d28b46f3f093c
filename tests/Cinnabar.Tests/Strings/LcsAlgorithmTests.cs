using System.Text;
using Cinnabar.Commands.Strings;

namespace Cinnabar.Tests.Strings;

public sealed class LcsAlgorithmTests
{
    private static (string Lcs, List<LcsAlgorithm.Match> Matches) Run(string a, string b)
    {
        var x = Encoding.ASCII.GetBytes(a);
        var y = Encoding.ASCII.GetBytes(b);
        var t = LcsAlgorithm.BuildTable(x, y)!;
        var lcs = new byte[t[^1]];
        var matches = new List<LcsAlgorithm.Match>();
        LcsAlgorithm.Walk(x, y, t, lcs, matches);
        return (Encoding.ASCII.GetString(lcs), matches);
    }

    [Fact]
    public void FindsTheDocumentedExample()
    {
        var (lcs, matches) = Run("ohmytext", "mynewtext");
        Assert.Equal("mytext", lcs);
        // Redis reports ranges from the end: "text" at 4-7 / 5-8, then "my" at 2-3 / 0-1.
        Assert.Equal([new(4, 7, 5, 8), new(2, 3, 0, 1)], matches);
    }

    [Fact]
    public void EmptyInputsGiveEmptyResult()
    {
        var (lcs, matches) = Run("", "abc");
        Assert.Equal("", lcs);
        Assert.Empty(matches);
    }

    [Fact]
    public void RandomStringsMatchReferenceLengthAndAreSubsequences()
    {
        var rnd = new Random(5);
        for (int n = 0; n < 500; n++)
        {
            string a = RandomString(rnd), b = RandomString(rnd);
            var (lcs, matches) = Run(a, b);
            Assert.Equal(ReferenceLength(a, b), lcs.Length);
            Assert.True(IsSubsequence(lcs, a) && IsSubsequence(lcs, b));
            Assert.Equal(lcs.Length, matches.Sum(m => m.Length));
            foreach (var m in matches) Assert.Equal(a.Substring(m.AStart, m.Length), b.Substring(m.BStart, m.Length));
        }
    }

    private static string RandomString(Random rnd)
    {
        var chars = new char[rnd.Next(0, 10)];
        for (int i = 0; i < chars.Length; i++) chars[i] = (char)('a' + rnd.Next(3));
        return new string(chars);
    }

    private static int ReferenceLength(string a, string b)
    {
        if (a.Length == 0 || b.Length == 0) return 0;
        if (a[^1] == b[^1]) return 1 + ReferenceLength(a[..^1], b[..^1]);
        return Math.Max(ReferenceLength(a[..^1], b), ReferenceLength(a, b[..^1]));
    }

    private static bool IsSubsequence(string s, string of)
    {
        int j = 0;
        foreach (char ch in of) if (j < s.Length && s[j] == ch) j++;
        return j == s.Length;
    }
}
