using System.Buffers.Binary;
using Cinnabar.Protocol;

namespace Cinnabar.Persistence;

/// <summary>Writes RDB primitives to a stream, keeping the running CRC64.</summary>
public sealed class RdbOutput
{
    private readonly Stream _stream;
    private readonly byte[] _buf = new byte[64 * 1024];
    private int _len;

    public RdbOutput(Stream stream, bool compress = true)
    {
        _stream = stream;
        Compress = compress;
    }

    /// <summary>rdbcompression: LZF-compress strings longer than 20 bytes when it saves space.</summary>
    public bool Compress { get; }
    public ulong Crc { get; private set; }
    public long BytesWritten { get; private set; }

    public void Flush()
    {
        if (_len == 0) return;
        Crc = Crc64.Update(Crc, _buf.AsSpan(0, _len));
        _stream.Write(_buf, 0, _len);
        BytesWritten += _len;
        _len = 0;
    }

    public void WriteByte(byte b)
    {
        if (_len == _buf.Length) Flush();
        _buf[_len++] = b;
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        if (data.Length > _buf.Length - _len)
        {
            Flush();
            if (data.Length > _buf.Length)
            {
                Crc = Crc64.Update(Crc, data);
                _stream.Write(data);
                BytesWritten += data.Length;
                return;
            }
        }
        data.CopyTo(_buf.AsSpan(_len));
        _len += data.Length;
    }

    public void WriteUInt32LE(uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); Write(b); }
    public void WriteInt64LE(long v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteInt64LittleEndian(b, v); Write(b); }

    public void WriteLength(ulong len)
    {
        Span<byte> b = stackalloc byte[9];
        if (len < 1 << 6) WriteByte((byte)len);
        else if (len < 1 << 14) { WriteByte((byte)(0x40 | (len >> 8))); WriteByte((byte)len); }
        else if (len <= uint.MaxValue) { b[0] = 0x80; BinaryPrimitives.WriteUInt32BigEndian(b[1..], (uint)len); Write(b[..5]); }
        else { b[0] = 0x81; BinaryPrimitives.WriteUInt64BigEndian(b[1..], len); Write(b); }
    }

    /// <summary>A string, as Redis saves it: small canonical integers as integers, long ones LZF-compressed when that helps.</summary>
    public void WriteString(ReadOnlySpan<byte> s)
    {
        if (s.Length <= 11 && RespNumbers.TryParseInt64(s, out long v) && TryWriteIntEncoded(v)) return;
        if (Compress && s.Length > 20 && TryWriteLzf(s)) return;
        WriteLength((ulong)s.Length);
        Write(s);
    }

    private bool TryWriteIntEncoded(long v)
    {
        if (v >= sbyte.MinValue && v <= sbyte.MaxValue) { WriteByte(0xC0 | RdbFormat.EncInt8); WriteByte((byte)v); return true; }
        if (v >= short.MinValue && v <= short.MaxValue) { WriteByte(0xC0 | RdbFormat.EncInt16); WriteByte((byte)v); WriteByte((byte)(v >> 8)); return true; }
        if (v >= int.MinValue && v <= int.MaxValue) { WriteByte(0xC0 | RdbFormat.EncInt32); WriteUInt32LE((uint)v); return true; }
        return false;
    }

    private bool TryWriteLzf(ReadOnlySpan<byte> s)
    {
        if (s.Length <= 4) return false;
        var outBuf = System.Buffers.ArrayPool<byte>.Shared.Rent(s.Length);
        try
        {
            int clen = Lzf.Compress(s, outBuf.AsSpan(0, s.Length - 4));
            if (clen == 0) return false;
            WriteByte(0xC0 | RdbFormat.EncLzf);
            WriteLength((ulong)clen);
            WriteLength((ulong)s.Length);
            Write(outBuf.AsSpan(0, clen));
            return true;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(outBuf);
        }
    }

    public void WriteBinaryDouble(double d) => WriteInt64LE(BitConverter.DoubleToInt64Bits(d));
}
