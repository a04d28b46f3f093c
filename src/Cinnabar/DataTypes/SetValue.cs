using Cinnabar.Config;
using Cinnabar.Protocol;

namespace Cinnabar.DataTypes;

/// <summary>
/// A set, in one of three representations:
/// <list type="bullet">
/// <item>"intset": a sorted array of longs, binary searched, while every member is a canonical integer and
/// there are at most set-max-intset-entries of them. Ascending order is what Redis replies for small integer
/// sets, so SMEMBERS on them is byte-identical.</item>
/// <item>packed: up to <see cref="PackedMaxEntries"/> members of at most <see cref="PackedMaxBytes"/> bytes in
/// one buffer of listpack entries, searched linearly (what Redis 7.2 calls a set listpack). Redis 7.0 has no
/// such encoding and keeps small string sets in a dict, so OBJECT ENCODING answers "hashtable" for it and
/// RDB files carry its members as a plain set; the gain is memory and load time: two objects per small set
/// instead of an entry table, a bucket array and an array per member.</item>
/// <item>"hashtable" (<see cref="HashDict"/>) otherwise.</item>
/// </list>
/// Conversions go one way (intset or packed to hashtable, intset to packed), as in Redis.
/// </summary>
public sealed class SetValue : IRedisObject, IPositionalCollection, IRemovableMembers
{
    public const int PackedMaxEntries = 128;
    public const int PackedMaxBytes = 64;

    private long[] _ints;
    private int _intCount;
    private byte[]? _packed;   // packed: entries in _packed[0.._packedEnd), _intCount of them
    private int _packedEnd;
    private HashDict? _dict;

    // Positional access to packed entries walks from the last position read, so iterating 0..n is linear.
    private int _cachedPos = -1;
    private int _cachedOffset;

    private SetValue(bool intset)
    {
        _ints = intset ? new long[4] : [];
        if (!intset) _packed = new byte[32];
    }

    /// <summary>An empty intset (SINTERSTORE and friends start their result this way).</summary>
    public static SetValue CreateIntset() => new(true);

    /// <summary>Redis' setTypeCreate: an intset when the first member is an integer, else a small packed set.</summary>
    public static SetValue CreateFor(ReadOnlySpan<byte> firstMember) => new(RespNumbers.TryParseInt64(firstMember, out _));

    public string TypeName => "set";

    public long AccountedBytes { get; set; }
    public bool IsIntset => _dict is null && _packed is null;
    public bool IsPacked => _packed is not null;
    public string GetEncoding(ServerConfig config) => IsIntset ? "intset" : "hashtable";
    public int Count => _dict?.Count ?? _intCount;

    private int IntIndex(long v) => Array.BinarySearch(_ints, 0, _intCount, v);

    public bool Contains(ReadOnlySpan<byte> member)
    {
        if (_dict is not null) return _dict.Contains(member);
        if (_packed is not null) return PackedOffsetOf(member) >= 0;
        return RespNumbers.TryParseInt64(member, out long v) && IntIndex(v) >= 0;
    }

    /// <summary>Adds a member (copied); returns true when it was new.</summary>
    public bool Add(ReadOnlySpan<byte> member, ServerConfig config)
    {
        if (IsIntset)
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
            if (_intCount < PackedMaxEntries && member.Length <= PackedMaxBytes) ConvertToPacked();
            else ConvertToDict();
        }
        if (_packed is not null)
        {
            if (PackedOffsetOf(member) >= 0) return false;
            if (_intCount < PackedMaxEntries && member.Length <= PackedMaxBytes)
            {
                AppendPacked(member);
                return true;
            }
            ConvertToDict();
        }
        return _dict!.TryAdd(member);
    }

    /// <summary>Adds a member, keeping <paramref name="member"/> itself if it must be stored as its own array.</summary>
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
        if (_packed is not null)
        {
            int p = PackedOffsetOf(member);
            if (p < 0) return false;
            int size = ListpackEntry.SizeAt(_packed, p);
            _packed.AsSpan(p + size, _packedEnd - p - size).CopyTo(_packed.AsSpan(p));
            _packedEnd -= size;
            _intCount--;
            _cachedPos = -1;
            return true;
        }
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
        for (int p = 0; p < _intCount; p++) d.AddNew(MemberArrayAt(p), null);
        _dict = d;
        _ints = [];
        _packed = null;
        _intCount = 0;
    }

    private void ConvertToPacked()
    {
        // Sized from the members themselves: a 64-bit integer takes 10 bytes, a guess per member overflows.
        int size = 0;
        for (int i = 0; i < _intCount; i++) size += ListpackEntry.SizeOfInteger(_ints[i]);
        var buffer = new byte[Math.Max(32, size + 16)];
        int end = 0;
        for (int i = 0; i < _intCount; i++) end += ListpackEntry.WriteInteger(buffer.AsSpan(end), _ints[i]);
        _packed = buffer;
        _packedEnd = end;
        _ints = [];
        _cachedPos = -1;
    }

    private void AppendPacked(ReadOnlySpan<byte> member)
    {
        int size = ListpackEntry.SizeOf(member);
        if (_packedEnd + size > _packed!.Length)
            Array.Resize(ref _packed, Math.Max(_packedEnd + size, _packed.Length * 2));
        ListpackEntry.Write(_packed.AsSpan(_packedEnd), member);
        _packedEnd += size;
        _intCount++;
    }

    /// <summary>Byte offset of <paramref name="member"/>'s entry in the packed buffer, or -1.</summary>
    private int PackedOffsetOf(ReadOnlySpan<byte> member) => ListpackEntry.Find(_packed, 0, _packedEnd, member, stride: 1);

    /// <summary>Byte offset of the packed entry at position <paramref name="pos"/>, walking on from the last one asked for.</summary>
    private int PackedOffsetAt(int pos)
    {
        int p = 0, i = 0;
        if (_cachedPos >= 0 && _cachedPos <= pos) (i, p) = (_cachedPos, _cachedOffset);
        for (; i < pos; i++) p += ListpackEntry.SizeAt(_packed!, p);
        (_cachedPos, _cachedOffset) = (pos, p);
        return p;
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
    /// The member at position <paramref name="pos"/> (false for a free hashtable slot). Intset and packed
    /// integer members are formatted into <paramref name="scratch"/> (<see cref="ListpackEntry.ScratchSize"/> bytes).
    /// </summary>
    public bool TryGetMember(int pos, Span<byte> scratch, out ReadOnlySpan<byte> member)
    {
        if (_dict is not null)
        {
            var key = _dict.At(pos).Key;
            member = key;
            return key is not null;
        }
        member = _packed is not null
            ? ListpackEntry.Read(_packed, PackedOffsetAt(pos), scratch)
            : scratch[..RespNumbers.FormatInt64(_ints[pos], scratch)];
        return true;
    }

    /// <summary>The member at a live position as an array: the stored one for a hashtable, a new one otherwise.</summary>
    public byte[] MemberArrayAt(int pos)
    {
        if (_dict is not null) return _dict.At(pos).Key!;
        if (_packed is null) return FormatInt(_ints[pos]);
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        return ListpackEntry.Read(_packed, PackedOffsetAt(pos), scratch).ToArray();
    }

    public int RandomPosition(Random random) => _dict is null ? random.Next(_intCount) : _dict.RandomSlot(random);

    public HashDict? Dict => _dict;

    public long MemoryUsage(int samples) =>
        MemorySize.Object(40) + (_dict is not null ? _dict.MemoryUsage(samples)
            : _packed is not null ? MemorySize.Bytes(_packed) : MemorySize.Array(_ints.Length, 8));

    public IRedisObject DeepClone()
    {
        var copy = new SetValue(IsIntset);
        if (_dict is not null)
        {
            copy._dict = _dict.Clone();
            copy._packed = null;
        }
        else if (_packed is not null)
        {
            copy._packed = _packed.AsSpan(0, Math.Max(_packedEnd, 1)).ToArray();
            copy._packedEnd = _packedEnd;
            copy._intCount = _intCount;
        }
        else
        {
            copy._ints = _ints.AsSpan(0, _intCount).ToArray();
            if (copy._ints.Length == 0) copy._ints = new long[4];
            copy._intCount = _intCount;
        }
        return copy;
    }
}
