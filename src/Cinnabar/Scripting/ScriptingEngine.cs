using System.Diagnostics;
using System.Text;
using Cinnabar.Commands;
using Cinnabar.Lua;
using Cinnabar.Networking;

namespace Cinnabar.Scripting;

/// <summary>
/// Lua scripting as Redis 7.0 (eval.c, script.c, script_lua.c): the EVAL script cache, running a script
/// (EVAL or FCALL) atomically under the execution lock with the checks Redis makes before and during a run,
/// the busy-script state that lets other clients be answered -BUSY while a long script runs, and SCRIPT KILL.
/// The <c>redis</c> library scripts call is in ScriptingEngine.RedisApi.cs; the Lua environments in
/// ScriptingEngine.Environment.cs; functions (FUNCTION/FCALL) in <see cref="FunctionLibraries"/>.
/// All members run under the execution lock unless they say otherwise.
/// </summary>
public sealed partial class ScriptingEngine
{
    private readonly CinnabarServer _server;
    private LuaState _evalLua;
    private readonly Dictionary<ScriptSha, EvalScript> _scripts = new();
    private long _scriptBodiesBytes;
    private readonly ScriptClient _scriptClient;
    private readonly Action _interruptCheck;

    /// <summary>The script running now (Redis' curr_run_ctx), or null.</summary>
    internal ScriptRun? Current { get; private set; }

    // Busy: set by the script's thread once it runs past busy-reply-threshold; read by other threads while
    // the script lends them the execution lock.
    private volatile bool _busy;
    private readonly ManualResetEventSlim _notBusy = new(true);

    public ScriptingEngine(CinnabarServer server)
    {
        _server = server;
        _scriptClient = new ScriptClient(server);
        _interruptCheck = OnInterrupt;
        _evalLua = CreateEvalState();
        Functions = new FunctionLibraries(server, this);
    }

    public FunctionLibraries Functions { get; }

    /// <summary>The client whose EVAL or FCALL is running, if any.</summary>
    internal Client? CurrentCaller => Current?.Caller;

    /// <summary>The function running now (FUNCTION STATS shows functions, not EVAL scripts).</summary>
    internal ScriptRun? RunningFunction => Current is { IsEval: false } run ? run : null;

    /// <summary>A script has run longer than busy-reply-threshold: other clients get -BUSY.</summary>
    public bool Busy => _busy;

    public int CachedScripts => _scripts.Count;
    public long ScriptBodiesBytes => _scriptBodiesBytes;
    public long EvalMemory => _evalLua.ApproximateMemoryBytes;

    /// <summary>The -BUSY error other clients get, naming the kill command that applies.</summary>
    public string BusyError => Current is { IsEval: false }
        ? "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
        : "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

    // ---- EVAL, EVALSHA, EVAL_RO, EVALSHA_RO ----------------------------------------------------------

    internal void Eval(Client c, bool bySha, bool readOnly)
    {
        if (!TryGetKeyCount(c, out int keys)) return;
        EvalScript? script;
        if (bySha)
        {
            if (!ScriptSha.TryParseHex(c.Arg(1), out var sha) || !_scripts.TryGetValue(sha, out script))
            {
                c.Reply.Error("NOSCRIPT No matching script. Please use EVAL.");
                return;
            }
        }
        else
        {
            var sha = ScriptSha.Of(c.Arg(1));
            if (!_scripts.TryGetValue(sha, out script))
            {
                script = Compile(c.Arg(1), sha, out var error);
                if (script is null)
                {
                    c.Reply.Error(error!);
                    return;
                }
            }
        }
        Run(c, _evalLua, script.Function, script.ShaHex, script.Flags, readOnly, isEval: true, 3, keys, 3 + keys, c.ArgCount - 3 - keys);
    }

    /// <summary>The numkeys argument of EVAL and FCALL (argument 2), checked against the arguments that follow, with Redis' errors.</summary>
    internal static bool TryGetKeyCount(Client c, out int keys)
    {
        keys = 0;
        if (!c.TryGetLong(2, out long numkeys)) return false;
        if (numkeys > c.ArgCount - 3)
        {
            c.Reply.Error("ERR Number of keys can't be greater than number of args");
            return false;
        }
        if (numkeys < 0)
        {
            c.Reply.Error("ERR Number of keys can't be negative");
            return false;
        }
        keys = (int)numkeys;
        return true;
    }

    /// <summary>Compiles an EVAL body and caches it by its sha1 (Redis' luaCreateFunction). Null with an error text on failure.</summary>
    private EvalScript? Compile(ReadOnlySpan<byte> body, ScriptSha sha, out string? error)
    {
        var shebangError = ScriptFlagNames.ParseShebang(body, out var flags, out int shebangLength);
        if (shebangError is not null)
        {
            error = "ERR " + shebangError;
            return null;
        }
        LuaFunction function;
        try
        {
            function = _evalLua.Load(body[shebangLength..], "@user_script");
        }
        catch (LuaSyntaxException ex)
        {
            error = "ERR Error compiling script (new function): " + ex.Message;
            return null;
        }
        var script = new EvalScript(body.ToArray(), function, flags, sha.ToHex());
        _scripts[sha] = script;
        _scriptBodiesBytes += script.Body.Length;
        error = null;
        return script;
    }

    // ---- SCRIPT ---------------------------------------------------------------------------------------

    internal void ScriptLoad(Client c)
    {
        var body = c.Arg(2);
        var sha = ScriptSha.Of(body);
        if (!_scripts.ContainsKey(sha) && Compile(body, sha, out var error) is null)
        {
            c.Reply.Error(error!);
            return;
        }
        c.Reply.Bulk(sha.ToHex());
    }

    internal void ScriptExists(Client c)
    {
        c.Reply.ArrayHeader(c.ArgCount - 2);
        for (int i = 2; i < c.ArgCount; i++)
            c.Reply.Integer(ScriptSha.TryParseHex(c.Arg(i), out var sha) && _scripts.ContainsKey(sha) ? 1 : 0);
    }

    internal void ScriptFlush(Client c)
    {
        if (c.ArgCount > 3 || (c.ArgCount == 3 && !c.ArgIs(2, "sync"u8) && !c.ArgIs(2, "async"u8)))
        {
            c.Reply.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
            return;
        }
        FlushScripts();
        c.Reply.Ok();
    }

    /// <summary>Forgets every EVAL script and starts a fresh Lua state (Redis' scriptingReset).</summary>
    public void FlushScripts()
    {
        _scripts.Clear();
        _scriptBodiesBytes = 0;
        _evalLua = CreateEvalState();
    }

    internal void Kill(Client c, bool byScriptKill)
    {
        var run = Current;
        if (run is null)
            c.Reply.Error("NOTBUSY No scripts in execution right now.");
        else if ((run.Caller.Flags & ClientFlags.Master) != 0)
            c.Reply.Error("UNKILLABLE The busy script was sent by a master instance in the context of replication and cannot be killed.");
        else if (run.WriteDirty)
            c.Reply.Error("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.");
        else if (byScriptKill && !run.IsEval)
            c.Reply.Error("BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.");
        else if (!byScriptKill && run.IsEval)
            c.Reply.Error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.");
        else
        {
            run.Killed = true;
            c.Reply.Ok();
        }
    }

    /// <summary>SHUTDOWN NOSAVE while a script is busy: the script stops at its next check, whatever it wrote.</summary>
    public void AbortForShutdown()
    {
        if (Current is { } run) run.Killed = true;
    }

    // ---- running a script -----------------------------------------------------------------------------

    /// <summary>
    /// Runs <paramref name="function"/> for <paramref name="caller"/> and writes its reply: Redis'
    /// scriptPrepareForRun (the checks made before a script starts, by its flags), luaCallFunction and
    /// scriptResetRun. Keys and arguments are slices of the caller's arguments.
    /// </summary>
    internal void Run(Client caller, LuaState lua, LuaFunction function, string name, ScriptFlags flags, bool readOnly, bool isEval,
        int keysStart, int keyCount, int argsStart, int argCount)
    {
        var refusal = CheckBeforeRun(caller, flags, readOnly);
        if (refusal is not null)
        {
            caller.Reply.Error(refusal);
            return;
        }
        var sc = _scriptClient;
        sc.Db = caller.Db;
        sc.Protocol = 2;
        sc.User = caller.User;
        var run = new ScriptRun
        {
            Caller = caller,
            ScriptClient = sc,
            Name = name,
            IsEval = isEval,
            ReadOnly = readOnly || ((flags & ScriptFlags.EvalCompatMode) == 0 && (flags & ScriptFlags.NoWrites) != 0),
            AllowOom = (flags & ScriptFlags.EvalCompatMode) == 0 && (flags & ScriptFlags.AllowOom) != 0,
            AllowStale = (flags & ScriptFlags.AllowStale) != 0,
        };
        run.LastYieldTimestamp = run.StartTimestamp;
        var keys = ArgumentsTable(caller, keysStart, keyCount);
        var args = ArgumentsTable(caller, argsStart, argCount);
        Current = run;
        _lendLock = caller is ClientConnection && (caller.Flags & ClientFlags.Master) == 0 && _server.ExecLock.IsHeldByCurrentThread;
        lua.InterruptCheck = _interruptCheck;
        int mark = caller.Reply.Length;
        try
        {
            LuaValue result;
            if (isEval)
            {
                // KEYS and ARGV are globals of EVAL scripts: set through the protection, as Redis does.
                var globals = lua.Globals;
                globals.RawSet(KeysName, LuaValue.FromTable(keys));
                globals.RawSet(ArgvName, LuaValue.FromTable(args));
                result = lua.Call(function, ReadOnlySpan<LuaValue>.Empty);
            }
            else
            {
                Span<LuaValue> callArgs = [LuaValue.FromTable(keys), LuaValue.FromTable(args)];
                result = lua.Call(function, callArgs);
            }
            LuaReplies.WriteReply(caller.Reply, result, sc.Protocol);
        }
        catch (LuaRuntimeException ex)
        {
            caller.Reply.Truncate(mark);
            WriteScriptError(caller, ex.Value, ex.Source, ex.Line, name);
        }
        catch (ScriptKilledException ex)
        {
            caller.Reply.Truncate(mark);
            caller.Reply.Error(ex.ScriptSource is null
                ? "ERR Script killed by user with SCRIPT KILL..."
                : $"ERR Script killed by user with SCRIPT KILL... script: {name}, on {ex.ScriptSource}:{ex.Line}.");
        }
        catch (InsufficientExecutionStackException)
        {
            caller.Reply.Truncate(mark);
            caller.Reply.Error($"ERR Error running script {name}, stack overflow");
        }
        finally
        {
            lua.InterruptCheck = null;
            Current = null;
            _lendLock = false;
            sc.Db = _server.Databases[0];
            sc.User = null;
            sc.Reply.Clear();
            sc.Reply.ShrinkIfLarge();
            if (_busy)
            {
                _server.Log.Warning("Script ended after the busy threshold; accepting commands again.");
                _busy = false;
                _notBusy.Set();
            }
        }
        // The effects of the script's commands were propagated one by one (and get wrapped in MULTI/EXEC
        // together); the EVAL itself must not be.
        caller.PropagateOverride = true;
    }

    /// <summary>Redis' scriptPrepareForRun checks: what a script may not start doing, given its flags and the server state.</summary>
    private string? CheckBeforeRun(Client caller, ScriptFlags flags, bool readOnly)
    {
        var replication = _server.Replication;
        var config = _server.Config;
        bool obey = (caller.Flags & ClientFlags.Master) != 0;
        bool runningStale = replication.IsReplica && !replication.LinkUp && !config.ReplicaServeStaleData;
        if ((flags & ScriptFlags.EvalCompatMode) != 0)
            return runningStale ? "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'." : null;
        if (runningStale && (flags & ScriptFlags.AllowStale) == 0)
            return "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set";
        if ((flags & ScriptFlags.NoWrites) == 0)
        {
            if (replication.IsReplica && config.ReplicaReadOnly && !obey)
                return "READONLY Can not run script with write flag on readonly replica";
            if (!obey && _server.Persistence.WritesDeniedByDiskError)
                return "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts.";
            if (!obey && _server.Aof.WritesDenied)
                return "MISCONF Errors writing to the AOF file: " + _server.Aof.MisconfError;
            if (readOnly) return "ERR Can not execute a script with write flag using *_ro command.";
        }
        if ((flags & (ScriptFlags.AllowOom | ScriptFlags.NoWrites)) == 0 && config.MaxMemory != 0 && _server.Memory.PreCommandOom)
            return "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'";
        return null;
    }

    private static readonly LuaValue KeysName = LuaValue.FromString(LuaString.FromUtf8("KEYS"));
    private static readonly LuaValue ArgvName = LuaValue.FromString(LuaString.FromUtf8("ARGV"));

    /// <summary>A KEYS or ARGV table: the arguments as Lua strings.</summary>
    private static LuaTable ArgumentsTable(Client c, int start, int count)
    {
        var t = new LuaTable(count, 0);
        for (int i = 0; i < count; i++) t.RawSet(i + 1, LuaValue.FromString(new LuaString(c.ArgArray(start + i))));
        return t;
    }

    /// <summary>
    /// A raised error as the caller sees it (luaCallFunction and Redis' __redis__err__handler): an error table's
    /// err field, or "ERR " and the value as text, then where it happened.
    /// </summary>
    private static void WriteScriptError(Client caller, LuaValue value, string? source, int line, string name)
    {
        string message;
        if (value.Type == LuaType.Table)
        {
            var t = value.AsTable;
            var err = t.RawGet(LuaValue.FromString(LuaReplies.Err));
            message = err.Type switch
            {
                LuaType.String => Encoding.UTF8.GetString(err.AsString.Span),
                LuaType.Number => LuaState.NumberToString(err.AsNumber),
                _ => "ERR unknown error",
            };
            if (t.RawGet(LuaValue.FromString(LuaReplies.IgnoreErrorStats)).AsBooleanish()) caller.ErrorReplyUncounted = true;
        }
        else message = "ERR " + ToText(value);
        caller.Reply.Error(source is null ? message : $"{message} script: {name}, on {source}:{line}.");
    }

    /// <summary>Lua's tostring for the values an error can carry.</summary>
    internal static string ToText(LuaValue v) => v.Type switch
    {
        LuaType.Nil => "nil",
        LuaType.Boolean => v.AsBoolean ? "true" : "false",
        LuaType.Number => LuaState.NumberToString(v.AsNumber),
        LuaType.String => Encoding.UTF8.GetString(v.AsString.Span),
        _ => v.Type.ToString().ToLowerInvariant(),
    };

    // ---- busy scripts ---------------------------------------------------------------------------------

    /// <summary>True while the running script may lend the execution lock (a client's command, not replication or loading).</summary>
    private bool _lendLock;

    /// <summary>
    /// Called by the Lua engine every few thousand steps: stops a killed script, and past busy-reply-threshold
    /// lends the execution lock to waiting clients now and then, as Redis processes events while a script is
    /// busy. Those clients find <see cref="Busy"/> set and are answered -BUSY, except the commands that may run
    /// (SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE and the others flagged allow-busy).
    /// </summary>
    private void OnInterrupt()
    {
        var run = Current;
        if (run is null) return;
        if (run.Killed) ThrowKilled();
        long threshold = _server.Config.LuaTimeLimit;
        if (threshold <= 0 || run.ElapsedMs < threshold) return;
        if (!_busy)
        {
            _server.Log.Warning($"Slow script detected: still in execution after {(long)run.ElapsedMs} milliseconds. You can try killing the script using the {(run.IsEval ? "SCRIPT KILL" : "FUNCTION KILL")} command. Script name is: {run.Name}.");
            _notBusy.Reset();
            _busy = true;
        }
        if (_lendLock && Stopwatch.GetElapsedTime(run.LastYieldTimestamp).TotalMilliseconds >= LendIntervalMs)
        {
            long now = _server.KeyspaceState.NowMs;
            int served = Volatile.Read(ref _servedWhileBusy);
            _server.ExecLock.Exit();
            try
            {
                // Until a waiting client has had the lock (a woken thread may take a while to run on a busy
                // machine), or a while when nobody is waiting.
                var lent = Stopwatch.StartNew();
                while (Volatile.Read(ref _servedWhileBusy) == served && lent.ElapsedMilliseconds < LendWindowMs) Thread.Sleep(1);
            }
            finally
            {
                _server.ExecLock.Enter();
                // Time stands still for the script, whatever the clients served meanwhile did to the clock.
                _server.KeyspaceState.NowMs = now;
                run.LastYieldTimestamp = Stopwatch.GetTimestamp();
            }
        }
        if (run.Killed) ThrowKilled();
    }

    /// <summary>How often a busy script lends the lock: clients wait at most about this long for their -BUSY.</summary>
    private const int LendIntervalMs = 5;

    /// <summary>How long a lend waits for a waiting client to take the lock.</summary>
    private const int LendWindowMs = 20;

    private int _servedWhileBusy;

    /// <summary>A client took the execution lock while a busy script lent it (called under the lock).</summary>
    public void NoteServedWhileBusy() => _servedWhileBusy++;

    private void ThrowKilled()
    {
        // Where the script was: the position Lua would prefix to an error raised here.
        var probe = _evalLuaOrFunctions().Error("");
        throw new ScriptKilledException(probe.Source, probe.Line);
    }

    private LuaState _evalLuaOrFunctions() => Current is { IsEval: false } ? Functions.Lua : _evalLua;

    /// <summary>
    /// For work that must not interleave with a script (replication from our master, timers, background
    /// completions) and that took the execution lock while a busy script lent it: gives it back until the
    /// script ends. Caller holds the execution lock once.
    /// </summary>
    public void WaitWhileBusy()
    {
        while (_busy && Current is not null)
        {
            _server.ExecLock.Exit();
            try { _notBusy.Wait(); }
            finally { _server.ExecLock.Enter(); }
        }
    }

    // ---- the flags a script declares change how its EVAL/FCALL is admitted ---------------------------

    /// <summary>
    /// Redis' evalGetCommandFlags / fcallGetCommandFlags: a script that declares flags replaces the write,
    /// deny-oom and stale flags of the command that runs it, so a no-writes script runs on a read-only replica.
    /// </summary>
    internal CommandFlags EffectiveFlags(Client c, CommandDef cmd)
    {
        var flags = cmd.Flags;
        ScriptFlags scriptFlags;
        if (cmd.Name is "fcall" or "fcall_ro")
        {
            if (c.ArgCount < 2 || Functions.Find(c.Arg(1)) is not { } fn) return flags;
            scriptFlags = fn.Flags;
        }
        else
        {
            bool bySha = cmd.Name is "evalsha" or "evalsha_ro";
            if (c.ArgCount < 2) return flags;
            if (bySha)
            {
                if (!ScriptSha.TryParseHex(c.Arg(1), out var sha) || !_scripts.TryGetValue(sha, out var known)) return flags;
                scriptFlags = known.Flags;
            }
            else
            {
                var body = c.Arg(1);
                if (ScriptFlagNames.ParseShebang(body, out scriptFlags, out _) is not null) return flags;
            }
        }
        if ((scriptFlags & ScriptFlags.EvalCompatMode) != 0) return flags;
        flags &= ~(CommandFlags.Stale | CommandFlags.DenyOom | CommandFlags.Write | CommandFlags.MayReplicate);
        if ((scriptFlags & (ScriptFlags.AllowOom | ScriptFlags.NoWrites)) == 0) flags |= CommandFlags.DenyOom;
        if ((scriptFlags & ScriptFlags.NoWrites) == 0) flags |= CommandFlags.Write;
        if ((scriptFlags & ScriptFlags.AllowStale) != 0) flags |= CommandFlags.Stale;
        return flags;
    }
}

/// <summary>A cached EVAL script: its body (SCRIPT LOAD and replication need none of it, but memory accounting does), compiled function and flags.</summary>
internal sealed record EvalScript(byte[] Body, LuaFunction Function, ScriptFlags Flags, string ShaHex);

internal static class LuaValueExtensions
{
    /// <summary>Lua truthiness: anything but nil and false.</summary>
    public static bool AsBooleanish(this LuaValue v) => !v.IsFalsy;
}
