namespace Cinnabar.Lua;

/// <summary>Lua 5.1 math library; random/randomseed use Redis' redisLrand48/redisSrand48.</summary>
internal static class MathLib
{
    public static void Open(LuaState L)
    {
        var m = new LuaTable();
        Reg1(m, "abs", Math.Abs);
        Reg1(m, "ceil", Math.Ceiling);
        Reg1(m, "floor", Math.Floor);
        Reg1(m, "sqrt", Math.Sqrt);
        Reg1(m, "sin", Math.Sin);
        Reg1(m, "cos", Math.Cos);
        Reg1(m, "tan", Math.Tan);
        Reg1(m, "asin", Math.Asin);
        Reg1(m, "acos", Math.Acos);
        Reg1(m, "atan", Math.Atan);
        Reg1(m, "sinh", Math.Sinh);
        Reg1(m, "cosh", Math.Cosh);
        Reg1(m, "tanh", Math.Tanh);
        Reg1(m, "exp", Math.Exp);
        Reg1(m, "log", Math.Log);
        Reg1(m, "log10", Math.Log10);
        Reg1(m, "deg", x => x * (180.0 / Math.PI));
        Reg1(m, "rad", x => x * (Math.PI / 180.0));
        Reg2(m, "atan2", Math.Atan2);
        Reg2(m, "pow", Math.Pow);
        Reg2(m, "fmod", CFmod);
        Reg2(m, "mod", CFmod);
        m.Reg("modf", c =>
        {
            double x = c.CheckNumber(0, "modf");
            double ip = x >= 0 ? Math.Floor(x) : Math.Ceiling(x);
            c.Return(LuaValue.FromNumber(ip));
            double frac = double.IsInfinity(x) ? 0.0 * Math.Sign(x) : x - ip;
            return c.Return(LuaValue.FromNumber(frac));
        });
        m.Reg("frexp", c =>
        {
            double x = c.CheckNumber(0, "frexp");
            var (mant, e) = Frexp(x);
            c.Return(LuaValue.FromNumber(mant));
            return c.Return(LuaValue.FromNumber(e));
        });
        m.Reg("ldexp", c =>
        {
            double x = c.CheckNumber(0, "ldexp");
            int e = c.CheckInt(1, "ldexp");
            return c.Return(LuaValue.FromNumber(Math.ScaleB(x, e)));
        });
        m.Reg("min", c =>
        {
            int n = c.ArgCount;
            double dmin = c.CheckNumber(0, "min");
            for (int i = 1; i < n; i++)
            {
                double d = c.CheckNumber(i, "min");
                if (d < dmin) dmin = d;
            }
            return c.Return(LuaValue.FromNumber(dmin));
        });
        m.Reg("max", c =>
        {
            int n = c.ArgCount;
            double dmax = c.CheckNumber(0, "max");
            for (int i = 1; i < n; i++)
            {
                double d = c.CheckNumber(i, "max");
                if (d > dmax) dmax = d;
            }
            return c.Return(LuaValue.FromNumber(dmax));
        });
        m.Reg("random", Random);
        m.Reg("randomseed", c =>
        {
            c.State.SeedRandom(c.CheckInt(0, "randomseed"));
            return 0;
        });
        m.RawSet("pi", LuaValue.FromNumber(Math.PI));
        m.RawSet("huge", LuaValue.FromNumber(double.PositiveInfinity));
        L.Globals.RawSet("math", LuaValue.FromTable(m));
    }

    private static void Reg1(LuaTable m, string name, Func<double, double> f)
        => m.Reg(name, c => c.Return(LuaValue.FromNumber(f(c.CheckNumber(0, name)))));

    private static void Reg2(LuaTable m, string name, Func<double, double, double> f)
        => m.Reg(name, c => c.Return(LuaValue.FromNumber(f(c.CheckNumber(0, name), c.CheckNumber(1, name)))));

    private static double CFmod(double a, double b) => a % b; // C fmod

    internal static (double, int) Frexp(double x)
    {
        if (x == 0 || double.IsNaN(x) || double.IsInfinity(x)) return (x, 0);
        long bits = BitConverter.DoubleToInt64Bits(x);
        int exp = (int)((bits >> 52) & 0x7FF);
        if (exp == 0)
        {
            // subnormal: normalize
            x *= Math.Pow(2, 54);
            bits = BitConverter.DoubleToInt64Bits(x);
            exp = (int)((bits >> 52) & 0x7FF) - 54;
        }
        int e = exp - 1022;
        bits = (bits & ~(0x7FFL << 52)) | (1022L << 52);
        return (BitConverter.Int64BitsToDouble(bits), e);
    }

    private const double Lrand48Max = 2147483647.0; // REDIS_LRAND48_MAX = INT32_MAX

    private static int Random(LuaCallContext c)
    {
        var L = c.State;
        double r = (L.Lrand48() % 2147483647) / Lrand48Max;
        switch (c.ArgCount)
        {
            case 0:
                return c.Return(LuaValue.FromNumber(r));
            case 1:
            {
                int u = c.CheckInt(0, "random");
                if (!(1 <= u)) throw L.ArgError(1, "random", "interval is empty");
                return c.Return(LuaValue.FromNumber(Math.Floor(r * u) + 1));
            }
            case 2:
            {
                int l = c.CheckInt(0, "random");
                int u = c.CheckInt(1, "random");
                if (!(l <= u)) throw L.ArgError(2, "random", "interval is empty");
                return c.Return(LuaValue.FromNumber(Math.Floor(r * (u - l + 1)) + l));
            }
            default:
                throw L.Error("wrong number of arguments");
        }
    }
}

public sealed partial class LuaState
{
    // 48-bit linear congruential generator (Redis src/rand.c, the drand48 family)
    private ulong _rand48 = 0x1234ABCD330EUL;

    /// <summary>redisSrand48.</summary>
    public void SeedRandom(int seed)
    {
        _rand48 = ((ulong)(uint)seed << 16) | 0x330E;
    }

    /// <summary>redisLrand48: the top 31 bits of the next 48-bit state.</summary>
    internal int Lrand48()
    {
        _rand48 = (0x5DEECE66DUL * _rand48 + 0xB) & 0xFFFFFFFFFFFFUL;
        return (int)(_rand48 >> 17);
    }
}
