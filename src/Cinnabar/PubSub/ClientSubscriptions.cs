using Cinnabar.Keyspace;

namespace Cinnabar.PubSub;

/// <summary>What one client is subscribed to. Allocated on its first subscription (most clients never subscribe).</summary>
public sealed class ClientSubscriptions
{
    /// <summary>Channels (SUBSCRIBE).</summary>
    internal readonly HashSet<byte[]> Channels = new(ByteArrayComparer.Instance);
    /// <summary>Patterns (PSUBSCRIBE), in subscription order.</summary>
    internal readonly List<byte[]> Patterns = new();
    /// <summary>Shard channels (SSUBSCRIBE).</summary>
    internal readonly HashSet<byte[]> ShardChannels = new(ByteArrayComparer.Instance);

    /// <summary>Channels plus patterns: the count in (un)subscribe replies.</summary>
    public int Count => Channels.Count + Patterns.Count;

    /// <summary>Subscribed to anything, shard channels included (RESP2 subscribe mode, the pubsub output limit).</summary>
    public bool Any => Count > 0 || ShardChannels.Count > 0;
}
