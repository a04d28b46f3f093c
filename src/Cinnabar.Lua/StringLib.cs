using System.Runtime.CompilerServices;
using System.Text;

namespace Cinnabar.Lua;

/// <summary>Lua 5.1 string library (lstrlib.c semantics).</summary>
internal static class StringLib
{
    public static void Open(LuaState L)
    {
        var s = new LuaTable();
        s.Reg("byte", Byte);
        s.Reg("char", Char);
        s.Reg("dump", c => throw c.State.Error("unable to dump given function"));
        s.Reg("find", c => FindAux(c, true));
        s.Reg("format", Format);
        s.Reg("gmatch", GMatch);
        s.Reg("gsub", GSub);
        s.Reg("len", c => c.Return(LuaValue.FromNumber(c.CheckString(0, "len").Length)));
        s.Reg("lower", c => c.Return(Map(c.CheckString(0, "lower"), false)));
        s.Reg("upper", c => c.Return(Map(c.CheckString(0, "upper"), true)));
        s.Reg("match", c => FindAux(c, false));
        s.Reg("rep", Rep);
        s.Reg("reverse", c =>
        {
            var b = c.CheckString(0, "reverse").Span.ToArray();
            Array.Reverse(b);
            return c.Return(new LuaString(b));
        });
        s.Reg("sub", Sub);
        L.Globals.RawSet("string", LuaValue.FromTable(s));
        var meta = new LuaTable();
        meta.RawSet("__index", LuaValue.FromTable(s));
        L.StringMeta = meta;
    }

    private static LuaValue Map(LuaString s, bool upper)
    {
        var b = s.Span.ToArray();
        for (int i = 0; i < b.Length; i++)
        {
            byte x = b[i];
            if (upper) { if (x >= 'a' && x <= 'z') b[i] = (byte)(x - 32); }
            else if (x >= 'A' && x <= 'Z') b[i] = (byte)(x + 32);
        }
        return new LuaString(b);
    }

    private static long PosRelat(long pos, int len)
    {
        if (pos < 0) pos += len + 1;
        return pos >= 0 ? pos : 0;
    }

    private static int Sub(LuaCallContext c)
    {
        var s = c.CheckString(0, "sub");
        int l = s.Length;
        long start = PosRelat(c.CheckInteger(1, "sub"), l);
        long end = PosRelat(c.OptInteger(2, "sub", -1), l);
        if (start < 1) start = 1;
        if (end > l) end = l;
        if (start <= end)
        {
            if (start == 1 && end == l) return c.Return(s);
            return c.Return(new LuaString(s.Span.Slice((int)start - 1, (int)(end - start + 1)).ToArray()));
        }
        return c.Return(LuaString.Empty);
    }

    private static int Byte(LuaCallContext c)
    {
        var s = c.CheckString(0, "byte");
        int l = s.Length;
        long posi = PosRelat(c.OptInteger(1, "byte", 1), l);
        long pose = PosRelat(c.OptInteger(2, "byte", posi), l);
        if (posi <= 0) posi = 1;
        if (pose > l) pose = l;
        if (posi > pose) return 0;
        long n = pose - posi + 1;
        if (n > 7990) throw c.State.Error("string slice too long");
        var L = c.State;
        for (long i = 0; i < n; i++) L.Push(LuaValue.FromNumber(s[(int)(posi + i - 1)]));
        return (int)n;
    }

    private static int Char(LuaCallContext c)
    {
        var b = new byte[c.ArgCount];
        for (int i = 0; i < c.ArgCount; i++)
        {
            long v = c.CheckInt(i, "char");
            if ((byte)v != v) throw c.State.ArgError(i + 1, "char", "invalid value");
            b[i] = (byte)v;
        }
        return c.Return(new LuaString(b));
    }

    private static int Rep(LuaCallContext c)
    {
        var s = c.CheckString(0, "rep");
        long n = c.CheckInt(1, "rep");
        if (n <= 0 || s.Length == 0) return c.Return(LuaString.Empty);
        long total = s.Length * n;
        if (total > int.MaxValue / 2) throw c.State.Error("not enough memory");
        var b = new byte[total];
        var src = s.Span;
        for (long i = 0; i < n; i++) src.CopyTo(b.AsSpan((int)(i * s.Length)));
        return c.Return(new LuaString(b));
    }

    // ===================== pattern matching =====================

    private const int MaxCaptures = 32;
    private const int CapUnfinished = -1;
    private const int CapPosition = -2;
    private const byte LEsc = (byte)'%';

    private sealed class MatchState
    {
        public byte[] Src = null!;
        public int SrcEnd;
        public byte[] P = null!;
        public int PEnd;
        public LuaState L = null!;
        public int Level;
        public readonly int[] CapInit = new int[MaxCaptures];
        public readonly int[] CapLen = new int[MaxCaptures];
    }

    private static int CheckCapture(MatchState ms, int l)
    {
        l -= '1';
        if (l < 0 || l >= ms.Level || ms.CapLen[l] == CapUnfinished) throw ms.L.Error("invalid capture index");
        return l;
    }

    private static int CaptureToClose(MatchState ms)
    {
        int level = ms.Level;
        for (level--; level >= 0; level--)
            if (ms.CapLen[level] == CapUnfinished) return level;
        throw ms.L.Error("invalid pattern capture");
    }

    private static int ClassEnd(MatchState ms, int p)
    {
        var P = ms.P;
        if (p >= ms.PEnd) throw ms.L.Error("malformed pattern (ends with '%')"); // unreachable guard
        byte c = P[p++];
        if (c == LEsc)
        {
            if (p >= ms.PEnd) throw ms.L.Error("malformed pattern (ends with '%')");
            return p + 1;
        }
        if (c == '[')
        {
            if (p < ms.PEnd && P[p] == '^') p++;
            do
            {
                if (p >= ms.PEnd) throw ms.L.Error("malformed pattern (missing ']')");
                c = P[p++];
                if (c == LEsc && p < ms.PEnd) p++;
            } while (p >= ms.PEnd || P[p] != ']');
            return p + 1;
        }
        return p;
    }

    private static bool IsAlpha(int c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    private static bool IsDigit(int c) => c >= '0' && c <= '9';

    private static bool SingleClass(int c, int cl)
    {
        bool res;
        switch (cl | 0x20)
        {
            case 'a': res = IsAlpha(c); break;
            case 'c': res = c < 32 || c == 127; break;
            case 'd': res = IsDigit(c); break;
            case 'l': res = c >= 'a' && c <= 'z'; break;
            case 'p': res = (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126); break;
            case 's': res = c == ' ' || (c >= 9 && c <= 13); break;
            case 'u': res = c >= 'A' && c <= 'Z'; break;
            case 'w': res = IsAlpha(c) || IsDigit(c); break;
            case 'x': res = IsDigit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); break;
            case 'z': res = c == 0; break;
            default: return cl == c;
        }
        if (cl >= 'A' && cl <= 'Z') res = !res;
        return res;
    }

    private static bool MatchClass(MatchState ms, int c, int p, int ec)
    {
        var P = ms.P;
        bool sig = true;
        if (P[p + 1] == '^')
        {
            sig = false;
            p++;
        }
        while (++p < ec)
        {
            if (P[p] == LEsc)
            {
                p++;
                if (SingleClass(c, P[p])) return sig;
            }
            else if (p + 2 < ec && P[p + 1] == '-')
            {
                if (P[p] <= c && c <= P[p + 2]) return sig;
                p += 2;
            }
            else if (P[p] == c) return sig;
        }
        return !sig;
    }

    private static bool SingleMatch(MatchState ms, int s, int p, int ep)
    {
        if (s >= ms.SrcEnd) return false;
        int c = ms.Src[s];
        switch (ms.P[p])
        {
            case (byte)'.': return true;
            case LEsc: return SingleClass(c, ms.P[p + 1]);
            case (byte)'[': return MatchClass(ms, c, p, ep - 1);
            default: return ms.P[p] == c;
        }
    }

    private static int MatchBalance(MatchState ms, int s, int p)
    {
        if (p + 1 >= ms.PEnd) throw ms.L.Error("unbalanced pattern");
        if (s >= ms.SrcEnd || ms.Src[s] != ms.P[p]) return -1;
        int b = ms.P[p], e = ms.P[p + 1];
        int cont = 1;
        while (++s < ms.SrcEnd)
        {
            if (ms.Src[s] == e)
            {
                if (--cont == 0) return s + 1;
            }
            else if (ms.Src[s] == b) cont++;
        }
        return -1;
    }

    private static int MaxExpand(MatchState ms, int s, int p, int ep)
    {
        int i = 0;
        while (SingleMatch(ms, s + i, p, ep)) i++;
        while (i >= 0)
        {
            int res = Match(ms, s + i, ep + 1);
            if (res != -1) return res;
            i--;
        }
        return -1;
    }

    private static int MinExpand(MatchState ms, int s, int p, int ep)
    {
        while (true)
        {
            int res = Match(ms, s, ep + 1);
            if (res != -1) return res;
            if (SingleMatch(ms, s, p, ep)) s++;
            else return -1;
        }
    }

    private static int StartCapture(MatchState ms, int s, int p, int what)
    {
        int level = ms.Level;
        if (level >= MaxCaptures) throw ms.L.Error("too many captures");
        ms.CapInit[level] = s;
        ms.CapLen[level] = what;
        ms.Level = level + 1;
        int res = Match(ms, s, p);
        if (res == -1) ms.Level--;
        return res;
    }

    private static int EndCapture(MatchState ms, int s, int p)
    {
        int l = CaptureToClose(ms);
        ms.CapLen[l] = s - ms.CapInit[l];
        int res = Match(ms, s, p);
        if (res == -1) ms.CapLen[l] = CapUnfinished;
        return res;
    }

    private static int MatchCapture(MatchState ms, int s, int l)
    {
        l = CheckCapture(ms, l);
        int len = ms.CapLen[l];
        if (ms.SrcEnd - s >= len && ms.Src.AsSpan(ms.CapInit[l], len).SequenceEqual(ms.Src.AsSpan(s, len))) return s + len;
        return -1;
    }

    /// <summary>Returns the end index of the match or -1.</summary>
    private static int Match(MatchState ms, int s, int p)
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) throw ms.L.Error("pattern too complex");
        if (--ms.L.Steps <= 0) ms.L.CheckInterrupt(); // backtracking can be very long: keep SCRIPT KILL working
        var P = ms.P;
        while (true)
        {
            if (p >= ms.PEnd) return s;
            switch (P[p])
            {
                case (byte)'(':
                    if (p + 1 < ms.PEnd && P[p + 1] == ')') return StartCapture(ms, s, p + 2, CapPosition);
                    return StartCapture(ms, s, p + 1, CapUnfinished);
                case (byte)')':
                    return EndCapture(ms, s, p + 1);
                case LEsc:
                    if (p + 1 < ms.PEnd)
                    {
                        byte n = P[p + 1];
                        if (n == 'b')
                        {
                            s = MatchBalance(ms, s, p + 2);
                            if (s == -1) return -1;
                            p += 4;
                            continue;
                        }
                        if (n == 'f')
                        {
                            p += 2;
                            if (p >= ms.PEnd || P[p] != '[') throw ms.L.Error("missing '[' after '%f' in pattern");
                            int ep2 = ClassEnd(ms, p);
                            int prev = s == 0 ? 0 : ms.Src[s - 1];
                            int cur = s < ms.SrcEnd ? ms.Src[s] : 0;
                            if (MatchClass(ms, prev, p, ep2 - 1) || !MatchClass(ms, cur, p, ep2 - 1)) return -1;
                            p = ep2;
                            continue;
                        }
                        if (IsDigit(n))
                        {
                            s = MatchCapture(ms, s, n);
                            if (s == -1) return -1;
                            p += 2;
                            continue;
                        }
                    }
                    goto default;
                case (byte)'$':
                    if (p + 1 == ms.PEnd) return s == ms.SrcEnd ? s : -1;
                    goto default;
                default:
                {
                    int ep = ClassEnd(ms, p);
                    bool m = SingleMatch(ms, s, p, ep);
                    int epc = ep < ms.PEnd ? P[ep] : -1;
                    switch (epc)
                    {
                        case '?':
                        {
                            if (m)
                            {
                                int res = Match(ms, s + 1, ep + 1);
                                if (res != -1) return res;
                            }
                            p = ep + 1;
                            continue;
                        }
                        case '*': return MaxExpand(ms, s, p, ep);
                        case '+': return m ? MaxExpand(ms, s + 1, p, ep) : -1;
                        case '-': return MinExpand(ms, s, p, ep);
                        default:
                            if (!m) return -1;
                            s++;
                            p = ep;
                            continue;
                    }
                }
            }
        }
    }

    private static LuaValue GetCapture(MatchState ms, int i, int s, int e)
    {
        if (i >= ms.Level)
        {
            if (i == 0) return new LuaString(ms.Src.AsSpan(s, e - s).ToArray());
            throw ms.L.Error("invalid capture index");
        }
        int l = ms.CapLen[i];
        if (l == CapUnfinished) throw ms.L.Error("unfinished capture");
        if (l == CapPosition) return LuaValue.FromNumber(ms.CapInit[i] + 1);
        return new LuaString(ms.Src.AsSpan(ms.CapInit[i], l).ToArray());
    }

    private static int PushCaptures(MatchState ms, int s, int e, bool wholeIfNone)
    {
        int n = ms.Level == 0 && wholeIfNone ? 1 : ms.Level;
        for (int i = 0; i < n; i++) ms.L.Push(GetCapture(ms, i, s, e));
        return n;
    }

    private static MatchState NewState(LuaState L, LuaString s, LuaString p) => new()
    {
        L = L, Src = s.Bytes, SrcEnd = s.Length, P = p.Bytes, PEnd = p.Length,
    };

    private static bool HasSpecials(ReadOnlySpan<byte> p)
    {
        foreach (var b in p)
        {
            if (b == 0) return false; // strpbrk stops at NUL
            if ("^$*+?.([%-".IndexOf((char)b) >= 0) return true;
        }
        return false;
    }

    private static int FindAux(LuaCallContext c, bool find)
    {
        string fname = find ? "find" : "match";
        var s = c.CheckString(0, fname);
        var p = c.CheckString(1, fname);
        int l1 = s.Length;
        long init = PosRelat(c.OptInteger(2, fname, 1), l1) - 1;
        if (init < 0) init = 0;
        else if (init > l1) init = l1;
        var L = c.State;
        if (find && (!c[3].IsFalsy || !HasSpecials(p.Span)))
        {
            int idx = s.Span.Slice((int)init).IndexOf(p.Span);
            if (idx >= 0)
            {
                c.Return(LuaValue.FromNumber(init + idx + 1));
                return c.Return(LuaValue.FromNumber(init + idx + p.Length));
            }
        }
        else
        {
            var ms = NewState(L, s, p);
            int pstart = 0;
            bool anchor = p.Length > 0 && p[0] == '^';
            if (anchor) pstart = 1;
            int s1 = (int)init;
            do
            {
                ms.Level = 0;
                int e = Match(ms, s1, pstart);
                if (e != -1)
                {
                    if (find)
                    {
                        L.Push(LuaValue.FromNumber(s1 + 1));
                        L.Push(LuaValue.FromNumber(e));
                        return PushCaptures(ms, -1, -1, false) + 2;
                    }
                    return PushCaptures(ms, s1, e, true);
                }
            } while (s1++ < ms.SrcEnd && !anchor);
        }
        return c.Return(default);
    }

    private static int GMatch(LuaCallContext c)
    {
        var s = c.CheckString(0, "gmatch");
        var p = c.CheckString(1, "gmatch");
        int pos = 0;
        var iter = new LuaNativeClosure("gmatch_iter", cc =>
        {
            var ms = NewState(cc.State, s, p);
            for (int src = pos; src <= ms.SrcEnd; src++)
            {
                ms.Level = 0;
                int e = Match(ms, src, 0);
                if (e != -1)
                {
                    int newstart = e;
                    if (e == src) newstart++;
                    pos = newstart;
                    return PushCaptures(ms, src, e, true);
                }
            }
            pos = ms.SrcEnd + 1;
            return 0;
        });
        return c.Return(LuaValue.FromFunction(iter));
    }

    private static int GSub(LuaCallContext c)
    {
        var src = c.CheckString(0, "gsub");
        var p = c.CheckString(1, "gsub");
        var repl = c[2];
        var tr = repl.T;
        long maxN = c.OptInt(3, "gsub", src.Length + 1);
        if (!(tr == LuaType.Number || tr == LuaType.String || tr == LuaType.Function || tr == LuaType.Table))
            throw c.State.ArgError(3, "gsub", "string/function/table expected");
        var L = c.State;
        bool anchor = p.Length > 0 && p[0] == '^';
        int pstart = anchor ? 1 : 0;
        var ms = NewState(L, src, p);
        var b = new List<byte>(src.Length);
        int s = 0;
        long n = 0;
        while (n < maxN)
        {
            ms.Level = 0;
            int e = Match(ms, s, pstart);
            if (e != -1)
            {
                n++;
                AddValue(ms, b, s, e, repl);
            }
            if (e != -1 && e > s) s = e;
            else if (s < ms.SrcEnd) b.Add(src[s++]);
            else break;
            if (anchor) break;
        }
        for (int i = s; i < src.Length; i++) b.Add(src[i]);
        c.Return(new LuaString(b.ToArray()));
        return c.Return(LuaValue.FromNumber(n));
    }

    private static void AddValue(MatchState ms, List<byte> b, int s, int e, LuaValue repl)
    {
        var L = ms.L;
        LuaValue v;
        switch (repl.T)
        {
            case LuaType.Number:
            case LuaType.String:
            {
                var news = repl.T == LuaType.String ? repl.AsString : LuaState.NumberToLuaString(repl.N);
                var ns = news.Bytes;
                for (int i = 0; i < ns.Length; i++)
                {
                    if (ns[i] != LEsc) b.Add(ns[i]);
                    else
                    {
                        i++;
                        int ch = i < ns.Length ? ns[i] : 0;
                        if (!IsDigit(ch))
                        {
                            if (i < ns.Length) b.Add((byte)ch);
                        }
                        else if (ch == '0') b.AddRange(ms.Src.AsSpan(s, e - s).ToArray());
                        else
                        {
                            var cap = GetCapture(ms, ch - '1', s, e);
                            AppendValue(b, cap);
                        }
                    }
                }
                return;
            }
            case LuaType.Function:
            {
                int top = L.Top;
                int n = PushCaptures(ms, s, e, true);
                int r = L.CallFromNative(repl, top, n);
                v = r > 0 ? L.Stack[top] : default;
                L.Top = top;
                break;
            }
            default:
                v = L.GetIndex(repl, GetCapture(ms, 0, s, e));
                break;
        }
        if (v.IsFalsy)
        {
            b.AddRange(ms.Src.AsSpan(s, e - s).ToArray());
            return;
        }
        if (v.T != LuaType.String && v.T != LuaType.Number)
            throw L.Error("invalid replacement value (a " + v.TypeName + ")");
        AppendValue(b, v);
    }

    private static void AppendValue(List<byte> b, LuaValue v)
    {
        var s = v.T == LuaType.String ? v.AsString : LuaState.NumberToLuaString(v.N);
        b.AddRange(s.Bytes);
    }

    // ===================== format =====================

    private static void AddUntilNul(List<byte> sb, List<byte> piece)
    {
        foreach (var b in piece)
        {
            if (b == 0) return;
            sb.Add(b);
        }
    }

    private static int Format(LuaCallContext c)
    {
        var fmt = c.CheckString(0, "format").Bytes;
        var L = c.State;
        var sb = new List<byte>(fmt.Length + 16);
        int arg = 0;
        int i = 0;
        while (i < fmt.Length)
        {
            byte ch = fmt[i++];
            if (ch != '%')
            {
                sb.Add(ch);
                continue;
            }
            if (i < fmt.Length && fmt[i] == '%')
            {
                sb.Add((byte)'%');
                i++;
                continue;
            }
            // scanformat
            var sp = new Printf.Spec { Precision = -1 };
            int fstart = i;
            while (i < fmt.Length && "-+ #0".IndexOf((char)fmt[i]) >= 0)
            {
                switch (fmt[i])
                {
                    case (byte)'-': sp.Left = true; break;
                    case (byte)'+': sp.Plus = true; break;
                    case (byte)' ': sp.Space = true; break;
                    case (byte)'#': sp.Alt = true; break;
                    case (byte)'0': sp.Zero = true; break;
                }
                i++;
            }
            if (i - fstart >= 6) throw L.Error("invalid format (repeated flags)");
            int wd = 0;
            while (i < fmt.Length && IsDigit(fmt[i])) { sp.Width = sp.Width * 10 + (fmt[i] - '0'); i++; wd++; }
            if (wd > 2) throw L.Error("invalid format (width or precision too long)");
            if (i < fmt.Length && fmt[i] == '.')
            {
                i++;
                sp.Precision = 0;
                int pd = 0;
                while (i < fmt.Length && IsDigit(fmt[i])) { sp.Precision = sp.Precision * 10 + (fmt[i] - '0'); i++; pd++; }
                if (pd > 2) throw L.Error("invalid format (width or precision too long)");
            }
            if (i >= fmt.Length) throw L.Error("invalid option '%' to 'format'");
            byte conv = fmt[i++];
            arg++;
            if (arg >= c.ArgCount) throw L.ArgError(arg + 1, "format", "no value");
            string outStr;
            switch (conv)
            {
                case (byte)'c':
                {
                    double cd = c.CheckNumber(arg, "format");
                    byte cv = (byte)(double.IsNaN(cd) || cd >= 2147483648.0 || cd <= -2147483649.0 ? int.MinValue : (int)cd); // (int) cast as x86
                    var piece = new List<byte>();
                    int pad = sp.Width - 1;
                    if (!sp.Left) for (int k = 0; k < pad; k++) piece.Add((byte)' ');
                    piece.Add(cv);
                    if (sp.Left) for (int k = 0; k < pad; k++) piece.Add((byte)' ');
                    AddUntilNul(sb, piece); // 5.1 appends strlen(buff)
                    continue;
                }
                case (byte)'d':
                case (byte)'i':
                case (byte)'o':
                case (byte)'u':
                case (byte)'x':
                case (byte)'X':
                    outStr = Printf.FormatInt(c.CheckNumber(arg, "format"), (char)conv, sp);
                    break;
                case (byte)'e':
                case (byte)'E':
                    outStr = Printf.Pad(Printf.FormatE(c.CheckNumber(arg, "format"), sp.Precision < 0 ? 6 : sp.Precision, conv == 'E', sp.Alt), sp, true);
                    break;
                case (byte)'f':
                    outStr = Printf.Pad(Printf.FormatF(c.CheckNumber(arg, "format"), sp.Precision < 0 ? 6 : sp.Precision, sp.Alt), sp, true);
                    break;
                case (byte)'g':
                case (byte)'G':
                    outStr = Printf.Pad(Printf.FormatG(c.CheckNumber(arg, "format"), sp.Precision < 0 ? 6 : sp.Precision, conv == 'G', sp.Alt), sp, true);
                    break;
                case (byte)'q':
                {
                    var s = c.CheckString(arg, "format").Bytes;
                    sb.Add((byte)'"');
                    foreach (var x in s)
                    {
                        switch (x)
                        {
                            case (byte)'"':
                            case (byte)'\\':
                            case (byte)'\n':
                                sb.Add((byte)'\\');
                                sb.Add(x);
                                break;
                            case (byte)'\r':
                                sb.Add((byte)'\\'); sb.Add((byte)'r');
                                break;
                            case 0:
                                sb.Add((byte)'\\'); sb.Add((byte)'0'); sb.Add((byte)'0'); sb.Add((byte)'0');
                                break;
                            default:
                                sb.Add(x);
                                break;
                        }
                    }
                    sb.Add((byte)'"');
                    continue;
                }
                case (byte)'s':
                {
                    var str = c.CheckString(arg, "format").Bytes;
                    if (sp.Precision < 0 && str.Length >= 100)
                    {
                        sb.AddRange(str); // 5.1 adds long strings whole
                        continue;
                    }
                    int len = str.Length;
                    if (sp.Precision >= 0 && sp.Precision < len) len = sp.Precision;
                    int nul = Array.IndexOf(str, (byte)0, 0, len);
                    if (nul >= 0) len = nul; // sprintf %s stops at NUL
                    var piece = new List<byte>();
                    int pad = sp.Width - len;
                    if (pad > 0 && !sp.Left) for (int k = 0; k < pad; k++) piece.Add((byte)' ');
                    for (int k = 0; k < len; k++) piece.Add(str[k]);
                    if (pad > 0 && sp.Left) for (int k = 0; k < pad; k++) piece.Add((byte)' ');
                    sb.AddRange(piece);
                    continue;
                }
                default:
                    throw L.Error("invalid option '%" + (char)conv + "' to 'format'");
            }
            foreach (var ch2 in outStr) sb.Add((byte)ch2);
        }
        return c.Return(new LuaString(sb.ToArray()));
    }
}
