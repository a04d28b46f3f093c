using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Persistence;

/// <summary>HLLs are plain strings: DUMP/RESTORE and RDB files carry them between Cinnabar and a real Redis 7.0.</summary>
public sealed class HyperLogLogRdbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cinnabar-rdbhll-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch { }
    }

    private static readonly string[] Keys = ["hll:sparse", "hll:dense", "hll:merged", "hll:cached"];

    private static void Populate(RespClient c)
    {
        c.Call("PFADD", "hll:sparse", "a", "b", "bin\0\r\n\u00ff");
        var args = new List<string> { "PFADD", "hll:dense" };
        for (int i = 0; i < 5000; i++) args.Add("element-" + i);
        c.Call(args.ToArray());
        c.Call("PFMERGE", "hll:merged", "hll:sparse", "hll:dense");
        c.Call("PFADD", "hll:cached", "x", "y");
        c.Call("PFCOUNT", "hll:cached");
    }

    /// <summary>The bytes, the encoding and the count (of a union with a missing key: it leaves the cache as it is).</summary>
    private static string Describe(RespClient c, string key) =>
        c.Call("GET", key) + c.Call("PFDEBUG", "ENCODING", key) + c.Call("PFCOUNT", key, "hll:none");

    [Fact]
    public async Task DumpAndRestoreBothWays()
    {
        using var redis = new RealRedis();
        await using var s = new TestServer();
        using var r = redis.Connect();
        using var c = s.Raw();
        Populate(r);
        Populate(c);
        foreach (var key in Keys)
        {
            Assert.Equal(RespClient.BulkContent(r.Call("DUMP", key)), RespClient.BulkContent(c.Call("DUMP", key)));
            Assert.Equal("+OK\r\n", c.Call("RESTORE", key + ":copy", "0", RespClient.BulkContent(r.Call("DUMP", key))));
            Assert.Equal("+OK\r\n", r.Call("RESTORE", key + ":copy", "0", RespClient.BulkContent(c.Call("DUMP", key))));
            Assert.Equal(Describe(r, key + ":copy"), Describe(c, key + ":copy"));
            Assert.Equal(r.Call("PFADD", key + ":copy", "more", "elements"), c.Call("PFADD", key + ":copy", "more", "elements"));
            Assert.Equal(r.Call("GET", key + ":copy"), c.Call("GET", key + ":copy"));
        }
    }

    [Fact]
    public Task RdbFilesWithHllsLoadBothWays() =>
        RdbInterop.AssertFilesLoadBothWays(_dir, Populate, Keys, Describe);
}
