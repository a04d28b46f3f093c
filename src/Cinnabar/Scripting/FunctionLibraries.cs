using System.Text;
using Cinnabar.Lua;

namespace Cinnabar.Scripting;

/// <summary>A function registered by a library (Redis' functionInfo).</summary>
public sealed class ScriptFunction(string name, LuaFunction callback, FunctionLibrary library, string? description, ScriptFlags flags)
{
    public string Name { get; } = name;
    public LuaFunction Callback { get; } = callback;
    public FunctionLibrary Library { get; } = library;
    public string? Description { get; } = description;
    public ScriptFlags Flags { get; } = flags;
}

/// <summary>A library loaded with FUNCTION LOAD: its name, code (as given, shebang included) and functions.</summary>
public sealed class FunctionLibrary(string name, byte[] code)
{
    public string Name { get; } = name;
    public byte[] Code { get; } = code;
    public Dictionary<string, ScriptFunction> Functions { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Redis 7.0 functions (functions.c, function_lua.c): libraries of named functions loaded with FUNCTION LOAD,
/// run by FCALL, kept in RDB files (RDB_OPCODE_FUNCTION2), replicated and written to the AOF as the FUNCTION
/// commands that created them. Libraries run in their own Lua state: while a library loads, its globals
/// offer only <c>redis.register_function</c>, <c>redis.log</c> and the version; while a function runs, the
/// same environment as EVAL scripts.
/// </summary>
public sealed class FunctionLibraries
{
    private readonly CinnabarServer _server;
    private readonly ScriptingEngine _engine;
    private readonly SortedDictionary<string, FunctionLibrary> _libraries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ScriptFunction> _functions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ScriptFunction>.AlternateLookup<ReadOnlySpan<char>> _byName;
    private LuaTable _environmentMeta = null!;
    private LuaTable _runApi = null!;
    private LuaTable _loadApi = null!;
    /// <summary>The library being loaded, which redis.register_function adds to.</summary>
    private FunctionLibrary? _loading;

    public FunctionLibraries(CinnabarServer server, ScriptingEngine engine)
    {
        _server = server;
        _engine = engine;
        _byName = _functions.GetAlternateLookup<ReadOnlySpan<char>>();
        Lua = CreateState();
    }

    internal LuaState Lua { get; private set; }

    public IEnumerable<FunctionLibrary> Libraries => _libraries.Values;
    public int LibraryCount => _libraries.Count;
    public int FunctionCount => _functions.Count;
    public long CodeBytes => _libraries.Values.Sum(l => (long)l.Code.Length);

    /// <summary>
    /// The functions state: an empty, read-only globals table whose __index is the API of the moment (the load
    /// API while a library loads, the run API otherwise), as Redis switches them.
    /// </summary>
    private LuaState CreateState()
    {
        var lua = _engine.NewProtectedState(out var globals, functionsLoader: false);
        _runApi = new LuaTable();
        var key = LuaValue.Nil;
        while (globals.Next(ref key, out var value)) _runApi.RawSet(key, value);
        _runApi.Metatable = globals.Metatable;
        _runApi.ReadOnly = true;

        var redis = new LuaTable();
        var runRedis = _runApi.RawGet("redis").AsTable;
        foreach (var name in new[] { "log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM" })
            redis.RawSet(name, runRedis.RawGet(name));
        redis.RawSet("register_function", LuaValue.FromFunction(new LuaNativeClosure("register_function", RegisterFunction)));
        redis.Metatable = globals.Metatable;
        redis.ReadOnly = true;
        _loadApi = new LuaTable();
        _loadApi.RawSet("redis", LuaValue.FromTable(redis));
        _loadApi.Metatable = globals.Metatable;
        _loadApi.ReadOnly = true;

        var remove = new List<LuaValue>();
        key = LuaValue.Nil;
        while (globals.Next(ref key, out _)) remove.Add(key);
        foreach (var k in remove) globals.RawSet(k, LuaValue.Nil);
        _environmentMeta = new LuaTable(0, 1);
        _environmentMeta.RawSet("__index", LuaValue.FromTable(_runApi));
        _environmentMeta.ReadOnly = true;
        globals.Metatable = _environmentMeta;
        globals.ReadOnly = true;
        return lua;
    }

    public ScriptFunction? Find(ReadOnlySpan<byte> name)
    {
        if (name.Length > 256) return null;
        Span<char> chars = stackalloc char[name.Length];
        for (int i = 0; i < name.Length; i++) chars[i] = (char)name[i];
        return _byName.TryGetValue(chars, out var f) ? f : null;
    }

    // ---- FCALL ----------------------------------------------------------------------------------------

    internal void Call(Client c, bool readOnly)
    {
        if (!ScriptingEngine.TryGetKeyCount(c, out int keys)) return;
        var fn = Find(c.Arg(1));
        if (fn is null)
        {
            c.Reply.Error("ERR Function not found");
            return;
        }
        _engine.Run(c, Lua, fn.Callback, fn.Name, fn.Flags, readOnly, isEval: false, 3, keys, 3 + keys, c.ArgCount - 3 - keys);
    }

    // ---- loading libraries ----------------------------------------------------------------------------

    /// <summary>
    /// Redis' functionsCreateWithLibraryCtx: parses the library's metadata line, runs its code so it registers
    /// its functions, and links it (replacing a library of the same name when <paramref name="replace"/>).
    /// Returns the library name, or null with Redis' error text (without "ERR ").
    /// </summary>
    public string? Load(byte[] code, bool replace, out string? error)
    {
        error = ParseMetadata(code, out var engineName, out var name, out int shebangLength);
        if (error is not null) return null;
        if (!IsValidName(name!))
        {
            error = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
            return null;
        }
        if (!engineName!.Equals("lua", StringComparison.OrdinalIgnoreCase))
        {
            error = $"Engine '{engineName}' not found";
            return null;
        }
        _libraries.TryGetValue(name!, out var old);
        if (old is not null && !replace)
        {
            error = $"Library '{name}' already exists";
            return null;
        }
        var library = new FunctionLibrary(name!, code);
        error = RunLibraryCode(library, code.AsSpan(shebangLength));
        if (error is not null) return null;
        if (library.Functions.Count == 0)
        {
            error = "No functions registered";
            return null;
        }
        foreach (var f in library.Functions.Keys)
            if (_functions.TryGetValue(f, out var existing) && existing.Library != old)
            {
                error = $"Function {f} already exists";
                return null;
            }
        if (old is not null) Unlink(old);
        _libraries[library.Name] = library;
        foreach (var f in library.Functions.Values) _functions[f.Name] = f;
        return library.Name;
    }

    private string? RunLibraryCode(FunctionLibrary library, ReadOnlySpan<byte> body)
    {
        LuaFunction chunk;
        try
        {
            chunk = Lua.Load(body, "@user_function");
        }
        catch (LuaSyntaxException ex)
        {
            return "Error compiling function: " + ex.Message;
        }
        _environmentMeta.RawSet("__index", LuaValue.FromTable(_loadApi));
        _loading = library;
        try
        {
            Lua.Call(chunk, ReadOnlySpan<LuaValue>.Empty);
            return null;
        }
        catch (LuaRuntimeException ex)
        {
            var v = ex.Value;
            string message = v.Type == LuaType.Table && v.AsTable.RawGet(LuaValue.FromString(LuaReplies.Err)) is { Type: LuaType.String } err
                ? Encoding.UTF8.GetString(err.AsString.Span)
                : "ERR " + ScriptingEngine.ToText(v);
            return "Error registering functions: " + message;
        }
        finally
        {
            _loading = null;
            _environmentMeta.RawSet("__index", LuaValue.FromTable(_runApi));
        }
    }

    /// <summary>Redis' functionExtractLibMetaData: "#!&lt;engine&gt; name=&lt;library&gt;" on the first line.</summary>
    private static string? ParseMetadata(ReadOnlySpan<byte> code, out string? engine, out string? name, out int shebangLength)
    {
        engine = name = null;
        shebangLength = 0;
        if (code.Length < 2 || code[0] != '#' || code[1] != '!') return "Missing library metadata";
        int end = code.IndexOf((byte)'\n');
        if (end < 0) return "Invalid library metadata";
        shebangLength = end;
        var parts = Encoding.UTF8.GetString(code[..end]).Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) return "Invalid library metadata";
        engine = parts[0][2..];
        for (int i = 1; i < parts.Length; i++)
        {
            if (parts[i].StartsWith("name=", StringComparison.OrdinalIgnoreCase))
            {
                if (name is not null) return "Invalid metadata value, name argument was given multiple times";
                name = parts[i][5..];
                continue;
            }
            return "Invalid metadata value given: " + parts[i];
        }
        return name is null ? "Library name was not given" : null;
    }

    private static bool IsValidName(string name) => name.Length > 0 && name.All(ch => ch is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_');

    /// <summary>redis.register_function, positional (name, callback) or named ({function_name=, callback=, flags=, description=}).</summary>
    internal int RegisterFunction(LuaCallContext call)
    {
        var library = _loading ?? throw call.State.Raise(ScriptingEngine.ErrorTable("redis.register_function can only be called on FUNCTION LOAD command"));
        var lua = call.State;
        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        void Raise(string message) => throw lua.Raise(ScriptingEngine.ErrorTable(message));
        string? name = null, description = null;
        LuaFunction? callback = null;
        var flags = ScriptFlags.None;
        if (call.ArgCount < 1 || call.ArgCount > 2) Raise("wrong number of arguments to redis.register_function");
        if (call.ArgCount == 1)
        {
            if (call[0].Type != LuaType.Table) Raise("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).");
            var t = call[0].AsTable;
            var key = LuaValue.Nil;
            while (t.Next(ref key, out var value))
            {
                if (key.Type is not (LuaType.String or LuaType.Number)) Raise("named argument key given to redis.register_function is not a string");
                switch (ScriptingEngine.ToText(key).ToLowerInvariant())
                {
                    case "function_name":
                        if (value.Type is not (LuaType.String or LuaType.Number)) Raise("function_name argument given to redis.register_function must be a string");
                        name = ScriptingEngine.ToText(value);
                        break;
                    case "description":
                        if (value.Type is not (LuaType.String or LuaType.Number)) Raise("description argument given to redis.register_function must be a string");
                        description = ScriptingEngine.ToText(value);
                        break;
                    case "callback":
                        if (value.Type != LuaType.Function) Raise("callback argument given to redis.register_function must be a function");
                        callback = value.AsFunction;
                        break;
                    case "flags":
                        if (value.Type != LuaType.Table) Raise("flags argument to redis.register_function must be a table representing function flags");
                        if (!TryReadFlags(value.AsTable, out flags)) Raise("unknown flag given");
                        break;
                    default:
                        Raise("unknown argument given to redis.register_function");
                        break;
                }
            }
            if (name is null) Raise("redis.register_function must get a function name argument");
            if (callback is null) Raise("redis.register_function must get a callback argument");
        }
        else
        {
            if (call[0].Type is not (LuaType.String or LuaType.Number)) Raise("first argument to redis.register_function must be a string");
            if (call[1].Type != LuaType.Function) Raise("second argument to redis.register_function must be a function");
            name = ScriptingEngine.ToText(call[0]);
            callback = call[1].AsFunction;
        }
        // Redis 7.0 answers an invalid function name with the library-name text.
        if (!IsValidName(name!)) Raise("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long");
        if (library.Functions.ContainsKey(name!)) Raise("Function already exists in the library");
        library.Functions[name!] = new ScriptFunction(name!, callback!, library, description, flags);
        return 0;
    }

    private static bool TryReadFlags(LuaTable t, out ScriptFlags flags)
    {
        flags = ScriptFlags.None;
        for (int i = 1; ; i++)
        {
            var v = t.RawGet(i);
            if (v.IsNil) return true;
            if (v.Type != LuaType.String || !ScriptFlagNames.TryParse(v.AsString.Span, out var f)) return false;
            flags |= f;
        }
    }

    // ---- the rest of FUNCTION -------------------------------------------------------------------------

    private void Unlink(FunctionLibrary library)
    {
        _libraries.Remove(library.Name);
        foreach (var f in library.Functions.Keys) _functions.Remove(f);
    }

    public bool Delete(string name)
    {
        if (!_libraries.TryGetValue(name, out var library)) return false;
        Unlink(library);
        return true;
    }

    /// <summary>FUNCTION FLUSH, FUNCTION RESTORE FLUSH, a full resync: no libraries, a fresh Lua state.</summary>
    public void Flush()
    {
        _libraries.Clear();
        _functions.Clear();
        Lua = CreateState();
    }

    /// <summary>The code of every library, for an RDB file (libraries never change once loaded: a snapshot needs no copy).</summary>
    public IReadOnlyList<byte[]> Codes() => _libraries.Count == 0 ? [] : _libraries.Values.Select(l => l.Code).ToArray();

    /// <summary>A library from an RDB file or AOF preamble (Redis' rdbFunctionLoad): a failure fails the load.</summary>
    public void LoadFromRdb(byte[] code)
    {
        if (Load(code, replace: false, out var error) is null)
            throw new Persistence.RdbFormatException($"Failed loading library: {error}");
    }

    /// <summary>The libraries as they are, for RESTORE to put back when a later one fails.</summary>
    internal List<FunctionLibrary> Snapshot() => _libraries.Values.ToList();

    internal void Restore(List<FunctionLibrary> libraries)
    {
        _libraries.Clear();
        _functions.Clear();
        foreach (var l in libraries)
        {
            _libraries[l.Name] = l;
            foreach (var f in l.Functions.Values) _functions[f.Name] = f;
        }
    }
}
