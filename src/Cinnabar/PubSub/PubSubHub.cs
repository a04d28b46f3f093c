using Cinnabar.Dispatch;
using Cinnabar.Keyspace;
using Cinnabar.Networking;
using Cinnabar.Protocol;

namespace Cinnabar.PubSub;

/// <summary>
/// Publish/subscribe, as Redis' pubsub.c: channels, glob patterns and shard channels. Messages are written
/// straight into each subscriber's reply buffer (a RESP3 push or a RESP2 array) and sent after the
/// publishing command, so per-publisher order holds and a slow subscriber only ever costs its own buffer
/// (bounded by client-output-buffer-limit pubsub). A client's own side is its <see cref="ClientSubscriptions"/>.
/// All members run under the execution lock.
/// </summary>
public sealed class PubSubHub
{
    private readonly OutputScheduler _output;
    private readonly Dictionary<byte[], List<Client>> _channels = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], List<Client>> _patterns = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], List<Client>> _shardChannels = new(ByteArrayComparer.Instance);

    public PubSubHub(OutputScheduler output) => _output = output;

    internal IReadOnlyDictionary<byte[], List<Client>> ChannelSubscribers => _channels;
    internal IReadOnlyDictionary<byte[], List<Client>> ShardChannelSubscribers => _shardChannels;
    /// <summary>Channels with at least one subscriber (INFO pubsub_channels).</summary>
    public int ChannelCount => _channels.Count;
    /// <summary>Patterns with at least one subscriber (PUBSUB NUMPAT, INFO pubsub_patterns).</summary>
    public int PatternCount => _patterns.Count;

    // ---- subscriptions ----------------------------------------------------------------------------

    internal void Subscribe(Client c, byte[] channel, bool shard)
    {
        var mine = c.Subscriptions ??= new ClientSubscriptions();
        var set = shard ? mine.ShardChannels : mine.Channels;
        if (set.Add(channel)) Add(shard ? _shardChannels : _channels, channel, c);
        WriteSubscription(c, shard ? "ssubscribe"u8 : "subscribe"u8, channel, shard ? mine.ShardChannels.Count : mine.Count);
    }

    internal void Unsubscribe(Client c, byte[] channel, bool shard, bool notify)
    {
        var mine = c.Subscriptions;
        var set = shard ? mine?.ShardChannels : mine?.Channels;
        if (set is not null && set.Remove(channel)) Remove(shard ? _shardChannels : _channels, channel, c);
        if (notify) WriteSubscription(c, shard ? "sunsubscribe"u8 : "unsubscribe"u8, channel, shard ? mine?.ShardChannels.Count ?? 0 : mine?.Count ?? 0);
    }

    internal void PSubscribe(Client c, byte[] pattern)
    {
        var mine = c.Subscriptions ??= new ClientSubscriptions();
        if (!mine.Patterns.Exists(p => p.AsSpan().SequenceEqual(pattern)))
        {
            mine.Patterns.Add(pattern);
            Add(_patterns, pattern, c);
        }
        WriteSubscription(c, "psubscribe"u8, pattern, mine.Count);
    }

    internal void PUnsubscribe(Client c, byte[] pattern, bool notify)
    {
        var mine = c.Subscriptions;
        if (mine is not null)
        {
            int i = mine.Patterns.FindIndex(p => p.AsSpan().SequenceEqual(pattern));
            if (i >= 0)
            {
                mine.Patterns.RemoveAt(i);
                Remove(_patterns, pattern, c);
            }
        }
        if (notify) WriteSubscription(c, "punsubscribe"u8, pattern, mine?.Count ?? 0);
    }

    /// <summary>UNSUBSCRIBE/PUNSUBSCRIBE/SUNSUBSCRIBE without arguments: all of that kind (one reply each, or one with a null).</summary>
    internal void UnsubscribeAllOfKind(Client c, string kind)
    {
        int count = 0;
        var mine = c.Subscriptions;
        switch (kind)
        {
            case "channel":
                foreach (var ch in mine?.Channels.ToArray() ?? []) { Unsubscribe(c, ch, shard: false, notify: true); count++; }
                if (count == 0) WriteSubscription(c, "unsubscribe"u8, null, mine?.Count ?? 0);
                break;
            case "shard":
                foreach (var ch in mine?.ShardChannels.ToArray() ?? []) { Unsubscribe(c, ch, shard: true, notify: true); count++; }
                if (count == 0) WriteSubscription(c, "sunsubscribe"u8, null, mine?.ShardChannels.Count ?? 0);
                break;
            default:
                foreach (var p in mine?.Patterns.ToArray() ?? []) { PUnsubscribe(c, p, notify: true); count++; }
                if (count == 0) WriteSubscription(c, "punsubscribe"u8, null, mine?.Count ?? 0);
                break;
        }
    }

    /// <summary>Drops every subscription (disconnect, RESET).</summary>
    public void UnsubscribeAll(Client c, bool notify)
    {
        var mine = c.Subscriptions;
        if (mine is null) return;
        foreach (var ch in mine.Channels.ToArray()) Unsubscribe(c, ch, shard: false, notify);
        foreach (var ch in mine.ShardChannels.ToArray()) Unsubscribe(c, ch, shard: true, notify);
        foreach (var p in mine.Patterns.ToArray()) PUnsubscribe(c, p, notify);
    }

    private static void Add(Dictionary<byte[], List<Client>> map, byte[] name, Client c)
    {
        if (!map.TryGetValue(name, out var list)) map[name] = list = new List<Client>();
        list.Add(c);
    }

    private static void Remove(Dictionary<byte[], List<Client>> map, byte[] name, Client c)
    {
        if (!map.TryGetValue(name, out var list)) return;
        list.Remove(c);
        if (list.Count == 0) map.Remove(name);
    }

    /// <summary>[kind, channel or null, count]: an array in RESP2, a push in RESP3.</summary>
    private static void WriteSubscription(Client c, ReadOnlySpan<byte> kind, byte[]? channel, int count)
    {
        // A push, not a reply: CLIENT REPLY OFF does not silence it.
        c.BeginPush();
        var r = c.Reply;
        r.PushHeader(3);
        r.Bulk(kind);
        if (channel is null) r.Null(); else r.Bulk(channel);
        r.Integer(count);
        c.EndPush();
    }

    // ---- publishing ---------------------------------------------------------------------------------

    /// <summary>Delivers a message to channel subscribers and, unless <paramref name="shard"/>, matching patterns. Returns receivers.</summary>
    public int Publish(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message, bool shard = false)
    {
        int receivers = 0;
        var subscribers = shard ? _shardChannels : _channels;
        if (subscribers.Count > 0 && subscribers.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out var list))
        {
            var ch = channel.ToArray();
            var msg = message.ToArray();
            // Delivery never unsubscribes anyone (a client over its limit is closed afterwards), so the
            // lists can be walked as they are.
            foreach (var sub in list)
            {
                Deliver(sub, new Message(shard ? Kind.SMessage : Kind.Message, null, ch, msg));
                receivers++;
            }
        }
        if (shard || _patterns.Count == 0) return receivers;
        byte[]? chCopy = null, msgCopy = null;
        foreach (var (pattern, clients) in _patterns)
        {
            if (!Glob.Match(pattern, channel)) continue;
            chCopy ??= channel.ToArray();
            msgCopy ??= message.ToArray();
            foreach (var sub in clients)
            {
                Deliver(sub, new Message(Kind.PMessage, pattern, chCopy, msgCopy));
                receivers++;
            }
        }
        return receivers;
    }

    private enum Kind { Message, PMessage, SMessage }

    private readonly record struct Message(Kind Kind, byte[]? Pattern, byte[] Channel, byte[] Payload);

    private void Deliver(Client sub, Message m)
    {
        if (sub is ClientConnection conn)
        {
            if (conn.TryWriteFromOutside(m, WriteMessage)) _output.Request(conn);
        }
        else WriteMessage(sub.Reply, m);
    }

    private static void WriteMessage(ReplyBuffer r, Message m)
    {
        if (m.Kind == Kind.PMessage)
        {
            r.PushHeader(4);
            r.Bulk("pmessage"u8);
            r.Bulk(m.Pattern!);
        }
        else
        {
            r.PushHeader(3);
            r.Bulk(m.Kind == Kind.SMessage ? "smessage"u8 : "message"u8);
        }
        r.Bulk(m.Channel);
        r.Bulk(m.Payload);
    }
}
