using Cinnabar.Keyspace;

namespace Cinnabar.Blocking;

/// <summary>
/// What a blocked client is waiting to do. When one of its keys is signalled ready, <see cref="TryServe"/>
/// runs under the execution lock; it returns true when it could complete the command (having written the
/// reply into the client's buffer and performed the pop/move/read), which unblocks the client.
/// </summary>
public abstract class BlockedOperation
{
    /// <summary>Tries to complete the command now. Return false to keep waiting.</summary>
    public abstract bool TryServe(Client client, byte[] readyKey);

    /// <summary>Writes the timeout reply (the protocol's null, as the command defines).</summary>
    public abstract void ReplyTimeout(Client client);
}

/// <summary>
/// Parks clients of blocking commands (BLPOP, BZPOPMIN, XREAD BLOCK...) per (db, key), serves them in FIFO
/// order when a write makes a key ready, and times them out. Nothing polls: waiting costs no CPU.
/// All members are called under the server's execution lock.
/// </summary>
public sealed partial class BlockingManager
{
    private readonly CinnabarServer _server;

    public BlockingManager(CinnabarServer server) => _server = server;

    /// <summary>
    /// Parks <paramref name="client"/> on <paramref name="keys"/> of its current database until one is
    /// served, <paramref name="timeoutAtMs"/> (Unix ms; 0 = forever) passes, it disconnects or CLIENT UNBLOCK.
    /// The command handler writes no reply itself.
    /// </summary>
    public void Block(Client client, IReadOnlyList<byte[]> keys, long timeoutAtMs, BlockedOperation operation)
        => throw new NotImplementedException("blocking operations arrive with the lists issue");

    /// <summary>
    /// Call after a write that may satisfy blocked clients (push, add, XADD). Cheap when nobody waits.
    /// Ready keys are only recorded here; <see cref="ServeReadyKeys"/> serves them after the command.
    /// </summary>
    public void SignalKeyReady(Database db, ReadOnlySpan<byte> key) { }

    /// <summary>True when a write since the last command made a key with waiters ready.</summary>
    public bool HasReadyKeys => false;

    /// <summary>Serves clients waiting on ready keys, FIFO per key. Called by the dispatcher after each top-level command.</summary>
    public void ServeReadyKeys() { }

    /// <summary>Unblocks a client (CLIENT UNBLOCK, disconnect): with an error (-UNBLOCKED) or the timeout reply.</summary>
    public bool Unblock(Client client, bool withError) => false;
}
