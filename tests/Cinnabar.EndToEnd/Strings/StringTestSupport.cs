using System.Text;
using Cinnabar.Config;
using Cinnabar.DataTypes;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Strings;

/// <summary>
/// Helpers for the string differential tests that must not depend on other families' commands
/// (LPUSH, TTL, EXISTS): when Cinnabar lacks them, the state is created or read directly.
/// </summary>
internal static class StringTestSupport
{
    /// <summary>Makes <paramref name="key"/> hold a list on both servers (for WRONGTYPE paths).</summary>
    public static void MakeList(DifferentialFixture f, DiffPair p, string key)
    {
        p.Redis.Call("LPUSH", key, "x");
        var reply = p.Ours.Call("LPUSH", key, "x");
        if (reply.StartsWith("-ERR unknown command", StringComparison.Ordinal))
        {
            var server = f.Cinnabar.Server;
            lock (server.ExecLock) server.Databases[0].Set(Encoding.Latin1.GetBytes(key), new FakeList());
        }
    }

    /// <summary>Remaining TTL in seconds on our side, as TTL would answer (-2 missing, -1 no expiry).</summary>
    public static long OurTtl(DifferentialFixture f, string key)
    {
        var server = f.Cinnabar.Server;
        lock (server.ExecLock)
        {
            var db = server.Databases[0];
            int i = db.Find(Encoding.Latin1.GetBytes(key));
            if (i < 0) return -2;
            long at = db.EntryAt(i).ExpireAt;
            if (at == 0) return -1;
            return (at - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 500) / 1000;
        }
    }

    /// <summary>Asserts both servers agree on a key's TTL (within a second) or its absence.</summary>
    public static void SameTtl(DifferentialFixture f, DiffPair p, string key)
    {
        var redis = long.Parse(p.Redis.Call("TTL", key).TrimStart(':').TrimEnd());
        var ours = OurTtl(f, key);
        Assert.True(Math.Abs(redis - ours) <= 1 && (redis < 0) == (ours < 0), $"TTL of {key}: redis {redis}, cinnabar {ours}");
    }

    private sealed class FakeList : IRedisObject
    {
        public string TypeName => "list";
        public string GetEncoding(ServerConfig config) => "listpack";
        public IRedisObject DeepClone() => new FakeList();
        public long MemoryUsage(int samples) => 0;
        public long AccountedBytes { get; set; }
    }
}
