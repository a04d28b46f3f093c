using System.Runtime.CompilerServices;

namespace Cinnabar.Lua;

internal static class MM
{
    public static readonly LuaValue Index = S("__index"), NewIndex = S("__newindex"), Call = S("__call"),
        Add = S("__add"), Sub = S("__sub"), Mul = S("__mul"), Div = S("__div"), Mod = S("__mod"), Pow = S("__pow"),
        Unm = S("__unm"), Len = S("__len"), Concat = S("__concat"), Eq = S("__eq"), Lt = S("__lt"), Le = S("__le"),
        Tostring = S("__tostring"), Metatable = S("__metatable");

    private static LuaValue S(string s) => LuaValue.FromString(LuaString.FromUtf8(s));

    public static LuaValue ForArith(ArithOp op) => op switch
    {
        ArithOp.Add => Add, ArithOp.Sub => Sub, ArithOp.Mul => Mul, ArithOp.Div => Div, ArithOp.Mod => Mod, _ => Pow,
    };
}

public sealed partial class LuaState
{
    internal LuaTable? GetMetatable(LuaValue v) => v.T switch
    {
        LuaType.Table => ((LuaTable)v.O!).Metatable,
        LuaType.String => StringMeta,
        _ => null,
    };

    internal LuaValue GetMetamethod(LuaValue v, LuaValue ev)
    {
        var mt = GetMetatable(v);
        return mt == null ? default : mt.RawGet(ev);
    }

    /// <summary>Calls fn(a, b) (or fn(a) when nargs is 1) and returns the first result.</summary>
    internal LuaValue CallMeta(LuaValue fn, LuaValue a, LuaValue b, int nargs = 2)
    {
        int top = Top;
        Push(a);
        if (nargs > 1) Push(b);
        int n = CallValue(fn, top, nargs, null);
        var r = n > 0 ? Stack[top] : default;
        Top = top;
        return r;
    }

    // ---------------- indexing ----------------

    internal LuaValue GetIndexSlow(LuaValue o, LuaValue k, Expr? site, int line)
    {
        var t = o;
        for (int loop = 0; loop < 100; loop++)
        {
            LuaValue h;
            if (t.T == LuaType.Table)
            {
                var tab = (LuaTable)t.O!;
                var v = tab.RawGet(k);
                if (v.T != LuaType.Nil) return v;
                var mt = tab.Metatable;
                if (mt == null) return default;
                h = mt.RawGet(MM.Index);
                if (h.T == LuaType.Nil) return default;
            }
            else
            {
                h = GetMetamethod(t, MM.Index);
                if (h.T == LuaType.Nil) throw TypeError(t, "index", loop == 0 ? site?.Describe() : null);
            }
            if (h.T == LuaType.Function) return CallMeta(h, t, k);
            t = h;
        }
        throw RuntimeErrorHere("loop in gettable");
    }

    internal LuaValue GetIndex(LuaValue o, LuaValue k, Expr? site)
    {
        if (o.T == LuaType.Table)
        {
            var tab = (LuaTable)o.O!;
            var v = tab.RawGet(k);
            if (v.T != LuaType.Nil || tab.Metatable == null) return v;
        }
        return GetIndexSlow(o, k, site, 0);
    }

    internal LuaValue GetIndex(LuaValue o, LuaValue k)
    {
        if (o.T == LuaType.Table)
        {
            var tab = (LuaTable)o.O!;
            var v = tab.RawGet(k);
            if (v.T != LuaType.Nil || tab.Metatable == null) return v;
        }
        return GetIndexSlow(o, k, null, 0);
    }

    internal void SetIndex(Frame? f, LuaValue o, LuaValue k, LuaValue val, Expr? site, int line)
    {
        var t = o;
        for (int loop = 0; loop < 100; loop++)
        {
            LuaValue h;
            if (t.T == LuaType.Table)
            {
                var tab = (LuaTable)t.O!;
                if (tab.ReadOnly) throw ReadOnlyError();
                var mt = tab.Metatable;
                if (mt == null || (h = mt.RawGet(MM.NewIndex)).T == LuaType.Nil || tab.RawGet(k).T != LuaType.Nil)
                {
                    CheckKey(k);
                    tab.RawSet(k, val);
                    return;
                }
            }
            else
            {
                h = GetMetamethod(t, MM.NewIndex);
                if (h.T == LuaType.Nil) throw TypeError(t, "index", loop == 0 ? site?.Describe() : null);
            }
            if (h.T == LuaType.Function)
            {
                int top = Top;
                Push(t);
                Push(k);
                Push(val);
                CallValue(h, top, 3, null);
                Top = top;
                return;
            }
            t = h;
        }
        throw RuntimeErrorHere("loop in settable");
    }

    /// <summary>Redis' readonly-table error: positioned in Lua code, bare when raised inside a native (luaG_runerror on a C frame).</summary>
    internal LuaRuntimeException ReadOnlyError() => RuntimeErrorHere("Attempt to modify a readonly table");

    internal void CheckKey(LuaValue k)
    {
        if (k.T == LuaType.Nil) throw RuntimeErrorHere("table index is nil");
        if (k.T == LuaType.Number && double.IsNaN(k.N)) throw RuntimeErrorHere("table index is NaN");
    }

    // ---------------- arithmetic ----------------

    internal static double Arith(ArithOp op, double a, double b) => op switch
    {
        ArithOp.Add => a + b,
        ArithOp.Sub => a - b,
        ArithOp.Mul => a * b,
        ArithOp.Div => a / b,
        ArithOp.Mod => a - Math.Floor(a / b) * b,
        _ => Math.Pow(a, b),
    };

    internal LuaValue ArithSlow(Frame f, ArithOp op, LuaValue a, LuaValue b, Expr ea, Expr eb, int line)
    {
        f.Line = line;
        if (a.TryGetNumber(out double x) && b.TryGetNumber(out double y)) return LuaValue.FromNumber(Arith(op, x, y));
        var ev = MM.ForArith(op);
        var h = GetMetamethod(a, ev);
        if (h.T == LuaType.Nil) h = GetMetamethod(b, ev);
        if (h.T != LuaType.Nil) return CallMeta(h, a, b);
        bool aNum = a.TryGetNumber(out _);
        throw aNum ? TypeError(b, "perform arithmetic on", eb.Describe()) : TypeError(a, "perform arithmetic on", ea.Describe());
    }

    internal LuaValue UnmSlow(Frame f, LuaValue a, Expr ea, int line)
    {
        f.Line = line;
        if (a.TryGetNumber(out double x)) return LuaValue.FromNumber(-x);
        var h = GetMetamethod(a, MM.Unm);
        if (h.T != LuaType.Nil) return CallMeta(h, a, a);
        throw TypeError(a, "perform arithmetic on", ea.Describe());
    }

    internal LuaValue LenSlow(Frame f, LuaValue a, Expr ea, int line)
    {
        f.Line = line;
        var h = GetMetamethod(a, MM.Len);
        if (h.T != LuaType.Nil && a.T != LuaType.Table) return CallMeta(h, a, default, 1);
        throw TypeError(a, "get length of", ea.Describe());
    }

    // ---------------- comparison ----------------

    internal bool EqualsMeta(LuaValue a, LuaValue b)
    {
        // 5.1 get_compTM: both must have the same __eq handler
        var mt1 = GetMetatable(a);
        if (mt1 == null) return false;
        var h1 = mt1.RawGet(MM.Eq);
        if (h1.T == LuaType.Nil) return false;
        var mt2 = GetMetatable(b);
        if (mt2 == null) return false;
        if (mt1 != mt2)
        {
            var h2 = mt2.RawGet(MM.Eq);
            if (!h1.Equals(h2)) return false;
        }
        return !CallMeta(h1, a, b).IsFalsy;
    }

    /// <summary>Full equality with __eq (for library code).</summary>
    internal bool ValuesEqual(LuaValue a, LuaValue b)
    {
        if (a.T != b.T) return false;
        if (a.Equals(b)) return true;
        if (a.T == LuaType.Table || a.T == LuaType.UserData) return EqualsMeta(a, b);
        return false;
    }

    private LuaValue GetCompHandler(LuaValue a, LuaValue b, LuaValue ev)
    {
        var h1 = GetMetamethod(a, ev);
        if (h1.T == LuaType.Nil) return default;
        var h2 = GetMetamethod(b, ev);
        return h1.Equals(h2) ? h1 : default;
    }

    private LuaRuntimeException OrderError(LuaValue a, LuaValue b)
    {
        string t1 = a.TypeName, t2 = b.TypeName;
        return RuntimeErrorHere(t1 == t2 ? "attempt to compare two " + t1 + " values" : "attempt to compare " + t1 + " with " + t2);
    }

    internal bool LessThan(Frame? f, LuaValue a, LuaValue b, int line)
    {
        if (a.T != b.T) throw OrderError(a, b);
        if (a.T == LuaType.Number) return a.N < b.N;
        if (a.T == LuaType.String) return ((LuaString)a.O!).CompareTo((LuaString)b.O!) < 0;
        var h = GetCompHandler(a, b, MM.Lt);
        if (h.T != LuaType.Nil) return !CallMeta(h, a, b).IsFalsy;
        throw OrderError(a, b);
    }

    internal bool LessEqual(Frame? f, LuaValue a, LuaValue b, int line)
    {
        if (a.T != b.T) throw OrderError(a, b);
        if (a.T == LuaType.Number) return a.N <= b.N;
        if (a.T == LuaType.String) return ((LuaString)a.O!).CompareTo((LuaString)b.O!) <= 0;
        var h = GetCompHandler(a, b, MM.Le);
        if (h.T != LuaType.Nil) return !CallMeta(h, a, b).IsFalsy;
        h = GetCompHandler(b, a, MM.Lt);
        if (h.T != LuaType.Nil) return CallMeta(h, b, a).IsFalsy;
        throw OrderError(a, b);
    }

    // ---------------- concatenation ----------------

    private static bool IsStrOrNum(LuaValue v) => v.T == LuaType.String || v.T == LuaType.Number;

    /// <summary>luaV_concat over stack[start..start+n): right to left, merging runs of strings/numbers.</summary>
    internal LuaValue Concat(Frame? f, int start, int n, Expr[]? exprs, int line)
    {
        int last = start + n - 1; // index of the current top operand
        while (last > start)
        {
            var top = Stack[last];
            var below = Stack[last - 1];
            if (!IsStrOrNum(top) || !IsStrOrNum(below))
            {
                var h = GetMetamethod(below, MM.Concat);
                if (h.T == LuaType.Nil) h = GetMetamethod(top, MM.Concat);
                if (h.T == LuaType.Nil)
                {
                    // luaG_concaterror: blame the first operand unless it is a string/number
                    int bad = IsStrOrNum(below) ? last : last - 1;
                    string? desc = exprs?[bad - start].Describe();
                    throw TypeError(Stack[bad], "concatenate", desc);
                }
                var r = CallMeta(h, below, top);
                Stack[last - 1] = r;
                last--;
                continue;
            }
            // gather the run of strings/numbers ending at 'last'
            int first = last - 1;
            while (first > start && IsStrOrNum(Stack[first - 1])) first--;
            int total = 0;
            for (int i = first; i <= last; i++) total += ToStringForConcat(i).Length;
            var buf = new byte[total];
            int pos = 0;
            for (int i = first; i <= last; i++)
            {
                var s = (LuaString)Stack[i].O!;
                s.Bytes.CopyTo(buf, pos);
                pos += s.Length;
            }
            Stack[first] = LuaValue.FromString(new LuaString(buf));
            last = first;
        }
        return Stack[start];
    }

    private LuaString ToStringForConcat(int i)
    {
        var v = Stack[i];
        if (v.T == LuaType.String) return (LuaString)v.O!;
        var s = NumberToLuaString(v.N);
        Stack[i] = LuaValue.FromString(s);
        return s;
    }

    // ---------------- tostring ----------------

    /// <summary>luaL_tolstring semantics of 5.1's tostring (with __tostring).</summary>
    internal LuaValue ToStringMeta(LuaValue v)
    {
        var h = GetMetamethod(v, MM.Tostring);
        if (h.T != LuaType.Nil) return CallMeta(h, v, default, 1);
        return v.T switch
        {
            LuaType.String => v,
            LuaType.Number => LuaValue.FromString(NumberToLuaString(v.N)),
            _ => LuaValue.FromString(LuaString.FromAscii(ToDisplay(v))),
        };
    }

    internal static string ToDisplay(LuaValue v) => v.T switch
    {
        LuaType.Nil => "nil",
        LuaType.Boolean => v.N != 0 ? "true" : "false",
        LuaType.Number => NumberToString(v.N),
        LuaType.String => ((LuaString)v.O!).ToLatin1(),
        _ => v.TypeName + ": " + AddressOf(v.O),
    };

    private static readonly ConditionalWeakTable<object, object> s_ids = new();
    private static long s_nextId = 0x55d0c0de0000;

    private static string AddressOf(object? o)
    {
        if (o == null) return "0x0";
        var id = s_ids.GetValue(o, _ => (object)Interlocked.Add(ref s_nextId, 0x40));
        return "0x" + ((long)id).ToString("x12");
    }
}
