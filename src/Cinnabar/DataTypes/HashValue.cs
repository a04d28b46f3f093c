using Cinnabar.Config;

namespace Cinnabar.DataTypes;

/// <summary>
/// A hash (field -> value). Small hashes are a real listpack: field and value entries packed one after the
/// other in one buffer (<see cref="ListpackEntry"/>), in insertion order, searched linearly. That is compact,
/// gives Redis' reply order (HGETALL on a listpack returns insertion order), and loads from and saves to RDB
/// by copying the blob. Once a field or value is longer than hash-max-listpack-value, or there are more than
/// hash-max-listpack-entries fields, it becomes a <see cref="HashDict"/> for good (Redis never converts back).
/// </summary>
public sealed class HashValue : IRedisObject, IPositionalCollection, IRemovableMembers
{
    // listpack encoding (when _dict is null): entries in _packed[_start.._end)
    private byte[] _packed = [];
    private int _start;
    private int _end;
    private int _count;
    // hashtable encoding
    private HashDict? _dict;

    public string TypeName => "hash";

    public long AccountedBytes { get; set; }
    public bool IsListpack => _dict is null;
    public string GetEncoding(ServerConfig config) => _dict is null ? "listpack" : "hashtable";
    public int Count => _dict?.Count ?? _count;

    /// <summary>Converts to the hashtable encoding if <paramref name="length"/> exceeds hash-max-listpack-value.</summary>
    public void ConvertIfLong(int length, ServerConfig config)
    {
        if (_dict is null && length > config.HashMaxListpackValue) ConvertToDict();
    }

    /// <summary>Converts after an insertion made the listpack hold too many entries.</summary>
    public void ConvertIfTooMany(ServerConfig config)
    {
        if (_dict is null && _count > config.HashMaxListpackEntries) ConvertToDict();
    }

    public void ConvertToDict()
    {
        if (_dict is not null) return;
        var d = new HashDict(_count, pairs: true);
        var cursor = GetCursor(stackalloc byte[ListpackEntry.ScratchSize], stackalloc byte[ListpackEntry.ScratchSize]);
        while (cursor.MoveNext()) d.AddNew(HashDict.Pair(cursor.Field, cursor.Value), null, HashDict.HashOf(cursor.Field));
        _dict = d;
        _packed = [];
        _start = _end = _count = 0;
    }

    /// <summary>Offset of the field entry equal to <paramref name="field"/>, or -1.</summary>
    private int OffsetOf(ReadOnlySpan<byte> field) => ListpackEntry.Find(_packed, _start, _end, field, stride: 2);

    /// <summary>The value of <paramref name="field"/>; integers are formatted into <paramref name="scratch"/>.</summary>
    public bool TryGet(ReadOnlySpan<byte> field, Span<byte> scratch, out ReadOnlySpan<byte> value)
    {
        if (_dict is not null) return _dict.TryGetValue(field, out value);
        int p = OffsetOf(field);
        if (p < 0)
        {
            value = default;
            return false;
        }
        p += ListpackEntry.SizeAt(_packed, p);
        value = ListpackEntry.Read(_packed, p, scratch);
        return true;
    }

    /// <summary>The value of <paramref name="field"/> as a new array (SORT's BY/GET patterns), or null.</summary>
    public byte[]? Get(ReadOnlySpan<byte> field)
    {
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        return TryGet(field, scratch, out var value) ? value.ToArray() : null;
    }

    public long MemoryUsage(int samples) =>
        MemorySize.Object(32) + (_dict is not null ? _dict.MemoryUsage(samples) : MemorySize.Bytes(_packed));

    public bool Contains(ReadOnlySpan<byte> field) => _dict is not null ? _dict.Contains(field) : OffsetOf(field) >= 0;

    /// <summary>
    /// Sets a field (copying both spans) and returns true if it was new. Like Redis' hashTypeSet, an over-long
    /// field or value converts the listpack first, and too many entries convert it afterwards.
    /// </summary>
    public bool Set(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value, ServerConfig config)
    {
        if (_dict is null && (field.Length > config.HashMaxListpackValue || value.Length > config.HashMaxListpackValue))
            ConvertToDict();
        if (_dict is not null) return _dict.SetPair(field, value);
        int p = OffsetOf(field);
        if (p >= 0)
        {
            // Updating keeps the field's position, as the listpack replaces the value in place.
            int at = p + ListpackEntry.SizeAt(_packed, p);
            Splice(at, at + ListpackEntry.SizeAt(_packed, at), value, default, 1);
            return false;
        }
        Splice(_end, _end, field, value, 2);
        _count++;
        ConvertIfTooMany(config);
        return true;
    }

    public bool Remove(ReadOnlySpan<byte> field)
    {
        if (_dict is not null) return _dict.Remove(field);
        int p = OffsetOf(field);
        if (p < 0) return false;
        int end = p + ListpackEntry.SizeAt(_packed, p);
        end += ListpackEntry.SizeAt(_packed, end);
        _packed.AsSpan(end, _end - end).CopyTo(_packed.AsSpan(p));
        _end -= end - p;
        _count--;
        return true;
    }

    private void Splice(int from, int to, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, int entries) =>
        ListpackEntry.Splice(ref _packed, ref _start, ref _end, from, to, first, second, entries);

    // ---- iteration of every pair, in stored order ----

    /// <summary>A cursor over all pairs; integers are formatted into the two scratch spans. The hash must not change meanwhile.</summary>
    public Cursor GetCursor(Span<byte> fieldScratch, Span<byte> valueScratch) => new(this, fieldScratch, valueScratch);

    public ref struct Cursor
    {
        private readonly HashValue _hash;
        private readonly Span<byte> _fieldScratch;
        private readonly Span<byte> _valueScratch;
        private int _pos;

        internal Cursor(HashValue hash, Span<byte> fieldScratch, Span<byte> valueScratch)
        {
            _hash = hash;
            _fieldScratch = fieldScratch;
            _valueScratch = valueScratch;
            _pos = hash._dict is null ? hash._start : -1;
        }

        public ReadOnlySpan<byte> Field { get; private set; }
        public ReadOnlySpan<byte> Value { get; private set; }

        public bool MoveNext()
        {
            var dict = _hash._dict;
            if (dict is not null)
            {
                while (++_pos < dict.SlotCount)
                {
                    if (!dict.IsLive(_pos)) continue;
                    var pair = dict.At(_pos).Key!;
                    Field = HashDict.FieldOf(pair);
                    Value = HashDict.ValueOf(pair);
                    return true;
                }
                return false;
            }
            if (_pos >= _hash._end) return false;
            var buf = _hash._packed;
            Field = ListpackEntry.Read(buf, _pos, _fieldScratch);
            _pos += ListpackEntry.SizeAt(buf, _pos);
            Value = ListpackEntry.Read(buf, _pos, _valueScratch);
            _pos += ListpackEntry.SizeAt(buf, _pos);
            return true;
        }
    }

    /// <summary>Every pair as new arrays, in stored order (tests and diagnostics).</summary>
    public List<(byte[] Field, byte[] Value)> Pairs()
    {
        var result = new List<(byte[], byte[])>(Count);
        var cursor = GetCursor(stackalloc byte[ListpackEntry.ScratchSize], stackalloc byte[ListpackEntry.ScratchSize]);
        while (cursor.MoveNext()) result.Add((cursor.Field.ToArray(), cursor.Value.ToArray()));
        return result;
    }

    // ---- positional access, for random picks: for (p = 0; p < PositionEnd; p++) if (IsLive(p)) ... ----
    // Listpack positions are pair indexes (reaching one walks the pairs before it); hashtable positions are slots.

    public int PositionEnd => _dict?.SlotCount ?? _count;
    public bool IsLive(int pos) => _dict is null || _dict.IsLive(pos);

    public ReadOnlySpan<byte> FieldAt(int pos, Span<byte> scratch) =>
        _dict is null ? ListpackEntry.Read(_packed, PairOffset(pos), scratch) : HashDict.FieldOf(_dict.At(pos).Key!);

    public ReadOnlySpan<byte> ValueAt(int pos, Span<byte> scratch)
    {
        if (_dict is not null) return HashDict.ValueOf(_dict.At(pos).Key!);
        int p = PairOffset(pos);
        return ListpackEntry.Read(_packed, p + ListpackEntry.SizeAt(_packed, p), scratch);
    }

    private int PairOffset(int index)
    {
        int p = _start;
        for (int i = 0; i < index; i++)
        {
            p += ListpackEntry.SizeAt(_packed, p);
            p += ListpackEntry.SizeAt(_packed, p);
        }
        return p;
    }

    /// <summary>A uniformly random live position (the hash must not be empty).</summary>
    public int RandomPosition(Random random) => _dict is null ? random.Next(_count) : _dict.RandomSlot(random);

    /// <summary>The hashtable (null while a listpack), for SCAN's bucket cursor.</summary>
    public HashDict? Dict => _dict;

    // ---- the packed form, for RDB and DUMP ----

    /// <summary>The listpack entries (field, value, field, ...) while a listpack.</summary>
    public ReadOnlySpan<byte> PackedEntries => _packed.AsSpan(_start, _end - _start);

    /// <summary>
    /// A listpack hash over already validated entries, taking <paramref name="buffer"/> as it is. Duplicate
    /// fields make it throw <see cref="ArgumentException"/>.
    /// </summary>
    public static HashValue FromPacked(byte[] buffer, int start, int end, int pairs)
    {
        var h = new HashValue { _packed = buffer, _start = start, _end = end, _count = pairs };
        if (!h.FieldsAreDistinct()) throw new ArgumentException("duplicate hash fields");
        return h;
    }

    private bool FieldsAreDistinct()
    {
        Span<byte> a = stackalloc byte[ListpackEntry.ScratchSize], b = stackalloc byte[ListpackEntry.ScratchSize];
        if (_count <= 16)
        {
            // Pairwise: no allocation for the small hashes a dump mostly holds.
            for (int i = 0; i < _count; i++)
                for (int j = i + 1; j < _count; j++)
                    if (FieldAt(i, a).SequenceEqual(FieldAt(j, b))) return false;
            return true;
        }
        var seen = new HashSet<byte[]>(_count, Keyspace.ByteArrayComparer.Instance).GetAlternateLookup<ReadOnlySpan<byte>>();
        var cursor = GetCursor(a, b);
        while (cursor.MoveNext())
            if (!seen.Add(cursor.Field)) return false;
        return true;
    }

    /// <summary>The longest field or value, for the hash-max-listpack-value check after loading.</summary>
    public int LongestPackedElement()
    {
        int longest = 0;
        var cursor = GetCursor(stackalloc byte[ListpackEntry.ScratchSize], stackalloc byte[ListpackEntry.ScratchSize]);
        while (cursor.MoveNext()) longest = Math.Max(longest, Math.Max(cursor.Field.Length, cursor.Value.Length));
        return longest;
    }

    public IRedisObject DeepClone()
    {
        var copy = new HashValue();
        if (_dict is not null) copy._dict = _dict.Clone();
        else
        {
            copy._packed = PackedEntries.ToArray();
            copy._end = copy._packed.Length;
            copy._count = _count;
        }
        return copy;
    }
}
