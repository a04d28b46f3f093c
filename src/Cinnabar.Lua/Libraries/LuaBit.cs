namespace Cinnabar.Lua;

/// <summary>LuaBitOp 1.0 (the <c>bit</c> library): 32-bit operations on numbers, results as signed 32-bit numbers.</summary>
internal static class LuaBit
{
    public static LuaTable Create()
    {
        var t = new LuaTable(0, 12);
        RedisLuaLibraries.Register(t, "tobit", c => Return(c, Arg(c, 0, "tobit")));
        RedisLuaLibraries.Register(t, "bnot", c => Return(c, ~Arg(c, 0, "bnot")));
        RedisLuaLibraries.Register(t, "band", c => Fold(c, "band", static (a, b) => a & b));
        RedisLuaLibraries.Register(t, "bor", c => Fold(c, "bor", static (a, b) => a | b));
        RedisLuaLibraries.Register(t, "bxor", c => Fold(c, "bxor", static (a, b) => a ^ b));
        RedisLuaLibraries.Register(t, "lshift", c => Return(c, Arg(c, 0, "lshift") << (int)(Arg(c, 1, "lshift") & 31)));
        RedisLuaLibraries.Register(t, "rshift", c => Return(c, Arg(c, 0, "rshift") >> (int)(Arg(c, 1, "rshift") & 31)));
        RedisLuaLibraries.Register(t, "arshift", c => Return(c, (uint)((int)Arg(c, 0, "arshift") >> (int)(Arg(c, 1, "arshift") & 31))));
        RedisLuaLibraries.Register(t, "rol", c => Return(c, uint.RotateLeft(Arg(c, 0, "rol"), (int)(Arg(c, 1, "rol") & 31))));
        RedisLuaLibraries.Register(t, "ror", c => Return(c, uint.RotateRight(Arg(c, 0, "ror"), (int)(Arg(c, 1, "ror") & 31))));
        RedisLuaLibraries.Register(t, "bswap", c => Return(c, System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(Arg(c, 0, "bswap"))));
        RedisLuaLibraries.Register(t, "tohex", ToHex);
        return t;
    }

    /// <summary>
    /// LuaBitOp's barg: adding 2^52+2^51 rounds the number to an integer (to even on ties) and leaves its value
    /// modulo 2^32 in the low bits of the double.
    /// </summary>
    private static uint Arg(LuaCallContext c, int index, string function)
    {
        double n = RedisLuaLibraries.CheckNumber(c, index, function);
        return (uint)BitConverter.DoubleToInt64Bits(n + 6755399441055744.0);
    }

    private static int Return(LuaCallContext c, uint b) => c.Return(LuaValue.FromNumber((int)b));

    private static int Fold(LuaCallContext c, string function, Func<uint, uint, uint> op)
    {
        uint b = Arg(c, 0, function);
        for (int i = c.ArgCount - 1; i > 0; i--) b = op(b, Arg(c, i, function));
        return Return(c, b);
    }

    private static int ToHex(LuaCallContext c)
    {
        uint b = Arg(c, 0, "tohex");
        int n = c.ArgCount < 2 ? 8 : (int)Arg(c, 1, "tohex");
        string digits = "0123456789abcdef";
        if (n < 0)
        {
            n = -n;
            digits = "0123456789ABCDEF";
        }
        if (n > 8) n = 8;
        var buf = new byte[n];
        for (int i = n - 1; i >= 0; i--)
        {
            buf[i] = (byte)digits[(int)(b & 15)];
            b >>= 4;
        }
        return c.Return(LuaValue.FromString(new LuaString(buf)));
    }
}
