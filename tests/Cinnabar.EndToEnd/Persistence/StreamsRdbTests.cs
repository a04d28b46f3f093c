using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Persistence;

/// <summary>RDB and DUMP interop with a real Redis 7.0 for streams, their consumer groups and PELs.</summary>
public sealed class StreamsRdbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cinnabar-rdbs-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch { }
    }

    /// <summary>Deterministic streams (explicit IDs, no consumers, so both servers hold identical bytes).</summary>
    private static void PopulateDeterministic(RespClient c)
    {
        c.Call("CONFIG", "SET", "stream-node-max-entries", "10");
        c.Call("XADD", "x:small", "1-1", "name", "ann", "age", "30");
        c.Call("XADD", "x:small", "1-2", "name", "bob", "age", "-4000000000");
        c.Call("XADD", "x:small", "2-0", "other", "fields", "bin\0\r\n", "\xff\xfe");
        c.Call("XADD", "x:small", "18446744073709551615-5", "name", new string('v', 300), "age", "1");
        for (int i = 0; i < 95; i++)
            c.Call("XADD", "x:nodes", $"{1000 + i / 3}-{i % 3}", "k", i.ToString(), "payload", "p" + i);
        c.Call("XDEL", "x:nodes", "1000-1", "1010-0", "1031-2");
        c.Call("XTRIM", "x:nodes", "MINID", "1005");
        c.Call("XGROUP", "CREATE", "x:nodes", "g-empty", "1010-0");
        c.Call("XGROUP", "CREATE", "x:nodes", "g-start", "0");
        c.Call("XADD", "x:emptied", "MAXLEN", "0", "5-5", "f", "v");
        c.Call("XGROUP", "CREATE", "x:nogroups", "g", "$", "MKSTREAM");
        c.Call("XSETID", "x:nogroups", "77-7", "ENTRIESADDED", "12", "MAXDELETEDID", "70-0");
    }

    /// <summary>Streams with consumers and pending entries (delivery times differ between servers).</summary>
    private static void PopulateWithConsumers(RespClient c)
    {
        for (int i = 1; i <= 20; i++) c.Call("XADD", "x:groups", $"{i}-0", "n", i.ToString());
        c.Call("XGROUP", "CREATE", "x:groups", "workers", "0");
        c.Call("XREADGROUP", "GROUP", "workers", "alice", "COUNT", "5", "STREAMS", "x:groups", ">");
        c.Call("XREADGROUP", "GROUP", "workers", "bob", "COUNT", "3", "STREAMS", "x:groups", ">");
        c.Call("XACK", "x:groups", "workers", "2-0", "7-0");
        c.Call("XCLAIM", "x:groups", "workers", "carol", "0", "3-0", "RETRYCOUNT", "9");
        c.Call("XGROUP", "CREATECONSUMER", "x:groups", "workers", "idle-dave");
        c.Call("XGROUP", "CREATE", "x:groups", "audit", "$");
        c.Call("XDEL", "x:groups", "20-0");
    }

    private static readonly string[] DeterministicKeys = ["x:small", "x:nodes", "x:emptied", "x:nogroups"];
    private static readonly string[] AllKeys = [.. DeterministicKeys, "x:groups"];

    /// <summary>Everything about a stream that does not depend on the clock.</summary>
    private static string Describe(RespClient c, string key)
    {
        var parts = new List<string>
        {
            c.Call("TYPE", key),
            c.Call("XRANGE", key, "-", "+"),
            c.Call("XREVRANGE", key, "+", "-", "COUNT", "3"),
            c.Call("XINFO", "STREAM", key),
            c.Call("XINFO", "GROUPS", key),
        };
        foreach (var group in new[] { "g-empty", "g-start", "g", "workers", "audit" })
        {
            var pending = c.Call("XPENDING", key, group);
            parts.Add(pending);
            if (!pending.StartsWith('-'))
                parts.Add(WithoutIdleTimes(c.Call("XPENDING", key, group, "-", "+", "100")));
        }
        return string.Join("\n", parts).Replace(key, "KEY");
    }

    /// <summary>XPENDING's extended form with each entry's idle time (the integer before its delivery count) removed.</summary>
    private static string WithoutIdleTimes(string reply)
    {
        var lines = reply.Split("\r\n");
        return string.Join("|", lines.Where((line, i) => !(line.StartsWith(':') && i + 1 < lines.Length && lines[i + 1].StartsWith(':'))));
    }

    [Fact]
    public async Task DumpOfStreamsIsByteIdenticalAndRestoresBothWays()
    {
        using var redis = new RealRedis();
        await using var s = new TestServer();
        using var r = redis.Connect();
        using var c = s.Raw();
        PopulateDeterministic(r);
        PopulateDeterministic(c);
        PopulateWithConsumers(r);
        PopulateWithConsumers(c);
        foreach (var key in DeterministicKeys)
            Assert.Equal(RespClient.BulkContent(r.Call("DUMP", key)), RespClient.BulkContent(c.Call("DUMP", key)));
        foreach (var key in AllKeys)
        {
            Assert.Equal(Describe(r, key), Describe(c, key));
            Assert.Equal("+OK\r\n", c.Call("RESTORE", key + ":copy", "0", RespClient.BulkContent(r.Call("DUMP", key))));
            Assert.Equal(Describe(r, key), Describe(c, key + ":copy"));
            Assert.Equal("+OK\r\n", r.Call("RESTORE", key + ":copy", "0", RespClient.BulkContent(c.Call("DUMP", key))));
            Assert.Equal(Describe(c, key), Describe(r, key + ":copy"));
        }
        // The restored copy keeps working as a stream: appends continue after the loaded last ID.
        Assert.Equal(r.Call("XADD", "x:nodes:copy", "1100-0", "a", "b"), c.Call("XADD", "x:nodes:copy", "1100-0", "a", "b"));
        Assert.Equal(r.Call("XINFO", "STREAM", "x:nodes:copy"), c.Call("XINFO", "STREAM", "x:nodes:copy"));
        Assert.Equal(r.Call("XINFO", "GROUPS", "x:groups:copy"), c.Call("XINFO", "GROUPS", "x:groups:copy"));
    }

    [Fact]
    public Task RdbFilesWithStreamsLoadBothWays() =>
        RdbInterop.AssertFilesLoadBothWays(_dir, r =>
        {
            PopulateDeterministic(r);
            PopulateWithConsumers(r);
        }, AllKeys, Describe);

    [Fact]
    public async Task CorruptStreamPayloadIsRejected()
    {
        await using var s = new TestServer();
        using var c = s.Raw();
        PopulateDeterministic(c);
        var payload = RespClient.Latin1.GetBytes(RespClient.BulkContent(c.Call("DUMP", "x:small")));
        // Flip a byte inside the listpack and fix nothing else: the checksum catches it.
        payload[40] ^= 0x55;
        Assert.StartsWith("-ERR DUMP payload version or checksum are wrong", c.Call("RESTORE"u8.ToArray(), "bad"u8.ToArray(), "0"u8.ToArray(), payload));
        Assert.Equal(":0\r\n", c.Call("EXISTS", "bad"));
    }
}
