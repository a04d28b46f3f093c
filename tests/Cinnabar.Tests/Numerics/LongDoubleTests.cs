using System.Text;
using Cinnabar.Numerics;

namespace Cinnabar.Tests.Numerics;

/// <summary>
/// The x87 long double model behind INCRBYFLOAT and HINCRBYFLOAT. Expected strings were produced by
/// redis-server 7.0.15 (x86_64) with SET k a; INCRBYFLOAT k b (or HSET h f a; HINCRBYFLOAT h f b).
/// </summary>
public sealed class LongDoubleTests
{
    private static LongDouble Parse(string s)
    {
        Assert.True(LongDouble.TryParse(Encoding.Latin1.GetBytes(s), out var v), $"should parse: {s}");
        return v;
    }

    [Theory]
    [InlineData("10.5", "0.1", "10.6")]
    [InlineData("0", "1e300", "1000000000000000000008997324079559193870523944273290747938260082321265646596180935755849152083750497190350372508614274835903592556184672983913096260520748646287327135641843653294084255107606016789726652932370030551382947620994540294772781889620606179267611627097410650567187386105690089424915104006144")]
    [InlineData("0", "5.0e3", "5000")]
    [InlineData("0", "-0.0", "0")]
    [InlineData("-0.0", "-0.0", "0")]
    [InlineData("0", "3.0e-5", "0.00003")]
    [InlineData("0", "12345678901234567890", "12345678901234567890")]
    [InlineData("0", "0.12345678901234567890123", "0.12345678901234568")]
    [InlineData("1", "1e-17", "1.00000000000000001")]
    [InlineData("0", "5e-18", "0")]
    [InlineData("0", "1.5e-17", "0.00000000000000002")]
    [InlineData("0", "2.5e-17", "0.00000000000000002")]
    [InlineData("0", "-5e-18", "0")]
    [InlineData("0", "99999999999999999.5", "99999999999999999.5")]
    [InlineData("0", "1.0000000000000000001", "1")]
    [InlineData("0", "0x10", "16")]
    [InlineData("0", "0x1.8p1", "3")]
    [InlineData("0", "1e-4950", "0")]
    [InlineData("0", "0x1p-16445", "0")]
    [InlineData("0.1", "0.2", "0.3")]
    [InlineData("3", "-3", "0")]
    [InlineData("1e20", "1", "100000000000000000000")]
    [InlineData("9223372036854775807", "1", "9223372036854775808")]
    [InlineData("-1.5", "0.5", "-1")]
    [InlineData("0", "1.7976931348623157e308", "179769313486231569995921046774104434048386446944329178485314420765176628523124396354701868608387085564428793419425520689308708363451136055357897278026477617073498977686288394835618163294045594434929537447290627480669417384648879122776218333598953852832103282504751611691208117720159985926376802466863339536384")]
    [InlineData("0", ".5", "0.5")]
    [InlineData("0", "+1", "1")]
    [InlineData("0", "1.", "1")]
    [InlineData("1e-300", "1e-300", "0")]
    [InlineData("123.456", "-0.456", "123")]
    [InlineData("0", "18446744073709551615", "18446744073709551615")]
    [InlineData("0", "18446744073709551617", "18446744073709551616")]
    [InlineData("0", "36893488147419103233", "36893488147419103232")]
    [InlineData("1", "1.5", "2.5")]
    [InlineData("1.5", "0.1", "1.6")]
    [InlineData("0", "1.23456789012345678", "1.23456789012345678")]
    [InlineData("0", "1e20", "100000000000000000000")]
    [InlineData("0", "-1e-20", "0")]
    [InlineData("10.5", "-0.5", "10")]
    [InlineData("0", "1e308", "99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539320446747225054013223152134749593960583597420814430196418767959100019603190778663109604507106667939153395788938914560543563061268364901618630217086589253444881623791300855757318142424510452728255046343928578048")]
    [InlineData("0", "1e-4940", "0")]
    public void AdditionFormatsLikeRedis(string current, string increment, string expected)
    {
        var sum = Parse(current) + Parse(increment);
        Assert.True(sum.IsFinite);
        Assert.Equal(expected, sum.ToString());
    }

    [Theory]
    [InlineData("abc")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("1e")]
    [InlineData("nan")]
    [InlineData("-nan")]
    [InlineData("NaN(123)")]
    [InlineData("1e5000")]
    [InlineData("1e-5000")]
    [InlineData("inf ")]
    [InlineData("0x1p")]
    [InlineData("--1")]
    [InlineData("+-1")]
    [InlineData("1e+")]
    [InlineData("1.2.3")]
    [InlineData(".")]
    [InlineData("\01")]
    [InlineData("1\0")]
    public void RejectsWhatStrtoldRejectsOrRedisRefuses(string s)
    {
        Assert.False(LongDouble.TryParse(Encoding.Latin1.GetBytes(s), out _));
    }

    [Fact]
    public void RejectsInputsOfMaxLongDoubleCharsOrMore()
    {
        var ok = new string('1', 1) + "." + new string('0', LongDouble.MaxChars - 3);
        Assert.True(LongDouble.TryParse(Encoding.ASCII.GetBytes(ok), out _));
        Assert.False(LongDouble.TryParse(Encoding.ASCII.GetBytes(ok + "0"), out _));
    }

    [Theory]
    [InlineData("inf", false)]
    [InlineData("-INF", true)]
    [InlineData("Infinity", false)]
    [InlineData("+infinity", false)]
    public void ParsesInfinities(string s, bool negative)
    {
        var v = Parse(s);
        Assert.True(v.IsInfinity);
        Assert.Equal(negative, v.Negative);
    }

    [Fact]
    public void InfinityPlusFiniteIsNotFiniteAndOppositeInfinitiesAreNaN()
    {
        Assert.False((Parse("inf") + Parse("1")).IsFinite);
        Assert.True((Parse("inf") + Parse("-inf")).IsNaN);
    }

    [Fact]
    public void OverflowingSumIsInfinite()
    {
        var big = Parse("1.1e4932");
        Assert.True((big + big).IsInfinity);
        // The long double range ends near 1.19e4932, far beyond double's.
        Assert.True((Parse("1e4932") + LongDouble.Zero(false)).IsFinite);
        Assert.False(LongDouble.TryParse("2e4932"u8, out _));
    }

    [Fact]
    public void SmallestSubnormalIsRepresentable()
    {
        var v = Parse("0x1p-16445");
        Assert.Equal(1UL, v.Significand);
        Assert.Equal(LongDouble.MinExponent, v.Exponent);
        // Half of it rounds to even (zero) and strtold reports underflow: refused.
        Assert.False(LongDouble.TryParse("0x1p-16446"u8, out _));
        Assert.True(LongDouble.TryParse("0x1.8p-16446"u8, out var up));
        Assert.Equal(1UL, up.Significand);
    }

    [Fact]
    public void RoundsToSixtyFourBitSignificandTiesToEven()
    {
        // 2^64 + 1 is a tie between 2^64 and 2^64 + 2: even significand wins (2^64).
        Assert.Equal("18446744073709551616", Parse("18446744073709551617").ToString());
        // 2^65 + 2 (tie between 2^65 and 2^65 + 4): 2^65 has the even significand.
        Assert.Equal("36893488147419103232", Parse("36893488147419103234").ToString());
        // 2^65 + 6 (tie between 2^65 + 4 and 2^65 + 8): 2^65 + 8 has the even significand.
        Assert.Equal("36893488147419103240", Parse("36893488147419103238").ToString());
    }

    [Fact]
    public void SmallIntegerSumsAreExact()
    {
        var rnd = new Random(42);
        for (int i = 0; i < 1000; i++)
        {
            long a = rnd.NextInt64(-1L << 52, 1L << 52), b = rnd.NextInt64(-1L << 52, 1L << 52);
            Assert.Equal((a + b).ToString(), (LongDouble.FromLong(a) + LongDouble.FromLong(b)).ToString());
        }
    }

    [Fact]
    public void FormatsSeventeenFractionDigitsWithoutExponent()
    {
        Assert.Equal("0.00000000000000001", Parse("1e-17").ToString());
        Assert.Equal("1000000000000000000000", Parse("1e21").ToString());
        Assert.Equal("-2.5", Parse("-2.5").ToString());
        Assert.Equal("0", Parse("-1e-30").ToString());
    }

    /// <summary>Blocking timeouts: (long long) ceill(seconds * 1000.0L), as Redis 7.0's getTimeoutFromObjectOrReply.</summary>
    [Theory]
    [InlineData("0.001", 1)]
    [InlineData("0.0001", 1)]
    [InlineData("1e-300", 1)]
    [InlineData("0.0009", 1)]
    [InlineData("1.0001", 1001)]
    [InlineData("2", 2000)]
    [InlineData("0.1", 100)]
    [InlineData("0", 0)]
    [InlineData("-0.0001", 0)] // ceil(-0.1) is -0: "forever", as Redis
    [InlineData("-1.5", -1500)]
    [InlineData("9223372036854775", 9223372036854775000)]
    public void TimeoutMillisecondsRoundUp(string seconds, long expected)
    {
        Assert.True(Parse(seconds).TryMultiplyCeiling(1000, out long ms));
        Assert.Equal(expected, ms);
    }

    [Theory]
    [InlineData("9223372036854776")]
    [InlineData("1e30")]
    [InlineData("inf")]
    public void TimeoutsOutOfRangeAreRefused(string seconds) => Assert.False(Parse(seconds).TryMultiplyCeiling(1000, out _));
}
