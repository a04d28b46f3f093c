namespace Cinnabar.Replication;

/// <summary>
/// Where an effect goes (Redis' PROPAGATE_AOF and PROPAGATE_REPL): PUBLISH reaches replicas only; a script
/// chooses with redis.set_repl (REPL_AOF, REPL_REPLICA, REPL_ALL, REPL_NONE, with the same values).
/// </summary>
[Flags]
public enum PropagationTargets
{
    None = 0,
    Aof = 1,
    Replicas = 2,
    All = Aof | Replicas,
}
