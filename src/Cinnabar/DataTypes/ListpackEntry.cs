using System.Buffers.Binary;
using Cinnabar.Protocol;

namespace Cinnabar.DataTypes;

/// <summary>
/// One entry of Redis' listpack format: an encoding byte (and length or integer bytes), the data, and a
/// back-length so entries can be walked in both directions. Canonical integers are stored as integers, as
/// lpAppend does, and read back as their decimal text. The packed list nodes keep their entries in exactly
/// this format, so RDB files and DUMP payloads copy them without re-encoding.
/// </summary>
public static class ListpackEntry
{
    /// <summary>Longest decimal text of an integer entry: what a read's scratch span must hold.</summary>
    public const int ScratchSize = RespNumbers.MaxInt64Chars;

    /// <summary>Bytes the entry for <paramref name="value"/> takes, back-length included.</summary>
    public static int SizeOf(ReadOnlySpan<byte> value)
    {
        int body = value.Length <= 20 && RespNumbers.TryParseInt64(value, out long v) ? IntBodySize(v) : StringBodySize(value.Length);
        return body + BacklenSize(body);
    }

    /// <summary>Bytes the integer entry for <paramref name="value"/> takes, back-length included (at most 10).</summary>
    public static int SizeOfInteger(long value)
    {
        int body = IntBodySize(value);
        return body + BacklenSize(body);
    }

    /// <summary>Writes the entry for <paramref name="value"/> at the start of <paramref name="dest"/>; returns its size.</summary>
    public static int Write(Span<byte> dest, ReadOnlySpan<byte> value)
    {
        int body = value.Length <= 20 && RespNumbers.TryParseInt64(value, out long v) ? WriteInt(dest, v) : WriteString(dest, value);
        return body + WriteBacklen(dest[body..], body);
    }

    /// <summary>Writes an integer entry; returns its size.</summary>
    public static int WriteInteger(Span<byte> dest, long value)
    {
        int body = WriteInt(dest, value);
        return body + WriteBacklen(dest[body..], body);
    }

    /// <summary>The size of the (trusted) entry starting at <paramref name="p"/>, back-length included.</summary>
    public static int SizeAt(ReadOnlySpan<byte> buf, int p)
    {
        int body = BodySize(buf, p);
        return body + BacklenSize(body);
    }

    /// <summary>The value of the (trusted) entry at <paramref name="p"/>; integers are formatted into <paramref name="scratch"/>.</summary>
    public static ReadOnlySpan<byte> Read(ReadOnlySpan<byte> buf, int p, Span<byte> scratch) =>
        TryReadInteger(buf, p, out long v) ? Format(v, scratch) : ReadString(buf, p);

    /// <summary>The bytes of the (trusted) string entry at <paramref name="p"/>.</summary>
    private static ReadOnlySpan<byte> ReadString(ReadOnlySpan<byte> buf, int p)
    {
        byte b = buf[p];
        if ((b & 0xC0) == 0x80) return buf.Slice(p + 1, b & 0x3f);
        if ((b & 0xF0) == 0xE0) return buf.Slice(p + 2, ((b & 0x0f) << 8) | buf[p + 1]);
        return buf.Slice(p + 5, (int)BinaryPrimitives.ReadUInt32LittleEndian(buf[(p + 1)..]));
    }

    /// <summary>
    /// The value of the (trusted) entry at <paramref name="p"/> as a double, as Redis' zzlGetScore reads a
    /// sorted-set score: integers directly, strings with strtod. False for text that is not a number.
    /// </summary>
    public static bool TryReadDouble(ReadOnlySpan<byte> buf, int p, out double value)
    {
        if (TryReadInteger(buf, p, out long v))
        {
            value = v;
            return true;
        }
        return RespNumbers.TryParseDouble(ReadString(buf, p), out value);
    }

    /// <summary>The integer of the (trusted) entry at <paramref name="p"/>, if it is integer-encoded.</summary>
    public static bool TryReadInteger(ReadOnlySpan<byte> buf, int p, out long value)
    {
        byte b = buf[p];
        if ((b & 0x80) == 0) value = b;
        else if ((b & 0xE0) == 0xC0)
        {
            long v = ((b & 0x1f) << 8) | buf[p + 1];
            value = v >= 1 << 12 ? v - (1 << 13) : v;
        }
        else if ((b & 0xC0) == 0x80 || (b & 0xF0) == 0xE0 || b == 0xF0)
        {
            value = 0;
            return false;
        }
        else
        {
            switch (b)
            {
                case 0xF1: value = BinaryPrimitives.ReadInt16LittleEndian(buf[(p + 1)..]); break;
                case 0xF2:
                    int v = buf[p + 1] | buf[p + 2] << 8 | buf[p + 3] << 16;
                    value = v >= 1 << 23 ? v - (1 << 24) : v;
                    break;
                case 0xF3: value = BinaryPrimitives.ReadInt32LittleEndian(buf[(p + 1)..]); break;
                default: value = BinaryPrimitives.ReadInt64LittleEndian(buf[(p + 1)..]); break;
            }
        }
        return true;
    }

    /// <summary>
    /// Replaces bytes [from, to) of the entries held in buffer[start..end) with the entries for one or two
    /// values. A buffer too small is replaced by one with room to spare and the entries start at 0 in it.
    /// </summary>
    public static void Splice(ref byte[] buffer, ref int start, ref int end, int from, int to,
        ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, int entries)
    {
        int size = SizeOf(first) + (entries == 2 ? SizeOf(second) : 0);
        int used = end - start - (to - from) + size;
        if (start + used > buffer.Length)
        {
            var grown = new byte[Math.Max(used, Math.Min(used * 2, used + 256))];
            buffer.AsSpan(start, from - start).CopyTo(grown);
            buffer.AsSpan(to, end - to).CopyTo(grown.AsSpan(from - start + size));
            from -= start;
            buffer = grown;
            start = 0;
        }
        else buffer.AsSpan(to, end - to).CopyTo(buffer.AsSpan(from + size));
        end = start + used;
        int w = from + Write(buffer.AsSpan(from), first);
        if (entries == 2) Write(buffer.AsSpan(w), second);
    }

    /// <summary>
    /// Redis' lpFind: the offset of the first entry in buf[start..end) equal to <paramref name="value"/>,
    /// comparing every <paramref name="stride"/>-th entry (1 for a set's members, 2 for the fields or members
    /// of field-value and member-score pairs), or -1.
    /// </summary>
    public static int Find(ReadOnlySpan<byte> buf, int start, int end, ReadOnlySpan<byte> value, int stride)
    {
        Span<byte> scratch = stackalloc byte[ScratchSize];
        for (int p = start; p < end;)
        {
            if (Read(buf, p, scratch).SequenceEqual(value)) return p;
            for (int i = 0; i < stride; i++) p += SizeAt(buf, p);
        }
        return -1;
    }

    /// <summary>Where the (trusted) entry that ends just before <paramref name="end"/> starts, from its back-length.</summary>
    public static int StartBefore(ReadOnlySpan<byte> buf, int end)
    {
        int p = end - 1, shift = 0, body = 0;
        while (true)
        {
            body |= (buf[p] & 0x7f) << shift;
            if ((buf[p] & 0x80) == 0) break;
            shift += 7;
            p--;
        }
        return end - body - BacklenSize(body);
    }

    /// <summary>
    /// Checks the untrusted entry at <paramref name="p"/> (from a file or DUMP payload): its lengths stay before
    /// <paramref name="limit"/> and its back-length is right. Returns its size, or -1 if malformed.
    /// </summary>
    public static int Validate(ReadOnlySpan<byte> buf, int p, int limit)
    {
        if (p >= limit) return -1;
        byte b = buf[p];
        int header = (b & 0x80) == 0 ? 1 : (b & 0xC0) == 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 2
            : b == 0xF0 ? 5 : b is >= 0xF1 and <= 0xF4 ? 1 : -1;
        if (header < 0 || p + header > limit) return -1;
        long body = BodySize(buf, p);
        if (body < header || p + body > limit) return -1;
        int backlen = BacklenSize((int)body);
        if (p + body + backlen > limit) return -1;
        // The back-length as WriteBacklen writes it, compared byte by byte (this runs for every entry loaded).
        int q = p + (int)body;
        for (int i = 0; i < backlen; i++)
        {
            int group = ((int)body >> (7 * (backlen - 1 - i))) & 0x7f;
            if (buf[q + i] != (i == 0 ? group : group | 0x80)) return -1;
        }
        return (int)body + backlen;
    }

    /// <summary>Encoding, length and data bytes of the entry at <paramref name="p"/> (no back-length).</summary>
    private static int BodySize(ReadOnlySpan<byte> buf, int p)
    {
        byte b = buf[p];
        if ((b & 0x80) == 0) return 1;
        if ((b & 0xC0) == 0x80) return 1 + (b & 0x3f);
        if ((b & 0xE0) == 0xC0) return 2;
        if ((b & 0xF0) == 0xE0) return 2 + (((b & 0x0f) << 8) | buf[p + 1]);
        return b switch
        {
            0xF0 => (int)Math.Min(5 + (long)BinaryPrimitives.ReadUInt32LittleEndian(buf[(p + 1)..]), int.MaxValue),
            0xF1 => 3,
            0xF2 => 4,
            0xF3 => 5,
            _ => 9,
        };
    }

    private static int StringBodySize(int length) => length < 64 ? 1 + length : length < 4096 ? 2 + length : 5 + length;

    private static int IntBodySize(long v) =>
        v is >= 0 and <= 127 ? 1 : v is >= -4096 and <= 4095 ? 2 : v is >= short.MinValue and <= short.MaxValue ? 3
        : v is >= -(1 << 23) and < (1 << 23) ? 4 : v is >= int.MinValue and <= int.MaxValue ? 5 : 9;

    private static int WriteString(Span<byte> dest, ReadOnlySpan<byte> e)
    {
        int h;
        if (e.Length < 64) { dest[0] = (byte)(0x80 | e.Length); h = 1; }
        else if (e.Length < 4096) { dest[0] = (byte)(0xE0 | (e.Length >> 8)); dest[1] = (byte)e.Length; h = 2; }
        else { dest[0] = 0xF0; BinaryPrimitives.WriteUInt32LittleEndian(dest[1..], (uint)e.Length); h = 5; }
        e.CopyTo(dest[h..]);
        return h + e.Length;
    }

    private static int WriteInt(Span<byte> dest, long v)
    {
        switch (IntBodySize(v))
        {
            case 1: dest[0] = (byte)v; return 1;
            case 2:
                long u = v < 0 ? v + (1 << 13) : v;
                dest[0] = (byte)(0xC0 | (u >> 8));
                dest[1] = (byte)u;
                return 2;
            case 3: dest[0] = 0xF1; BinaryPrimitives.WriteInt16LittleEndian(dest[1..], (short)v); return 3;
            case 4: dest[0] = 0xF2; dest[1] = (byte)v; dest[2] = (byte)(v >> 8); dest[3] = (byte)(v >> 16); return 4;
            case 5: dest[0] = 0xF3; BinaryPrimitives.WriteInt32LittleEndian(dest[1..], (int)v); return 5;
            default: dest[0] = 0xF4; BinaryPrimitives.WriteInt64LittleEndian(dest[1..], v); return 9;
        }
    }

    /// <summary>The back-length: the body size in 7-bit groups, most significant first, continuation bits on all but the first.</summary>
    private static int WriteBacklen(Span<byte> dest, int body)
    {
        int n = BacklenSize(body);
        for (int i = 0; i < n; i++)
        {
            byte group = (byte)((body >> (7 * (n - 1 - i))) & 0x7f);
            dest[i] = i == 0 ? group : (byte)(group | 0x80);
        }
        return n;
    }

    public static int BacklenSize(int body) => body <= 127 ? 1 : body < 16383 ? 2 : body < 2097151 ? 3 : body < 268435455 ? 4 : 5;

    private static ReadOnlySpan<byte> Format(long v, Span<byte> scratch) => scratch[..RespNumbers.FormatInt64(v, scratch)];
}
