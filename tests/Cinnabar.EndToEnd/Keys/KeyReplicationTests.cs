using Cinnabar.EndToEnd.Infrastructure;
using static Cinnabar.EndToEnd.Sets.CollectionTestSupport;

namespace Cinnabar.EndToEnd.Keys;

/// <summary>
/// Random key-command writes on a Cinnabar master reach a real Redis replica with identical results:
/// relative expiries arrive as absolute PEXPIREATs, past times as DELs, FLUSH*/SWAPDB/MOVE/COPY replay.
/// </summary>
public sealed class KeyReplicationTests
{
    private static string[] RandomWrite(Random rng)
    {
        string K() => "k" + rng.Next(30);
        return rng.Next(20) switch
        {
            0 or 1 or 2 => ["SET", K(), rng.Next(100).ToString()],
            3 => ["SADD", K(), "m" + rng.Next(5)],
            4 => ["EXPIRE", K(), rng.Next(100, 1000).ToString(), rng.Next(2) == 0 ? "GT" : "NX"],
            5 => ["PEXPIRE", K(), rng.Next(100_000, 1_000_000).ToString()],
            6 => ["EXPIREAT", K(), rng.Next(3) == 0 ? "1" : "99999999999"],
            7 => ["PEXPIREAT", K(), "99999999999999", "LT"],
            8 => ["EXPIRE", K(), "-1"],
            9 => ["PERSIST", K()],
            10 => ["RENAME", K(), K()],
            11 => ["RENAMENX", K(), K()],
            12 => ["COPY", K(), K(), "DB", rng.Next(3).ToString(), "REPLACE"],
            13 => ["MOVE", K(), rng.Next(3).ToString()],
            14 => ["DEL", K(), K()],
            15 => ["UNLINK", K()],
            16 => ["SELECT", rng.Next(3).ToString()],
            17 => rng.Next(10) == 0 ? ["SWAPDB", rng.Next(3).ToString(), rng.Next(3).ToString()] : ["SET", K(), "x", "PX", "1"],
            18 => rng.Next(30) == 0 ? ["FLUSHDB"] : ["TOUCH", K()],
            _ => rng.Next(60) == 0 ? ["FLUSHALL"] : ["SET", K(), "y"],
        };
    }

    /// <summary>type:value@expiretime of every key of databases 0-2, read through commands.</summary>
    private static SortedDictionary<string, string> Dump(RespClient c)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int db = 0; db < 3; db++)
        {
            c.Call("SELECT", db.ToString());
            foreach (var key in Flat(c.Call("KEYS", "*")))
            {
                var type = c.Call("TYPE", key!)[1..^2];
                var value = type == "string"
                    ? c.Call("GET", key!)
                    : string.Join("|", Flat(c.Call("SMEMBERS", key!)).Order(StringComparer.Ordinal));
                result[$"{db}:{key}"] = $"{type}:{value}@{c.Call("PEXPIRETIME", key!)}";
            }
        }
        return result;
    }

    [Fact]
    public async Task RandomKeyCommandsReachARealReplicaIdentically()
    {
        await using var master = new TestServer();
        using var replica = new RealRedis("--replicaof", "127.0.0.1", master.Port.ToString());
        using var r = replica.Connect();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!r.Call("INFO", "replication").Contains("master_link_status:up") && DateTime.UtcNow < deadline) Thread.Sleep(50);
        using var m = master.Raw();
        var rng = new Random(7);
        for (int i = 0; i < 3000; i++) m.Call(RandomWrite(rng));
        Assert.Equal(":1\r\n", m.Call("WAIT", "1", "10000"));
        Thread.Sleep(5);
        var expected = Dump(m);
        var actual = Dump(r);
        Assert.True(expected.Count > 10, "the random writes should leave data behind");
        var diff = expected.Keys.Union(actual.Keys).Where(k => expected.GetValueOrDefault(k) != actual.GetValueOrDefault(k))
            .Select(k => $"{k}: master={expected.GetValueOrDefault(k)} replica={actual.GetValueOrDefault(k)}").Take(10).ToList();
        Assert.True(diff.Count == 0, "datasets differ:\n" + string.Join("\n", diff));
    }
}
