using System.Globalization;
using System.Text;

namespace Cinnabar.Lua;

/// <summary>
/// Lua CJSON 2.1.0 as Redis bundles it: encode (numbers with 14 significant digits, '/' escaped, tables with
/// positive whole keys as arrays unless excessively sparse, other tables as objects, cjson.null as null) and
/// decode (objects and arrays to tables, null to cjson.null), with its error texts.
/// </summary>
internal static class LuaCjson
{
    /// <summary>The <c>cjson.null</c> sentinel (a light userdata in C).</summary>
    public static readonly object Null = new JsonNull();

    private sealed class JsonNull
    {
        public override string ToString() => "userdata: (nil)";
    }

    private sealed class Config
    {
        public int EncodeMaxDepth = 1000;
        public int DecodeMaxDepth = 1000;
        public int Precision = 14;
        public bool SparseConvert;
        public int SparseRatio = 2;
        public int SparseSafe = 10;
        public bool EncodeInvalidNumbers;
        public bool DecodeInvalidNumbers = true;
    }

    public static LuaTable Create() => Create(new Config());

    private static LuaTable Create(Config cfg)
    {
        var t = new LuaTable(0, 16);
        RedisLuaLibraries.Register(t, "encode", c => Encode(c, cfg));
        RedisLuaLibraries.Register(t, "decode", c => Decode(c, cfg));
        RedisLuaLibraries.Register(t, "encode_max_depth", c => IntOption(c, ref cfg.EncodeMaxDepth, "encode_max_depth"));
        RedisLuaLibraries.Register(t, "decode_max_depth", c => IntOption(c, ref cfg.DecodeMaxDepth, "decode_max_depth"));
        RedisLuaLibraries.Register(t, "encode_number_precision", c => IntOption(c, ref cfg.Precision, "encode_number_precision", 1, 14));
        RedisLuaLibraries.Register(t, "encode_keep_buffer", c => c.Return(LuaValue.True));
        RedisLuaLibraries.Register(t, "encode_invalid_numbers", c => BoolOption(c, ref cfg.EncodeInvalidNumbers));
        RedisLuaLibraries.Register(t, "decode_invalid_numbers", c => BoolOption(c, ref cfg.DecodeInvalidNumbers));
        RedisLuaLibraries.Register(t, "encode_sparse_array", c =>
        {
            if (c.ArgCount > 0 && !c[0].IsNil) cfg.SparseConvert = !c[0].IsFalsy;
            if (c.ArgCount > 1) cfg.SparseRatio = (int)RedisLuaLibraries.CheckNumber(c, 1, "encode_sparse_array");
            if (c.ArgCount > 2) cfg.SparseSafe = (int)RedisLuaLibraries.CheckNumber(c, 2, "encode_sparse_array");
            c.Return(LuaValue.FromBoolean(cfg.SparseConvert));
            c.Return(LuaValue.FromNumber(cfg.SparseRatio));
            return c.Return(LuaValue.FromNumber(cfg.SparseSafe));
        });
        RedisLuaLibraries.Register(t, "new", c => c.Return(LuaValue.FromTable(Create(new Config()))));
        t.RawSet("null", LuaValue.FromUserData(Null));
        t.RawSet("_NAME", LuaValue.FromString(LuaString.FromUtf8("cjson")));
        t.RawSet("_VERSION", LuaValue.FromString(LuaString.FromUtf8("2.1.0")));
        return t;
    }

    private static int IntOption(LuaCallContext c, ref int value, string name, int min = 1, int max = int.MaxValue)
    {
        if (c.ArgCount > 0 && !c[0].IsNil)
        {
            int v = (int)RedisLuaLibraries.CheckNumber(c, 0, name);
            if (v < min || v > max) throw c.State.ArgError(1, name, $"expected integer between {min} and {max}");
            value = v;
        }
        return c.Return(LuaValue.FromNumber(value));
    }

    private static int BoolOption(LuaCallContext c, ref bool value)
    {
        if (c.ArgCount > 0 && !c[0].IsNil) value = !c[0].IsFalsy;
        return c.Return(LuaValue.FromBoolean(value));
    }

    // ---- encode ---------------------------------------------------------------------------------------

    private static int Encode(LuaCallContext call, Config cfg)
    {
        if (call.ArgCount != 1) throw call.State.Error("expected 1 argument");
        var b = new MemoryStream();
        EncodeValue(call, cfg, b, call[0], 0);
        return call.Return(LuaValue.FromString(new LuaString(b.ToArray())));
    }

    private static Exception EncodeError(LuaCallContext call, string type, string reason) =>
        call.State.Error($"Cannot serialise {type}: {reason}");

    private static void EncodeValue(LuaCallContext call, Config cfg, MemoryStream b, LuaValue v, int depth)
    {
        switch (v.Type)
        {
            case LuaType.String: EncodeString(b, v.AsString.Span); break;
            case LuaType.Number: EncodeNumber(call, cfg, b, v.AsNumber); break;
            case LuaType.Boolean: b.Write(v.AsBoolean ? "true"u8 : "false"u8); break;
            case LuaType.Nil: b.Write("null"u8); break;
            case LuaType.UserData when ReferenceEquals(v.AsObject, Null): b.Write("null"u8); break;
            case LuaType.Table:
                {
                    depth++;
                    if (depth > cfg.EncodeMaxDepth) throw call.State.Error($"Cannot serialise, excessive nesting ({depth})");
                    var t = v.AsTable;
                    int length = ArrayLength(call, cfg, t);
                    if (length > 0)
                    {
                        b.WriteByte((byte)'[');
                        for (int i = 1; i <= length; i++)
                        {
                            if (i > 1) b.WriteByte((byte)',');
                            EncodeValue(call, cfg, b, t.RawGet(i), depth);
                        }
                        b.WriteByte((byte)']');
                    }
                    else
                    {
                        b.WriteByte((byte)'{');
                        bool first = true;
                        var key = LuaValue.Nil;
                        while (t.Next(ref key, out var value))
                        {
                            if (!first) b.WriteByte((byte)',');
                            first = false;
                            if (key.Type == LuaType.String) EncodeString(b, key.AsString.Span);
                            else if (key.Type == LuaType.Number)
                            {
                                b.WriteByte((byte)'"');
                                EncodeNumber(call, cfg, b, key.AsNumber);
                                b.WriteByte((byte)'"');
                            }
                            else throw EncodeError(call, "table", "table key must be a number or string");
                            b.WriteByte((byte)':');
                            EncodeValue(call, cfg, b, value, depth);
                        }
                        b.WriteByte((byte)'}');
                    }
                    break;
                }
            default:
                throw EncodeError(call, v.TypeName, "type not supported");
        }
    }

    /// <summary>lua_array_length: the largest key when every key is a positive whole number (0 for none), else -1.</summary>
    private static int ArrayLength(LuaCallContext call, Config cfg, LuaTable t)
    {
        double max = 0;
        int items = 0;
        var key = LuaValue.Nil;
        while (t.Next(ref key, out _))
        {
            if (key.Type == LuaType.Number && key.AsNumber != 0)
            {
                double k = key.AsNumber;
                if (Math.Floor(k) == k && k >= 1)
                {
                    if (k > max) max = k;
                    items++;
                    continue;
                }
            }
            return -1;
        }
        if (cfg.SparseRatio > 0 && max > (double)items * cfg.SparseRatio && max > cfg.SparseSafe)
        {
            if (!cfg.SparseConvert) throw EncodeError(call, "table", "excessively sparse array");
            return -1;
        }
        return (int)max;
    }

    private static void EncodeNumber(LuaCallContext call, Config cfg, MemoryStream b, double n)
    {
        if (double.IsInfinity(n) || double.IsNaN(n))
        {
            if (!cfg.EncodeInvalidNumbers) throw EncodeError(call, "number", "must not be NaN or Inf");
            b.Write(double.IsNaN(n) ? "nan"u8 : n > 0 ? "inf"u8 : "-inf"u8);
            return;
        }
        b.Write(Encoding.ASCII.GetBytes(CFormat.G(n, cfg.Precision)));
    }

    private static void EncodeString(MemoryStream b, ReadOnlySpan<byte> s)
    {
        b.WriteByte((byte)'"');
        foreach (byte ch in s)
        {
            switch (ch)
            {
                case (byte)'"': b.Write("\\\""u8); break;
                case (byte)'\\': b.Write("\\\\"u8); break;
                case (byte)'/': b.Write("\\/"u8); break;
                case (byte)'\b': b.Write("\\b"u8); break;
                case (byte)'\f': b.Write("\\f"u8); break;
                case (byte)'\n': b.Write("\\n"u8); break;
                case (byte)'\r': b.Write("\\r"u8); break;
                case (byte)'\t': b.Write("\\t"u8); break;
                default:
                    if (ch < 32 || ch == 127) b.Write(Encoding.ASCII.GetBytes($"\\u{ch:x4}"));
                    else b.WriteByte(ch);
                    break;
            }
        }
        b.WriteByte((byte)'"');
    }

    // ---- decode ---------------------------------------------------------------------------------------

    private enum Token { ObjBegin, ObjEnd, ArrBegin, ArrEnd, String, Number, Boolean, Null, Colon, Comma, End, Whitespace, Error }

    private static readonly string[] TokenNames = ["T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING", "T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END", "T_WHITESPACE", "T_ERROR"];

    private ref struct Parser
    {
        public byte[] Data;
        public int Pos;
        public Config Cfg;
        public int Depth;
        // the current token
        public Token Type;
        public int Index;
        public LuaValue Value;
        public string? ErrorText;
    }

    private static int Decode(LuaCallContext call, Config cfg)
    {
        if (call.ArgCount != 1) throw call.State.Error("expected 1 argument");
        var data = RedisLuaLibraries.CheckString(call, 0, "decode");
        var p = new Parser { Data = data, Cfg = cfg };
        NextToken(ref p);
        var value = ParseValue(call, ref p);
        NextToken(ref p);
        if (p.Type != Token.End) ThrowParse(call, ref p, "the end");
        return call.Return(value);
    }

    private static void ThrowParse(LuaCallContext call, ref Parser p, string expected)
    {
        string found = p.Type == Token.Error ? p.ErrorText! : TokenNames[(int)p.Type];
        throw call.State.Error($"Expected {expected} but found {found} at character {p.Index + 1}");
    }

    private static LuaValue ParseValue(LuaCallContext call, ref Parser p)
    {
        switch (p.Type)
        {
            case Token.String:
            case Token.Number:
            case Token.Boolean:
                return p.Value;
            case Token.Null:
                return LuaValue.FromUserData(Null);
            case Token.ObjBegin:
                return ParseObject(call, ref p);
            case Token.ArrBegin:
                return ParseArray(call, ref p);
            default:
                ThrowParse(call, ref p, "value");
                return default;
        }
    }

    private static void EnterNesting(LuaCallContext call, ref Parser p)
    {
        p.Depth++;
        if (p.Depth > p.Cfg.DecodeMaxDepth)
            throw call.State.Error($"Found too many nested data structures ({p.Depth}) at character {p.Index + 1}");
    }

    private static LuaValue ParseObject(LuaCallContext call, ref Parser p)
    {
        EnterNesting(call, ref p);
        var t = new LuaTable();
        NextToken(ref p);
        if (p.Type == Token.ObjEnd)
        {
            p.Depth--;
            return LuaValue.FromTable(t);
        }
        while (true)
        {
            if (p.Type != Token.String) ThrowParse(call, ref p, "object key string");
            var key = p.Value;
            NextToken(ref p);
            if (p.Type != Token.Colon) ThrowParse(call, ref p, "colon");
            NextToken(ref p);
            var value = ParseValue(call, ref p);
            t.RawSet(key, value);
            NextToken(ref p);
            if (p.Type == Token.ObjEnd)
            {
                p.Depth--;
                return LuaValue.FromTable(t);
            }
            if (p.Type != Token.Comma) ThrowParse(call, ref p, "comma or object end");
            NextToken(ref p);
        }
    }

    private static LuaValue ParseArray(LuaCallContext call, ref Parser p)
    {
        EnterNesting(call, ref p);
        var t = new LuaTable();
        NextToken(ref p);
        if (p.Type == Token.ArrEnd)
        {
            p.Depth--;
            return LuaValue.FromTable(t);
        }
        for (int i = 1; ; i++)
        {
            t.RawSet(i, ParseValue(call, ref p));
            NextToken(ref p);
            if (p.Type == Token.ArrEnd)
            {
                p.Depth--;
                return LuaValue.FromTable(t);
            }
            if (p.Type != Token.Comma) ThrowParse(call, ref p, "comma or array end");
            NextToken(ref p);
        }
    }

    private static void NextToken(ref Parser p)
    {
        var d = p.Data;
        while (p.Pos < d.Length && d[p.Pos] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') p.Pos++;
        p.Index = p.Pos;
        if (p.Pos >= d.Length)
        {
            p.Type = Token.End;
            return;
        }
        byte ch = d[p.Pos];
        switch (ch)
        {
            case (byte)'{': p.Type = Token.ObjBegin; p.Pos++; return;
            case (byte)'}': p.Type = Token.ObjEnd; p.Pos++; return;
            case (byte)'[': p.Type = Token.ArrBegin; p.Pos++; return;
            case (byte)']': p.Type = Token.ArrEnd; p.Pos++; return;
            case (byte)':': p.Type = Token.Colon; p.Pos++; return;
            case (byte)',': p.Type = Token.Comma; p.Pos++; return;
            case (byte)'"': StringToken(ref p); return;
        }
        if (ch == '-' || (ch >= '0' && ch <= '9'))
        {
            if (!p.Cfg.DecodeInvalidNumbers && IsInvalidNumber(d, p.Pos)) { SetError(ref p, "invalid number"); return; }
            NumberToken(ref p);
            return;
        }
        var rest = d.AsSpan(p.Pos);
        if (rest.StartsWith("true"u8)) { p.Type = Token.Boolean; p.Value = LuaValue.True; p.Pos += 4; return; }
        if (rest.StartsWith("false"u8)) { p.Type = Token.Boolean; p.Value = LuaValue.False; p.Pos += 5; return; }
        if (rest.StartsWith("null"u8)) { p.Type = Token.Null; p.Pos += 4; return; }
        if (p.Cfg.DecodeInvalidNumbers && IsInvalidNumber(d, p.Pos)) { NumberToken(ref p); return; }
        SetError(ref p, "invalid token");
    }

    private static void SetError(ref Parser p, string text)
    {
        p.Type = Token.Error;
        p.ErrorText = text;
    }

    /// <summary>json_is_invalid_number: what strtod takes but JSON does not (+, hex, leading zeros, inf, nan).</summary>
    private static bool IsInvalidNumber(byte[] d, int pos)
    {
        if (pos < d.Length && d[pos] == '+') return true;
        if (pos < d.Length && d[pos] == '-') pos++;
        if (pos < d.Length && d[pos] == '0')
        {
            int ch2 = pos + 1 < d.Length ? d[pos + 1] : 0;
            return (ch2 | 0x20) == 'x' || (ch2 >= '0' && ch2 <= '9');
        }
        if (pos < d.Length && d[pos] <= '9') return false;
        var rest = Encoding.ASCII.GetString(d, pos, Math.Min(3, d.Length - pos));
        return rest.Equals("inf", StringComparison.OrdinalIgnoreCase) || rest.Equals("nan", StringComparison.OrdinalIgnoreCase);
    }

    private static void NumberToken(ref Parser p)
    {
        int len = StrtodLength(p.Data, p.Pos, out double value);
        if (len == 0)
        {
            SetError(ref p, "invalid number");
            return;
        }
        p.Type = Token.Number;
        p.Value = LuaValue.FromNumber(value);
        p.Pos += len;
    }

    /// <summary>C's strtod: the longest prefix that is a number (decimal, hex, inf, nan), its length and value.</summary>
    internal static int StrtodLength(byte[] d, int start, out double value)
    {
        value = 0;
        int i = start;
        bool negative = false;
        if (i < d.Length && (d[i] == '+' || d[i] == '-')) { negative = d[i] == '-'; i++; }
        var rest = Encoding.ASCII.GetString(d, i, Math.Min(8, d.Length - i)).ToLowerInvariant();
        if (rest.StartsWith("inf"))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return i - start + (rest.StartsWith("infinity") ? 8 : 3);
        }
        if (rest.StartsWith("nan"))
        {
            value = double.NaN;
            return i - start + 3;
        }
        if (i + 1 < d.Length && d[i] == '0' && (d[i + 1] | 0x20) == 'x')
        {
            int j = i + 2;
            double v = 0;
            while (j < d.Length && Uri.IsHexDigit((char)d[j])) v = v * 16 + Convert.ToInt32(((char)d[j++]).ToString(), 16);
            if (j == i + 2) { value = 0; return i - start + 1; }
            value = negative ? -v : v;
            return j - start;
        }
        int k = i, digits = 0;
        while (k < d.Length && d[k] >= '0' && d[k] <= '9') { k++; digits++; }
        if (k < d.Length && d[k] == '.')
        {
            k++;
            while (k < d.Length && d[k] >= '0' && d[k] <= '9') { k++; digits++; }
        }
        if (digits == 0) return 0;
        if (k < d.Length && (d[k] == 'e' || d[k] == 'E'))
        {
            int e = k + 1;
            if (e < d.Length && (d[e] == '+' || d[e] == '-')) e++;
            int expDigits = 0;
            while (e < d.Length && d[e] >= '0' && d[e] <= '9') { e++; expDigits++; }
            if (expDigits > 0) k = e;
        }
        value = double.Parse(Encoding.ASCII.GetString(d, start, k - start), NumberStyles.Float, CultureInfo.InvariantCulture);
        return k - start;
    }

    private static void StringToken(ref Parser p)
    {
        var d = p.Data;
        int i = p.Pos + 1;
        var buf = new MemoryStream();
        while (true)
        {
            if (i >= d.Length)
            {
                SetError(ref p, "unexpected end of string");
                return;
            }
            byte ch = d[i];
            if (ch == '"') { i++; break; }
            if (ch != '\\') { buf.WriteByte(ch); i++; continue; }
            if (i + 1 >= d.Length)
            {
                SetError(ref p, "unexpected end of string");
                return;
            }
            byte esc = d[i + 1];
            switch (esc)
            {
                case (byte)'"': buf.WriteByte((byte)'"'); i += 2; break;
                case (byte)'\\': buf.WriteByte((byte)'\\'); i += 2; break;
                case (byte)'/': buf.WriteByte((byte)'/'); i += 2; break;
                case (byte)'b': buf.WriteByte((byte)'\b'); i += 2; break;
                case (byte)'f': buf.WriteByte((byte)'\f'); i += 2; break;
                case (byte)'n': buf.WriteByte((byte)'\n'); i += 2; break;
                case (byte)'r': buf.WriteByte((byte)'\r'); i += 2; break;
                case (byte)'t': buf.WriteByte((byte)'\t'); i += 2; break;
                case (byte)'u':
                    {
                        int used = DecodeUnicodeEscape(d, i, buf);
                        if (used < 0)
                        {
                            p.Index = i;
                            SetError(ref p, "invalid unicode escape code");
                            return;
                        }
                        i += used;
                        break;
                    }
                default:
                    p.Index = i;
                    SetError(ref p, "invalid escape code");
                    return;
            }
        }
        p.Type = Token.String;
        p.Value = LuaValue.FromString(new LuaString(buf.ToArray()));
        p.Pos = i;
    }

    private static int Hex4(byte[] d, int at)
    {
        if (at + 4 > d.Length) return -1;
        int v = 0;
        for (int k = 0; k < 4; k++)
        {
            char c = (char)d[at + k];
            if (!Uri.IsHexDigit(c)) return -1;
            v = v * 16 + Convert.ToInt32(c.ToString(), 16);
        }
        return v;
    }

    /// <summary>\uXXXX (with a surrogate pair when it needs one) as UTF-8; returns the bytes consumed or -1.</summary>
    private static int DecodeUnicodeEscape(byte[] d, int i, MemoryStream buf)
    {
        int cp = Hex4(d, i + 2);
        if (cp < 0) return -1;
        int used = 6;
        if ((cp & 0xF800) == 0xD800)
        {
            if ((cp & 0xFC00) != 0xD800) return -1;
            if (i + 7 >= d.Length || d[i + 6] != '\\' || d[i + 7] != 'u') return -1;
            int low = Hex4(d, i + 8);
            if (low < 0 || (low & 0xFC00) != 0xDC00) return -1;
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            used = 12;
        }
        if (cp < 0x80) buf.WriteByte((byte)cp);
        else if (cp < 0x800) { buf.WriteByte((byte)(0xC0 | (cp >> 6))); buf.WriteByte((byte)(0x80 | (cp & 0x3F))); }
        else if (cp < 0x10000) { buf.WriteByte((byte)(0xE0 | (cp >> 12))); buf.WriteByte((byte)(0x80 | ((cp >> 6) & 0x3F))); buf.WriteByte((byte)(0x80 | (cp & 0x3F))); }
        else { buf.WriteByte((byte)(0xF0 | (cp >> 18))); buf.WriteByte((byte)(0x80 | ((cp >> 12) & 0x3F))); buf.WriteByte((byte)(0x80 | ((cp >> 6) & 0x3F))); buf.WriteByte((byte)(0x80 | (cp & 0x3F))); }
        return used;
    }
}
