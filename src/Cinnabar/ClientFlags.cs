namespace Cinnabar;

[Flags]
public enum ClientFlags
{
    None = 0,
    /// <summary>Close the connection once the pending replies are written (QUIT, protocol errors, CLIENT KILL).</summary>
    CloseAfterReply = 1 << 0,
    /// <summary>Inside MULTI.</summary>
    Multi = 1 << 1,
    /// <summary>A watched key was touched: EXEC will fail.</summary>
    DirtyCas = 1 << 2,
    /// <summary>An error while queueing: EXEC will abort.</summary>
    DirtyExec = 1 << 3,
    /// <summary>Waiting in a blocking command.</summary>
    Blocked = 1 << 4,
    /// <summary>The connection from our master (replication stream).</summary>
    Master = 1 << 5,
    /// <summary>A replica connected to us.</summary>
    Replica = 1 << 6,
    /// <summary>No reply is sent (CLIENT REPLY OFF, the master link).</summary>
    NoReply = 1 << 7,
    /// <summary>Internal client without a connection (scripts, loading).</summary>
    Fake = 1 << 8,
    /// <summary>Being closed; nothing more is executed.</summary>
    Closing = 1 << 9,
    /// <summary>CLIENT REPLY SKIP was the last command: the next command's reply is dropped.</summary>
    ReplySkipNext = 1 << 10,
    /// <summary>The reply of the command being executed is dropped (CLIENT REPLY SKIP).</summary>
    ReplySkip = 1 << 11,
    /// <summary>CLIENT NO-EVICT ON.</summary>
    NoEvict = 1 << 12,
    /// <summary>In MONITOR mode: receives every command other clients execute.</summary>
    Monitor = 1 << 13,
}
