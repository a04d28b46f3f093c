using System.Diagnostics;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Blocking;

/// <summary>
/// A blocking scenario run against Redis 7.0 and against Cinnabar: the transcripts (every reply, in order)
/// must be identical. <c>park(n)</c> waits until n clients are parked (Redis: a fixed pause).
/// </summary>
public delegate void Scenario(Func<RespClient> connect, List<string> transcript, string prefix, Action<int> park);

public static class BlockingScenario
{
    public const int Settle = 150; // ms for a blocking command to reach Redis and park

    public static void SameOnBoth(DifferentialFixture f, Scenario scenario)
    {
        var prefix = "bl" + Guid.NewGuid().ToString("N")[..8] + ":";
        var expected = new List<string>();
        var actual = new List<string>();
        scenario(f.Redis.Connect, expected, prefix, _ => Thread.Sleep(Settle));
        scenario(f.Cinnabar.Raw, actual, prefix, n => WaitParked(f, n));
        Assert.Equal(expected, actual);
    }

    /// <summary>Waits until <paramref name="count"/> clients are blocked in Cinnabar (the machine may be slow).</summary>
    public static void WaitParked(DifferentialFixture f, int count)
    {
        var server = f.Cinnabar.Server;
        var deadline = Stopwatch.StartNew();
        while (deadline.ElapsedMilliseconds < 10_000)
        {
            lock (server.ExecLock) if (server.Blocking.BlockedClientCount >= count) return;
            Thread.Sleep(5);
        }
    }
}
