using System.Text;
using Cinnabar.Commands;
using Cinnabar.Lua;
using Cinnabar.Protocol;
using Cinnabar.Replication;

namespace Cinnabar.Scripting;

/// <summary>
/// The <c>redis</c> library of scripts (Redis' script_lua.c): redis.call and redis.pcall run a command as the
/// script's client after the checks of Redis' scriptCall, and convert its reply; the helpers build replies,
/// log, and set the protocol or the replication of the script's effects.
/// </summary>
public sealed partial class ScriptingEngine
{
    // redis.call's arguments, reused from call to call: no allocation per call once grown.
    private byte[] _argBuffer = new byte[256];
    private ArgSlice[] _argSlices = new ArgSlice[16];

    internal const string VersionText = CinnabarServer.RedisVersion;
    internal const int VersionNumber = (7 << 16) | (0 << 8) | 15;

    /// <summary>redis.call (<paramref name="raise"/>) and redis.pcall.</summary>
    private int RedisCall(LuaCallContext call, bool raise)
    {
        var run = Current;
        if (run is null) throw call.State.Error("redis.call/pcall can only be called inside a script invocation");
        var error = BuildArguments(call, run.ScriptClient);
        if (error is not null) return Fail(call, error, raise);
        var sc = run.ScriptClient;
        var cmd = LookupForScript(sc, out error);
        if (cmd is null || (error ??= CheckScriptCall(run, sc, cmd)) is not null)
        {
            if (cmd is not null) cmd.RejectedCalls++;
            return Fail(call, error!, raise);
        }
        if (cmd.IsWrite) run.WriteDirty = true;
        sc.Reply.Clear();
        var targets = run.Replication;
        if (targets != PropagationTargets.All) _server.Replication.PropagationFilter = targets;
        _server.Dispatcher.Call(sc, cmd);
        _server.Replication.PropagationFilter = PropagationTargets.All;
        var reply = sc.Reply.WrittenSpan;
        int pos = 0;
        var value = LuaReplies.ToLua(reply, ref pos);
        if (reply.Length > 0 && reply[0] == '-')
        {
            // Counted once, as the command's error; not again as the script's.
            value.AsTable.RawSet(LuaValue.FromString(LuaReplies.IgnoreErrorStats), LuaValue.True);
            if (raise) throw call.State.Raise(value);
        }
        return call.Return(value);
    }

    /// <summary>An error of redis.call itself: raised, or returned as an error table by redis.pcall.</summary>
    private static int Fail(LuaCallContext call, string message, bool raise)
    {
        var table = ErrorTable(message);
        table.AsTable.RawSet(LuaValue.FromString(LuaReplies.IgnoreErrorStats), LuaValue.True);
        if (raise) throw call.State.Raise(table);
        return call.Return(table);
    }

    /// <summary>
    /// Redis' luaPushErrorBuff: "-CODE message" keeps its code, a message without one gets ERR; trailing
    /// newlines go.
    /// </summary>
    internal static LuaValue ErrorTable(string error)
    {
        string code, message;
        if (error.StartsWith('-'))
        {
            int space = error.IndexOf(' ');
            if (space < 0) (code, message) = ("ERR", error[1..]);
            else (code, message) = (error[1..space], error[(space + 1)..]);
        }
        else (code, message) = ("ERR", error);
        message = message.Trim('\r', '\n');
        return LuaReplies.Table(LuaReplies.Err, LuaValue.FromString(LuaString.FromUtf8(code + " " + message)));
    }

    /// <summary>Redis' luaArgsToRedisArgv: strings as they are, numbers as %.17g, anything else refused.</summary>
    private string? BuildArguments(LuaCallContext call, ScriptClient sc)
    {
        int argc = call.ArgCount;
        if (argc == 0) return "Please specify at least one argument for this redis lib call";
        if (_argSlices.Length < argc) _argSlices = new ArgSlice[Math.Max(argc, _argSlices.Length * 2)];
        int used = 0;
        Span<byte> number = stackalloc byte[32];
        for (int i = 0; i < argc; i++)
        {
            var v = call[i];
            scoped ReadOnlySpan<byte> bytes;
            if (v.Type == LuaType.Number)
            {
                int n = RespNumbers.FormatDouble(v.AsNumber, number);
                bytes = number[..n];
            }
            else if (v.Type == LuaType.String) bytes = v.AsString.Span;
            else return "Lua redis lib command arguments must be strings or integers";
            if (used + bytes.Length > _argBuffer.Length)
                Array.Resize(ref _argBuffer, Math.Max(_argBuffer.Length * 2, used + bytes.Length));
            bytes.CopyTo(_argBuffer.AsSpan(used));
            _argSlices[i] = new ArgSlice(used, bytes.Length);
            used += bytes.Length;
        }
        sc.SetArgs(_argBuffer, _argSlices, 0, argc);
        return null;
    }

    /// <summary>The command redis.call names, with its arity checked (Redis' scriptVerifyCommandArity).</summary>
    private CommandDef? LookupForScript(Client sc, out string? error)
    {
        error = null;
        var cmd = FindCommand(sc);
        if (cmd is null)
        {
            error = "Unknown Redis command called from script";
            return null;
        }
        if (!cmd.ArityMatches(sc.ArgCount) || cmd.Handler is null)
        {
            error = "Wrong number of args calling Redis command from script";
            cmd.RejectedCalls++;
            return null;
        }
        return cmd;
    }

    /// <summary>The command (or subcommand) the script client's arguments name, as Redis' lookupCommand.</summary>
    private CommandDef? FindCommand(Client sc)
    {
        var cmd = _server.Commands.Find(sc.Arg(0));
        if (cmd is not null && cmd.Subcommands is not null && sc.ArgCount >= 2) cmd = CommandTable.FindSubcommand(cmd, sc.Arg(1));
        return cmd;
    }

    /// <summary>Redis' scriptCall checks, in its order: not a script command, stale replica, ACL, writes, memory.</summary>
    private string? CheckScriptCall(ScriptRun run, ScriptClient sc, CommandDef cmd)
    {
        if (cmd.HasFlag(CommandFlags.NoScript)) return "This Redis command is not allowed from script";
        var replication = _server.Replication;
        var config = _server.Config;
        if (replication.IsReplica && !replication.LinkUp && !config.ReplicaServeStaleData && !cmd.HasFlag(CommandFlags.Stale) && !run.AllowStale)
            return "Can not execute the command on a stale replica. The script may have been triggered by the client but is not allowed to run it on a stale replica, use 'allow-stale' flag";
        if (run.Caller.SecurityCheck)
        {
            var denial = _server.Acl.Check(run.Caller.User, cmd, sc, out int position);
            if (denial != Security.AclDenial.None)
            {
                _server.Acl.LogDenied(sc, denial, cmd, position, "lua");
                return denial switch
                {
                    Security.AclDenial.Command => "The user executing the script can't run this command or subcommand",
                    Security.AclDenial.Key => "The user executing the script can't access at least one of the keys mentioned in the command arguments",
                    Security.AclDenial.Channel => "The user executing the script can't publish to the channel mentioned in the command",
                    _ => "The user executing the script is lacking the permissions for the command",
                };
            }
        }
        if (run.ReadOnly && (cmd.Flags & (CommandFlags.Write | CommandFlags.MayReplicate)) != 0)
            return "Write commands are not allowed from read-only scripts.";
        if (!cmd.IsWrite || run.WriteDirty) return null;
        bool obey = (run.Caller.Flags & ClientFlags.Master) != 0;
        if (replication.IsReplica && config.ReplicaReadOnly && !obey)
            return "-READONLY You can't write against a read only replica.";
        if (_server.Persistence.WritesDeniedByDiskError) return "-" + Persistence.PersistenceManager.MisconfError;
        if (_server.Aof.WritesDenied) return "-" + _server.Aof.MisconfError;
        // Memory: only a script's first write can be refused (Redis' scriptVerifyOOM), it cannot stop half way.
        if (!run.AllowOom && !obey && config.MaxMemory != 0 && _server.Memory.PreCommandOom && cmd.HasFlag(CommandFlags.DenyOom))
            return "-" + Memory.MemoryManager.OomError;
        return null;
    }

    // ---- the helpers ------------------------------------------------------------------------------------

    private static int ErrorReply(LuaCallContext call)
    {
        if (call.ArgCount != 1 || call[0].Type != LuaType.String)
            return call.Return(ErrorTable("wrong number or type of arguments"));
        var text = Encoding.UTF8.GetString(call[0].AsString.Span);
        return call.Return(ErrorTable(text.StartsWith('-') ? text : "-" + text));
    }

    private static int StatusReply(LuaCallContext call)
    {
        if (call.ArgCount != 1 || call[0].Type != LuaType.String)
            return call.Return(ErrorTable("wrong number or type of arguments"));
        return call.Return(LuaReplies.Table(LuaReplies.Ok, call[0]));
    }

    private static int Sha1Hex(LuaCallContext call)
    {
        if (call.ArgCount != 1) throw call.State.Raise(ErrorTable("wrong number of arguments"));
        var v = call[0];
        ReadOnlySpan<byte> data = v.Type switch
        {
            LuaType.String => v.AsString.Span,
            LuaType.Number => Encoding.ASCII.GetBytes(LuaState.NumberToString(v.AsNumber)),
            _ => ReadOnlySpan<byte>.Empty,
        };
        return call.Return(LuaValue.FromString(LuaString.FromUtf8(ScriptSha.HexOf(data))));
    }

    private int Log(LuaCallContext call)
    {
        int argc = call.ArgCount;
        if (argc < 2) throw call.State.Raise(ErrorTable("redis.log() requires two arguments or more."));
        if (call[0].Type != LuaType.Number) throw call.State.Raise(ErrorTable("First argument must be a number"));
        double level = call[0].AsNumber;
        if (level < 0 || level > 3) throw call.State.Raise(ErrorTable("Invalid debug level."));
        var text = new StringBuilder();
        for (int i = 1; i < argc; i++)
        {
            var v = call[i];
            if (v.Type is not (LuaType.String or LuaType.Number)) continue;
            if (i != 1) text.Append(' ');
            text.Append(ToText(v));
        }
        switch ((int)level)
        {
            case 0: _server.Log.Debug(text.ToString()); break;
            case 1: _server.Log.Debug(text.ToString()); break;
            case 2: _server.Log.Info(text.ToString()); break;
            default: _server.Log.Warning(text.ToString()); break;
        }
        return 0;
    }

    private int SetResp(LuaCallContext call)
    {
        if (Current is not { } run) throw call.State.Raise(ErrorTable("redis.setresp can only be called inside a script invocation"));
        if (call.ArgCount != 1) throw call.State.Raise(ErrorTable("redis.setresp() requires one argument."));
        int resp = call[0].TryGetNumber(out double d) ? (int)d : 0;
        if (resp != 2 && resp != 3) throw call.State.Raise(ErrorTable("RESP version must be 2 or 3."));
        run.ScriptClient.Protocol = resp;
        return 0;
    }

    private int SetRepl(LuaCallContext call)
    {
        if (Current is not { } run) throw call.State.Raise(ErrorTable("redis.set_repl can only be called inside a script invocation"));
        if (call.ArgCount != 1) throw call.State.Raise(ErrorTable("redis.set_repl() requires two arguments."));
        int flags = call[0].TryGetNumber(out double d) ? (int)d : -1;
        if ((flags & ~(int)PropagationTargets.All) != 0 || flags < 0)
            throw call.State.Raise(ErrorTable("Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."));
        run.Replication = (PropagationTargets)flags;
        return 0;
    }

    private int AclCheckCommand(LuaCallContext call)
    {
        if (Current is not { } run) throw call.State.Raise(ErrorTable("redis.acl_check_cmd can only be called inside a script invocation"));
        var error = BuildArguments(call, run.ScriptClient);
        if (error is not null) throw call.State.Raise(ErrorTable(error));
        var sc = run.ScriptClient;
        var cmd = FindCommand(sc);
        if (cmd is null || !cmd.ArityMatches(sc.ArgCount)) throw call.State.Raise(ErrorTable("Invalid command passed to redis.acl_check_cmd()"));
        bool allowed = _server.Acl.Check(run.Caller.User, cmd, sc, out _) == Security.AclDenial.None;
        return call.Return(LuaValue.FromBoolean(allowed));
    }
}
