using System.Runtime.CompilerServices;

namespace Cinnabar.Lua;

/// <summary>
/// Lua table: an array part for keys 1..n (n = <see cref="Length"/>, last element never nil)
/// and an insertion-ordered hash part. Removing a key from the hash part leaves a dead entry
/// (value nil) so that next() keeps working while fields are cleared during a traversal.
/// </summary>
public sealed class LuaTable
{
    private LuaValue[] _arr;
    private int _asize;
    private int _holes;  // nil slots among 1.._asize
    private int _lsize;  // emulation of Lua's own array-part size, which decides the border #t picks when there are holes

    private struct Entry
    {
        public LuaValue Key;
        public LuaValue Value;
        public int Hash;
        public int Next; // index+1 of next in chain, 0 = end
    }

    private int[]? _buckets; // index+1 into _entries, 0 = empty
    private Entry[]? _entries;
    private int _ecount;     // used entries (including dead)
    private int _live;       // entries with non-nil value

    public LuaTable? Metatable { get; set; }
    public bool ReadOnly { get; set; }

    public LuaTable(int arrayCapacity = 0, int hashCapacity = 0)
    {
        _arr = arrayCapacity > 0 ? new LuaValue[arrayCapacity] : Array.Empty<LuaValue>();
        if (hashCapacity > 0) InitHash(hashCapacity);
    }

    private void InitHash(int cap)
    {
        int size = 4;
        while (size < cap) size <<= 1;
        _buckets = new int[size];
        _entries = new Entry[size];
        _ecount = 0;
        _live = 0;
    }

    /// <summary>The raw border (#t), chosen as luaH_getn would (binary search over Lua's array size when there are holes).</summary>
    public int Length => _holes == 0 && _live == 0 ? _asize : LengthSlow();

    private int LengthSlow()
    {
        int j = _lsize;
        if (j > 0 && RawGet(j).T == LuaType.Nil)
        {
            int i = 0;
            while (j - i > 1)
            {
                int m = (int)(((uint)i + (uint)j) / 2);
                if (RawGet(m).T == LuaType.Nil) j = m; else i = m;
            }
            return i;
        }
        if (_live == 0) return j;
        long lo = j, hi = (long)j + 1;
        while (RawGet(LuaValue.FromNumber(hi)).T != LuaType.Nil)
        {
            lo = hi;
            hi *= 2;
            if (hi > int.MaxValue)
            {
                int k = 1;
                while (RawGet(k).T != LuaType.Nil) k++;
                return k - 1;
            }
        }
        while (hi - lo > 1)
        {
            long m = (lo + hi) / 2;
            if (RawGet(LuaValue.FromNumber(m)).T == LuaType.Nil) hi = m; else lo = m;
        }
        return (int)lo;
    }

    // ---------- get ----------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public LuaValue RawGet(int index)
    {
        if ((uint)(index - 1) < (uint)_asize) return _arr[index - 1];
        if (_live == 0) return default;
        return HashGet(LuaValue.FromNumber(index));
    }

    public LuaValue RawGet(string key) => RawGet(LuaValue.FromString(LuaString.FromUtf8(key)));

    public LuaValue RawGet(LuaValue key)
    {
        if (key.T == LuaType.Number)
        {
            double d = key.N;
            int i = (int)d;
            if (i == d && (uint)(i - 1) < (uint)_asize) return _arr[i - 1];
        }
        else if (key.T == LuaType.Nil) return default;
        if (_live == 0) return default;
        return HashGet(key);
    }

    internal LuaValue RawGetStr(LuaString key)
    {
        if (_live == 0) return default;
        return HashGet(LuaValue.FromString(key));
    }

    private LuaValue HashGet(LuaValue key)
    {
        int e = FindEntry(key);
        return e < 0 ? default : _entries![e].Value;
    }

    private int FindEntry(LuaValue key)
    {
        if (_buckets == null) return -1;
        int h = key.GetHashCode();
        int i = _buckets[h & (_buckets.Length - 1)] - 1;
        var entries = _entries!;
        while (i >= 0)
        {
            ref var en = ref entries[i];
            if (en.Hash == h && en.Key.Equals(key)) return i;
            i = en.Next - 1;
        }
        return -1;
    }

    // ---------- set ----------

    public void RawSet(int index, LuaValue value) => RawSet(LuaValue.FromNumber(index), value);
    public void RawSet(string key, LuaValue value) => RawSet(LuaValue.FromString(LuaString.FromUtf8(key)), value);

    /// <summary>Raw set; the caller has checked the key is neither nil nor NaN.</summary>
    public void RawSet(LuaValue key, LuaValue value)
    {
        if (key.T == LuaType.Number)
        {
            double d = key.N;
            int i = (int)d;
            if (i == d && i >= 1)
            {
                if (i <= _asize)
                {
                    bool wasNil = _arr[i - 1].T == LuaType.Nil;
                    bool isNil = value.T == LuaType.Nil;
                    _arr[i - 1] = value;
                    if (wasNil != isNil) _holes += isNil ? 1 : -1;
                    if (i == _asize && isNil)
                    {
                        // shrink to the last non-nil element
                        int n = _asize - 1;
                        _holes--;
                        while (n > 0 && _arr[n - 1].T == LuaType.Nil) { n--; _holes--; }
                        _asize = n;
                    }
                    return;
                }
                if (i == _asize + 1)
                {
                    if (value.T == LuaType.Nil) { HashRemove(key); return; }
                    Append(value);
                    if (_live > 0) HashRemove(key);
                    MigrateFromHash();
                    return;
                }
            }
        }
        if (value.T == LuaType.Nil) { HashRemove(key); return; }
        HashSet(key, value);
    }

    private void Append(LuaValue value)
    {
        if (_asize == _arr.Length)
        {
            var n = new LuaValue[Math.Max(4, _arr.Length * 2)];
            Array.Copy(_arr, n, _asize);
            _arr = n;
        }
        _arr[_asize++] = value;
        if (_asize > _lsize) _lsize = _holes == 0 ? NextPow2(_asize) : ComputeLuaArraySize();
    }

    private static int NextPow2(int n)
    {
        int p = 1;
        while (p < n) p <<= 1;
        return p;
    }

    /// <summary>ltable.c computesizes: the largest power of two n with more than n/2 integer keys in 1..n.</summary>
    private int ComputeLuaArraySize()
    {
        Span<int> nums = stackalloc int[32]; // nums[i] = keys in (2^(i-1), 2^i]
        int total = 0;
        for (int k = 1; k <= _asize; k++)
        {
            if (_arr[k - 1].T == LuaType.Nil) continue;
            nums[Ceil2(k)]++;
            total++;
        }
        for (int e = 0; e < _ecount; e++)
        {
            ref var en = ref _entries![e];
            if (en.Value.T == LuaType.Nil || en.Key.T != LuaType.Number) continue;
            double d = en.Key.N;
            int k = (int)d;
            if (k == d && k >= 1) { nums[Ceil2(k)]++; total++; }
        }
        int a = 0, na = 0, n = 0;
        for (int i = 0, twotoi = 1; i < 31 && twotoi / 2 < total; i++, twotoi *= 2)
        {
            if (nums[i] > 0)
            {
                a += nums[i];
                if (a > twotoi / 2) { n = twotoi; na = a; }
            }
        }
        return n;
    }

    private static int Ceil2(int k)
    {
        // ceil(log2(k)), with Ceil2(1) = 0
        int l = 0;
        while ((1L << l) < k) l++;
        return l;
    }

    private void MigrateFromHash()
    {
        while (_live > 0)
        {
            var k = LuaValue.FromNumber(_asize + 1);
            int e = FindEntry(k);
            if (e < 0 || _entries![e].Value.T == LuaType.Nil) return;
            var v = _entries[e].Value;
            _entries[e].Value = default;
            _live--;
            Append(v);
        }
    }

    private void HashRemove(LuaValue key)
    {
        int e = FindEntry(key);
        if (e >= 0 && _entries![e].Value.T != LuaType.Nil)
        {
            _entries[e].Value = default;
            _live--;
        }
    }

    private void HashSet(LuaValue key, LuaValue value)
    {
        if (_buckets == null) InitHash(4);
        int h = key.GetHashCode();
        int e = FindEntry(key);
        if (e >= 0)
        {
            if (_entries![e].Value.T == LuaType.Nil) _live++;
            _entries[e].Value = value;
            return;
        }
        if (_ecount == _entries!.Length) Rehash();
        int idx = _ecount++;
        ref var en = ref _entries[idx];
        en.Key = key;
        en.Value = value;
        en.Hash = h;
        int b = h & (_buckets!.Length - 1);
        en.Next = _buckets[b];
        _buckets[b] = idx + 1;
        _live++;
    }

    private void Rehash()
    {
        var old = _entries!;
        int oldCount = _ecount;
        int need = _live + 1;
        int size = 4;
        while (size < need * 2) size <<= 1;
        if (size < old.Length && _live * 4 > old.Length) size = old.Length;
        _buckets = new int[size];
        _entries = new Entry[size];
        _ecount = 0;
        _live = 0;
        for (int i = 0; i < oldCount; i++)
        {
            if (old[i].Value.T == LuaType.Nil) continue;
            int idx = _ecount++;
            ref var en = ref _entries[idx];
            en = old[i];
            int b = en.Hash & (size - 1);
            en.Next = _buckets[b];
            _buckets[b] = idx + 1;
            _live++;
        }
    }

    // ---------- traversal ----------

    /// <summary>next(): start with Nil; returns false at the end. Throws KeyNotFoundException for an invalid key.</summary>
    public bool Next(ref LuaValue key, out LuaValue value)
    {
        int i; // position to start scanning: array index (0-based) or _asize + entry index
        if (key.T == LuaType.Nil) i = 0;
        else
        {
            i = -1;
            if (key.T == LuaType.Number)
            {
                double d = key.N;
                int k = (int)d;
                if (k == d && k >= 1 && k <= _asize) i = k;
            }
            if (i < 0)
            {
                int e = FindEntry(key);
                if (e < 0) throw new KeyNotFoundException();
                i = _asize + e + 1;
            }
        }
        for (; i < _asize; i++)
        {
            if (_arr[i].T != LuaType.Nil)
            {
                key = LuaValue.FromNumber(i + 1);
                value = _arr[i];
                return true;
            }
        }
        for (int e = i - _asize; e < _ecount; e++)
        {
            ref var en = ref _entries![e];
            if (en.Value.T != LuaType.Nil)
            {
                key = en.Key;
                value = en.Value;
                return true;
            }
        }
        key = default;
        value = default;
        return false;
    }

    /// <summary>Lua 5.1 table.maxn: largest positive numeric key.</summary>
    internal double MaxN()
    {
        double max = _asize;
        for (int e = 0; e < _ecount; e++)
        {
            ref var en = ref _entries![e];
            if (en.Value.T != LuaType.Nil && en.Key.T == LuaType.Number && en.Key.N > max) max = en.Key.N;
        }
        return max;
    }

    /// <summary>Rough memory estimate.</summary>
    internal long ApproximateBytes => 64 + _arr.Length * 24L + (_entries?.Length ?? 0) * 56L;

    /// <summary>Constructor positional items: stored in the array part even with nil holes (as Lua presizes it).</summary>
    internal void InitArray(ReadOnlySpan<LuaValue> items)
    {
        int n = items.Length;
        if (n > _lsize) _lsize = n;
        while (n > 0 && items[n - 1].T == LuaType.Nil) n--;
        if (n == 0) return;
        if (_arr.Length < n) _arr = new LuaValue[n];
        items.Slice(0, n).CopyTo(_arr);
        _asize = n;
        _holes = 0;
        for (int i = 0; i < n; i++) if (items[i].T == LuaType.Nil) _holes++;
        if (_live > 0)
        {
            for (int i = 1; i <= n; i++) HashRemove(LuaValue.FromNumber(i));
            MigrateFromHash();
        }
    }
}
