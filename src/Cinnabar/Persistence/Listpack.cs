using System.Buffers.Binary;
using Cinnabar.DataTypes;
using Cinnabar.Protocol;

namespace Cinnabar.Persistence;

/// <summary>
/// Redis' listpack blob: a 6-byte header (total bytes, element count), entries of encoding+data+backlen,
/// and a 0xFF terminator. Used in RDB files (hashes, sorted sets, list nodes, streams) since Redis 7.
/// Elements are strings or integers; integers are returned as their decimal text, as Redis does.
/// </summary>
public static class Listpack
{
    public const byte End = 0xFF;

    /// <summary>Decodes every element; throws <see cref="RdbFormatException"/> on a malformed blob.</summary>
    public static List<byte[]> Decode(ReadOnlySpan<byte> lp)
    {
        int count = Validate(lp);
        var result = new List<byte[]>(count);
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        for (int p = HeaderSize; p < lp.Length - 1; p += ListpackEntry.SizeAt(lp, p))
            result.Add(ListpackEntry.Read(lp, p, scratch).ToArray());
        return result;
    }

    public const int HeaderSize = 6;

    /// <summary>
    /// Checks an untrusted blob (header, every entry's lengths and back-length, terminator) and returns its
    /// element count; throws <see cref="RdbFormatException"/> when malformed. The entries between
    /// <see cref="HeaderSize"/> and the terminator can then be read as trusted.
    /// </summary>
    public static int Validate(ReadOnlySpan<byte> lp)
    {
        if (lp.Length < HeaderSize + 1) throw new RdbFormatException("listpack too short");
        uint total = BinaryPrimitives.ReadUInt32LittleEndian(lp);
        if (total != lp.Length) throw new RdbFormatException("listpack length mismatch");
        int declared = BinaryPrimitives.ReadUInt16LittleEndian(lp[4..]);
        if (lp[^1] != End) throw new RdbFormatException("listpack without terminator");
        int count = 0, limit = lp.Length - 1;
        for (int p = HeaderSize; p < limit; count++)
        {
            int size = ListpackEntry.Validate(lp, p, limit);
            if (size < 0) throw new RdbFormatException($"bad listpack entry at offset {p}");
            p += size;
        }
        if (declared != 65535 && declared != count) throw new RdbFormatException("listpack element count mismatch");
        return count;
    }

    /// <summary>Encodes elements, storing canonical integers compactly as Redis does.</summary>
    public static byte[] Encode(IEnumerable<byte[]> elements)
    {
        var builder = new ListpackBuilder();
        foreach (var e in elements) builder.AddString(e);
        return builder.ToArray();
    }

    /// <summary>A listpack blob around already packed <paramref name="entries"/>: header, entries, terminator.</summary>
    public static void WrapEntries(ReadOnlySpan<byte> entries, int count, Span<byte> dest)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(dest, (uint)(entries.Length + HeaderSize + 1));
        BinaryPrimitives.WriteUInt16LittleEndian(dest[4..], (ushort)Math.Min(count, 65535));
        entries.CopyTo(dest[HeaderSize..]);
        dest[HeaderSize + entries.Length] = End;
    }
}

/// <summary>
/// Builds a listpack blob element by element, as Redis' lpAppend does: strings that are canonical integers
/// and integers are stored in the smallest integer encoding.
/// </summary>
public sealed class ListpackBuilder
{
    private byte[] _buf = new byte[256];
    private int _len = Listpack.HeaderSize; // header written by ToArray
    private int _count;

    public int Count => _count;

    public void AddString(ReadOnlySpan<byte> e)
    {
        Ensure(e.Length + 10);
        _len += ListpackEntry.Write(_buf.AsSpan(_len), e);
        _count++;
    }

    public void AddInt(long v)
    {
        Ensure(16);
        _len += ListpackEntry.WriteInteger(_buf.AsSpan(_len), v);
        _count++;
    }

    /// <summary>The blob: header (total bytes, element count capped at 65535), elements, terminator.</summary>
    public byte[] ToArray()
    {
        var result = new byte[_len + 1];
        Listpack.WrapEntries(_buf.AsSpan(Listpack.HeaderSize, _len - Listpack.HeaderSize), _count, result);
        return result;
    }

    private void Ensure(int extra)
    {
        if (_len + extra > _buf.Length) Array.Resize(ref _buf, Math.Max(_buf.Length * 2, _len + extra));
    }
}

/// <summary>Redis' older ziplist blob (RDB files from Redis 6 and earlier).</summary>
public static class Ziplist
{
    public static List<byte[]> Decode(ReadOnlySpan<byte> zl)
    {
        if (zl.Length < 11) throw new RdbFormatException("ziplist too short");
        if (BinaryPrimitives.ReadUInt32LittleEndian(zl) != zl.Length) throw new RdbFormatException("ziplist length mismatch");
        var result = new List<byte[]>();
        int p = 10;
        Span<byte> num = stackalloc byte[20];
        while (true)
        {
            if (p >= zl.Length) throw new RdbFormatException("ziplist without terminator");
            if (zl[p] == 0xFF) break;
            p += zl[p] < 254 ? 1 : 5; // previous entry length
            if (p >= zl.Length) throw new RdbFormatException("ziplist entry out of bounds");
            byte enc = zl[p];
            int top = enc >> 6;
            if (top == 0) { int len = enc & 0x3f; result.Add(Slice(zl, p + 1, len)); p += 1 + len; }
            else if (top == 1) { Check(zl, p, 2); int len = ((enc & 0x3f) << 8) | zl[p + 1]; result.Add(Slice(zl, p + 2, len)); p += 2 + len; }
            else if (enc == 0x80) { Check(zl, p, 5); int len = (int)BinaryPrimitives.ReadUInt32BigEndian(zl[(p + 1)..]); result.Add(Slice(zl, p + 5, len)); p += 5 + len; }
            else
            {
                long v;
                int size;
                switch (enc)
                {
                    case 0xC0: Check(zl, p, 3); v = BinaryPrimitives.ReadInt16LittleEndian(zl[(p + 1)..]); size = 3; break;
                    case 0xD0: Check(zl, p, 5); v = BinaryPrimitives.ReadInt32LittleEndian(zl[(p + 1)..]); size = 5; break;
                    case 0xE0: Check(zl, p, 9); v = BinaryPrimitives.ReadInt64LittleEndian(zl[(p + 1)..]); size = 9; break;
                    case 0xF0:
                        Check(zl, p, 4);
                        int i24 = zl[p + 1] | zl[p + 2] << 8 | zl[p + 3] << 16;
                        v = (i24 << 8) >> 8; // sign-extend 24 bits
                        size = 4;
                        break;
                    case 0xFE: Check(zl, p, 2); v = (sbyte)zl[p + 1]; size = 2; break;
                    default:
                        if (enc >= 0xF1 && enc <= 0xFD) { v = (enc & 0x0f) - 1; size = 1; break; }
                        throw new RdbFormatException($"bad ziplist encoding 0x{enc:x2}");
                }
                int n = RespNumbers.FormatInt64(v, num);
                result.Add(num[..n].ToArray());
                p += size;
            }
        }
        return result;
    }

    private static void Check(ReadOnlySpan<byte> zl, int p, int n)
    {
        if (p + n > zl.Length) throw new RdbFormatException("ziplist entry out of bounds");
    }

    private static byte[] Slice(ReadOnlySpan<byte> zl, int start, int len)
    {
        if (start + len > zl.Length) throw new RdbFormatException("ziplist string out of bounds");
        return zl.Slice(start, len).ToArray();
    }
}

/// <summary>Redis' intset blob: element width (2, 4 or 8), count, sorted little-endian integers.</summary>
public static class Intset
{
    public static List<long> Decode(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 8) throw new RdbFormatException("intset too short");
        uint width = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(blob[4..]);
        if (width is not (2 or 4 or 8) || 8 + (long)width * count != blob.Length) throw new RdbFormatException("intset malformed");
        var result = new List<long>((int)count);
        for (int i = 0; i < count; i++)
        {
            var s = blob[(8 + i * (int)width)..];
            result.Add(width switch
            {
                2 => BinaryPrimitives.ReadInt16LittleEndian(s),
                4 => BinaryPrimitives.ReadInt32LittleEndian(s),
                _ => BinaryPrimitives.ReadInt64LittleEndian(s),
            });
        }
        return result;
    }

    public static byte[] Encode(IReadOnlyList<long> sortedValues)
    {
        int width = 2;
        foreach (var v in sortedValues)
        {
            if (v < int.MinValue || v > int.MaxValue) { width = 8; break; }
            if (v < short.MinValue || v > short.MaxValue) width = 4;
        }
        var blob = new byte[8 + width * sortedValues.Count];
        BinaryPrimitives.WriteUInt32LittleEndian(blob, (uint)width);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), (uint)sortedValues.Count);
        for (int i = 0; i < sortedValues.Count; i++)
        {
            var s = blob.AsSpan(8 + i * width);
            if (width == 2) BinaryPrimitives.WriteInt16LittleEndian(s, (short)sortedValues[i]);
            else if (width == 4) BinaryPrimitives.WriteInt32LittleEndian(s, (int)sortedValues[i]);
            else BinaryPrimitives.WriteInt64LittleEndian(s, sortedValues[i]);
        }
        return blob;
    }
}

/// <summary>A malformed RDB file or payload.</summary>
public sealed class RdbFormatException(string message) : Exception(message);
