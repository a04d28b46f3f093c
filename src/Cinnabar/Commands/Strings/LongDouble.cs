using System.Numerics;

namespace Cinnabar.Commands.Strings;

/// <summary>
/// A software model of the x87 80-bit <c>long double</c> that Redis uses for INCRBYFLOAT: a 64-bit
/// significand, exponents down to the subnormal limit 2^-16445, round-to-nearest-even on every operation.
/// Only what INCRBYFLOAT needs exists: strtold-compatible parsing, addition and glibc's "%.17Lf".
/// Arithmetic is done exactly with <see cref="BigInteger"/> and rounded once, which is what the hardware
/// (and glibc's correctly rounded strtold/printf) does, so results are bit-identical.
/// </summary>
public readonly struct LongDouble
{
    /// <summary>Exponent of the least significant significand bit of the smallest normal/subnormal numbers.</summary>
    public const int MinExponent = -16445;
    /// <summary>Largest exponent with a 64-bit significand that stays finite (max = (2^64-1)*2^16320).</summary>
    public const int MaxExponent = 16320;
    /// <summary>Redis' MAX_LONG_DOUBLE_CHARS: longer inputs are refused.</summary>
    public const int MaxChars = 5 * 1024;

    private enum Kind : byte { Finite, Infinity, NaN }

    /// <summary>Value = (-1)^Negative * Significand * 2^Exponent (Significand 0 is a signed zero).</summary>
    public readonly ulong Significand;
    public readonly int Exponent;
    public readonly bool Negative;
    private readonly Kind _kind;

    private LongDouble(bool negative, ulong significand, int exponent, Kind kind)
    {
        Negative = negative;
        Significand = significand;
        Exponent = exponent;
        _kind = kind;
    }

    public static LongDouble Zero(bool negative) => new(negative, 0, 0, Kind.Finite);
    public static LongDouble Infinity(bool negative) => new(negative, 0, 0, Kind.Infinity);
    public static readonly LongDouble NaN = new(false, 0, 0, Kind.NaN);

    public bool IsFinite => _kind == Kind.Finite;
    public bool IsNaN => _kind == Kind.NaN;
    public bool IsInfinity => _kind == Kind.Infinity;
    public bool IsZero => _kind == Kind.Finite && Significand == 0;

    public static LongDouble FromLong(long v) =>
        v == 0 ? Zero(false) : Round(v < 0, BigInteger.Abs(v), BigInteger.One, 0);

    /// <summary>The exactly representable value of a double (for tests and comparisons).</summary>
    public static LongDouble FromDouble(double d)
    {
        if (double.IsNaN(d)) return NaN;
        if (double.IsInfinity(d)) return Infinity(d < 0);
        bool neg = double.IsNegative(d);
        if (d == 0) return Zero(neg);
        long bits = BitConverter.DoubleToInt64Bits(d);
        int exp = (int)((bits >> 52) & 0x7FF);
        long frac = bits & 0xFFFFFFFFFFFFFL;
        if (exp == 0) exp = 1; else frac |= 1L << 52;
        return Round(neg, frac, BigInteger.One, exp - 1075);
    }

    /// <summary>
    /// Rounds (-1)^neg * num/den * 2^exp2 (num &gt; 0, den &gt; 0) to the nearest long double, ties to even,
    /// with gradual underflow to subnormals and overflow to infinity.
    /// </summary>
    internal static LongDouble Round(bool neg, BigInteger num, BigInteger den, long exp2)
    {
        if (num.IsZero) return Zero(neg);
        // Scale so the integer quotient has at least 66 bits: 64 kept plus guard bits; the remainder is sticky.
        long scale = 66 - ((long)num.GetBitLength() - (long)den.GetBitLength()) + 1;
        BigInteger q, r;
        if (scale >= 0) q = BigInteger.DivRem(num << (int)scale, den, out r);
        else q = BigInteger.DivRem(num, den << (int)-scale, out r);
        bool sticky = !r.IsZero;
        long e = exp2 - scale;
        long shift = (long)q.GetBitLength() - 64;
        if (e + shift < MinExponent) shift = MinExponent - e; // subnormal: keep fewer bits
        e += shift;
        BigInteger kept;
        if (shift > 0)
        {
            if (shift > q.GetBitLength() + 1)
            {
                kept = BigInteger.Zero; // far below half the smallest subnormal
            }
            else
            {
                kept = q >> (int)shift;
                BigInteger rem = q - (kept << (int)shift);
                BigInteger half = BigInteger.One << (int)(shift - 1);
                int cmp = rem.CompareTo(half);
                if (cmp > 0 || (cmp == 0 && (sticky || !kept.IsEven))) kept += 1;
            }
        }
        else kept = q << (int)-shift; // only when q is short, never inexact
        if (kept.GetBitLength() > 64) { kept >>= 1; e++; }
        if (kept.IsZero) return Zero(neg);
        if (e > MaxExponent) return Infinity(neg);
        return new LongDouble(neg, (ulong)kept, (int)e, Kind.Finite);
    }

    /// <summary>IEEE addition rounded to nearest even; x + (-x) is +0.</summary>
    public static LongDouble operator +(LongDouble a, LongDouble b)
    {
        if (a.IsNaN || b.IsNaN) return NaN;
        if (a.IsInfinity || b.IsInfinity)
        {
            if (a.IsInfinity && b.IsInfinity && a.Negative != b.Negative) return NaN;
            return a.IsInfinity ? a : b;
        }
        if (a.IsZero && b.IsZero) return Zero(a.Negative && b.Negative);
        if (a.IsZero) return b;
        if (b.IsZero) return a;
        int e = Math.Min(a.Exponent, b.Exponent);
        BigInteger x = new BigInteger(a.Significand) << (a.Exponent - e);
        BigInteger y = new BigInteger(b.Significand) << (b.Exponent - e);
        if (a.Negative) x = -x;
        if (b.Negative) y = -y;
        BigInteger sum = x + y;
        if (sum.IsZero) return Zero(false);
        return Round(sum.Sign < 0, BigInteger.Abs(sum), BigInteger.One, e);
    }

    /// <summary>
    /// Redis' string2ld: glibc strtold over the whole input (decimal, hex floats, inf/infinity), refusing
    /// leading whitespace, trailing garbage, NaN, overflow and underflow to zero.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> s, out LongDouble value)
    {
        value = default;
        if (s.Length == 0 || s.Length >= MaxChars) return false;
        int i = 0;
        bool neg = false;
        if (s[0] == '+' || s[0] == '-') { neg = s[0] == '-'; i = 1; }
        var rest = s[i..];
        if (rest.Length == 0) return false;
        byte first = (byte)(rest[0] | 0x20);
        if (first == 'i')
        {
            if (Protocol.RespNumbers.EqualsIgnoreCase(rest, "inf"u8) || Protocol.RespNumbers.EqualsIgnoreCase(rest, "infinity"u8))
            {
                value = Infinity(neg);
                return true;
            }
            return false;
        }
        if (rest.Length > 2 && rest[0] == '0' && (rest[1] | 0x20) == 'x' && TryParseHex(neg, rest[2..], out value)) return true;
        return TryParseDecimal(neg, rest, out value);
    }

    private static bool TryParseDecimal(bool neg, ReadOnlySpan<byte> s, out LongDouble value)
    {
        value = default;
        int i = 0, digits = 0;
        long exp10 = 0;
        // Collect significant digits (without leading zeros) and count the fraction length.
        Span<byte> sig = stackalloc byte[s.Length];
        int nsig = 0;
        while (i < s.Length && IsDigit(s[i])) { if (nsig > 0 || s[i] != '0') sig[nsig++] = s[i]; digits++; i++; }
        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && IsDigit(s[i]))
            {
                if (nsig > 0 || s[i] != '0') sig[nsig++] = s[i];
                exp10--;
                digits++;
                i++;
            }
        }
        if (digits == 0) return false;
        if (i < s.Length && (s[i] | 0x20) == 'e')
        {
            i++;
            if (!TryParseExponent(s, ref i, out long e)) return false;
            exp10 += e;
        }
        if (i != s.Length) return false;
        while (nsig > 0 && sig[nsig - 1] == '0') { nsig--; exp10++; }
        if (nsig == 0) { value = Zero(neg); return true; }
        // Decide overflow/underflow by magnitude before building huge powers of ten.
        long magnitude = nsig + exp10; // value < 10^magnitude, >= 10^(magnitude-1)
        if (magnitude - 1 >= 4933) return false;   // > LDBL_MAX (1.19e4932): ERANGE, HUGE_VAL
        if (magnitude < -4952) return false;       // < half the smallest subnormal (3.6e-4951): rounds to 0
        BigInteger d = ParseDigits(sig[..nsig]);
        LongDouble r = exp10 >= 0
            ? Round(neg, d * BigInteger.Pow(10, (int)exp10), BigInteger.One, 0)
            : Round(neg, d, BigInteger.Pow(10, (int)-exp10), 0);
        if (!r.IsFinite || r.IsZero) return false;
        value = r;
        return true;
    }

    private static bool TryParseHex(bool neg, ReadOnlySpan<byte> s, out LongDouble value)
    {
        value = default;
        int i = 0, digits = 0;
        long exp2 = 0;
        BigInteger h = BigInteger.Zero;
        ulong chunk = 0;
        int chunkDigits = 0;
        // Accumulate in 60-bit chunks to keep BigInteger work small.
        static void Push(int d, ref ulong chunk, ref int chunkDigits, ref BigInteger h)
        {
            chunk = (chunk << 4) | (uint)d;
            if (++chunkDigits == 15) { h = (h << 60) | chunk; chunk = 0; chunkDigits = 0; }
        }
        while (i < s.Length && HexValue(s[i]) >= 0) { Push(HexValue(s[i]), ref chunk, ref chunkDigits, ref h); digits++; i++; }
        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && HexValue(s[i]) >= 0) { Push(HexValue(s[i]), ref chunk, ref chunkDigits, ref h); exp2 -= 4; digits++; i++; }
        }
        if (digits == 0) return false; // "0x" alone: strtold reads "0" and stops at 'x'
        h = (h << (4 * chunkDigits)) | chunk;
        if (i < s.Length && (s[i] | 0x20) == 'p')
        {
            i++;
            if (!TryParseExponent(s, ref i, out long e)) return false;
            exp2 += e;
        }
        if (i != s.Length) return false;
        if (h.IsZero) { value = Zero(neg); return true; }
        long top = (long)h.GetBitLength() + exp2;
        if (top > 16384) return false;
        if (top < -16450) return false;
        var r = Round(neg, h, BigInteger.One, exp2);
        if (!r.IsFinite || r.IsZero) return false;
        value = r;
        return true;
    }

    /// <summary>[sign] digits, saturating (huge exponents only matter as "very large").</summary>
    private static bool TryParseExponent(ReadOnlySpan<byte> s, ref int i, out long exp)
    {
        exp = 0;
        bool neg = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) { neg = s[i] == '-'; i++; }
        if (i >= s.Length || !IsDigit(s[i])) return false;
        while (i < s.Length && IsDigit(s[i]))
        {
            if (exp < 100_000_000) exp = exp * 10 + (s[i] - '0');
            i++;
        }
        if (neg) exp = -exp;
        return true;
    }

    private static BigInteger ParseDigits(ReadOnlySpan<byte> digits)
    {
        BigInteger r = BigInteger.Zero;
        int i = 0;
        // 18 digits at a time fit a ulong.
        while (i < digits.Length)
        {
            int n = Math.Min(18, digits.Length - i);
            ulong chunk = 0;
            for (int k = 0; k < n; k++) chunk = chunk * 10 + (ulong)(digits[i + k] - '0');
            r = r * Pow10(n) + chunk;
            i += n;
        }
        return r;
    }

    private static ulong Pow10(int n)
    {
        ulong p = 1;
        for (int k = 0; k < n; k++) p *= 10;
        return p;
    }

    private static bool IsDigit(byte c) => c >= '0' && c <= '9';

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>
    /// Redis' ld2string in LD_STR_HUMAN mode: glibc "%.17Lf" (exact value rounded half-even to 17
    /// fraction digits), trailing zeros and a bare dot removed, "-0" turned into "0". Infinities give
    /// "inf"/"-inf". Returns the text as ASCII bytes.
    /// </summary>
    public byte[] ToHumanString()
    {
        if (IsInfinity) return Negative ? "-inf"u8.ToArray() : "inf"u8.ToArray();
        if (IsNaN) return Negative ? "-nan"u8.ToArray() : "nan"u8.ToArray();
        BigInteger scaled; // round(|value| * 10^17)
        BigInteger m = new(Significand);
        if (Exponent >= 0) scaled = (m << Exponent) * Pow10(17);
        else
        {
            int d = -Exponent;
            BigInteger n = m * Pow10(17);
            scaled = n >> d;
            BigInteger rem = n - (scaled << d);
            BigInteger half = BigInteger.One << (d - 1);
            int cmp = rem.CompareTo(half);
            if (cmp > 0 || (cmp == 0 && !scaled.IsEven)) scaled += 1;
        }
        string digits = scaled.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (digits.Length < 18) digits = new string('0', 18 - digits.Length) + digits;
        int intLen = digits.Length - 17;
        // Trim trailing zeros of the fraction, then the dot if nothing remains.
        int fracEnd = digits.Length;
        while (fracEnd > intLen && digits[fracEnd - 1] == '0') fracEnd--;
        bool neg = Negative;
        if (neg && fracEnd == intLen && intLen == 1 && digits[0] == '0') neg = false; // "-0" becomes "0"
        int len = (neg ? 1 : 0) + intLen + (fracEnd > intLen ? 1 + fracEnd - intLen : 0);
        var result = new byte[len];
        int p = 0;
        if (neg) result[p++] = (byte)'-';
        for (int k = 0; k < intLen; k++) result[p++] = (byte)digits[k];
        if (fracEnd > intLen)
        {
            result[p++] = (byte)'.';
            for (int k = intLen; k < fracEnd; k++) result[p++] = (byte)digits[k];
        }
        return result;
    }

    public override string ToString() => System.Text.Encoding.ASCII.GetString(ToHumanString());
}
