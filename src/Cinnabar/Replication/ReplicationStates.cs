namespace Cinnabar.Replication;

/// <summary>A replica's link to its master (Redis' repl_state, grouped as ROLE reports it).</summary>
public enum MasterLinkState
{
    Connect,
    Connecting,
    /// <summary>PING, AUTH, REPLCONF and PSYNC exchanged, the sync not started yet.</summary>
    Handshake,
    /// <summary>Receiving the snapshot of a full sync.</summary>
    Sync,
    Connected,
}

/// <summary>A replica as its master sees it.</summary>
public enum ReplicaState
{
    /// <summary>Its snapshot is being prepared or sent; the stream is held back meanwhile.</summary>
    WaitBgsave,
    Online,
}

/// <summary>The texts Redis prints for the replication states (ROLE, INFO replication).</summary>
public static class ReplicationStateNames
{
    public static string RoleName(this MasterLinkState state) => state switch
    {
        MasterLinkState.Connect => "connect",
        MasterLinkState.Connecting => "connecting",
        MasterLinkState.Handshake => "handshake",
        MasterLinkState.Sync => "sync",
        _ => "connected",
    };

    public static string InfoName(this ReplicaState state) => state == ReplicaState.Online ? "online" : "wait_bgsave";
}
