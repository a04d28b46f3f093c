using System.Globalization;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.SortedSets;

/// <summary>The geo commands against a real Redis 7.0: replies byte for byte (distances, 17-digit coordinates, hashes), random inputs, RESP2 and RESP3.</summary>
public sealed class GeoDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    private static string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A random position: anywhere, or clustered near a few centres (searches find something), or near the poles and the antimeridian.</summary>
    private static (string Lon, string Lat) Position(Random rnd, double cLon, double cLat)
    {
        switch (rnd.Next(6))
        {
            case 0: return (D(rnd.NextDouble() * 360 - 180), D(rnd.NextDouble() * 170.1 - 85.05));
            case 1: return (D(rnd.NextDouble() * 2 - 1 + (rnd.Next(2) == 0 ? 179 : -179)), D(rnd.NextDouble() * 10 + 75 * (rnd.Next(2) == 0 ? 1 : -1)));
            default: return (D(Math.Clamp(cLon + (rnd.NextDouble() - 0.5) * 0.4, -180, 180)), D(Math.Clamp(cLat + (rnd.NextDouble() - 0.5) * 0.3, -85, 85)));
        }
    }

    [Theory]
    [InlineData("2", 1)]
    [InlineData("3", 2)]
    [InlineData("2", 3)]
    public void RandomSetsAndSearches(string protocol, int seed)
    {
        using var p = f.Pair();
        p.Both("HELLO", protocol);
        var rnd = new Random(seed);
        string key = $"geo{seed}:k", dst = $"geo{seed}:d";
        p.Both("DEL", key, dst);
        var r = new CommandRecorder(p, []);
        (double Lon, double Lat)[] centres = [(13.361389, 38.115556), (-73.98, 40.75), (151.2, -33.87), (179.9, 0.1), (2.35, 48.85)];
        var members = new List<string>();
        string[] units = ["m", "km", "ft", "mi", "KM", "M"];
        // Big enough to become a skip list on the first rounds (listpack until 128 members by default).
        int total = seed == 1 ? 60 : 400;
        for (int i = 0; i < total; i += 20)
        {
            var args = new List<string> { "GEOADD", key };
            if (rnd.Next(5) == 0) args.Add("CH");
            for (int j = 0; j < 20; j++)
            {
                var c = centres[rnd.Next(centres.Length)];
                var (lon, lat) = Position(rnd, c.Lon, c.Lat);
                string m = "m" + rnd.Next(total * 2);
                members.Add(m);
                args.AddRange([lon, lat, m]);
            }
            r.Same([.. args]);
        }
        r.Same("ZRANGE", key, "0", "-1", "WITHSCORES");
        string Member() => rnd.Next(15) == 0 ? "nosuch" : members[rnd.Next(members.Count)];
        string Unit() => units[rnd.Next(units.Length)];
        string Radius() => rnd.Next(4) switch { 0 => D(rnd.NextDouble() * 5000), 1 => D(rnd.NextDouble() * 50), 2 => "0", _ => D(rnd.NextDouble() * 300) };
        string[] Options(bool store)
        {
            var o = new List<string>();
            if (!store)
            {
                if (rnd.Next(2) == 0) o.Add("WITHDIST");
                if (rnd.Next(3) == 0) o.Add("WITHHASH");
                if (rnd.Next(2) == 0) o.Add("WITHCOORD");
            }
            // Without ASC/DESC an unsorted result follows the cells' order, which is also compared.
            switch (rnd.Next(3)) { case 0: o.Add("ASC"); break; case 1: o.Add("DESC"); break; }
            if (rnd.Next(3) == 0)
            {
                o.AddRange(["COUNT", rnd.Next(1, 8).ToString()]);
                if (rnd.Next(3) == 0) o.Add("ANY");
            }
            return [.. o];
        }
        for (int step = 0; step < 250; step++)
        {
            var c = centres[rnd.Next(centres.Length)];
            var (lon, lat) = Position(rnd, c.Lon, c.Lat);
            switch (rnd.Next(10))
            {
                case 0: r.Same("GEODIST", key, Member(), Member(), Unit()); r.Same("GEODIST", key, Member(), Member()); break;
                case 1: r.Same("GEOPOS", key, Member(), Member(), Member()); r.Same("GEOHASH", key, Member(), Member()); break;
                case 2: r.Same(["GEORADIUS", key, lon, lat, Radius(), Unit(), .. Options(false)]); break;
                case 3: r.Same(["GEORADIUS_RO", key, lon, lat, Radius(), Unit(), .. Options(false)]); break;
                case 4: r.Same(["GEORADIUSBYMEMBER", key, Member(), Radius(), Unit(), .. Options(false)]); break;
                case 5: r.Same(["GEOSEARCH", key, "FROMLONLAT", lon, lat, "BYBOX", Radius(), Radius(), Unit(), .. Options(false)]); break;
                case 6: r.Same(["GEOSEARCH", key, "FROMMEMBER", Member(), "BYRADIUS", Radius(), Unit(), .. Options(false)]); break;
                case 7:
                    r.Same(["GEOSEARCHSTORE", dst, key, "FROMLONLAT", lon, lat, rnd.Next(2) == 0 ? "BYRADIUS" : "BYBOX", .. (rnd.Next(2) == 0 ? new[] { Radius() } : [Radius(), Radius()]), Unit(), .. Options(true), .. (rnd.Next(2) == 0 ? new[] { "STOREDIST" } : [])]);
                    r.Same("ZRANGE", dst, "0", "-1", "WITHSCORES");
                    r.Same("OBJECT", "ENCODING", dst);
                    break;
                case 8:
                    r.Same(["GEORADIUS", key, lon, lat, Radius(), Unit(), .. Options(true), rnd.Next(2) == 0 ? "STORE" : "STOREDIST", dst]);
                    r.Same("ZRANGE", dst, "0", "-1", "WITHSCORES");
                    r.Same("EXISTS", dst);
                    break;
                default:
                {
                    var args = new List<string> { "GEOADD", key };
                    if (rnd.Next(3) == 0) args.Add(rnd.Next(2) == 0 ? "NX" : "XX");
                    if (rnd.Next(3) == 0) args.Add("CH");
                    // Distinct positions: Redis orders equal distances with an unstable partial sort under COUNT.
                    for (int j = rnd.Next(1, 4); j > 0; j--)
                    {
                        (lon, lat) = Position(rnd, c.Lon, c.Lat);
                        args.AddRange([lon, lat, Member()]);
                    }
                    r.Same([.. args]);
                    break;
                }
            }
        }
    }

    [Fact]
    public void ErrorsAndEdges()
    {
        using var p = f.Pair();
        const string k = "geoerr:k";
        p.Both("DEL", k, "geoerr:d");
        p.Same("GEOADD", k, "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania");
        p.Same("GEOADD", k, "181", "10", "x");
        p.Same("GEOADD", k, "10", "85.06", "x");
        p.Same("GEOADD", k, "-180.0000001", "-85.1", "x");
        p.Same("GEOADD", k, "inf", "0", "x");
        p.Same("GEOADD", k, "a", "0", "x");
        p.Same("GEOADD", k, "0", "nan", "x");
        p.Same("GEOADD", k, "1", "2", "x", "3");
        p.Same("GEOADD", k, "NX", "XX", "1", "2", "x");
        p.Same("GEOADD", k, "NX", "CH", "XX");
        p.Same("GEOADD", k, "CH", "CH", "CH");
        p.Same("GEOADD", k, "GT", "1", "2", "x");
        p.Same("GEOADD", k, "1", "2", "ok", "200", "2", "bad"); // nothing added when one pair is bad
        p.Same("ZCARD", k);
        p.Same("GEOADD", k, "XX", "1", "2", "Palermo", "3", "4", "new");
        p.Same("GEOADD", k, "NX", "CH", "5", "6", "Palermo", "7", "8", "new2");
        p.Same("GEOADD", k, "CH", "5", "6", "Palermo", "7", "8", "new2");
        p.Same("GEOADD", "geoerr:xx", "XX", "1", "2", "a");
        p.Same("EXISTS", "geoerr:xx");
        p.Same("GEOADD", k, "180", "85.05112878", "corner", "-180", "-85.05112878", "corner2", "0", "0", "origin");
        p.Same("GEOPOS", k, "corner", "corner2", "origin", "missing");
        p.Same("GEOHASH", k, "corner", "corner2", "origin", "Palermo", "missing");
        p.Same("GEOPOS", "geoerr:missing", "a", "b");
        p.Same("GEOHASH", "geoerr:missing", "a");
        p.Same("GEODIST", k, "Palermo", "Catania");
        p.Same("GEODIST", k, "Palermo", "Catania", "km");
        p.Same("GEODIST", k, "Palermo", "Catania", "parsec");
        p.Same("GEODIST", k, "Palermo", "Catania", "km", "x");
        p.Same("GEODIST", k, "Palermo", "nope");
        p.Same("GEODIST", "geoerr:missing", "a", "b");
        p.Same("GEODIST", "geoerr:missing", "a", "b", "parsec");
        p.Same("GEODIST", k, "corner", "corner2", "mi");
        // A score set by ZADD decodes as Redis decodes it.
        p.Same("ZADD", k, "4503599627370495", "maxscore", "-5", "negative", "1e20", "huge");
        p.Same("GEOPOS", k, "maxscore", "negative");
        p.Same("GEOHASH", k, "maxscore");
        p.Same("ZREM", k, "maxscore", "negative", "huge");

        string[][] searches =
        [
            ["GEORADIUS", k, "15", "37", "200", "km"],
            ["GEORADIUS", k, "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH", "ASC"],
            ["GEORADIUS", k, "15", "37", "-1", "km"],
            ["GEORADIUS", k, "15", "37", "x", "km"],
            ["GEORADIUS", k, "15", "37", "200", "parsec"],
            ["GEORADIUS", k, "190", "37", "200", "km"],
            ["GEORADIUS", k, "15", "37", "200", "km", "COUNT", "0"],
            ["GEORADIUS", k, "15", "37", "200", "km", "COUNT", "-3"],
            ["GEORADIUS", k, "15", "37", "200", "km", "COUNT", "x"],
            ["GEORADIUS", k, "15", "37", "200", "km", "COUNT"],
            ["GEORADIUS", k, "15", "37", "200", "km", "ANY"],
            ["GEORADIUS", k, "15", "37", "200", "km", "COUNT", "1", "ANY", "DESC"],
            ["GEORADIUS", k, "15", "37", "200", "km", "STORE", "geoerr:d", "WITHDIST"],
            ["GEORADIUS", k, "15", "37", "200", "km", "STORE"],
            ["GEORADIUS", k, "15", "37", "200", "km", "FROMLONLAT", "1", "2"],
            ["GEORADIUS", k, "15", "37", "200", "km", "BOGUS"],
            ["GEORADIUS_RO", k, "15", "37", "200", "km", "STORE", "geoerr:d"],
            ["GEORADIUSBYMEMBER", k, "Palermo", "200", "km", "WITHDIST"],
            ["GEORADIUSBYMEMBER", k, "nope", "200", "km"],
            ["GEORADIUSBYMEMBER", k, "nope", "x", "km"],
            ["GEORADIUSBYMEMBER", "geoerr:missing", "nope", "x", "parsec"],
            ["GEORADIUSBYMEMBER", "geoerr:missing", "nope", "1", "km", "BOGUS"],
            ["GEORADIUSBYMEMBER", "geoerr:missing", "nope", "1", "km", "STORE", "geoerr:d"],
            ["GEORADIUSBYMEMBER_RO", k, "Palermo", "200", "km", "STOREDIST", "geoerr:d"],
            ["GEOSEARCH", k, "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km"],
            ["GEOSEARCH", k, "FROMMEMBER", "Palermo", "FROMLONLAT", "1", "2", "BYRADIUS", "200", "km"],
            ["GEOSEARCH", k, "FROMLONLAT", "1", "2", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km"],
            ["GEOSEARCH", k, "BYRADIUS", "200", "km"],
            ["geosearch", k, "FROMMEMBER", "Palermo"],
            ["GEOSEARCH", k, "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "BYBOX", "1", "1", "km"],
            ["GEOSEARCH", k, "FROMMEMBER", "Palermo", "BYBOX", "-1", "1", "km"],
            ["GEOSEARCH", k, "FROMMEMBER", "Palermo", "BYBOX", "x", "1", "km"],
            ["GEOSEARCH", k, "FROMMEMBER", "Palermo", "BYBOX", "1", "y", "km"],
            ["GEOSEARCH", k, "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km", "WITHCOORD", "WITHDIST"],
            ["GEOSEARCH", k, "FROMMEMBER", "nope", "BYBOX", "400", "400", "km"],
            ["GEOSEARCH", k, "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "STORE", "geoerr:d"],
            ["GEOSEARCH", k, "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "STOREDIST"],
            ["GEOSEARCH", "geoerr:missing", "FROMMEMBER", "nope", "BYRADIUS", "200", "km"],
            ["GEOSEARCH", "geoerr:missing", "FROMLONLAT", "200", "0", "BYRADIUS", "200", "km"],
            ["GEOSEARCH", "geoerr:missing", "BYRADIUS", "200", "km"],
            ["GEOSEARCHSTORE", "geoerr:d", k, "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "WITHDIST"],
            ["GEOSEARCHSTORE", "geoerr:d", k, "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "STOREDIST"],
            ["ZRANGE", "geoerr:d", "0", "-1", "WITHSCORES"],
            ["GEOSEARCHSTORE", "geoerr:d", k, "FROMLONLAT", "-100", "0", "BYRADIUS", "1", "km"],
            ["EXISTS", "geoerr:d"],
            ["GEOSEARCHSTORE", "geoerr:d", k, "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km"],
            ["GEOSEARCHSTORE", "geoerr:d", "geoerr:missing", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km"],
            ["EXISTS", "geoerr:d"],
            ["GEOSEARCHSTORE", k, k, "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "COUNT", "1"], // the source is the destination
            ["ZRANGE", k, "0", "-1", "WITHSCORES"],
        ];
        foreach (var proto in new[] { "2", "3" })
        {
            p.Both("HELLO", proto);
            p.Both("DEL", k);
            p.Same("GEOADD", k, "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania", "0", "0", "origin");
            foreach (var s in searches) p.Same(s);
        }
        p.Both("SET", "geoerr:str", "x");
        foreach (var s in new[] { "GEOADD", "GEODIST", "GEOPOS", "GEOHASH" })
            p.Same(s, "geoerr:str", "1", "2", "m");
        p.Same("GEORADIUS", "geoerr:str", "190", "2", "x", "parsec");
        p.Same("GEOSEARCH", "geoerr:str", "BOGUS");
        p.Same("GEOSEARCHSTORE", "geoerr:d", "geoerr:str", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "m");
        p.Same("COMMAND", "GETKEYS", "GEORADIUS", "a", "1", "2", "3", "m", "STORE", "b", "STOREDIST", "c");
    }

    /// <summary>A geo set is a sorted set: DUMP from one server restores on the other with the same positions.</summary>
    [Fact]
    public void DumpRestoreBothWays()
    {
        using var p = f.Pair();
        var rnd = new Random(9);
        p.Both("DEL", "geodump:a", "geodump:b");
        foreach (var (key, size) in new[] { ("geodump:a", 20), ("geodump:b", 300) })
        {
            var args = new List<string> { "GEOADD", key };
            for (int i = 0; i < size; i++) args.AddRange([D(rnd.NextDouble() * 2 + 10), D(rnd.NextDouble() * 2 + 40), "p" + i]);
            p.Same([.. args]);
        }
        foreach (var key in new[] { "geodump:a", "geodump:b" })
        {
            var fromRedis = RespClient.BulkContent(p.Redis.Call("DUMP", key));
            var fromOurs = RespClient.BulkContent(p.Ours.Call("DUMP", key));
            Assert.Equal("+OK\r\n", p.Ours.Call("RESTORE", key + ":r", "0", fromRedis));
            Assert.Equal("+OK\r\n", p.Redis.Call("RESTORE", key + ":r", "0", fromOurs));
            p.Same("GEOSEARCH", key + ":r", "FROMLONLAT", "11", "41", "BYRADIUS", "60", "km", "WITHCOORD", "WITHDIST", "ASC");
            p.Same("GEOPOS", key + ":r", "p0", "p7", "p19");
            p.Both("DEL", key + ":r");
        }
    }
}
