using Cinnabar.Keyspace;

namespace Cinnabar;

public partial class Client
{
    /// <summary>Channels (SUBSCRIBE), in subscription order.</summary>
    internal HashSet<byte[]>? Channels;
    /// <summary>Patterns (PSUBSCRIBE), in subscription order.</summary>
    internal List<byte[]>? Patterns;
    /// <summary>Shard channels (SSUBSCRIBE).</summary>
    internal HashSet<byte[]>? ShardChannels;

    /// <summary>Channels plus patterns: the count in (un)subscribe replies.</summary>
    internal int SubscriptionCount => (Channels?.Count ?? 0) + (Patterns?.Count ?? 0);

    /// <summary>True while subscribed to any channel, pattern or shard channel (RESP2 subscribe mode).</summary>
    public bool IsSubscribed => SubscriptionCount > 0 || (ShardChannels?.Count ?? 0) > 0;

    internal static HashSet<byte[]> NewChannelSet() => new(ByteArrayComparer.Instance);
}
