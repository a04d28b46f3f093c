using System.Buffers.Binary;
using Cinnabar.Keyspace;
using Cinnabar.Persistence;
using Cinnabar.Scripting;

namespace Cinnabar.Commands;

/// <summary>EVAL, EVALSHA, their _RO forms, SCRIPT, FCALL, FCALL_RO and FUNCTION (logic in Scripting/).</summary>
public static class ScriptingCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("eval", c => c.Server.Scripting.Eval(c, bySha: false, readOnly: false));
        yield return new("evalsha", c => c.Server.Scripting.Eval(c, bySha: true, readOnly: false));
        yield return new("eval_ro", c => c.Server.Scripting.Eval(c, bySha: false, readOnly: true));
        yield return new("evalsha_ro", c => c.Server.Scripting.Eval(c, bySha: true, readOnly: true));
        yield return new("script|load", c => c.Server.Scripting.ScriptLoad(c));
        yield return new("script|exists", c => c.Server.Scripting.ScriptExists(c));
        yield return new("script|flush", c => c.Server.Scripting.ScriptFlush(c));
        yield return new("script|kill", c => c.Server.Scripting.Kill(c, byScriptKill: true));
        yield return new("script|debug", c => c.Reply.Error("ERR SCRIPT DEBUG is not supported by this server"));
        yield return new("script|help", ScriptHelp);
        yield return new("fcall", c => c.Server.Scripting.Functions.Call(c, readOnly: false));
        yield return new("fcall_ro", c => c.Server.Scripting.Functions.Call(c, readOnly: true));
        yield return new("function|load", FunctionLoad);
        yield return new("function|delete", FunctionDelete);
        yield return new("function|flush", FunctionFlush);
        yield return new("function|list", FunctionList);
        yield return new("function|dump", FunctionDump);
        yield return new("function|restore", FunctionRestore);
        yield return new("function|stats", FunctionStats);
        yield return new("function|kill", c => c.Server.Scripting.Kill(c, byScriptKill: false));
        yield return new("function|help", FunctionHelp);
    }

    private static void ScriptHelp(Client c) => ServerCommands.WriteHelp(c, "SCRIPT",
    [
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
    ]);

    private static void FunctionHelp(Client c) => ServerCommands.WriteHelp(c, "FUNCTION",
    [
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
    ]);

    private static void FunctionLoad(Client c)
    {
        bool replace = false;
        int i = 2;
        if (c.ArgCount > 3)
        {
            if (!c.ArgIs(2, "replace"u8))
            {
                c.Reply.Error($"ERR Unknown option given: {c.ArgString(2)}");
                return;
            }
            replace = true;
            i = 3;
        }
        if (c.ArgCount != i + 1)
        {
            c.Reply.Error("ERR Function code was not given");
            return;
        }
        var name = c.Server.Scripting.Functions.Load(c.ArgArray(i), replace, out var error);
        if (name is null)
        {
            c.Reply.Error("ERR " + error);
            return;
        }
        c.Dirty();
        c.Reply.Bulk(name);
    }

    private static void FunctionDelete(Client c)
    {
        if (!c.Server.Scripting.Functions.Delete(c.ArgString(2)))
        {
            c.Reply.Error("ERR Library not found");
            return;
        }
        c.Dirty();
        c.Reply.Ok();
    }

    private static void FunctionFlush(Client c)
    {
        if (c.ArgCount > 3 || (c.ArgCount == 3 && !c.ArgIs(2, "sync"u8) && !c.ArgIs(2, "async"u8)))
        {
            c.Reply.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
            return;
        }
        c.Server.Scripting.Functions.Flush();
        c.Dirty();
        c.Reply.Ok();
    }

    private static void FunctionList(Client c)
    {
        bool withCode = false;
        byte[]? pattern = null;
        for (int i = 2; i < c.ArgCount; i++)
        {
            if (!withCode && c.ArgIs(i, "withcode"u8)) { withCode = true; continue; }
            if (pattern is null && c.ArgIs(i, "libraryname"u8))
            {
                if (i >= c.ArgCount - 1)
                {
                    c.Reply.Error("ERR library name argument was not given");
                    return;
                }
                pattern = c.ArgArray(++i);
                continue;
            }
            c.Reply.Error($"ERR Unknown argument {c.ArgString(i)}");
            return;
        }
        var libraries = c.Server.Scripting.Functions.Libraries
            .Where(l => pattern is null || Glob.Match(pattern, System.Text.Encoding.UTF8.GetBytes(l.Name), ignoreCase: true)).ToList();
        var r = c.Reply;
        r.ArrayHeader(libraries.Count);
        foreach (var library in libraries)
        {
            r.MapHeader(withCode ? 4 : 3);
            r.Bulk("library_name");
            r.Bulk(library.Name);
            r.Bulk("engine");
            r.Bulk("LUA");
            r.Bulk("functions");
            r.ArrayHeader(library.Functions.Count);
            foreach (var f in library.Functions.Values)
            {
                r.MapHeader(3);
                r.Bulk("name");
                r.Bulk(f.Name);
                r.Bulk("description");
                if (f.Description is null) r.Null();
                else r.Bulk(f.Description);
                r.Bulk("flags");
                var flags = ScriptFlagNames.NamesOf(f.Flags).ToList();
                r.SetHeader(flags.Count);
                foreach (var flag in flags) r.SimpleString(flag);
            }
            if (withCode)
            {
                r.Bulk("library_code");
                r.Bulk(library.Code);
            }
        }
    }

    /// <summary>FUNCTION DUMP: every library as RDB_OPCODE_FUNCTION2 and its code, then the RDB version and a CRC64, as DUMP payloads.</summary>
    private static void FunctionDump(Client c)
    {
        var ms = new MemoryStream();
        var o = new RdbOutput(ms, c.Server.Config.RdbCompression);
        foreach (var library in c.Server.Scripting.Functions.Libraries)
        {
            o.WriteByte(RdbFormat.OpFunction2);
            o.WriteString(library.Code);
        }
        o.Flush();
        Span<byte> footer = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(footer, (ushort)RdbFormat.Version);
        ms.Write(footer);
        var payload = ms.ToArray();
        var crc = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(crc, Crc64.Compute(payload));
        c.Reply.Bulk([.. payload, .. crc]);
    }

    private static void FunctionRestore(Client c)
    {
        if (c.ArgCount > 4)
        {
            c.Reply.Error("ERR unknown subcommand or wrong number of arguments for 'restore'. Try FUNCTION HELP.");
            return;
        }
        string policy = "append";
        if (c.ArgCount == 4)
        {
            if (c.ArgIs(3, "append"u8)) policy = "append";
            else if (c.ArgIs(3, "replace"u8)) policy = "replace";
            else if (c.ArgIs(3, "flush"u8)) policy = "flush";
            else
            {
                c.Reply.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
                return;
            }
        }
        var payload = c.ArgArray(2);
        if (!PersistenceCommands.VerifyPayload(payload, c.Server.Config.SkipChecksumValidation))
        {
            c.Reply.Error("ERR DUMP payload version or checksum are wrong");
            return;
        }
        var codes = new List<byte[]>();
        var input = new RdbInput(new MemoryStream(payload, 0, payload.Length - 10, writable: false));
        try
        {
            while (input.Offset < payload.Length - 10)
            {
                byte type = input.ReadByte();
                if (type == RdbFormat.OpFunctionPreGa) { c.Reply.Error("ERR Pre-GA function format not supported"); return; }
                if (type != RdbFormat.OpFunction2) { c.Reply.Error("ERR given type is not a function"); return; }
                codes.Add(input.ReadString());
            }
        }
        catch (Exception ex) when (ex is RdbFormatException or EndOfStreamException)
        {
            c.Reply.Error("ERR can not read data type");
            return;
        }
        var functions = c.Server.Scripting.Functions;
        var before = functions.Snapshot();
        if (policy == "flush") functions.Flush();
        foreach (var code in codes)
        {
            if (functions.Load(code, policy == "replace", out var error) is null)
            {
                functions.Restore(before);
                c.Reply.Error("ERR " + error);
                return;
            }
        }
        c.Dirty();
        c.Reply.Ok();
    }

    private static void FunctionStats(Client c)
    {
        var scripting = c.Server.Scripting;
        var r = c.Reply;
        r.MapHeader(2);
        r.Bulk("running_script");
        if (scripting.RunningFunction is { } run)
        {
            r.MapHeader(3);
            r.Bulk("name");
            r.Bulk(run.Name);
            r.Bulk("command");
            var caller = run.Caller;
            r.ArrayHeader(caller.ArgCount);
            for (int i = 0; i < caller.ArgCount; i++) r.Bulk(caller.Arg(i));
            r.Bulk("duration_ms");
            r.Integer((long)run.ElapsedMs);
        }
        else r.Null();
        r.Bulk("engines");
        r.MapHeader(1);
        r.Bulk("LUA");
        r.MapHeader(2);
        r.Bulk("libraries_count");
        r.Integer(scripting.Functions.LibraryCount);
        r.Bulk("functions_count");
        r.Integer(scripting.Functions.FunctionCount);
    }
}
