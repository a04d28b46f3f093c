using Cinnabar.Replication;

namespace Cinnabar.Commands;

/// <summary>REPLICAOF/SLAVEOF, ROLE, WAIT, and the replication protocol's REPLCONF, PSYNC and SYNC.</summary>
public static class ReplicationCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("replicaof", ReplicaOf);
        yield return new("slaveof", ReplicaOf);
        yield return new("role", Role);
        yield return new("wait", Wait);
        yield return new("replconf", ReplConf);
        yield return new("psync", Psync);
        yield return new("sync", Sync);
    }

    private static void ReplicaOf(Client c)
    {
        var repl = c.Server.Replication;
        if (c.ArgIs(1, "no"u8) && c.ArgIs(2, "one"u8))
        {
            if (repl.IsReplica)
            {
                repl.SetNoMaster();
                c.Server.Log.Info($"MASTER MODE enabled (user request from '{c}')");
            }
            c.Reply.Ok();
            return;
        }
        if (!Protocol.RespNumbers.TryParseInt64(c.Arg(2), out long port) || port < 0 || port > 65535)
        {
            c.Reply.Error("ERR Invalid master port");
            return;
        }
        var host = c.ArgString(1);
        if (repl.Link is { } link && link.Host.Equals(host, StringComparison.OrdinalIgnoreCase) && link.Port == port)
        {
            c.Reply.SimpleString("OK Already connected to specified master"u8);
            return;
        }
        repl.SetMaster(host, (int)port);
        c.Server.Log.Info($"REPLICAOF {host}:{port} enabled (user request from '{c}')");
        c.Reply.Ok();
    }

    private static void Role(Client c) => c.Server.Replication.WriteRole(c.Reply);

    private static void Wait(Client c)
    {
        if (c.Server.Replication.IsReplica)
        {
            c.Reply.Error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.");
            return;
        }
        if (!c.TryGetLong(1, out long numReplicas)) return;
        if (!Protocol.RespNumbers.TryParseInt64(c.Arg(2), out long timeout))
        {
            c.Reply.Error("ERR timeout is not an integer or out of range");
            return;
        }
        if (timeout < 0)
        {
            c.Reply.Error("ERR timeout is negative");
            return;
        }
        c.Server.Replication.Wait(c, numReplicas, timeout);
    }

    private static void ReplConf(Client c)
    {
        if (c.ArgCount % 2 == 0)
        {
            c.SyntaxError();
            return;
        }
        var repl = c.Server.Replication;
        for (int j = 1; j < c.ArgCount; j += 2)
        {
            if (c.ArgIs(j, "listening-port"u8))
            {
                if (!c.TryGetLong(j + 1, out long port)) return;
                Info(c).ListeningPort = (int)port;
            }
            else if (c.ArgIs(j, "ip-address"u8)) Info(c).AnnouncedIp = c.ArgString(j + 1);
            else if (c.ArgIs(j, "capa"u8)) { /* eof and psync2 are both supported */ }
            else if (c.ArgIs(j, "ack"u8))
            {
                // From a replica: never answered.
                if (Protocol.RespNumbers.TryParseInt64(c.Arg(j + 1), out long offset)) repl.OnAck(c, offset);
                return;
            }
            else if (c.ArgIs(j, "getack"u8))
            {
                // From our master: answer with our offset even though replies to the master are suppressed.
                if ((c.Flags & ClientFlags.Master) != 0 && repl.Link is { } link)
                {
                    c.ForceReply = true;
                    c.Reply.WriteRaw(ReplicationManager.EncodeCommand(["REPLCONF"u8.ToArray(), "ACK"u8.ToArray(),
                        System.Text.Encoding.ASCII.GetBytes(repl.MasterReplOffset.ToString())]));
                }
                return;
            }
            else if (c.ArgIs(j, "rdb-only"u8) || c.ArgIs(j, "rdb-filter-only"u8)) { }
            else
            {
                c.Reply.Error($"ERR Unrecognized REPLCONF option: {c.ArgString(j)}");
                return;
            }
        }
        c.Reply.Ok();
    }

    private static ReplicaInfo Info(Client c)
    {
        if (c.Server.Replication.FindReplica(c) is { } existing) return existing;
        return c.PendingReplicaInfo ??= new ReplicaInfo { Connection = (Networking.ClientConnection)c };
    }

    private static void Psync(Client c)
    {
        var replId = c.ArgString(1);
        if (!Protocol.RespNumbers.TryParseInt64(c.Arg(2), out long offset)) offset = -1;
        c.Server.Replication.HandleSync(c, replId, offset, legacySync: false);
    }

    private static void Sync(Client c) => c.Server.Replication.HandleSync(c, null, -1, legacySync: true);
}
