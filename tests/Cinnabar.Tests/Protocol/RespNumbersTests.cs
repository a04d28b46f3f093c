using System.Text;
using Cinnabar.Protocol;

namespace Cinnabar.Tests.Protocol;

public class RespNumbersTests
{
    [Theory]
    [InlineData("0", true, 0L)]
    [InlineData("-1", true, -1L)]
    [InlineData("9223372036854775807", true, long.MaxValue)]
    [InlineData("-9223372036854775808", true, long.MinValue)]
    [InlineData("9223372036854775808", false, 0L)]
    [InlineData("01", false, 0L)]
    [InlineData("-0", false, 0L)]
    [InlineData("+1", false, 0L)]
    [InlineData(" 1", false, 0L)]
    [InlineData("1 ", false, 0L)]
    [InlineData("", false, 0L)]
    [InlineData("-", false, 0L)]
    [InlineData("1.0", false, 0L)]
    public void ParsesIntegersLikeString2ll(string text, bool ok, long value)
    {
        Assert.Equal(ok, RespNumbers.TryParseInt64(Encoding.ASCII.GetBytes(text), out long v));
        if (ok) Assert.Equal(value, v);
    }

    [Theory]
    [InlineData(1.1, "1.1000000000000001")]
    [InlineData(3.0, "3")]
    [InlineData(1e20, "1e+20")]
    [InlineData(1e-5, "1.0000000000000001e-05")]
    [InlineData(-0.0, "-0")]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NegativeInfinity, "-inf")]
    [InlineData(123456789012345678.0, "1.2345678901234568e+17")]
    [InlineData(0.5, "0.5")]
    [InlineData(1e15, "1000000000000000")]
    [InlineData(-1e15, "-1000000000000000")]
    [InlineData(1e16, "10000000000000000")]
    [InlineData(0.0, "0")]
    [InlineData(-7.0, "-7")]
    public void FormatsDoublesLikePrintfG17(double value, string expected)
    {
        Span<byte> buf = stackalloc byte[32];
        int n = RespNumbers.FormatDouble(value, buf);
        Assert.Equal(expected, Encoding.ASCII.GetString(buf[..n]));
    }

    [Fact]
    public void WholeNumbersTakeTheIntegerPathWithTheSameText()
    {
        var rng = new Random(11);
        Span<byte> buf = stackalloc byte[32];
        for (int i = 0; i < 100_000; i++)
        {
            double whole = Math.Truncate((rng.NextDouble() * 2 - 1) * Math.Pow(10, rng.Next(0, 17)));
            foreach (double v in new[] { whole, whole + 0.5, BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(whole) + 1) })
            {
                int n = RespNumbers.FormatDouble(v, buf);
                string general = v.ToString("G17", System.Globalization.CultureInfo.InvariantCulture).Replace('E', 'e');
                Assert.Equal(general, Encoding.ASCII.GetString(buf[..n]));
            }
        }
    }

    [Theory]
    [InlineData("1.5", true, 1.5)]
    [InlineData("-inf", true, double.NegativeInfinity)]
    [InlineData("+inf", true, double.PositiveInfinity)]
    [InlineData("Infinity", true, double.PositiveInfinity)]
    [InlineData("1e3", true, 1000.0)]
    [InlineData(".5", true, 0.5)]
    [InlineData("nan", false, 0.0)]
    [InlineData(" 1", false, 0.0)]
    [InlineData("1 ", false, 0.0)]
    [InlineData("abc", false, 0.0)]
    [InlineData("", false, 0.0)]
    [InlineData("1e400", false, 0.0)]
    [InlineData("-1e400", false, 0.0)]
    [InlineData("1e-400", false, 0.0)]
    [InlineData("0e-400", true, 0.0)]
    [InlineData("4.9e-324", true, 4.9e-324)]
    public void ParsesDoublesLikeStrtod(string text, bool ok, double value)
    {
        Assert.Equal(ok, RespNumbers.TryParseDouble(Encoding.ASCII.GetBytes(text), out double v));
        if (ok) Assert.Equal(value, v);
    }

    /// <summary>
    /// The plain-decimal fast path gives exactly what the general parser gives (which is correctly rounded),
    /// for random inputs of up to 15 digits with the point anywhere, and for the shapes at its edges.
    /// </summary>
    [Fact]
    public void PlainDecimalsParseExactlyAsTheGeneralParser()
    {
        var rng = new Random(12);
        var inputs = new List<string> { "0", "-0", "5.", ".5", "-.5", "+1.25", "999999999999999", "0.000000000000001", "123456789012345.", "1.0000000000000002" };
        for (int i = 0; i < 200_000; i++)
        {
            int digits = rng.Next(1, 16);
            var text = new System.Text.StringBuilder();
            if (rng.Next(4) == 0) text.Append(rng.Next(2) == 0 ? '-' : '+');
            int point = rng.Next(-1, digits + 1);
            for (int d = 0; d < digits; d++)
            {
                if (d == point) text.Append('.');
                text.Append((char)('0' + rng.Next(10)));
            }
            inputs.Add(text.ToString());
        }
        foreach (var text in inputs)
        {
            Assert.True(RespNumbers.TryParseDouble(Encoding.ASCII.GetBytes(text), out double fast), text);
            double expected = double.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(fast), $"{text}: {fast:R} vs {expected:R}");
        }
        Assert.False(RespNumbers.TryParseDouble("."u8, out _));
        Assert.False(RespNumbers.TryParseDouble("1.2.3"u8, out _));
        Assert.False(RespNumbers.TryParseDouble("-"u8, out _));
    }
}
