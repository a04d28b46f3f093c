using System.Text;
using Cinnabar.Keyspace;

namespace Cinnabar.Tests.Keys;

/// <summary>Redis' stringmatchlen behaviour; every expectation was observed with KEYS on redis-server 7.0.15.</summary>
public sealed class GlobTests
{
    [Theory]
    [InlineData("*", "abc", true)]
    [InlineData("a*", "a", true)]
    [InlineData("a*c", "abbbc", true)]
    [InlineData("a*c", "abbb", false)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "ac", false)]
    [InlineData("?", "", false)]
    [InlineData("[a-z]", "m", true)]
    [InlineData("[z-a]", "m", true)]
    [InlineData("[^a-z]", "m", false)]
    [InlineData("[^a-z]", "M", true)]
    [InlineData("\\*", "*", true)]
    [InlineData("\\*", "a", false)]
    [InlineData("[abc", "a", true)]
    [InlineData("[abc", "b", true)]
    [InlineData("[abc", "ab", false)]
    [InlineData("[abc", "d", false)]
    [InlineData("a\\", "a\\", true)]
    [InlineData("a\\", "a", false)]
    [InlineData("[\\]]", "]", true)]
    [InlineData("[\\-]", "-", true)]
    [InlineData("[a-]", "-", false)]
    [InlineData("[a-]", "a", true)]
    [InlineData("[]", "]", false)]
    [InlineData("[]a]", "a", false)]
    [InlineData("[^]", "x", true)]
    [InlineData("*a*b*", "xxaxxbxx", true)]
    [InlineData("*a*b*", "xxbxxaxx", false)]
    [InlineData("h[ae]llo", "hello", true)]
    [InlineData("h[^e]llo", "hello", false)]
    [InlineData("h[a-b]llo", "hbllo", true)]
    [InlineData("**", "x", true)]
    [InlineData("a**b", "ab", true)]
    [InlineData("\\", "\\", true)]
    [InlineData("[", "[", false)]
    [InlineData("[", "", false)]
    [InlineData("[^", "a", true)]
    [InlineData("x[^", "xa", true)]
    [InlineData("[a-z", "q", true)]
    [InlineData("[\\", "\\", true)]
    [InlineData("a*", "A", false)]
    [InlineData("*\\", "x\\", true)]
    public void MatchesLikeRedis(string pattern, string text, bool expected)
        => Assert.Equal(expected, Glob.Match(Encoding.Latin1.GetBytes(pattern), Encoding.Latin1.GetBytes(text)));

    [Fact]
    public void StarAloneDoesNotMatchTheEmptyStringButCallersShortCut()
    {
        // stringmatchlen("*", "") is false; KEYS and SCAN treat "*" as match-all before matching.
        Assert.False(Glob.Match("*"u8, ""u8));
        Assert.True(Glob.MatchesEverything("*"u8));
        Assert.False(Glob.MatchesEverything("**"u8));
    }

    [Fact]
    public void BinaryAndCaseInsensitive()
    {
        Assert.True(Glob.Match("a\\0*"u8, "a0\r\n"u8));
        Assert.False(Glob.Match("a\0*"u8, "a0"u8));
        Assert.True(Glob.Match([0, (byte)'*', 0xff], [0, 1, 2, 0xff]));
        Assert.False(Glob.Match([0, (byte)'?'], [1, 2]));
        Assert.True(Glob.Match("A*[B-C]"u8, "abc"u8, ignoreCase: true));
        Assert.False(Glob.Match("A*[B-C]"u8, "abc"u8));
        Assert.True(Glob.Match("[^X]"u8, "y"u8, ignoreCase: true));
        Assert.False(Glob.Match("[^X]"u8, "x"u8, ignoreCase: true));
    }

    [Fact]
    public void PathologicalPatternsFinishQuickly()
    {
        var text = Encoding.ASCII.GetBytes(new string('a', 60));
        var pattern = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a*", 30)) + "b");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(Glob.Match(pattern, text));
        Assert.True(sw.ElapsedMilliseconds < 2000);
    }
}
