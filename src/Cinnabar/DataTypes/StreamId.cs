using System.Buffers.Text;
using Cinnabar.Protocol;

namespace Cinnabar.DataTypes;

/// <summary>A stream entry ID: milliseconds and sequence number, ordered as a 128-bit unsigned pair.</summary>
public readonly record struct StreamId(ulong Ms, ulong Seq) : IComparable<StreamId>
{
    public static readonly StreamId Min = new(0, 0);
    public static readonly StreamId Max = new(ulong.MaxValue, ulong.MaxValue);

    public int CompareTo(StreamId other)
    {
        int c = Ms.CompareTo(other.Ms);
        return c != 0 ? c : Seq.CompareTo(other.Seq);
    }

    public static bool operator <(StreamId a, StreamId b) => a.CompareTo(b) < 0;
    public static bool operator >(StreamId a, StreamId b) => a.CompareTo(b) > 0;
    public static bool operator <=(StreamId a, StreamId b) => a.CompareTo(b) <= 0;
    public static bool operator >=(StreamId a, StreamId b) => a.CompareTo(b) >= 0;

    public bool IsZero => Ms == 0 && Seq == 0;

    /// <summary>The next ID in order; false at the maximum.</summary>
    public bool TryIncrement(out StreamId next)
    {
        if (Seq != ulong.MaxValue) { next = new(Ms, Seq + 1); return true; }
        if (Ms != ulong.MaxValue) { next = new(Ms + 1, 0); return true; }
        next = this;
        return false;
    }

    /// <summary>The previous ID in order; false at 0-0.</summary>
    public bool TryDecrement(out StreamId prev)
    {
        if (Seq != 0) { prev = new(Ms, Seq - 1); return true; }
        if (Ms != 0) { prev = new(Ms - 1, ulong.MaxValue); return true; }
        prev = this;
        return false;
    }

    /// <summary>Formats "ms-seq" into <paramref name="dest"/> (at least 41 bytes); returns the length.</summary>
    public int Format(Span<byte> dest)
    {
        Utf8Formatter.TryFormat(Ms, dest, out int n);
        dest[n++] = (byte)'-';
        Utf8Formatter.TryFormat(Seq, dest[n..], out int m);
        return n + m;
    }

    public void WriteBulk(ReplyBuffer reply)
    {
        Span<byte> tmp = stackalloc byte[48];
        reply.Bulk(tmp[..Format(tmp)]);
    }

    public override string ToString() => $"{Ms}-{Seq}";

    /// <summary>
    /// Parses an ID argument as Redis does: "-" and "+" (unless <paramref name="strict"/>), "ms" (the
    /// sequence becomes <paramref name="missingSeq"/>), "ms-seq", and "ms-*" when <paramref name="allowSeqStar"/>.
    /// Like Redis' C string handling, the text ends at the first NUL byte.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> s, ulong missingSeq, bool strict, bool allowSeqStar, out StreamId id, out bool seqStar)
    {
        id = default;
        seqStar = false;
        if (s.Length > 127) return false;
        int nul = s.IndexOf((byte)0);
        if (nul >= 0) s = s[..nul];
        if (s.Length == 1 && (s[0] == '-' || s[0] == '+'))
        {
            if (strict) return false;
            id = s[0] == '-' ? Min : Max;
            return true;
        }
        int dash = s.IndexOf((byte)'-');
        var msPart = dash < 0 ? s : s[..dash];
        if (!TryParseULong(msPart, out ulong ms)) return false;
        if (dash < 0) { id = new(ms, missingSeq); return true; }
        var seqPart = s[(dash + 1)..];
        if (allowSeqStar && seqPart.Length == 1 && seqPart[0] == '*')
        {
            seqStar = true;
            id = new(ms, 0);
            return true;
        }
        if (!TryParseULong(seqPart, out ulong seq)) return false;
        id = new(ms, seq);
        return true;
    }

    public static bool TryParse(ReadOnlySpan<byte> s, ulong missingSeq, bool strict, out StreamId id)
        => TryParse(s, missingSeq, strict, false, out id, out _);

    /// <summary>
    /// Redis' string2ull: a strict integer first; otherwise strtoull's leniency (leading blanks, '+',
    /// leading zeros, and a '-' that wraps modulo 2^64).
    /// </summary>
    private static bool TryParseULong(ReadOnlySpan<byte> s, out ulong value)
    {
        value = 0;
        if (s.Length == 0) return false;
        if (RespNumbers.TryParseInt64(s, out long strict))
        {
            if (strict < 0) return false;
            value = (ulong)strict;
            return true;
        }
        int i = 0;
        while (i < s.Length && (s[i] == ' ' || (s[i] >= 9 && s[i] <= 13))) i++;
        bool negative = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) { negative = s[i] == '-'; i++; }
        if (i == s.Length) return false;
        for (; i < s.Length; i++)
        {
            uint d = (uint)(s[i] - '0');
            if (d > 9) return false;
            if (value > (ulong.MaxValue - d) / 10) return false;
            value = value * 10 + d;
        }
        if (negative) value = unchecked(0 - value);
        return true;
    }
}
