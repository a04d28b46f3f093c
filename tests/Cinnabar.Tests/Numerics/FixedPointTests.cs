using System.Globalization;
using System.Text;
using Cinnabar.DataTypes;
using Cinnabar.Numerics;

namespace Cinnabar.Tests.Numerics;

public class FixedPointTests
{
    private static string F(double v, int decimals)
    {
        Span<byte> buf = stackalloc byte[350];
        return Encoding.ASCII.GetString(buf[..FixedPoint.Format(v, decimals, buf)]);
    }

    [Fact]
    public void MatchesExactFormattingOfRandomDoubles()
    {
        // .NET's "F" format prints the exact binary value; away from ties both must agree digit for digit.
        var rnd = new Random(5);
        for (int i = 0; i < 20000; i++)
        {
            double v = (rnd.NextDouble() - 0.5) * Math.Pow(10, rnd.Next(-12, 9));
            foreach (int d in new[] { 4, 17 })
                Assert.Equal(v.ToString("F" + d, CultureInfo.InvariantCulture), F(v, d));
        }
    }

    [Theory]
    [InlineData(0.125, 2, "0.12")]   // exact ties round to even, as glibc's printf
    [InlineData(0.375, 2, "0.38")]
    [InlineData(-0.125, 2, "-0.12")]
    [InlineData(0.0, 4, "0.0000")]
    [InlineData(-0.0, 4, "-0.0000")]
    [InlineData(180.0, 17, "180.00000000000000000")]
    [InlineData(double.PositiveInfinity, 4, "inf")]
    public void EdgeCases(double v, int decimals, string expected) => Assert.Equal(expected, F(v, decimals));
}

public class GeoHashTests
{
    [Fact]
    public void ScoresAreRedisOwn()
    {
        // From Redis' GEOADD documentation: ZSCORE Sicily Palermo / Catania.
        Assert.Equal(3479099956230698UL, GeoHash.Score(13.361389, 38.115556));
        Assert.Equal(3479447370796909UL, GeoHash.Score(15.087269, 37.502669));
    }

    [Fact]
    public void DecodesToTheCellCentreAndMeasuresHaversine()
    {
        var (lon, lat) = GeoHash.DecodeScore(3479099956230698);
        Assert.Equal("13.36138933897018433", lon.ToString("F17", CultureInfo.InvariantCulture));
        Assert.Equal("38.11555639549629859", lat.ToString("F17", CultureInfo.InvariantCulture));
        var (lon2, lat2) = GeoHash.DecodeScore(3479447370796909);
        Assert.Equal("166274.1516", GeoHash.Distance(lon, lat, lon2, lat2).ToString("F4", CultureInfo.InvariantCulture));
    }
}
