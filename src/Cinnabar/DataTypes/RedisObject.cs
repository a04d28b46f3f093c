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

    /// <summary>MEMORY USAGE of a value (strings are their byte array).</summary>
    public static long MemoryUsage(object value, int samples) => value switch
    {
        byte[] s => MemorySize.Bytes(s),
        IRedisObject o => o.MemoryUsage(samples),
        _ => 0,
    };

    public static object DeepClone(object value) => value switch
    {
        byte[] s => s.ToArray(),
        IRedisObject o => o.DeepClone(),
        _ => throw new InvalidOperationException("unknown value type"),
    };
}
