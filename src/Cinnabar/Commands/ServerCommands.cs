using System.Text;
using Cinnabar.Config;
using Cinnabar.Keyspace;

namespace Cinnabar.Commands;

/// <summary>Server commands: INFO, LASTSAVE, TIME, CONFIG, COMMAND, DEBUG, SHUTDOWN.</summary>
public static partial class ServerCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("info", Info);
        yield return new("lastsave", LastSave);
        yield return new("time", Time);
        yield return new("config|resetstat", ConfigResetStat);
        yield return new("config|rewrite", ConfigRewrite);
        yield return new("config|get", ConfigGet);
        yield return new("config|help", ConfigHelp);
        yield return new("config|set", ConfigSet);
        yield return new("command", CommandAll);
        yield return new("command|count", CommandCount);
        yield return new("command|getkeys", c => CommandGetKeys(c, false));
        yield return new("command|getkeysandflags", c => CommandGetKeys(c, true));
        yield return new("command|info", CommandInfo);
        yield return new("command|list", CommandList);
        yield return new("command|docs", CommandDocs);
        yield return new("command|help", CommandHelp);
        yield return new("debug", Debug);
        yield return new("shutdown", Shutdown);
    }

    // ---- LASTSAVE, TIME ----

    private static void LastSave(Client c) => c.Reply.Integer(c.Server.Persistence.LastSaveTimeMs / 1000);

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
        // Redis' SENSITIVE_CONFIG: such values never reach MONITOR or SLOWLOG, even when the command fails.
        for (int i = 2; i < c.ArgCount; i += 2)
            if (ServerConfig.Find(c.ArgString(i))?.Name is "requirepass" or "masterauth" or "masteruser" or "tls-key-file-pass" or "tls-client-key-file-pass") c.RedactArg(i + 1);
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
            // Redis 7.0's PROTECTED_CONFIG: where files are written is not for any client to choose.
            if (p.Name is "dir" or "dbfilename" && !Dispatch.Dispatcher.IsProtectedActionAllowed(c, config.EnableProtectedConfigs))
            {
                c.Reply.Error($"ERR CONFIG SET failed (possibly related to argument '{name}') - can't set protected config");
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
        // tls-*: reload the TLS context, move the TLS listener (Redis' applyTlsCfg, applyTLSPort).
        var tlsFailure = ApplyTls(c.Server, items, old);
        if (tlsFailure is { } failure)
        {
            for (int j = 0; j < items.Count; j++) items[j].P.Setter(config, [old[j]]);
            c.Reply.Error($"ERR CONFIG SET failed (possibly related to argument '{failure.Name}') - {failure.Error}");
            return;
        }
        // requirepass is the default user's password (Redis' updateRequirePass). A shorter acllog-max-len
        // trims ACL LOG at its next entry, as Redis does.
        foreach (var item in items)
            if (item.P.Name == "requirepass") c.Server.Acl.UpdateDefaultPassword(config.RequirePass);
        // appendonly acts at once, as Redis' updateAppendonly: yes starts the rewrite that turns the AOF on.
        var aof = c.Server.Aof;
        if (config.AppendOnly && !aof.Active && !aof.Start())
        {
            for (int j = 0; j < items.Count; j++) items[j].P.Setter(config, [old[j]]);
            c.Reply.Error("ERR CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn on AOF. Check server logs.");
            return;
        }
        if (!config.AppendOnly && aof.Active) aof.Stop();
        // A lower maxmemory evicts at once (updateMaxmemory); a lower maxmemory-clients closes clients.
        foreach (var item in items)
        {
            if (item.P.Name == "maxmemory") c.Server.Memory.OnMaxMemoryChanged();
            if (item.P.Name is "maxmemory-clients" or "maxmemory") c.Server.Memory.EvictClients();
        }
        c.Reply.Ok();
    }

    /// <summary>tls-* files are read again whenever they are set, even to the same path (Redis' VOLATILE_CONFIG): how certificates are rotated.</summary>
    private static readonly HashSet<string> TlsFiles = ["tls-cert-file", "tls-key-file", "tls-client-cert-file", "tls-client-key-file", "tls-ca-cert-file", "tls-ca-cert-dir"];

    /// <summary>
    /// After CONFIG SET of tls-* parameters: when TLS is in use (tls-port, tls-replication or tls-cluster) and
    /// any of them changed (a file name counts as changed even when the same), the TLS context is loaded
    /// again, all or nothing; then a changed tls-port moves the TLS listener. tls-auth-clients needs neither:
    /// it is read for each new connection. Returns the parameter to blame and the error, or null; on an error
    /// the previous context and listener stay.
    /// </summary>
    private static (string Name, string Error)? ApplyTls(CinnabarServer server, List<(ConfigParameter P, string Name, string Value)> items, string[] old)
    {
        var config = server.Config;
        string? reloadBlame = null, portBlame = null;
        for (int i = 0; i < items.Count; i++)
        {
            var name = items[i].P.Name;
            if (!name.StartsWith("tls-", StringComparison.Ordinal) || name == "tls-auth-clients") continue;
            if (!TlsFiles.Contains(name) && items[i].P.Get(config) == old[i]) continue;
            if (name == "tls-port") portBlame = items[i].Name;
            else reloadBlame ??= items[i].Name;
        }
        if (reloadBlame is null && portBlame is null) return null;
        var previous = server.Tls;
        if (config.TlsInUse && (reloadBlame is not null || previous is null))
        {
            try { server.Tls = Networking.TlsContext.Load(config); }
            catch (Networking.TlsConfigException ex)
            {
                var blame = reloadBlame ?? portBlame!;
                server.Log.Warning(ex.Message);
                server.Log.Warning($"Failed applying new configuration. Possibly related to new {blame} setting. Restoring previous settings.");
                return (blame, "Unable to update TLS configuration. Check server logs.");
            }
        }
        if (portBlame is not null && !server.ChangeTlsPort(config.TlsPort))
        {
            server.Tls = previous;
            server.Log.Warning($"Failed applying new configuration. Possibly related to new {portBlame} setting. Restoring previous settings.");
            return (portBlame, "Unable to listen on this port. Check server logs.");
        }
        if (reloadBlame is not null && config.TlsInUse) server.Log.Info("TLS configuration reloaded.");
        return null;
    }

    private static void ConfigResetStat(Client c)
    {
        var s = c.Server;
        s.Stats.Reset();
        s.Memory.ResetStats();
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
            // Users are rewritten from the ACL, unless they live in an aclfile (then the file's user lines go).
            var users = c.Server.Config.AclFile.Length > 0 ? [] : c.Server.Acl.Users.Select(u => $"user {u.Name} {u.Describe(c.Server.Commands)}").ToList();
            ConfigRewriter.Rewrite(c.Server.Config, path, users);
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
        // While a script is busy only SHUTDOWN NOSAVE may stop the server (the script is aborted).
        if (s.Scripting.Busy)
        {
            if (!nosave)
            {
                c.Reply.Error(s.Scripting.BusyError);
                return;
            }
            s.Scripting.AbortForShutdown();
        }
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
