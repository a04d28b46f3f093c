using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace Cinnabar.Protocol;

/// <summary>
/// A growable buffer that RESP replies are encoded into. It knows the client's protocol version, so
/// commands write one logical reply (a null, a map, a double) and get the RESP2 or RESP3 encoding Redis 7 uses.
/// Not thread-safe: its owner serialises writers.
/// </summary>
public sealed class ReplyBuffer
{
    private byte[] _buf;
    private int _len;

    public ReplyBuffer(int initialSize = 4096) => _buf = ArrayPool<byte>.Shared.Rent(initialSize);

    /// <summary>2 or 3, as chosen by HELLO.</summary>
    public int Protocol { get; set; } = 2;
    public bool Resp3 => Protocol == 3;
    public int Length => _len;
    public int Capacity => _buf.Length;
    public ReadOnlyMemory<byte> WrittenMemory => new(_buf, 0, _len);
    public ReadOnlySpan<byte> WrittenSpan => new(_buf, 0, _len);

    public void Clear() => _len = 0;

    /// <summary>Drops everything written after <paramref name="length"/> (used to undo a partial reply).</summary>
    public void Truncate(int length) => _len = Math.Min(_len, length);

    /// <summary>
    /// Exchanges the storage of two buffers: the writer keeps writing into a fresh array while the
    /// sender transmits the old one. Each keeps its own protocol setting.
    /// </summary>
    public void SwapStorage(ReplyBuffer other)
    {
        (_buf, other._buf) = (other._buf, _buf);
        (_len, other._len) = (other._len, _len);
    }

    /// <summary>Returns oversized storage to the pool once a burst is over, so idle clients stay small.</summary>
    public void ShrinkIfLarge(int keep = 64 * 1024)
    {
        if (_len == 0 && _buf.Length > keep)
        {
            ArrayPool<byte>.Shared.Return(_buf);
            _buf = ArrayPool<byte>.Shared.Rent(4096);
        }
    }

    public void Release()
    {
        if (_buf.Length > 0) ArrayPool<byte>.Shared.Return(_buf);
        _buf = [];
        _len = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> GetSpan(int size)
    {
        if (_buf.Length - _len < size) Grow(size);
        return _buf.AsSpan(_len);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance(int count) => _len += count;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int size)
    {
        long wanted = Math.Max((long)_buf.Length * 2, (long)_len + size);
        if (wanted > Array.MaxLength) wanted = Math.Max(Array.MaxLength, _len + size);
        var next = ArrayPool<byte>.Shared.Rent((int)wanted);
        _buf.AsSpan(0, _len).CopyTo(next);
        if (_buf.Length > 0) ArrayPool<byte>.Shared.Return(_buf);
        _buf = next;
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _len += bytes.Length;
    }

    // ---- simple frames -------------------------------------------------------------------------

    public void Ok() => WriteRaw("+OK\r\n"u8);

    public void SimpleString(ReadOnlySpan<byte> text)
    {
        var span = GetSpan(text.Length + 3);
        span[0] = (byte)'+';
        text.CopyTo(span[1..]);
        span[text.Length + 1] = (byte)'\r';
        span[text.Length + 2] = (byte)'\n';
        _len += text.Length + 3;
    }

    public void SimpleString(string text) => SimpleString(Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// An error reply. <paramref name="message"/> starts with its code ("ERR ...", "WRONGTYPE ...").
    /// Newlines are replaced by spaces, as Redis does, so the reply stays one line.
    /// </summary>
    public void Error(string message)
    {
        int max = Encoding.UTF8.GetMaxByteCount(message.Length);
        var span = GetSpan(max + 3);
        span[0] = (byte)'-';
        int n = Encoding.UTF8.GetBytes(message, span[1..]);
        SanitizeLine(span.Slice(1, n));
        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        _len += n + 3;
    }

    /// <summary>An error reply from bytes that already start with the error code.</summary>
    public void Error(ReadOnlySpan<byte> message)
    {
        var span = GetSpan(message.Length + 3);
        span[0] = (byte)'-';
        message.CopyTo(span[1..]);
        SanitizeLine(span.Slice(1, message.Length));
        span[message.Length + 1] = (byte)'\r';
        span[message.Length + 2] = (byte)'\n';
        _len += message.Length + 3;
    }

    private static void SanitizeLine(Span<byte> s)
    {
        int i;
        while ((i = s.IndexOfAny((byte)'\r', (byte)'\n')) >= 0) { s[i] = (byte)' '; s = s[(i + 1)..]; }
    }

    public void Integer(long value)
    {
        if ((ulong)value < 10)
        {
            var s = GetSpan(4);
            s[0] = (byte)':'; s[1] = (byte)('0' + value); s[2] = (byte)'\r'; s[3] = (byte)'\n';
            _len += 4;
            return;
        }
        WritePrefixedNumber((byte)':', value);
    }

    // ---- bulk strings ------------------------------------------------------------------------------

    public void Bulk(ReadOnlySpan<byte> value)
    {
        var span = GetSpan(value.Length + 1 + RespNumbers.MaxInt64Chars + 4);
        span[0] = (byte)'$';
        int n = 1 + RespNumbers.FormatInt64(value.Length, span[1..]);
        span[n++] = (byte)'\r';
        span[n++] = (byte)'\n';
        value.CopyTo(span[n..]);
        n += value.Length;
        span[n++] = (byte)'\r';
        span[n++] = (byte)'\n';
        _len += n;
    }

    public void Bulk(string value) => Bulk(Encoding.UTF8.GetBytes(value));

    /// <summary>A long as a bulk string, as Redis replies for numbers stored in strings.</summary>
    public void BulkInteger(long value)
    {
        Span<byte> tmp = stackalloc byte[RespNumbers.MaxInt64Chars];
        int n = RespNumbers.FormatInt64(value, tmp);
        Bulk(tmp[..n]);
    }

    /// <summary>The null bulk string: <c>$-1</c> in RESP2, <c>_</c> in RESP3.</summary>
    public void Null()
    {
        if (Protocol == 3) WriteRaw("_\r\n"u8); else WriteRaw("$-1\r\n"u8);
    }

    /// <summary>The null array: <c>*-1</c> in RESP2, <c>_</c> in RESP3.</summary>
    public void NullArray()
    {
        if (Protocol == 3) WriteRaw("_\r\n"u8); else WriteRaw("*-1\r\n"u8);
    }

    // ---- aggregates ---------------------------------------------------------------------------------

    public void ArrayHeader(long count) => WritePrefixedNumber((byte)'*', count);

    /// <summary>A map of <paramref name="pairs"/> entries: <c>%</c> in RESP3, a flat array of 2n in RESP2.</summary>
    public void MapHeader(long pairs)
    {
        if (Protocol == 3) WritePrefixedNumber((byte)'%', pairs);
        else WritePrefixedNumber((byte)'*', pairs * 2);
    }

    /// <summary>A set: <c>~</c> in RESP3, an array in RESP2.</summary>
    public void SetHeader(long count) => WritePrefixedNumber(Protocol == 3 ? (byte)'~' : (byte)'*', count);

    /// <summary>An out-of-band push (pub/sub messages): <c>&gt;</c> in RESP3, an array in RESP2.</summary>
    public void PushHeader(long count) => WritePrefixedNumber(Protocol == 3 ? (byte)'>' : (byte)'*', count);

    /// <summary>An attribute-free boolean: <c>#t</c>/<c>#f</c> in RESP3, <c>:1</c>/<c>:0</c> in RESP2.</summary>
    public void Boolean(bool value)
    {
        if (Protocol == 3) WriteRaw(value ? "#t\r\n"u8 : "#f\r\n"u8);
        else WriteRaw(value ? ":1\r\n"u8 : ":0\r\n"u8);
    }

    /// <summary>A double as Redis 7.0 sends it: <c>,%.17g</c> in RESP3, a bulk string in RESP2.</summary>
    public void Double(double value)
    {
        Span<byte> tmp = stackalloc byte[32];
        int n = RespNumbers.FormatDouble(value, tmp);
        if (Protocol == 3)
        {
            var span = GetSpan(n + 3);
            span[0] = (byte)',';
            tmp[..n].CopyTo(span[1..]);
            span[n + 1] = (byte)'\r';
            span[n + 2] = (byte)'\n';
            _len += n + 3;
        }
        else Bulk(tmp[..n]);
    }

    /// <summary>Verbatim text (INFO, CLIENT LIST...): <c>=len\r\ntxt:...</c> in RESP3, a bulk string in RESP2.</summary>
    public void Verbatim(ReadOnlySpan<byte> text, string format = "txt")
    {
        if (Protocol != 3) { Bulk(text); return; }
        WritePrefixedNumber((byte)'=', text.Length + 4);
        var span = GetSpan(text.Length + 6);
        for (int i = 0; i < 3; i++) span[i] = (byte)format[i];
        span[3] = (byte)':';
        text.CopyTo(span[4..]);
        span[text.Length + 4] = (byte)'\r';
        span[text.Length + 5] = (byte)'\n';
        _len += text.Length + 6;
    }

    public void Verbatim(string text) => Verbatim(Encoding.UTF8.GetBytes(text));

    private void WritePrefixedNumber(byte prefix, long value)
    {
        var span = GetSpan(RespNumbers.MaxInt64Chars + 3);
        span[0] = prefix;
        int n = 1 + RespNumbers.FormatInt64(value, span[1..]);
        span[n++] = (byte)'\r';
        span[n++] = (byte)'\n';
        _len += n;
    }
}
