using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Persistence;

/// <summary>RDB and DUMP interop with a real Redis 7.0 for the collection types.</summary>
public sealed class CollectionsRdbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cinnabar-rdbc-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch { }
    }

    /// <summary>Builds the same data on a connection (small and large hashes and sets, binary members).</summary>
    private static void Populate(RespClient c)
    {
        c.Call("HSET", "h:small", "f1", "v1", "f2", "123", "bin\0\r\n", "-7");
        var args = new List<string> { "HSET", "h:large" };
        for (int i = 0; i < 1000; i++) { args.Add($"field{i}"); args.Add($"value{i}"); }
        c.Call(args.ToArray());
        c.Call("HSET", "h:longvalue", "f", new string('x', 100));
        c.Call("SADD", "s:ints", "5", "-3", "70000", "1");
        c.Call("SADD", "s:strs", "a", "b", "c\0d");
        args = new List<string> { "SADD", "s:large" };
        for (int i = 0; i < 1000; i++) args.Add($"member{i}");
        c.Call(args.ToArray());
        args = new List<string> { "SADD", "s:manyints" };
        for (int i = 0; i < 1000; i++) args.Add(i.ToString());
        c.Call(args.ToArray());
        c.Call("RPUSH", "l:small", "a", "b", "123", "-5", "bin\0\r\n");
        args = new List<string> { "RPUSH", "l:large" };
        for (int i = 0; i < 3000; i++) args.Add($"element-{i}");
        c.Call(args.ToArray());
        c.Call("ZADD", "z:small", "1", "a", "2.5", "b", "-inf", "c", "1.1", "bin\0\r\n", "100", "hundred");
        args = new List<string> { "ZADD", "z:large" };
        for (int i = 0; i < 500; i++) { args.Add((i * 0.37).ToString("R", System.Globalization.CultureInfo.InvariantCulture)); args.Add($"member-{i}"); }
        c.Call(args.ToArray());
    }

    private static readonly string[] Keys = ["h:small", "h:large", "h:longvalue", "s:ints", "s:strs", "s:large", "s:manyints", "l:small", "l:large", "z:small", "z:large"];

    /// <summary>Type-aware, order-independent description of a key's value.</summary>
    private static string Describe(RespClient c, string key)
    {
        var type = c.Call("TYPE", key);
        if (type == "+hash\r\n") return "hash:" + string.Join("|", Split(c.Call("HGETALL", key)).Chunk(2).Select(p => p[0] + "=" + p[1]).Order());
        if (type == "+set\r\n") return "set:" + string.Join("|", Split(c.Call("SMEMBERS", key)).Order());
        if (type == "+list\r\n") return "list:" + string.Join("|", Split(c.Call("LRANGE", key, "0", "-1")));
        if (type == "+zset\r\n") return "zset:" + string.Join("|", Split(c.Call("ZRANGE", key, "0", "-1", "WITHSCORES")));
        return type + c.Call("GET", key);
    }

    private static IEnumerable<string> Split(string array)
    {
        // Parses a flat array of bulk strings.
        int pos = array.IndexOf("\r\n", StringComparison.Ordinal) + 2;
        while (pos < array.Length)
        {
            int nl = array.IndexOf("\r\n", pos, StringComparison.Ordinal);
            int len = int.Parse(array[(pos + 1)..nl]);
            yield return array.Substring(nl + 2, len);
            pos = nl + 2 + len + 2;
        }
    }

    [Fact]
    public async Task DumpOfCompactCollectionsIsByteIdenticalAndRestoresBothWays()
    {
        using var redis = new RealRedis();
        await using var s = new TestServer();
        using var r = redis.Connect();
        using var c = s.Raw();
        Populate(r);
        Populate(c);
        foreach (var key in new[] { "h:small", "s:ints", "h:longvalue", "l:small", "z:small", "z:large" })
            Assert.Equal(RespClient.BulkContent(r.Call("DUMP", key)), RespClient.BulkContent(c.Call("DUMP", key)));
        foreach (var key in Keys)
        {
            Assert.Equal("+OK\r\n", c.Call("RESTORE", key + ":copy", "0", RespClient.BulkContent(r.Call("DUMP", key))));
            Assert.Equal(Describe(r, key), Describe(c, key + ":copy"));
            Assert.Equal("+OK\r\n", r.Call("RESTORE", key + ":copy", "0", RespClient.BulkContent(c.Call("DUMP", key))));
            Assert.Equal(Describe(c, key), Describe(r, key + ":copy"));
            Assert.Equal(r.Call("OBJECT", "ENCODING", key), c.Call("OBJECT", "ENCODING", key + ":copy"));
        }
    }

    [Fact]
    public Task RdbFilesWithCollectionsLoadBothWays() =>
        RdbInterop.AssertFilesLoadBothWays(_dir, Populate, Keys, Describe);
}
