namespace Cinnabar.Commands;

/// <summary>Command flags as Redis 7 reports them in COMMAND INFO (names in <see cref="CommandDef.FlagNames"/>).</summary>
[Flags]
public enum CommandFlags : uint
{
    None = 0,
    Write = 1 << 0,
    ReadOnly = 1 << 1,
    DenyOom = 1 << 2,
    Admin = 1 << 3,
    PubSub = 1 << 4,
    NoScript = 1 << 5,
    Blocking = 1 << 6,
    Loading = 1 << 7,
    Stale = 1 << 8,
    SkipMonitor = 1 << 9,
    SkipSlowlog = 1 << 10,
    Fast = 1 << 11,
    NoAuth = 1 << 12,
    MayReplicate = 1 << 13,
    NoMandatoryKeys = 1 << 14,
    NoMulti = 1 << 15,
    MovableKeys = 1 << 16,
    AllowBusy = 1 << 17,
    Asking = 1 << 18,
    /// <summary>Refused unless enable-*-command allows it (DEBUG, MODULE).</summary>
    Protected = 1 << 19,
    /// <summary>Allowed while a RESP2 client is in subscribe mode.</summary>
    AllowedInPubSub = 1 << 20,
    NoAsyncLoading = 1 << 21,
    /// <summary>EVAL, EVALSHA, FCALL and their _RO forms: the script's declared flags decide write, deny-oom and stale.</summary>
    ScriptFlagsApply = 1 << 22,
}

/// <summary>ACL categories (the @names of ACL CAT).</summary>
[Flags]
public enum AclCategories : uint
{
    None = 0,
    Keyspace = 1 << 0,
    Read = 1 << 1,
    Write = 1 << 2,
    Set = 1 << 3,
    SortedSet = 1 << 4,
    List = 1 << 5,
    Hash = 1 << 6,
    String = 1 << 7,
    Bitmap = 1 << 8,
    HyperLogLog = 1 << 9,
    Geo = 1 << 10,
    Stream = 1 << 11,
    PubSub = 1 << 12,
    Admin = 1 << 13,
    Fast = 1 << 14,
    Slow = 1 << 15,
    Blocking = 1 << 16,
    Dangerous = 1 << 17,
    Connection = 1 << 18,
    Transaction = 1 << 19,
    Scripting = 1 << 20,
}

/// <summary>A command handler: reads its arguments from the client and writes exactly one reply.</summary>
public delegate void CommandHandler(Client client);

/// <summary>
/// A command of the table: its description from commands.json (Redis 7.0's metadata, see
/// docs/command-table.md) bound to the handler a family file declares. Dispatch reads the plain fields
/// (arity, flags); COMMAND and key lookups read the rest.
/// </summary>
public sealed class CommandDef
{
    internal CommandDef(CommandDescription d, CommandHandler? handler, KeyFinder? keys, CommandFlags cinnabarFlags)
    {
        FullName = d.FullName;
        int bar = FullName.IndexOf('|');
        Name = bar < 0 ? FullName : FullName[(bar + 1)..];
        NameBytes = System.Text.Encoding.ASCII.GetBytes(Name);
        DispatchName = NameBytes;
        Arity = d.Arity;
        Flags = d.Flags | cinnabarFlags;
        Acl = d.Acl;
        (FirstKey, LastKey, Step) = KeySpec.LegacyRange(d.KeySpecs);
        Handler = handler;
        Keys = keys;
        Description = d;
        foreach (var spec in d.KeySpecs)
        {
            if ((spec.Flags & KeySpecFlags.NotKey) == 0) _hasKeySpecs = true;
            if ((spec.Flags & KeySpecFlags.VariableFlags) != 0) _hasVariableFlags = true;
        }
    }

    /// <summary>Lower-case name ("get"; for a subcommand, its own name: "get" of CONFIG GET).</summary>
    public string Name { get; }
    public byte[] NameBytes { get; }
    /// <summary>The name dispatch knows it by: <see cref="NameBytes"/>, another after rename-command, null when disabled.</summary>
    public byte[]? DispatchName { get; internal set; }
    /// <summary>"get", or "config|get" for subcommands (as Redis names them in errors and COMMAND).</summary>
    public string FullName { get; }
    /// <summary>Redis arity: N exactly N arguments (command name included), -N at least N.</summary>
    public int Arity { get; }
    public CommandFlags Flags { get; }
    public AclCategories Acl { get; }
    /// <summary>The legacy key range COMMAND INFO reports, derived from the key specs as Redis does.</summary>
    public int FirstKey { get; }
    public int LastKey { get; }
    public int Step { get; }
    public CommandHandler? Handler { get; }
    /// <summary>Redis' getkeys procedure, where it has one; used when the key specs cannot be applied.</summary>
    public KeyFinder? Keys { get; }
    /// <summary>Tips, key specs and documentation as Redis 7.0 reports them.</summary>
    internal CommandDescription Description { get; }
    public KeySpec[] KeySpecs => Description.KeySpecs;
    public CommandDef? Parent { get; private set; }
    /// <summary>This command's bit in ACL permission bitmaps (Redis' cmd->id), numbered by <see cref="CommandTable"/>.</summary>
    public int AclId { get; internal set; }
    public CommandDef[]? Subcommands { get; private set; }

    private readonly bool _hasKeySpecs, _hasVariableFlags;

    // INFO commandstats
    public long Calls;

    /// <summary>
    /// LATENCY HISTOGRAM: calls counted per power-of-two bucket of their duration, as Redis' per-command
    /// hdr histogram reports them (bucket i holds durations below 1032 * 2^i ns). Allocated on the first call.
    /// </summary>
    public long[]? LatencyBuckets;

    /// <summary>Counts one call of <paramref name="nanoseconds"/> in <see cref="LatencyBuckets"/>.</summary>
    public void RecordLatency(long nanoseconds)
    {
        var buckets = LatencyBuckets ??= new long[LatencyBucketCount];
        int i = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(Math.Max(0, nanoseconds) / 1032));
        buckets[Math.Min(i, LatencyBucketCount - 1)]++;
    }

    public const int LatencyBucketCount = 48;

    /// <summary>The microseconds Redis prints for bucket <paramref name="i"/> (its highest equivalent value).</summary>
    public static long LatencyBucketMicros(int i) => ((1032L << i) - 1) / 1000;
    public long Microseconds;
    public long RejectedCalls;
    public long FailedCalls;

    public bool IsWrite => (Flags & CommandFlags.Write) != 0;
    public bool HasFlag(CommandFlags f) => (Flags & f) != 0;

    /// <summary>Attaches the subcommands (CONFIG GET, CLIENT LIST...) of this container.</summary>
    internal void SetSubcommands(CommandDef[] subs)
    {
        foreach (var s in subs) s.Parent = this;
        Subcommands = subs;
    }

    public bool ArityMatches(int argc) => Arity >= 0 ? argc == Arity : argc >= -Arity;

    public static readonly (CommandFlags Flag, string Name)[] FlagNames =
    [
        (CommandFlags.Write, "write"), (CommandFlags.ReadOnly, "readonly"), (CommandFlags.DenyOom, "denyoom"),
        (CommandFlags.Admin, "admin"), (CommandFlags.PubSub, "pubsub"), (CommandFlags.NoScript, "noscript"),
        (CommandFlags.Blocking, "blocking"), (CommandFlags.Loading, "loading"), (CommandFlags.Stale, "stale"),
        (CommandFlags.SkipMonitor, "skip_monitor"), (CommandFlags.SkipSlowlog, "skip_slowlog"),
        (CommandFlags.Asking, "asking"), (CommandFlags.Fast, "fast"), (CommandFlags.NoAuth, "no_auth"),
        (CommandFlags.MayReplicate, "may_replicate"), (CommandFlags.NoMandatoryKeys, "no_mandatory_keys"),
        (CommandFlags.NoAsyncLoading, "no_async_loading"), (CommandFlags.NoMulti, "no_multi"), (CommandFlags.MovableKeys, "movablekeys"), (CommandFlags.AllowBusy, "allow_busy"),
    ];

    public static readonly (AclCategories Cat, string Name)[] AclNames =
    [
        (AclCategories.Keyspace, "keyspace"), (AclCategories.Read, "read"), (AclCategories.Write, "write"),
        (AclCategories.Set, "set"), (AclCategories.SortedSet, "sortedset"), (AclCategories.List, "list"),
        (AclCategories.Hash, "hash"), (AclCategories.String, "string"), (AclCategories.Bitmap, "bitmap"),
        (AclCategories.HyperLogLog, "hyperloglog"), (AclCategories.Geo, "geo"), (AclCategories.Stream, "stream"),
        (AclCategories.PubSub, "pubsub"), (AclCategories.Admin, "admin"), (AclCategories.Fast, "fast"),
        (AclCategories.Slow, "slow"), (AclCategories.Blocking, "blocking"), (AclCategories.Dangerous, "dangerous"),
        (AclCategories.Connection, "connection"), (AclCategories.Transaction, "transaction"), (AclCategories.Scripting, "scripting"),
    ];

    /// <summary>Redis' doesCommandHaveKeys: a getkeys procedure or a key spec that is not a channel.</summary>
    public bool HasKeys => Keys is not null || _hasKeySpecs;

    /// <summary>
    /// Redis' getKeysFromCommandWithSpecs: the keys of the client's current arguments, from the key specs
    /// when they apply and their flags are fixed, else from the getkeys procedure. Returns the number of
    /// keys, or -1 when the specs fail and there is no procedure (COMMAND GETKEYS then answers an empty array).
    /// </summary>
    public int GetKeys(Client client, List<KeyReference> result)
    {
        if (_hasKeySpecs && !_hasVariableFlags)
        {
            if (KeySpec.Find(KeySpecs, client, result)) return result.Count;
            result.Clear();
            if (Keys is null) return -1;
        }
        Keys?.Invoke(client, result);
        return result.Count;
    }

    [ThreadStatic] private static List<KeyReference>? _scratch;

    /// <summary>The argument indexes of the keys of this call (copy-on-write before a write during a snapshot).</summary>
    public void GetKeyPositions(Client client, List<int> result)
    {
        var keys = _scratch ??= new List<KeyReference>();
        keys.Clear();
        GetKeys(client, keys);
        foreach (var k in keys) result.Add(k.Position);
    }
}
