using System.Globalization;

namespace Cinnabar.Config;

/// <summary>One configuration parameter: how CONFIG GET shows it and how a directive or CONFIG SET changes it.</summary>
public sealed class ConfigParameter
{
    public required string Name { get; init; }
    public string[] Aliases { get; init; } = [];
    /// <summary>Only settable in the config file or on the command line.</summary>
    public bool Immutable { get; init; }
    public required Func<ServerConfig, string> Get { get; init; }
    /// <summary>Returns null on success or the reason (Redis' wording, without the CONFIG SET prefix).</summary>
    public required Func<ServerConfig, IReadOnlyList<string>, string?> Setter { get; init; }
    /// <summary>Number of arguments the directive takes; -1 = one or more, joined by spaces for CONFIG SET.</summary>
    public int ArgCount { get; init; } = 1;

    public string? Set(ServerConfig c, IReadOnlyList<string> args, bool atStartup)
    {
        if (ArgCount >= 0 && args.Count != ArgCount) return "Bad directive or wrong number of arguments";
        if (ArgCount < 0 && args.Count == 0) return "Bad directive or wrong number of arguments";
        return Setter(c, args);
    }
}

/// <summary>The declarations of every supported parameter.</summary>
internal static partial class ConfigParameters
{
    public static List<ConfigParameter> Build()
    {
        var list = new List<ConfigParameter>
        {
            Int("port", c => c.Port, (c, v) => c.Port = v, 0, 65535, immutable: true),
            new()
            {
                Name = "bind", Immutable = true, ArgCount = -1,
                Get = c => string.Join(' ', c.Bind),
                Setter = (c, a) => { c.Bind = a.SelectMany(x => x.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray(); return null; },
            },
            Str("dir", c => c.Dir, (c, v) =>
            {
                if (!Directory.Exists(v)) return $"No such file or directory";
                c.Dir = Path.GetFullPath(v);
                Directory.SetCurrentDirectory(c.Dir);
                return null;
            }),
            Str("dbfilename", c => c.DbFilename, (c, v) =>
            {
                if (v.Contains('/') || v.Contains('\\')) return "dbfilename can't be a path, just a filename";
                c.DbFilename = v;
                return null;
            }),
            Int("databases", c => c.Databases, (c, v) => c.Databases = v, 1, int.MaxValue, immutable: true),
            Int("maxclients", c => c.MaxClients, (c, v) => c.MaxClients = v, 1, int.MaxValue),
            new()
            {
                Name = "replicaof", Aliases = ["slaveof"], ArgCount = -1, Immutable = false,
                Get = c => c.ReplicaOfHost is null ? "" : $"{c.ReplicaOfHost} {c.ReplicaOfPort}",
                Setter = (c, a) =>
                {
                    var parts = a.SelectMany(x => x.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
                    if (parts.Length != 2) return "Bad directive or wrong number of arguments";
                    if (parts[0].Equals("no", StringComparison.OrdinalIgnoreCase) && parts[1].Equals("one", StringComparison.OrdinalIgnoreCase))
                    {
                        c.ReplicaOfHost = null;
                        c.ReplicaOfPort = 0;
                        return null;
                    }
                    if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
                        return "Invalid master port";
                    c.ReplicaOfHost = parts[0];
                    c.ReplicaOfPort = port;
                    return null;
                },
            },
            new()
            {
                // "nothing" (silence) is accepted too, though 7.0 does not list it.
                Name = "loglevel",
                Get = c => c.LogLevel == LogVerbosity.Nothing ? "nothing" : ConfigEnums.LogLevels.NameOf(c.LogLevel),
                Setter = (c, a) =>
                {
                    if (a[0].Equals("nothing", StringComparison.OrdinalIgnoreCase)) c.LogLevel = LogVerbosity.Nothing;
                    else if (ConfigEnums.LogLevels.TryParse(a[0], out var level)) c.LogLevel = level;
                    else return $"argument(s) must be one of the following: {ConfigEnums.LogLevels.List}";
                    return null;
                },
            },
            Str("logfile", c => c.LogFile, (c, v) => { c.LogFile = v; return null; }, immutable: true),
            Int("hz", c => c.Hz, (c, v) => c.Hz = Math.Clamp(v, 1, 500), 0, int.MaxValue),
            Memory("proto-max-bulk-len", c => c.ProtoMaxBulkLen, (c, v) => c.ProtoMaxBulkLen = v, 1024 * 1024, long.MaxValue),
            Memory("hll-sparse-max-bytes", c => c.HllSparseMaxBytes, (c, v) => c.HllSparseMaxBytes = v, 0, long.MaxValue),
            Memory("client-query-buffer-limit", c => c.ClientQueryBufferLimit, (c, v) => c.ClientQueryBufferLimit = v, 1024 * 1024, long.MaxValue),
            Enum("enable-debug-command", ConfigEnums.ProtectedActions, c => c.EnableDebugCommand, (c, v) => c.EnableDebugCommand = v, immutable: true),
            Enum("enable-protected-configs", ConfigEnums.ProtectedActions, c => c.EnableProtectedConfigs, (c, v) => c.EnableProtectedConfigs = v, immutable: true),
            // Enforced before each command (Memory/MemoryManager.cs, docs/memory.md).
            Memory("maxmemory", c => c.MaxMemory, (c, v) => c.MaxMemory = v, 0, long.MaxValue),
            Int("maxmemory-eviction-tenacity", c => c.MaxMemoryEvictionTenacity, (c, v) => c.MaxMemoryEvictionTenacity = v, 0, 100),
            Bool("replica-ignore-maxmemory", c => c.ReplicaIgnoreMaxMemory, (c, v) => c.ReplicaIgnoreMaxMemory = v, "slave-ignore-maxmemory"),
            Bool("lazyfree-lazy-eviction", c => c.LazyFreeLazyEviction, (c, v) => c.LazyFreeLazyEviction = v),
            new()
            {
                // A memory value, or a percentage of maxmemory (Redis' PERCENT_CONFIG).
                Name = "maxmemory-clients",
                Get = c => c.MaxMemoryClientsPercent > 0 ? c.MaxMemoryClientsPercent.ToString(CultureInfo.InvariantCulture) + "%" : c.MaxMemoryClients.ToString(CultureInfo.InvariantCulture),
                Setter = (c, a) =>
                {
                    var text = a[0];
                    if (text.EndsWith('%'))
                    {
                        if (!long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out long pct) || pct > int.MaxValue) return "argument must be a memory or percent value";
                        c.MaxMemoryClientsPercent = pct;
                        c.MaxMemoryClients = 0;
                        return null;
                    }
                    if (!ServerConfig.TryParseMemory(text, out long v) || v < 0) return "argument must be a memory or percent value";
                    c.MaxMemoryClients = v;
                    c.MaxMemoryClientsPercent = 0;
                    return null;
                },
            },
            Enum("maxmemory-policy", ConfigEnums.MaxMemoryPolicies, c => c.MaxMemoryPolicy, (c, v) => c.MaxMemoryPolicy = v),
            Int("lfu-decay-time", c => c.LfuDecayTime, (c, v) => c.LfuDecayTime = v, 0, int.MaxValue),
            Int("lfu-log-factor", c => c.LfuLogFactor, (c, v) => c.LfuLogFactor = v, 0, int.MaxValue),
            Int("maxmemory-samples", c => c.MaxMemorySamples, (c, v) => c.MaxMemorySamples = v, 1, 64),
            Int("timeout", c => c.Timeout, (c, v) => c.Timeout = v, 0, int.MaxValue),
            Int("tcp-keepalive", c => c.TcpKeepAlive, (c, v) => c.TcpKeepAlive = v, 0, int.MaxValue),
            Int("tcp-backlog", c => c.TcpBacklog, (c, v) => c.TcpBacklog = v, 0, int.MaxValue, immutable: true),
            Str("requirepass", c => c.RequirePass, (c, v) => { c.RequirePass = v; return null; }),
            Bool("protected-mode", c => c.ProtectedMode, (c, v) => c.ProtectedMode = v),
            Str("notify-keyspace-events", c => NotifyKeyspaceEventsParser.ToString(c.NotifyKeyspaceEvents), (c, v) =>
            {
                if (!NotifyKeyspaceEventsParser.TryParse(v, out var flags)) return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
                c.NotifyKeyspaceEvents = flags;
                return null;
            }),
            Bool("appendonly", c => c.AppendOnly, (c, v) => c.AppendOnly = v),
            Str("appendfilename", c => c.AppendFilename, (c, v) =>
            {
                // Redis' isValidAOFfilename: the files live in appenddirname.
                if (v.Contains('/') || v is "" or "." or "..") return "appendfilename can't be a path, just a filename";
                c.AppendFilename = v;
                return null;
            }, immutable: true),
            Enum("appendfsync", ConfigEnums.AppendFsyncModes, c => c.AppendFsync, (c, v) => c.AppendFsync = v),
            Str("appenddirname", c => c.AppendDirname, (c, v) =>
            {
                if (v.Contains('/') || v is "" or "." or "..") return "appenddirname can't be a path, just a dirname";
                c.AppendDirname = v;
                return null;
            }, immutable: true),
            Bool("aof-load-truncated", c => c.AofLoadTruncated, (c, v) => c.AofLoadTruncated = v),
            Int("auto-aof-rewrite-percentage", c => c.AutoAofRewritePercentage, (c, v) => c.AutoAofRewritePercentage = v, 0, int.MaxValue),
            Memory("auto-aof-rewrite-min-size", c => c.AutoAofRewriteMinSize, (c, v) => c.AutoAofRewriteMinSize = v, 0, long.MaxValue),
            Bool("aof-use-rdb-preamble", c => c.AofUseRdbPreamble, (c, v) => c.AofUseRdbPreamble = v),
            Bool("aof-timestamp-enabled", c => c.AofTimestampEnabled, (c, v) => c.AofTimestampEnabled = v),
            Bool("no-appendfsync-on-rewrite", c => c.NoAppendfsyncOnRewrite, (c, v) => c.NoAppendfsyncOnRewrite = v),
            new()
            {
                Name = "save", ArgCount = -1,
                Get = c => string.Join(' ', c.SavePoints),
                Setter = (c, a) =>
                {
                    var parts = a.SelectMany(x => x.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
                    if (parts.Length == 0) { c.SavePoints = []; return null; }
                    if (parts.Length % 2 != 0) return "Invalid save parameters";
                    var points = new long[parts.Length];
                    for (int i = 0; i < parts.Length; i++)
                        if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out points[i]))
                            return "Invalid save parameters";
                    c.SavePoints = points;
                    return null;
                },
            },
            Bool("replica-read-only", c => c.ReplicaReadOnly, (c, v) => c.ReplicaReadOnly = v, "slave-read-only"),
            Bool("replica-serve-stale-data", c => c.ReplicaServeStaleData, (c, v) => c.ReplicaServeStaleData = v, "slave-serve-stale-data"),
            Memory("repl-backlog-size", c => c.ReplBacklogSize, (c, v) => c.ReplBacklogSize = v, 1, long.MaxValue),
            Int("active-expire-effort", c => c.ActiveExpireEffort, (c, v) => c.ActiveExpireEffort = v, 1, 10),
            Long("slowlog-log-slower-than", c => c.SlowlogLogSlowerThan, (c, v) => c.SlowlogLogSlowerThan = v, -1, long.MaxValue),
            Int("slowlog-max-len", c => c.SlowlogMaxLen, (c, v) => c.SlowlogMaxLen = v, 0, int.MaxValue),
            Bool("lazyfree-lazy-expire", c => c.LazyFreeLazyExpire, (c, v) => c.LazyFreeLazyExpire = v),
            Bool("lazyfree-lazy-user-del", c => c.LazyFreeLazyUserDel, (c, v) => c.LazyFreeLazyUserDel = v),
            Bool("lazyfree-lazy-user-flush", c => c.LazyFreeLazyUserFlush, (c, v) => c.LazyFreeLazyUserFlush = v),
            Bool("lazyfree-lazy-server-del", c => c.LazyFreeLazyServerDel, (c, v) => c.LazyFreeLazyServerDel = v),
            Bool("daemonize", c => c.Daemonize, (c, v) => c.Daemonize = v, immutable: true),
            Str("pidfile", c => c.PidFile, (c, v) => { c.PidFile = v; return null; }),
            Bool("rdbcompression", c => c.RdbCompression, (c, v) => c.RdbCompression = v),
            Bool("rdbchecksum", c => c.RdbChecksum, (c, v) => c.RdbChecksum = v, true),
            Bool("activerehashing", c => c.ActiveRehashing, (c, v) => c.ActiveRehashing = v),
            Bool("stop-writes-on-bgsave-error", c => c.StopWritesOnBgsaveError, (c, v) => c.StopWritesOnBgsaveError = v),
            Str("masterauth", c => c.MasterAuth, (c, v) => { c.MasterAuth = v; return null; }),
            Str("masteruser", c => c.MasterUser, (c, v) => { c.MasterUser = v; return null; }),
            Bool("repl-diskless-sync", c => c.ReplDisklessSync, (c, v) => c.ReplDisklessSync = v),
            Int("repl-diskless-sync-delay", c => c.ReplDisklessSyncDelay, (c, v) => c.ReplDisklessSyncDelay = v, 0, int.MaxValue),
            Int("repl-timeout", c => c.ReplTimeout, (c, v) => c.ReplTimeout = v, 1, int.MaxValue),
            Int("repl-ping-replica-period", c => c.ReplPingReplicaPeriod, (c, v) => c.ReplPingReplicaPeriod = v, 1, int.MaxValue, "repl-ping-slave-period"),
            new()
            {
                Name = "client-output-buffer-limit", ArgCount = -1,
                Get = c => ClientOutputBufferLimits.Format(c.ClientOutputBufferLimit),
                Setter = (c, a) =>
                {
                    var merged = ClientOutputBufferLimits.Merge(c.ClientOutputBufferLimit, string.Join(' ', a), out var error);
                    if (merged is null) return error;
                    c.ClientOutputBufferLimit = merged;
                    return null;
                },
            },
            Int("list-max-listpack-size", c => c.ListMaxListpackSize, (c, v) => c.ListMaxListpackSize = v, int.MinValue, int.MaxValue, "list-max-ziplist-size"),
            new()
            {
                // Compressed quicklist nodes are not built yet: refused rather than accepted and ignored.
                Name = "list-compress-depth",
                Get = c => c.ListCompressDepth.ToString(CultureInfo.InvariantCulture),
                Setter = (c, a) =>
                {
                    if (!ServerConfig.TryParseMemory(a[0], out long v) || v < int.MinValue || v > int.MaxValue) return "argument couldn't be parsed into an integer";
                    if (v < 0 || v > int.MaxValue) return $"argument must be between 0 and {int.MaxValue} inclusive";
                    if (v != 0) return NotYet("list-compress-depth", "0");
                    c.ListCompressDepth = 0;
                    return null;
                },
            },
            Int("hash-max-listpack-entries", c => c.HashMaxListpackEntries, (c, v) => c.HashMaxListpackEntries = v, 0, int.MaxValue, "hash-max-ziplist-entries"),
            Int("hash-max-listpack-value", c => c.HashMaxListpackValue, (c, v) => c.HashMaxListpackValue = v, 0, int.MaxValue, "hash-max-ziplist-value"),
            Int("set-max-intset-entries", c => c.SetMaxIntsetEntries, (c, v) => c.SetMaxIntsetEntries = v, 0, int.MaxValue),
            Int("zset-max-listpack-entries", c => c.ZSetMaxListpackEntries, (c, v) => c.ZSetMaxListpackEntries = v, 0, int.MaxValue, "zset-max-ziplist-entries"),
            Int("zset-max-listpack-value", c => c.ZSetMaxListpackValue, (c, v) => c.ZSetMaxListpackValue = v, 0, int.MaxValue, "zset-max-ziplist-value"),
            Memory("stream-node-max-bytes", c => c.StreamNodeMaxBytes, (c, v) => c.StreamNodeMaxBytes = v, 0, long.MaxValue),
            Int("stream-node-max-entries", c => c.StreamNodeMaxEntries, (c, v) => c.StreamNodeMaxEntries = v, 0, int.MaxValue),
            Int("lua-time-limit", c => c.LuaTimeLimit, (c, v) => c.LuaTimeLimit = v, 0, int.MaxValue, "busy-reply-threshold"),
            Int("latency-monitor-threshold", c => c.LatencyMonitorThreshold, (c, v) => c.LatencyMonitorThreshold = v, 0, int.MaxValue),
            Str("aclfile", c => c.AclFile, (c, v) => { c.AclFile = v; return null; }, immutable: true),
            Enum("acl-pubsub-default", ConfigEnums.AclPubSubDefaults, c => c.AclPubSubDefault, (c, v) => c.AclPubSubDefault = v),
            Long("acllog-max-len", c => c.AclLogMaxLen, (c, v) => c.AclLogMaxLen = v, 0, long.MaxValue),
            Long("tracking-table-max-keys", c => c.TrackingTableMaxKeys, (c, v) => c.TrackingTableMaxKeys = v, 0, long.MaxValue),
            new()
            {
                Name = "cluster-enabled", Immutable = true,
                Get = c => c.ClusterEnabled ? "yes" : "no",
                Setter = (c, a) =>
                {
                    if (!ServerConfig.TryParseBool(a[0], out bool v)) return "argument must be 'yes' or 'no'";
                    return v ? NotYet("cluster-enabled", "no") : null;
                },
            },
            new()
            {
                // systemd readiness is sent (sd_notify READY=1); upstart's SIGSTOP handshake is not built.
                Name = "supervised", Immutable = true,
                Get = c => ConfigEnums.SupervisedModes.NameOf(c.SupervisedMode),
                Setter = (c, a) =>
                {
                    if (!ConfigEnums.SupervisedModes.TryParse(a[0], out var v)) return $"argument(s) must be one of the following: {ConfigEnums.SupervisedModes.List}";
                    if (v == SupervisedMode.Upstart) return NotYet("supervised upstart", "no");
                    c.SupervisedMode = v;
                    return null;
                },
            },
            new()
            {
                // Refused rather than accepted and ignored: logs go to logfile (or stdout).
                Name = "syslog-enabled", Immutable = true,
                Get = c => c.Syslog ? "yes" : "no",
                Setter = (c, a) =>
                {
                    if (!ServerConfig.TryParseBool(a[0], out bool on)) return "argument must be 'yes' or 'no'";
                    if (on) return "syslog is not supported by Cinnabar: use logfile (or stdout, which journald collects)";
                    c.Syslog = false;
                    return null;
                },
            },
            Str("unixsocket", c => c.UnixSocket, (c, v) => { c.UnixSocket = v; return null; }, immutable: true),
            new()
            {
                Name = "unixsocketperm", Immutable = true,
                Get = c => Convert.ToString(c.UnixSocketPerm, 8),
                Setter = (c, a) =>
                {
                    // Octal, as Redis reads it (strtol base 8); 0 leaves the umask's permissions.
                    try
                    {
                        int perm = Convert.ToInt32(a[0], 8);
                        if (perm < 0 || perm > 0x1FF) return "argument must be between 0 and 777 inclusive";
                        c.UnixSocketPerm = perm;
                        return null;
                    }
                    catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException) { return "argument couldn't be parsed into an integer"; }
                },
            },
            Bool("latency-tracking", c => c.LatencyTracking, (c, v) => c.LatencyTracking = v),
            new()
            {
                Name = "latency-tracking-info-percentiles", ArgCount = -1,
                Get = c => string.Join(' ', c.LatencyTrackingInfoPercentiles.Select(p => p.ToString(CultureInfo.InvariantCulture))),
                Setter = (c, a) =>
                {
                    var parts = a.SelectMany(x => x.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
                    var values = new double[parts.Length];
                    for (int i = 0; i < parts.Length; i++)
                    {
                        if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
                            return "Invalid latency-tracking-info-percentiles parameters";
                        if (values[i] < 0 || values[i] > 100) return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
                    }
                    c.LatencyTrackingInfoPercentiles = values;
                    return null;
                },
            },
            // TLS (docs/security.md). CONFIG SET of any of them reloads the TLS context, as Redis' applyTlsCfg.
            Int("tls-port", c => c.TlsPort, (c, v) => c.TlsPort = v, 0, 65535),
            Str("tls-cert-file", c => c.TlsCertFile, (c, v) => { c.TlsCertFile = v; return null; }),
            Str("tls-key-file", c => c.TlsKeyFile, (c, v) => { c.TlsKeyFile = v; return null; }),
            Str("tls-key-file-pass", c => c.TlsKeyFilePass, (c, v) => { c.TlsKeyFilePass = v; return null; }),
            Str("tls-client-cert-file", c => c.TlsClientCertFile, (c, v) => { c.TlsClientCertFile = v; return null; }),
            Str("tls-client-key-file", c => c.TlsClientKeyFile, (c, v) => { c.TlsClientKeyFile = v; return null; }),
            Str("tls-client-key-file-pass", c => c.TlsClientKeyFilePass, (c, v) => { c.TlsClientKeyFilePass = v; return null; }),
            Str("tls-ca-cert-file", c => c.TlsCaCertFile, (c, v) => { c.TlsCaCertFile = v; return null; }),
            Str("tls-ca-cert-dir", c => c.TlsCaCertDir, (c, v) => { c.TlsCaCertDir = v; return null; }),
            Str("tls-protocols", c => c.TlsProtocols, (c, v) => { c.TlsProtocols = v; return null; }),
            Str("tls-ciphers", c => c.TlsCiphers, (c, v) => { c.TlsCiphers = v; return null; }),
            Str("tls-ciphersuites", c => c.TlsCipherSuites, (c, v) => { c.TlsCipherSuites = v; return null; }),
            Enum("tls-auth-clients", ConfigEnums.TlsAuthClientsModes, c => c.TlsAuthClients, (c, v) => c.TlsAuthClients = v),
            Bool("tls-replication", c => c.TlsReplication, (c, v) => c.TlsReplication = v),
            Bool("tls-cluster", c => c.TlsCluster, (c, v) => c.TlsCluster = v),
            Int("io-threads", c => c.IoThreads, (c, v) => c.IoThreads = v, 1, 128, immutable: true),
            Bool("io-threads-do-reads", c => c.IoThreadsDoReads, (c, v) => c.IoThreadsDoReads = v, true),
        };
        list.AddRange(PassiveParameters());
        return list;
    }

    private static ConfigParameter Int(string name, Func<ServerConfig, int> get, Action<ServerConfig, int> set, int min, int max, params string[] aliases)
        => Int(name, get, set, min, max, false, aliases);

    private static ConfigParameter Int(string name, Func<ServerConfig, int> get, Action<ServerConfig, int> set, int min, int max, bool immutable, params string[] aliases) => new()
    {
        Name = name, Aliases = aliases, Immutable = immutable,
        Get = c => get(c).ToString(CultureInfo.InvariantCulture),
        Setter = (c, a) =>
        {
            if (!ServerConfig.TryParseMemory(a[0], out long v) || v < int.MinValue || v > int.MaxValue) return "argument couldn't be parsed into an integer";
            // maxclients is unsigned in Redis: its message shows the unsigned range.
            if (v < min || v > max) return $"argument must be between {min} and {(name == "maxclients" ? uint.MaxValue : max)} inclusive";
            set(c, (int)v);
            return null;
        },
    };

    private static ConfigParameter Long(string name, Func<ServerConfig, long> get, Action<ServerConfig, long> set, long min, long max) => new()
    {
        Name = name,
        Get = c => get(c).ToString(CultureInfo.InvariantCulture),
        Setter = (c, a) =>
        {
            if (!long.TryParse(a[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)) return "argument couldn't be parsed into an integer";
            if (v < min || v > max) return $"argument must be between {min} and {max} inclusive";
            set(c, v);
            return null;
        },
    };

    private static ConfigParameter Memory(string name, Func<ServerConfig, long> get, Action<ServerConfig, long> set, long min, long max) => new()
    {
        Name = name,
        Get = c => get(c).ToString(CultureInfo.InvariantCulture),
        Setter = (c, a) =>
        {
            if (!ServerConfig.TryParseMemory(a[0], out long v) || v < 0) return "argument must be a memory value";
            if (v < min || v > max) return $"argument must be between {min} and {max} inclusive";
            set(c, v);
            return null;
        },
    };

    private static ConfigParameter Bool(string name, Func<ServerConfig, bool> get, Action<ServerConfig, bool> set, params string[] aliases)
        => Bool(name, get, set, false, aliases);

    private static ConfigParameter Bool(string name, Func<ServerConfig, bool> get, Action<ServerConfig, bool> set, bool immutable, params string[] aliases) => new()
    {
        Name = name, Aliases = aliases, Immutable = immutable,
        Get = c => get(c) ? "yes" : "no",
        Setter = (c, a) =>
        {
            if (!ServerConfig.TryParseBool(a[0], out bool v)) return "argument must be 'yes' or 'no'";
            set(c, v);
            return null;
        },
    };

    /// <summary>The refusal of a value whose feature Cinnabar does not have yet.</summary>
    internal static string NotYet(string name, string defaultValue) =>
        $"'{name}' is not supported by Cinnabar yet: only its default ('{defaultValue}') is accepted";

    private static ConfigParameter Str(string name, Func<ServerConfig, string> get, Func<ServerConfig, string, string?> set, bool immutable = false) => new()
    {
        Name = name, Immutable = immutable,
        Get = get,
        Setter = (c, a) => set(c, a[0]),
    };

    private static ConfigParameter Enum<T>(string name, ConfigEnumNames<T> names, Func<ServerConfig, T> get, Action<ServerConfig, T> set, bool immutable = false)
        where T : struct, System.Enum => new()
    {
        Name = name, Immutable = immutable,
        Get = c => names.NameOf(get(c)),
        Setter = (c, a) =>
        {
            if (!names.TryParse(a[0], out var v)) return $"argument(s) must be one of the following: {names.List}";
            set(c, v);
            return null;
        },
    };
}

/// <summary>notify-keyspace-events flag strings.</summary>
public static class NotifyKeyspaceEventsParser
{
    public static bool TryParse(string s, out NotifyFlags flags)
    {
        flags = NotifyFlags.None;
        foreach (char ch in s)
        {
            switch (ch)
            {
                case 'A': flags |= NotifyFlags.All; break;
                case 'g': flags |= NotifyFlags.Generic; break;
                case '$': flags |= NotifyFlags.String; break;
                case 'l': flags |= NotifyFlags.List; break;
                case 's': flags |= NotifyFlags.Set; break;
                case 'h': flags |= NotifyFlags.Hash; break;
                case 'z': flags |= NotifyFlags.ZSet; break;
                case 'x': flags |= NotifyFlags.Expired; break;
                case 'e': flags |= NotifyFlags.Evicted; break;
                case 'K': flags |= NotifyFlags.Keyspace; break;
                case 'E': flags |= NotifyFlags.Keyevent; break;
                case 't': flags |= NotifyFlags.Stream; break;
                case 'm': flags |= NotifyFlags.KeyMiss; break;
                case 'd': flags |= NotifyFlags.Module; break;
                case 'n': flags |= NotifyFlags.New; break;
                default: return false;
            }
        }
        return true;
    }

    /// <summary>The canonical string Redis shows for a flag set (keyspaceEventsFlagsToString).</summary>
    public static string ToString(NotifyFlags f)
    {
        var sb = new System.Text.StringBuilder();
        if ((f & NotifyFlags.All) == NotifyFlags.All) sb.Append('A');
        else
        {
            if ((f & NotifyFlags.Generic) != 0) sb.Append('g');
            if ((f & NotifyFlags.String) != 0) sb.Append('$');
            if ((f & NotifyFlags.List) != 0) sb.Append('l');
            if ((f & NotifyFlags.Set) != 0) sb.Append('s');
            if ((f & NotifyFlags.Hash) != 0) sb.Append('h');
            if ((f & NotifyFlags.ZSet) != 0) sb.Append('z');
            if ((f & NotifyFlags.Expired) != 0) sb.Append('x');
            if ((f & NotifyFlags.Evicted) != 0) sb.Append('e');
            if ((f & NotifyFlags.Stream) != 0) sb.Append('t');
            if ((f & NotifyFlags.Module) != 0) sb.Append('d');
            if ((f & NotifyFlags.New) != 0) sb.Append('n'); // here, as in Redis: "A" hides it
        }
        if ((f & NotifyFlags.Keyspace) != 0) sb.Append('K');
        if ((f & NotifyFlags.Keyevent) != 0) sb.Append('E');
        if ((f & NotifyFlags.KeyMiss) != 0) sb.Append('m');
        return sb.ToString();
    }
}

/// <summary>client-output-buffer-limit: "class hard soft seconds" triples for normal, replica and pubsub clients.</summary>
public static class ClientOutputBufferLimits
{
    /// <summary>The limits of each client class: bytes (0: none) and the seconds a client may stay past the soft one.</summary>
    public sealed record Limits((long Hard, long Soft, long Seconds) Normal, (long Hard, long Soft, long Seconds) Replica, (long Hard, long Soft, long Seconds) PubSub);

    public static readonly Limits Default = new((0, 0, 0), (256L << 20, 64L << 20, 60), (32L << 20, 8L << 20, 60));

    public static Limits Get(ServerConfig config) => config.ClientOutputBufferLimit;

    /// <summary>As CONFIG GET and REWRITE print it (replicas under their old name, "slave").</summary>
    public static string Format(Limits l) =>
        FormattableString.Invariant($"normal {l.Normal.Hard} {l.Normal.Soft} {l.Normal.Seconds} slave {l.Replica.Hard} {l.Replica.Soft} {l.Replica.Seconds} pubsub {l.PubSub.Hard} {l.PubSub.Soft} {l.PubSub.Seconds}");

    /// <summary>
    /// <paramref name="current"/> with the classes named in <paramref name="update"/> replaced, all or nothing;
    /// null and Redis' reason when malformed.
    /// </summary>
    public static Limits? Merge(Limits current, string update, out string? error)
    {
        error = null;
        var parts = update.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Length % 4 != 0)
        {
            error = "Wrong number of arguments in buffer limit configuration.";
            return null;
        }
        for (int i = 0; i < parts.Length; i += 4)
        {
            if (!ConfigEnums.ClientTypes.TryParse(parts[i], out var cls) || cls == ClientType.Master)
            {
                error = "Invalid client class specified in buffer limit configuration.";
                return null;
            }
            if (!ServerConfig.TryParseMemory(parts[i + 1], out long hard) || !ServerConfig.TryParseMemory(parts[i + 2], out long soft)
                || !long.TryParse(parts[i + 3], out long secs) || hard < 0 || soft < 0 || secs < 0)
            {
                error = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
                return null;
            }
            var limit = (hard, soft, secs);
            current = cls switch
            {
                ClientType.Normal => current with { Normal = limit },
                ClientType.PubSub => current with { PubSub = limit },
                _ => current with { Replica = limit },
            };
        }
        return current;
    }
}
