using Cinnabar.Config;

namespace Cinnabar.DataTypes;

/// <summary>
/// A hash (field -> value). Small hashes are a "listpack": two parallel arrays in insertion order, searched
/// linearly, which is compact and gives Redis' reply order (HGETALL on a listpack returns insertion order).
/// Once a field or value is longer than hash-max-listpack-value, or there are more than
/// hash-max-listpack-entries fields, it becomes a <see cref="HashDict"/> for good (Redis never converts back).
/// </summary>
public sealed class HashValue : IRedisObject, IPositionalCollection
{
    // listpack encoding (when _dict is null)
    private byte[][] _fields;
    private byte[][] _values;
    private int _count;
    // hashtable encoding
    private HashDict? _dict;

    public HashValue(int capacity = 4)
    {
        _fields = new byte[capacity][];
        _values = new byte[capacity][];
    }

    public string TypeName => "hash";
    public bool IsListpack => _dict is null;
    public string GetEncoding(ServerConfig config) => _dict is null ? "listpack" : "hashtable";
    public int Count => _dict?.Count ?? _count;

    /// <summary>Converts to the hashtable encoding if any of <paramref name="lengths"/> exceeds hash-max-listpack-value.</summary>
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
        var d = new HashDict(_count);
        for (int i = 0; i < _count; i++) d.AddNew(_fields[i], _values[i]);
        _dict = d;
        _fields = [];
        _values = [];
        _count = 0;
    }

    private int IndexOf(ReadOnlySpan<byte> field)
    {
        for (int i = 0; i < _count; i++)
            if (field.SequenceEqual(_fields[i])) return i;
        return -1;
    }

    public byte[]? Get(ReadOnlySpan<byte> field)
    {
        if (_dict is not null) return _dict.Get(field);
        int i = IndexOf(field);
        return i >= 0 ? _values[i] : null;
    }

    public bool Contains(ReadOnlySpan<byte> field) => _dict is not null ? _dict.Contains(field) : IndexOf(field) >= 0;

    /// <summary>
    /// Sets a field (copying both spans) and returns true if it was new. Like Redis' hashTypeSet, an over-long
    /// field or value converts the listpack first, and too many entries convert it afterwards.
    /// </summary>
    public bool Set(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value, ServerConfig config)
    {
        if (_dict is null && (field.Length > config.HashMaxListpackValue || value.Length > config.HashMaxListpackValue))
            ConvertToDict();
        if (_dict is not null)
        {
            int hash = HashDict.HashOf(field);
            int slot = _dict.Find(field, hash);
            if (slot >= 0)
            {
                _dict.At(slot).Value = value.ToArray();
                return false;
            }
            _dict.AddNew(field.ToArray(), value.ToArray(), hash);
            return true;
        }
        int i = IndexOf(field);
        if (i >= 0)
        {
            // Updating keeps the field's position, as the listpack replaces the value in place.
            _values[i] = value.ToArray();
            return false;
        }
        if (_count == _fields.Length)
        {
            Array.Resize(ref _fields, Math.Max(4, _count * 2));
            Array.Resize(ref _values, _fields.Length);
        }
        _fields[_count] = field.ToArray();
        _values[_count] = value.ToArray();
        _count++;
        ConvertIfTooMany(config);
        return true;
    }

    public bool Remove(ReadOnlySpan<byte> field)
    {
        if (_dict is not null) return _dict.Remove(field);
        int i = IndexOf(field);
        if (i < 0) return false;
        _count--;
        Array.Copy(_fields, i + 1, _fields, i, _count - i);
        Array.Copy(_values, i + 1, _values, i, _count - i);
        _fields[_count] = null!;
        _values[_count] = null!;
        return true;
    }

    // ---- positional iteration: for (p = 0; p < PositionEnd; p++) if (IsLive(p)) ... ----
    // Listpack positions are insertion order; hashtable positions are slots (some free).

    public int PositionEnd => _dict?.SlotCount ?? _count;
    public bool IsLive(int pos) => _dict is null || _dict.IsLive(pos);
    public byte[] FieldAt(int pos) => _dict is null ? _fields[pos] : _dict.At(pos).Key!;
    public byte[] ValueAt(int pos) => _dict is null ? _values[pos] : _dict.At(pos).Value!;

    /// <summary>A uniformly random live position (the hash must not be empty).</summary>
    public int RandomPosition(Random random) => _dict is null ? random.Next(_count) : _dict.RandomSlot(random);

    /// <summary>The hashtable (null while a listpack), for SCAN's bucket cursor.</summary>
    public HashDict? Dict => _dict;

    public IRedisObject DeepClone()
    {
        var copy = new HashValue(Math.Max(_count, 4));
        if (_dict is not null) copy._dict = _dict.Clone();
        else
        {
            for (int i = 0; i < _count; i++)
            {
                copy._fields[i] = _fields[i].ToArray();
                copy._values[i] = _values[i].ToArray();
            }
            copy._count = _count;
        }
        return copy;
    }
}
