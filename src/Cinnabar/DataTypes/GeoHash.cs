namespace Cinnabar.DataTypes;

/// <summary>A geohash cell: interleaved bits (latitude in the even bits, longitude in the odd ones) at a step (bits per axis).</summary>
public readonly record struct GeoHashBits(ulong Bits, int Step)
{
    public bool IsZero => Bits == 0 && Step == 0;
}

/// <summary>The longitude and latitude bounds of a cell.</summary>
public readonly record struct GeoArea(double LonMin, double LonMax, double LatMin, double LatMax);

/// <summary>
/// Redis' geohash.c and geohash_helper.c: the 52-bit interleaved geohash stored as a sorted-set score, its
/// decoding to the cell centre, the haversine distance and the choice of the nine cells a search scans.
/// Every expression keeps Redis' operation order, so results agree to the last bit.
/// </summary>
public static class GeoHash
{
    public const int StepMax = 26;
    public const double LatMin = -85.05112878, LatMax = 85.05112878, LonMin = -180, LonMax = 180;
    public const double EarthRadius = 6372797.560856;
    private const double MercatorMax = 20037726.37;
    private const double DegToRad = Math.PI / 180.0;

    private static double Rad(double deg) => deg * DegToRad;
    private static double Deg(double rad) => rad / DegToRad;

    /// <summary>Spreads the 32 bits of <paramref name="v"/> to the even bits of a ulong.</summary>
    private static ulong Spread(uint v)
    {
        ulong x = v;
        x = (x | (x << 16)) & 0x0000FFFF0000FFFFUL;
        x = (x | (x << 8)) & 0x00FF00FF00FF00FFUL;
        x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FUL;
        x = (x | (x << 2)) & 0x3333333333333333UL;
        x = (x | (x << 1)) & 0x5555555555555555UL;
        return x;
    }

    /// <summary>Gathers the even bits of <paramref name="x"/> into 32 bits.</summary>
    private static uint Squash(ulong x)
    {
        x &= 0x5555555555555555UL;
        x = (x | (x >> 1)) & 0x3333333333333333UL;
        x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FUL;
        x = (x | (x >> 4)) & 0x00FF00FF00FF00FFUL;
        x = (x | (x >> 8)) & 0x0000FFFF0000FFFFUL;
        x = (x | (x >> 16)) & 0x00000000FFFFFFFFUL;
        return (uint)x;
    }

    /// <summary>geohashEncode over the given ranges; false outside Redis' limits.</summary>
    public static bool Encode(double lonMin, double lonMax, double latMin, double latMax, double lon, double lat, int step, out GeoHashBits hash)
    {
        hash = default;
        if (lon > 180 || lon < -180 || lat > 85.05112878 || lat < -85.05112878) return false;
        if (lat < latMin || lat > latMax || lon < lonMin || lon > lonMax) return false;
        double latOffset = (lat - latMin) / (latMax - latMin);
        double lonOffset = (lon - lonMin) / (lonMax - lonMin);
        latOffset *= 1UL << step;
        lonOffset *= 1UL << step;
        // C converts the double arguments of interleave64(uint32, uint32) by truncation.
        hash = new GeoHashBits(Spread((uint)latOffset) | (Spread((uint)lonOffset) << 1), step);
        return true;
    }

    public static bool EncodeWgs84(double lon, double lat, int step, out GeoHashBits hash) =>
        Encode(LonMin, LonMax, LatMin, LatMax, lon, lat, step, out hash);

    /// <summary>The score Redis stores for a position (geohashAlign52Bits of the step-26 hash).</summary>
    public static ulong Score(double lon, double lat)
    {
        EncodeWgs84(lon, lat, StepMax, out var h);
        return Align52(h);
    }

    public static ulong Align52(GeoHashBits h) => h.Bits << (52 - h.Step * 2);

    public static GeoArea Decode(GeoHashBits h)
    {
        uint ilat = Squash(h.Bits), ilon = Squash(h.Bits >> 1);
        double latScale = LatMax - LatMin, lonScale = LonMax - LonMin;
        double div = 1UL << h.Step;
        return new GeoArea(
            LonMin + (ilon * 1.0 / div) * lonScale,
            LonMin + ((uint)(ilon + 1) * 1.0 / div) * lonScale,
            LatMin + (ilat * 1.0 / div) * latScale,
            LatMin + ((uint)(ilat + 1) * 1.0 / div) * latScale);
    }

    /// <summary>decodeGeohash: the centre of the step-26 cell of a score, clamped to the valid range.</summary>
    public static (double Lon, double Lat) DecodeScore(double score)
    {
        var a = Decode(new GeoHashBits(ScoreBits(score), StepMax));
        double lon = (a.LonMin + a.LonMax) / 2;
        if (lon > LonMax) lon = LonMax;
        if (lon < LonMin) lon = LonMin;
        double lat = (a.LatMin + a.LatMax) / 2;
        if (lat > LatMax) lat = LatMax;
        if (lat < LatMin) lat = LatMin;
        return (lon, lat);
    }

    /// <summary>C's (uint64_t) conversion of a score, as x86-64 compilers do it (negative values wrap).</summary>
    private static ulong ScoreBits(double score) =>
        score >= 9223372036854775808.0 ? (ulong)score : unchecked((ulong)(long)score);

    public static double LatDistance(double lat1, double lat2) => EarthRadius * Math.Abs(Rad(lat2) - Rad(lat1));

    /// <summary>geohashGetDistance: haversine over Redis' earth radius.</summary>
    public static double Distance(double lon1, double lat1, double lon2, double lat2)
    {
        double lon1r = Rad(lon1), lon2r = Rad(lon2);
        double v = Math.Sin((lon2r - lon1r) / 2);
        if (v == 0.0) return LatDistance(lat1, lat2);
        double lat1r = Rad(lat1), lat2r = Rad(lat2);
        double u = Math.Sin((lat2r - lat1r) / 2);
        double a = u * u + Math.Cos(lat1r) * Math.Cos(lat2r) * v * v;
        return 2.0 * EarthRadius * Math.Asin(Math.Sqrt(a));
    }

    private static int EstimateSteps(double rangeMeters, double lat)
    {
        if (rangeMeters == 0) return 26;
        int step = 1;
        while (rangeMeters < MercatorMax)
        {
            rangeMeters *= 2;
            step++;
        }
        step -= 2;
        if (lat > 66 || lat < -66)
        {
            step--;
            if (lat > 80 || lat < -80) step--;
        }
        return Math.Clamp(step, 1, 26);
    }

    /// <summary>Redis' geohash_move_x/y: steps the interleaved bits of one axis (<paramref name="axis"/>) by <paramref name="d"/> cells, carrying through the other axis' bits.</summary>
    private static GeoHashBits Move(GeoHashBits h, int d, ulong axis)
    {
        if (d == 0) return h;
        ulong moving = h.Bits & axis, other = h.Bits & ~axis;
        ulong zz = ~axis >> (64 - h.Step * 2);
        if (d > 0) moving += zz + 1;
        else
        {
            moving |= zz;
            moving -= zz + 1;
        }
        moving &= axis >> (64 - h.Step * 2);
        return h with { Bits = moving | other };
    }

    private static GeoHashBits MoveX(GeoHashBits h, int d) => Move(h, d, 0xaaaaaaaaaaaaaaaaUL);
    private static GeoHashBits MoveY(GeoHashBits h, int d) => Move(h, d, 0x5555555555555555UL);

    private static GeoHashBits Neighbour(GeoHashBits h, int dx, int dy) => MoveY(MoveX(h, dx), dy);

    /// <summary>
    /// geohashCalculateAreasByShapeWGS84: the centre cell and its eight neighbours, in the order Redis
    /// scans them (centre, N, S, E, W, NE, NW, SE, SW), with useless ones zeroed.
    /// </summary>
    public static void SearchAreas(in GeoShape shape, Span<GeoHashBits> cells)
    {
        double lon = shape.Lon, lat = shape.Lat;
        bool circle = shape.IsRadius;
        double height = shape.Conversion * (circle ? shape.Radius : shape.Height / 2);
        double width = shape.Conversion * (circle ? shape.Radius : shape.Width / 2);
        double latDelta = Deg(height / EarthRadius);
        double lonDeltaTop = Deg(width / EarthRadius / Math.Cos(Rad(lat + latDelta)));
        double lonDeltaBottom = Deg(width / EarthRadius / Math.Cos(Rad(lat - latDelta)));
        bool south = lat < 0;
        double minLon = south ? lon - lonDeltaBottom : lon - lonDeltaTop;
        double maxLon = south ? lon + lonDeltaBottom : lon + lonDeltaTop;
        double minLat = lat - latDelta, maxLat = lat + latDelta;

        double radiusMeters = circle ? shape.Radius
            : Math.Sqrt((shape.Width / 2) * (shape.Width / 2) + (shape.Height / 2) * (shape.Height / 2));
        radiusMeters *= shape.Conversion;
        int steps = EstimateSteps(radiusMeters, lat);

        EncodeWgs84(lon, lat, steps, out var hash);
        var area = Decode(hash);
        bool decrease = Decode(Neighbour(hash, 0, 1)).LatMax < maxLat
            || Decode(Neighbour(hash, 0, -1)).LatMin > minLat
            || Decode(Neighbour(hash, 1, 0)).LonMax < maxLon
            || Decode(Neighbour(hash, -1, 0)).LonMin > minLon;
        if (steps > 1 && decrease)
        {
            steps--;
            EncodeWgs84(lon, lat, steps, out hash);
            area = Decode(hash);
        }
        cells[0] = hash;
        cells[1] = Neighbour(hash, 0, 1);   // north
        cells[2] = Neighbour(hash, 0, -1);  // south
        cells[3] = Neighbour(hash, 1, 0);   // east
        cells[4] = Neighbour(hash, -1, 0);  // west
        cells[5] = Neighbour(hash, 1, 1);   // north-east
        cells[6] = Neighbour(hash, -1, 1);  // north-west
        cells[7] = Neighbour(hash, 1, -1);  // south-east
        cells[8] = Neighbour(hash, -1, -1); // south-west
        if (steps >= 2)
        {
            if (area.LatMin < minLat) cells[2] = cells[8] = cells[7] = default;
            if (area.LatMax > maxLat) cells[1] = cells[5] = cells[6] = default;
            if (area.LonMin < minLon) cells[4] = cells[8] = cells[6] = default;
            if (area.LonMax > maxLon) cells[3] = cells[7] = cells[5] = default;
        }
    }

    /// <summary>geoWithinShape: whether a decoded position lies in the shape, with its distance in meters.</summary>
    public static bool WithinShape(in GeoShape shape, double lon, double lat, out double distance)
    {
        if (shape.IsRadius)
        {
            distance = Distance(shape.Lon, shape.Lat, lon, lat);
            return !(distance > shape.Radius * shape.Conversion);
        }
        distance = 0;
        if (LatDistance(lat, shape.Lat) > shape.Height * shape.Conversion / 2) return false;
        if (Distance(lon, lat, shape.Lon, lat) > shape.Width * shape.Conversion / 2) return false;
        distance = Distance(shape.Lon, shape.Lat, lon, lat);
        return true;
    }

    private const string Alphabet = "0123456789bcdefghjkmnpqrstuvwxyz";

    /// <summary>The 11-character standard geohash GEOHASH answers (re-encoded over -90..90, last char '0').</summary>
    public static void StandardGeoHash(double score, Span<byte> dest)
    {
        var (lon, lat) = DecodeScore(score);
        Encode(-180, 180, -90, 90, lon, lat, 26, out var h);
        for (int i = 0; i < 11; i++)
        {
            int idx = i == 10 ? 0 : (int)((h.Bits >> (52 - (i + 1) * 5)) & 0x1f);
            dest[i] = (byte)Alphabet[idx];
        }
    }
}

/// <summary>A search shape: a centre, and a radius or a box (in the unit given), with the unit's meters.</summary>
public struct GeoShape
{
    public double Lon, Lat;
    public bool IsRadius;
    public double Radius, Width, Height;
    public double Conversion;
}
