using System.Globalization;

namespace Cinnabar.Config;

/// <summary>
/// Parameters Redis 7.0 has that Cinnabar does not act on. None is accepted and silently ignored: each is
/// known (CONFIG GET shows 7.0's default, config files written by Redis load, CONFIG REWRITE keeps them)
/// and, when given another value than its default,
/// <list type="bullet">
/// <item><see cref="Support.NotYet"/> (TLS, cluster, ACL, AOF tuning, client eviction...): refused with a
/// clear error, since the user would otherwise believe the feature is on;</item>
/// <item><see cref="Support.CannotApply"/> (jemalloc, active defrag, CPU lists, process title...): accepted
/// with a warning in the log, because the mechanism it tunes does not exist in a .NET server (see
/// docs/configuration.md for why, one by one).</item>
/// </list>
/// Values and validation mirror 7.0's error texts; accepted values live in <see cref="ServerConfig.Passive"/>.
/// </summary>
internal static partial class ConfigParameters
{
    private enum Kind { Bool, Int, Memory, Enum, Text, Immutable }

    /// <summary>What Cinnabar does with a non-default value of a parameter it does not act on.</summary>
    internal enum Support { NotYet, CannotApply }

    /// <summary>Parameters set to a value without effect (CannotApply), for the start-up warning.</summary>
    internal static IEnumerable<string> WithoutEffect(ServerConfig c) =>
        c.Passive.Where(kv => CannotApplyNames.Contains(kv.Key) && ServerConfig.PassiveDefaults[kv.Key] != kv.Value).Select(kv => kv.Key);

    private static readonly HashSet<string> CannotApplyNames = new(StringComparer.Ordinal);

    private static IEnumerable<ConfigParameter> PassiveParameters() =>
    [
            Passive("active-defrag-cycle-max", Support.CannotApply, "25", Kind.Int, null),
            Passive("active-defrag-cycle-min", Support.CannotApply, "1", Kind.Int, null),
            Passive("active-defrag-ignore-bytes", Support.CannotApply, "104857600", Kind.Memory, null),
            Passive("active-defrag-max-scan-fields", Support.CannotApply, "1000", Kind.Int, null),
            Passive("active-defrag-threshold-lower", Support.CannotApply, "10", Kind.Int, null),
            Passive("active-defrag-threshold-upper", Support.CannotApply, "100", Kind.Int, null),
            Passive("activedefrag", Support.CannotApply, "no", Kind.Bool, null),
            Passive("always-show-logo", Support.CannotApply, "no", Kind.Immutable, null),
            Passive("aof-disable-auto-gc", Support.NotYet, "no", Kind.Bool, null),
            Passive("aof-rewrite-incremental-fsync", Support.CannotApply, "yes", Kind.Bool, null),
            Passive("aof_rewrite_cpulist", Support.CannotApply, "", Kind.Immutable, null),
            Passive("bgsave_cpulist", Support.CannotApply, "", Kind.Immutable, null),
            Passive("bind-source-addr", Support.NotYet, "", Kind.Text, null),
            Passive("bio_cpulist", Support.CannotApply, "", Kind.Immutable, null),
            Passive("cluster-allow-pubsubshard-when-down", Support.NotYet, "yes", Kind.Bool, null),
            Passive("cluster-allow-reads-when-down", Support.NotYet, "no", Kind.Bool, null),
            Passive("cluster-allow-replica-migration", Support.NotYet, "yes", Kind.Bool, null),
            Passive("cluster-announce-bus-port", Support.NotYet, "0", Kind.Int, null),
            Passive("cluster-announce-hostname", Support.NotYet, "", Kind.Text, null),
            Passive("cluster-announce-ip", Support.NotYet, "", Kind.Text, null),
            Passive("cluster-announce-port", Support.NotYet, "0", Kind.Int, null),
            Passive("cluster-announce-tls-port", Support.NotYet, "0", Kind.Int, null),
            Passive("cluster-config-file", Support.NotYet, "nodes.conf", Kind.Immutable, null),
            Passive("cluster-link-sendbuf-limit", Support.NotYet, "0", Kind.Memory, null),
            Passive("cluster-migration-barrier", Support.NotYet, "1", Kind.Int, null),
            Passive("cluster-node-timeout", Support.NotYet, "15000", Kind.Int, null),
            Passive("cluster-port", Support.NotYet, "0", Kind.Immutable, null),
            Passive("cluster-preferred-endpoint-type", Support.NotYet, "ip", Kind.Enum, "ip, hostname, unknown-endpoint"),
            Passive("cluster-replica-no-failover", Support.NotYet, "no", Kind.Bool, null, "cluster-slave-no-failover"),
            Passive("cluster-replica-validity-factor", Support.NotYet, "10", Kind.Int, null, "cluster-slave-validity-factor"),
            Passive("cluster-require-full-coverage", Support.NotYet, "yes", Kind.Bool, null),
            Passive("crash-log-enabled", Support.CannotApply, "yes", Kind.Bool, null),
            Passive("crash-memcheck-enabled", Support.CannotApply, "yes", Kind.Bool, null),
            Passive("disable-thp", Support.CannotApply, "yes", Kind.Immutable, null),
            Passive("dynamic-hz", Support.CannotApply, "yes", Kind.Bool, null),
            Passive("enable-module-command", Support.NotYet, "no", Kind.Immutable, null),
            Passive("ignore-warnings", Support.CannotApply, "", Kind.Text, null),
            Passive("jemalloc-bg-thread", Support.CannotApply, "yes", Kind.Bool, null),
            Passive("min-replicas-max-lag", Support.NotYet, "10", Kind.Int, null, "min-slaves-max-lag"),
            Passive("min-replicas-to-write", Support.NotYet, "0", Kind.Int, null, "min-slaves-to-write"),
            Passive("oom-score-adj", Support.NotYet, "no", Kind.Enum, "no, yes, relative, absolute"),
            Passive("oom-score-adj-values", Support.NotYet, "0 200 800", Kind.Text, null),
            Passive("proc-title-template", Support.CannotApply, "{title} {listen-addr} {server-mode}", Kind.Text, null),
            Passive("propagation-error-behavior", Support.NotYet, "ignore", Kind.Enum, "ignore, panic, panic-on-replicas"),
            Passive("rdb-del-sync-files", Support.NotYet, "no", Kind.Bool, null),
            Passive("rdb-save-incremental-fsync", Support.CannotApply, "yes", Kind.Bool, null),
            Passive("repl-backlog-ttl", Support.NotYet, "3600", Kind.Int, null),
            Passive("repl-disable-tcp-nodelay", Support.NotYet, "no", Kind.Bool, null),
            Passive("repl-diskless-load", Support.NotYet, "disabled", Kind.Enum, "disabled, on-empty-db, swapdb"),
            Passive("repl-diskless-sync-max-replicas", Support.NotYet, "0", Kind.Int, null),
            Passive("replica-announce-ip", Support.NotYet, "", Kind.Text, null, "slave-announce-ip"),
            Passive("replica-announce-port", Support.NotYet, "0", Kind.Int, null, "slave-announce-port"),
            Passive("replica-announced", Support.NotYet, "yes", Kind.Bool, null),
            Passive("replica-ignore-disk-write-errors", Support.NotYet, "no", Kind.Bool, null),
            Passive("replica-lazy-flush", Support.NotYet, "no", Kind.Bool, null, "slave-lazy-flush"),
            Passive("replica-priority", Support.NotYet, "100", Kind.Int, null, "slave-priority"),
            Passive("sanitize-dump-payload", Support.NotYet, "no", Kind.Enum, "no, yes, clients"),
            Passive("server_cpulist", Support.CannotApply, "", Kind.Immutable, null),
            Passive("set-proc-title", Support.CannotApply, "yes", Kind.Immutable, null),
            Passive("shutdown-on-sigint", Support.NotYet, "default", Kind.Enum, "default, save, nosave, now, force"),
            Passive("shutdown-on-sigterm", Support.NotYet, "default", Kind.Enum, "default, save, nosave, now, force"),
            Passive("shutdown-timeout", Support.NotYet, "10", Kind.Int, null),
            Passive("socket-mark-id", Support.NotYet, "0", Kind.Immutable, null),
            Passive("syslog-facility", Support.CannotApply, "local0", Kind.Immutable, null),
            Passive("syslog-ident", Support.CannotApply, "redis", Kind.Immutable, null),
            Passive("tls-dh-params-file", Support.NotYet, "", Kind.Text, null),
            Passive("tls-prefer-server-ciphers", Support.NotYet, "no", Kind.Bool, null),
            Passive("tls-session-cache-size", Support.NotYet, "20480", Kind.Int, null),
            Passive("tls-session-cache-timeout", Support.NotYet, "300", Kind.Int, null),
            Passive("tls-session-caching", Support.NotYet, "yes", Kind.Bool, null),
    ];

    private static ConfigParameter Passive(string name, Support support, string defaultValue, Kind kind, string? enumValues, params string[] aliases)
    {
        ServerConfig.PassiveDefaults[name] = defaultValue;
        if (support == Support.CannotApply) CannotApplyNames.Add(name);
        var values = enumValues?.Split(", ");
        return new()
        {
            Name = name, Aliases = aliases, Immutable = kind == Kind.Immutable, ArgCount = kind == Kind.Text ? -1 : 1,
            Get = c => c.Passive.TryGetValue(name, out var v) ? v : defaultValue,
            Setter = (c, a) =>
            {
                var v = string.Join(' ', a);
                switch (kind)
                {
                    case Kind.Bool:
                        if (!ServerConfig.TryParseBool(v, out bool b)) return "argument must be 'yes' or 'no'";
                        v = b ? "yes" : "no";
                        break;
                    case Kind.Int:
                        if (!long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)) return "argument couldn't be parsed into an integer";
                        v = n.ToString(CultureInfo.InvariantCulture);
                        break;
                    case Kind.Memory:
                        if (name == "maxmemory-clients" && v.EndsWith('%') && long.TryParse(v[..^1], out long pct) && pct >= 0) { v = pct + "%"; break; }
                        if (!ServerConfig.TryParseMemory(v, out long bytes)) return name == "maxmemory-clients" ? "argument must be a memory or percent value" : "argument must be a memory value";
                        v = bytes.ToString(CultureInfo.InvariantCulture);
                        break;
                    case Kind.Enum:
                        var match = values!.FirstOrDefault(x => x.Equals(v, StringComparison.OrdinalIgnoreCase));
                        if (match is null) return $"argument(s) must be one of the following: {enumValues}";
                        v = match;
                        break;
                }
                if (support == Support.NotYet && v != defaultValue) return NotYet(name, defaultValue);
                c.Passive[name] = v;
                return null;
            },
        };
    }
}
