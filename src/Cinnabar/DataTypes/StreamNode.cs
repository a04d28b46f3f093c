namespace Cinnabar.DataTypes;

/// <summary>
/// A block of up to stream-node-max-entries consecutive stream entries in one compact byte buffer, like
/// Redis' listpack nodes: each entry stores its ID as a delta from the node's master ID (the first ID
/// appended), and when its field names equal the master entry's fields only the values are stored.
/// Deleted entries stay as tombstones (a flag) until the whole node is dropped.
/// Entry layout: flags byte, varint ms-delta, varint seq (delta from master seq when ms-delta is 0),
/// then either [value]* (same fields) or varint field-count followed by [field value]* — every string as
/// varint length + bytes.
/// </summary>
public sealed class StreamNode
{
    private const byte FlagDeleted = 1;
    private const byte FlagSameFields = 2;

    public readonly StreamId Master;
    private readonly byte[][] _masterFields;
    private byte[] _data;
    private int _used;
    private int[] _offsets;

    /// <summary>Entries ever appended to this node, tombstones included.</summary>
    public int Count { get; private set; }
    /// <summary>Entries not deleted.</summary>
    public int Live { get; private set; }
    public int Bytes => _used;

    /// <summary>
    /// Set when an entry was appended below an earlier (since deleted) one, which XSETID makes possible.
    /// Live entries stay ordered, but searches must then scan linearly, as Redis does.
    /// </summary>
    public bool Unsorted { get; private set; }
    private StreamId _maxAppended;

    // Size the same node would have as a Redis listpack, so nodes fill (stream-node-max-bytes) and
    // approximate trims cut exactly where Redis' do. Master entry and header are added in LpBytes.
    private long _lpEntryBytes;
    private long _masterLpBytes; // header, end byte and the master entry's fixed parts (computed once)

    /// <summary>lpBytes() of the equivalent Redis listpack node.</summary>
    public long LpBytes
    {
        get
        {
            if (_masterLpBytes == 0)
            {
                _masterLpBytes = 6 + 1 + ListpackSize.Int(_masterFields.Length) + ListpackSize.Int(0);
                foreach (var f in _masterFields) _masterLpBytes += ListpackSize.String(f);
            }
            return _masterLpBytes + ListpackSize.Int(Live) + ListpackSize.Int(Count - Live) + _lpEntryBytes;
        }
    }

    /// <summary>Heap bytes of this node (MEMORY USAGE).</summary>
    public long MemoryUsage()
    {
        long bytes = MemorySize.Object(80) + MemorySize.Bytes(_data) + MemorySize.Array(_offsets.Length, 4) + MemorySize.Array(_masterFields.Length, 8);
        foreach (var f in _masterFields) bytes += MemorySize.Bytes(f);
        return bytes;
    }

    public StreamNode(StreamId master, byte[][] masterFields, int capacityHint)
    {
        Master = master;
        _masterFields = masterFields;
        _data = new byte[Math.Max(16, capacityHint)];
        _offsets = new int[4];
    }

    private StreamNode(StreamNode other)
    {
        Master = other.Master;
        _masterFields = other._masterFields; // immutable once created
        _data = other._data.AsSpan(0, other._used).ToArray();
        _used = other._used;
        _offsets = other._offsets.AsSpan(0, other.Count).ToArray();
        Count = other.Count;
        Live = other.Live;
        Unsorted = other.Unsorted;
        _maxAppended = other._maxAppended;
        _lpEntryBytes = other._lpEntryBytes;
    }

    public StreamNode Clone() => new(this);

    /// <summary>The master entry's field names (those of the first entry appended).</summary>
    public IReadOnlyList<byte[]> MasterFields => _masterFields;

    /// <summary>True when entry <paramref name="index"/> stores only values (its fields are the master's).</summary>
    public bool UsesMasterFields(int index) => (_data[_offsets[index]] & FlagSameFields) != 0;

    public int OffsetAt(int index) => _offsets[index];

    public bool IsDeleted(int index) => (_data[_offsets[index]] & FlagDeleted) != 0;

    public void MarkDeleted(int index)
    {
        _data[_offsets[index]] |= FlagDeleted;
        Live--;
    }

    public StreamId IdAt(int index)
    {
        int pos = _offsets[index] + 1;
        ulong msDelta = ReadVarint(_data, ref pos);
        ulong seq = ReadVarint(_data, ref pos);
        return msDelta == 0 ? new StreamId(Master.Ms, Master.Seq + seq) : new StreamId(Master.Ms + msDelta, seq);
    }

    /// <summary>Estimated bytes an entry would take, to decide when a node is full.</summary>
    public static int EstimateSize<TFields>(in TFields fieldsAndValues) where TFields : IStreamFields
    {
        int size = 1 + 10 + 10 + 5;
        for (int i = 0; i < fieldsAndValues.Count; i++) size += fieldsAndValues[i].Length + 5;
        return size;
    }

    private bool SameFieldsAsMaster<TFields>(in TFields fv) where TFields : IStreamFields
    {
        if (fv.Count != _masterFields.Length * 2) return false;
        for (int i = 0; i < _masterFields.Length; i++)
            if (!fv[i * 2].SequenceEqual(_masterFields[i])) return false;
        return true;
    }

    /// <summary>Appends an entry whose ID is greater than every ID in the node.</summary>
    public void Append<TFields>(StreamId id, in TFields fieldsAndValues) where TFields : IStreamFields
    {
        bool same = SameFieldsAsMaster(fieldsAndValues);
        if (Count > 0 && id <= _maxAppended) Unsorted = true;
        if (Count == 0 || id > _maxAppended) _maxAppended = id;
        _lpEntryBytes += ListpackSize.Entry(id, Master, fieldsAndValues, same);
        int need = EstimateSize(fieldsAndValues);
        if (_used + need > _data.Length) Array.Resize(ref _data, Math.Max(_data.Length * 2, _used + need));
        if (Count == _offsets.Length) Array.Resize(ref _offsets, _offsets.Length * 2);
        _offsets[Count++] = _used;
        Live++;
        _data[_used++] = same ? FlagSameFields : (byte)0;
        ulong msDelta = id.Ms - Master.Ms;
        WriteVarint(msDelta);
        WriteVarint(msDelta == 0 ? id.Seq - Master.Seq : id.Seq);
        if (same)
        {
            for (int i = 1; i < fieldsAndValues.Count; i += 2) WriteString(fieldsAndValues[i]);
        }
        else
        {
            WriteVarint((ulong)(fieldsAndValues.Count / 2));
            for (int i = 0; i < fieldsAndValues.Count; i++) WriteString(fieldsAndValues[i]);
        }
    }

    /// <summary>Releases slack after the node is sealed (a new node started after it).</summary>
    public void Seal()
    {
        if (_data.Length > _used + 64) Array.Resize(ref _data, _used);
        if (_offsets.Length > Count) Array.Resize(ref _offsets, Count);
    }

    /// <summary>Number of field/value pairs of entry <paramref name="index"/>.</summary>
    public int FieldCount(int index)
    {
        int pos = _offsets[index];
        byte flags = _data[pos++];
        ReadVarint(_data, ref pos);
        ReadVarint(_data, ref pos);
        return (flags & FlagSameFields) != 0 ? _masterFields.Length : (int)ReadVarint(_data, ref pos);
    }

    /// <summary>Enumerates the field/value pairs of an entry without copying.</summary>
    public FieldEnumerator Fields(int index)
    {
        int pos = _offsets[index];
        byte flags = _data[pos++];
        ReadVarint(_data, ref pos);
        ReadVarint(_data, ref pos);
        bool same = (flags & FlagSameFields) != 0;
        int n = same ? _masterFields.Length : (int)ReadVarint(_data, ref pos);
        return new FieldEnumerator(this, pos, n, same);
    }

    public ref struct FieldEnumerator
    {
        private readonly StreamNode _node;
        private int _pos;
        private readonly int _count;
        private readonly bool _same;
        private int _i;

        internal FieldEnumerator(StreamNode node, int pos, int count, bool same)
        {
            _node = node; _pos = pos; _count = count; _same = same; _i = -1;
        }

        public int Count => _count;
        public ReadOnlySpan<byte> Field { get; private set; }
        public ReadOnlySpan<byte> Value { get; private set; }

        public bool MoveNext()
        {
            if (++_i >= _count) return false;
            int p = _pos;
            Field = _same ? _node._masterFields[_i] : _node.ReadString(ref p);
            Value = _node.ReadString(ref p);
            _pos = p;
            return true;
        }
    }

    private ReadOnlySpan<byte> ReadString(scoped ref int pos)
    {
        int len = (int)ReadVarint(_data, ref pos);
        var s = new ReadOnlySpan<byte>(_data, pos, len);
        pos += len;
        return s;
    }

    private void WriteString(ReadOnlySpan<byte> s)
    {
        WriteVarint((ulong)s.Length);
        s.CopyTo(_data.AsSpan(_used));
        _used += s.Length;
    }

    private void WriteVarint(ulong v)
    {
        while (v >= 0x80)
        {
            _data[_used++] = (byte)(v | 0x80);
            v >>= 7;
        }
        _data[_used++] = (byte)v;
    }

    private static ulong ReadVarint(byte[] data, ref int pos)
    {
        ulong v = 0;
        int shift = 0;
        while (true)
        {
            byte b = data[pos++];
            v |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return v;
            shift += 7;
        }
    }

    /// <summary>Index of the entry with exactly <paramref name="id"/> (live or not), or -1.</summary>
    public int IndexOf(StreamId id)
    {
        if (Unsorted)
        {
            int found = -1;
            for (int j = 0; j < Count; j++)
                if (IdAt(j) == id) { found = j; if (!IsDeleted(j)) break; }
            return found;
        }
        int i = FirstIndexAtOrAfter(id);
        return i < Count && IdAt(i) == id ? i : -1;
    }

    /// <summary>Binary search: the first index whose ID is &gt;= <paramref name="id"/> (Count when none).</summary>
    public int FirstIndexAtOrAfter(StreamId id)
    {
        if (Unsorted) return 0; // callers skip smaller IDs while scanning
        int lo = 0, hi = Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (IdAt(mid) < id) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>The last index whose ID is &lt;= <paramref name="id"/> (-1 when none).</summary>
    public int LastIndexAtOrBefore(StreamId id)
    {
        if (Unsorted) return Count - 1; // callers skip greater IDs while scanning
        int lo = 0, hi = Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (IdAt(mid) <= id) lo = mid + 1; else hi = mid;
        }
        return lo - 1;
    }
}
