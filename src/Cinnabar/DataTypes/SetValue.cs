using Cinnabar.Config;
using Cinnabar.Protocol;

namespace Cinnabar.DataTypes;

/// <summary>
/// A set. As in Redis 7.0 there are two encodings: an "intset" (sorted array of longs, binary searched) while
/// every member is a canonical integer and there are at most set-max-intset-entries of them, and a
/// "hashtable" (<see cref="HashDict"/>) otherwise. Conversion is one way, as in Redis. Intset order (ascending)
/// is what Redis replies for small integer sets, so SMEMBERS on them is byte-identical.
/// </summary>
public sealed class SetValue : IRedisObject, IPositionalCollection
{
    private long[] _ints;
    private int _intCount;
    private HashDict? _dict;

    private SetValue(bool intset)
    {
        _ints = intset ? new long[4] : [];
        if (!intset) _dict = new HashDict();
    }

    /// <summary>An empty intset (SINTERSTORE and friends start their result this way).</summary>
    public static SetValue CreateIntset() => new(true);

    /// <summary>Redis' setTypeCreate: an intset when the first member is an integer, else a hashtable.</summary>
    public static SetValue CreateFor(ReadOnlySpan<byte> firstMember) => new(RespNumbers.TryParseInt64(firstMember, out _));

    public string TypeName => "set";
    public bool IsIntset => _dict is null;
    public string GetEncoding(ServerConfig config) => _dict is null ? "intset" : "hashtable";
    public int Count => _dict?.Count ?? _intCount;

    private int IntIndex(long v) => Array.BinarySearch(_ints, 0, _intCount, v);

    public bool Contains(ReadOnlySpan<byte> member)
    {
        if (_dict is not null) return _dict.Contains(member);
        return RespNumbers.TryParseInt64(member, out long v) && IntIndex(v) >= 0;
    }

    /// <summary>Adds a member (copied); returns true when it was new.</summary>
    public bool Add(ReadOnlySpan<byte> member, ServerConfig config)
    {
        if (_dict is null)
        {
            if (RespNumbers.TryParseInt64(member, out long v))
            {
                int i = IntIndex(v);
                if (i >= 0) return false;
                i = ~i;
                if (_intCount == _ints.Length) Array.Resize(ref _ints, Math.Max(4, _intCount * 2));
                Array.Copy(_ints, i, _ints, i + 1, _intCount - i);
                _ints[i] = v;
                _intCount++;
                if (_intCount > Math.Min(config.SetMaxIntsetEntries, 1 << 30)) ConvertToDict();
                return true;
            }
            ConvertToDict();
        }
        return _dict!.TryAdd(member);
    }

    /// <summary>Adds a member, keeping <paramref name="member"/> itself if it must be stored as bytes.</summary>
    public bool Add(byte[] member, ServerConfig config)
    {
        if (_dict is null) return Add((ReadOnlySpan<byte>)member, config);
        int hash = HashDict.HashOf(member);
        if (_dict.Find(member, hash) >= 0) return false;
        _dict.AddNew(member, null, hash);
        return true;
    }

    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (_dict is not null) return _dict.Remove(member);
        if (!RespNumbers.TryParseInt64(member, out long v)) return false;
        int i = IntIndex(v);
        if (i < 0) return false;
        _intCount--;
        Array.Copy(_ints, i + 1, _ints, i, _intCount - i);
        return true;
    }

    public void ConvertToDict()
    {
        if (_dict is not null) return;
        var d = new HashDict(_intCount);
        for (int i = 0; i < _intCount; i++) d.AddNew(FormatInt(_ints[i]), null);
        _dict = d;
        _ints = [];
        _intCount = 0;
    }

    private static byte[] FormatInt(long v)
    {
        Span<byte> tmp = stackalloc byte[RespNumbers.MaxInt64Chars];
        return tmp[..RespNumbers.FormatInt64(v, tmp)].ToArray();
    }

    // ---- positional iteration: for (p = 0; p < PositionEnd; p++) if (TryGetMember(p, scratch, out m)) ... ----

    public int PositionEnd => _dict?.SlotCount ?? _intCount;
    public bool IsLive(int pos) => _dict is null || _dict.IsLive(pos);

    /// <summary>
    /// The member at position <paramref name="pos"/> (false for a free hashtable slot). Intset members are
    /// formatted into <paramref name="scratch"/> (20 bytes).
    /// </summary>
    public bool TryGetMember(int pos, Span<byte> scratch, out ReadOnlySpan<byte> member)
    {
        if (_dict is null)
        {
            member = scratch[..RespNumbers.FormatInt64(_ints[pos], scratch)];
            return true;
        }
        var key = _dict.At(pos).Key;
        member = key;
        return key is not null;
    }

    /// <summary>The member at a live position as a stored array (allocates for intsets).</summary>
    public byte[] MemberArrayAt(int pos) => _dict is null ? FormatInt(_ints[pos]) : _dict.At(pos).Key!;

    public int RandomPosition(Random random) => _dict is null ? random.Next(_intCount) : _dict.RandomSlot(random);

    public HashDict? Dict => _dict;

    public long MemoryUsage(int samples) =>
        MemorySize.Object(24) + (_dict is not null ? _dict.MemoryUsage(samples) : MemorySize.Array(_ints.Length, 8));

    public IRedisObject DeepClone()
    {
        var copy = new SetValue(_dict is null);
        if (_dict is not null) copy._dict = _dict.Clone();
        else
        {
            copy._ints = _ints.AsSpan(0, _intCount).ToArray();
            if (copy._ints.Length == 0) copy._ints = new long[4];
            copy._intCount = _intCount;
        }
        return copy;
    }
}
