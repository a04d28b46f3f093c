using System.Globalization;
using System.Text;

namespace Cinnabar.Lua;

/// <summary>C printf conversions as glibc prints them (used by tostring and string.format).</summary>
internal static class Printf
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    internal struct Spec
    {
        public bool Left, Plus, Space, Alt, Zero;
        public int Width;
        public int Precision; // -1 = none
    }

    private static string NonFinite(double d, bool upper)
    {
        string s = double.IsNaN(d) ? (BitConverter.DoubleToInt64Bits(d) < 0 ? "-nan" : "nan") : (d < 0 ? "-inf" : "inf");
        return upper ? s.ToUpperInvariant() : s;
    }

    /// <summary>%e mantissa/exponent: digits "d.ddd" and decimal exponent, correctly rounded.</summary>
    private static (string mant, int exp) ESplit(double d, int prec)
    {
        string s = Math.Abs(d).ToString("E" + prec, Inv); // e.g. 1.2345E+005
        int e = s.IndexOf('E');
        return (s[..e], int.Parse(s[(e + 1)..], Inv));
    }

    public static string FormatE(double d, int prec, bool upper, bool alt)
    {
        if (!double.IsFinite(d)) return NonFinite(d, upper);
        var (m, x) = ESplit(d, prec);
        if (alt && prec == 0) m += ".";
        var sb = new StringBuilder();
        if (d < 0 || (d == 0 && BitConverter.DoubleToInt64Bits(d) < 0)) sb.Append('-');
        sb.Append(m).Append(upper ? 'E' : 'e').Append(x < 0 ? '-' : '+');
        int ax = Math.Abs(x);
        if (ax < 10) sb.Append('0');
        sb.Append(ax.ToString(Inv));
        return sb.ToString();
    }

    public static string FormatF(double d, int prec, bool alt)
    {
        if (!double.IsFinite(d)) return NonFinite(d, false);
        string s = Math.Abs(d).ToString("F" + prec, Inv);
        if (alt && prec == 0) s += ".";
        if (d < 0 || (d == 0 && BitConverter.DoubleToInt64Bits(d) < 0)) s = "-" + s;
        return s;
    }

    public static string FormatG(double d, int prec, bool upper, bool alt)
    {
        if (!double.IsFinite(d)) return NonFinite(d, upper);
        if (prec == 0) prec = 1;
        int x;
        if (d == 0) x = 0;
        else x = ESplit(d, prec - 1).exp;
        string s;
        if (x < -4 || x >= prec)
        {
            s = FormatE(d, prec - 1, upper, alt);
            if (!alt)
            {
                int e = s.IndexOf(upper ? 'E' : 'e');
                string m = s[..e];
                if (m.Contains('.')) m = m.TrimEnd('0').TrimEnd('.');
                s = m + s[e..];
            }
        }
        else
        {
            s = FormatF(d, prec - 1 - x, alt);
            if (!alt && s.Contains('.')) s = s.TrimEnd('0').TrimEnd('.');
        }
        return s;
    }

    /// <summary>Applies sign flags and width padding to a formatted number.</summary>
    public static string Pad(string body, in Spec sp, bool numeric)
    {
        if (numeric && body.Length > 0 && body[0] != '-')
        {
            if (sp.Plus) body = "+" + body;
            else if (sp.Space) body = " " + body;
        }
        if (body.Length >= sp.Width) return body;
        int pad = sp.Width - body.Length;
        if (sp.Left) return body + new string(' ', pad);
        if (sp.Zero && numeric)
        {
            int signLen = body.Length > 0 && (body[0] == '-' || body[0] == '+' || body[0] == ' ') ? 1 : 0;
            if (body.Length > signLen + 1 && body[signLen] == '0' && (body[signLen + 1] == 'x' || body[signLen + 1] == 'X')) signLen += 2;
            if (char.IsDigit(body[^1]) || body.Contains('.') || body.Length > signLen)
                if (!body.EndsWith("inf") && !body.EndsWith("nan") && !body.EndsWith("INF") && !body.EndsWith("NAN"))
                    return body[..signLen] + new string('0', pad) + body[signLen..];
        }
        return new string(' ', pad) + body;
    }

    /// <summary>(long) cast as x86-64 does it (out of range and NaN give LONG_MIN).</summary>
    public static long ToLong(double d)
    {
        if (double.IsNaN(d) || d >= 9.2233720368547758e18 || d < -9.2233720368547758e18) return long.MinValue;
        return (long)d;
    }

    /// <summary>(unsigned long) cast as gcc compiles it on x86-64 (values from 2^63 up and inf go through the subtract-2^63 path, NaN through cvttsd2si).</summary>
    public static ulong ToULong(double d)
    {
        if (d >= 9.2233720368547758e18) return (ulong)ToLong(d - 9.2233720368547758e18) ^ 0x8000000000000000UL;
        return (ulong)ToLong(d);
    }

    public static string FormatInt(double d, char conv, in Spec sp)
    {
        long v = conv == 'd' || conv == 'i' ? ToLong(d) : (long)ToULong(d);
        string digits;
        bool neg = false;
        switch (conv)
        {
            case 'd':
            case 'i':
                neg = v < 0;
                digits = neg ? ((ulong)(-(v + 1)) + 1).ToString(Inv) : v.ToString(Inv);
                break;
            case 'u': digits = ((ulong)v).ToString(Inv); break;
            case 'x': digits = ((ulong)v).ToString("x", Inv); break;
            case 'X': digits = ((ulong)v).ToString("X", Inv); break;
            default: digits = Convert.ToString(v, 8); break; // 'o': two's complement octal of the 64-bit value
        }
        if (sp.Precision >= 0)
        {
            if (sp.Precision == 0 && v == 0) digits = "";
            else if (digits.Length < sp.Precision) digits = new string('0', sp.Precision - digits.Length) + digits;
        }
        if (sp.Alt)
        {
            if (conv == 'o' && !digits.StartsWith('0')) digits = "0" + digits;
            else if (conv == 'x' && v != 0) digits = "0x" + digits;
            else if (conv == 'X' && v != 0) digits = "0X" + digits;
        }
        string body = (neg ? "-" : "") + digits;
        var sp2 = sp;
        if (sp.Precision >= 0) sp2.Zero = false;
        if (conv != 'd' && conv != 'i') { sp2.Plus = false; sp2.Space = false; }
        return Pad(body, sp2, true);
    }
}
