using System.Globalization;
using System.Text;

namespace Cinnabar.Lua;

internal static class Tk
{
    // single-char tokens use their byte value
    public const int And = 257, Break = 258, Do = 259, Else = 260, Elseif = 261, End = 262, False = 263, For = 264,
        Function = 265, If = 266, In = 267, Local = 268, Nil = 269, Not = 270, Or = 271, Repeat = 272, Return = 273,
        Then = 274, True = 275, Until = 276, While = 277,
        Concat = 278, Dots = 279, Eq = 280, Ge = 281, Le = 282, Ne = 283, Number = 284, Name = 285, String = 286, Eos = 287;

    public static readonly string[] Names =
    {
        "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "if", "in", "local", "nil", "not", "or",
        "repeat", "return", "then", "true", "until", "while", "..", "...", "==", ">=", "<=", "~=", "<number>", "<name>",
        "<string>", "<eof>",
    };

    public static readonly Dictionary<string, int> Reserved = new()
    {
        ["and"] = And, ["break"] = Break, ["do"] = Do, ["else"] = Else, ["elseif"] = Elseif, ["end"] = End,
        ["false"] = False, ["for"] = For, ["function"] = Function, ["if"] = If, ["in"] = In, ["local"] = Local,
        ["nil"] = Nil, ["not"] = Not, ["or"] = Or, ["repeat"] = Repeat, ["return"] = Return, ["then"] = Then,
        ["true"] = True, ["until"] = Until, ["while"] = While,
    };

    public static string ToStr(int t)
    {
        if (t < 257)
        {
            if (t < 32 || t == 127) return "char(" + t + ")";
            return ((char)t).ToString();
        }
        return Names[t - 257];
    }
}

/// <summary>Lua 5.1 lexer (llex.c semantics, including its error messages).</summary>
internal sealed class Lexer
{
    private readonly byte[] _src;
    private int _pos;
    private int _cur; // current char or -1
    public int Line = 1;
    public int LastLine = 1;
    private readonly string _chunkId;
    private readonly StringBuilder _buf = new();

    public int Token;
    public double NumVal;
    public LuaString? StrVal;
    public string? NameVal;
    private string _tokText = "";

    public int AheadToken = Tk.Eos;
    private double _aNum;
    private LuaString? _aStr;
    private string? _aName;
    private string _aText = "";
    private bool _hasAhead;

    public Lexer(ReadOnlySpan<byte> src, string chunkId)
    {
        _src = src.ToArray();
        _chunkId = chunkId;
        _pos = 0;
        _cur = _src.Length > 0 ? _src[0] : -1;
        // skip a first line starting with '#' (luaL_loadfile does this only for files; keep it harmless)
    }

    public string ChunkId => _chunkId;

    private void Next()
    {
        _pos++;
        _cur = _pos < _src.Length ? _src[_pos] : -1;
    }

    private void SaveAndNext()
    {
        _buf.Append((char)_cur);
        Next();
    }

    public LuaSyntaxException Error(string msg, int token)
    {
        string m = _chunkId + ":" + Line + ": " + msg;
        if (token != 0) m += " near '" + TokenText(token) + "'";
        return new LuaSyntaxException(m);
    }

    private string TokenText(int token)
    {
        if (token == Tk.Name || token == Tk.String || token == Tk.Number) return _buf.ToString();
        return Tk.ToStr(token);
    }

    /// <summary>Text of the current token for "near" in parser errors.</summary>
    public LuaSyntaxException SyntaxError(string msg)
    {
        string m = _chunkId + ":" + Line + ": " + msg;
        string near = Token switch
        {
            Tk.Name or Tk.String or Tk.Number => _tokText,
            _ => Tk.ToStr(Token),
        };
        return new LuaSyntaxException(m + " near '" + near + "'");
    }

    public void Advance()
    {
        LastLine = Line;
        if (_hasAhead)
        {
            _hasAhead = false;
            Token = AheadToken; NumVal = _aNum; StrVal = _aStr; NameVal = _aName; _tokText = _aText;
            return;
        }
        Token = Scan();
        _tokText = (Token == Tk.Name || Token == Tk.String || Token == Tk.Number) ? _buf.ToString() : "";
    }

    public int LookAhead()
    {
        if (!_hasAhead)
        {
            var t = Token; var n = NumVal; var s = StrVal; var nm = NameVal; var tx = _tokText;
            AheadToken = Scan();
            _aText = (AheadToken == Tk.Name || AheadToken == Tk.String || AheadToken == Tk.Number) ? _buf.ToString() : "";
            _aNum = NumVal; _aStr = StrVal; _aName = NameVal;
            Token = t; NumVal = n; StrVal = s; NameVal = nm; _tokText = tx;
            _hasAhead = true;
        }
        return AheadToken;
    }

    private bool IsNewline => _cur == '\n' || _cur == '\r';

    private void IncLine()
    {
        int old = _cur;
        Next();
        if ((_cur == '\n' || _cur == '\r') && _cur != old) Next();
        Line++;
    }

    private int Scan()
    {
        _buf.Clear();
        while (true)
        {
            switch (_cur)
            {
                case '\n':
                case '\r':
                    IncLine();
                    continue;
                case '-':
                    Next();
                    if (_cur != '-') return '-';
                    Next();
                    if (_cur == '[')
                    {
                        int sep = SkipSep();
                        _buf.Clear();
                        if (sep >= 0)
                        {
                            ReadLongString(sep, false);
                            _buf.Clear();
                            continue;
                        }
                    }
                    while (!IsNewline && _cur != -1) Next();
                    continue;
                case '[':
                {
                    int sep = SkipSep();
                    if (sep >= 0)
                    {
                        ReadLongString(sep, true);
                        return Tk.String;
                    }
                    if (sep == -1) return '[';
                    throw Error("invalid long string delimiter", Tk.String);
                }
                case '=':
                    Next();
                    if (_cur != '=') return '=';
                    Next(); return Tk.Eq;
                case '<':
                    Next();
                    if (_cur != '=') return '<';
                    Next(); return Tk.Le;
                case '>':
                    Next();
                    if (_cur != '=') return '>';
                    Next(); return Tk.Ge;
                case '~':
                    Next();
                    if (_cur != '=') return '~';
                    Next(); return Tk.Ne;
                case '"':
                case '\'':
                    ReadString(_cur);
                    return Tk.String;
                case '.':
                    SaveAndNext();
                    if (_cur == '.')
                    {
                        SaveAndNext();
                        if (_cur == '.') { SaveAndNext(); return Tk.Dots; }
                        return Tk.Concat;
                    }
                    if (_cur < '0' || _cur > '9') return '.';
                    ReadNumeral();
                    return Tk.Number;
                case -1:
                    return Tk.Eos;
                default:
                    if (_cur == ' ' || _cur == '\t' || _cur == '\f' || _cur == '\v')
                    {
                        Next();
                        continue;
                    }
                    if (_cur >= '0' && _cur <= '9')
                    {
                        ReadNumeral();
                        return Tk.Number;
                    }
                    if (IsAlpha(_cur) || _cur == '_')
                    {
                        do SaveAndNext(); while (IsAlnum(_cur) || _cur == '_');
                        string s = _buf.ToString();
                        if (Tk.Reserved.TryGetValue(s, out int r)) return r;
                        NameVal = s;
                        return Tk.Name;
                    }
                    {
                        int c = _cur;
                        Next();
                        return c;
                    }
            }
        }
    }

    private static bool IsAlpha(int c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    private static bool IsAlnum(int c) => IsAlpha(c) || (c >= '0' && c <= '9');

    private void ReadNumeral()
    {
        do SaveAndNext(); while ((_cur >= '0' && _cur <= '9') || _cur == '.');
        if (_cur == 'e' || _cur == 'E')
        {
            SaveAndNext();
            if (_cur == '+' || _cur == '-') SaveAndNext();
        }
        while (IsAlnum(_cur) || _cur == '_') SaveAndNext();
        string s = _buf.ToString();
        var bytes = new byte[s.Length];
        for (int i = 0; i < s.Length; i++) bytes[i] = (byte)s[i];
        if (!NumberParser.TryParse(bytes, out NumVal)) throw Error("malformed number", Tk.Number);
    }

    private int SkipSep()
    {
        int count = 0;
        int s = _cur;
        SaveAndNext();
        while (_cur == '=') { SaveAndNext(); count++; }
        return _cur == s ? count : (-count) - 1;
    }

    private void ReadLongString(int sep, bool isString)
    {
        SaveAndNext(); // second '['
        if (IsNewline) IncLine();
        var content = new List<byte>();
        while (true)
        {
            switch (_cur)
            {
                case -1:
                    throw Error(isString ? "unfinished long string" : "unfinished long comment", Tk.Eos);
                case '[':
                {
                    int before = _buf.Length;
                    if (SkipSep() == sep)
                    {
                        SaveAndNext();
                        if (sep == 0) throw Error("nesting of [[...]] is deprecated", '[');
                    }
                    for (int i = before; i < _buf.Length; i++) content.Add((byte)_buf[i]);
                    break;
                }
                case ']':
                {
                    int before = _buf.Length;
                    if (SkipSep() == sep)
                    {
                        SaveAndNext();
                        if (isString) StrVal = new LuaString(content.ToArray());
                        return;
                    }
                    for (int i = before; i < _buf.Length; i++) content.Add((byte)_buf[i]);
                    break;
                }
                case '\n':
                case '\r':
                    _buf.Append('\n');
                    content.Add((byte)'\n');
                    IncLine();
                    break;
                default:
                    content.Add((byte)_cur);
                    SaveAndNext();
                    break;
            }
        }
    }

    private void ReadString(int del)
    {
        SaveAndNext();
        var content = new List<byte>();
        while (_cur != del)
        {
            switch (_cur)
            {
                case -1:
                    throw Error("unfinished string", Tk.Eos);
                case '\n':
                case '\r':
                    throw Error("unfinished string", Tk.String);
                case '\\':
                {
                    int c;
                    Next(); // do not save the '\'
                    switch (_cur)
                    {
                        case 'a': c = 7; break;
                        case 'b': c = 8; break;
                        case 'f': c = 12; break;
                        case 'n': c = 10; break;
                        case 'r': c = 13; break;
                        case 't': c = 9; break;
                        case 'v': c = 11; break;
                        case '\n':
                        case '\r':
                            _buf.Append('\n');
                            content.Add(10);
                            IncLine();
                            continue;
                        case -1:
                            continue; // will raise unfinished string
                        default:
                            if (_cur < '0' || _cur > '9')
                            {
                                content.Add((byte)_cur);
                                SaveAndNext();
                                continue;
                            }
                            c = 0;
                            int i = 0;
                            do
                            {
                                c = 10 * c + (_cur - '0');
                                Next();
                            } while (++i < 3 && _cur >= '0' && _cur <= '9');
                            if (c > 255) throw Error("escape sequence too large", Tk.String);
                            _buf.Append((char)c);
                            content.Add((byte)c);
                            continue;
                    }
                    _buf.Append((char)c);
                    content.Add((byte)c);
                    Next();
                    continue;
                }
                default:
                    content.Add((byte)_cur);
                    SaveAndNext();
                    break;
            }
        }
        SaveAndNext();
        StrVal = new LuaString(content.ToArray());
    }
}

/// <summary>luaO_str2d: strtod (decimal, hex, inf, nan) then strtoul base 16 for "0x..."; surrounding spaces allowed.</summary>
internal static class NumberParser
{
    private static bool IsSpace(byte c) => c == ' ' || (c >= 9 && c <= 13);

    public static bool TryParse(ReadOnlySpan<byte> s, out double result)
    {
        result = 0;
        int i = 0, n = s.Length;
        while (i < n && IsSpace(s[i])) i++;
        bool neg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) { neg = s[i] == '-'; i++; }
        if (i + 1 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
        {
            // glibc strtod hex: digits, optional fraction, optional binary exponent
            int j = i + 2;
            double v = 0;
            int digits = 0;
            while (j < n && Uri.IsHexDigit((char)s[j])) { v = v * 16 + HexVal(s[j]); j++; digits++; }
            if (j < n && s[j] == '.')
            {
                j++;
                double scale = 1.0 / 16;
                while (j < n && Uri.IsHexDigit((char)s[j])) { v += HexVal(s[j]) * scale; scale /= 16; j++; digits++; }
            }
            if (digits == 0) return false;
            if (j < n && (s[j] == 'p' || s[j] == 'P'))
            {
                int k = j + 1;
                bool eneg = false;
                if (k < n && (s[k] == '+' || s[k] == '-')) { eneg = s[k] == '-'; k++; }
                if (k < n && s[k] >= '0' && s[k] <= '9')
                {
                    int ex = 0;
                    while (k < n && s[k] >= '0' && s[k] <= '9') { if (ex < 100000) ex = ex * 10 + (s[k] - '0'); k++; }
                    v = Math.ScaleB(v, eneg ? -ex : ex);
                    j = k;
                }
            }
            while (j < n && IsSpace(s[j])) j++;
            if (j != n) return false;
            result = neg ? -v : v;
            return true;
        }
        // inf / nan
        if (i < n && (s[i] == 'i' || s[i] == 'I' || s[i] == 'n' || s[i] == 'N'))
        {
            int j = i;
            double v;
            if (Match(s, ref j, "infinity") || Match(s, ref j, "inf")) v = double.PositiveInfinity;
            else if (Match(s, ref j, "nan"))
            {
                v = BitConverter.Int64BitsToDouble(0x7FF8000000000000); // strtod's positive NaN
                if (j < n && s[j] == '(')
                {
                    int k = j + 1;
                    while (k < n && (IsAlnumB(s[k]) || s[k] == '_')) k++;
                    if (k < n && s[k] == ')') j = k + 1;
                }
            }
            else return false;
            while (j < n && IsSpace(s[j])) j++;
            if (j != n) return false;
            result = neg ? -v : v;
            return true;
        }
        int digStart = i;
        int nd = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') { i++; nd++; }
        if (i < n && s[i] == '.')
        {
            i++;
            while (i < n && s[i] >= '0' && s[i] <= '9') { i++; nd++; }
        }
        if (nd == 0) return false;
        if (i < n && (s[i] == 'e' || s[i] == 'E'))
        {
            int j = i + 1;
            if (j < n && (s[j] == '+' || s[j] == '-')) j++;
            if (j < n && s[j] >= '0' && s[j] <= '9')
            {
                while (j < n && s[j] >= '0' && s[j] <= '9') j++;
                i = j;
            }
        }
        int end = i;
        while (i < n && IsSpace(s[i])) i++;
        if (i != n) return false;
        var text = Encoding.ASCII.GetString(s.Slice(digStart, end - digStart));
        if (text.StartsWith('.')) text = "0" + text;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return false;
        result = neg ? -d : d;
        return true;
    }

    private static bool IsAlnumB(byte c) => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

    private static bool Match(ReadOnlySpan<byte> s, ref int j, string word)
    {
        if (j + word.Length > s.Length) return false;
        for (int k = 0; k < word.Length; k++)
            if ((s[j + k] | 0x20) != word[k]) return false;
        j += word.Length;
        return true;
    }

    private static int HexVal(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
