using Cinnabar.Protocol;

namespace Cinnabar.Persistence;

/// <summary>What <see cref="AofCommandReader.Next"/> found.</summary>
public enum AofReadResult { Command, Annotation, End, Truncated, Corrupt }

/// <summary>
/// Reads the commands of an AOF file (Redis' strict form: <c>*argc</c>, then <c>$len</c> bulk strings, and
/// <c>#</c> annotation lines) from a stream through a bounded buffer, so a file of any size loads with the
/// memory of its largest command. The buffer holds whole commands only when they are returned: a command
/// split across reads is kept (moved to the front) and completed by the next read; one larger than the
/// buffer grows it (never past what the file still holds, so a corrupt length cannot make it allocate
/// gigabytes) and the buffer shrinks back afterwards.
/// <para>
/// The arguments of the last <see cref="AofReadResult.Command"/> are <see cref="Args"/> slices of
/// <see cref="Buffer"/>, valid until the next call.
/// </para>
/// </summary>
public sealed class AofCommandReader
{
    private readonly Stream _stream;
    private readonly int _chunk;
    private byte[] _buf;
    private int _start, _end;   // unparsed bytes: _buf[_start.._end)
    private long _bufOffset;    // file offset of _buf[0]
    private bool _eof;

    public AofCommandReader(Stream stream, long startOffset = 0, int chunkSize = 256 * 1024)
    {
        _stream = stream;
        _chunk = Math.Max(chunkSize, 1);
        _buf = new byte[_chunk];
        _bufOffset = startOffset;
    }

    public byte[] Buffer => _buf;
    public ArgSlice[] Args = new ArgSlice[16];
    public int Argc;
    /// <summary>File offset where the last command or annotation returned started (where a corrupt one starts).</summary>
    public long CommandOffset { get; private set; }
    /// <summary>File offset just past the last command or annotation returned.</summary>
    public long Position => _bufOffset + _start;
    /// <summary>The buffer's current size (tests check it stays bounded).</summary>
    public int BufferSize => _buf.Length;

    public AofReadResult Next()
    {
        while (true)
        {
            CommandOffset = Position;
            if (_start == _end)
            {
                if (_eof) return AofReadResult.End;
                Fill();
                continue;
            }
            int pos = _start;
            var r = Parse(_buf, _end, ref pos, ref Args, out Argc);
            if (r == AofReadResult.Truncated && !_eof)
            {
                Fill();
                continue;
            }
            if (r is AofReadResult.Command or AofReadResult.Annotation) _start = pos;
            return r;
        }
    }

    /// <summary>Keeps the unparsed bytes (moved to the front) and reads more after them.</summary>
    private void Fill()
    {
        int kept = _end - _start;
        if (_buf.Length > _chunk * 4 && kept < _chunk)
        {
            // A large command is done: back to the normal buffer.
            var small = new byte[_chunk];
            System.Buffer.BlockCopy(_buf, _start, small, 0, kept);
            _buf = small;
        }
        else if (_start > 0)
        {
            System.Buffer.BlockCopy(_buf, _start, _buf, 0, kept);
        }
        _bufOffset += _start;
        _start = 0;
        _end = kept;
        if (_end == _buf.Length)
        {
            // One command is larger than the buffer: grow it, but not past the end of the file.
            long size = (long)_buf.Length * 2;
            if (_stream.CanSeek) size = Math.Min(size, _end + Math.Max(1, _stream.Length - _stream.Position));
            size = Math.Min(size, Array.MaxLength);
            if (size <= _buf.Length) { _eof = true; return; }
            Array.Resize(ref _buf, (int)size);
        }
        int n = _stream.Read(_buf, _end, _buf.Length - _end);
        if (n == 0) _eof = true;
        else _end += n;
    }

    /// <summary>One command or annotation line in <paramref name="data"/>[<paramref name="pos"/>..<paramref name="end"/>).</summary>
    internal static AofReadResult Parse(byte[] data, int end, ref int pos, ref ArgSlice[] args, out int argc)
    {
        argc = 0;
        int p = pos;
        if (data[p] == (byte)'#')
        {
            int nl = data.AsSpan(p, end - p).IndexOf((byte)'\n');
            if (nl < 0) return AofReadResult.Truncated;
            pos = p + nl + 1;
            return AofReadResult.Annotation;
        }
        if (data[p] != (byte)'*') return AofReadResult.Corrupt;
        var r = ReadNumber(data, end, ref p, out long count);
        if (r != AofReadResult.Command) return r;
        if (count < 1 || count > int.MaxValue / 2) return AofReadResult.Corrupt;
        if (args.Length < count) args = new ArgSlice[Math.Max(count, args.Length * 2)];
        for (int i = 0; i < count; i++)
        {
            if (p >= end) return AofReadResult.Truncated;
            if (data[p] != (byte)'$') return AofReadResult.Corrupt;
            r = ReadNumber(data, end, ref p, out long len);
            if (r != AofReadResult.Command) return r;
            if (len < 0 || len > int.MaxValue - 2) return AofReadResult.Corrupt;
            if (end - p < len + 2) return AofReadResult.Truncated;
            if (data[p + len] != (byte)'\r' || data[p + len + 1] != (byte)'\n') return AofReadResult.Corrupt;
            args[i] = new ArgSlice(p, (int)len);
            p += (int)len + 2;
        }
        argc = (int)count;
        pos = p;
        return AofReadResult.Command;
    }

    /// <summary>The number after a '*' or '$' up to CRLF; <paramref name="p"/> moves past the line.</summary>
    private static AofReadResult ReadNumber(byte[] data, int end, ref int p, out long value)
    {
        value = 0;
        // A count or length line is short: a long run without a newline is corruption, not a short read.
        int nl = data.AsSpan(p, Math.Min(end - p, 32)).IndexOf((byte)'\n');
        if (nl < 0) return end - p >= 32 ? AofReadResult.Corrupt : AofReadResult.Truncated;
        if (nl < 2 || data[p + nl - 1] != (byte)'\r') return AofReadResult.Corrupt;
        if (!RespNumbers.TryParseInt64(data.AsSpan(p + 1, nl - 2), out value)) return AofReadResult.Corrupt;
        p += nl + 1;
        return AofReadResult.Command;
    }
}
