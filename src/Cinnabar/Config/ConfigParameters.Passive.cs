using System.Globalization;

namespace Cinnabar.Config;

/// <summary>
/// Parameters Redis 7.0 has that Cinnabar accepts and reports but does not act on (TLS, cluster, defrag,
/// AOF tuning...), so CONFIG GET/SET, config files and CONFIG REWRITE behave as with Redis. Values and
/// validation mirror 7.0's defaults and error texts; they live in <see cref="ServerConfig.Passive"/>.
/// </summary>
internal static partial class ConfigParameters
{
    private enum Kind { Bool, Int, Memory, Enum, Text, Immutable }

    private static IEnumerable<ConfigParameter> PassiveParameters() =>
    [
            Passive("acl-pubsub-default", "resetchannels", Kind.Enum, "allchannels, resetchannels"),
            Passive("acllog-max-len", "128", Kind.Int, null),
            Passive("active-defrag-cycle-max", "25", Kind.Int, null),
            Passive("active-defrag-cycle-min", "1", Kind.Int, null),
            Passive("active-defrag-ignore-bytes", "104857600", Kind.Memory, null),
            Passive("active-defrag-max-scan-fields", "1000", Kind.Int, null),
            Passive("active-defrag-threshold-lower", "10", Kind.Int, null),
            Passive("active-defrag-threshold-upper", "100", Kind.Int, null),
            Passive("activedefrag", "no", Kind.Bool, null),
            Passive("always-show-logo", "no", Kind.Immutable, null),
            Passive("aof-disable-auto-gc", "no", Kind.Bool, null),
            Passive("aof-load-truncated", "yes", Kind.Bool, null),
            Passive("aof-rewrite-incremental-fsync", "yes", Kind.Bool, null),
            Passive("aof-timestamp-enabled", "no", Kind.Bool, null),
            Passive("aof-use-rdb-preamble", "yes", Kind.Bool, null),
            Passive("aof_rewrite_cpulist", "", Kind.Immutable, null),
            Passive("appenddirname", "appendonlydir", Kind.Immutable, null),
            Passive("auto-aof-rewrite-min-size", "67108864", Kind.Memory, null),
            Passive("auto-aof-rewrite-percentage", "100", Kind.Int, null),
            Passive("bgsave_cpulist", "", Kind.Immutable, null),
            Passive("bind-source-addr", "", Kind.Text, null),
            Passive("bio_cpulist", "", Kind.Immutable, null),
            Passive("cluster-allow-pubsubshard-when-down", "yes", Kind.Bool, null),
            Passive("cluster-allow-reads-when-down", "no", Kind.Bool, null),
            Passive("cluster-allow-replica-migration", "yes", Kind.Bool, null),
            Passive("cluster-announce-bus-port", "0", Kind.Int, null),
            Passive("cluster-announce-hostname", "", Kind.Text, null),
            Passive("cluster-announce-ip", "", Kind.Text, null),
            Passive("cluster-announce-port", "0", Kind.Int, null),
            Passive("cluster-announce-tls-port", "0", Kind.Int, null),
            Passive("cluster-config-file", "nodes.conf", Kind.Immutable, null),
            Passive("cluster-link-sendbuf-limit", "0", Kind.Memory, null),
            Passive("cluster-migration-barrier", "1", Kind.Int, null),
            Passive("cluster-node-timeout", "15000", Kind.Int, null),
            Passive("cluster-port", "0", Kind.Immutable, null),
            Passive("cluster-preferred-endpoint-type", "ip", Kind.Enum, "ip, hostname, unknown-endpoint"),
            Passive("cluster-replica-no-failover", "no", Kind.Bool, null, "cluster-slave-no-failover"),
            Passive("cluster-replica-validity-factor", "10", Kind.Int, null, "cluster-slave-validity-factor"),
            Passive("cluster-require-full-coverage", "yes", Kind.Bool, null),
            Passive("crash-log-enabled", "yes", Kind.Bool, null),
            Passive("crash-memcheck-enabled", "yes", Kind.Bool, null),
            Passive("disable-thp", "yes", Kind.Immutable, null),
            Passive("dynamic-hz", "yes", Kind.Bool, null),
            Passive("enable-module-command", "no", Kind.Immutable, null),
            Passive("enable-protected-configs", "no", Kind.Immutable, null),
            Passive("hll-sparse-max-bytes", "3000", Kind.Memory, null),
            Passive("ignore-warnings", "", Kind.Text, null),
            Passive("io-threads", "1", Kind.Immutable, null),
            Passive("io-threads-do-reads", "no", Kind.Immutable, null),
            Passive("jemalloc-bg-thread", "yes", Kind.Bool, null),
            Passive("latency-tracking", "yes", Kind.Bool, null),
            Passive("latency-tracking-info-percentiles", "50 99 99.9", Kind.Text, null),
            Passive("lazyfree-lazy-eviction", "no", Kind.Bool, null),
            Passive("maxmemory-clients", "0", Kind.Memory, null),
            Passive("maxmemory-eviction-tenacity", "10", Kind.Int, null),
            Passive("min-replicas-max-lag", "10", Kind.Int, null, "min-slaves-max-lag"),
            Passive("min-replicas-to-write", "0", Kind.Int, null, "min-slaves-to-write"),
            Passive("no-appendfsync-on-rewrite", "no", Kind.Bool, null),
            Passive("oom-score-adj", "no", Kind.Enum, "no, yes, relative, absolute"),
            Passive("oom-score-adj-values", "0 200 800", Kind.Text, null),
            Passive("proc-title-template", "{title} {listen-addr} {server-mode}", Kind.Text, null),
            Passive("propagation-error-behavior", "ignore", Kind.Enum, "ignore, panic, panic-on-replicas"),
            Passive("rdb-del-sync-files", "no", Kind.Bool, null),
            Passive("rdb-save-incremental-fsync", "yes", Kind.Bool, null),
            Passive("repl-backlog-ttl", "3600", Kind.Int, null),
            Passive("repl-disable-tcp-nodelay", "no", Kind.Bool, null),
            Passive("repl-diskless-load", "disabled", Kind.Enum, "disabled, on-empty-db, swapdb"),
            Passive("repl-diskless-sync-max-replicas", "0", Kind.Int, null),
            Passive("replica-announce-ip", "", Kind.Text, null, "slave-announce-ip"),
            Passive("replica-announce-port", "0", Kind.Int, null, "slave-announce-port"),
            Passive("replica-announced", "yes", Kind.Bool, null),
            Passive("replica-ignore-disk-write-errors", "no", Kind.Bool, null),
            Passive("replica-ignore-maxmemory", "yes", Kind.Bool, null, "slave-ignore-maxmemory"),
            Passive("replica-lazy-flush", "no", Kind.Bool, null, "slave-lazy-flush"),
            Passive("replica-priority", "100", Kind.Int, null, "slave-priority"),
            Passive("sanitize-dump-payload", "no", Kind.Enum, "no, yes, clients"),
            Passive("server_cpulist", "", Kind.Immutable, null),
            Passive("set-proc-title", "yes", Kind.Immutable, null),
            Passive("shutdown-on-sigint", "default", Kind.Enum, "default, save, nosave, now, force"),
            Passive("shutdown-on-sigterm", "default", Kind.Enum, "default, save, nosave, now, force"),
            Passive("shutdown-timeout", "10", Kind.Int, null),
            Passive("socket-mark-id", "0", Kind.Immutable, null),
            Passive("syslog-facility", "local0", Kind.Immutable, null),
            Passive("syslog-ident", "redis", Kind.Immutable, null),
            Passive("tls-auth-clients", "yes", Kind.Enum, "no, yes, optional"),
            Passive("tls-ca-cert-dir", "", Kind.Text, null),
            Passive("tls-ca-cert-file", "", Kind.Text, null),
            Passive("tls-cert-file", "", Kind.Text, null),
            Passive("tls-ciphers", "", Kind.Text, null),
            Passive("tls-ciphersuites", "", Kind.Text, null),
            Passive("tls-client-cert-file", "", Kind.Text, null),
            Passive("tls-client-key-file", "", Kind.Text, null),
            Passive("tls-client-key-file-pass", "", Kind.Text, null),
            Passive("tls-cluster", "no", Kind.Bool, null),
            Passive("tls-dh-params-file", "", Kind.Text, null),
            Passive("tls-key-file", "", Kind.Text, null),
            Passive("tls-key-file-pass", "", Kind.Text, null),
            Passive("tls-port", "0", Kind.Int, null),
            Passive("tls-prefer-server-ciphers", "no", Kind.Bool, null),
            Passive("tls-protocols", "", Kind.Text, null),
            Passive("tls-replication", "no", Kind.Bool, null),
            Passive("tls-session-cache-size", "20480", Kind.Int, null),
            Passive("tls-session-cache-timeout", "300", Kind.Int, null),
            Passive("tls-session-caching", "yes", Kind.Bool, null),
            Passive("tracking-table-max-keys", "1000000", Kind.Int, null),
            Passive("unixsocket", "", Kind.Immutable, null),
            Passive("unixsocketperm", "0", Kind.Immutable, null),
    ];

    private static ConfigParameter Passive(string name, string defaultValue, Kind kind, string? enumValues, params string[] aliases)
    {
        ServerConfig.PassiveDefaults[name] = defaultValue;
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
                c.Passive[name] = v;
                return null;
            },
        };
    }
}
