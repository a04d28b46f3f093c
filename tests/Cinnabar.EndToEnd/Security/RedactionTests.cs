using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Security;

/// <summary>Passwords and user rules never reach MONITOR or SLOWLOG: "(redacted)" exactly where Redis 7.0 puts it.</summary>
public sealed class RedactionTests
{
    /// <summary>The argument lists of a SLOWLOG GET reply, without ids, times, durations and peers.</summary>
    private static List<string> SlowlogArgs(string reply)
    {
        var lines = reply.Split("\r\n");
        var result = new List<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i] != "*6" || i + 4 >= lines.Length || lines[i + 1][0] != ':') continue;
            int n = int.Parse(lines[i + 4][1..]);
            result.Add(string.Join(' ', Enumerable.Range(0, n).Select(k => lines[i + 6 + 2 * k])));
            i += 4 + 2 * n;
        }
        return result;
    }

    [Fact]
    public async Task SecretsAreRedactedInMonitorAndSlowlogAsRedis()
    {
        using var redis = new RealRedis();
        await using var s = new TestServer();
        using var monitors = new DiffPair(redis.Connect(), s.Raw());
        monitors.Same("MONITOR");
        using var p = new DiffPair(redis.Connect(), s.Raw());
        p.Same("CONFIG", "SET", "slowlog-log-slower-than", "0");
        p.Same("SLOWLOG", "RESET");
        p.Same("AUTH", "secret1");
        p.Same("AUTH", "nobody", "secret2");
        p.Same("HELLO", "2", "AUTH", "nobody", "secret3", "SETNAME", "n");
        p.Same("ACL", "SETUSER", "hidden", "on", ">secret4", "~*");
        p.Same("CONFIG", "SET", "masteruser", "secret5", "hz", "10");
        p.Same("CONFIG", "SET", "nosuch", "x", "masterauth", "secret6");
        p.Same("GET", "visible");
        var expected = SlowlogArgs(p.Redis.Call("SLOWLOG", "GET", "20"));
        Assert.Contains("ACL SETUSER (redacted) (redacted) (redacted) (redacted)", expected);
        Assert.Equal(expected, SlowlogArgs(p.Ours.Call("SLOWLOG", "GET", "20")));
        Assert.DoesNotContain("secret", p.Ours.Call("SLOWLOG", "GET", "20"));
        // MONITOR shows the non-admin ones (AUTH, HELLO, GET), redacted the same way.
        for (int i = 0; i < 4; i++)
        {
            static string Body(string line) => line[(line.IndexOf("] ", StringComparison.Ordinal) + 2)..];
            Assert.Equal(Body(monitors.Redis.ReadReply()), Body(monitors.Ours.ReadReply()));
        }
        p.Same("CONFIG", "SET", "masteruser", "", "masterauth", "");
    }
}
