using System.Runtime.CompilerServices;

namespace Cinnabar.Lua;

/// <summary>
/// A Lua table laid out exactly as Lua 5.1's ltable.c lays it out: an array part sized by the same rehash
/// rule (computesizes: the largest power of two more than half full), and a hash part of 2^n nodes with
/// Brent's variation of chained scatter (main positions, colliding nodes moved to the last free node).
/// Scripts observe this layout through pairs()/next() order, the # border of tables with holes, and
/// everything built on them (cjson.encode of objects, cmsgpack maps, RESP3 map replies), so matching it
/// is what makes those replies byte-for-byte identical to Redis'.
/// </summary>
public sealed class LuaTable
{
    private const int MaxBits = 30;
    private const int MaxArraySize = 1 << MaxBits;

    private LuaValue[] _array = [];
    private int _sizeArray;

    // The hash part: 2^_logSizeNode nodes (one shared-looking empty node when _dummy).
    private LuaValue[] _keys;
    private LuaValue[] _values;
    private int[] _next;          // index of the next node in the chain, -1 for none
    private int _logSizeNode;
    private bool _dummy;
    private int _lastFree;        // nodes at and above are not free (getfreepos scans down from here)

    public LuaTable? Metatable { get; set; }
    public bool ReadOnly { get; set; }

    public LuaTable(int arrayCapacity = 0, int hashCapacity = 0)
    {
        _keys = _values = null!;
        _next = null!;
        SetArrayVector(Math.Max(0, arrayCapacity));
        SetNodeVector(Math.Max(0, hashCapacity));
    }

    private int SizeNode => 1 << _logSizeNode;

    private static readonly LuaValue[] DummyKeys = new LuaValue[1];
    private static readonly LuaValue[] DummyValues = new LuaValue[1];
    private static readonly int[] DummyNext = [-1];

    /// <summary>Slots in the array part (Lua's sizearray), not the border.</summary>
    internal int ArrayCount => _sizeArray;

    /// <summary>Nodes holding a value in the hash part.</summary>
    internal int HashLive
    {
        get
        {
            if (_dummy) return 0;
            int n = 0;
            for (int i = 0; i < _values.Length; i++) if (_values[i].T != LuaType.Nil) n++;
            return n;
        }
    }

    /// <summary>The number of key/value pairs a pairs() loop visits (RESP3 map and set lengths, msgpack map headers).</summary>
    public int PairCount
    {
        get
        {
            int n = HashLive;
            for (int i = 0; i < _sizeArray; i++)
                if (_array[i].T != LuaType.Nil) n++;
            return n;
        }
    }

    // ---- sizing (setarrayvector, setnodevector, resize, rehash) ----------------------------------------

    private void SetArrayVector(int size)
    {
        if (size > _array.Length) Array.Resize(ref _array, size);
        else if (size < _array.Length && size == 0) _array = [];
        for (int i = _sizeArray; i < size; i++) _array[i] = default;
        _sizeArray = size;
    }

    private void SetNodeVector(int size)
    {
        if (size == 0)
        {
            // Lua's shared dummynode: never written (every write path checks _dummy first).
            _dummy = true;
            _logSizeNode = 0;
            _keys = DummyKeys;
            _values = DummyValues;
            _next = DummyNext;
            _lastFree = 0;
            return;
        }
        int lsize = CeilLog2(size);
        if (lsize > MaxBits) throw new LuaRuntimeException(LuaValue.FromString(LuaString.FromUtf8("table overflow")), null, 0);
        size = 1 << lsize;
        _dummy = false;
        _logSizeNode = lsize;
        _keys = new LuaValue[size];
        _values = new LuaValue[size];
        _next = new int[size];
        Array.Fill(_next, -1);
        _lastFree = size;
    }

    private static int CeilLog2(int x)
    {
        if (x <= 1) return 0;
        return 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)(x - 1));
    }

    private void Resize(int newArraySize, int newHashSize)
    {
        int oldArraySize = _sizeArray;
        var oldKeys = _keys;
        var oldValues = _values;
        bool oldDummy = _dummy;
        if (newArraySize > oldArraySize) SetArrayVector(newArraySize);
        SetNodeVector(newHashSize);
        if (newArraySize < oldArraySize)
        {
            _sizeArray = newArraySize;
            // Re-insert the elements of the vanishing slice.
            for (int i = newArraySize; i < oldArraySize; i++)
                if (_array[i].T != LuaType.Nil) SetInt(i + 1, _array[i]);
            var shrunk = new LuaValue[newArraySize];
            Array.Copy(_array, shrunk, newArraySize);
            _array = shrunk;
        }
        if (!oldDummy)
            for (int i = oldKeys.Length - 1; i >= 0; i--)
                if (oldValues[i].T != LuaType.Nil) Set(oldKeys[i], oldValues[i]);
    }

    /// <summary>luaH_resizearray: the array part to <paramref name="size"/> slots, the hash part as it is.</summary>
    private void ResizeArray(int size) => Resize(size, _dummy ? 0 : SizeNode);

    private static bool IsIntegral(double n, out int k)
    {
        if (n >= int.MinValue && n <= int.MaxValue)
        {
            k = (int)n;
            if (k == n) return true;
        }
        k = 0;
        return false;
    }

    /// <summary>Lua's arrayindex: the key as a whole number, or -1.</summary>
    private static int ArrayIndex(LuaValue key) => key.T == LuaType.Number && IsIntegral(key.N, out int k) ? k : -1;

    private static int CountInt(LuaValue key, int[] nums)
    {
        int k = ArrayIndex(key);
        if (0 < k && k <= MaxArraySize)
        {
            nums[CeilLog2(k)]++;
            return 1;
        }
        return 0;
    }

    private int NumUseArray(int[] nums)
    {
        int ause = 0, i = 1;
        for (int lg = 0, ttlg = 1; lg <= MaxBits; lg++, ttlg *= 2)
        {
            int lc = 0, lim = ttlg;
            if (lim > _sizeArray)
            {
                lim = _sizeArray;
                if (i > lim) break;
            }
            for (; i <= lim; i++)
                if (_array[i - 1].T != LuaType.Nil) lc++;
            nums[lg] += lc;
            ause += lc;
        }
        return ause;
    }

    private int NumUseHash(int[] nums, ref int arraySize)
    {
        int total = 0, ause = 0;
        if (_dummy) return 0;
        for (int i = SizeNode - 1; i >= 0; i--)
        {
            if (_values[i].T != LuaType.Nil)
            {
                ause += CountInt(_keys[i], nums);
                total++;
            }
        }
        arraySize += ause;
        return total;
    }

    private static int ComputeSizes(int[] nums, ref int arraySize)
    {
        int a = 0, na = 0, n = 0;
        for (int i = 0, twotoi = 1; twotoi / 2 < arraySize; i++, twotoi *= 2)
        {
            if (nums[i] > 0)
            {
                a += nums[i];
                if (a > twotoi / 2)
                {
                    n = twotoi;
                    na = a;
                }
            }
            if (a == arraySize) break;
        }
        arraySize = n;
        return na;
    }

    private void Rehash(LuaValue extraKey)
    {
        var nums = new int[MaxBits + 1];
        int arraySize = NumUseArray(nums);
        int total = arraySize;
        total += NumUseHash(nums, ref arraySize);
        arraySize += CountInt(extraKey, nums);
        total++;
        int na = ComputeSizes(nums, ref arraySize);
        Resize(arraySize, total - na);
    }

    // ---- main positions ---------------------------------------------------------------------------------

    private int MainPosition(LuaValue key)
    {
        int size = SizeNode;
        switch (key.T)
        {
            case LuaType.Number:
                {
                    double n = key.N;
                    if (n == 0) return 0;
                    long bits = BitConverter.DoubleToInt64Bits(n);
                    uint h = unchecked((uint)bits + (uint)(bits >> 32));
                    return (int)(h % (uint)((size - 1) | 1));
                }
            case LuaType.String:
                return (int)(((LuaString)key.O!).LuaHash & (uint)(size - 1));
            case LuaType.Boolean:
                return (key.N != 0 ? 1 : 0) & (size - 1);
            default:
                return (int)((uint)RuntimeHelpers.GetHashCode(key.O) % (uint)((size - 1) | 1));
        }
    }

    private int FindNode(LuaValue key)
    {
        if (_dummy) return -1;
        int n = MainPosition(key);
        do
        {
            if (RawEquals(_keys[n], key)) return n;
            n = _next[n];
        } while (n >= 0);
        return -1;
    }

    private int FindStringNode(LuaString key)
    {
        if (_dummy) return -1;
        int n = (int)(key.LuaHash & (uint)(SizeNode - 1));
        do
        {
            var k = _keys[n];
            if (k.T == LuaType.String && (ReferenceEquals(k.O, key) || ((LuaString)k.O!).Equals(key))) return n;
            n = _next[n];
        } while (n >= 0);
        return -1;
    }

    private static bool RawEquals(LuaValue a, LuaValue b)
    {
        if (a.T != b.T) return false;
        return a.T switch
        {
            LuaType.Nil => true,
            LuaType.Number or LuaType.Boolean => a.N == b.N,
            LuaType.String => ReferenceEquals(a.O, b.O) || ((LuaString)a.O!).Equals((LuaString)b.O!),
            _ => ReferenceEquals(a.O, b.O),
        };
    }

    // ---- get --------------------------------------------------------------------------------------------

    /// <summary>The raw border (#t), as luaH_getn finds it.</summary>
    public int Length
    {
        get
        {
            int j = _sizeArray;
            if (j > 0 && _array[j - 1].T == LuaType.Nil)
            {
                int i = 0;
                while (j - i > 1)
                {
                    int m = (int)(((uint)i + (uint)j) / 2);
                    if (_array[m - 1].T == LuaType.Nil) j = m;
                    else i = m;
                }
                return i;
            }
            if (_dummy) return j;
            return UnboundSearch((uint)j);
        }
    }

    private int UnboundSearch(uint j)
    {
        uint i = j;
        j++;
        while (RawGet((int)j).T != LuaType.Nil)
        {
            i = j;
            j *= 2;
            if (j > int.MaxValue)
            {
                int k = 1;
                while (RawGet(k).T != LuaType.Nil) k++;
                return k - 1;
            }
        }
        while (j - i > 1)
        {
            uint m = (i + j) / 2;
            if (RawGet((int)m).T == LuaType.Nil) j = m;
            else i = m;
        }
        return (int)i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public LuaValue RawGet(int index)
    {
        if ((uint)(index - 1) < (uint)_sizeArray) return _array[index - 1];
        if (_dummy) return default;
        int n = FindNode(LuaValue.FromNumber(index));
        return n < 0 ? default : _values[n];
    }

    public LuaValue RawGet(string key) => RawGetStr(LuaString.FromUtf8(key));

    public LuaValue RawGet(LuaValue key)
    {
        switch (key.T)
        {
            case LuaType.Nil:
                return default;
            case LuaType.String:
                return RawGetStr((LuaString)key.O!);
            case LuaType.Number when IsIntegral(key.N, out int k):
                return RawGet(k);
            default:
                {
                    int n = FindNode(key);
                    return n < 0 ? default : _values[n];
                }
        }
    }

    internal LuaValue RawGetStr(LuaString key)
    {
        int n = FindStringNode(key);
        return n < 0 ? default : _values[n];
    }

    // ---- set --------------------------------------------------------------------------------------------

    public void RawSet(int index, LuaValue value) => SetInt(index, value);
    public void RawSet(string key, LuaValue value) => Set(LuaValue.FromString(LuaString.FromUtf8(key)), value);

    /// <summary>Raw set; the caller has checked the key is neither nil nor NaN.</summary>
    public void RawSet(LuaValue key, LuaValue value)
    {
        if (key.T == LuaType.Number && IsIntegral(key.N, out int k)) SetInt(k, value);
        else Set(key, value);
    }

    /// <summary>luaH_setnum then the store: an existing slot (array or node, even with a nil value) is reused.</summary>
    private void SetInt(int index, LuaValue value)
    {
        if ((uint)(index - 1) < (uint)_sizeArray)
        {
            _array[index - 1] = value;
            return;
        }
        var key = LuaValue.FromNumber(index);
        int n = FindNode(key);
        if (n >= 0)
        {
            _values[n] = value;
            return;
        }
        // Even a nil store creates the node, as luaH_setnum does: the layout (and a rehash) follow Lua's.
        NewKey(key, value);
    }

    /// <summary>luaH_set then the store.</summary>
    private void Set(LuaValue key, LuaValue value)
    {
        if (key.T == LuaType.Number)
        {
            int k = ArrayIndex(key);
            if (k != -1 && (uint)(k - 1) < (uint)_sizeArray)
            {
                _array[k - 1] = value;
                return;
            }
        }
        int n = key.T == LuaType.String ? FindStringNode((LuaString)key.O!) : FindNode(key);
        if (n >= 0)
        {
            _values[n] = value;
            return;
        }
        NewKey(key, value);
    }

    private int GetFreePosition()
    {
        while (_lastFree-- > 0)
            if (_keys[_lastFree].T == LuaType.Nil) return _lastFree;
        _lastFree = 0;
        return -1;
    }

    /// <summary>
    /// ltable.c's newkey: a key not present goes to its main position; if that node is taken, either the
    /// occupant is not in its own main position (it moves to a free node) or the new key takes a free node
    /// chained from the main position. No free node: rehash (which may grow the array part) and set again.
    /// </summary>
    private void NewKey(LuaValue key, LuaValue value)
    {
        int mp = _dummy ? -1 : MainPosition(key);
        if (mp < 0 || _values[mp].T != LuaType.Nil)
        {
            int free = _dummy ? -1 : GetFreePosition();
            if (free < 0)
            {
                Rehash(key);
                RawSet(key, value);
                return;
            }
            int other = MainPosition(_keys[mp]);
            if (other != mp)
            {
                // The colliding node is out of its main position: move it to the free node.
                while (_next[other] != mp) other = _next[other];
                _next[other] = free;
                _keys[free] = _keys[mp];
                _values[free] = _values[mp];
                _next[free] = _next[mp];
                _next[mp] = -1;
                _values[mp] = default;
            }
            else
            {
                // The colliding node is in its own main position: the new key goes to the free node.
                _next[free] = _next[mp];
                _next[mp] = free;
                mp = free;
            }
        }
        _keys[mp] = key;
        _values[mp] = value;
    }

    // ---- traversal --------------------------------------------------------------------------------------

    /// <summary>next(): start with Nil; returns false at the end. Throws KeyNotFoundException for an invalid key.</summary>
    public bool Next(ref LuaValue key, out LuaValue value)
    {
        int i = FindIndex(key);
        for (i++; i < _sizeArray; i++)
        {
            if (_array[i].T != LuaType.Nil)
            {
                key = LuaValue.FromNumber(i + 1);
                value = _array[i];
                return true;
            }
        }
        if (!_dummy)
        {
            for (i -= _sizeArray; i < SizeNode; i++)
            {
                if (_values[i].T != LuaType.Nil)
                {
                    key = _keys[i];
                    value = _values[i];
                    return true;
                }
            }
        }
        key = default;
        value = default;
        return false;
    }

    private int FindIndex(LuaValue key)
    {
        if (key.T == LuaType.Nil) return -1;
        int i = ArrayIndex(key);
        if (0 < i && i <= _sizeArray) return i - 1;
        int n = key.T == LuaType.String ? FindStringNode((LuaString)key.O!) : FindNode(key);
        if (n < 0) throw new KeyNotFoundException();
        return n + _sizeArray;
    }

    /// <summary>Lua 5.1 table.maxn: largest positive numeric key.</summary>
    internal double MaxN()
    {
        double max = 0;
        var key = LuaValue.Nil;
        while (Next(ref key, out _))
            if (key.T == LuaType.Number && key.N > max) max = key.N;
        return max;
    }

    /// <summary>Rough memory estimate.</summary>
    internal long ApproximateBytes => 64 + _array.Length * 24L + (_dummy ? 0 : SizeNode * 52L);

    /// <summary>A positional store (SETLIST, library code): the same as a raw set.</summary>
    internal void ArraySetFast(int index, LuaValue value) => SetInt(index, value);

    /// <summary>Constructor positional items (OP_SETLIST): the array part grows to hold them all, nils included.</summary>
    internal void InitArray(ReadOnlySpan<LuaValue> items)
    {
        if (items.Length > _sizeArray) ResizeArray(items.Length);
        for (int i = 0; i < items.Length; i++) _array[i] = items[i];
    }

    /// <summary>luaH_resizearray when a SETLIST goes past the array part.</summary>
    internal void EnsureArray(int n)
    {
        if (n > _sizeArray) ResizeArray(n);
    }
}
