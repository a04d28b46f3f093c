namespace Cinnabar.Networking;

/// <summary>
/// Clients that received output from another client's command (a published message, the reply to an
/// unblocked BLPOP, a replica's stream) and must be flushed once the execution lock is released: socket
/// work never happens under the lock. <see cref="Request"/> runs under the lock; the dispatcher takes the
/// list with <see cref="TakePending"/> before leaving the lock and flushes it after.
/// </summary>
public sealed class OutputScheduler
{
    private List<ClientConnection> _pending = new();

    /// <summary>Schedules a send for <paramref name="c"/> (once per lock section). Call under the execution lock.</summary>
    public void Request(ClientConnection c)
    {
        if (c.FlushQueued) return;
        c.FlushQueued = true;
        _pending.Add(c);
    }

    /// <summary>
    /// Hands over the scheduled clients, or null when there are none. Call under the execution lock; a new
    /// list takes the old one's place, since another thread may fill it while the old one is flushed.
    /// </summary>
    public List<ClientConnection>? TakePending()
    {
        if (_pending.Count == 0) return null;
        foreach (var c in _pending) c.FlushQueued = false;
        var taken = _pending;
        _pending = new List<ClientConnection>();
        return taken;
    }

    /// <summary>Wakes the send loops of <paramref name="clients"/>. Call without holding the execution lock.</summary>
    public static void FlushAll(List<ClientConnection>? clients)
    {
        if (clients is null) return;
        foreach (var c in clients) c.Flush();
    }
}
