using System.Runtime.CompilerServices;

namespace Cinnabar.Protocol;

/// <summary>One argument of a request: a slice of the receive buffer (zero-copy).</summary>
public readonly record struct ArgSlice(int Offset, int Length);

public enum ParseStatus
{
    /// <summary>A whole command was read; <see cref="RequestParser.Args"/> holds it.</summary>
    Complete,
    /// <summary>An empty command (<c>*0</c>, <c>*-1</c> or a blank inline line) was skipped.</summary>
    Empty,
    /// <summary>More bytes are needed. State is kept; call again when they arrive.</summary>
    Incomplete,
    /// <summary>The input violates the protocol; <see cref="RequestParser.Error"/> says how. The connection must close.</summary>
    Error,
}

/// <summary>
/// Parses client requests (RESP multibulk and inline commands) the way redis-server does, so that
/// malformed input gets byte-identical errors. Arguments are slices of the caller's buffer; inline
/// arguments with quotes are unescaped in place (the unescaped text is never longer).
/// The parser is resumable: on <see cref="ParseStatus.Incomplete"/> it remembers how far it got,
/// so a large request that arrives in many reads is scanned once, not once per read.
/// </summary>
public sealed class RequestParser
{
    /// <summary>Longest header or inline line accepted without a newline (Redis' PROTO_INLINE_MAX_SIZE).</summary>
    public const int InlineMaxSize = 64 * 1024;

    private ArgSlice[] _args = new ArgSlice[8];
    private int _argCount;
    private int _multibulkRemaining;   // arguments still to read; 0 when not inside a multibulk
    private long _bulkLength = -1;      // length of the bulk being read, -1 while its header is pending

    /// <summary>proto-max-bulk-len: the largest bulk argument accepted.</summary>
    public long MaxBulkLength { get; set; } = 512L * 1024 * 1024;

    /// <summary>When set, only small requests are accepted, as Redis does before AUTH.</summary>
    public bool Unauthenticated { get; set; }

    /// <summary>The protocol error text (without the leading "-ERR ") after <see cref="ParseStatus.Error"/>.</summary>
    public string? Error { get; private set; }

    public ReadOnlySpan<ArgSlice> Args => new(_args, 0, _argCount);
    public int ArgCount => _argCount;

    /// <summary>True between the first and the last byte of a command.</summary>
    public bool InCommand => _multibulkRemaining > 0;

    public void Reset()
    {
        _argCount = 0;
        _multibulkRemaining = 0;
        _bulkLength = -1;
        Error = null;
    }

    /// <summary>Moves the offsets of the arguments read so far, after the caller moved its buffer contents.</summary>
    public void Shift(int delta)
    {
        for (int i = 0; i < _argCount; i++)
            _args[i] = new ArgSlice(_args[i].Offset + delta, _args[i].Length);
    }

    /// <summary>
    /// Reads the next command from <paramref name="buffer"/>[<paramref name="pos"/>..<paramref name="end"/>).
    /// <paramref name="pos"/> advances past everything consumed. The caller must keep the bytes of a partially
    /// read command (from where it started) in the buffer until it completes.
    /// </summary>
    public ParseStatus Parse(byte[] buffer, ref int pos, int end)
    {
        if (_multibulkRemaining == 0)
        {
            _argCount = 0;
            if (pos >= end) return ParseStatus.Incomplete;
            if (buffer[pos] != (byte)'*') return ParseInline(buffer, ref pos, end);

            int nl = FindCString(buffer, pos, end, (byte)'\r');
            if (nl < 0)
            {
                if (end - pos > InlineMaxSize) return Fail("Protocol error: too big mbulk count string");
                return ParseStatus.Incomplete;
            }
            if (nl + 1 >= end) return ParseStatus.Incomplete; // need the '\n' too
            if (!TryParseInt64(buffer.AsSpan(pos + 1, nl - pos - 1), out long count) || count > int.MaxValue)
                return Fail("Protocol error: invalid multibulk length");
            if (count > 10 && Unauthenticated)
                return Fail("Protocol error: unauthenticated multibulk length");
            pos = nl + 2;
            if (count <= 0) return ParseStatus.Empty;
            _multibulkRemaining = (int)count;
            _bulkLength = -1;
        }

        while (_multibulkRemaining > 0)
        {
            if (_bulkLength == -1)
            {
                int nl = FindCString(buffer, pos, end, (byte)'\r');
                if (nl < 0)
                {
                    if (end - pos > InlineMaxSize) return Fail("Protocol error: too big bulk count string");
                    return ParseStatus.Incomplete;
                }
                if (nl + 1 >= end) return ParseStatus.Incomplete;
                if (buffer[pos] != (byte)'$')
                    return Fail($"Protocol error: expected '$', got '{(char)buffer[pos]}'");
                if (!TryParseInt64(buffer.AsSpan(pos + 1, nl - pos - 1), out long len) || len < 0 || len > MaxBulkLength)
                    return Fail("Protocol error: invalid bulk length");
                if (len > 16384 && Unauthenticated)
                    return Fail("Protocol error: unauthenticated bulk length");
                pos = nl + 2;
                _bulkLength = len;
            }

            // Like Redis, the two bytes after the payload are skipped without being checked.
            if (end - pos < _bulkLength + 2) return ParseStatus.Incomplete;
            AddArg(pos, (int)_bulkLength);
            pos += (int)_bulkLength + 2;
            _bulkLength = -1;
            _multibulkRemaining--;
        }
        return ParseStatus.Complete;
    }

    /// <summary>Bytes still needed to finish the bulk being read, or 0 when unknown (used to size the buffer).</summary>
    public long PendingBulkBytes => _bulkLength >= 0 ? _bulkLength + 2 : 0;

    private ParseStatus ParseInline(byte[] buffer, ref int pos, int end)
    {
        int nl = FindCString(buffer, pos, end, (byte)'\n');
        if (nl < 0)
        {
            if (end - pos > InlineMaxSize) return Fail("Protocol error: too big inline request");
            return ParseStatus.Incomplete;
        }
        int lineEnd = nl;
        if (lineEnd != pos && buffer[lineEnd - 1] == (byte)'\r') lineEnd--;
        int start = pos;
        pos = nl + 1;
        if (!SplitArgs(buffer, start, lineEnd))
        {
            _argCount = 0;
            return Fail("Protocol error: unbalanced quotes in request");
        }
        return _argCount == 0 ? ParseStatus.Empty : ParseStatus.Complete;
    }

    /// <summary>Redis' sdssplitargs, writing the unescaped arguments back over the line.</summary>
    private bool SplitArgs(byte[] b, int p, int end)
    {
        int w = p; // write position, never ahead of p
        while (true)
        {
            while (p < end && IsSpace(b[p])) p++;
            if (p >= end) return true;

            int argStart = w;
            bool inq = false, insq = false, done = false;
            while (!done)
            {
                if (inq)
                {
                    if (p >= end) return false; // unterminated quotes
                    if (b[p] == '\\' && p + 3 < end && b[p + 1] == 'x' && IsHex(b[p + 2]) && IsHex(b[p + 3]))
                    {
                        b[w++] = (byte)(HexValue(b[p + 2]) * 16 + HexValue(b[p + 3]));
                        p += 3;
                    }
                    else if (b[p] == '\\' && p + 1 < end)
                    {
                        p++;
                        b[w++] = b[p] switch
                        {
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            (byte)'b' => (byte)'\b',
                            (byte)'a' => (byte)'\a',
                            var c => c,
                        };
                    }
                    else if (b[p] == '"')
                    {
                        // closing quote must be followed by a space or nothing at all
                        if (p + 1 < end && !IsSpace(b[p + 1])) return false;
                        done = true;
                    }
                    else b[w++] = b[p];
                }
                else if (insq)
                {
                    if (p >= end) return false;
                    if (b[p] == '\\' && p + 1 < end && b[p + 1] == '\'')
                    {
                        p++;
                        b[w++] = (byte)'\'';
                    }
                    else if (b[p] == '\'')
                    {
                        if (p + 1 < end && !IsSpace(b[p + 1])) return false;
                        done = true;
                    }
                    else b[w++] = b[p];
                }
                else
                {
                    if (p >= end) { done = true; break; }
                    switch (b[p])
                    {
                        case (byte)' ': case (byte)'\n': case (byte)'\r': case (byte)'\t': case 0:
                            done = true; break;
                        case (byte)'"': inq = true; break;
                        case (byte)'\'': insq = true; break;
                        default: b[w++] = b[p]; break;
                    }
                }
                if (p < end) p++;
            }
            // The write position never passes the read position, so unread input is never overwritten.
            AddArg(argStart, w - argStart);
        }
    }

    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';
    private static bool IsHex(byte c) => c is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';
    private static int HexValue(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddArg(int offset, int length)
    {
        if (_argCount == _args.Length) Array.Resize(ref _args, _args.Length * 2);
        _args[_argCount++] = new ArgSlice(offset, length);
    }

    /// <summary>
    /// Finds <paramref name="target"/> the way C's strchr does on Redis' query buffer: a NUL byte ends the search.
    /// </summary>
    private static int FindCString(byte[] buffer, int from, int end, byte target)
    {
        var span = buffer.AsSpan(from, end - from);
        int i = span.IndexOfAny(target, (byte)0);
        if (i < 0 || span[i] == 0) return -1;
        return from + i;
    }

    private ParseStatus Fail(string message)
    {
        Error = message;
        _multibulkRemaining = 0;
        _bulkLength = -1;
        return ParseStatus.Error;
    }

    /// <summary>Redis' string2ll: optional '-', no '+', no leading zeros, no spaces, within long range.</summary>
    public static bool TryParseInt64(ReadOnlySpan<byte> s, out long value) => RespNumbers.TryParseInt64(s, out value);
}
