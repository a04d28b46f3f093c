namespace Cinnabar.EndToEnd.Infrastructure;

/// <summary>RDB file interop with a real Redis 7.0, shared by the per-type persistence tests.</summary>
public static class RdbInterop
{
    /// <summary>
    /// Redis builds the data and saves it; Cinnabar loads that file and must describe every key as Redis
    /// did, then saves its own file; a fresh Redis loads that one and must describe every key the same way.
    /// </summary>
    public static async Task AssertFilesLoadBothWays(string dir, Action<RespClient> populate, IReadOnlyList<string> keys,
        Func<RespClient, string, string> describe)
    {
        Dictionary<string, string> expected;
        using (var redis = new RealRedis("--dir", dir, "--dbfilename", "r.rdb"))
        {
            using var r = redis.Connect();
            populate(r);
            expected = keys.ToDictionary(k => k, k => describe(r, k));
            r.Call("SAVE");
        }
        await using (var s = new TestServer(c => { c.Dir = dir; c.DbFilename = "r.rdb"; }))
        {
            using var c = s.Raw();
            foreach (var k in keys) Assert.Equal(expected[k], describe(c, k));
            c.Call("CONFIG", "SET", "dbfilename", "ours.rdb");
            s.Server.Config.DbFilename = "ours.rdb";
            Assert.Equal("+OK\r\n", c.Call("SAVE"));
        }
        using (var redis = new RealRedis("--dir", dir, "--dbfilename", "ours.rdb"))
        {
            using var r = redis.Connect();
            foreach (var k in keys) Assert.Equal(expected[k], describe(r, k));
        }
    }
}
