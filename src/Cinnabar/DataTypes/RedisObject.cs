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

    /// <summary>OBJECT ENCODING of a value: strings are "int", "embstr" (up to 44 bytes) or "raw" as in Redis.</summary>
    public static string Encoding(object value, ServerConfig config) => value switch
    {
        byte[] s => StringEncoding(s),
        IRedisObject o => o.GetEncoding(config),
        _ => "unknown",
    };

    public static string StringEncoding(byte[] s)
    {
        if (s.Length <= 20 && Protocol.RespNumbers.TryParseInt64(s, out _)) return "int";
        return s.Length <= 44 ? "embstr" : "raw";
    }

    public static object DeepClone(object value) => value switch
    {
        byte[] s => s.ToArray(),
        IRedisObject o => o.DeepClone(),
        _ => throw new InvalidOperationException("unknown value type"),
    };
}
