using System.Text;
using Cinnabar.DataTypes;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Replication;

/// <summary>
/// After thousands of random writes of every type (with expiries and non-deterministic commands), a
/// master and its replica hold identical data: every key's type, value and expiry time.
/// </summary>
public sealed class ReplicationConsistencyTests
{
    private static readonly Encoding L = Encoding.Latin1;

    /// <summary>A random write command over a small key space, so keys collide, change type and expire.</summary>
    private static string[] RandomWrite(Random rng)
    {
        string k = "k" + rng.Next(40), m = "m" + rng.Next(30), v = rng.Next(3) == 0 ? "v\0\r\n" + rng.Next(100) : rng.Next(1000).ToString();
        string x = "x" + k, g = "g" + rng.Next(2), consumer = "c" + rng.Next(3);
        return rng.Next(42) switch
        {
            0 => ["SET", "s" + k, v],
            1 => ["SET", "s" + k, v, "EX", rng.Next(100, 1000).ToString()],
            2 => ["SET", "s" + k, v, "PX", "1"], // expires almost at once: exercises expiry propagation
            3 => ["INCRBY", "n" + k, rng.Next(-50, 50).ToString()],
            4 => ["INCRBYFLOAT", "f" + k, (rng.NextDouble() * 10).ToString("R")],
            5 => ["APPEND", "s" + k, v],
            6 => ["GETDEL", "s" + k],
            7 => ["GETEX", "s" + k, "EX", rng.Next(100, 1000).ToString()],
            8 => ["GETEX", "s" + k, "PERSIST"],
            9 => ["SETRANGE", "s" + k, rng.Next(10).ToString(), v],
            10 => ["HSET", "h" + k, m, v],
            11 => ["HDEL", "h" + k, m],
            12 => ["HINCRBYFLOAT", "h" + k, "f" + m, "1.5"],
            13 => ["HINCRBY", "h" + k, "i" + m, "3"],
            14 => ["SADD", "t" + k, m, rng.Next(50).ToString()],
            15 => ["SREM", "t" + k, m],
            16 => ["SPOP", "t" + k],
            17 => ["SPOP", "t" + k, rng.Next(4).ToString()],
            18 => ["SMOVE", "t" + k, "t" + "k" + rng.Next(40), m],
            19 => ["SINTERSTORE", "t" + k, "t" + "k" + rng.Next(40), "t" + "k" + rng.Next(40)],
            20 => ["MSET", "s" + k, v, "s" + "k" + rng.Next(40), v],
            21 => ["SETEX", "s" + k, rng.Next(100, 1000).ToString(), v],
            22 => ["SELECT", rng.Next(3).ToString()],
            23 => ["RPUSH", "l" + k, v, m],
            24 => ["LPOP", "l" + k],
            25 => ["LMOVE", "l" + k, "l" + "k" + rng.Next(40), "LEFT", "RIGHT"],
            26 => ["LTRIM", "l" + k, "0", rng.Next(5).ToString()],
            27 => ["LMPOP", "2", "l" + k, "l" + "k" + rng.Next(40), "RIGHT", "COUNT", "2"],
            28 => ["ZADD", "z" + k, rng.Next(100).ToString(), m],
            29 => ["ZINCRBY", "z" + k, "0.5", m],
            30 => ["ZPOPMIN", "z" + k],
            31 => ["ZUNIONSTORE", "z" + k, "2", "z" + k, "z" + "k" + rng.Next(40)],
            32 => ["ZREMRANGEBYSCORE", "z" + k, "0", rng.Next(50).ToString()],
            // Streams: generated IDs, approximate trims and group reads are propagated as the explicit
            // commands Redis sends (XADD with the ID, XTRIM =, XCLAIM ... TIME, XGROUP SETID).
            33 => ["XADD", x, "MAXLEN", "~", "20", "*", "f", v],
            34 => ["XADD", x, "*", "f", v, m, v],
            35 => ["XTRIM", x, "MAXLEN", rng.Next(10).ToString()],
            36 => ["XGROUP", "CREATE", x, g, rng.Next(2) == 0 ? "0" : "$", "MKSTREAM"],
            37 => ["XREADGROUP", "GROUP", g, consumer, "COUNT", "2", "STREAMS", x, ">"],
            38 => ["XAUTOCLAIM", x, g, consumer, "0", "0-0", "COUNT", "2"],
            39 => ["XGROUP", "SETID", x, g, "0"],
            40 => ["XGROUP", "DELCONSUMER", x, g, consumer],
            _ => ["DEL", "s" + k, "h" + k, "x" + k],
        };
    }

    /// <summary>Every key of databases 0-2 on a real Redis: type, value (order-independent), expiry.</summary>
    private static SortedDictionary<string, string> DumpRedis(RespClient c)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int db = 0; db < 3; db++)
        {
            c.Call("SELECT", db.ToString());
            foreach (var key in Bulks(c.Call("KEYS", "*")))
            {
                var type = c.Call("TYPE", key)[1..^2];
                string value = type switch
                {
                    "string" => Bulks("*1\r\n" + c.Call("GET", key)).Single(),
                    "hash" => string.Join("|", Bulks(c.Call("HGETALL", key)).Chunk(2).Select(p => p[0] + "=" + p[1]).Order(StringComparer.Ordinal)),
                    "set" => string.Join("|", Bulks(c.Call("SMEMBERS", key)).Order(StringComparer.Ordinal)),
                    "list" => string.Join("|", Bulks(c.Call("LRANGE", key, "0", "-1"))),
                    "zset" => string.Join("|", Bulks(c.Call("ZRANGE", key, "0", "-1", "WITHSCORES"))),
                    "stream" => DescribeStream(c, key),
                    _ => "?",
                };
                var expire = c.Call("PEXPIRETIME", key)[1..^2];
                result[$"{db}:{key}"] = $"{type}:{value}@{(expire == "-1" ? "" : expire)}";
            }
        }
        return result;
    }

    /// <summary>
    /// A stream's entries, groups and PELs (without the clock-dependent idle and seen times). A 7.0 master
    /// (Redis, and Cinnabar, which propagates the same stream) sends XREADGROUP as XCLAIMs only, so its
    /// replicas lose the groups' entries-read and lag counters: they are left out.
    /// </summary>
    private static string DescribeStream(RespClient c, string key)
    {
        var text = Format(Parse(c.Call("XRANGE", key, "-", "+")));
        if (Parse(c.Call("XINFO", "GROUPS", key)) is List<object?> groups)
        {
            foreach (var group in groups.Cast<List<object?>>())
            {
                text += " group " + Format(group.Take(8).ToList());
                var pending = (List<object?>)Parse(c.Call("XPENDING", key, (string)group[1]!, "-", "+", "1000"))!;
                text += " pel " + string.Join(",", pending.Cast<List<object?>>().Select(pe => $"{pe[0]}/{pe[1]}/{pe[3]}"));
            }
        }
        return text;
    }

    /// <summary>A RESP2 reply as nested lists of strings (null for nil).</summary>
    private static object? Parse(string reply)
    {
        int pos = 0;
        return ParseAt(reply, ref pos);
    }

    private static object? ParseAt(string s, ref int pos)
    {
        int nl = s.IndexOf("\r\n", pos, StringComparison.Ordinal);
        char kind = s[pos];
        string head = s[(pos + 1)..nl];
        pos = nl + 2;
        switch (kind)
        {
            case '$':
                int len = int.Parse(head);
                if (len < 0) return null;
                var bulk = s.Substring(pos, len);
                pos += len + 2;
                return bulk;
            case '*':
                int n = int.Parse(head);
                if (n < 0) return null;
                var items = new List<object?>(n);
                for (int i = 0; i < n; i++) items.Add(ParseAt(s, ref pos));
                return items;
            default:
                return kind + head;
        }
    }

    private static string Format(object? o) => o switch
    {
        null => "(nil)",
        List<object?> l => "[" + string.Join(" ", l.Select(Format)) + "]",
        _ => (string)o,
    };

    /// <summary>The same description read from a Cinnabar server's keyspace (expired keys excluded).</summary>
    private static SortedDictionary<string, string> DumpCinnabar(CinnabarServer server, RespClient client)
    {
        var result = DumpCinnabarKeyspace(server);
        // Streams are described through commands, outside the execution lock.
        foreach (var (name, description) in result.Where(p => p.Value.StartsWith("stream:")).ToList())
        {
            int colon = name.IndexOf(':');
            client.Call("SELECT", name[..colon]);
            result[name] = "stream:" + DescribeStream(client, name[(colon + 1)..]) + description[description.LastIndexOf('@')..];
        }
        return result;
    }

    private static SortedDictionary<string, string> DumpCinnabarKeyspace(CinnabarServer server)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        lock (server.ExecLock)
        {
            long now = Keyspace.KeyspaceState.WallClockMs();
            for (int db = 0; db < 3; db++)
            {
                foreach (var e in server.Databases[db].Table.CopyEntries())
                {
                    if (e.Key is null || (e.ExpireAt != 0 && e.ExpireAt <= now)) continue;
                    string value = e.Value switch
                    {
                        byte[] s => L.GetString(s),
                        HashValue h => string.Join("|", h.Pairs().Select(x => L.GetString(x.Field) + "=" + L.GetString(x.Value)).Order(StringComparer.Ordinal)),
                        SetValue s => string.Join("|", Enumerable.Range(0, s.PositionEnd).Where(s.IsLive).Select(p => L.GetString(s.MemberArrayAt(p))).Order(StringComparer.Ordinal)),
                        ListValue l => string.Join("|", l.Elements().Select(x => L.GetString(x))),
                        SortedSetValue z => string.Join("|", z.Elements().Select(e => L.GetString(e.Member) + "|" + Score(e.Score))),
                        _ => "?",
                    };
                    result[$"{db}:{L.GetString(e.Key)}"] = $"{RedisValue.TypeName(e.Value!)}:{value}@{(e.ExpireAt == 0 ? "" : e.ExpireAt.ToString())}";
                }
            }
        }
        return result;
    }

    private static string Score(double d)
    {
        Span<byte> buf = stackalloc byte[32];
        int n = Cinnabar.Protocol.RespNumbers.FormatDouble(d, buf);
        return Encoding.ASCII.GetString(buf[..n]);
    }

    private static List<string> Bulks(string array)
    {
        var list = new List<string>();
        int pos = array.IndexOf("\r\n", StringComparison.Ordinal) + 2;
        while (pos < array.Length)
        {
            int nl = array.IndexOf("\r\n", pos, StringComparison.Ordinal);
            int len = int.Parse(array[(pos + 1)..nl]);
            list.Add(len < 0 ? "(nil)" : array.Substring(nl + 2, len));
            pos = len < 0 ? nl + 2 : nl + 2 + len + 2;
        }
        return list;
    }

    private static void AssertSame(SortedDictionary<string, string> expected, SortedDictionary<string, string> actual)
    {
        var diff = expected.Keys.Union(actual.Keys)
            .Where(k => expected.GetValueOrDefault(k) != actual.GetValueOrDefault(k))
            .Select(k => $"{k}: master={expected.GetValueOrDefault(k)} replica={actual.GetValueOrDefault(k)}").Take(10).ToList();
        Assert.True(diff.Count == 0, "datasets differ:\n" + string.Join("\n", diff));
        Assert.True(expected.Count > 20, "the random writes should leave data behind");
    }

    [Fact]
    public async Task RandomWritesOnCinnabarReachARealReplicaIdentically()
    {
        await using var master = new TestServer();
        using var replica = new RealRedis("--replicaof", "127.0.0.1", master.Port.ToString());
        using var m = master.Raw();
        var rng = new Random(11);
        for (int i = 0; i < 300; i++) m.Call(RandomWrite(rng)); // some data before the full sync
        using var r = replica.Connect();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!r.Call("INFO", "replication").Contains("master_link_status:up") && DateTime.UtcNow < deadline) Thread.Sleep(50);
        for (int i = 0; i < 3000; i++)
        {
            if (i % 50 == 0)
            {
                // A transaction: its effects must reach the replica together and exactly once.
                m.Call("MULTI");
                for (int t = 0; t < 3; t++) m.Call(RandomWrite(rng));
                m.Call("EXEC");
            }
            m.Call(RandomWrite(rng));
        }
        Assert.Equal(":1\r\n", m.Call("WAIT", "1", "10000"));
        Thread.Sleep(5); // let the last PX 1 keys pass their time on both sides
        AssertSame(DumpCinnabar(master.Server, master.Raw()), DumpRedis(r));
    }

    [Fact]
    public async Task RandomWritesOnARealMasterReachACinnabarReplicaIdentically()
    {
        using var master = new RealRedis("--repl-diskless-sync-delay", "0");
        using var m = master.Connect();
        var rng = new Random(12);
        for (int i = 0; i < 300; i++) m.Call(RandomWrite(rng));
        await using var replica = new TestServer(c => { c.ReplicaOfHost = "127.0.0.1"; c.ReplicaOfPort = master.Port; });
        for (int i = 0; i < 3000; i++) m.Call(RandomWrite(rng));
        Assert.Equal(":1\r\n", m.Call("WAIT", "1", "10000"));
        Thread.Sleep(5);
        AssertSame(DumpRedis(m), DumpCinnabar(replica.Server, replica.Raw()));
    }
}
