using System.Text;
using Cinnabar.DataTypes;

namespace Cinnabar.Tests.Hashes;

/// <summary>HINCRBYFLOAT arithmetic: expected strings were produced by Redis 7.0.15 (x87 long double, "%.17Lf").</summary>
public sealed class HashLongDoubleTests
{
    private static string Incr(string current, string by)
    {
        Assert.True(HashLongDouble.TryParse(Encoding.ASCII.GetBytes(current), out var a));
        Assert.True(HashLongDouble.TryParse(Encoding.ASCII.GetBytes(by), out var b));
        return Encoding.ASCII.GetString(HashLongDouble.FormatHuman(HashLongDouble.Add(a, b)));
    }

    [Theory]
    [InlineData("1", "1.5", "2.5")]
    [InlineData("1.5", "0.1", "1.6")]
    [InlineData("0", "3.0e3", "3000")]
    [InlineData("0", "1.23456789012345678", "1.23456789012345678")]
    [InlineData("0", "-0.0", "0")]
    [InlineData("0", "1e20", "100000000000000000000")]
    [InlineData("0", "10.5", "10.5")]
    [InlineData("0", "-1e-20", "0")]
    [InlineData("10.5", "-0.5", "10")]
    [InlineData("0", "1e308", "99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539320446747225054013223152134749593960583597420814430196418767959100019603190778663109604507106667939153395788938914560543563061268364901618630217086589253444881623791300855757318142424510452728255046343928578048")]
    public void AddsAndFormatsLikeRedis(string current, string by, string expected) => Assert.Equal(expected, Incr(current, by));

    [Theory]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("nan")]
    [InlineData("1e")]
    [InlineData(".")]
    [InlineData("abc")]
    [InlineData("1e5000")]
    [InlineData("1e-5000")]
    public void RejectsWhatStrtoldRejects(string text) => Assert.False(HashLongDouble.TryParse(Encoding.ASCII.GetBytes(text), out _));

    [Fact]
    public void InfinityParsesAndPropagates()
    {
        Assert.True(HashLongDouble.TryParse("-Infinity"u8, out var inf));
        Assert.True(inf.IsInfinity);
        // the long double range ends near 1.19e4932, far beyond double's
        Assert.True(HashLongDouble.TryParse("1e4932"u8, out var big));
        Assert.False(HashLongDouble.TryParse("2e4932"u8, out _));
        Assert.False(HashLongDouble.Add(big, HashLongDouble.Zero).IsInfinity);
        Assert.True(HashLongDouble.Add(big, big).IsInfinity);
    }
}
