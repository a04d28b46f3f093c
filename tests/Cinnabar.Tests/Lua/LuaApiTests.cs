using System.Text;
using Cinnabar.Lua;
using static Cinnabar.Tests.Lua.LuaTestHelper;

namespace Cinnabar.Tests.Lua;

public class LuaApiTests
{
    [Fact]
    public void NativeFunctionsReceiveArgumentsAndReturnResults()
    {
        var L = NewState();
        L.Globals.RawSet("add", LuaValue.FromFunction(new LuaNativeClosure("add", c =>
        {
            c.Return(LuaValue.FromNumber(c[0].AsNumber + c[1].AsNumber));
            return c.Return(LuaValue.FromNumber(c.ArgCount));
        })));
        Assert.Equal("5,2,nil", Run("local a, b, c = add(2, 3) return a, b, c", L));
        Assert.Equal("7,3", Run("return add(3, 4, 5)", L));
    }

    [Fact]
    public void NativeErrorsArePositionedAtTheLuaCaller()
    {
        var L = NewState();
        L.Globals.RawSet("fail", LuaValue.FromFunction(new LuaNativeClosure("fail", c => throw c.State.Error("bad thing"))));
        L.Globals.RawSet("argfail", LuaValue.FromFunction(new LuaNativeClosure("argfail", c => throw c.State.ArgError(1, "argfail", "number expected, got no value"))));
        Assert.Equal("ERR user_script:2: bad thing", Run("\nfail()", L));
        Assert.Equal("false,user_script:1: bad thing", Run("return pcall(function() fail() end)", L));
        Assert.Equal("ERR user_script:1: bad argument #1 to 'argfail' (number expected, got no value)", Run("argfail()", L));
    }

    [Fact]
    public void OtherExceptionsPropagateUncaughtThroughPcall()
    {
        var L = NewState();
        L.Globals.RawSet("kill", LuaValue.FromFunction(new LuaNativeClosure("kill", c => throw new OperationCanceledException("killed"))));
        var f = L.Load("return pcall(kill)"u8, "@user_script");
        Assert.Throws<OperationCanceledException>(() => L.Call(f, default));
        // the state stays usable
        Assert.Equal("3", Run("return 1 + 2", L));
    }

    [Fact]
    public void InterruptCheckRunsDuringLongLoopsAndCanAbort()
    {
        var L = NewState();
        int calls = 0;
        L.InterruptCheck = () => { if (++calls > 3) throw new TimeoutException("busy"); };
        var f = L.Load("local i = 0 while true do i = i + 1 end"u8, "@user_script");
        Assert.Throws<TimeoutException>(() => L.Call(f, default));
        calls = 0;
        var t = L.Load("local function spin() return spin() end return spin()"u8, "@user_script");
        Assert.Throws<TimeoutException>(() => L.Call(t, default));
        calls = 0;
        var g = L.Load("local function r() return r() end return pcall(function() while true do end end)"u8, "@user_script");
        Assert.Throws<TimeoutException>(() => L.Call(g, default));
    }

    [Fact]
    public void InterruptCheckRunsDuringLongPatternMatching()
    {
        var L = NewState();
        int calls = 0;
        L.InterruptCheck = () => { if (++calls > 2) throw new TimeoutException("busy"); };
        // polynomial backtracking: a*a*a*a*a*a*b over 2000 'a's would take hours
        var f = L.Load("return string.find(string.rep('a', 2000), 'a*a*a*a*a*a*b')"u8, "@user_script");
        Assert.Throws<TimeoutException>(() => L.Call(f, default));
    }

    [Fact]
    public void CallPassesArgumentsAndCallMultiReturnsAll()
    {
        var L = NewState();
        var f = L.Load("return ..."u8, "@user_script");
        var args = new[] { LuaValue.FromNumber(1), LuaValue.FromString(LuaString.FromUtf8("x")), LuaValue.Nil };
        Assert.Equal(1, L.Call(f, args).AsNumber);
        var all = L.CallMulti(f, args);
        Assert.Equal(3, all.Length);
        Assert.Equal("x", all[1].AsString.ToString());
        Assert.True(all[2].IsNil);
    }

    [Fact]
    public void SyntaxErrorsThrowFromLoad()
    {
        var L = NewState();
        var ex = Assert.Throws<LuaSyntaxException>(() => L.Load("return 1 +"u8, "@user_script"));
        Assert.Equal("user_script:1: unexpected symbol near '<eof>'", ex.Message);
    }

    [Fact]
    public void StringsAreBinarySafe()
    {
        var L = NewState();
        var bytes = new byte[] { 0, 13, 10, 0xff, 0xfe, (byte)'a' };
        L.Globals.RawSet("bin", LuaValue.FromString(new LuaString(bytes)));
        var f = L.Load("return #bin, bin .. bin, string.byte(bin, 4)"u8, "@user_script");
        var r = L.CallMulti(f, default);
        Assert.Equal(6, r[0].AsNumber);
        Assert.Equal(bytes.Concat(bytes).ToArray(), r[1].AsString.Span.ToArray());
        Assert.Equal(255, r[2].AsNumber);
    }

    [Fact]
    public void TableApi()
    {
        var t = new LuaTable();
        t.RawSet(1, LuaValue.FromNumber(10));
        t.RawSet(2, LuaValue.FromNumber(20));
        t.RawSet("k", LuaValue.True);
        t.RawSet(LuaValue.FromNumber(2.5), LuaValue.False);
        Assert.Equal(2, t.Length);
        Assert.Equal(20, t.RawGet(2).AsNumber);
        Assert.True(t.RawGet("k").AsBoolean);
        var seen = new List<string>();
        var key = LuaValue.Nil;
        while (t.Next(ref key, out var v)) seen.Add(Render(key) + "=" + Render(v));
        Assert.Equal(new[] { "1=10", "2=20", "k=true", "2.5=false" }, seen);
        t.RawSet(2, LuaValue.Nil);
        Assert.Equal(1, t.Length);
    }

    [Fact]
    public void ApproximateMemoryFollowsWhatTheGlobalsHold()
    {
        var L = NewState();
        long fresh = L.ApproximateMemoryBytes;
        Assert.InRange(fresh, 32768, 40000);
        Run("big = {} for i = 1, 10000 do big[i] = 'value' .. i end", L);
        long grown = L.ApproximateMemoryBytes;
        Assert.True(grown > fresh + 200_000, $"{fresh} -> {grown}");
        Run("big = nil", L);
        Assert.True(L.ApproximateMemoryBytes < grown - 200_000);
    }

    [Fact]
    public void FinishedScriptsLeaveNothingReachableOnTheStack()
    {
        var L = NewState();
        var weak = MakeGarbage(L);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(weak.TryGetTarget(out _));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference<LuaTable> MakeGarbage(LuaState L)
    {
        LuaTable? captured = null;
        L.Globals.RawSet("grab", LuaValue.FromFunction(new LuaNativeClosure("grab", c => { captured = c[0].AsTable; return 0; })));
        var f = L.Load("local big = {} for i = 1, 1000 do big[i] = i end grab(big) local function g() return big end g()"u8, "@user_script");
        L.Call(f, default);
        var w = new WeakReference<LuaTable>(captured!);
        captured = null;
        L.Globals.RawSet("grab", LuaValue.Nil);
        return w;
    }

    [Fact]
    public void TryGetNumberCoercesStrings()
    {
        Assert.True(LuaValue.FromString(LuaString.FromUtf8(" 0x10 ")).TryGetNumber(out var n));
        Assert.Equal(16, n);
        Assert.False(LuaValue.FromString(LuaString.FromUtf8("1x")).TryGetNumber(out _));
        Assert.Equal("9.007199254741e+15", LuaState.NumberToString(Math.Pow(2, 53)));
    }

    [Fact]
    public void NativeCallsDoNotAllocatePerCall()
    {
        var L = NewState();
        var value = LuaValue.FromString(LuaString.FromUtf8("v"));
        L.Globals.RawSet("get", LuaValue.FromFunction(new LuaNativeClosure("get", c => c.Return(value))));
        var f = L.Load(Encoding.UTF8.GetBytes("local g = get local k = {'key'} for i = 1, 100000 do g('GET', k[1]) end"), "@user_script");
        L.Call(f, default);
        long before = GC.GetAllocatedBytesForCurrentThread();
        L.Call(f, default);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 20_000, $"allocated {allocated} bytes for 100000 native calls");
    }
}
