namespace Cinnabar.Replication;

/// <summary>
/// The replication backlog: a circular buffer holding the last <c>repl-backlog-size</c> bytes of the
/// replication stream, so a replica that reconnects can continue from its offset (+CONTINUE) instead of
/// a full resync. Offsets are those of the whole stream: the first byte ever sent is offset 1.
/// </summary>
public sealed class ReplicationBacklog
{
    private byte[] _buffer;
    private int _writeIndex;

    public ReplicationBacklog(long size) => _buffer = new byte[Math.Clamp(size, 16 * 1024, Array.MaxLength)];

    public long Size => _buffer.Length;
    /// <summary>Bytes of history held (repl_backlog_histlen).</summary>
    public long HistoryLength { get; private set; }
    /// <summary>Offset of the last byte appended (master_repl_offset when the backlog is in sync with it).</summary>
    public long EndOffset { get; private set; }
    /// <summary>Offset of the first byte held (repl_backlog_first_byte_offset).</summary>
    public long FirstByteOffset => EndOffset - HistoryLength + 1;

    /// <summary>Starts empty at <paramref name="offset"/> (the stream offset already reached).</summary>
    public void Reset(long offset)
    {
        EndOffset = offset;
        HistoryLength = 0;
        _writeIndex = 0;
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        EndOffset += data.Length;
        if (data.Length >= _buffer.Length)
        {
            data[^_buffer.Length..].CopyTo(_buffer);
            _writeIndex = 0;
            HistoryLength = _buffer.Length;
            return;
        }
        int first = Math.Min(data.Length, _buffer.Length - _writeIndex);
        data[..first].CopyTo(_buffer.AsSpan(_writeIndex));
        data[first..].CopyTo(_buffer);
        _writeIndex = (_writeIndex + data.Length) % _buffer.Length;
        HistoryLength = Math.Min(HistoryLength + data.Length, _buffer.Length);
    }

    /// <summary>True when the bytes from <paramref name="offset"/> (inclusive) to the end are still held.</summary>
    public bool Covers(long offset) => offset >= FirstByteOffset && offset <= EndOffset + 1;

    /// <summary>Copies the bytes from <paramref name="offset"/> to the end of the stream.</summary>
    public byte[] ReadFrom(long offset)
    {
        if (!Covers(offset)) throw new ArgumentOutOfRangeException(nameof(offset));
        int count = (int)(EndOffset - offset + 1);
        var result = new byte[count];
        int start = (int)(((_writeIndex - count) % _buffer.Length + _buffer.Length) % _buffer.Length);
        int first = Math.Min(count, _buffer.Length - start);
        _buffer.AsSpan(start, first).CopyTo(result);
        _buffer.AsSpan(0, count - first).CopyTo(result.AsSpan(first));
        return result;
    }

    public void Resize(long size)
    {
        var history = HistoryLength > 0 ? ReadFrom(FirstByteOffset) : [];
        long end = EndOffset;
        _buffer = new byte[Math.Clamp(size, 16 * 1024, Array.MaxLength)];
        Reset(end - history.Length);
        Append(history);
    }
}
