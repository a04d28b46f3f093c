using Cinnabar.Config;

namespace Cinnabar.DataTypes;

/// <summary>
/// A list: a growable ring buffer of elements, so pushes and pops at both ends are O(1) amortised and
/// indexing is O(1) (Redis' quicklist needs O(n) for LINDEX). Elements are never changed in place (LSET
/// replaces the reference), so a clone can share them.
/// </summary>
public sealed class ListValue : IRedisObject
{
    private byte[][] _items;
    private int _head;
    private int _count;

    public ListValue(int capacity = 4) => _items = new byte[Math.Max(capacity, 4)][];

    public string TypeName => "list";

    /// <summary>Redis 7.0 reports every list as a quicklist.</summary>
    public string GetEncoding(ServerConfig config) => "quicklist";

    public int Count => _count;

    public IRedisObject DeepClone()
    {
        var clone = new ListValue(_count);
        for (int i = 0; i < _count; i++) clone._items[i] = this[i];
        clone._count = _count;
        return clone;
    }

    private int Slot(int index)
    {
        int s = _head + index;
        return s >= _items.Length ? s - _items.Length : s;
    }

    /// <summary>Element <paramref name="index"/> counted from the head (0-based, must be in range).</summary>
    public byte[] this[int index]
    {
        get => _items[Slot(index)];
        set => _items[Slot(index)] = value;
    }

    public void PushHead(byte[] value)
    {
        if (_count == _items.Length) Grow();
        _head = _head == 0 ? _items.Length - 1 : _head - 1;
        _items[_head] = value;
        _count++;
    }

    public void PushTail(byte[] value)
    {
        if (_count == _items.Length) Grow();
        _items[Slot(_count)] = value;
        _count++;
    }

    public void Push(byte[] value, bool head)
    {
        if (head) PushHead(value); else PushTail(value);
    }

    public byte[] PopHead()
    {
        var v = _items[_head];
        _items[_head] = null!;
        _head = _head + 1 == _items.Length ? 0 : _head + 1;
        _count--;
        ShrinkIfSparse();
        return v;
    }

    public byte[] PopTail()
    {
        int s = Slot(_count - 1);
        var v = _items[s];
        _items[s] = null!;
        _count--;
        ShrinkIfSparse();
        return v;
    }

    public byte[] Pop(bool head) => head ? PopHead() : PopTail();

    /// <summary>Inserts before position <paramref name="index"/> (index == Count appends), shifting the shorter side.</summary>
    public void InsertAt(int index, byte[] value)
    {
        if (index == 0) { PushHead(value); return; }
        if (index == _count) { PushTail(value); return; }
        if (_count == _items.Length) Grow();
        if (index < _count / 2)
        {
            _head = _head == 0 ? _items.Length - 1 : _head - 1;
            for (int i = 0; i < index; i++) this[i] = this[i + 1];
        }
        else
        {
            for (int i = _count; i > index; i--) _items[Slot(i)] = this[i - 1];
        }
        _items[Slot(index)] = value;
        _count++;
    }

    /// <summary>Removes the elements whose positions <paramref name="remove"/> marks, keeping order.</summary>
    public void RemoveWhere(Func<int, bool> remove)
    {
        int w = 0;
        for (int r = 0; r < _count; r++)
        {
            var v = this[r];
            if (remove(r)) continue;
            this[w++] = v;
        }
        for (int i = w; i < _count; i++) _items[Slot(i)] = null!;
        _count = w;
        ShrinkIfSparse();
    }

    /// <summary>Drops <paramref name="fromHead"/> elements at the head and <paramref name="fromTail"/> at the tail.</summary>
    public void Trim(int fromHead, int fromTail)
    {
        for (int i = 0; i < fromTail && _count > 0; i++) PopTail();
        for (int i = 0; i < fromHead && _count > 0; i++) PopHead();
    }

    public IEnumerable<byte[]> Elements()
    {
        for (int i = 0; i < _count; i++) yield return this[i];
    }

    private void Grow() => Resize(_items.Length * 2);

    private void ShrinkIfSparse()
    {
        if (_items.Length > 64 && _count < _items.Length / 4) Resize(_items.Length / 2);
    }

    private void Resize(int capacity)
    {
        var items = new byte[capacity][];
        for (int i = 0; i < _count; i++) items[i] = this[i];
        _items = items;
        _head = 0;
    }
}
