using System.Numerics;

namespace Cinnabar.Numerics;

/// <summary>
/// A software model of the x87 80-bit <c>long double</c> that Redis uses for INCRBYFLOAT and HINCRBYFLOAT (and blocking timeouts): a 64-bit
/// significand, exponents down to the subnormal limit 2^-16445, round-to-nearest-even on every operation.
/// Only what those need exists: strtold-compatible parsing, addition and glibc's "%.17Lf".
/// Every result is computed exactly (128-bit integers for everyday magnitudes, <see cref="BigInteger"/>
/// otherwise) and rounded once, which is what the hardware and glibc's correctly rounded strtold/printf do,
/// so results are bit-identical.
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

    /// <summary>
    /// Redis' blocking timeout in ms: this * <paramref name="factor"/> rounded to a long double (Redis'
    /// <c>ftval *= 1000.0</c>), then <c>ceill</c>, so a sub-millisecond timeout waits 1 ms instead of
    /// truncating to 0 (= forever). False when the result does not fit a long (or the value is not finite).
    /// </summary>
    public bool TryMultiplyCeiling(long factor, out long result)
    {
        result = 0;
        if (_kind != Kind.Finite) return false;
        if (Significand == 0 || factor == 0) return true;
        var product = Round(Negative ^ (factor < 0), BigInteger.Abs(new BigInteger(Significand) * factor), BigInteger.One, Exponent);
        if (!product.IsFinite) return false;
        var m = new BigInteger(product.Significand);
        if (product.Exponent >= 0) m <<= product.Exponent;
        else
        {
            int shift = -product.Exponent;
            bool fraction = !(m & ((BigInteger.One << shift) - 1)).IsZero;
            m >>= shift; // the magnitude's floor; ceiling moves a positive value with a fraction up
            if (fraction && !product.Negative) m += 1;
        }
        if (product.Negative) m = -m;
        if (m > long.MaxValue || m < long.MinValue) return false;
        result = (long)m;
        return true;
    }

    /// <summary>The nearest double (blocking timeouts need no more precision).</summary>
    public double ToDouble() => _kind switch
    {
        Kind.Infinity => Negative ? double.NegativeInfinity : double.PositiveInfinity,
        Kind.NaN => double.NaN,
        _ => (Negative ? -1 : 1) * Math.ScaleB(Significand, Exponent),
    };

    public static LongDouble FromLong(long v) =>
        v == 0 ? Zero(false) : Round(v < 0, BigInteger.Abs(v), BigInteger.One, 0);

    /// <summary>
    /// Rounds (-1)^neg * num/den * 2^exp2 (num &gt; 0, den &gt; 0) to the nearest long double, ties to even,
    /// with gradual underflow to subnormals and overflow to infinity.
    /// </summary>
    internal static LongDouble Round(bool neg, BigInteger num, BigInteger den, long exp2)
    {
        if (num.IsZero) return Zero(neg);
        // Scale so the integer quotient has 66-68 bits: 64 kept plus guard bits; the remainder is sticky.
        long scale = 66 - ((long)num.GetBitLength() - (long)den.GetBitLength()) + 1;
        BigInteger q, r;
        if (scale >= 0) q = BigInteger.DivRem(num << (int)scale, den, out r);
        else q = BigInteger.DivRem(num, den << (int)-scale, out r);
        return RoundCore(neg, (UInt128)q, !r.IsZero, exp2 - scale);
    }

    /// <summary>
    /// Rounds (-1)^neg * (q + f) * 2^e to a 64-bit significand, where 0 &lt;= f &lt; 1 and <paramref name="sticky"/>
    /// tells whether f is non-zero. Ties go to even; below 2^-16382 precision is lost gradually (subnormals).
    /// </summary>
    internal static LongDouble RoundCore(bool neg, UInt128 q, bool sticky, long e)
    {
        if (q == UInt128.Zero) return Zero(neg);
        int bits = 128 - (int)UInt128.LeadingZeroCount(q);
        long shift = bits - 64;
        if (e + shift < MinExponent) shift = MinExponent - e; // subnormal: keep fewer bits
        UInt128 kept;
        // Below half of the smallest step. (shift == 128 would need a full 128-bit q that is already subnormal,
        // which no caller produces: operands are never below 2^MinExponent and quotients have under 70 bits.)
        if (shift > bits || shift >= 128) kept = UInt128.Zero;
        else if (shift > 0)
        {
            kept = q >> (int)shift;
            UInt128 rem = q - (kept << (int)shift);
            UInt128 half = UInt128.One << (int)(shift - 1);
            if (rem > half || (rem == half && (sticky || (kept & UInt128.One) != UInt128.Zero))) kept++;
        }
        else kept = q << (int)-shift; // short exact values
        e += shift;
        if (kept >> 64 != UInt128.Zero) { kept >>= 1; e++; }
        if (kept == UInt128.Zero) return Zero(neg);
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
        if (a.Exponent < b.Exponent) (a, b) = (b, a);
        int diff = a.Exponent - b.Exponent;
        if (diff <= 63)
        {
            // Both fit one 128-bit integer at b's exponent: the exact sum, rounded once.
            UInt128 x = (UInt128)a.Significand << diff, y = b.Significand;
            if (a.Negative == b.Negative) return RoundCore(a.Negative, x + y, false, b.Exponent);
            if (x == y) return Zero(false);
            return x > y ? RoundCore(a.Negative, x - y, false, b.Exponent) : RoundCore(b.Negative, y - x, false, b.Exponent);
        }
        int e = b.Exponent;
        BigInteger big = new BigInteger(a.Significand) << diff;
        BigInteger small = new BigInteger(b.Significand);
        if (a.Negative) big = -big;
        if (b.Negative) small = -small;
        BigInteger sum = big + small;
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
        if (nsig <= 19 && exp10 >= -18 && exp10 <= 19)
        {
            // Fast exact path: the digits fit a ulong and the power of ten a 64-bit divisor or factor.
            ulong digitsValue = 0;
            for (int k = 0; k < nsig; k++) digitsValue = digitsValue * 10 + (ulong)(sig[k] - '0');
            value = exp10 >= 0
                ? RoundCore(neg, (UInt128)digitsValue * Pow10((int)exp10), false, 0)
                : DivideRounded(neg, digitsValue, Pow10((int)-exp10));
            return true;
        }
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

    /// <summary>n / d correctly rounded, for n &lt; 2^64 and d &lt;= 10^18 (&lt; 2^60).</summary>
    private static LongDouble DivideRounded(bool neg, ulong n, ulong d)
    {
        int nBits = 64 - System.Numerics.BitOperations.LeadingZeroCount(n);
        int dBits = 64 - System.Numerics.BitOperations.LeadingZeroCount(d);
        int scale = 67 - nBits + dBits; // quotient of at least 66 bits; n << scale stays below 2^128
        UInt128 num = (UInt128)n << scale;
        UInt128 q = num / d;
        bool sticky = num - q * d != UInt128.Zero;
        return RoundCore(neg, q, sticky, -scale);
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
        if (Exponent >= -127 && Exponent <= 63) return FormatSmall();
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

    /// <summary>"%.17Lf" for values whose scaled form fits 128 bits (the everyday magnitudes).</summary>
    private byte[] FormatSmall()
    {
        Span<byte> buf = stackalloc byte[64];
        int p = 0;
        UInt128 intPart;
        ulong frac = 0;
        if (Exponent >= 0) intPart = (UInt128)Significand << Exponent;
        else
        {
            // round(m * 10^17 / 2^d), ties to even; m * 10^17 < 2^121.
            int d = -Exponent;
            UInt128 n = (UInt128)Significand * Pow10(17);
            UInt128 q = n >> d;
            UInt128 rem = n - (q << d);
            UInt128 half = UInt128.One << (d - 1);
            if (rem > half || (rem == half && (q & UInt128.One) != UInt128.Zero)) q++;
            intPart = q / Pow10(17);
            frac = (ulong)(q % Pow10(17));
        }
        bool neg = Negative && (intPart != UInt128.Zero || frac != 0); // "-0" is printed as "0"
        if (neg) buf[p++] = (byte)'-';
        intPart.TryFormat(buf[p..], out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        p += written;
        if (frac != 0)
        {
            buf[p++] = (byte)'.';
            int digits = 17;
            while (frac % 10 == 0) { frac /= 10; digits--; }
            for (int k = digits - 1; k >= 0; k--) { buf[p + k] = (byte)('0' + (int)(frac % 10)); frac /= 10; }
            p += digits;
        }
        return buf[..p].ToArray();
    }

    public override string ToString() => System.Text.Encoding.ASCII.GetString(ToHumanString());
}
