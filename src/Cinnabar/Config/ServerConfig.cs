using System.Globalization;

namespace Cinnabar.Config;

/// <summary>
/// The server's configuration. Every parameter is declared once in <see cref="Parameters"/> (name, aliases,
/// how to read and write it), which drives the config file, command-line flags, CONFIG GET/SET and REWRITE.
/// Values are plain fields so the hot path reads them without lookups.
/// </summary>
public sealed class ServerConfig
{
    public int Port = 6379;
    public string[] Bind = ["127.0.0.1"];
    public string Dir = Directory.GetCurrentDirectory();
    public string DbFilename = "dump.rdb";
    public int Databases = 16;
    public int MaxClients = 10000;
    public string? ReplicaOfHost;
    public int ReplicaOfPort;
    public LogVerbosity LogLevel = LogVerbosity.Notice;
    public string LogFile = "";
    public int Hz = 10;
    public long ProtoMaxBulkLen = 512L * 1024 * 1024;
    public long ClientQueryBufferLimit = 1024L * 1024 * 1024;
    /// <summary>Largest sparse HyperLogLog (header included) before it turns dense.</summary>
    public long HllSparseMaxBytes = 3000;
    public ProtectedAction EnableDebugCommand = ProtectedAction.No;
    /// <summary>Whether CONFIG SET may change PROTECTED_CONFIG parameters (dir, dbfilename): no, yes or local.</summary>
    public ProtectedAction EnableProtectedConfigs = ProtectedAction.No;
    /// <summary>The config file's <c>rename-command old new</c> lines, applied to the command table at start-up ("" disables).</summary>
    public List<(string From, string To)> RenamedCommands = [];
    public long MaxMemory;
    public MaxMemoryPolicy MaxMemoryPolicy = MaxMemoryPolicy.NoEviction;
    public int MaxMemoryEvictionTenacity = 10;
    /// <summary>maxmemory-clients as bytes (0: none), unless <see cref="MaxMemoryClientsPercent"/> is set.</summary>
    public long MaxMemoryClients;
    /// <summary>maxmemory-clients as a percentage of maxmemory (0: not a percentage).</summary>
    public long MaxMemoryClientsPercent;
    public bool ReplicaIgnoreMaxMemory = true;
    public bool LazyFreeLazyEviction;
    /// <summary>An LFU maxmemory policy: key accesses update LFU counters instead of the LRU clock.</summary>
    public bool LfuPolicy => MaxMemoryPolicy.IsLfu();
    public int LfuLogFactor = 10;
    public int LfuDecayTime = 1;
    /// <summary>tracking-table-max-keys: keys the client-side caching table may hold (0: no limit).</summary>
    public long TrackingTableMaxKeys = 1_000_000;
    public int Timeout;
    public int TcpKeepAlive = 300;
    public int TcpBacklog = 511;
    public string RequirePass = "";
    public bool ProtectedMode = true;
    public NotifyFlags NotifyKeyspaceEvents;
    public bool AppendOnly;
    public string AppendFilename = "appendonly.aof";
    public AppendFsyncMode AppendFsync = AppendFsyncMode.EverySec;
    public string AppendDirname = "appendonlydir";
    public bool AofLoadTruncated = true;
    public int AutoAofRewritePercentage = 100;
    public long AutoAofRewriteMinSize = 64L * 1024 * 1024;
    public bool NoAppendfsyncOnRewrite;
    /// <summary>aof-use-rdb-preamble: a rewrite writes its base as an RDB (yes) or as commands (no).</summary>
    public bool AofUseRdbPreamble = true;
    /// <summary>aof-timestamp-enabled: #TS:&lt;unix seconds&gt; annotations in the AOF.</summary>
    public bool AofTimestampEnabled;
    public long[] SavePoints = [3600, 1, 300, 100, 60, 10000];
    public bool ReplicaReadOnly = true;
    public bool ReplicaServeStaleData = true;
    public long ReplBacklogSize = 1024 * 1024;
    public bool ActiveExpireEnabled = true;
    public int ActiveExpireEffort = 1;
    public long SlowlogLogSlowerThan = 10000;
    public int SlowlogMaxLen = 128;
    public bool LazyFreeLazyExpire;
    public bool LazyFreeLazyUserDel;
    public bool LazyFreeLazyUserFlush;
    public bool LazyFreeLazyServerDel;
    public bool Daemonize;
    public string PidFile = "";
    public bool RdbCompression = true;
    public bool RdbChecksum = true;
    /// <summary>DEBUG SET-SKIP-CHECKSUM-VALIDATION: RDB files and RESTORE payloads load without their CRC checked.</summary>
    public bool SkipChecksumValidation;
    /// <summary>Whether the cron finishes key-table rehashing that writes left half done (Redis' activerehashing).</summary>
    public bool ActiveRehashing = true;
    public bool StopWritesOnBgsaveError = true;
    public string MasterAuth = "";
    public string MasterUser = "";
    public bool ReplDisklessSync = true;
    public int ReplDisklessSyncDelay = 5;
    public int ReplTimeout = 60;
    public int ReplPingReplicaPeriod = 10;
    public ClientOutputBufferLimits.Limits ClientOutputBufferLimit = ClientOutputBufferLimits.Default;
    public int ListMaxListpackSize = -2;
    public int ListCompressDepth;
    public int HashMaxListpackEntries = 512;
    public int HashMaxListpackValue = 64;
    public int SetMaxIntsetEntries = 512;
    public int ZSetMaxListpackEntries = 128;
    public int ZSetMaxListpackValue = 64;
    public long StreamNodeMaxBytes = 4096;
    public int StreamNodeMaxEntries = 100;
    public int LuaTimeLimit = 5000;
    public int LatencyMonitorThreshold;
    public int MaxMemorySamples = 5;
    public string AclFile = "";
    /// <summary>The channels of a new user or selector: "resetchannels" (none) or "allchannels".</summary>
    public AclPubSubDefault AclPubSubDefault = AclPubSubDefault.ResetChannels;
    public long AclLogMaxLen = 128;
    /// <summary>The config file's <c>user name rules...</c> lines (name first), applied at start-up in order.</summary>
    public List<List<string>> UserDirectives = [];
    public bool ClusterEnabled;
    public SupervisedMode SupervisedMode = SupervisedMode.No;
    public bool Syslog;
    /// <summary>Path of a Unix domain socket to listen on as well ("" = none) and its permissions (octal, 0 = umask's).</summary>
    public string UnixSocket = "";
    public int UnixSocketPerm;
    /// <summary>Per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM) and the percentiles INFO shows.</summary>
    public bool LatencyTracking = true;
    public double[] LatencyTrackingInfoPercentiles = [50, 99, 99.9];
    /// <summary>TLS (docs/security.md): the TLS listening port (0: none) and the files and policies of the TLS context.</summary>
    public int TlsPort;
    public string TlsCertFile = "", TlsKeyFile = "", TlsKeyFilePass = "";
    public string TlsClientCertFile = "", TlsClientKeyFile = "", TlsClientKeyFilePass = "";
    public string TlsCaCertFile = "", TlsCaCertDir = "";
    public string TlsProtocols = "", TlsCiphers = "", TlsCipherSuites = "";
    public TlsAuthClients TlsAuthClients = TlsAuthClients.Yes;
    /// <summary>The link to our master uses TLS (and the replica announces its tls-port).</summary>
    public bool TlsReplication;
    /// <summary>The cluster bus over TLS: there is no cluster yet, so it only makes the TLS context load, as in Redis without cluster.</summary>
    public bool TlsCluster;
    /// <summary>Whether anything needs the TLS context (Redis: tls-port, tls-replication or tls-cluster).</summary>
    public bool TlsInUse => TlsPort != 0 || TlsReplication || TlsCluster;
    /// <summary>How long an accepted TLS connection may take to finish its handshake (not a Redis parameter).</summary>
    public int TlsHandshakeTimeoutMs = 10_000;
    /// <summary>Accepted for compatibility; see docs/configuration.md for why it has no effect.</summary>
    public int IoThreads = 1;
    public bool IoThreadsDoReads;

    /// <summary>Values of the parameters accepted for compatibility only (see ConfigParameters.Passive.cs), when set.</summary>
    public readonly Dictionary<string, string> Passive = new(StringComparer.Ordinal);
    internal static readonly Dictionary<string, string> PassiveDefaults = new(StringComparer.Ordinal);

    /// <summary>The config file given at start-up, for CONFIG REWRITE.</summary>
    public string? ConfigFile;

    public static readonly IReadOnlyList<ConfigParameter> Parameters = ConfigParameters.Build();

    private static readonly Dictionary<string, ConfigParameter> ByName = BuildIndex();

    private static Dictionary<string, ConfigParameter> BuildIndex()
    {
        var d = new Dictionary<string, ConfigParameter>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in Parameters)
        {
            d[p.Name] = p;
            foreach (var a in p.Aliases) d[a] = p;
        }
        return d;
    }

    public static ConfigParameter? Find(string name) => ByName.TryGetValue(name, out var p) ? p : null;

    /// <summary>Applies one directive; returns an error message (without "ERR ") or null.</summary>
    public string? Apply(string name, IReadOnlyList<string> args, bool atStartup)
    {
        var p = Find(name);
        if (p is null) return "Bad directive or wrong number of arguments";
        if (!atStartup && p.Immutable) return $"CONFIG SET failed (possibly related to argument '{name}') - can't set immutable config";
        return p.Set(this, args, atStartup);
    }

    // ---- value parsing shared by the parameter declarations ----

    /// <summary>Parses Redis memory units: 1k = 1000, 1kb = 1024, 1m, 1mb, 1g, 1gb (case-insensitive).</summary>
    public static bool TryParseMemory(string s, out long bytes)
    {
        bytes = 0;
        s = s.Trim();
        long mul = 1;
        string lower = s.ToLowerInvariant();
        (string Suffix, long Mul)[] units = [("gb", 1L << 30), ("mb", 1L << 20), ("kb", 1L << 10), ("g", 1_000_000_000), ("m", 1_000_000), ("k", 1000), ("b", 1)];
        foreach (var (suffix, m) in units)
        {
            if (lower.EndsWith(suffix, StringComparison.Ordinal))
            {
                mul = m;
                lower = lower[..^suffix.Length];
                break;
            }
        }
        if (!long.TryParse(lower, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)) return false;
        bytes = v * mul;
        return true;
    }

    public static bool TryParseBool(string s, out bool value)
    {
        if (s.Equals("yes", StringComparison.OrdinalIgnoreCase)) { value = true; return true; }
        if (s.Equals("no", StringComparison.OrdinalIgnoreCase)) { value = false; return true; }
        value = false;
        return false;
    }
}
