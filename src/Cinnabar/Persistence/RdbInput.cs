using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Cinnabar.Persistence;

/// <summary>
/// Reads RDB primitives from a stream, keeping the running CRC64 and the offset (errors name it).
/// </summary>
public sealed class RdbInput
{
    private readonly Stream _stream;
    private readonly byte[] _buf = new byte[64 * 1024];
    private int _pos, _len;
    private long _consumedBefore; // bytes of the stream before _buf[0]

    public RdbInput(Stream stream) => _stream = stream;

    /// <summary>CRC64 of everything read so far.</summary>
    public ulong Crc { get; private set; }
    public long Offset => _consumedBefore + _pos;

    private void Fill()
    {
        Crc = Crc64.Update(Crc, _buf.AsSpan(0, _pos)); // CRC covers bytes as they are consumed
        _consumedBefore += _pos;
        int keep = _len - _pos;
        Buffer.BlockCopy(_buf, _pos, _buf, 0, keep);
        _pos = 0;
        _len = keep;
        int n = _stream.Read(_buf, _len, _buf.Length - _len);
        if (n == 0) throw new RdbFormatException($"unexpected end of file at offset {Offset}");
        _len += n;
    }

    /// <summary>Folds consumed bytes into the CRC (call before reading the checksum itself).</summary>
    public ulong CurrentCrc()
    {
        Crc = Crc64.Update(Crc, _buf.AsSpan(0, _pos));
        _consumedBefore += _pos;
        Buffer.BlockCopy(_buf, _pos, _buf, 0, _len - _pos);
        _len -= _pos;
        _pos = 0;
        return Crc;
    }

    public byte ReadByte()
    {
        if (_pos == _len) Fill();
        return _buf[_pos++];
    }

    public void ReadExact(Span<byte> dest)
    {
        while (dest.Length > 0)
        {
            if (_pos == _len) Fill();
            int n = Math.Min(dest.Length, _len - _pos);
            _buf.AsSpan(_pos, n).CopyTo(dest);
            _pos += n;
            dest = dest[n..];
        }
    }

    public byte[] ReadBytes(long n)
    {
        if (n < 0 || n > Array.MaxLength) throw new RdbFormatException($"invalid length {n} at offset {Offset}");
        var b = new byte[n];
        ReadExact(b);
        return b;
    }

    public uint ReadUInt32LE() { Span<byte> b = stackalloc byte[4]; ReadExact(b); return BinaryPrimitives.ReadUInt32LittleEndian(b); }
    public ulong ReadUInt64LE() { Span<byte> b = stackalloc byte[8]; ReadExact(b); return BinaryPrimitives.ReadUInt64LittleEndian(b); }
    public long ReadInt64LE() => (long)ReadUInt64LE();

    /// <summary>A length, or a special string encoding when <paramref name="isEncoded"/> is set.</summary>
    public ulong ReadLength(out bool isEncoded)
    {
        isEncoded = false;
        byte first = ReadByte();
        int type = first >> 6;
        switch (type)
        {
            case 0: return (ulong)(first & 0x3f);
            case 1: return (ulong)(((first & 0x3f) << 8) | ReadByte());
            case 2:
                if (first == 0x80) { Span<byte> b = stackalloc byte[4]; ReadExact(b); return BinaryPrimitives.ReadUInt32BigEndian(b); }
                if (first == 0x81) { Span<byte> b = stackalloc byte[8]; ReadExact(b); return BinaryPrimitives.ReadUInt64BigEndian(b); }
                throw new RdbFormatException($"unknown length encoding 0x{first:x2} at offset {Offset - 1}");
            default:
                isEncoded = true;
                return (ulong)(first & 0x3f);
        }
    }

    public long ReadLength()
    {
        ulong len = ReadLength(out bool enc);
        if (enc) throw new RdbFormatException($"unexpected encoded value at offset {Offset}");
        if (len > long.MaxValue) throw new RdbFormatException($"length out of range at offset {Offset}");
        return (long)len;
    }

    /// <summary>A plain length over the full 64-bit range (stream IDs and counters).</summary>
    public ulong ReadLengthUnsigned()
    {
        ulong len = ReadLength(out bool enc);
        if (enc) throw new RdbFormatException($"unexpected encoded value at offset {Offset}");
        return len;
    }

    /// <summary>A string in any of its encodings (raw, 8/16/32-bit integer, LZF).</summary>
    public byte[] ReadString()
    {
        ulong len = ReadLength(out bool encoded);
        if (!encoded) return ReadBytes((long)len);
        switch ((int)len)
        {
            case RdbFormat.EncInt8: return Ascii((sbyte)ReadByte());
            case RdbFormat.EncInt16: { Span<byte> b = stackalloc byte[2]; ReadExact(b); return Ascii(BinaryPrimitives.ReadInt16LittleEndian(b)); }
            case RdbFormat.EncInt32: { Span<byte> b = stackalloc byte[4]; ReadExact(b); return Ascii(BinaryPrimitives.ReadInt32LittleEndian(b)); }
            case RdbFormat.EncLzf:
                {
                    long clen = ReadLength();
                    long ulen = ReadLength();
                    var compressed = ReadBytes(clen);
                    var result = new byte[ulen];
                    if (!Lzf.TryDecompress(compressed, result)) throw new RdbFormatException($"invalid LZF data at offset {Offset}");
                    return result;
                }
            default: throw new RdbFormatException($"unknown string encoding {len} at offset {Offset}");
        }
    }

    private static byte[] Ascii(long v) => Encoding.ASCII.GetBytes(v.ToString(CultureInfo.InvariantCulture));

    /// <summary>The old text double encoding (ZSET v1): length byte, 253 nan, 254 +inf, 255 -inf.</summary>
    public double ReadTextDouble()
    {
        byte len = ReadByte();
        switch (len)
        {
            case 253: return double.NaN;
            case 254: return double.PositiveInfinity;
            case 255: return double.NegativeInfinity;
        }
        var s = Encoding.ASCII.GetString(ReadBytes(len));
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
            throw new RdbFormatException($"invalid double at offset {Offset}");
        return d;
    }

    public double ReadBinaryDouble() => BitConverter.Int64BitsToDouble((long)ReadUInt64LE());
}
