using Cinnabar.Config;

namespace Cinnabar.DataTypes;

/// <summary>
/// A stream: entries in ID order held in compact nodes of up to stream-node-max-entries entries (see
/// <see cref="StreamNode"/>), found by binary search over the nodes' first IDs, plus the stream's
/// counters (last ID, entries added, max deleted ID) and its consumer groups.
/// Appends are O(1) amortized and a range starts in O(log n).
/// </summary>
public sealed class StreamValue : IRedisObject
{
    // Nodes live in _nodes[_head.._nodes.Count); trimming from the front just advances _head.
    private List<StreamNode?> _nodes = [];
    private int _head;

    public long Length { get; private set; }
    public StreamId LastId;
    public StreamId MaxDeletedId;
    public ulong EntriesAdded;
    public NamedSortedList<StreamGroup>? Groups;

    public string TypeName => "stream";

    public long AccountedBytes { get; set; }
    public string GetEncoding(ServerConfig config) => "stream";

    public int NodeCount => _nodes.Count - _head;
    public StreamNode NodeAt(int i) => _nodes[_head + i]!;

    /// <summary>
    /// The first <paramref name="samples"/> nodes (0: all) extrapolated to every node, as Redis samples
    /// listpack nodes, plus consumer groups: a PEL entry is an object and a sorted-set node in the group's
    /// PEL and its consumer's (about 150 bytes in all).
    /// </summary>
    public long MemoryUsage(int samples)
    {
        const int PendingEntryBytes = 150, ConsumerBytes = 120, GroupBytes = 200;
        long sampled = 0, sampledBytes = 0;
        // Samples spread over the nodes (oldest to newest), not the oldest ones only.
        int stride = samples == 0 || samples >= NodeCount ? 1 : NodeCount / samples;
        for (int i = 0; i < NodeCount && (samples == 0 || sampled < samples); i += stride, sampled++) sampledBytes += NodeAt(i).MemoryUsage();
        long bytes = MemorySize.Object(64) + MemorySize.Array(_nodes.Capacity, 8) + MemorySize.Extrapolate(sampledBytes, sampled, NodeCount);
        if (Groups is not null)
            foreach (var g in Groups)
            {
                bytes += GroupBytes + MemorySize.Bytes(g.Name) + (long)g.Pending.Count * PendingEntryBytes;
                foreach (var consumer in g.Consumers) bytes += ConsumerBytes + MemorySize.Bytes(consumer.Name);
            }
        return bytes;
    }

    public IRedisObject DeepClone()
    {
        var s = new StreamValue { Length = Length, LastId = LastId, MaxDeletedId = MaxDeletedId, EntriesAdded = EntriesAdded };
        for (int i = _head; i < _nodes.Count; i++) s._nodes.Add(_nodes[i]!.Clone());
        if (Groups is not null)
        {
            s.Groups = new NamedSortedList<StreamGroup>();
            foreach (var g in Groups) s.Groups.Add(g.Clone());
        }
        return s;
    }

    /// <summary>The first live entry's ID, 0-0 when empty (Redis' first_id).</summary>
    public StreamId FirstId
    {
        get
        {
            var it = Iterate(StreamId.Min, StreamId.Max, false);
            return it.MoveNext() ? it.Id : StreamId.Min;
        }
    }

    /// <summary>The last live entry's ID, 0-0 when empty.</summary>
    public StreamId LastEntryId
    {
        get
        {
            var it = Iterate(StreamId.Min, StreamId.Max, true);
            return it.MoveNext() ? it.Id : StreamId.Min;
        }
    }

    /// <summary>
    /// The ID XADD would use: "*" (<paramref name="msGiven"/> null) takes max(now, last ms), otherwise the
    /// given ms with the next sequence. False when no greater ID exists.
    /// </summary>
    public bool NextId(long nowMs, ulong? msGiven, out StreamId id)
    {
        ulong ms = msGiven ?? (ulong)Math.Max(nowMs, 0);
        if (msGiven is null && ms <= LastId.Ms)
            return LastId.TryIncrement(out id); // clock went backwards or same ms: keep last ms, bump seq
        if (ms == LastId.Ms)
        {
            if (LastId.Seq == ulong.MaxValue) { id = default; return false; }
            id = new StreamId(ms, LastId.Seq + 1);
            return true;
        }
        id = new StreamId(ms, 0);
        return ms > LastId.Ms;
    }

    /// <summary>Appends an entry; <paramref name="id"/> must be greater than <see cref="LastId"/>.</summary>
    public void Append<TFields>(StreamId id, in TFields fieldsAndValues, int nodeMaxEntries, long nodeMaxBytes) where TFields : IStreamFields
    {
        StreamNode? tail = _nodes.Count > _head ? _nodes[^1] : null;
        if (tail is not null)
        {
            // Redis' rule: the listpack's bytes plus the raw field/value lengths reach the byte limit,
            // or the node holds max-entries entries (deleted ones included).
            long maxBytes = nodeMaxBytes <= 0 || nodeMaxBytes > (1L << 30) ? 1L << 30 : nodeMaxBytes;
            long rawLength = 0;
            for (int i = 0; i < fieldsAndValues.Count; i++) rawLength += fieldsAndValues[i].Length;
            bool full = tail.LpBytes + rawLength >= maxBytes
                        || (nodeMaxEntries > 0 && tail.Count >= nodeMaxEntries);
            if (full) { tail.Seal(); tail = null; }
        }
        if (tail is null)
        {
            var master = new byte[fieldsAndValues.Count / 2][];
            for (int i = 0; i < master.Length; i++) master[i] = fieldsAndValues[i * 2].ToArray();
            tail = new StreamNode(id, master, StreamNode.EstimateSize(fieldsAndValues) * 4);
            // Nodes stay ordered by master ID like rax keys. Normally that is the end, but after XSETID
            // moved the last ID below tombstones a new node can sort before existing ones.
            int at = LastNodeAtOrBefore(id) + 1;
            if (at < _head) at = _head;
            _nodes.Insert(at, tail);
        }
        tail.Append(id, fieldsAndValues);
        Length++;
        LastId = id;
        EntriesAdded++;
    }

    /// <summary>
    /// Adds a node read from an RDB file after the existing ones (their master IDs ascending). The previous
    /// tail is sealed; the counters (last ID, entries added...) are set by the loader.
    /// </summary>
    public void AddLoadedNode(StreamNode node)
    {
        if (_nodes.Count > _head)
        {
            if (node.Master <= _nodes[^1]!.Master) throw new ArgumentException("stream nodes must be added in ID order");
            _nodes[^1]!.Seal();
        }
        _nodes.Add(node);
        Length += node.Live;
    }

    /// <summary>Index (relative to the first node) of the last node whose master ID is &lt;= id, or -1.</summary>
    private int LastNodeAtOrBefore(StreamId id)
    {
        int lo = _head, hi = _nodes.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_nodes[mid]!.Master <= id) lo = mid + 1; else hi = mid;
        }
        return lo - 1; // absolute index; < _head means none
    }

    /// <summary>Deletes the live entry <paramref name="id"/>; false if absent.</summary>
    public bool Delete(StreamId id)
    {
        var it = Iterate(id, id, false);
        if (!it.MoveNext()) return false;
        var node = it.Node;
        node.MarkDeleted(it.Index);
        Length--;
        if (node.Live == 0) RemoveNode(_nodes.IndexOf(node, _head));
        if (id > MaxDeletedId) MaxDeletedId = id;
        return true;
    }

    private void RemoveNode(int absolute)
    {
        if (absolute == _head)
        {
            _nodes[_head++] = null;
            if (_head > 16 && _head * 2 > _nodes.Count)
            {
                _nodes.RemoveRange(0, _head);
                _head = 0;
            }
        }
        else _nodes.RemoveAt(absolute);
    }

    /// <summary>
    /// Trims by MAXLEN (<paramref name="minId"/> null) or MINID as Redis' streamTrim: whole nodes first;
    /// with <paramref name="approx"/> stop at the first node that can't go whole, otherwise delete single
    /// entries of that node. <paramref name="limit"/> 0 means unlimited. Returns the entries removed.
    /// </summary>
    public long Trim(long maxLen, StreamId? minId, bool approx, long limit)
    {
        long deleted = 0;
        while (_head < _nodes.Count)
        {
            if (minId is null && Length <= maxLen) break;
            var node = _nodes[_head]!;
            long entries = node.Live;
            if (limit > 0 && deleted + entries > limit) break;
            bool removeNode = minId is null
                ? Length - entries >= maxLen
                : node.IdAt(node.Count - 1) < minId.Value;
            if (removeNode)
            {
                RemoveNode(_head);
                Length -= entries;
                deleted += entries;
                continue;
            }
            if (approx) break;
            for (int i = 0; i < node.Count; i++)
            {
                // As Redis, the stop test comes before the tombstone test: a tombstone >= MINID stops.
                if (minId is null) { if (Length <= maxLen) break; }
                else if (node.IdAt(i) >= minId.Value) break;
                if (node.IsDeleted(i)) continue;
                node.MarkDeleted(i);
                Length--;
                deleted++;
            }
            // Like Redis, a node emptied entry by entry stays (its tombstones too) until a later trim
            // removes it whole; XINFO's radix-tree-keys and later trims depend on that.
            break;
        }
        return deleted;
    }

    public Iterator Iterate(StreamId start, StreamId end, bool reverse) => new(this, start, end, reverse);

    /// <summary>Walks live entries with start &lt;= ID &lt;= end, forwards or backwards.</summary>
    public struct Iterator
    {
        private readonly StreamValue _s;
        private readonly StreamId _start, _end;
        private readonly bool _reverse;
        private int _node, _entry;
        private bool _started;

        internal Iterator(StreamValue s, StreamId start, StreamId end, bool reverse)
        {
            _s = s; _start = start; _end = end; _reverse = reverse;
            _node = -1; _entry = -1; _started = false;
            Node = null!;
            Index = -1;
            Id = default;
        }

        public StreamNode Node { get; private set; }
        public int Index { get; private set; }
        public StreamId Id { get; private set; }

        public bool MoveNext()
        {
            var nodes = _s._nodes;
            if (!_started)
            {
                _started = true;
                if (_start > _end) { _node = nodes.Count; return false; }
                if (!_reverse)
                {
                    _node = Math.Max(_s.LastNodeAtOrBefore(_start), _s._head);
                    if (_node >= nodes.Count) return false;
                    _entry = nodes[_node]!.FirstIndexAtOrAfter(_start) - 1;
                }
                else
                {
                    _node = _s.LastNodeAtOrBefore(_end);
                    if (_node < _s._head) return false;
                    _entry = nodes[_node]!.LastIndexAtOrBefore(_end) + 1;
                }
            }
            if (!_reverse)
            {
                while (_node < nodes.Count)
                {
                    var n = nodes[_node]!;
                    while (++_entry < n.Count)
                    {
                        if (n.IsDeleted(_entry)) continue;
                        var id = n.IdAt(_entry);
                        if (id < _start) continue;
                        if (id > _end) { _node = nodes.Count; return false; }
                        Node = n; Index = _entry; Id = id;
                        return true;
                    }
                    _node++;
                    _entry = -1;
                }
                return false;
            }
            while (_node >= _s._head)
            {
                var n = nodes[_node]!;
                while (--_entry >= 0)
                {
                    if (n.IsDeleted(_entry)) continue;
                    var id = n.IdAt(_entry);
                    if (id > _end) continue;
                    if (id < _start) { _node = -1; return false; }
                    Node = n; Index = _entry; Id = id;
                    return true;
                }
                _node--;
                if (_node >= _s._head) _entry = nodes[_node]!.Count;
            }
            return false;
        }
    }

    /// <summary>True when the live entry <paramref name="id"/> exists.</summary>
    public bool Contains(StreamId id)
    {
        var it = Iterate(id, id, false);
        return it.MoveNext();
    }

    // ---- consumer groups' logical read counters (Redis 7.0 semantics) ----

    public StreamGroup? FindGroup(ReadOnlySpan<byte> name)
        => Groups?.Find(name);

    /// <summary>streamRangeHasTombstones: may a deleted entry lie within [start, end]?</summary>
    public bool RangeHasTombstones(StreamId start, StreamId end)
    {
        if (Length == 0 || MaxDeletedId.IsZero) return false;
        if (FirstId > MaxDeletedId) return false;
        return start <= MaxDeletedId && MaxDeletedId <= end;
    }

    /// <summary>streamEstimateDistanceFromFirstEverEntry: the logical counter of <paramref name="id"/>, or -1.</summary>
    public long EstimateDistanceFromFirstEverEntry(StreamId id)
    {
        if (EntriesAdded == 0) return 0;
        if (Length == 0 && id <= LastId) return (long)EntriesAdded;
        int cmpLast = id.CompareTo(LastId);
        if (cmpLast == 0) return (long)EntriesAdded;
        if (cmpLast > 0) return StreamGroup.InvalidEntriesRead;
        var first = FirstId;
        if (MaxDeletedId.IsZero || MaxDeletedId < first)
        {
            int cmpFirst = id.CompareTo(first);
            if (cmpFirst < 0) return (long)EntriesAdded - Length;
            if (cmpFirst == 0) return (long)EntriesAdded - Length + 1;
        }
        return StreamGroup.InvalidEntriesRead;
    }

    /// <summary>The group's lag (streamReplyWithCGLag), or null when it can't be known.</summary>
    public long? GroupLag(StreamGroup g)
    {
        if (EntriesAdded == 0) return 0;
        if (g.EntriesRead != StreamGroup.InvalidEntriesRead && !RangeHasTombstones(g.LastId, StreamId.Max))
            return (long)EntriesAdded - g.EntriesRead;
        long read = EstimateDistanceFromFirstEverEntry(g.LastId);
        return read != StreamGroup.InvalidEntriesRead ? (long)EntriesAdded - read : null;
    }

    /// <summary>Advances the group past a newly delivered <paramref name="id"/> (XREADGROUP '&gt;').</summary>
    public void GroupDelivered(StreamGroup g, StreamId id)
    {
        if (id <= g.LastId) return;
        if (g.EntriesRead != StreamGroup.InvalidEntriesRead && !RangeHasTombstones(id, StreamId.Max))
            g.EntriesRead++;
        else if (EntriesAdded != 0)
            g.EntriesRead = EstimateDistanceFromFirstEverEntry(id);
        g.LastId = id;
    }
}
