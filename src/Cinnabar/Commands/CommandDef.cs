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

/// <summary>Finds key argument positions for commands whose keys move (numkeys arguments...).</summary>
public delegate void KeyFinder(Client client, List<int> keyPositions);

/// <summary>
/// The single declaration of a command: the table built from these drives dispatch, arity checks,
/// COMMAND output, MULTI queueing and (later) ACL and cluster routing.
/// </summary>
public sealed class CommandDef
{
    public CommandDef(string name, int arity, CommandFlags flags, AclCategories acl,
        int firstKey, int lastKey, int step, CommandHandler? handler, string group = "generic", string summary = "")
    {
        Name = name.ToLowerInvariant();
        NameBytes = System.Text.Encoding.ASCII.GetBytes(Name);
        FullName = Name;
        Arity = arity;
        Flags = flags;
        Acl = acl;
        FirstKey = firstKey;
        LastKey = lastKey;
        Step = step;
        Handler = handler;
        Group = group;
        Summary = summary;
    }

    /// <summary>Lower-case name ("get"; for a subcommand, its own name: "get" of CONFIG GET).</summary>
    public string Name { get; }
    public byte[] NameBytes { get; }
    /// <summary>"get", or "config|get" for subcommands (as Redis names them in errors and COMMAND).</summary>
    public string FullName { get; private set; }
    /// <summary>Redis arity: N exactly N arguments (command name included), -N at least N.</summary>
    public int Arity { get; }
    public CommandFlags Flags { get; }
    public AclCategories Acl { get; }
    public int FirstKey { get; }
    public int LastKey { get; }
    public int Step { get; }
    public CommandHandler? Handler { get; }
    public string Group { get; }
    public string Summary { get; }
    public string Since { get; init; } = "1.0.0";
    public string Complexity { get; init; } = "";
    public KeyFinder? Keys { get; init; }
    public CommandDef? Parent { get; private set; }
    public CommandDef[]? Subcommands { get; private set; }

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

    /// <summary>Declares subcommands (CONFIG GET, CLIENT LIST...). The container gets no handler of its own.</summary>
    public CommandDef WithSubcommands(params CommandDef[] subs)
    {
        foreach (var s in subs)
        {
            s.Parent = this;
            s.FullName = Name + "|" + s.Name;
        }
        Subcommands = subs;
        return this;
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

    /// <summary>Key positions of this call (absolute argument indexes), for COMMAND GETKEYS, WATCH-style tracking and cluster routing.</summary>
    public void GetKeyPositions(Client client, List<int> result)
    {
        if (Keys is not null) { Keys(client, result); return; }
        if (FirstKey <= 0) return;
        int argc = client.ArgCount;
        int last = LastKey >= 0 ? LastKey : argc + LastKey;
        for (int i = FirstKey; i <= last && i < argc; i += Math.Max(Step, 1)) result.Add(i);
    }
}
