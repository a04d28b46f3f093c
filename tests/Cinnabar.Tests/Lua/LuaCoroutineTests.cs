using Cinnabar.Lua;
using static Cinnabar.Tests.Lua.LuaTestHelper;

namespace Cinnabar.Tests.Lua;

public class LuaCoroutineTests
{
    [Theory]
    [InlineData("local co = coroutine.create(function(a, b) local c = coroutine.yield(a + b) local d, e = coroutine.yield(c * 2) return d + e end) local r = {} local ok, v = coroutine.resume(co, 1, 2) r[#r+1] = v ok, v = coroutine.resume(co, 10) r[#r+1] = v ok, v = coroutine.resume(co, 3, 4) r[#r+1] = v r[#r+1] = coroutine.status(co) return r", "{3,20,7,dead}")]
    [InlineData("local co = coroutine.create(function() error('oops') end) return coroutine.resume(co)", "false,user_script:1: oops")]
    [InlineData("local co = coroutine.create(function() end) coroutine.resume(co) return coroutine.resume(co)", "false,cannot resume dead coroutine")]
    [InlineData("local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end) return gen(), gen(), gen()", "1,2,3")]
    [InlineData("local gen = coroutine.wrap(function() error('werr') end) return gen()", "ERR user_script:1: user_script:1: werr")]
    [InlineData("return coroutine.yield(1)", "ERR attempt to yield across metamethod/C-call boundary")]
    [InlineData("return type(coroutine.create(function() end)), coroutine.running()", "thread,nil")]
    [InlineData("local co co = coroutine.create(function() return coroutine.status(co) end) return coroutine.resume(co)", "true,running")]
    [InlineData("local co = coroutine.create(function() local inner = coroutine.create(function() coroutine.yield(1) end) coroutine.resume(inner) return coroutine.status(inner) end) return coroutine.resume(co)", "true,suspended")]
    [InlineData("return coroutine.resume(1)", "ERR user_script:1: bad argument #1 to 'resume' (coroutine expected)")]
    [InlineData("local t = {} for i = 1, 50 do local co = coroutine.wrap(function() coroutine.yield(i) end) t[i] = co() end return #t", "50")]
    public void Coroutines(string script, string expected) => Assert.Equal(expected, Run(script));

    [Fact]
    public void NonLuaExceptionsInsideACoroutinePropagateOutOfCall()
    {
        var L = NewState();
        L.Globals.RawSet("kill", LuaValue.FromFunction(new LuaNativeClosure("kill", c => throw new OperationCanceledException())));
        var f = L.Load("local co = coroutine.create(function() kill() end) return pcall(coroutine.resume, co)"u8, "@user_script");
        Assert.Throws<OperationCanceledException>(() => L.Call(f, default));
        Assert.Equal("3", Run("return 1 + 2", L));
    }

    [Fact]
    public void SuspendedCoroutinesAreClosedWhenTheHostCallEnds()
    {
        var L = NewState();
        Assert.Equal("1", Run("local co = coroutine.wrap(function() coroutine.yield(1) coroutine.yield(2) end) return co()", L));
        Assert.Equal("2", Run("return 1 + 1", L));
    }
}
