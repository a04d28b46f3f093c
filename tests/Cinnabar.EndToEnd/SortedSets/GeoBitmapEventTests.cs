using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.SortedSets;

/// <summary>The keyspace events of BITOP, BITFIELD and the geo writes, compared with a real Redis 7.0's.</summary>
public sealed class GeoBitmapEventTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    private static List<string> ReadUntilMarker(RespClient c)
    {
        var seen = new List<string>();
        while (true)
        {
            var m = c.ReadReply();
            if (m.Contains("events-end")) return seen;
            seen.Add(m);
        }
    }

    [Fact]
    public void EventsMatchRedis()
    {
        using var p = f.Pair();
        using var sub = f.Pair();
        p.Both("CONFIG", "SET", "notify-keyspace-events", "KEA");
        try
        {
            sub.Same("PSUBSCRIBE", "__key*@0__:*", "events-end");
            sub.SameNext();
            string[][] commands =
            [
                ["SET", "ev:a", "abc"], ["BITOP", "AND", "ev:d", "ev:a", "ev:none"], ["BITOP", "OR", "ev:d", "ev:none"], ["BITOP", "NOT", "ev:d", "ev:none"],
                ["BITFIELD", "ev:b", "GET", "u8", "0"], ["BITFIELD", "ev:b", "OVERFLOW", "FAIL", "SET", "u2", "0", "9"], ["BITFIELD", "ev:b", "INCRBY", "u2", "0", "1", "SET", "i8", "8", "1"],
                ["GEOADD", "ev:g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"], ["GEOADD", "ev:g", "NX", "1", "1", "Palermo"],
                ["GEOADD", "ev:g", "XX", "1", "1", "Palermo"], ["GEOADD", "ev:g2", "XX", "1", "1", "Palermo"],
                ["GEORADIUS", "ev:g", "15", "37", "200", "km", "STORE", "ev:s"], ["GEORADIUSBYMEMBER", "ev:g", "Catania", "1", "m", "STOREDIST", "ev:s2"],
                ["GEOSEARCHSTORE", "ev:s3", "ev:g", "FROMMEMBER", "Catania", "BYRADIUS", "500", "km"], ["GEOSEARCHSTORE", "ev:s3", "ev:g", "FROMLONLAT", "0", "0", "BYBOX", "1", "1", "m"],
                ["GEOSEARCHSTORE", "ev:s", "ev:missing", "FROMLONLAT", "0", "0", "BYBOX", "1", "1", "m"],
            ];
            foreach (var c in commands) p.Same(c);
            p.Both("PUBLISH", "events-end", "x");
            var expected = ReadUntilMarker(sub.Redis);
            var actual = ReadUntilMarker(sub.Ours);
            Assert.True(expected.SequenceEqual(actual),
                $"events differ\n  redis:    {DiffPair.Escape(string.Join(" | ", expected))}\n  cinnabar: {DiffPair.Escape(string.Join(" | ", actual))}");
            Assert.NotEmpty(expected);
        }
        finally
        {
            p.Both("CONFIG", "SET", "notify-keyspace-events", "");
        }
    }
}
