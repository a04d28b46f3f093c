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
}
