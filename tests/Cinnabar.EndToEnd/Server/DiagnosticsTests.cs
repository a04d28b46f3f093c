using System.Text.RegularExpressions;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Server;

/// <summary>
/// SLOWLOG, LATENCY and MEMORY: help texts, errors and the deterministic replies compared with Redis 7.0
/// byte for byte; timings and sizes (which differ by nature) checked for shape and behaviour.
/// </summary>
public sealed class DiagnosticsTests(ServerDiffFixture f) : IClassFixture<ServerDiffFixture>
{
    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    public void HelpErrorsAndEmptyRepliesMatchRedis(string protocol)
    {
        using var p = f.Pair();
        p.Both("HELLO", protocol);
        p.Both("SLOWLOG", "RESET");
        p.Both("LATENCY", "RESET");
        foreach (string[] args in new string[][]
                 {
                     ["SLOWLOG", "HELP"], ["SLOWLOG", "GET"], ["SLOWLOG", "GET", "0"], ["SLOWLOG", "GET", "-1"], ["SLOWLOG", "GET", "-2"],
                     ["SLOWLOG", "GET", "x"], ["SLOWLOG", "GET", "1", "2"], ["SLOWLOG", "LEN"], ["SLOWLOG", "LEN", "x"], ["SLOWLOG", "RESET"],
                     ["SLOWLOG", "FOO"], ["SLOWLOG"],
                     ["LATENCY", "HELP"], ["LATENCY", "LATEST"], ["LATENCY", "HISTORY", "command"], ["LATENCY", "RESET", "a", "b"],
                     ["LATENCY", "DOCTOR"], ["LATENCY", "GRAPH", "command"], ["LATENCY", "HISTOGRAM", "nosuch"], ["LATENCY", "FOO"], ["LATENCY"],
                     ["MEMORY", "HELP"], ["MEMORY", "USAGE", "diag:none"], ["MEMORY", "USAGE", "diag:none", "SAMPLES", "x"],
                     ["MEMORY", "USAGE", "diag:none", "SAMPLES", "-1"], ["MEMORY", "USAGE", "diag:none", "FOO"],
                     ["MEMORY", "USAGE", "diag:none", "SAMPLES"], ["MEMORY", "USAGE"], ["MEMORY", "PURGE"], ["MEMORY", "FOO"],
                     ["MEMORY", "STATS", "x"], ["MEMORY", "DOCTOR"], ["COMMAND", "INFO", "get", "memory|usage"],
                 })
            p.Same(args);
        // Redis lists subcommands in its hash table's order, seeded per process: compare each on its own.
        foreach (var name in new[] { "slowlog|get", "slowlog|reset", "latency|histogram", "latency|reset", "memory|stats", "memory|help" })
        {
            p.Same("COMMAND", "INFO", name);
            p.Same("COMMAND", "DOCS", name);
        }
    }

    [Fact]
    public void SlowlogRecordsTrimmedArgumentsNewestFirstWithinItsLength()
    {
        using var c = f.Cinnabar.Raw();
        try
        {
            c.Call("CONFIG", "SET", "slowlog-log-slower-than", "0");
            c.Call("SLOWLOG", "RESET");
            c.Call("CLIENT", "SETNAME", "diag");
            c.Call("SET", "diag:k", new string('v', 200));
            c.Call(["RPUSH", "diag:l", .. Enumerable.Range(0, 40).Select(i => i.ToString())]);
            var reply = c.Call("SLOWLOG", "GET", "2");
            // Newest first: RPUSH with 31 arguments and a count of the rest, then SET with its value cut at 128 bytes.
            Assert.Matches(@"^\*2\r\n\*6\r\n:(\d+)\r\n:\d+\r\n:\d+\r\n\*32\r\n\$5\r\nRPUSH\r\n", reply);
            Assert.Contains("$23\r\n... (11 more arguments)\r\n", reply);
            Assert.Contains("$" + (128 + "... (72 more bytes)".Length) + "\r\n" + new string('v', 128) + "... (72 more bytes)\r\n", reply);
            Assert.EndsWith("\r\n$4\r\ndiag\r\n", reply);
            var ids = Regex.Matches(reply, @"\*6\r\n:(\d+)").Select(m => long.Parse(m.Groups[1].Value)).ToList();
            Assert.Equal(ids[1] + 1, ids[0]);
            Assert.Matches(@"\$\d+\r\n127\.0\.0\.1:\d+\r\n", reply);

            c.Call("CONFIG", "SET", "slowlog-max-len", "3");
            c.Call("PING");
            Assert.Equal(":3\r\n", c.Call("SLOWLOG", "LEN"));
            c.Call("CONFIG", "SET", "slowlog-log-slower-than", "-1"); // disabled
            c.Call("SLOWLOG", "RESET");
            c.Call("PING");
            Assert.Equal(":0\r\n", c.Call("SLOWLOG", "LEN"));
        }
        finally
        {
            c.Call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
            c.Call("CONFIG", "SET", "slowlog-max-len", "128");
        }
    }

    [Fact]
    public void LatencyMonitorKeepsSpikesOverTheThresholdAndHistogramsCountCalls()
    {
        using var c = f.Cinnabar.Raw();
        try
        {
            c.Call("CONFIG", "RESETSTAT");
            c.Call("LATENCY", "RESET");
            c.Call("CONFIG", "SET", "latency-monitor-threshold", "20");
            c.Call("DEBUG", "SLEEP", "0.05");
            c.Call("PING");
            var latest = c.Call("LATENCY", "LATEST");
            Assert.Matches(@"^\*1\r\n\*4\r\n\$7\r\ncommand\r\n:\d+\r\n:(\d+)\r\n:\d+\r\n$", latest);
            Assert.InRange(long.Parse(Regex.Match(latest, @":(\d+)\r\n:\d+\r\n$").Groups[1].Value), 50, 5000);
            Assert.Matches(@"^\*1\r\n\*2\r\n:\d+\r\n:\d+\r\n$", c.Call("LATENCY", "HISTORY", "command"));
            Assert.Contains("latency spikes", c.Call("LATENCY", "DOCTOR"));
            Assert.Contains("command - high", c.Call("LATENCY", "GRAPH", "command"));
            Assert.Equal(":1\r\n", c.Call("LATENCY", "RESET", "command", "fast-command"));
            Assert.Equal("*0\r\n", c.Call("LATENCY", "LATEST"));

            for (int i = 0; i < 5; i++) c.Call("SET", "diag:h", "v");
            var histogram = c.Call("LATENCY", "HISTOGRAM", "set", "debug");
            Assert.Matches(@"^\*4\r\n\$3\r\nset\r\n\*4\r\n\$5\r\ncalls\r\n:5\r\n\$14\r\nhistogram_usec\r\n\*\d+\r\n(:\d+\r\n)*:5\r\n\$5\r\ndebug\r\n", histogram);
            // The 50 ms sleep lands in one bucket past 33 ms (67633 µs, on a machine that is not overloaded), counted once.
            var sleep = Regex.Match(histogram, @"histogram_usec\r\n\*2\r\n:(\d+)\r\n:1\r\n$");
            Assert.True(sleep.Success, histogram);
            Assert.True(long.Parse(sleep.Groups[1].Value) >= 67633, histogram);
            Assert.Matches(@"latency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r\n", c.Call("INFO", "latencystats"));
            c.Call("CONFIG", "RESETSTAT");
            Assert.Equal("*0\r\n", c.Call("LATENCY", "HISTOGRAM", "set"));
            Assert.DoesNotContain("latency_percentiles_usec_set:", c.Call("INFO", "latencystats"));
        }
        finally
        {
            c.Call("CONFIG", "SET", "latency-monitor-threshold", "0");
        }
    }

    [Fact]
    public void MemoryUsageGrowsWithTheValueAndStatsHaveRedisFields()
    {
        using var c = f.Cinnabar.Raw();
        c.Call("DEL", "diag:s", "diag:big", "diag:z", "diag:h", "diag:set");
        c.Call("SET", "diag:s", "x");
        c.Call("SET", "diag:big", new string('x', 10_000));
        long Usage(params string[] args) => long.Parse(c.Call(["MEMORY", "USAGE", .. args]).Trim(':', '\r', '\n'));
        long small = Usage("diag:s"), big = Usage("diag:big");
        Assert.InRange(big - small, 9_900, 10_100);
        for (int i = 0; i < 300; i++)
        {
            c.Call("ZADD", "diag:z", i.ToString(), "member" + i);
            c.Call("HSET", "diag:h", "field" + i, new string('v', i % 50));
            c.Call("SADD", "diag:set", "m" + i);
        }
        foreach (var key in new[] { "diag:z", "diag:h", "diag:set" })
        {
            long sampled = Usage(key), all = Usage(key, "SAMPLES", "0");
            Assert.InRange(all, 300 * 16, 300 * 400);
            Assert.InRange(sampled, all / 3, all * 3); // a 5-element sample extrapolates to the same order
        }
        var stats = c.Call("MEMORY", "STATS");
        foreach (var field in new[] { "peak.allocated", "total.allocated", "startup.allocated", "keys.count", "dataset.bytes", "db.", "fragmentation" })
            Assert.Contains(field, stats);
        Assert.Contains("Sam", c.Call("MEMORY", "DOCTOR"));
        Assert.Equal("$45\r\nStats not supported for the current allocator\r\n", c.Call("MEMORY", "MALLOC-STATS"));
    }

    [Fact]
    public void MonitorStreamsOtherClientsCommandsAsRedisFormatsThem()
    {
        using var monitor = f.Cinnabar.Raw();
        using var other = f.Cinnabar.Raw();
        Assert.Equal("+OK\r\n", monitor.Call("MONITOR"));
        Assert.Contains("flags=O", other.Call("CLIENT", "LIST"));
        other.Call("SET", "mon k", "v\"a\u0001\n");
        other.Call("SELECT", "2");
        other.Call("CONFIG", "GET", "hz"); // admin commands (CONFIG, CLIENT LIST above) are not shown
        other.Call("RPUSH", "mon:l", "x");
        other.Call("SELECT", "0");
        string Next() => monitor.ReadReply();
        Assert.Matches(@"^\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] ""SET"" ""mon k"" ""v\\""a\\x01\\n""\r\n$", Next());
        Assert.Matches(@"\[2 127\.0\.0\.1:\d+\] ""SELECT"" ""2""\r\n$", Next());
        Assert.Matches(@"\[2 127\.0\.0\.1:\d+\] ""RPUSH"" ""mon:l"" ""x""\r\n$", Next());
        Assert.Matches(@"""SELECT"" ""0""", Next());
        // A script is shown before the commands it runs, which come from the client "lua", as Redis shows them.
        other.Call("EVAL", "return redis.call('GET', 'mon k')", "0");
        Assert.Matches(@"\[0 127\.0\.0\.1:\d+\] ""EVAL"" ""return redis.call\('GET', 'mon k'\)"" ""0""\r\n$", Next());
        Assert.Matches(@"\[0 lua\] ""GET"" ""mon k""\r\n$", Next());
        // RESET leaves monitor mode.
        Assert.Equal("+RESET\r\n", monitor.Call("RESET"));
        other.Call("PING");
        Assert.Equal("+PONG\r\n", monitor.Call("PING"));
    }

    [Fact]
    public void MonitorInsideATransactionIsRefusedAsInRedis()
    {
        using var p = f.Pair();
        p.Same("MULTI");
        p.Same("MONITOR");
        p.Same("EXEC");
        p.Same("COMMAND", "INFO", "monitor");
    }
}
