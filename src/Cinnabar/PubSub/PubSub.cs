using System.Text;
using Cinnabar.Config;
using Cinnabar.Keyspace;
using Cinnabar.Networking;
using Cinnabar.Protocol;

namespace Cinnabar;

/// <summary>
/// Publish/subscribe and keyspace notifications, as Redis' pubsub.c and notify.c: channels, glob patterns
/// and shard channels; messages are written straight into each subscriber's reply buffer (a RESP3 push or
/// a RESP2 array) and sent after the publishing command, so per-publisher order holds and a slow
/// subscriber only ever costs its own buffer (bounded by client-output-buffer-limit pubsub).
/// </summary>
public sealed partial class CinnabarServer
{
    private readonly Dictionary<byte[], List<Client>> _channels = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], List<Client>> _patterns = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], List<Client>> _shardChannels = new(ByteArrayComparer.Instance);
    private bool _pubSubWired;

    internal IReadOnlyDictionary<byte[], List<Client>> ChannelSubscribers => _channels;
    internal IReadOnlyDictionary<byte[], List<Client>> ShardChannelSubscribers => _shardChannels;
    internal int PatternCount => _patterns.Count;

    private void WirePubSub()
    {
        if (_pubSubWired) return;
        _pubSubWired = true;
        ClientClosed += c => UnsubscribeAll(c, notify: false);
    }

    // ---- subscriptions ----------------------------------------------------------------------------

    internal void Subscribe(Client c, byte[] channel, bool shard)
    {
        WirePubSub();
        var mine = shard ? (c.ShardChannels ??= Client.NewChannelSet()) : (c.Channels ??= Client.NewChannelSet());
        if (mine.Add(channel)) Add(shard ? _shardChannels : _channels, channel, c);
        WriteSubscription(c, shard ? "ssubscribe"u8 : "subscribe"u8, channel, shard ? c.ShardChannels!.Count : c.SubscriptionCount);
    }

    internal void Unsubscribe(Client c, byte[] channel, bool shard, bool notify)
    {
        var mine = shard ? c.ShardChannels : c.Channels;
        if (mine is not null && mine.Remove(channel)) Remove(shard ? _shardChannels : _channels, channel, c);
        if (notify) WriteSubscription(c, shard ? "sunsubscribe"u8 : "unsubscribe"u8, channel, shard ? c.ShardChannels?.Count ?? 0 : c.SubscriptionCount);
    }

    internal void PSubscribe(Client c, byte[] pattern)
    {
        WirePubSub();
        var mine = c.Patterns ??= new();
        if (!mine.Exists(p => p.AsSpan().SequenceEqual(pattern)))
        {
            mine.Add(pattern);
            Add(_patterns, pattern, c);
        }
        WriteSubscription(c, "psubscribe"u8, pattern, c.SubscriptionCount);
    }

    internal void PUnsubscribe(Client c, byte[] pattern, bool notify)
    {
        if (c.Patterns is not null)
        {
            int i = c.Patterns.FindIndex(p => p.AsSpan().SequenceEqual(pattern));
            if (i >= 0)
            {
                c.Patterns.RemoveAt(i);
                Remove(_patterns, pattern, c);
            }
        }
        if (notify) WriteSubscription(c, "punsubscribe"u8, pattern, c.SubscriptionCount);
    }

    /// <summary>UNSUBSCRIBE/PUNSUBSCRIBE/SUNSUBSCRIBE without arguments: all of that kind (one reply each, or one with a null).</summary>
    internal void UnsubscribeAllOfKind(Client c, string kind)
    {
        int count = 0;
        switch (kind)
        {
            case "channel":
                foreach (var ch in c.Channels?.ToArray() ?? []) { Unsubscribe(c, ch, shard: false, notify: true); count++; }
                if (count == 0) WriteSubscription(c, "unsubscribe"u8, null, c.SubscriptionCount);
                break;
            case "shard":
                foreach (var ch in c.ShardChannels?.ToArray() ?? []) { Unsubscribe(c, ch, shard: true, notify: true); count++; }
                if (count == 0) WriteSubscription(c, "sunsubscribe"u8, null, c.ShardChannels?.Count ?? 0);
                break;
            default:
                foreach (var p in c.Patterns?.ToArray() ?? []) { PUnsubscribe(c, p, notify: true); count++; }
                if (count == 0) WriteSubscription(c, "punsubscribe"u8, null, c.SubscriptionCount);
                break;
        }
    }

    /// <summary>Drops every subscription (disconnect, RESET).</summary>
    public void UnsubscribeAll(Client c, bool notify)
    {
        foreach (var ch in c.Channels?.ToArray() ?? []) Unsubscribe(c, ch, shard: false, notify);
        foreach (var ch in c.ShardChannels?.ToArray() ?? []) Unsubscribe(c, ch, shard: true, notify);
        foreach (var p in c.Patterns?.ToArray() ?? []) PUnsubscribe(c, p, notify);
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
        var r = c.Reply;
        r.PushHeader(3);
        r.Bulk(kind);
        if (channel is null) r.Null(); else r.Bulk(channel);
        r.Integer(count);
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
            if (conn.TryWriteFromOutside(m, WriteMessage)) RequestFlush(conn);
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

    // ---- keyspace notifications -------------------------------------------------------------------

    /// <summary>
    /// Redis' notifyKeyspaceEvent: when the event's class is enabled, publishes the event name on
    /// __keyspace@db__:key and the key on __keyevent@db__:event. Free when notifications are off.
    /// </summary>
    public void NotifyKeyspaceEvent(NotifyFlags type, string @event, ReadOnlySpan<byte> key, int db)
    {
        KeyspaceEventHandlers?.Invoke(type, @event, key, db);
        var flags = Config.NotifyKeyspaceEvents;
        if ((flags & type) == 0) return;
        var eventBytes = Encoding.ASCII.GetBytes(@event);
        if ((flags & NotifyFlags.Keyspace) != 0)
        {
            var channel = Encoding.ASCII.GetBytes($"__keyspace@{db}__:").Concat(key.ToArray()).ToArray();
            Publish(channel, eventBytes);
        }
        if ((flags & NotifyFlags.Keyevent) != 0)
            Publish(Encoding.ASCII.GetBytes($"__keyevent@{db}__:{@event}"), key);
    }
}
