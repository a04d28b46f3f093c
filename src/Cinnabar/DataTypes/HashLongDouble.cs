using System.Numerics;
using System.Text;

namespace Cinnabar.DataTypes;

/// <summary>
/// A minimal emulation of the x87 80-bit long double that Redis uses for HINCRBYFLOAT: strtold-style parsing
/// (correctly rounded to a 64-bit significand), addition rounded to nearest-even, and "%.17Lf" output with
/// trailing zeros trimmed (Redis' ld2string LD_STR_HUMAN). Exact arithmetic on BigInteger keeps it simple;
/// HINCRBYFLOAT is not a hot path. Subnormals are not modelled.
/// TODO: share with the long double helper of INCRBYFLOAT once merged.
/// </summary>
public readonly struct HashLongDouble
{
    private const int SignificandBits = 64;
    private const int MaxExponent = 16384 - SignificandBits;      // value < 2^16384
    private const int MinExponent = -16382 - (SignificandBits - 1); // smallest normal, subnormals not modelled

    /// <summary>Value = (Negative ? -1 : 1) * Significand * 2^Exponent.</summary>
    public readonly BigInteger Significand;
    public readonly int Exponent;
    public readonly bool Negative;
    /// <summary>Infinity, or NaN from inf - inf: Redis refuses both alike.</summary>
    public readonly bool IsInfinity;

    private HashLongDouble(BigInteger significand, int exponent, bool negative, bool infinity = false)
    {
        Significand = significand;
        Exponent = exponent;
        Negative = negative;
        IsInfinity = infinity;
    }

    public static HashLongDouble Zero => new(BigInteger.Zero, 0, false);

    private static readonly BigInteger Ten = 10;

    /// <summary>Redis' string2ld: the whole text must be a number; overflow, underflow and NaN are rejected.</summary>
    public static bool TryParse(ReadOnlySpan<byte> s, out HashLongDouble value)
    {
        value = Zero;
        if (s.Length == 0 || s.Length >= 5 * 1024) return false;
        int i = 0;
        bool neg = false;
        if (s[0] == '+' || s[0] == '-') { neg = s[0] == '-'; i = 1; }
        var rest = s[i..];
        if (Ascii.EqualsIgnoreCase(rest, "inf"u8) || Ascii.EqualsIgnoreCase(rest, "infinity"u8))
        {
            value = new HashLongDouble(BigInteger.Zero, 0, neg, infinity: true);
            return true;
        }
        if (rest.Length > 2 && rest[0] == '0' && (rest[1] | 0x20) == 'x') return TryParseHex(rest[2..], neg, out value);
        var digits = BigInteger.Zero;
        int digitCount = 0, fractionDigits = 0;
        bool any = false, dot = false;
        // Accumulate digits in chunks so long inputs stay fast.
        ulong chunk = 0;
        int chunkLen = 0;
        for (; i < s.Length; i++)
        {
            byte ch = s[i];
            if (ch == '.' && !dot) { dot = true; continue; }
            if (ch < '0' || ch > '9') break;
            any = true;
            chunk = chunk * 10 + (ulong)(ch - '0');
            if (++chunkLen == 18)
            {
                digits = digits * 1_000_000_000_000_000_000L + chunk;
                chunk = 0;
                chunkLen = 0;
            }
            if (digitCount > 0 || ch != '0') digitCount++;
            if (dot) fractionDigits++;
        }
        if (chunkLen > 0) digits = digits * BigInteger.Pow(Ten, chunkLen) + chunk;
        if (!any) return false;
        long exp10 = 0;
        if (i < s.Length)
        {
            if ((s[i] | 0x20) != 'e') return false;
            i++;
            bool expNeg = false;
            if (i < s.Length && (s[i] == '+' || s[i] == '-')) { expNeg = s[i] == '-'; i++; }
            if (i == s.Length) return false;
            for (; i < s.Length; i++)
            {
                uint d = (uint)(s[i] - '0');
                if (d > 9) return false;
                if (exp10 < 1_000_000_000) exp10 = exp10 * 10 + d;
            }
            if (expNeg) exp10 = -exp10;
        }
        exp10 -= fractionDigits;
        if (digits.IsZero)
        {
            value = new HashLongDouble(BigInteger.Zero, 0, neg);
            return true;
        }
        long magnitude = exp10 + digitCount; // the number is below 10^magnitude
        if (magnitude > 4934) return false;   // overflow: strtold gives HUGE_VALL with ERANGE
        if (magnitude < -4950) return false;  // underflow to zero with ERANGE
        value = exp10 >= 0
            ? Round(digits * BigInteger.Pow(Ten, (int)exp10), BigInteger.One, 0, neg)
            : Round(digits, BigInteger.Pow(Ten, (int)-exp10), 0, neg);
        return !value.IsInfinity && !value.Significand.IsZero;
    }

    /// <summary>strtold's hexadecimal form after "0x": hex digits, optional fraction, optional "p" binary exponent.</summary>
    private static bool TryParseHex(ReadOnlySpan<byte> s, bool neg, out HashLongDouble value)
    {
        value = Zero;
        var mantissa = BigInteger.Zero;
        long exp2 = 0;
        bool any = false, dot = false;
        int i = 0;
        for (; i < s.Length; i++)
        {
            byte ch = s[i];
            if (ch == '.' && !dot) { dot = true; continue; }
            int d = ch is >= (byte)'0' and <= (byte)'9' ? ch - '0' : (ch | 0x20) is >= 'a' and <= 'f' ? (ch | 0x20) - 'a' + 10 : -1;
            if (d < 0) break;
            any = true;
            mantissa = (mantissa << 4) + d;
            if (dot) exp2 -= 4;
        }
        if (!any) return false;
        if (i < s.Length)
        {
            if ((s[i] | 0x20) != 'p') return false;
            i++;
            bool expNeg = false;
            if (i < s.Length && (s[i] == '+' || s[i] == '-')) { expNeg = s[i] == '-'; i++; }
            if (i == s.Length) return false;
            long e = 0;
            for (; i < s.Length; i++)
            {
                uint d = (uint)(s[i] - '0');
                if (d > 9) return false;
                if (e < 1_000_000_000) e = e * 10 + d;
            }
            exp2 += expNeg ? -e : e;
        }
        if (mantissa.IsZero)
        {
            value = new HashLongDouble(BigInteger.Zero, 0, neg);
            return true;
        }
        if (exp2 + (long)mantissa.GetBitLength() > 16500 || exp2 + (long)mantissa.GetBitLength() < -16500) return false;
        value = Round(mantissa, BigInteger.One, exp2, neg);
        return !value.IsInfinity && !value.Significand.IsZero;
    }

    /// <summary>Rounds num/den * 2^exp2 to a 64-bit significand, ties to even.</summary>
    private static HashLongDouble Round(BigInteger num, BigInteger den, long exp2, bool neg)
    {
        if (num.IsZero) return new HashLongDouble(BigInteger.Zero, 0, neg);
        // Scale so the quotient has 66-68 bits, then round off the excess.
        long shift = (long)num.GetBitLength() - (long)den.GetBitLength() - (SignificandBits + 2);
        BigInteger q, r;
        if (shift >= 0) q = BigInteger.DivRem(num, den << (int)shift, out r);
        else q = BigInteger.DivRem(num << (int)-shift, den, out r);
        long e = exp2 + shift;
        int excess = (int)q.GetBitLength() - SignificandBits;
        if (excess > 0)
        {
            var mask = (BigInteger.One << excess) - 1;
            var low = q & mask;
            q >>= excess;
            e += excess;
            var half = BigInteger.One << (excess - 1);
            int cmp = low.CompareTo(half);
            if (cmp > 0 || (cmp == 0 && (!r.IsZero || !q.IsEven))) q += 1;
            if (q.GetBitLength() > SignificandBits) { q >>= 1; e++; }
        }
        if (e > MaxExponent) return new HashLongDouble(BigInteger.Zero, 0, neg, infinity: true);
        if (e < MinExponent) return new HashLongDouble(BigInteger.Zero, 0, neg);
        return new HashLongDouble(q, (int)e, neg);
    }

    /// <summary>a + b rounded to long double precision.</summary>
    public static HashLongDouble Add(HashLongDouble a, HashLongDouble b)
    {
        if (a.IsInfinity || b.IsInfinity) return new HashLongDouble(BigInteger.Zero, 0, a.IsInfinity ? a.Negative : b.Negative, infinity: true);
        if (a.Significand.IsZero) return b.Significand.IsZero ? new HashLongDouble(BigInteger.Zero, 0, a.Negative && b.Negative) : b;
        if (b.Significand.IsZero) return a;
        int e = Math.Min(a.Exponent, b.Exponent);
        var x = a.Significand << (a.Exponent - e);
        var y = b.Significand << (b.Exponent - e);
        var sum = (a.Negative ? -x : x) + (b.Negative ? -y : y);
        if (sum.IsZero) return Zero;
        return Round(BigInteger.Abs(sum), BigInteger.One, e, sum.Sign < 0);
    }

    /// <summary>"%.17Lf" with trailing zeros (and a trailing point) removed, and "-0" written as "0".</summary>
    public static byte[] FormatHuman(HashLongDouble v)
    {
        BigInteger scaled; // round(|v| * 10^17)
        var m = v.Significand * BigInteger.Pow(Ten, 17);
        if (v.Exponent >= 0) scaled = m << v.Exponent;
        else
        {
            int sh = -v.Exponent;
            scaled = m >> sh;
            var rem = m - (scaled << sh);
            var half = BigInteger.One << (sh - 1);
            int cmp = rem.CompareTo(half);
            if (cmp > 0 || (cmp == 0 && !scaled.IsEven)) scaled += 1;
        }
        if (scaled.IsZero) return "0"u8.ToArray();
        var text = scaled.ToString().PadLeft(18, '0');
        var sb = new StringBuilder(text.Length + 2);
        if (v.Negative) sb.Append('-');
        sb.Append(text, 0, text.Length - 17);
        var frac = text.AsSpan(text.Length - 17).TrimEnd('0');
        if (frac.Length > 0) sb.Append('.').Append(frac);
        return Encoding.ASCII.GetBytes(sb.ToString());
    }
}
