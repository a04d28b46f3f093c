using System.Buffers.Binary;
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
        if (lp.Length < 7) throw new RdbFormatException("listpack too short");
        uint total = BinaryPrimitives.ReadUInt32LittleEndian(lp);
        if (total != lp.Length) throw new RdbFormatException("listpack length mismatch");
        int count = BinaryPrimitives.ReadUInt16LittleEndian(lp[4..]);
        var result = new List<byte[]>(count == 65535 ? 16 : count);
        int p = 6;
        while (true)
        {
            if (p >= lp.Length) throw new RdbFormatException("listpack without terminator");
            byte b = lp[p];
            if (b == End) break;
            int entryLen;
            if ((b & 0x80) == 0) { result.Add(Int(b & 0x7f)); entryLen = 1; }
            else if ((b & 0xC0) == 0x80) { int len = b & 0x3f; result.Add(Str(lp, p + 1, len)); entryLen = 1 + len; }
            else if ((b & 0xE0) == 0xC0)
            {
                Need(lp, p, 2);
                long v = ((b & 0x1f) << 8) | lp[p + 1];
                if (v >= 1 << 12) v -= 1 << 13;
                result.Add(Int(v));
                entryLen = 2;
            }
            else if ((b & 0xF0) == 0xE0) { Need(lp, p, 2); int len = ((b & 0x0f) << 8) | lp[p + 1]; result.Add(Str(lp, p + 2, len)); entryLen = 2 + len; }
            else if (b == 0xF0) { Need(lp, p, 5); int len = (int)BinaryPrimitives.ReadUInt32LittleEndian(lp[(p + 1)..]); result.Add(Str(lp, p + 5, len)); entryLen = 5 + len; }
            else if (b == 0xF1) { Need(lp, p, 3); result.Add(Int(BinaryPrimitives.ReadInt16LittleEndian(lp[(p + 1)..]))); entryLen = 3; }
            else if (b == 0xF2)
            {
                Need(lp, p, 4);
                int v = lp[p + 1] | lp[p + 2] << 8 | lp[p + 3] << 16;
                if (v >= 1 << 23) v -= 1 << 24;
                result.Add(Int(v));
                entryLen = 4;
            }
            else if (b == 0xF3) { Need(lp, p, 5); result.Add(Int(BinaryPrimitives.ReadInt32LittleEndian(lp[(p + 1)..]))); entryLen = 5; }
            else if (b == 0xF4) { Need(lp, p, 9); result.Add(Int(BinaryPrimitives.ReadInt64LittleEndian(lp[(p + 1)..]))); entryLen = 9; }
            else throw new RdbFormatException($"bad listpack encoding 0x{b:x2}");
            p += entryLen + BacklenSize(entryLen);
        }
        if (count != 65535 && count != result.Count) throw new RdbFormatException("listpack element count mismatch");
        return result;
    }

    /// <summary>Encodes elements, storing canonical integers compactly as Redis does.</summary>
    public static byte[] Encode(IEnumerable<byte[]> elements)
    {
        var builder = new ListpackBuilder();
        foreach (var e in elements) builder.AddString(e);
        return builder.ToArray();
    }

    internal static int BacklenSizeOf(int len) => BacklenSize(len);

    private static int BacklenSize(int len) => len <= 127 ? 1 : len < 16383 ? 2 : len < 2097151 ? 3 : len < 268435455 ? 4 : 5;

    private static void Need(ReadOnlySpan<byte> lp, int p, int n)
    {
        if (p + n > lp.Length) throw new RdbFormatException("listpack entry out of bounds");
    }

    private static byte[] Str(ReadOnlySpan<byte> lp, int start, int len)
    {
        if (len < 0 || start + len > lp.Length) throw new RdbFormatException("listpack string out of bounds");
        return lp.Slice(start, len).ToArray();
    }

    private static byte[] Int(long v)
    {
        Span<byte> buf = stackalloc byte[20];
        int n = RespNumbers.FormatInt64(v, buf);
        return buf[..n].ToArray();
    }
}

/// <summary>
/// Builds a listpack blob element by element, as Redis' lpAppend does: strings that are canonical integers
/// and integers are stored in the smallest integer encoding.
/// </summary>
public sealed class ListpackBuilder
{
    private byte[] _buf = new byte[256];
    private int _len = 6; // header written by ToArray
    private int _count;

    public int Count => _count;

    public void AddString(ReadOnlySpan<byte> e)
    {
        if (e.Length <= 20 && RespNumbers.TryParseInt64(e, out long v)) { AddInt(v); return; }
        int start = _len;
        Ensure(e.Length + 10);
        if (e.Length < 64) _buf[_len++] = (byte)(0x80 | e.Length);
        else if (e.Length < 4096) { _buf[_len++] = (byte)(0xE0 | (e.Length >> 8)); _buf[_len++] = (byte)e.Length; }
        else { _buf[_len++] = 0xF0; BinaryPrimitives.WriteUInt32LittleEndian(_buf.AsSpan(_len), (uint)e.Length); _len += 4; }
        e.CopyTo(_buf.AsSpan(_len));
        _len += e.Length;
        EndEntry(start);
    }

    public void AddInt(long v)
    {
        int start = _len;
        Ensure(16);
        if (v >= 0 && v <= 127) _buf[_len++] = (byte)v;
        else if (v >= -4096 && v <= 4095)
        {
            long u = v < 0 ? v + (1 << 13) : v;
            _buf[_len++] = (byte)(0xC0 | (u >> 8));
            _buf[_len++] = (byte)u;
        }
        else if (v >= short.MinValue && v <= short.MaxValue) { _buf[_len++] = 0xF1; _buf[_len++] = (byte)v; _buf[_len++] = (byte)(v >> 8); }
        else if (v >= -(1 << 23) && v < (1 << 23)) { _buf[_len++] = 0xF2; _buf[_len++] = (byte)v; _buf[_len++] = (byte)(v >> 8); _buf[_len++] = (byte)(v >> 16); }
        else if (v >= int.MinValue && v <= int.MaxValue) { _buf[_len++] = 0xF3; for (int i = 0; i < 4; i++) _buf[_len++] = (byte)(v >> (8 * i)); }
        else { _buf[_len++] = 0xF4; for (int i = 0; i < 8; i++) _buf[_len++] = (byte)(v >> (8 * i)); }
        EndEntry(start);
    }

    /// <summary>The blob: header (total bytes, count capped at 65535), elements, terminator.</summary>
    public byte[] ToArray()
    {
        var result = new byte[_len + 1];
        _buf.AsSpan(6, _len - 6).CopyTo(result.AsSpan(6));
        BinaryPrimitives.WriteUInt32LittleEndian(result, (uint)result.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(4), (ushort)Math.Min(_count, 65535));
        result[^1] = Listpack.End;
        return result;
    }

    /// <summary>Appends the back-length (entry size in 7-bit groups, most significant first) so the list can be walked backwards.</summary>
    private void EndEntry(int start)
    {
        int len = _len - start;
        int n = Listpack.BacklenSizeOf(len);
        Ensure(n);
        for (int i = n - 1; i >= 0; i--)
        {
            byte group = (byte)((len >> (7 * i)) & 0x7f);
            _buf[_len++] = i == n - 1 && n > 1 ? group : (i == 0 ? (byte)(group | (n > 1 ? 0x80 : 0)) : (byte)(group | 0x80));
        }
        _count++;
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
