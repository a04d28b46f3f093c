using Cinnabar.Config;

namespace Cinnabar.DataTypes;

/// <summary>
/// A non-string value stored under a key (list, hash, set, sorted set, stream). Strings are stored as plain
/// byte[] so the hottest type carries no wrapper object.
/// </summary>
public interface IRedisObject
{
    /// <summary>The name TYPE answers: "list", "hash", "set", "zset", "stream".</summary>
    string TypeName { get; }

    /// <summary>OBJECT ENCODING's answer, following Redis' thresholds in <paramref name="config"/>.</summary>
    string GetEncoding(ServerConfig config);

    /// <summary>An independent copy (COPY, and snapshots).</summary>
    IRedisObject DeepClone();

    /// <summary>
    /// Bytes of heap this value holds (MEMORY USAGE): packed encodings exactly, hash tables and skip lists
    /// by sampling <paramref name="samples"/> elements (0: all) and extrapolating, as Redis does.
    /// </summary>
    long MemoryUsage(int samples);

    /// <summary>
    /// The size the keyspace's running total (used_memory) last counted for this value; kept with the value
    /// so a later write or a deletion adjusts the total by exactly what was added (see docs/memory.md).
    /// </summary>
    long AccountedBytes { get; set; }
}

/// <summary>A hash or a set: members (fields) removed by name, as HDEL and SREM do.</summary>
public interface IRemovableMembers
{
    int Count { get; }

    /// <summary>Removes <paramref name="member"/>; false when it was not there.</summary>
    bool Remove(ReadOnlySpan<byte> member);
}

/// <summary>Helpers over stored values of any type.</summary>
public static class RedisValue
{
    public static string TypeName(object value) => value switch
    {
        byte[] => "string",
        IRedisObject o => o.TypeName,
        _ => "none",
    };

    /// <summary>OBJECT ENCODING of a key's value: strings are "int", "embstr" (up to 44 bytes) or "raw" as in Redis.</summary>
    public static string Encoding(in Keyspace.KeyEntry entry, ServerConfig config) => entry.Value switch
    {
        byte[] s => StringEncoding(s, entry.StringHint),
        IRedisObject o => o.GetEncoding(config),
        _ => "unknown",
    };

    public static string StringEncoding(byte[] s, Keyspace.StringHint hint = Keyspace.StringHint.FromBytes)
    {
        if (hint == Keyspace.StringHint.Raw) return "raw";
        if (hint == Keyspace.StringHint.FromBytes && s.Length <= 20 && Protocol.RespNumbers.TryParseInt64(s, out _)) return "int";
        return s.Length <= 44 ? "embstr" : "raw";
    }

    /// <summary>
    /// Redis' lazyfreeGetFreeEffort: the allocations freeing a value costs Redis (list nodes, hashtable and
    /// skip-list elements, stream nodes and pending entries; 1 for anything packed). Above
    /// <see cref="LazyFreeThreshold"/> an asynchronous delete hands the value to Redis' lazyfree thread and
    /// counts it in INFO's lazyfreed_objects; Cinnabar counts the same values, which the collector reclaims
    /// off the execution path whatever the command (dropping a reference costs nothing under the lock).
    /// </summary>
    public static long FreeEffort(object value) => value switch
    {
        ListValue l => l.NodeCount,
        SetValue set => set.IsIntset ? 1 : set.Count, // a packed set is a hashtable in Redis 7.0
        SortedSetValue { IsListpack: false } z => z.Count,
        HashValue { IsListpack: false } h => h.Count,
        StreamValue s => StreamFreeEffort(s),
        _ => 1,
    };

    /// <summary>LAZYFREE_THRESHOLD.</summary>
    public const long LazyFreeThreshold = 64;

    private static long StreamFreeEffort(StreamValue s)
    {
        long effort = StreamRaxEstimate.NodeCount(s);
        if (s.Groups is { Count: > 0 } groups)
        {
            // As Redis: every group is an allocation, and so is each pending entry, estimated from the first group.
            foreach (var first in groups)
            {
                effort += groups.Count * (1L + first.Pending.Count);
                break;
            }
        }
        return effort;
    }

    /// <summary>MEMORY USAGE of a value (strings are their byte array).</summary>
    public static long MemoryUsage(object value, int samples) => value switch
    {
        byte[] s => MemorySize.Bytes(s),
        IRedisObject o => o.MemoryUsage(samples),
        _ => 0,
    };

    /// <summary>
    /// The bytes the running total counts for a value now: strings exactly, packed encodings exactly, hash
    /// tables and skip lists from 5 sampled elements, lists from a few sampled nodes, all in O(1).
    /// </summary>
    public static long AccountingSize(object value) => value switch
    {
        byte[] s => MemorySize.Bytes(s),
        ListValue l => l.EstimatedSize(),
        IRedisObject o => o.MemoryUsage(5),
        _ => 0,
    };

    public static object DeepClone(object value) => value switch
    {
        byte[] s => s.ToArray(),
        IRedisObject o => o.DeepClone(),
        _ => throw new InvalidOperationException("unknown value type"),
    };
}
