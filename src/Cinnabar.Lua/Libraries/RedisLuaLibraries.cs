namespace Cinnabar.Lua;

/// <summary>
/// The C libraries Redis links into its Lua 5.1 (deps/lua/src): cjson, cmsgpack, bit (LuaBitOp) and struct,
/// written here against the engine's API with the same results byte for byte.
/// </summary>
public static class RedisLuaLibraries
{
    public static void Open(LuaState lua)
    {
        var g = lua.Globals;
        g.RawSet("cjson", LuaValue.FromTable(LuaCjson.Create()));
        g.RawSet("cmsgpack", LuaValue.FromTable(LuaCmsgpack.Create()));
        g.RawSet("bit", LuaValue.FromTable(LuaBit.Create()));
        g.RawSet("struct", LuaValue.FromTable(LuaStruct.Create()));
    }

    internal static void Register(LuaTable t, string name, LuaNativeFunction fn) =>
        t.RawSet(name, LuaValue.FromFunction(new LuaNativeClosure(name, fn)));

    /// <summary>luaL_checknumber: a number or a numeric string, else "bad argument #n to 'f' (number expected, got x)".</summary>
    internal static double CheckNumber(LuaCallContext call, int index, string function)
    {
        if (call[index].TryGetNumber(out double n)) return n;
        throw call.State.ArgError(index + 1, function, "number expected, got " + TypeName(call, index));
    }

    /// <summary>luaL_checklstring: a string, or a number converted as tostring does.</summary>
    internal static byte[] CheckString(LuaCallContext call, int index, string function)
    {
        var v = call[index];
        if (v.Type == LuaType.String) return v.AsString.Bytes;
        if (v.Type == LuaType.Number) return System.Text.Encoding.ASCII.GetBytes(LuaState.NumberToString(v.AsNumber));
        throw call.State.ArgError(index + 1, function, "string expected, got " + TypeName(call, index));
    }

    internal static string TypeName(LuaCallContext call, int index) => index >= call.ArgCount ? "no value" : call[index].TypeName;
}
