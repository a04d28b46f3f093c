namespace Cinnabar.DataTypes;

/// <summary>Orders byte strings as memcmp does, shorter first on a common prefix (Redis' rax order).</summary>
public sealed class ByteStringComparer : IComparer<byte[]>
{
    public static readonly ByteStringComparer Instance = new();
    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}

/// <summary>A delivered but not yet acknowledged entry (one per ID in the group's PEL).</summary>
public sealed class PendingEntry(StreamId id)
{
    public readonly StreamId Id = id;
    public StreamConsumer? Consumer;
    /// <summary>Unix ms of the last delivery.</summary>
    public long DeliveryTime;
    public long DeliveryCount;

    public static readonly IComparer<PendingEntry> ById = Comparer<PendingEntry>.Create((a, b) => a.Id.CompareTo(b.Id));
}

public sealed class StreamConsumer(byte[] name, long seenTime)
{
    public readonly byte[] Name = name;
    /// <summary>Unix ms of the last read/claim by this consumer (XINFO "idle").</summary>
    public long SeenTime = seenTime;
    public readonly SortedSet<PendingEntry> Pending = new(PendingEntry.ById);
}

/// <summary>A consumer group: its last delivered ID, logical read counter, PEL and consumers.</summary>
public sealed class StreamGroup(byte[] name, StreamId lastId, long entriesRead)
{
    /// <summary>Redis' SCG_INVALID_ENTRIES_READ.</summary>
    public const long InvalidEntriesRead = -1;

    public readonly byte[] Name = name;
    public StreamId LastId = lastId;
    public long EntriesRead = entriesRead;
    public readonly SortedSet<PendingEntry> Pending = new(PendingEntry.ById);
    public readonly SortedDictionary<byte[], StreamConsumer> Consumers = new(ByteStringComparer.Instance);

    public PendingEntry? FindPending(StreamId id)
        => Pending.TryGetValue(new PendingEntry(id), out var pe) ? pe : null;

    /// <summary>PEL entries with start &lt;= ID &lt;= end, in order.</summary>
    public static SortedSet<PendingEntry> Between(SortedSet<PendingEntry> pel, StreamId start, StreamId end)
        => start > end ? new SortedSet<PendingEntry>(PendingEntry.ById) : pel.GetViewBetween(new PendingEntry(start), new PendingEntry(end));

    public StreamConsumer? FindConsumer(ReadOnlySpan<byte> name)
    {
        // SortedDictionary needs a byte[] key; consumer lookups are rare enough (per command) to copy.
        return Consumers.TryGetValue(name.ToArray(), out var c) ? c : null;
    }

    public StreamConsumer GetOrCreateConsumer(ReadOnlySpan<byte> name, long now, out bool created)
    {
        var key = name.ToArray();
        if (Consumers.TryGetValue(key, out var c)) { created = false; return c; }
        c = new StreamConsumer(key, now);
        Consumers.Add(key, c);
        created = true;
        return c;
    }

    public StreamGroup Clone()
    {
        var g = new StreamGroup(Name, LastId, EntriesRead);
        var map = new Dictionary<StreamConsumer, StreamConsumer>();
        foreach (var (k, c) in Consumers)
        {
            var nc = new StreamConsumer(c.Name, c.SeenTime);
            g.Consumers.Add(k, nc);
            map[c] = nc;
        }
        foreach (var pe in Pending)
        {
            var npe = new PendingEntry(pe.Id) { DeliveryTime = pe.DeliveryTime, DeliveryCount = pe.DeliveryCount };
            if (pe.Consumer is not null)
            {
                npe.Consumer = map[pe.Consumer];
                npe.Consumer.Pending.Add(npe);
            }
            g.Pending.Add(npe);
        }
        return g;
    }
}
