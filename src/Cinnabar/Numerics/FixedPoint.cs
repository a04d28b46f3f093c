using System.Globalization;

namespace Cinnabar.Numerics;

/// <summary>
/// C's printf("%.Nf") of a double for N up to 17, exactly (the double's binary value rounded to N decimals,
/// ties to even, as glibc). Geo replies format every distance with %.4f and every coordinate with %.17Lf,
/// and .NET's general formatter is several times slower at 17 decimals, so the common magnitudes are done
/// here in integer arithmetic: value * 10^N = mantissa * 10^N / 2^k, which fits in 128 bits.
/// </summary>
public static class FixedPoint
{
    private static readonly ulong[] Pow10 =
    [
        1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000, 10000000000,
        100000000000, 1000000000000, 10000000000000, 100000000000000, 1000000000000000,
        10000000000000000, 100000000000000000,
    ];

    /// <summary>Writes printf("%.{decimals}f", value) into dest (64 bytes suffice for |value| &lt; 2^53); returns the length.</summary>
    public static int Format(double value, int decimals, Span<byte> dest)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        bool negative = bits < 0;
        int exp = (int)((bits >> 52) & 0x7FF);
        ulong mantissa = (ulong)bits & 0xFFFFFFFFFFFFFUL;
        if (exp == 0x7FF || exp == 0 && mantissa != 0) return Fallback(value, decimals, dest); // inf, nan, subnormal
        if (exp != 0) mantissa |= 1UL << 52;
        int k = 1075 - exp; // value = mantissa / 2^k
        if (k <= 0 || k >= 120) return Fallback(value, decimals, dest);

        UInt128 scaled = (UInt128)mantissa * Pow10[decimals]; // < 2^53 * 2^57
        UInt128 q = scaled >> k;
        UInt128 rem = scaled - (q << k);
        UInt128 half = (UInt128)1 << (k - 1);
        if (rem > half || (rem == half && (q & 1) != 0)) q++;

        int p = 0;
        if (negative) dest[p++] = (byte)'-';
        // Digits of q, at least decimals + 1 of them, with the point before the last `decimals`.
        Span<byte> digits = stackalloc byte[40];
        int n = 0;
        do
        {
            digits[n++] = (byte)('0' + (int)(q % 10));
            q /= 10;
        } while (q != 0 || n <= decimals);
        for (int i = n - 1; i >= 0; i--)
        {
            dest[p++] = digits[i];
            if (i == decimals && decimals > 0) dest[p++] = (byte)'.';
        }
        return p;
    }

    private static int Fallback(double value, int decimals, Span<byte> dest)
    {
        if (double.IsNaN(value)) { "nan"u8.CopyTo(dest); return 3; }
        if (double.IsInfinity(value)) { (value > 0 ? "inf"u8 : "-inf"u8).CopyTo(dest); return value > 0 ? 3 : 4; }
        value.TryFormat(dest, out int written, "F" + decimals, CultureInfo.InvariantCulture);
        return written;
    }
}
