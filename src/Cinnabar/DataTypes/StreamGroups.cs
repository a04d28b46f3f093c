namespace Cinnabar.DataTypes;

/// <summary>A delivered but not yet acknowledged entry (one per ID in the group's PEL).</summary>
public sealed class PendingEntry(StreamId id)
{
    public StreamId Id { get; private set; } = id;
    public StreamConsumer? Consumer;
    /// <summary>Unix ms of the last delivery.</summary>
    public long DeliveryTime;
    public long DeliveryCount;

    internal void SetId(StreamId id) => Id = id;

    public static readonly IComparer<PendingEntry> ById = Comparer<PendingEntry>.Create((a, b) => a.Id.CompareTo(b.Id));
}

public sealed class StreamConsumer(byte[] name, long seenTime) : INamed
{
    public byte[] Name { get; } = name;
    /// <summary>Unix ms of the last read/claim by this consumer (XINFO "idle").</summary>
    public long SeenTime = seenTime;
    public readonly SortedSet<PendingEntry> Pending = new(PendingEntry.ById);
}

/// <summary>A consumer group: its last delivered ID, logical read counter, PEL and consumers.</summary>
public sealed class StreamGroup(byte[] name, StreamId lastId, long entriesRead) : INamed
{
    /// <summary>Redis' SCG_INVALID_ENTRIES_READ.</summary>
    public const long InvalidEntriesRead = -1;

    public byte[] Name { get; } = name;
    public StreamId LastId = lastId;
    public long EntriesRead = entriesRead;
    public readonly SortedSet<PendingEntry> Pending = new(PendingEntry.ById);
    public readonly NamedSortedList<StreamConsumer> Consumers = new();

    // A reusable search key: lookups (XACK, XCLAIM, XREADGROUP) then allocate nothing.
    [ThreadStatic] private static PendingEntry? _probe;

    public PendingEntry? FindPending(StreamId id)
    {
        var probe = _probe ??= new PendingEntry(default);
        probe.SetId(id);
        return Pending.TryGetValue(probe, out var pe) ? pe : null;
    }

    /// <summary>PEL entries with start &lt;= ID &lt;= end, in order.</summary>
    public static SortedSet<PendingEntry> Between(SortedSet<PendingEntry> pel, StreamId start, StreamId end)
        => start > end ? new SortedSet<PendingEntry>(PendingEntry.ById) : pel.GetViewBetween(new PendingEntry(start), new PendingEntry(end));

    public StreamConsumer? FindConsumer(ReadOnlySpan<byte> name) => Consumers.Find(name);

    public StreamConsumer GetOrCreateConsumer(ReadOnlySpan<byte> name, long now, out bool created)
    {
        var c = Consumers.Find(name);
        if (c is not null) { created = false; return c; }
        c = new StreamConsumer(name.ToArray(), now);
        Consumers.Add(c);
        created = true;
        return c;
    }

    public StreamGroup Clone()
    {
        var g = new StreamGroup(Name, LastId, EntriesRead);
        var map = new Dictionary<StreamConsumer, StreamConsumer>();
        foreach (var c in Consumers)
        {
            var nc = new StreamConsumer(c.Name, c.SeenTime);
            g.Consumers.Add(nc);
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

/// <summary>Something with a binary name (groups, consumers).</summary>
public interface INamed
{
    byte[] Name { get; }
}

/// <summary>
/// Items kept in byte order of their names (Redis' rax order), found by binary search over spans so a
/// lookup by an argument allocates nothing.
/// </summary>
public sealed class NamedSortedList<T> where T : class, INamed
{
    private readonly List<T> _items = [];

    public int Count => _items.Count;
    public List<T>.Enumerator GetEnumerator() => _items.GetEnumerator();

    private int Search(ReadOnlySpan<byte> name)
    {
        int lo = 0, hi = _items.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = _items[mid].Name.AsSpan().SequenceCompareTo(name);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        return ~lo;
    }

    public T? Find(ReadOnlySpan<byte> name)
    {
        int i = Search(name);
        return i >= 0 ? _items[i] : null;
    }

    /// <summary>Adds the item; false if one with the same name exists.</summary>
    public bool Add(T item)
    {
        int i = Search(item.Name);
        if (i >= 0) return false;
        _items.Insert(~i, item);
        return true;
    }

    public bool Remove(ReadOnlySpan<byte> name)
    {
        int i = Search(name);
        if (i < 0) return false;
        _items.RemoveAt(i);
        return true;
    }
}
