using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Server;

/// <summary>
/// Enumerated parameters, held as enums: CONFIG SET reads Redis' words in any case, CONFIG GET and INFO print
/// them as Redis does, and a wrong word gets Redis' list. (Its own fixture: these settings are server-wide.)
/// </summary>
public sealed class ConfigEnumDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    private static string InfoField(RespClient c, string name) =>
        RespClient.BulkContent(c.Call("INFO", "memory")).Split("\r\n").Single(l => l.StartsWith(name + ":", StringComparison.Ordinal));

    [Fact]
    public void EnumeratedParametersReadAndPrintLikeRedis()
    {
        using var p = f.Pair();
        try
        {
            (string Name, string[] Values)[] cases =
            [
                ("maxmemory-policy", ["ALLKEYS-LFU", "volatile-ttl", "Volatile-Random", "lru", "allkeys-random", "volatile-lfu", "noeviction"]),
                ("appendfsync", ["Always", "no", "sometimes", "EVERYSEC"]),
                ("loglevel", ["WARNING", "debug", "loud", "verbose", "notice"]),
                // held as flags: printed in Redis' canonical order, "A" for all the classes
                ("notify-keyspace-events", ["Ex$", "KA", "glshzxetdKE", "mn", "dn", "An", "Q", "Elg$A", ""]),
            ];
            foreach (var (name, values) in cases)
                foreach (var value in values)
                {
                    p.Same("CONFIG", "SET", name, value);
                    p.Same("CONFIG", "GET", name);
                    if (name == "maxmemory-policy") Assert.Equal(InfoField(p.Redis, "maxmemory_policy"), InfoField(p.Ours, "maxmemory_policy"));
                }
            foreach (var name in new[] { "enable-debug-command", "daemonize", "supervised", "syslog-enabled" })
                p.Same("CONFIG", "SET", name, "no");
            p.Same("CONFIG", "GET", "supervised");
            p.Same("CONFIG", "GET", "syslog-enabled");
        }
        finally
        {
            p.Both("CONFIG", "SET", "maxmemory-policy", "noeviction", "appendfsync", "everysec", "loglevel", "notice", "notify-keyspace-events", "");
        }
    }

    /// <summary>client-output-buffer-limit, held as numbers per class: merged and printed as Redis does.</summary>
    [Fact]
    public void ClientOutputBufferLimitsMergeAndPrintLikeRedis()
    {
        using var p = f.Pair();
        try
        {
            foreach (var value in new[] { "replica 1mb 512kb 30", "pubsub 1 2 3 Normal 40mb 50mb 6", "slave 0 0 0", "normal 10 20", "bogus 1 2 3", "master 1 2 3", "normal x 1 1", "normal -1 0 0", "PUBSUB 1gb 1gb 1" })
            {
                p.Same("CONFIG", "SET", "client-output-buffer-limit", value);
                p.Same("CONFIG", "GET", "client-output-buffer-limit");
            }
        }
        finally
        {
            p.Both("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
        }
    }
}
