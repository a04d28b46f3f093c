using Cinnabar.Config;

namespace Cinnabar.Keyspace;

/// <summary>
/// Redis' LFU access data (evict.c), kept where the LRU clock is otherwise (a key entry's 24 access bits):
/// the minute of the last decrement (16 bits) and a logarithmic counter (8 bits) that an access raises with
/// probability 1/((counter - 5) * lfu-log-factor + 1) and that loses one per lfu-decay-time minutes idle.
/// OBJECT FREQ reads it; eviction under an LFU policy compares it.
/// </summary>
public static class Lfu
{
    /// <summary>LFU_INIT_VAL: a new key's counter, so it is not evicted before it had a chance to be used.</summary>
    public const int InitialCounter = 5;

    /// <summary>LFUGetTimeInMinutes: Unix minutes, wrapping at 16 bits.</summary>
    public static int Minutes(long nowMs) => (int)((nowMs / 60_000) & 0xFFFF);

    /// <summary>The access bits of a key created now.</summary>
    public static int New(long nowMs) => Of(nowMs, InitialCounter);

    /// <summary>The access bits for <paramref name="counter"/> as of now (RESTORE FREQ).</summary>
    public static int Of(long nowMs, int counter) => (Minutes(nowMs) << 8) | counter;

    /// <summary>LFUDecrAndReturn: the counter after the decay of the minutes since its last decrement.</summary>
    public static int Counter(int bits, long nowMs, int decayTime)
    {
        int ldt = bits >> 8, counter = bits & 255, now = Minutes(nowMs);
        int elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
        int periods = decayTime > 0 ? elapsed / decayTime : 0;
        return periods > counter ? 0 : counter - periods;
    }

    /// <summary>LFULogIncr with <paramref name="random"/> uniform in [0, 1).</summary>
    public static int LogIncrement(int counter, int logFactor, double random)
    {
        if (counter == 255) return 255;
        double baseval = Math.Max(0, counter - InitialCounter);
        return random < 1.0 / (baseval * logFactor + 1) ? counter + 1 : counter;
    }

    /// <summary>updateLFU: the access bits after one access now.</summary>
    public static int Accessed(int bits, long nowMs, ServerConfig config) =>
        Of(nowMs, LogIncrement(Counter(bits, nowMs, config.LfuDecayTime), config.LfuLogFactor, Random.Shared.NextDouble()));
}
