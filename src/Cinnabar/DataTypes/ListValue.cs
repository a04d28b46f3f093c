using Cinnabar.Config;

namespace Cinnabar.DataTypes;

/// <summary>
/// A list, stored as Redis' quicklist is: a sequence of nodes, each a buffer of packed listpack entries
/// (<see cref="ListpackEntry"/>), filled by Redis' own rule for list-max-listpack-size (8 KB nodes by
/// default), so node boundaries, and with them RDB files and DUMP payloads, are Redis' byte for byte. An
/// element costs its bytes plus two or three, not an object. Pushes and pops at both ends are O(1): a node
/// keeps free room at both sides of its entries (a gap buffer), so a head push writes in front without
/// moving the rest. Indexing walks the node counts, then the entries of one node, as Redis does.
/// Nodes are kept in a ring so adding or dropping an end node is O(1) too.
/// </summary>
public sealed class ListValue : IRedisObject
{
    /// <summary>Redis' SIZE_SAFETY_LIMIT: the most bytes a node limited by count may hold.</summary>
    public const int NodeBytes = 8192;
    private const int FirstNodeCapacity = 32;

    /// <summary>Listpack header and terminator, counted in a node's size as Redis counts lpBytes.</summary>
    private const int ListpackOverhead = 7;

    /// <summary>Redis' estimate of what one more entry adds to a node beyond the value's bytes (SIZE_ESTIMATE_OVERHEAD).</summary>
    private const int EntryOverheadEstimate = 8;

    /// <summary>Node byte limits for list-max-listpack-size -1 to -5 (Redis' optimization_level).</summary>
    private static ReadOnlySpan<int> SizeLimits => [4096, 8192, 16384, 32768, 65536];

    /// <summary>list-max-listpack-size when the list was created (Redis' quicklist fill): negative, a byte limit; positive, a count limit.</summary>
    private readonly int _fill;

    public ListValue(int fill = -2) => _fill = Math.Clamp(fill, -5, short.MaxValue);

    /// <summary>The quicklist fill this list was created with (DEBUG OBJECT's ql_listpack_max).</summary>
    public int Fill => _fill;

    private struct Node
    {
        public byte[] Buffer;
        public int Start;
        public int End;
        public int Count;

        public readonly int Used => End - Start;
        public readonly ReadOnlySpan<byte> Entries => Buffer.AsSpan(Start, End - Start);
    }

    private Node[] _nodes = new Node[1];
    private int _head;
    private int _nodeCount;
    private int _count;

    public string TypeName => "list";

    public long AccountedBytes { get; set; }

    /// <summary>Redis 7.0 reports every list as a quicklist.</summary>
    public string GetEncoding(ServerConfig config) => "quicklist";

    public int Count => _count;

    private ref Node NodeAt(int i)
    {
        int s = _head + i;
        return ref _nodes[s >= _nodes.Length ? s - _nodes.Length : s];
    }

    // ---- ends ----

    public void Push(ReadOnlySpan<byte> value, bool head)
    {
        int size = ListpackEntry.SizeOf(value);
        int at = head ? 0 : _nodeCount - 1;
        if (_nodeCount == 0 || !AllowsInsert(NodeAt(at), value.Length))
        {
            at = head ? 0 : _nodeCount;
            InsertNode(at, NewNode(_nodeCount == 0 ? Math.Max(FirstNodeCapacity, size) : Math.Max(NewNodeCapacity, size), size, head));
        }
        ref var node = ref NodeAt(at);
        MakeRoom(ref node, size, head);
        if (head) node.Start -= size;
        ListpackEntry.Write(node.Buffer.AsSpan(head ? node.Start : node.End), value);
        if (!head) node.End += size;
        node.Count++;
        _count++;
    }

    public void PushHead(ReadOnlySpan<byte> value) => Push(value, head: true);
    public void PushTail(ReadOnlySpan<byte> value) => Push(value, head: false);

    /// <summary>The first or last element; integers are formatted into <paramref name="scratch"/> (<see cref="ListpackEntry.ScratchSize"/>).</summary>
    public ReadOnlySpan<byte> Peek(bool head, Span<byte> scratch)
    {
        ref var node = ref NodeAt(head ? 0 : _nodeCount - 1);
        int p = head ? node.Start : ListpackEntry.StartBefore(node.Buffer, node.End);
        return ListpackEntry.Read(node.Buffer, p, scratch);
    }

    /// <summary>Removes the first or last element (the list must not be empty).</summary>
    public void RemoveEnd(bool head)
    {
        int at = head ? 0 : _nodeCount - 1;
        ref var node = ref NodeAt(at);
        if (head) node.Start += ListpackEntry.SizeAt(node.Buffer, node.Start);
        else node.End = ListpackEntry.StartBefore(node.Buffer, node.End);
        node.Count--;
        _count--;
        if (node.Count == 0) RemoveNodes(at, 1);
    }

    /// <summary>Removes and returns the first or last element as a new array.</summary>
    public byte[] Pop(bool head)
    {
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        var value = Peek(head, scratch).ToArray();
        RemoveEnd(head);
        return value;
    }

    /// <summary>Drops <paramref name="fromHead"/> elements at the head and <paramref name="fromTail"/> at the tail, whole nodes at a time where it can.</summary>
    public void Trim(int fromHead, int fromTail)
    {
        if ((long)fromHead + fromTail >= _count)
        {
            RemoveNodes(0, _nodeCount);
            _count = 0;
            return;
        }
        int whole = 0;
        while (whole < _nodeCount && NodeAt(whole).Count <= fromHead) { fromHead -= NodeAt(whole).Count; _count -= NodeAt(whole).Count; whole++; }
        RemoveNodes(0, whole);
        whole = 0;
        while (whole < _nodeCount && NodeAt(_nodeCount - 1 - whole).Count <= fromTail) { fromTail -= NodeAt(_nodeCount - 1 - whole).Count; _count -= NodeAt(_nodeCount - 1 - whole).Count; whole++; }
        RemoveNodes(_nodeCount - whole, whole);
        for (int i = 0; i < fromHead; i++) RemoveEnd(head: true);
        for (int i = 0; i < fromTail; i++) RemoveEnd(head: false);
    }

    // ---- by position ----

    /// <summary>Element <paramref name="index"/> counted from the head (must be in range).</summary>
    public ReadOnlySpan<byte> Get(int index, Span<byte> scratch)
    {
        int offset = Locate(index, out int at);
        return ListpackEntry.Read(NodeAt(at).Buffer, offset, scratch);
    }

    /// <summary>Replaces element <paramref name="index"/> (LSET). In place whatever the node's size, as Redis 7.0 does.</summary>
    public void Set(int index, ReadOnlySpan<byte> value)
    {
        int offset = Locate(index, out int at, out _);
        Splice(at, offset, offset + ListpackEntry.SizeAt(NodeAt(at).Buffer, offset), value, 0);
    }

    /// <summary>
    /// LINSERT: inserts <paramref name="value"/> before or after the element at <paramref name="pivot"/>,
    /// choosing where as Redis' _quicklistInsert does: into the pivot's node if it has room; else into the
    /// neighbouring node at that end of it, or a new node between them; else the node is split at the pivot
    /// and the nodes around it merged where they fit. Node boundaries (and DUMP payloads) stay Redis'.
    /// </summary>
    public void Insert(int pivot, bool after, ReadOnlySpan<byte> value)
    {
        int offset = Locate(pivot, out int at, out int k);
        var node = NodeAt(at);
        bool full = !AllowsInsert(node, value.Length);
        bool atTail = after && k == node.Count - 1, atHead = !after && k == 0;
        bool hasNext = at + 1 < _nodeCount, hasPrev = at > 0;
        _count++;
        if (!full)
        {
            int p = after ? offset + ListpackEntry.SizeAt(node.Buffer, offset) : offset;
            Splice(at, p, p, value, 1);
        }
        else if (atTail && hasNext && AllowsInsert(NodeAt(at + 1), value.Length))
        {
            Splice(at + 1, NodeAt(at + 1).Start, NodeAt(at + 1).Start, value, 1);
        }
        else if (atHead && hasPrev && AllowsInsert(NodeAt(at - 1), value.Length))
        {
            Splice(at - 1, NodeAt(at - 1).End, NodeAt(at - 1).End, value, 1);
        }
        else if ((atTail && hasNext) || (atHead && hasPrev))
        {
            InsertNode(after ? at + 1 : at, NodeOf([], value, [], 1));
        }
        else
        {
            // Split at the pivot; the part on the insertion side becomes a new node that takes the value.
            int cut = (after ? offset + ListpackEntry.SizeAt(node.Buffer, offset) : offset) - node.Start;
            int leftCount = after ? k + 1 : k;
            var left = node.Entries[..cut];
            var right = node.Entries[cut..];
            if (after)
            {
                NodeAt(at) = NodeOf(left, [], leftCount);
                InsertNode(at + 1, NodeOf([], value, right, node.Count - leftCount + 1));
                MergeAround(at);
            }
            else
            {
                NodeAt(at) = NodeOf([], right, node.Count - leftCount);
                InsertNode(at, NodeOf(left, value, [], leftCount + 1));
                MergeAround(at + 1);
            }
        }
    }

    /// <summary>A node of <paramref name="count"/> elements: the packed entries <paramref name="before"/>, the entry for <paramref name="value"/>, then <paramref name="after"/>.</summary>
    private static Node NodeOf(ReadOnlySpan<byte> before, ReadOnlySpan<byte> value, ReadOnlySpan<byte> after, int count)
    {
        int size = ListpackEntry.SizeOf(value);
        var buffer = new byte[before.Length + size + after.Length];
        before.CopyTo(buffer);
        ListpackEntry.Write(buffer.AsSpan(before.Length), value);
        after.CopyTo(buffer.AsSpan(before.Length + size));
        return new Node { Buffer = buffer, Start = 0, End = buffer.Length, Count = count };
    }

    /// <summary>A node of <paramref name="count"/> elements: the packed entries <paramref name="first"/> then <paramref name="second"/>.</summary>
    private static Node NodeOf(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, int count)
    {
        var buffer = new byte[first.Length + second.Length];
        first.CopyTo(buffer);
        second.CopyTo(buffer.AsSpan(first.Length));
        return new Node { Buffer = buffer, Start = 0, End = buffer.Length, Count = count };
    }

    /// <summary>
    /// Redis' _quicklistMergeNodes after a split: merges the two nodes before <paramref name="center"/>, the
    /// two after it, then the center with its previous and its next node, each pair only when it fits.
    /// </summary>
    private void MergeAround(int center)
    {
        if (center >= 2 && AllowsMerge(center - 2)) { MergeWithNext(center - 2); center--; }
        if (center + 2 < _nodeCount && AllowsMerge(center + 1)) MergeWithNext(center + 1);
        int target = center;
        if (center >= 1 && AllowsMerge(center - 1)) { MergeWithNext(center - 1); target = center - 1; }
        if (target + 1 < _nodeCount && AllowsMerge(target)) MergeWithNext(target);
    }

    /// <summary>
    /// Redis' _quicklistNodeAllowMerge for node <paramref name="i"/> and the one after it. Redis 7.0 still
    /// estimates the merged size by subtracting a ziplist's 11 header bytes, not a listpack's 7, so a merged
    /// node may exceed the limit by up to 4 bytes; that is kept, for the same nodes as Redis.
    /// </summary>
    private bool AllowsMerge(int i)
    {
        var a = NodeAt(i);
        var b = NodeAt(i + 1);
        return WithinLimit((long)a.Used + b.Used + 2 * ListpackOverhead - 11, a.Count + b.Count);
    }

    private void MergeWithNext(int i)
    {
        var a = NodeAt(i);
        var b = NodeAt(i + 1);
        NodeAt(i) = NodeOf(a.Entries, b.Entries, a.Count + b.Count);
        RemoveNodes(i + 1, 1);
    }

    /// <summary>
    /// LREM: removes elements equal to <paramref name="element"/>, at most <paramref name="limit"/> of them
    /// (0 or less: all), scanning from the tail when <paramref name="fromTail"/>. Returns how many went.
    /// </summary>
    public long RemoveMatches(ReadOnlySpan<byte> element, long limit, bool fromTail)
    {
        if (limit <= 0) limit = long.MaxValue;
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        long removed = 0;
        for (int k = 0; k < _nodeCount && removed < limit; k++)
        {
            ref var node = ref NodeAt(fromTail ? _nodeCount - 1 - k : k);
            var buf = node.Buffer;
            // Compact the node in place: kept entries slide towards the side the scan started from.
            if (!fromTail)
            {
                int w = node.Start;
                for (int p = node.Start; p < node.End;)
                {
                    int size = ListpackEntry.SizeAt(buf, p);
                    if (removed < limit && ListpackEntry.Read(buf, p, scratch).SequenceEqual(element)) { removed++; node.Count--; }
                    else
                    {
                        if (w != p) buf.AsSpan(p, size).CopyTo(buf.AsSpan(w));
                        w += size;
                    }
                    p += size;
                }
                node.End = w;
            }
            else
            {
                int w = node.End;
                for (int end = node.End; end > node.Start;)
                {
                    int p = ListpackEntry.StartBefore(buf, end);
                    if (removed < limit && ListpackEntry.Read(buf, p, scratch).SequenceEqual(element)) { removed++; node.Count--; }
                    else
                    {
                        w -= end - p;
                        if (w != p) buf.AsSpan(p, end - p).CopyTo(buf.AsSpan(w));
                    }
                    end = p;
                }
                node.Start = w;
            }
        }
        if (removed > 0)
        {
            _count -= (int)removed;
            DropEmptyAndSparseNodes();
        }
        return removed;
    }

    /// <summary>Index of the entry at <paramref name="index"/>: returns its offset in node <paramref name="at"/>.</summary>
    private int Locate(int index, out int at) => Locate(index, out at, out _);

    /// <summary>As <see cref="Locate(int, out int)"/>, also giving the element's position within its node.</summary>
    private int Locate(int index, out int at, out int inNode)
    {
        if (index < _count / 2)
        {
            at = 0;
            while (index >= NodeAt(at).Count) index -= NodeAt(at++).Count;
        }
        else
        {
            int fromEnd = _count - 1 - index;
            at = _nodeCount - 1;
            while (fromEnd >= NodeAt(at).Count) fromEnd -= NodeAt(at--).Count;
            index = NodeAt(at).Count - 1 - fromEnd;
        }
        inNode = index;
        ref var node = ref NodeAt(at);
        if (index <= node.Count / 2)
        {
            int p = node.Start;
            for (int i = 0; i < index; i++) p += ListpackEntry.SizeAt(node.Buffer, p);
            return p;
        }
        int q = node.End;
        for (int i = node.Count; i > index; i--) q = ListpackEntry.StartBefore(node.Buffer, q);
        return q;
    }

    // ---- iteration ----

    /// <summary>
    /// A cursor over the elements from <paramref name="index"/> towards the tail (or the head when
    /// <paramref name="forward"/> is false). The list must not change while it is used.
    /// </summary>
    public Cursor From(int index, bool forward, Span<byte> scratch)
    {
        int offset = Locate(index, out int at);
        if (!forward) offset += ListpackEntry.SizeAt(NodeAt(at).Buffer, offset);
        return new Cursor(this, at, offset, forward, scratch);
    }

    public ref struct Cursor
    {
        private readonly ListValue _list;
        private readonly Span<byte> _scratch;
        private readonly bool _forward;
        private int _node;
        private int _offset;

        internal Cursor(ListValue list, int node, int offset, bool forward, Span<byte> scratch)
        {
            _list = list;
            _node = node;
            _offset = offset;
            _forward = forward;
            _scratch = scratch;
        }

        public ReadOnlySpan<byte> Current { get; private set; }

        public bool MoveNext()
        {
            if (_node < 0 || _node >= _list._nodeCount) return false;
            ref var node = ref _list.NodeAt(_node);
            if (_forward)
            {
                Current = ListpackEntry.Read(node.Buffer, _offset, _scratch);
                _offset += ListpackEntry.SizeAt(node.Buffer, _offset);
                if (_offset == node.End && ++_node < _list._nodeCount) _offset = _list.NodeAt(_node).Start;
            }
            else
            {
                _offset = ListpackEntry.StartBefore(node.Buffer, _offset);
                Current = ListpackEntry.Read(node.Buffer, _offset, _scratch);
                if (_offset == node.Start && --_node >= 0) _offset = _list.NodeAt(_node).End;
            }
            return true;
        }
    }

    /// <summary>Every element as a new array, head first (SORT, tests).</summary>
    public List<byte[]> Elements()
    {
        var result = new List<byte[]>(_count);
        if (_count == 0) return result;
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        var cursor = From(0, forward: true, scratch);
        while (cursor.MoveNext()) result.Add(cursor.Current.ToArray());
        return result;
    }

    // ---- packed nodes, for RDB and DUMP ----

    public int NodeCount => _nodeCount;

    /// <summary>The packed listpack entries of node <paramref name="i"/> (no header or terminator).</summary>
    public ReadOnlySpan<byte> NodeEntries(int i, out int count)
    {
        ref var node = ref NodeAt(i);
        count = node.Count;
        return node.Entries;
    }

    /// <summary>Appends a node made of already validated listpack entries, taking <paramref name="buffer"/> as it is.</summary>
    public void AppendPackedNode(byte[] buffer, int start, int end, int count)
    {
        if (count == 0) return;
        InsertNode(_nodeCount, new Node { Buffer = buffer, Start = start, End = end, Count = count });
        _count += count;
    }

    /// <summary>Appends one node holding <paramref name="elements"/> whatever its size (a node read from an RDB file).</summary>
    public void AppendNode(IReadOnlyList<byte[]> elements)
    {
        if (elements.Count == 0) return;
        int bytes = 0;
        foreach (var e in elements) bytes += ListpackEntry.SizeOf(e);
        var buffer = new byte[bytes];
        int p = 0;
        foreach (var e in elements) p += ListpackEntry.Write(buffer.AsSpan(p), e);
        AppendPackedNode(buffer, 0, bytes, elements.Count);
    }

    public long MemoryUsage(int samples)
    {
        long bytes = MemorySize.Object(40) + MemorySize.Array(_nodes.Length, 24);
        for (int i = 0; i < _nodeCount; i++) bytes += MemorySize.Bytes(NodeAt(i).Buffer);
        return bytes;
    }

    /// <summary>
    /// <see cref="MemoryUsage"/> in O(1) for the running total: the first and last four nodes (where pushes
    /// and pops happen) extrapolated over the others, which fill to the same limit.
    /// </summary>
    public long EstimatedSize()
    {
        if (_nodeCount <= 8) return MemoryUsage(0);
        long sampled = 0;
        for (int i = 0; i < 4; i++) sampled += MemorySize.Bytes(NodeAt(i).Buffer) + MemorySize.Bytes(NodeAt(_nodeCount - 1 - i).Buffer);
        return MemorySize.Object(40) + MemorySize.Array(_nodes.Length, 24) + MemorySize.Extrapolate(sampled, 8, _nodeCount);
    }

    public IRedisObject DeepClone()
    {
        var clone = new ListValue(_fill) { _nodes = new Node[Math.Max(1, _nodeCount)], _nodeCount = _nodeCount, _count = _count };
        for (int i = 0; i < _nodeCount; i++)
        {
            ref var node = ref NodeAt(i);
            clone._nodes[i] = new Node { Buffer = node.Entries.ToArray(), Start = 0, End = node.Used, Count = node.Count };
        }
        return clone;
    }

    // ---- node management ----

    /// <summary>Redis' _quicklistNodeAllowInsert: whether a value of <paramref name="valueLength"/> bytes joins this node.</summary>
    private bool AllowsInsert(in Node node, int valueLength) =>
        WithinLimit((long)node.Used + ListpackOverhead + valueLength + EntryOverheadEstimate, node.Count + 1);

    /// <summary>Redis' quicklistNodeExceedsLimit, negated: a node of <paramref name="bytes"/> (lpBytes) and <paramref name="count"/> entries is allowed.</summary>
    private bool WithinLimit(long bytes, int count) =>
        _fill < 0 ? bytes <= SizeLimits[-_fill - 1] : bytes <= NodeBytes && count <= Math.Max(_fill, 1);

    /// <summary>Room a new end node starts with: a full node's worth for byte limits, a little for count limits.</summary>
    private int NewNodeCapacity => _fill < 0 ? NodeBytes : FirstNodeCapacity;

    /// <summary>An empty node whose free room is on the side the next push comes from.</summary>
    private static Node NewNode(int capacity, int size, bool head)
    {
        int start = head ? capacity : 0;
        return new Node { Buffer = new byte[Math.Max(capacity, size)], Start = start, End = start };
    }

    /// <summary>
    /// Ensures <paramref name="size"/> free bytes on one side of the node's entries: re-centres them when the
    /// buffer has room overall (splitting the free space between both sides), else doubles the buffer.
    /// </summary>
    private static void MakeRoom(ref Node node, int size, bool head)
    {
        if ((head ? node.Start : node.Buffer.Length - node.End) >= size) return;
        int used = node.Used;
        int capacity = node.Buffer.Length;
        while (capacity < used + size) capacity = Math.Max(capacity * 2, FirstNodeCapacity);
        if (capacity > NodeBytes && used + size <= NodeBytes) capacity = NodeBytes;
        int free = capacity - used - size;
        int start = head ? size + free / 2 : free / 2;
        var buffer = capacity == node.Buffer.Length ? node.Buffer : new byte[capacity];
        node.Buffer.AsSpan(node.Start, used).CopyTo(buffer.AsSpan(start));
        node.Buffer = buffer;
        node.Start = start;
        node.End = start + used;
    }

    /// <summary>
    /// Replaces the bytes [from, to) of node <paramref name="at"/> with the entry for <paramref name="value"/>.
    /// The node may outgrow the limit (LSET does in Redis too); inserts choose their node beforehand.
    /// </summary>
    private void Splice(int at, int from, int to, ReadOnlySpan<byte> value, int countDelta)
    {
        ref var node = ref NodeAt(at);
        int size = ListpackEntry.SizeOf(value);
        int used = node.Used - (to - from) + size;
        var merged = new byte[used];
        int head = from - node.Start;
        node.Buffer.AsSpan(node.Start, head).CopyTo(merged);
        ListpackEntry.Write(merged.AsSpan(head), value);
        node.Buffer.AsSpan(to, node.End - to).CopyTo(merged.AsSpan(head + size));
        node = new Node { Buffer = merged, Start = 0, End = used, Count = node.Count + countDelta };
    }

    private void InsertNode(int at, Node node)
    {
        if (_nodeCount == _nodes.Length)
        {
            var nodes = new Node[_nodes.Length * 2];
            for (int i = 0; i < _nodeCount; i++) nodes[i] = NodeAt(i);
            _nodes = nodes;
            _head = 0;
        }
        if (at == 0)
        {
            _head = _head == 0 ? _nodes.Length - 1 : _head - 1;
        }
        else
        {
            for (int i = _nodeCount; i > at; i--) NodeAt(i) = NodeAt(i - 1);
        }
        NodeAt(at) = node;
        _nodeCount++;
    }

    private void RemoveNodes(int at, int n)
    {
        if (n == 0) return;
        if (at == 0)
        {
            for (int i = 0; i < n; i++) NodeAt(i) = default;
            _head = (_head + n) % _nodes.Length;
        }
        else
        {
            for (int i = at; i + n < _nodeCount; i++) NodeAt(i) = NodeAt(i + n);
            for (int i = _nodeCount - n; i < _nodeCount; i++) NodeAt(i) = default;
        }
        _nodeCount -= n;
        if (_nodeCount == 0) _head = 0;
    }

    /// <summary>After LREM: drops emptied nodes and gives mostly-empty ones an exact buffer.</summary>
    private void DropEmptyAndSparseNodes()
    {
        for (int i = _nodeCount - 1; i >= 0; i--)
        {
            ref var node = ref NodeAt(i);
            if (node.Count == 0) RemoveNodes(i, 1);
            else if (node.Buffer.Length > FirstNodeCapacity && node.Used < node.Buffer.Length / 4)
                node = new Node { Buffer = node.Entries.ToArray(), Start = 0, End = node.Used, Count = node.Count };
        }
    }
}
