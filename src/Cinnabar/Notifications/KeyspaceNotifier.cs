using System.Text;
using Cinnabar.Config;
using Cinnabar.PubSub;

namespace Cinnabar.Notifications;

/// <summary>
/// Keyspace notifications, as Redis' notify.c: when an event's class is enabled in notify-keyspace-events,
/// the event name is published on <c>__keyspace@db__:key</c> and the key on <c>__keyevent@db__:event</c>.
/// Free when notifications are off. Runs under the execution lock.
/// </summary>
public sealed class KeyspaceNotifier
{
    private readonly ServerConfig _config;
    private readonly PubSubHub _pubSub;
    private (string Text, NotifyFlags Flags)? _flagsCache;

    public KeyspaceNotifier(ServerConfig config, PubSubHub pubSub)
    {
        _config = config;
        _pubSub = pubSub;
    }

    public delegate void EventObserver(NotifyFlags type, string @event, ReadOnlySpan<byte> key, int db);

    /// <summary>Sees every event whether or not notifications are enabled (tests observe the server through it).</summary>
    public event EventObserver? Observed;

    /// <summary>True when some event class is enabled: callers may skip building an event's arguments otherwise.</summary>
    public bool Enabled => _config.NotifyKeyspaceEvents.Length != 0;

    /// <summary>Redis' notifyKeyspaceEvent.</summary>
    public void Notify(NotifyFlags type, string @event, ReadOnlySpan<byte> key, int db)
    {
        Observed?.Invoke(type, @event, key, db);
        if (_config.NotifyKeyspaceEvents.Length == 0) return;
        var flags = EnabledFlags();
        if ((flags & type) == 0) return;
        var eventBytes = Encoding.ASCII.GetBytes(@event);
        if ((flags & NotifyFlags.Keyspace) != 0)
        {
            var channel = Encoding.ASCII.GetBytes($"__keyspace@{db}__:").Concat(key.ToArray()).ToArray();
            _pubSub.Publish(channel, eventBytes);
        }
        if ((flags & NotifyFlags.Keyevent) != 0)
            _pubSub.Publish(Encoding.ASCII.GetBytes($"__keyevent@{db}__:{@event}"), key);
    }

    /// <summary>notify-keyspace-events as flags, re-parsed only when the setting changes.</summary>
    private NotifyFlags EnabledFlags()
    {
        var text = _config.NotifyKeyspaceEvents;
        if (_flagsCache is { } c && ReferenceEquals(c.Text, text)) return c.Flags;
        NotifyKeyspaceEventsParser.TryParse(text, out var flags);
        _flagsCache = (text, flags);
        return flags;
    }
}
