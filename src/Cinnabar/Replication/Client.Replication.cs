using Cinnabar.Replication;

namespace Cinnabar;

public partial class Client
{
    /// <summary>Replication offset after this client's last write (what WAIT waits for).</summary>
    public long LastWriteOffset;

    /// <summary>Set by a command that must answer even our master (REPLCONF GETACK).</summary>
    public bool ForceReply;

    /// <summary>Set by a handler that already propagated its effect (rewritten) instead of its verbatim arguments.</summary>
    public bool PropagateOverride;

    /// <summary>What a replica told us with REPLCONF before its PSYNC.</summary>
    internal ReplicaInfo? PendingReplicaInfo;

    /// <summary>
    /// True when a rewritten effect passed to <see cref="Propagate"/> would reach anyone: handlers check it
    /// before building one, so commands allocate nothing for replication when there is no stream.
    /// </summary>
    public bool ReplicationWanted => Server.Replication.HasStreamConsumers && !Server.Replication.IsReplica;

    /// <summary>Propagates the command as it is even though it changed no data (PUBLISH).</summary>
    public void PropagateVerbatim()
    {
        PropagateOverride = true;
        Server.Replication.PropagateVerbatim(this);
    }

    /// <summary>Propagates <paramref name="argv"/> as this command's effect instead of the command itself.</summary>
    public void Propagate(params byte[][] argv)
    {
        PropagateOverride = true;
        Server.Replication.Propagate(DbIndex, argv);
    }
}
