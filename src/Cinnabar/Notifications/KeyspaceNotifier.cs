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

    public KeyspaceNotifier(ServerConfig config, PubSubHub pubSub)
    {
        _config = config;
        _pubSub = pubSub;
    }

    public delegate void EventObserver(NotifyFlags type, string @event, ReadOnlySpan<byte> key, int db);

    /// <summary>Sees every event whether or not notifications are enabled (tests observe the server through it).</summary>
    public event EventObserver? Observed;

    /// <summary>True when some event class is enabled: callers may skip building an event's arguments otherwise.</summary>
    public bool Enabled => _config.NotifyKeyspaceEvents != NotifyFlags.None;

    /// <summary>Redis' notifyKeyspaceEvent.</summary>
    public void Notify(NotifyFlags type, string @event, ReadOnlySpan<byte> key, int db)
    {
        Observed?.Invoke(type, @event, key, db);
        var flags = _config.NotifyKeyspaceEvents;
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
}
