using static Cinnabar.Tests.Lua.LuaTestHelper;

namespace Cinnabar.Tests.Lua;

/// <summary>Error texts as Redis 7.0.15 (Lua 5.1) printed them for the same scripts.</summary>
public class LuaErrorTests
{
    [Theory]
    [InlineData("x", "user_script:1: '=' expected near '<eof>'")]
    [InlineData("return \"abc", "user_script:1: unfinished string near '<eof>'")]
    [InlineData("return 'abc\ndef'", "user_script:1: unfinished string near ''abc'")]
    [InlineData("return 1 +", "user_script:1: unexpected symbol near '<eof>'")]
    [InlineData("local x = = 1", "user_script:1: unexpected symbol near '='")]
    [InlineData("return [[abc", "user_script:1: unfinished long string near '<eof>'")]
    [InlineData("if x then", "user_script:1: 'end' expected near '<eof>'")]
    [InlineData("for i=1 do end", "user_script:1: ',' expected near 'do'")]
    [InlineData("for a b do end", "user_script:1: '=' or 'in' expected near 'b'")]
    [InlineData("local function () end", "user_script:1: '<name>' expected near '('")]
    [InlineData("return {1,2", "user_script:1: '}' expected near '<eof>'")]
    [InlineData("return 1 2", "user_script:1: '<eof>' expected near '2'")]
    [InlineData("(a) = 1", "user_script:1: syntax error near '='")]
    [InlineData("f() = 1", "user_script:1: unexpected symbol near '='")]
    [InlineData("local function f() return ... end", "user_script:1: cannot use '...' outside a vararg function near '...'")]
    [InlineData("break", "user_script:1: no loop to break near '<eof>'")]
    [InlineData("return \"\\300\"", "user_script:1: escape sequence too large near '\"'")]
    [InlineData("return 3.4.5", "user_script:1: malformed number near '3.4.5'")]
    [InlineData("return 3..2", "user_script:1: malformed number near '3..2'")]
    [InlineData("return 5 // 2", "user_script:1: unexpected symbol near '/'")]
    [InlineData("goto x", "user_script:1: '=' expected near 'x'")]
    [InlineData("while true do\nlocal x = 1\n", "user_script:3: 'end' expected (to close 'while' at line 1) near '<eof>'")]
    public void SyntaxErrors(string script, string expected) => Assert.Equal("SYNERR " + expected, Run(script));

    [Fact]
    public void DeepNestingIsASyntaxErrorNotACrash()
    {
        var s = "return " + new string('(', 300) + "1" + new string(')', 300);
        Assert.Equal("SYNERR user_script:1: chunk has too many syntax levels", Run(s));
    }

    [Theory]
    [InlineData("local t = nil; return t.x", "user_script:1: attempt to index local 't' (a nil value)")]
    [InlineData("local x; return 'a'..x", "user_script:1: attempt to concatenate local 'x' (a nil value)")]
    [InlineData("return {}..1", "user_script:1: attempt to concatenate a table value")]
    [InlineData("return 1 < nil", "user_script:1: attempt to compare number with nil")]
    [InlineData("return {} < {}", "user_script:1: attempt to compare two table values")]
    [InlineData("local t = {} t.x.y = 1", "user_script:1: attempt to index field 'x' (a nil value)")]
    [InlineData("local t = {} ; t:foo()", "user_script:1: attempt to call method 'foo' (a nil value)")]
    [InlineData("local t = {} return t.f()", "user_script:1: attempt to call field 'f' (a nil value)")]
    [InlineData("local t = {} return t[1]()", "user_script:1: attempt to call field '?' (a nil value)")]
    [InlineData("local up = nil return (function() return up.x end)()", "user_script:1: attempt to index upvalue 'up' (a nil value)")]
    [InlineData("local up = nil return (function() return up() end)()", "user_script:1: attempt to call upvalue 'up' (a nil value)")]
    [InlineData("return foo()", "user_script:1: attempt to call global 'foo' (a nil value)")]
    [InlineData("return (1)()", "user_script:1: attempt to call a number value")]
    [InlineData("local s = 'x' return s:nomethod()", "user_script:1: attempt to call method 'nomethod' (a nil value)")]
    [InlineData("local a = {} return a.x + 1", "user_script:1: attempt to perform arithmetic on field 'x' (a nil value)")]
    [InlineData("local a = {} return a + 1", "user_script:1: attempt to perform arithmetic on local 'a' (a table value)")]
    [InlineData("local a = 'x' return a + 1", "user_script:1: attempt to perform arithmetic on local 'a' (a string value)")]
    [InlineData("return -{}", "user_script:1: attempt to perform arithmetic on a table value")]
    [InlineData("return #nil", "user_script:1: attempt to get length of a nil value")]
    [InlineData("local s = 5 return #s", "user_script:1: attempt to get length of local 's' (a number value)")]
    [InlineData("local t = {} t[nil] = 1", "user_script:1: table index is nil")]
    [InlineData("local t = {} t[0/0] = 1", "user_script:1: table index is NaN")]
    [InlineData("for i = 1, 'x' do end", "user_script:1: 'for' limit must be a number")]
    [InlineData("local t = {3,1,'x'} table.sort(t)", "attempt to compare string with number")]
    [InlineData("\n\nlocal x = nil\nreturn x.y", "user_script:4: attempt to index local 'x' (a nil value)")]
    [InlineData("error('boom')", "user_script:1: boom")]
    [InlineData("error('boom', 0)", "boom")]
    [InlineData("assert(false)", "user_script:1: assertion failed!")]
    [InlineData("assert(nil, 'custom')", "user_script:1: custom")]
    [InlineData("return string.rep()", "user_script:1: bad argument #1 to 'rep' (string expected, got no value)")]
    [InlineData("local r = string.rep return r()", "user_script:1: bad argument #1 to 'r' (string expected, got no value)")]
    [InlineData("return ('x'):rep()", "user_script:1: bad argument #1 to 'rep' (number expected, got no value)")]
    [InlineData("return string.format('%d')", "user_script:1: bad argument #2 to 'format' (no value)")]
    [InlineData("return string.format('%y', 1)", "user_script:1: invalid option '%y' to 'format'")]
    [InlineData("return table.concat({1,{},3}, ',')", "user_script:1: invalid value (table) at index 2 in table for 'concat'")]
    [InlineData("local t = {1,2,3} table.insert(t, 1, 2, 3)", "user_script:1: wrong number of arguments to 'insert'")]
    [InlineData("return table.setn({}, 1)", "user_script:1: 'setn' is obsolete")]
    [InlineData("return math.random(0)", "user_script:1: bad argument #1 to 'random' (interval is empty)")]
    [InlineData("local t = setmetatable({}, {__metatable = 'locked'}) setmetatable(t, {})", "user_script:1: cannot change a protected metatable")]
    [InlineData("return string.char(256)", "user_script:1: bad argument #1 to 'char' (invalid value)")]
    [InlineData("return string.gsub('abc', '%', 'x')", "user_script:1: malformed pattern (ends with '%')")]
    [InlineData("return string.find('abc', '[a')", "user_script:1: malformed pattern (missing ']')")]
    [InlineData("return string.gsub('abc', 'b', '%2')", "user_script:1: invalid capture index")]
    public void RuntimeErrors(string script, string expected) => Assert.Equal("ERR " + expected, Run(script));

    [Theory]
    [InlineData("return pcall(error, 'x')", "false,x")]
    [InlineData("return pcall(string.rep)", "false,bad argument #1 to '?' (string expected, got no value)")]
    [InlineData("return pcall(setmetatable, {}, 1)", "false,bad argument #2 to '?' (nil or table expected)")]
    [InlineData("return pcall(function() error('boom', 2) end)", "false,boom")]
    [InlineData("return pcall(function() local x = nil; return x.y end)", "false,user_script:1: attempt to index local 'x' (a nil value)")]
    [InlineData("local ok, e = pcall(error, {code=1}) return ok, e.code", "false,1")]
    [InlineData("return pcall(error)", "false,nil")]
    [InlineData("return pcall(error, 42)", "false,42")]
    [InlineData("return xpcall(function() error('E') end, function(m) return 'handled: ' .. m end)", "false,handled: user_script:1: E")]
    [InlineData("return pcall(next, {}, 'nokey')", "false,invalid key to 'next'")]
    [InlineData("return pcall(unpack, {}, 1, 1e8)", "false,too many results to unpack")]
    [InlineData("return pcall(string.find, 'abc', '%f')", "false,missing '[' after '%f' in pattern")]
    [InlineData("return pcall(string.gsub, 'abc', '.', {a={}})", "false,invalid replacement value (a table)")]
    [InlineData("return pcall(string.format, '%10.123f', 1)", "false,invalid format (width or precision too long)")]
    [InlineData("return pcall(string.format, '%------d', 1)", "false,invalid format (repeated flags)")]
    public void ProtectedCalls(string script, string expected) => Assert.Equal(expected, Run(script));

    [Fact]
    public void RuntimeErrorCarriesSourceAndLine()
    {
        var L = NewState();
        var f = L.Load("\nlocal t = nil\nreturn t.x"u8, "@user_script");
        var ex = Assert.Throws<Cinnabar.Lua.LuaRuntimeException>(() => L.Call(f, default));
        Assert.Equal("@user_script", ex.Source);
        Assert.Equal(3, ex.Line);
        Assert.Equal("user_script:3: attempt to index local 't' (a nil value)", ex.Value.AsString.ToString());
    }

    [Fact]
    public void ErrorObjectsPassThroughUnchanged()
    {
        var L = NewState();
        var f = L.Load("error({err = 'custom'})"u8, "@user_script");
        var ex = Assert.Throws<Cinnabar.Lua.LuaRuntimeException>(() => L.Call(f, default));
        Assert.Equal("custom", ex.Value.AsTable.RawGet("err").AsString.ToString());
        Assert.Equal(1, ex.Line);
    }

    [Theory]
    [InlineData("=name", "name")]
    [InlineData("@user_script", "user_script")]
    [InlineData("return x +", "[string \"return x +\"]")]
    [InlineData("line1\nline2", "[string \"line1...\"]")]
    public void ChunkNames(string chunkName, string expected)
        => Assert.Equal(expected, Cinnabar.Lua.Parser.ChunkId(chunkName));

    [Fact]
    public void LoadstringReturnsNilAndMessage()
    {
        Assert.Equal("nil,[string \"return 1 +\"]:1: unexpected symbol near '<eof>'", Run("return loadstring('return 1 +')"));
        Assert.Equal("2", Run("return loadstring('return 1 + 1')()"));
    }

    [Fact]
    public void StackOverflowIsCatchable()
    {
        Assert.Equal("false,user_script:1: stack overflow", Run("local function f() return 1 + f() end return pcall(f)"));
        Assert.Equal("ERR user_script:1: stack overflow", Run("local function f() return 1 + f() end return f()"));
        Assert.Equal("150", Run("local function f(n) if n == 0 then return 0 end return 1 + f(n-1) end return f(150)"));
    }

    private static string RunOnSmallStack(string script)
    {
        string result = "";
        var t = new Thread(() => result = Run(script), 256 * 1024);
        t.Start();
        t.Join();
        return result;
    }

    [Fact]
    public void DeepRecursionOnASmallThreadStackIsALuaError()
    {
        Assert.Equal("ERR user_script:1: stack overflow", RunOnSmallStack("local function f() return 1 + f() end return f()"));
        Assert.Equal("false,user_script:1: stack overflow", RunOnSmallStack("local function f() return 1 + f() end return pcall(f)"));
    }

    [Fact]
    public void VeryDeepExpressionTreesDoNotCrash()
    {
        var s = "local x = 1 return " + string.Join("+", Enumerable.Repeat("x", 20000));
        Assert.Equal("20000", Run(s));
        Assert.Matches("^(20000|ERR .*stack overflow)$", RunOnSmallStack(s));
        var chain = "local t = {} t.a = t return t" + string.Concat(Enumerable.Repeat(".a", 3000)) + " == t";
        Assert.Equal("true", Run(chain));
    }

    [Fact]
    public void StackOverflowThroughNativesIsCatchable()
    {
        Assert.Matches("^(true|false)", Run("local function f() return pcall(f) end return pcall(f)"));
        Assert.Contains("stack overflow", Run("local t = setmetatable({}, {}) getmetatable(t).__index = function(t, k) return t[k] end return t.x"));
    }
}
