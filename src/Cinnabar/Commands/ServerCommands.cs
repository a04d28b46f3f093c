using System.Text;
using Cinnabar.Config;
using Cinnabar.Keyspace;
using F = Cinnabar.Commands.CommandFlags;
using A = Cinnabar.Commands.AclCategories;

namespace Cinnabar.Commands;

/// <summary>Server commands: INFO, LASTSAVE, TIME, CONFIG, COMMAND, DEBUG, SHUTDOWN.</summary>
public static partial class ServerCommands
{
    private const F CfgFlags = F.Admin | F.NoScript | F.Loading | F.Stale;
    private const A CfgAcl = A.Admin | A.Slow | A.Dangerous;
    private const F CmdFlags = F.Loading | F.Stale;
    private const A CmdAcl = A.Slow | A.Connection;

    public static IEnumerable<CommandDef> Commands()
    {
        yield return new("info", -1, F.Loading | F.Stale, A.Slow | A.Dangerous, 0, 0, 0, Info, "server", "Get information and statistics about the server") { Since = "1.0.0", Complexity = "O(1)" };
        yield return new("lastsave", 1, F.Loading | F.Stale | F.Fast, A.Admin | A.Fast | A.Dangerous, 0, 0, 0, LastSave, "server", "Get the UNIX time stamp of the last successful save to disk") { Since = "1.0.0", Complexity = "O(1)" };
        yield return new("time", 1, F.Loading | F.Stale | F.Fast, A.Fast, 0, 0, 0, Time, "server", "Return the current server time") { Since = "2.6.0", Complexity = "O(1)" };
        yield return new CommandDef("config", -2, F.None, A.Slow, 0, 0, 0, null, "server", "A container for server configuration commands") { Since = "2.0.0", Complexity = "Depends on subcommand." }
            .WithSubcommands(
                new("resetstat", 2, CfgFlags, CfgAcl, 0, 0, 0, ConfigResetStat, "server", "Reset the stats returned by INFO") { Since = "2.0.0", Complexity = "O(1)" },
                new("rewrite", 2, CfgFlags, CfgAcl, 0, 0, 0, ConfigRewrite, "server", "Rewrite the configuration file with the in memory configuration") { Since = "2.8.0", Complexity = "O(1)" },
                new("get", -3, CfgFlags, CfgAcl, 0, 0, 0, ConfigGet, "server", "Get the values of configuration parameters") { Since = "2.0.0", Complexity = "O(N) when N is the number of configuration parameters provided" },
                new("help", 2, F.Loading | F.Stale, A.Slow, 0, 0, 0, ConfigHelp, "server", "Show helpful text about the different subcommands") { Since = "5.0.0", Complexity = "O(1)" },
                new("set", -4, CfgFlags, CfgAcl, 0, 0, 0, ConfigSet, "server", "Set configuration parameters to the given values") { Since = "2.0.0", Complexity = "O(N) when N is the number of configuration parameters provided" });
        yield return new CommandDef("command", -1, CmdFlags, CmdAcl, 0, 0, 0, CommandAll, "server", "Get array of Redis command details") { Since = "2.8.13", Complexity = "O(N) where N is the total number of Redis commands" }
            .WithSubcommands(
                new("count", 2, CmdFlags, CmdAcl, 0, 0, 0, CommandCount, "server", "Get total number of Redis commands") { Since = "2.8.13", Complexity = "O(1)" },
                new("getkeys", -4, CmdFlags, CmdAcl, 0, 0, 0, c => CommandGetKeys(c, false), "server", "Extract keys given a full Redis command") { Since = "2.8.13", Complexity = "O(N) where N is the number of arguments to the command" },
                new("getkeysandflags", -4, CmdFlags, CmdAcl, 0, 0, 0, c => CommandGetKeys(c, true), "server", "Extract keys and access flags given a full Redis command") { Since = "7.0.0", Complexity = "O(N) where N is the number of arguments to the command" },
                new("info", -2, CmdFlags, CmdAcl, 0, 0, 0, CommandInfo, "server", "Get array of specific Redis command details, or all when no argument is given.") { Since = "2.8.13", Complexity = "O(N) where N is the number of commands to look up" },
                new("list", -2, CmdFlags, CmdAcl, 0, 0, 0, CommandList, "server", "Get an array of Redis command names") { Since = "7.0.0", Complexity = "O(N) where N is the total number of Redis commands" },
                new("docs", -2, CmdFlags, CmdAcl, 0, 0, 0, CommandDocs, "server", "Get array of specific Redis command documentation") { Since = "7.0.0", Complexity = "O(N) where N is the number of commands to look up" },
                new("help", 2, CmdFlags, CmdAcl, 0, 0, 0, CommandHelp, "server", "Show helpful text about the different subcommands") { Since = "5.0.0", Complexity = "O(1)" });
        yield return new("debug", -2, F.Admin | F.NoScript | F.Loading | F.Stale | F.Protected, A.Admin | A.Slow | A.Dangerous, 0, 0, 0, Debug, "server", "A container for debugging commands") { Since = "1.0.0", Complexity = "Depends on subcommand." };
        yield return new("shutdown", -1, F.Admin | F.NoScript | F.Loading | F.Stale | F.NoMulti | F.AllowBusy, A.Admin | A.Slow | A.Dangerous, 0, 0, 0, Shutdown, "server", "Synchronously save the dataset to disk and then shut down the server") { Since = "1.0.0", Complexity = "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)" };
    }

    // ---- LASTSAVE, TIME ----

    private static void LastSave(Client c) => c.Reply.Integer(c.Server.LastSaveTimeMs / 1000);

    private static void Time(Client c)
    {
        long us = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10;
        c.Reply.ArrayHeader(2);
        c.Reply.BulkInteger(us / 1_000_000);
        c.Reply.BulkInteger(us % 1_000_000);
    }

    // ---- CONFIG ----

    private static void ConfigGet(Client c)
    {
        // Every matching parameter once, in declaration order; an exact name (or alias) is shown as asked.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pairs = new List<(string Name, string Value)>();
        for (int i = 2; i < c.ArgCount; i++)
        {
            var pattern = c.ArgString(i);
            bool isGlob = pattern.IndexOfAny(['*', '?', '[']) >= 0;
            if (!isGlob)
            {
                // An exact name is echoed as the client spelled it.
                var p = ServerConfig.Find(pattern);
                if (p is not null && seen.Add(pattern.ToLowerInvariant())) pairs.Add((pattern, p.Get(c.Server.Config)));
                continue;
            }
            var pat = Encoding.UTF8.GetBytes(pattern);
            foreach (var p in ServerConfig.Parameters)
            {
                if (Glob.Match(pat, Encoding.UTF8.GetBytes(p.Name), ignoreCase: true) && seen.Add(p.Name))
                    pairs.Add((p.Name, p.Get(c.Server.Config)));
                foreach (var alias in p.Aliases)
                    if (Glob.Match(pat, Encoding.UTF8.GetBytes(alias), ignoreCase: true) && seen.Add(alias))
                        pairs.Add((alias, p.Get(c.Server.Config)));
            }
        }
        c.Reply.MapHeader(pairs.Count);
        foreach (var (name, value) in pairs)
        {
            c.Reply.Bulk(name);
            c.Reply.Bulk(value);
        }
    }

    private static void ConfigSet(Client c)
    {
        if ((c.ArgCount - 2) % 2 != 0)
        {
            c.SyntaxError();
            return;
        }
        var config = c.Server.Config;
        var items = new List<(ConfigParameter P, string Name, string Value)>();
        for (int i = 2; i < c.ArgCount; i += 2)
        {
            var name = c.ArgString(i);
            var p = ServerConfig.Find(name);
            if (p is null)
            {
                c.Reply.Error($"ERR Unknown option or number of arguments for CONFIG SET - '{name}'");
                return;
            }
            if (p.Immutable)
            {
                c.Reply.Error($"ERR CONFIG SET failed (possibly related to argument '{name}') - can't set immutable config");
                return;
            }
            foreach (var other in items)
            {
                if (other.P == p)
                {
                    c.Reply.Error($"ERR CONFIG SET failed (possibly related to argument '{name}') - duplicate parameter");
                    return;
                }
            }
            items.Add((p, name, c.ArgString(i + 1)));
        }
        // All or nothing: remember the old values and put them back if any value is refused.
        var old = items.Select(x => x.P.Get(config)).ToArray();
        for (int i = 0; i < items.Count; i++)
        {
            var (p, name, value) = items[i];
            var error = p.Setter(config, [value]);
            if (error is not null)
            {
                for (int j = 0; j <= i; j++) items[j].P.Setter(config, [old[j]]);
                c.Reply.Error($"ERR CONFIG SET failed (possibly related to argument '{name}') - {error}");
                return;
            }
        }
        c.Reply.Ok();
    }

    private static void ConfigResetStat(Client c)
    {
        var s = c.Server;
        s.Stats.Reset();
        s.KeyspaceState.Hits = s.KeyspaceState.Misses = s.KeyspaceState.ExpiredKeys = s.KeyspaceState.LazyfreedObjects = 0;
        foreach (var cmd in s.Commands.All)
        {
            ResetCommandStats(cmd);
            if (cmd.Subcommands is not null) foreach (var sub in cmd.Subcommands) ResetCommandStats(sub);
        }
        c.Reply.Ok();
    }

    private static void ResetCommandStats(CommandDef cmd)
    {
        cmd.Calls = cmd.Microseconds = cmd.FailedCalls = cmd.RejectedCalls = 0;
        cmd.LatencyBuckets = null;
    }

    private static void ConfigRewrite(Client c)
    {
        var path = c.Server.Config.ConfigFile;
        if (path is null)
        {
            c.Reply.Error("ERR The server is running without a config file");
            return;
        }
        try
        {
            ConfigRewriter.Rewrite(c.Server.Config, path);
            c.Server.Log.Info("CONFIG REWRITE executed with success.");
            c.Reply.Ok();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            c.Server.Log.Warning($"CONFIG REWRITE failed: {ex.Message}");
            c.Reply.Error($"ERR Rewriting config file: {ex.Message}");
        }
    }

    private static void ConfigHelp(Client c) => WriteHelp(c, "CONFIG",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.");

    /// <summary>The HELP reply of container commands: a header line, the lines, and the HELP line itself.</summary>
    internal static void WriteHelp(Client c, string command, params string[] lines)
    {
        c.Reply.ArrayHeader(lines.Length + 3);
        c.Reply.SimpleString($"{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
        foreach (var l in lines) c.Reply.SimpleString(l);
        c.Reply.SimpleString("HELP");
        c.Reply.SimpleString("    Prints this help.");
    }

    private static string Truncate128(string s) => s.Length <= 128 ? s : s[..128];

    // ---- SHUTDOWN ----

    private static void Shutdown(Client c)
    {
        bool nosave = false, saveFlag = false, otherFlag = false, abort = false;
        for (int i = 1; i < c.ArgCount; i++)
        {
            if (c.ArgIs(i, "nosave"u8)) nosave = true;
            else if (c.ArgIs(i, "save"u8)) saveFlag = true;
            else if (c.ArgIs(i, "now"u8) || c.ArgIs(i, "force"u8)) otherFlag = true;
            else if (c.ArgIs(i, "abort"u8)) abort = true;
            else
            {
                c.SyntaxError();
                return;
            }
        }
        if ((abort && (nosave || saveFlag || otherFlag)) || (nosave && saveFlag))
        {
            c.SyntaxError();
            return;
        }
        if (abort)
        {
            c.Reply.Error("ERR No shutdown in progress.");
            return;
        }
        bool? save = nosave ? false : saveFlag ? true : null;
        var s = c.Server;
        s.Log.Warning("User requested shutdown...");
        bool wantSave = save ?? s.Config.SavePoints.Length > 0;
        if (wantSave)
        {
            s.Log.Info("Saving the final RDB snapshot before exiting.");
            if (s.Persistence.Save() is not null)
            {
                s.Log.Warning("Error trying to save the DB, can't exit.");
                c.Reply.Error("ERR Errors trying to SHUTDOWN. Check logs.");
                return;
            }
        }
        s.Log.Warning("Redis is now ready to exit, bye bye...");
        // No reply: the connection simply closes, as the process exits.
        c.Flags |= ClientFlags.CloseAfterReply;
        s.StopWithoutSaving();
    }
}
