using Cinnabar.Lua;

namespace Cinnabar.Scripting;

/// <summary>
/// The Lua environment Redis 7.0 gives scripts: the libraries it loads (base without file access, string,
/// table, math, coroutine, cjson, cmsgpack, bit, struct), the <c>redis</c> table, and globals protection
/// (the globals and library tables are read-only, and reading an undeclared global is an error).
/// </summary>
public sealed partial class ScriptingEngine
{
    /// <summary>The globals Redis 7.0 leaves to scripts (what `for k in pairs(_G)` lists on a real server).</summary>
    private static readonly HashSet<string> AllowedGlobals =
    [
        "_G", "_VERSION", "assert", "collectgarbage", "coroutine", "error", "gcinfo", "getmetatable", "ipairs", "load",
        "loadstring", "math", "next", "pairs", "pcall", "rawequal", "rawget", "rawset", "select", "setmetatable", "string",
        "table", "tonumber", "tostring", "type", "unpack", "xpcall", "bit", "cjson", "cmsgpack", "struct",
    ];

    private LuaState CreateEvalState()
    {
        var lua = NewProtectedState(out var globals, functionsLoader: false);
        globals.ReadOnly = true;
        return lua;
    }

    /// <summary>
    /// A state with Redis' libraries and the <c>redis</c> table. The caller adds what its kind of script needs
    /// and then makes the globals read-only.
    /// </summary>
    internal LuaState NewProtectedState(out LuaTable globals, bool functionsLoader)
    {
        var lua = new LuaState();
        lua.OpenLibraries();
        RedisLuaLibraries.Open(lua);
        globals = lua.Globals;
        InstallRedisPcall(lua, globals);
        // Keep only what Redis keeps (no print, no file access, no getfenv/setfenv).
        var remove = new List<LuaValue>();
        var key = LuaValue.Nil;
        while (globals.Next(ref key, out _))
            if (key.Type != LuaType.String || !AllowedGlobals.Contains(key.AsString.ToString())) remove.Add(key);
        foreach (var k in remove) globals.RawSet(k, LuaValue.Nil);
        AddMissingAliases(lua, globals);

        globals.RawSet("redis", LuaValue.FromTable(CreateRedisTable(functionsLoader)));
        // Redis' error handler is a global function of its own; scripts can see it (and call it).
        globals.RawSet("__redis__err__handler", LuaValue.FromFunction(new LuaNativeClosure("__redis__err__handler", static call => call.Return(call[0]))));

        // Every library table is read-only, and so is the globals table once the caller is done.
        key = LuaValue.Nil;
        while (globals.Next(ref key, out var value))
            if (value.Type == LuaType.Table && !ReferenceEquals(value.AsTable, globals)) value.AsTable.ReadOnly = true;
        var meta = new LuaTable(0, 1);
        meta.RawSet("__index", LuaValue.FromFunction(new LuaNativeClosure("__index", NonexistentGlobal)));
        meta.ReadOnly = true;
        globals.Metatable = meta;
        return lua;
    }

    /// <summary>
    /// Redis 7.0's pcall (luaRedisPcall): an error table with an err field is returned as that text, so
    /// <c>pcall(redis.call, ...)</c> gives scripts the error message. Written in Lua over the plain pcall.
    /// </summary>
    private static void InstallRedisPcall(LuaState lua, LuaTable globals)
    {
        const string source =
            "local rawpcall, type = ...\n" +
            "local function fix(ok, ...)\n" +
            "  if ok then return ok, ... end\n" +
            "  local e = ...\n" +
            "  if type(e) == 'table' then\n" +
            "    local m = e.err\n" +
            "    if type(m) == 'string' or type(m) == 'number' then return false, m end\n" +
            "  end\n" +
            "  return false, e\n" +
            "end\n" +
            "return function(...) return fix(rawpcall(...)) end\n";
        var chunk = lua.Load(System.Text.Encoding.ASCII.GetBytes(source), "=pcall");
        Span<LuaValue> args = [globals.RawGet("pcall"), globals.RawGet("type")];
        globals.RawSet("pcall", lua.Call(chunk, args));
    }

    /// <summary>Functions Redis' Lua 5.1 has that the engine may name differently.</summary>
    private static void AddMissingAliases(LuaState lua, LuaTable globals)
    {
        var str = globals.RawGet("string");
        if (str.Type == LuaType.Table && str.AsTable.RawGet("gfind").IsNil)
            str.AsTable.RawSet("gfind", str.AsTable.RawGet("gmatch"));
        if (globals.RawGet("load").IsNil)
            globals.RawSet("load", LuaValue.FromFunction(new LuaNativeClosure("load", LoadFromFunction)));
    }

    /// <summary>Lua 5.1's load(func [, chunkname]): the chunk is the concatenation of the pieces func returns.</summary>
    private static int LoadFromFunction(LuaCallContext call)
    {
        var lua = call.State;
        if (call[0].Type != LuaType.Function) throw lua.ArgError(1, "load", "function expected, got " + TypeName(call[0]));
        var pieces = new MemoryStream();
        while (true)
        {
            var piece = lua.Call(call[0].AsFunction, ReadOnlySpan<LuaValue>.Empty);
            if (piece.IsNil || (piece.Type == LuaType.String && piece.AsString.Length == 0)) break;
            if (piece.Type != LuaType.String)
            {
                call.Return(LuaValue.Nil);
                return call.Return(LuaValue.FromString(LuaString.FromUtf8("reader function must return a string")));
            }
            pieces.Write(piece.AsString.Span);
        }
        string chunk = call[1].Type == LuaType.String ? call[1].AsString.ToString() : "=(load)";
        try
        {
            return call.Return(LuaValue.FromFunction(lua.Load(pieces.ToArray(), chunk)));
        }
        catch (LuaSyntaxException ex)
        {
            call.Return(LuaValue.Nil);
            return call.Return(LuaValue.FromString(LuaString.FromUtf8(ex.Message)));
        }
    }

    private static string TypeName(LuaValue v) => v.Type switch
    {
        LuaType.Nil => "no value",
        LuaType.UserData => "userdata",
        _ => v.Type.ToString().ToLowerInvariant(),
    };

    /// <summary>Reading an undeclared global (Redis' luaProtectedTableError).</summary>
    private static int NonexistentGlobal(LuaCallContext call)
    {
        var name = call[1];
        if (name.Type is not (LuaType.String or LuaType.Number))
            throw call.State.Error("Second argument to luaProtectedTableError must be a string or number");
        throw call.State.Error($"Script attempted to access nonexistent global variable '{ToText(name)}'");
    }

    private LuaTable CreateRedisTable(bool functionsLoader)
    {
        var redis = new LuaTable(0, 32);
        void Fn(string name, LuaNativeFunction fn) => redis.RawSet(name, LuaValue.FromFunction(new LuaNativeClosure(name, fn)));
        Fn("call", call => RedisCall(call, raise: true));
        Fn("pcall", call => RedisCall(call, raise: false));
        Fn("error_reply", ErrorReply);
        Fn("status_reply", StatusReply);
        Fn("sha1hex", Sha1Hex);
        Fn("log", Log);
        Fn("setresp", SetResp);
        Fn("set_repl", SetRepl);
        Fn("replicate_commands", static call => call.Return(LuaValue.True));
        Fn("breakpoint", static call => call.Return(LuaValue.False));
        Fn("debug", static call => 0);
        Fn("acl_check_cmd", AclCheckCommand);
        if (functionsLoader) Fn("register_function", call => Functions.RegisterFunction(call));
        redis.RawSet("LOG_DEBUG", LuaValue.FromNumber(0));
        redis.RawSet("LOG_VERBOSE", LuaValue.FromNumber(1));
        redis.RawSet("LOG_NOTICE", LuaValue.FromNumber(2));
        redis.RawSet("LOG_WARNING", LuaValue.FromNumber(3));
        redis.RawSet("REPL_NONE", LuaValue.FromNumber(0));
        redis.RawSet("REPL_AOF", LuaValue.FromNumber(1));
        redis.RawSet("REPL_SLAVE", LuaValue.FromNumber(2));
        redis.RawSet("REPL_REPLICA", LuaValue.FromNumber(2));
        redis.RawSet("REPL_ALL", LuaValue.FromNumber(3));
        redis.RawSet("REDIS_VERSION", LuaValue.FromString(LuaString.FromUtf8(VersionText)));
        redis.RawSet("REDIS_VERSION_NUM", LuaValue.FromNumber(VersionNumber));
        return redis;
    }
}
