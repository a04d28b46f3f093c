using System.Text;

namespace Cinnabar.Server;

/// <summary>
/// SLOWLOG: the most recent commands whose execution took at least slowlog-log-slower-than microseconds,
/// newest first, at most slowlog-max-len of them (Redis' slowlog.c). Only slow commands allocate: the
/// arguments are copied when an entry is made, trimmed as Redis trims them.
/// </summary>
public sealed class SlowLog
{
    private const int MaxArgs = 32;
    private const int MaxArgBytes = 128;

    public sealed record Entry(long Id, long UnixSeconds, long Microseconds, byte[][] Args, string Peer, string ClientName);

    private readonly LinkedList<Entry> _entries = new();
    private long _nextId;

    public int Count => _entries.Count;

    public IEnumerable<Entry> Newest(long count) => _entries.Take((int)Math.Min(count, int.MaxValue));

    public void Reset() => _entries.Clear();

    /// <summary>slowlogPushEntryIfNeeded: records the command if it was slow enough, then trims to <paramref name="maxLen"/>.</summary>
    public void Add(Client c, long micros, long threshold, int maxLen)
    {
        if (threshold < 0 || micros < threshold) return;
        int argc = Math.Min(c.ArgCount, MaxArgs);
        var args = new byte[argc][];
        for (int j = 0; j < argc; j++)
        {
            var arg = c.ShownArg(j);
            if (argc != c.ArgCount && j == argc - 1)
                args[j] = Encoding.ASCII.GetBytes($"... ({c.ArgCount - argc + 1} more arguments)");
            else if (arg.Length > MaxArgBytes)
                args[j] = [.. arg[..MaxArgBytes], .. Encoding.ASCII.GetBytes($"... ({arg.Length - MaxArgBytes} more bytes)")];
            else
                args[j] = arg.ToArray();
        }
        _entries.AddFirst(new Entry(_nextId++, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), micros, args, c.Address, c.Name ?? ""));
        while (_entries.Count > maxLen) _entries.RemoveLast();
    }
}
