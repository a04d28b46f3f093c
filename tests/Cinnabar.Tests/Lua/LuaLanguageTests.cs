using static Cinnabar.Tests.Lua.LuaTestHelper;

namespace Cinnabar.Tests.Lua;

public class LuaLanguageTests
{
    [Theory]
    [InlineData("return 1+2", "3")]
    [InlineData("local x = 0; for i=1,100 do x = x + i end return x", "5050")]
    [InlineData("return 10/2", "5")]
    [InlineData("return 2^53", "9.007199254741e+15")]
    [InlineData("return 2^10, -2^2, 7 % 3, -7 % 3, 7 % -3, 5.5 % 2", "1024,-4,1,2,-2,1.5")]
    [InlineData("return 1 and 2 or 3, nil and 1, false or nil, not nil == true", "2,nil,nil,true")]
    [InlineData("return 1 .. \"\", \"a\" .. 1 .. 2.5", "1,a12.5")]
    [InlineData("return 10 == \"10\", \"10\" + 5, \"0x10\" + 0", "false,15,16")]
    [InlineData("return #\"abc\" + #{1,2}", "5")]
    [InlineData("return 0x1F, 1e3, .5, 3e-2", "31,1000,0.5,0.03")]
    [InlineData("return \"\\65\\066\\x\", '\\'', \"a\\\nb\"", "AB\u0078,',a\nb")]
    [InlineData("return [[a\nb]], [==[x]]y]==], [[\nskip first newline]]", "a\nb,x]]y,skip first newline")]
    [InlineData("return 1 < 2, \"a\" < \"b\", \"a\" <= \"a\", 2 >= 3, 1 ~= 1", "true,true,true,false,false")]
    [InlineData("--[==[ long\ncomment ]==] return 1 -- trailing", "1")]
    public void Expressions(string script, string expected) => Assert.Equal(expected, Run(script));

    [Theory]
    [InlineData("local fs = {} for i=1,3 do fs[i] = function() return i end end return fs[1](), fs[2](), fs[3]()", "1,2,3")]
    [InlineData("local a = {} local i = 1 while i <= 3 do local j = i a[i] = function() return j end i = i + 1 end return a[1](), a[3]()", "1,3")]
    [InlineData("local x = 1 local function f() x = x + 1 return x end f() return f(), x", "3,3")]
    [InlineData("local function counter() local n = 0 return function() n = n + 1 return n end end local c1, c2 = counter(), counter() c1() c1() return c1(), c2()", "3,1")]
    [InlineData("local function outer() local v = 'a' local function mid() return function() return v end end v = 'b' return mid()() end return outer()", "b")]
    [InlineData("local fs = {} for k, v in pairs({a=1}) do fs[1] = function() return k .. v end end return fs[1]()", "a1")]
    [InlineData("local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end return fib(20)", "6765")]
    public void Closures(string script, string expected) => Assert.Equal(expected, Run(script));

    [Theory]
    [InlineData("local function f(...) return select('#', ...) end return f(1,nil,3,nil)", "4")]
    [InlineData("local function f(...) return ... end return {f(1,2,3)}", "{1,2,3}")]
    [InlineData("local function f(...) local a, b = ... return a, b end return f(9)", "9,nil")]
    [InlineData("local a, b, c = (function() return 1, 2, 3 end)() return a, b, c", "1,2,3")]
    [InlineData("local a, b = ((function() return 1, 2 end)()) return a, b", "1,nil")]
    [InlineData("local t = {(function() return 1,2 end)(), (function() return 3,4 end)()} return #t", "3")]
    [InlineData("return select(-1, 1, 2, 3)", "3")]
    [InlineData("return select(2, 'a', 'b', 'c')", "b,c")]
    [InlineData("local function f() end return select('#', f())", "0")]
    [InlineData("local t = {} t.a, t.b = 1 return t.a, t.b", "1,nil")]
    [InlineData("local a, b = 1, 2 a, b = b, a return a, b", "2,1")]
    [InlineData("local t = {} local i = 1 i, t[i] = i+1, 20 return i, t[1], t[2]", "2,20,nil")]
    public void VarargsAndMultipleResults(string script, string expected) => Assert.Equal(expected, Run(script));

    [Theory]
    [InlineData("local x = 1 do local x = 2 end return x", "1")]
    [InlineData("local i = 0 repeat local z = i i = i + 1 until z >= 3 return i", "4")]
    [InlineData("local x = 10 local x = x + 1 return x", "11")]
    [InlineData("local t = {} for i = 10, 1, -3 do t[#t+1] = i end return t", "{10,7,4,1}")]
    [InlineData("local t = {} for i = 1, 0 do t[#t+1] = i end return #t", "0")]
    [InlineData("local t = {} for i = 1, 2, 0.5 do t[#t+1] = i end return t", "{1,1.5,2}")]
    [InlineData("local s = 0 for i = 1, 3 do for j = 1, 3 do if j == 2 then break end s = s + j end end return s", "3")]
    [InlineData("local n = 0 while true do n = n + 1 if n > 5 then break end end return n", "6")]
    [InlineData("local function f(x) if x == 1 then return 'a' elseif x == 2 then return 'b' else return 'c' end end return f(1), f(2), f(3)", "a,b,c")]
    [InlineData("local n = 0 for i, v in ipairs({1,2,nil,4}) do n = n + 1 end return n", "2")]
    [InlineData("local t = {a=1} for k,v in pairs(t) do t[k] = nil end return next(t)", "nil")]
    [InlineData("local t = {} for i = 1, 10 do t[i] = i end local s = 0 for k, v in pairs(t) do s = s + v end return s", "55")]
    [InlineData("local obj = {n = 5} function obj:get(a) return self.n + a end return obj:get(1), obj.get(obj, 2)", "6,7")]
    [InlineData("local a = {b = {}} function a.b.c(x) return x * 2 end function a.b:d() return self == a.b end return a.b.c(4), a.b:d()", "8,true")]
    public void StatementsAndScoping(string script, string expected) => Assert.Equal(expected, Run(script));

    [Theory]
    [InlineData("local t = {10,20,30,nil} return #t", "3")]
    [InlineData("return #{1,nil,3}", "3")]
    [InlineData("local t = {1,2,3} t[#t] = nil return #t", "2")]
    [InlineData("local t = {} t[1] = 1 t[2] = 2 t[3] = 3 return #t", "3")]
    [InlineData("local t = {} t[2] = 2 t[1] = 1 return #t", "2")]
    [InlineData("local t = {[1]=5, 7} return t[1]", "7")]
    [InlineData("local t = {x = 1, ['y'] = 2, 3} return t.x + t.y + t[1]", "6")]
    public void Tables(string script, string expected) => Assert.Equal(expected, Run(script));

    [Theory]
    [InlineData("local t = setmetatable({}, {__index = function(t,k) return k..k end}) return t.ab", "abab")]
    [InlineData("local base = {x = 1} local t = setmetatable({}, {__index = base}) return t.x, rawget(t, 'x')", "1,nil")]
    [InlineData("local t = setmetatable({}, {__add = function(a,b) return 42 end}) return t + 1, 1 + t", "42,42")]
    [InlineData("local t = setmetatable({}, {__call = function(self, a) return a * 2 end}) return t(21)", "42")]
    [InlineData("local mt = {__eq = function(a,b) return true end} local a, b = setmetatable({}, mt), setmetatable({}, mt) return a == b, a ~= b", "true,false")]
    [InlineData("local mt = {__lt = function(a,b) return true end} local a, b = setmetatable({}, mt), setmetatable({}, mt) return a < b, a <= b", "true,false")]
    [InlineData("local mt = {__le = function(a,b) return false end} local a, b = setmetatable({}, mt), setmetatable({}, mt) return a <= b, a >= b", "false,false")]
    [InlineData("local a = setmetatable({}, {__concat = function(a,b) return 'cc' end}) return a .. 'x', 'x' .. a", "cc,cc")]
    [InlineData("local a = setmetatable({}, {__tostring = function(a) return 'TS' end}) return tostring(a)", "TS")]
    [InlineData("local a = setmetatable({}, {__unm = function(a) return 'neg' end}) return -a", "neg")]
    [InlineData("local a = setmetatable({}, {__sub = function() return 1 end, __mul = function() return 2 end, __div = function() return 3 end, __mod = function() return 4 end, __pow = function() return 5 end}) return a-1, a*1, a/1, a%1, a^1", "1,2,3,4,5")]
    [InlineData("local t = setmetatable({}, {__newindex = function(t,k,v) rawset(t, k, v*2) end}) t.x = 5 return t.x", "10")]
    [InlineData("local log = {} local t = setmetatable({}, {__newindex = log}) t.x = 5 return rawget(t, 'x'), log.x", "nil,5")]
    [InlineData("local t = setmetatable({}, {__metatable = 'locked'}) return getmetatable(t)", "locked")]
    [InlineData("return getmetatable('').__index == string, ('x'):upper(), ('%d'):format(5)", "true,X,5")]
    [InlineData("local t = setmetatable({}, {__len = function() return 9 end}) return #t", "0")]
    public void Metatables(string script, string expected) => Assert.Equal(expected, Run(script));

    [Theory]
    [InlineData("local function loop(n) if n == 0 then return 'done' end return loop(n - 1) end return loop(100000)", "done")]
    [InlineData("local o = {n = 0} function o:count(k) if k == 0 then return self.n end self.n = self.n + 1 return self:count(k - 1) end return o:count(50000)", "50000")]
    [InlineData("local function f(...) return select('#', ...) end local function g() return f(1, nil, 3) end return g()", "3")]
    [InlineData("local function g() return tostring(12) end return g()", "12")]
    [InlineData("local function g() return nofunc(1) end return pcall(g)", "false,user_script:1: attempt to call global 'nofunc' (a nil value)")]
    [InlineData("local t = setmetatable({}, {__call = function(self, x) return x + 1 end}) local function g() return t(1) end return g()", "2")]
    public void ProperTailCalls(string script, string expected) => Assert.Equal(expected, Run(script));

    [Fact]
    public void ReadOnlyTablesRefuseWritesFromLua()
    {
        var L = NewState();
        var t = new Cinnabar.Lua.LuaTable();
        t.RawSet("a", Cinnabar.Lua.LuaValue.FromNumber(1));
        t.ReadOnly = true;
        t.RawSet("b", Cinnabar.Lua.LuaValue.FromNumber(2)); // host writes are allowed
        L.Globals.RawSet("ro", Cinnabar.Lua.LuaValue.FromTable(t));
        const string err = "ERR user_script:1: Attempt to modify a readonly table";
        Assert.Equal(err, Run("ro.a = 2", L));
        Assert.Equal(err, Run("ro.c = 2", L));
        // raised inside a native: no position, as Redis reports it
        const string bare = "ERR Attempt to modify a readonly table";
        Assert.Equal(bare, Run("rawset(ro, 'a', 2)", L));
        Assert.Equal(bare, Run("table.insert(ro, 1)", L));
        Assert.Equal(bare, Run("setmetatable(ro, {})", L));
        t.RawSet(1, Cinnabar.Lua.LuaValue.FromNumber(2));
        t.RawSet(2, Cinnabar.Lua.LuaValue.FromNumber(1));
        Assert.Equal(bare, Run("table.sort(ro)", L));
        Assert.Equal(bare, Run("table.remove(ro)", L));
        Assert.Equal("false,user_script:1: Attempt to modify a readonly table", Run("return pcall(function() ro.x = 1 end)", L));
        Assert.Equal("1,2", Run("return ro.a, ro.b", L));
    }
}
