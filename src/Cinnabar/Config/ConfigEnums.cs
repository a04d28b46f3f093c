namespace Cinnabar.Config;

/// <summary>loglevel.</summary>
public enum LogVerbosity { Debug, Verbose, Notice, Warning, Nothing }

/// <summary>enable-debug-command (Redis' PROTECTED_ACTION_ALLOWED_*): nobody, everybody, or local connections only.</summary>
public enum ProtectedAction { No, Yes, Local }

/// <summary>maxmemory-policy.</summary>
public enum MaxMemoryPolicy { VolatileLru, VolatileLfu, VolatileRandom, VolatileTtl, AllKeysLru, AllKeysLfu, AllKeysRandom, NoEviction }

/// <summary>appendfsync.</summary>
public enum AppendFsyncMode { EverySec, Always, No }

/// <summary>supervised.</summary>
public enum SupervisedMode { Upstart, Systemd, Auto, No }

/// <summary>A client's class, as CLIENT KILL/LIST TYPE and client-output-buffer-limit name it.</summary>
public enum ClientType { Normal, Replica, PubSub, Master }

/// <summary>tls-auth-clients: whether a TLS client must present a certificate (yes), may (optional), or is not asked (no).</summary>
public enum TlsAuthClients { No, Yes, Optional }

/// <summary>acl-pubsub-default: the channels a new ACL user or selector starts with.</summary>
public enum AclPubSubDefault { AllChannels, ResetChannels }

/// <summary>
/// The words Redis reads and prints for an enumerated parameter, in Redis' order (the order its error message
/// lists them in). Values are parsed case-insensitively and printed in lower case, as Redis does.
/// </summary>
public sealed class ConfigEnumNames<T>(params (string Name, T Value)[] values) where T : struct, Enum
{
    public string NameOf(T value)
    {
        foreach (var (name, v) in values)
            if (EqualityComparer<T>.Default.Equals(v, value)) return name;
        throw new ArgumentOutOfRangeException(nameof(value), value, null);
    }

    public bool TryParse(string text, out T value)
    {
        foreach (var (name, v) in values)
        {
            if (!name.Equals(text, StringComparison.OrdinalIgnoreCase)) continue;
            value = v;
            return true;
        }
        value = default;
        return false;
    }

    /// <summary>"a, b, c", for "argument(s) must be one of the following: ...".</summary>
    public string List => string.Join(", ", values.Select(v => v.Name));
}

/// <summary>The names of each enumerated parameter's values.</summary>
public static class ConfigEnums
{
    /// <summary>"nothing" is accepted as well (Redis 7.2 added it), though 7.0's error message does not list it.</summary>
    public static readonly ConfigEnumNames<LogVerbosity> LogLevels = new(
        ("debug", LogVerbosity.Debug), ("verbose", LogVerbosity.Verbose), ("notice", LogVerbosity.Notice), ("warning", LogVerbosity.Warning));

    public static readonly ConfigEnumNames<AclPubSubDefault> AclPubSubDefaults = new(
        ("allchannels", AclPubSubDefault.AllChannels), ("resetchannels", AclPubSubDefault.ResetChannels));

    public static readonly ConfigEnumNames<TlsAuthClients> TlsAuthClientsModes = new(
        ("no", TlsAuthClients.No), ("yes", TlsAuthClients.Yes), ("optional", TlsAuthClients.Optional));

    public static readonly ConfigEnumNames<ProtectedAction> ProtectedActions = new(
        ("no", ProtectedAction.No), ("yes", ProtectedAction.Yes), ("local", ProtectedAction.Local));

    public static readonly ConfigEnumNames<MaxMemoryPolicy> MaxMemoryPolicies = new(
        ("volatile-lru", MaxMemoryPolicy.VolatileLru), ("volatile-lfu", MaxMemoryPolicy.VolatileLfu),
        ("volatile-random", MaxMemoryPolicy.VolatileRandom), ("volatile-ttl", MaxMemoryPolicy.VolatileTtl),
        ("allkeys-lru", MaxMemoryPolicy.AllKeysLru), ("allkeys-lfu", MaxMemoryPolicy.AllKeysLfu),
        ("allkeys-random", MaxMemoryPolicy.AllKeysRandom), ("noeviction", MaxMemoryPolicy.NoEviction));

    public static readonly ConfigEnumNames<AppendFsyncMode> AppendFsyncModes = new(
        ("everysec", AppendFsyncMode.EverySec), ("always", AppendFsyncMode.Always), ("no", AppendFsyncMode.No));

    public static readonly ConfigEnumNames<SupervisedMode> SupervisedModes = new(
        ("upstart", SupervisedMode.Upstart), ("systemd", SupervisedMode.Systemd), ("auto", SupervisedMode.Auto), ("no", SupervisedMode.No));

    /// <summary>Redis' getClientTypeByName: "slave" and "replica" are one class.</summary>
    public static readonly ConfigEnumNames<ClientType> ClientTypes = new(
        ("normal", ClientType.Normal), ("slave", ClientType.Replica), ("replica", ClientType.Replica), ("pubsub", ClientType.PubSub), ("master", ClientType.Master));

    public static string Name(this MaxMemoryPolicy policy) => MaxMemoryPolicies.NameOf(policy);

    /// <summary>An LFU policy: keys carry an access frequency instead of an idle time (OBJECT FREQ/IDLETIME).</summary>
    public static bool IsLfu(this MaxMemoryPolicy policy) => policy is MaxMemoryPolicy.VolatileLfu or MaxMemoryPolicy.AllKeysLfu;

    public static bool IsLru(this MaxMemoryPolicy policy) => policy is MaxMemoryPolicy.VolatileLru or MaxMemoryPolicy.AllKeysLru;
}
