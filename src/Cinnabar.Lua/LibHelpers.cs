namespace Cinnabar.Lua;

/// <summary>lauxlib-style argument checks for natives ("bad argument #n to 'f' (...)").</summary>
internal static class Aux
{
    public static string TypeNameAt(this LuaCallContext c, int i) => i < c.ArgCount ? c[i].TypeName : "no value";

    public static LuaRuntimeException TypeErr(this LuaCallContext c, int i, string fname, string expected)
        => c.State.ArgError(i + 1, fname, expected + " expected, got " + c.TypeNameAt(i));

    public static void CheckAny(this LuaCallContext c, int i, string fname)
    {
        if (i >= c.ArgCount) throw c.State.ArgError(i + 1, fname, "value expected");
    }

    public static double CheckNumber(this LuaCallContext c, int i, string fname)
    {
        var v = c[i];
        if (v.T == LuaType.Number) return v.N;
        if (v.TryGetNumber(out double d)) return d;
        throw c.TypeErr(i, fname, "number");
    }

    public static double OptNumber(this LuaCallContext c, int i, string fname, double def)
        => c[i].IsNil ? def : c.CheckNumber(i, fname);

    /// <summary>luaL_checkinteger: lua_Number cast to ptrdiff_t (truncation).</summary>
    public static long CheckInteger(this LuaCallContext c, int i, string fname) => Printf.ToLong(c.CheckNumber(i, fname));

    public static long OptInteger(this LuaCallContext c, int i, string fname, long def)
        => c[i].IsNil ? def : c.CheckInteger(i, fname);

    /// <summary>luaL_checkint: cast to int (as C would truncate a long to int).</summary>
    public static int CheckInt(this LuaCallContext c, int i, string fname) => unchecked((int)c.CheckInteger(i, fname));

    public static int OptInt(this LuaCallContext c, int i, string fname, int def)
        => c[i].IsNil ? def : c.CheckInt(i, fname);

    public static LuaString CheckString(this LuaCallContext c, int i, string fname)
    {
        var v = c[i];
        if (v.T == LuaType.String) return (LuaString)v.O!;
        if (v.T == LuaType.Number) return LuaState.NumberToLuaString(v.N);
        throw c.TypeErr(i, fname, "string");
    }

    public static LuaString? OptString(this LuaCallContext c, int i, string fname)
        => c[i].IsNil ? null : c.CheckString(i, fname);

    public static LuaTable CheckTable(this LuaCallContext c, int i, string fname)
    {
        var v = c[i];
        if (v.T == LuaType.Table) return (LuaTable)v.O!;
        throw c.TypeErr(i, fname, "table");
    }

    public static void CheckType(this LuaCallContext c, int i, string fname, LuaType t)
    {
        if (c[i].T != t || i >= c.ArgCount) throw c.TypeErr(i, fname, LuaValue.TypeNameOf(t));
    }

    public static LuaValue Str(string s) => LuaValue.FromString(LuaString.FromAscii(s));

    public static void Reg(this LuaTable t, string name, LuaNativeFunction fn)
        => t.RawSet(name, LuaValue.FromFunction(new LuaNativeClosure(name, fn)));
}
