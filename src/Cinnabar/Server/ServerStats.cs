namespace Cinnabar.Server;

/// <summary>Counters behind INFO stats. Written under the execution lock unless noted.</summary>
public sealed class ServerStats
{
    public long TotalConnectionsReceived;
    public long TotalCommandsProcessed;
    public long RejectedConnections;
    public long TotalErrorReplies;
    /// <summary>Bytes read from clients (updated by receive loops, atomically).</summary>
    public long NetInputBytes;
    /// <summary>Bytes written to clients (updated by send loops, atomically).</summary>
    public long NetOutputBytes;
    public long ExpiredStalePerc;
    public long ExpireCycleCpuMilliseconds;
    public long EvictedKeys;
    public long SyncFull, SyncPartialOk, SyncPartialErr;

    /// <summary>Error replies by their code ("ERR", "WRONGTYPE"), for INFO errorstats.</summary>
    public readonly Dictionary<string, long> ErrorCounts = new(StringComparer.Ordinal);

    // Instantaneous ops/sec, sampled by the cron like Redis' trackInstantaneousMetric.
    private readonly long[] _opsSamples = new long[16];
    private int _opsIndex;
    private long _lastOpsCount, _lastOpsTime;

    public void AddNetOutput(long bytes) => Interlocked.Add(ref NetOutputBytes, bytes);
    public void AddNetInput(long bytes) => Interlocked.Add(ref NetInputBytes, bytes);

    public void SampleOps(long nowMs)
    {
        if (_lastOpsTime != 0 && nowMs > _lastOpsTime)
        {
            long ops = (TotalCommandsProcessed - _lastOpsCount) * 1000 / (nowMs - _lastOpsTime);
            _opsSamples[_opsIndex++ % _opsSamples.Length] = ops;
        }
        _lastOpsTime = nowMs;
        _lastOpsCount = TotalCommandsProcessed;
    }

    public long InstantaneousOps => _opsSamples.Sum() / _opsSamples.Length;

    public void Reset()
    {
        TotalConnectionsReceived = TotalCommandsProcessed = RejectedConnections = TotalErrorReplies = 0;
        NetInputBytes = NetOutputBytes = 0;
        EvictedKeys = SyncFull = SyncPartialOk = SyncPartialErr = 0;
        ErrorCounts.Clear();
        Array.Clear(_opsSamples);
    }
}
