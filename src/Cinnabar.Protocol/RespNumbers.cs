using System.Buffers.Text;
using System.Globalization;

namespace Cinnabar.Protocol;

/// <summary>Number parsing and formatting with the exact rules and output of redis-server.</summary>
public static class RespNumbers
{
    /// <summary>Longest decimal long: "-9223372036854775808".</summary>
    public const int MaxInt64Chars = 20;

    /// <summary>Redis' string2ll: optional '-', no '+', no leading zeros, no spaces, within long range.</summary>
    public static bool TryParseInt64(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        int len = s.Length;
        if (len == 0 || len > MaxInt64Chars) return false;
        if (len == 1 && s[0] == '0') return true;
        int i = 0;
        bool negative = false;
        if (s[0] == '-')
        {
            negative = true;
            i++;
            if (len == 1) return false;
        }
        if (s[i] < '1' || s[i] > '9') return false;
        ulong v = 0;
        for (; i < len; i++)
        {
            uint d = (uint)(s[i] - '0');
            if (d > 9) return false;
            if (v > (ulong.MaxValue - d) / 10) return false;
            v = v * 10 + d;
        }
        if (negative)
        {
            if (v > (ulong)long.MaxValue + 1) return false;
            value = (long)(0 - v);
        }
        else
        {
            if (v > long.MaxValue) return false;
            value = (long)v;
        }
        return true;
    }

    /// <summary>Formats a long as decimal; returns the number of bytes written (dest needs 20 bytes).</summary>
    public static int FormatInt64(long value, Span<byte> dest)
    {
        Utf8Formatter.TryFormat(value, dest, out int written);
        return written;
    }

    /// <summary>Number of decimal characters of <paramref name="value"/>.</summary>
    public static int CountDigits(long value)
    {
        if (value < 0)
            return value == long.MinValue ? 20 : 1 + CountDigits((ulong)(-value));
        return CountDigits((ulong)value);
    }

    private static int CountDigits(ulong v)
    {
        int n = 1;
        while (v >= 10) { v /= 10; n++; }
        return n;
    }

    /// <summary>
    /// Redis' strtod-based double parsing (getDoubleFromObject / string2d): the whole input must be a number,
    /// no leading space, "inf"/"infinity" accepted with a sign, NaN rejected.
    /// </summary>
    public static bool TryParseDouble(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        if (s.Length == 0 || s.Length > 5 * 1024) return false;
        if (IsCSpace(s[0])) return false;
        int i = 0;
        bool neg = false;
        if (s[0] == '+' || s[0] == '-') { neg = s[0] == '-'; i = 1; }
        var rest = s[i..];
        if (rest.Length > 0 && (rest[0] | 0x20) == 'i')
        {
            if (EqualsIgnoreCase(rest, "inf"u8) || EqualsIgnoreCase(rest, "infinity"u8))
            {
                value = neg ? double.NegativeInfinity : double.PositiveInfinity;
                return true;
            }
            return false;
        }
        if (TryParsePlainDecimal(rest, neg, out value)) return true;
        // strtod accepts digits, '.', exponent; reject anything .NET would accept beyond that (NaN, spaces).
        foreach (byte c in rest)
        {
            if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) return false;
        }
        if (!double.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out value))
            return false;
        if (double.IsNaN(value) || double.IsInfinity(value)) return false; // ERANGE overflow in strtod
        if (value == 0)
        {
            // ERANGE underflow: a non-zero mantissa that rounds to zero ("1e-400") is refused as Redis does.
            foreach (byte c in rest)
            {
                if (c is (byte)'e' or (byte)'E') break;
                if (c is >= (byte)'1' and <= (byte)'9') return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Clinger's fast path for the common case (scores such as "1.5", "-2.25", "1000"): at most 15 digits, one
    /// optional point, no exponent. The digits and the power of ten are then exact doubles and one division is
    /// correctly rounded, so the result is the one strtod and double.Parse give, without their general machinery.
    /// </summary>
    private static bool TryParsePlainDecimal(ReadOnlySpan<byte> s, bool negative, out double value)
    {
        value = 0;
        if (s.Length == 0 || s.Length > 16) return false;
        long mantissa = 0;
        int digits = 0, fraction = -1;
        foreach (byte c in s)
        {
            if (c is >= (byte)'0' and <= (byte)'9')
            {
                mantissa = mantissa * 10 + (c - '0');
                digits++;
                if (fraction >= 0) fraction++;
            }
            else if (c == '.' && fraction < 0) fraction = 0;
            else return false;
        }
        if (digits == 0 || digits > 15) return false;
        double v = fraction > 0 ? mantissa / PowersOfTen[fraction] : mantissa;
        value = negative ? -v : v;
        return true;
    }

    private static ReadOnlySpan<double> PowersOfTen => [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

    /// <summary>
    /// Formats like C's printf("%.17g"), which Redis 7.0 uses for double replies (ZSCORE and friends),
    /// with "inf"/"-inf" for infinities. Returns bytes written; dest needs 32 bytes.
    /// </summary>
    public static int FormatDouble(double value, Span<byte> dest)
    {
        if (double.IsPositiveInfinity(value)) { "inf"u8.CopyTo(dest); return 3; }
        if (double.IsNegativeInfinity(value)) { "-inf"u8.CopyTo(dest); return 4; }
        if (double.IsNaN(value)) { "nan"u8.CopyTo(dest); return 3; }
        // Whole numbers (most scores) print as integers under %.17g; formatting them as a long is several
        // times cheaper than the general G17 path. -0 keeps its sign there.
        if (value >= -1e15 && value <= 1e15 && value == Math.Truncate(value) && !(value == 0 && double.IsNegative(value)))
        {
            ((long)value).TryFormat(dest, out int written, default, CultureInfo.InvariantCulture);
            return written;
        }
        value.TryFormat(dest, out int n, "G17", CultureInfo.InvariantCulture);
        // .NET writes "E+20"; C writes "e+20" (both with at least two exponent digits).
        for (int i = 0; i < n; i++)
            if (dest[i] == 'E') { dest[i] = (byte)'e'; break; }
        return n;
    }

    /// <summary>Formats a double the way Redis' %.17g would, as a string (for cold paths such as INFO).</summary>
    public static string FormatDouble(double value)
    {
        Span<byte> buf = stackalloc byte[32];
        int n = FormatDouble(value, buf);
        return System.Text.Encoding.ASCII.GetString(buf[..n]);
    }

    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> a, ReadOnlySpan<byte> asciiLower)
    {
        if (a.Length != asciiLower.Length) return false;
        for (int i = 0; i < a.Length; i++)
        {
            byte c = a[i];
            if (c >= 'A' && c <= 'Z') c = (byte)(c | 0x20);
            if (c != asciiLower[i]) return false;
        }
        return true;
    }

    private static bool IsCSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';
}
