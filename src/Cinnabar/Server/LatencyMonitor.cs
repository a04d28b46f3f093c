namespace Cinnabar.Server;

/// <summary>
/// LATENCY: per event ("command", "fast-command"), the samples of at least latency-monitor-threshold
/// milliseconds, one per second (the largest), in a ring of 160 as Redis' latency.c keeps them.
/// </summary>
public sealed class LatencyMonitor
{
    public const int HistoryLength = 160;

    public sealed class Series
    {
        public readonly (long Time, long Latency)[] Samples = new (long, long)[HistoryLength];
        public int Next;
        public long Max;

        public (long Time, long Latency) Latest => Samples[(Next + HistoryLength - 1) % HistoryLength];

        /// <summary>The samples present, oldest first.</summary>
        public IEnumerable<(long Time, long Latency)> History()
        {
            for (int i = 0; i < HistoryLength; i++)
            {
                var s = Samples[(Next + i) % HistoryLength];
                if (s.Time != 0) yield return s;
            }
        }
    }

    private readonly Dictionary<string, Series> _events = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, Series> Events => _events;

    /// <summary>latencyAddSample: one sample per second per event, keeping that second's largest.</summary>
    public void Add(string eventName, long milliseconds)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (!_events.TryGetValue(eventName, out var ts)) _events[eventName] = ts = new Series();
        if (milliseconds > ts.Max) ts.Max = milliseconds;
        int prev = (ts.Next + HistoryLength - 1) % HistoryLength;
        if (ts.Samples[prev].Time == now)
        {
            if (milliseconds > ts.Samples[prev].Latency) ts.Samples[prev].Latency = milliseconds;
            return;
        }
        ts.Samples[ts.Next] = (now, milliseconds);
        ts.Next = (ts.Next + 1) % HistoryLength;
    }

    /// <summary>Resets the named events (all when none are named); returns how many existed.</summary>
    public int Reset(IReadOnlyList<string> names)
    {
        if (names.Count == 0)
        {
            int n = _events.Count;
            _events.Clear();
            return n;
        }
        int removed = 0;
        foreach (var name in names) if (_events.Remove(name)) removed++;
        return removed;
    }
}
