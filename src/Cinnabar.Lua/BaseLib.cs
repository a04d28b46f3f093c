namespace Cinnabar.Lua;

public sealed partial class LuaState
{
    /// <summary>Opens base, string, table, math and coroutine (stub) libraries.</summary>
    public void OpenLibraries()
    {
        OpenBase();
        StringLib.Open(this);
        TableLib.Open(this);
        MathLib.Open(this);
        OpenCoroutine();
        _baselineReachable = MeasureReachable();
    }

    private void OpenBase()
    {
        var G = Globals;
        G.RawSet("_G", LuaValue.FromTable(G));
        G.RawSet("_VERSION", LuaValue.FromString("Lua 5.1"));
        G.Reg("assert", Assert);
        G.Reg("error", ErrorFn);
        G.Reg("getmetatable", GetMetatableFn);
        G.Reg("setmetatable", SetMetatableFn);
        var next = new LuaNativeClosure("next", NextFnImpl);
        NextFn = next;
        G.RawSet("next", LuaValue.FromFunction(next));
        var ipairsIter = LuaValue.FromFunction(new LuaNativeClosure("ipairs_iter", IpairsIter));
        G.Reg("pairs", c =>
        {
            c.CheckTable(0, "pairs");
            c.Return(LuaValue.FromFunction(next));
            c.Return(c[0]);
            return c.Return(default);
        });
        G.Reg("ipairs", c =>
        {
            c.CheckTable(0, "ipairs");
            c.Return(ipairsIter);
            c.Return(c[0]);
            return c.Return(LuaValue.FromNumber(0));
        });
        G.Reg("pcall", PCall);
        G.Reg("xpcall", XPCall);
        G.Reg("rawequal", c =>
        {
            c.CheckAny(0, "rawequal");
            c.CheckAny(1, "rawequal");
            return c.Return(c[0].Equals(c[1]));
        });
        G.Reg("rawget", c =>
        {
            var t = c.CheckTable(0, "rawget");
            c.CheckAny(1, "rawget");
            return c.Return(t.RawGet(c[1]));
        });
        G.Reg("rawset", c =>
        {
            var t = c.CheckTable(0, "rawset");
            c.CheckAny(1, "rawset");
            c.CheckAny(2, "rawset");
            if (t.ReadOnly) throw c.State.ReadOnlyError();
            c.State.CheckKey(c[1]);
            t.RawSet(c[1], c[2]);
            return c.Return(c[0]);
        });
        G.Reg("select", Select);
        G.Reg("tonumber", ToNumber);
        G.Reg("tostring", c =>
        {
            c.CheckAny(0, "tostring");
            return c.Return(c.State.ToStringMeta(c[0]));
        });
        G.Reg("type", c =>
        {
            c.CheckAny(0, "type");
            return c.Return(Aux.Str(c[0].TypeName));
        });
        G.Reg("unpack", Unpack);
        G.Reg("loadstring", LoadString);
        G.Reg("load", LoadFn);
        G.Reg("gcinfo", c => c.Return(LuaValue.FromNumber(Math.Floor(c.State.ApproximateMemoryBytes / 1024.0))));
        G.Reg("collectgarbage", CollectGarbage);
        G.Reg("getfenv", GetFenv);
        G.Reg("setfenv", SetFenv);
        G.Reg("print", c =>
        {
            var sb = new System.Text.StringBuilder();
            for (int i = 0; i < c.ArgCount; i++)
            {
                if (i > 0) sb.Append('\t');
                var s = c.State.ToStringMeta(c[i]);
                if (s.T != LuaType.String) throw c.State.Error("'tostring' must return a string to 'print'");
                sb.Append(s.AsString.ToString());
            }
            Console.Out.WriteLine(sb.ToString());
            return 0;
        });
        G.Reg("newproxy", c =>
        {
            return c.Return(LuaValue.FromUserData(new object()));
        });
    }

    private static int Assert(LuaCallContext c)
    {
        c.CheckAny(0, "assert");
        if (c[0].IsFalsy)
        {
            var msg = c.OptString(1, "assert");
            throw c.State.Error(msg == null ? "assertion failed!" : msg.ToString());
        }
        // return all arguments
        var L = c.State;
        for (int i = 0; i < c.ArgCount; i++) L.Push(c[i]);
        return c.ArgCount;
    }

    private static int ErrorFn(LuaCallContext c)
    {
        var L = c.State;
        int level = c.OptInt(1, "error", 1);
        var v = c[0];
        // lua_isstring: a number gets the position too, and becomes a string.
        if (v.T == LuaType.Number && level > 0) v = LuaValue.FromString(LuaState.NumberToLuaString(v.N));
        if (v.T == LuaType.String && level > 0)
        {
            string where = L.Where(level);
            if (where.Length > 0)
            {
                var w = LuaString.FromUtf8(where);
                var s = (LuaString)v.O!;
                var b = new byte[w.Length + s.Length];
                w.Bytes.CopyTo(b, 0);
                s.Bytes.CopyTo(b, w.Length);
                v = LuaValue.FromString(new LuaString(b));
            }
        }
        throw L.MakeError(v);
    }

    private static int GetMetatableFn(LuaCallContext c)
    {
        c.CheckAny(0, "getmetatable");
        var mt = c.State.GetMetatable(c[0]);
        if (mt == null) return c.Return(default);
        var protectedMt = mt.RawGet(MM.Metatable);
        return c.Return(protectedMt.IsNil ? LuaValue.FromTable(mt) : protectedMt);
    }

    private static int SetMetatableFn(LuaCallContext c)
    {
        var t = c.CheckTable(0, "setmetatable");
        var m = c[1];
        if (m.T != LuaType.Nil && m.T != LuaType.Table) throw c.State.ArgError(2, "setmetatable", "nil or table expected");
        if (t.Metatable != null && !t.Metatable.RawGet(MM.Metatable).IsNil) throw c.State.Error("cannot change a protected metatable");
        if (t.ReadOnly) throw c.State.ReadOnlyError();
        t.Metatable = m.T == LuaType.Table ? (LuaTable)m.O! : null;
        return c.Return(c[0]);
    }

    private static int NextFnImpl(LuaCallContext c)
    {
        var t = c.CheckTable(0, "next");
        var k = c[1];
        bool ok;
        LuaValue v;
        try { ok = t.Next(ref k, out v); }
        catch (KeyNotFoundException) { throw c.State.RuntimeErrorHere("invalid key to 'next'"); }
        if (!ok) return c.Return(default);
        c.Return(k);
        return c.Return(v);
    }

    private static int IpairsIter(LuaCallContext c)
    {
        var t = c.CheckTable(0, "ipairs");
        double i = c.CheckNumber(1, "ipairs") + 1;
        var v = t.RawGet(LuaValue.FromNumber(i));
        if (v.IsNil) return 0;
        c.Return(LuaValue.FromNumber(i));
        return c.Return(v);
    }

    private static int PCall(LuaCallContext c)
    {
        c.CheckAny(0, "pcall");
        var L = c.State;
        var saved = L.Save();
        try
        {
            int top = L.Top;
            for (int i = 1; i < c.ArgCount; i++) L.Push(c[i]);
            int n = L.CallFromNative(c[0], top, c.ArgCount - 1);
            // prepend true
            L.EnsureStack(top + n + 1);
            Array.Copy(L.Stack, top, L.Stack, top + 1, n);
            L.Stack[top] = LuaValue.True;
            L.Top = top + n + 1;
            return n + 1;
        }
        catch (LuaRuntimeException ex)
        {
            L.Restore(saved);
            L.Push(LuaValue.False);
            L.Push(ex.Value);
            return 2;
        }
        catch (InsufficientExecutionStackException)
        {
            L.Restore(saved);
            var ex = L.StackOverflow();
            L.Push(LuaValue.False);
            L.Push(ex.Value);
            return 2;
        }
    }

    private static int XPCall(LuaCallContext c)
    {
        c.CheckAny(1, "xpcall");
        var L = c.State;
        var handler = c[1];
        var saved = L.Save();
        LuaValue err;
        try
        {
            int top = L.Top;
            int n = L.CallFromNative(c[0], top, 0);
            L.EnsureStack(top + n + 1);
            Array.Copy(L.Stack, top, L.Stack, top + 1, n);
            L.Stack[top] = LuaValue.True;
            L.Top = top + n + 1;
            return n + 1;
        }
        catch (LuaRuntimeException ex) { err = ex.Value; }
        catch (InsufficientExecutionStackException) { err = L.StackOverflow().Value; }
        L.Restore(saved);
        LuaValue hv;
        try
        {
            hv = L.CallMeta(handler, err, default, 1);
        }
        catch (LuaRuntimeException ex2)
        {
            L.Restore(saved);
            hv = ex2.Value;
        }
        L.Push(LuaValue.False);
        L.Push(hv);
        return 2;
    }

    private static int Select(LuaCallContext c)
    {
        int n = c.ArgCount;
        var a = c[0];
        if (a.T == LuaType.String && a.AsString.Length > 0 && a.AsString[0] == '#')
            return c.Return(LuaValue.FromNumber(n - 1));
        long i = c.CheckInt(0, "select"); // luaL_checkint: (int) of the integer
        if (i < 0) i = n + i;
        else if (i > n) i = n;
        if (i < 1) throw c.State.ArgError(1, "select", "index out of range");
        var L = c.State;
        int count = n - (int)i;
        for (int k = (int)i; k < n; k++) L.Push(c[k]);
        return count;
    }

    private static int ToNumber(LuaCallContext c)
    {
        int bas = c.OptInt(1, "tonumber", 10);
        if (bas == 10)
        {
            c.CheckAny(0, "tonumber");
            var v = c[0];
            if (v.T == LuaType.Number) return c.Return(v);
            if (v.T == LuaType.String && NumberParser.TryParse(v.AsString.Span, out double d)) return c.Return(LuaValue.FromNumber(d));
            return c.Return(default);
        }
        var s = c.CheckString(0, "tonumber").Span;
        if (bas < 2 || bas > 36) throw c.State.ArgError(2, "tonumber", "base out of range");
        // strtoul semantics
        int i = 0;
        while (i < s.Length && (s[i] == ' ' || (s[i] >= 9 && s[i] <= 13))) i++;
        bool neg = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) { neg = s[i] == '-'; i++; }
        if (bas == 16 && i + 1 < s.Length && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) i += 2;
        int start = i;
        ulong acc = 0;
        bool overflow = false;
        while (i < s.Length)
        {
            int dgt = s[i] >= '0' && s[i] <= '9' ? s[i] - '0'
                : (s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z' ? (s[i] | 0x20) - 'a' + 10 : 99;
            if (dgt >= bas) break;
            ulong next = unchecked(acc * (ulong)bas + (ulong)dgt);
            if (acc > (ulong.MaxValue - (ulong)dgt) / (ulong)bas) overflow = true;
            acc = next;
            i++;
        }
        if (i == start) return c.Return(default);
        while (i < s.Length && (s[i] == ' ' || (s[i] >= 9 && s[i] <= 13))) i++;
        if (i != s.Length) return c.Return(default);
        if (overflow) acc = ulong.MaxValue;
        if (neg) acc = unchecked(0 - acc);
        return c.Return(LuaValue.FromNumber(acc));
    }

    private static int Unpack(LuaCallContext c)
    {
        var t = c.CheckTable(0, "unpack");
        long i = c.OptInt(1, "unpack", 1);
        long e = c[2].IsNil ? t.Length : c.CheckInt(2, "unpack");
        if (i > e) return 0;
        long n = e - i + 1;
        if (n >= int.MaxValue || n > 7990) throw c.State.Error("too many results to unpack");
        var L = c.State;
        for (long k = i; k <= e; k++) L.Push(t.RawGet(LuaValue.FromNumber(k)));
        return (int)n;
    }

    private static int LoadString(LuaCallContext c)
    {
        var s = c.CheckString(0, "loadstring");
        var name = c.OptString(1, "loadstring");
        var L = c.State;
        try
        {
            var f = L.LoadWithEnv(s.Span, name?.ToString() ?? s.ToString(), L.Globals);
            return c.Return(LuaValue.FromFunction(f));
        }
        catch (LuaSyntaxException ex)
        {
            c.Return(default);
            return c.Return(LuaValue.FromString(ex.Message));
        }
    }

    private static int LoadFn(LuaCallContext c)
    {
        var L = c.State;
        var name = c.OptString(1, "load")?.ToString() ?? "=(load)";
        var bytes = new List<byte>();
        if (c[0].T == LuaType.String) bytes.AddRange(c[0].AsString.Bytes);
        else
        {
            if (c[0].T != LuaType.Function) throw c.TypeErr(0, "load", "function");
            var fn = c[0];
            while (true)
            {
                var piece = L.CallMeta(fn, default, default, 0);
                if (piece.IsNil) break;
                if (piece.T != LuaType.String)
                {
                    c.Return(default);
                    return c.Return(Aux.Str("reader function must return a string"));
                }
                if (piece.AsString.Length == 0) break;
                bytes.AddRange(piece.AsString.Bytes);
            }
        }
        try
        {
            var f = L.LoadWithEnv(bytes.ToArray(), name, L.Globals);
            return c.Return(LuaValue.FromFunction(f));
        }
        catch (LuaSyntaxException ex)
        {
            c.Return(default);
            return c.Return(LuaValue.FromString(ex.Message));
        }
    }

    private static int CollectGarbage(LuaCallContext c)
    {
        var opt = c.OptString(0, "collectgarbage")?.ToString() ?? "collect";
        var L = c.State;
        switch (opt)
        {
            case "count": return c.Return(LuaValue.FromNumber(L.ApproximateMemoryBytes / 1024.0));
            case "collect":
            case "step":
            case "stop":
            case "restart":
            case "setpause":
            case "setstepmul":
                return c.Return(LuaValue.FromNumber(0));
            default:
                throw L.ArgError(1, "collectgarbage", "invalid option '" + opt + "'");
        }
    }

    private LuaClosure? FunctionAtLevel(LuaCallContext c, string fname, out bool isGlobalLevel)
    {
        isGlobalLevel = false;
        var v = c[0];
        if (v.T == LuaType.Function) return v.O as LuaClosure;
        int level = c.OptInt(0, fname, 1);
        if (level < 0) throw ArgError(1, fname, "level must be non-negative");
        if (level == 0) { isGlobalLevel = true; return null; }
        int d = Depth - (level - 1);
        if (d <= 0) throw ArgError(1, fname, "invalid level");
        return _frames[d]!.Cl;
    }

    private static int GetFenv(LuaCallContext c)
    {
        var L = c.State;
        var f = L.FunctionAtLevel(c, "getfenv", out bool global);
        if (global || f == null) return c.Return(LuaValue.FromTable(L.Globals));
        return c.Return(LuaValue.FromTable(f.Env));
    }

    private static int SetFenv(LuaCallContext c)
    {
        var L = c.State;
        var t = c.CheckTable(1, "setfenv");
        var f = L.FunctionAtLevel(c, "setfenv", out bool global);
        if (global) return 0; // changing the thread's environment: not supported beyond no-op
        if (f == null) throw L.Error("'setfenv' cannot change environment of given object");
        f.Env = t;
        return c.Return(LuaValue.FromFunction(f));
    }
}
