using Cinnabar.Keyspace;

namespace Cinnabar.Tests.Keys;

/// <summary>Redis' LFU counter arithmetic (evict.c): decay per idle minutes, logarithmic increments.</summary>
public sealed class LfuTests
{
    private const long Minute = 60_000;

    [Fact]
    public void CounterDecaysOnePerDecayPeriodAndNeverBelowZero()
    {
        long t0 = 1_000 * Minute;
        int bits = Lfu.Of(t0, 10);
        Assert.Equal(10, Lfu.Counter(bits, t0 + Minute - 1, decayTime: 1));
        Assert.Equal(7, Lfu.Counter(bits, t0 + 3 * Minute, decayTime: 1));
        Assert.Equal(9, Lfu.Counter(bits, t0 + 3 * Minute, decayTime: 2));
        Assert.Equal(0, Lfu.Counter(bits, t0 + 50 * Minute, decayTime: 1));
        Assert.Equal(10, Lfu.Counter(bits, t0 + 50 * Minute, decayTime: 0)); // 0: never decays
    }

    [Fact]
    public void MinutesWrapAt16Bits()
    {
        long beforeWrap = 65535 * Minute;
        int bits = Lfu.Of(beforeWrap, 20);
        Assert.Equal(0, Lfu.Minutes(65536 * Minute));
        // Redis counts 65535 - ldt + now across the wrap.
        Assert.Equal(20 - 2, Lfu.Counter(bits, 65536 * Minute + 2 * Minute, decayTime: 1));
    }

    [Fact]
    public void IncrementsAreLogarithmicAndSaturate()
    {
        Assert.Equal(6, Lfu.LogIncrement(5, logFactor: 10, random: 0.999)); // at or below the initial value: always
        Assert.Equal(3, Lfu.LogIncrement(2, logFactor: 10, random: 0.999));
        Assert.Equal(255, Lfu.LogIncrement(255, logFactor: 0, random: 0));
        Assert.Equal(101, Lfu.LogIncrement(100, logFactor: 0, random: 0.999)); // factor 0: every access counts
        // counter 15, factor 10: probability 1/(10*10+1).
        Assert.Equal(16, Lfu.LogIncrement(15, 10, 1.0 / 101 - 1e-9));
        Assert.Equal(15, Lfu.LogIncrement(15, 10, 1.0 / 101 + 1e-9));
    }

    /// <summary>The table of redis.conf (lfu-log-factor): the counter reached after so many hits.</summary>
    [Theory]
    [InlineData(0, 100, 104)]
    [InlineData(1, 100, 18)]
    [InlineData(1, 1000, 49)]
    [InlineData(10, 100, 10)]
    [InlineData(10, 1000, 18)]
    [InlineData(10, 100_000, 142)]
    [InlineData(100, 100_000, 49)]
    [InlineData(100, 1_000_000, 143)]
    public void CountersGrowAsRedisConfDocuments(int factor, int hits, int expected)
    {
        // The mean of a few runs: one run's counter wanders by a few steps.
        double sum = 0;
        const int Runs = 8;
        for (int run = 0; run < Runs; run++)
        {
            var random = new Random(run);
            int counter = Lfu.InitialCounter;
            for (int i = 0; i < hits; i++) counter = Lfu.LogIncrement(counter, factor, random.NextDouble());
            sum += counter;
        }
        Assert.InRange(sum / Runs, expected - Math.Max(3, expected / 10), expected + Math.Max(3, expected / 10));
    }

    [Fact]
    public void AnAccessDecaysThenIncrementsAndStampsTheMinute()
    {
        long t0 = 2_000 * Minute;
        var config = new Cinnabar.Config.ServerConfig { LfuLogFactor = 0, LfuDecayTime = 1 };
        int bits = Lfu.Of(t0, 30);
        int after = Lfu.Accessed(bits, t0 + 10 * Minute, config);
        Assert.Equal(30 - 10 + 1, after & 255);
        Assert.Equal(Lfu.Minutes(t0 + 10 * Minute), after >> 8);
    }
}
