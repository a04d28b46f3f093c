using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Persistence;

/// <summary>stop-writes-on-bgsave-error: after a failed BGSAVE, writes and PING answer MISCONF until a save succeeds, as Redis 7.0.</summary>
public sealed class MisconfTests
{
    [Fact]
    public async Task WritesAreRefusedAfterAFailedBackgroundSave()
    {
        var redisDir = Directory.CreateTempSubdirectory("misconf-redis-").FullName;
        using var redis = new RealRedis("--dir", redisDir, "--save", "3600 1");
        await using var ours = new TestServer(c => c.SavePoints = [3600, 1]);
        using var p = new DiffPair(redis.Connect(), ours.Raw());
        // The data directory vanishes: every save fails from now on.
        Directory.Delete(redisDir, true);
        Directory.Delete(ours.DataDir, true);
        p.Same("SAVE");
        p.Same("SET", "mc:k", "v"); // a failed SAVE does not stop writes
        Assert.Equal("+Background saving started\r\n", p.Redis.Call("BGSAVE"));
        Assert.Equal("+Background saving started\r\n", p.Ours.Call("BGSAVE"));
        WaitForFailedBgsave(p.Redis);
        WaitForFailedBgsave(p.Ours);
        p.Same("SET", "mc:k", "v2");
        p.Same("PING");
        p.Same("GET", "mc:k");
        p.Same("PUBLISH", "mc:ch", "not a write");
        p.Same("MULTI");
        p.Same("INCR", "mc:n");
        p.Same("EXEC");
        p.Same("CONFIG", "SET", "stop-writes-on-bgsave-error", "no");
        p.Same("SET", "mc:k", "v3");
        p.Same("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes");
        p.Same("SET", "mc:k", "v4");
        p.Same("CONFIG", "SET", "save", "");
        p.Same("SET", "mc:k", "v5");
    }

    private static void WaitForFailedBgsave(RespClient c)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!c.Call("INFO", "persistence").Contains("rdb_last_bgsave_status:err"))
        {
            Assert.True(DateTime.UtcNow < deadline, "BGSAVE did not fail");
            Thread.Sleep(20);
        }
    }
}
