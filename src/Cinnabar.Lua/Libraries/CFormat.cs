using System.Globalization;

namespace Cinnabar.Lua;

/// <summary>C's printf %.<i>N</i>g, which cjson uses for numbers (precision 14 by default).</summary>
internal static class CFormat
{
    public static string G(double v, int precision)
    {
        if (double.IsNaN(v)) return double.IsNegative(v) ? "-nan" : "nan";
        if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
        if (precision <= 0) precision = 1;
        if (v == 0) return double.IsNegative(v) ? "-0" : "0";
        // Round to the precision first: the exponent after rounding decides the style.
        string e = v.ToString("E" + (precision - 1), CultureInfo.InvariantCulture);
        int ePos = e.IndexOf('E');
        int exponent = int.Parse(e[(ePos + 1)..], CultureInfo.InvariantCulture);
        if (exponent < -4 || exponent >= precision)
        {
            string mantissa = TrimZeros(e[..ePos]);
            return mantissa + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        }
        string f = v.ToString("F" + Math.Max(0, precision - 1 - exponent), CultureInfo.InvariantCulture);
        return TrimZeros(f);
    }

    private static string TrimZeros(string s)
    {
        if (!s.Contains('.')) return s;
        s = s.TrimEnd('0');
        return s.EndsWith('.') ? s[..^1] : s;
    }
}
