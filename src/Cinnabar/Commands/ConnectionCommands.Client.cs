using System.Text;
using Cinnabar.Config;
using Cinnabar.Networking;

namespace Cinnabar.Commands;

/// <summary>CLIENT and RESET.</summary>
public static partial class ConnectionCommands
{
    /// <summary>
    /// Run by RESET after the connection state it owns was reset: other subsystems (transactions, pub/sub,
    /// tracking) subscribe here to discard their per-client state.
    /// </summary>
    public static event Action<Client>? ResetHooks;

    private static IEnumerable<CommandBinding> ClientCommands()
    {
        yield return new("reset", Reset);
        yield return new("client|id", c => c.Reply.Integer(c.Id));
        yield return new("client|setname", ClientSetName);
        yield return new("client|getname", ClientGetName);
        yield return new("client|list", ClientList);
        yield return new("client|info", ClientInfo);
        yield return new("client|kill", ClientKill);
        yield return new("client|reply", ClientReply);
        yield return new("client|no-evict", ClientNoEvict);
        yield return new("client|pause", ClientPause);
        yield return new("client|unpause", ClientUnpause);
        yield return new("client|unblock", ClientUnblock);
        yield return new("client|help", ClientHelp);
    }

    /// <summary>CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends another client's blocking command.</summary>
    private static void ClientUnblock(Client c)
    {
        if (c.ArgCount > 4) { c.Reply.Error(Errors.WrongArgs("client|unblock")); return; }
        bool withError = false;
        if (c.ArgCount == 4)
        {
            if (c.ArgIs(3, "timeout"u8)) withError = false;
            else if (c.ArgIs(3, "error"u8)) withError = true;
            else { c.Reply.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"); return; }
        }
        if (!c.TryGetLong(2, out long id)) return;
        var target = c.Server.Clients.Find(id);
        c.Reply.Integer(target is not null && c.Server.Blocking.Unblock(target, withError) ? 1 : 0);
    }

    private static void Reset(Client c)
    {
        c.Db = c.Server.Databases[0];
        c.Protocol = 2;
        c.Name = null;
        c.Flags &= ~(ClientFlags.NoReply | ClientFlags.ReplySkip | ClientFlags.ReplySkipNext | ClientFlags.NoEvict);
        c.Server.Transactions.DiscardTransaction(c);
        c.Server.PubSub.UnsubscribeAll(c, notify: false);
        c.Server.Monitors.Remove(c);
        c.Server.Tracking.Disable(c);
        // Back to the default user, and to NOAUTH when it needs a password (Redis' clientSetDefaultAuth).
        if ((c.Flags & ClientFlags.Master) == 0) c.Server.Acl.SetDefaultAuth(c);
        ResetHooks?.Invoke(c);
        c.Reply.SimpleString("RESET"u8);
    }

    private static bool ValidName(ReadOnlySpan<byte> name)
    {
        foreach (byte b in name) if (b < '!' || b > '~') return false;
        return true;
    }

    private static void ClientSetName(Client c)
    {
        var name = c.Arg(2);
        if (!ValidName(name))
        {
            c.Reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
            return;
        }
        c.Name = name.Length == 0 ? null : Encoding.UTF8.GetString(name);
        c.Reply.Ok();
    }

    private static void ClientGetName(Client c)
    {
        if (c.Name is null) c.Reply.Null();
        else c.Reply.Bulk(c.Name);
    }

    private static void ClientInfo(Client c) => c.Reply.Verbatim(DescribeClient(c) + "\n");

    /// <summary>Parses a client type name as CLIENT LIST/KILL TYPE accept it; null when unknown.</summary>
    private static ClientType? ParseType(string s) => ConfigEnums.ClientTypes.TryParse(s, out var type) ? type : null;

    private static ClientType TypeOf(Client c) =>
        (c.Flags & ClientFlags.Master) != 0 ? ClientType.Master
        : (c.Flags & ClientFlags.Replica) != 0 ? ClientType.Replica
        : c.IsSubscribed ? ClientType.PubSub : ClientType.Normal;

    private static void ClientList(Client c)
    {
        ClientType? type = null;
        HashSet<long>? ids = null;
        if (c.ArgCount == 4 && c.ArgIs(2, "type"u8))
        {
            type = ParseType(c.ArgString(3));
            if (type is null)
            {
                c.Reply.Error($"ERR Unknown client type '{c.ArgString(3)}'");
                return;
            }
        }
        else if (c.ArgCount > 3 && c.ArgIs(2, "id"u8))
        {
            ids = new HashSet<long>();
            for (int i = 3; i < c.ArgCount; i++)
            {
                if (!Protocol.RespNumbers.TryParseInt64(c.Arg(i), out long id))
                {
                    c.Reply.Error("ERR Invalid client ID");
                    return;
                }
                ids.Add(id);
            }
        }
        else if (c.ArgCount != 2)
        {
            c.SyntaxError();
            return;
        }
        var sb = new StringBuilder();
        foreach (var other in c.Server.Clients.OrderBy(x => x.Id))
        {
            if (type is not null && TypeOf(other) != type) continue;
            if (ids is not null && !ids.Contains(other.Id)) continue;
            sb.Append(DescribeClient(other)).Append('\n');
        }
        c.Reply.Verbatim(sb.ToString());
    }

    /// <summary>One CLIENT LIST line (without the newline), fields as Redis 7.0.</summary>
    public static string DescribeClient(Client c)
    {
        var conn = c as ClientConnection;
        long now = Keyspace.KeyspaceState.WallClockMs();
        var flags = new StringBuilder();
        if ((c.Flags & ClientFlags.Replica) != 0) flags.Append('S');
        if ((c.Flags & ClientFlags.Monitor) != 0) flags.Append('O');
        if ((c.Flags & ClientFlags.Master) != 0) flags.Append('M');
        if (c.IsSubscribed) flags.Append('P');
        if ((c.Flags & ClientFlags.Multi) != 0) flags.Append('x');
        if ((c.Flags & ClientFlags.Blocked) != 0) flags.Append('b');
        if (c.Tracking is { On: true } tracking)
        {
            flags.Append('t');
            if (tracking.BrokenRedirect) flags.Append('R');
            if (tracking.Bcast) flags.Append('B');
        }
        if ((c.Flags & ClientFlags.DirtyCas) != 0) flags.Append('d');
        if ((c.Flags & ClientFlags.CloseAfterReply) != 0) flags.Append('c');
        if (conn?.IsUnixSocket == true) flags.Append('U');
        if ((c.Flags & ClientFlags.NoEvict) != 0) flags.Append('e');
        if (flags.Length == 0) flags.Append('N');
        long qbuf = conn?.QueryBufferLength ?? 0;
        long omem = conn?.PendingOutput ?? 0;
        var cmd = c.CurrentCommand ?? c.LastCommand;
        return $"id={c.Id} addr={c.Address} laddr={c.LocalAddress} fd={conn?.Fd ?? -1} name={c.Name} " +
               $"age={(now - c.CreatedAtMs) / 1000} idle={(now - c.LastInteractionMs) / 1000} flags={flags} db={c.DbIndex} " +
               $"sub={c.Subscriptions?.Channels.Count ?? 0} psub={c.Subscriptions?.Patterns.Count ?? 0} ssub={c.Subscriptions?.ShardChannels.Count ?? 0} multi={((c.Flags & ClientFlags.Multi) != 0 ? c.Transaction?.Queued.Count ?? 0 : -1)} " +
               $"qbuf={qbuf} qbuf-free={conn?.QueryBufferFree ?? 0} argv-mem=0 multi-mem=0 rbs={c.Reply.Capacity} rbp={c.Reply.Capacity} " +
               $"obl={Math.Min(omem, 16384)} oll=0 omem={omem} tot-mem={qbuf + c.Reply.Capacity + omem} events=r cmd={cmd?.FullName ?? "NULL"} " +
               $"user={c.User?.Name ?? "(superuser)"} redir={(c.Tracking is { On: true } t ? t.Redirect : -1)} resp={c.Protocol}";
    }

    private static void ClientKill(Client c)
    {
        var s = c.Server;
        // Legacy form: CLIENT KILL ip:port, answers +OK or an error.
        if (c.ArgCount == 3)
        {
            var addr = c.ArgString(2);
            var target = s.Clients.FirstOrDefault(x => x.Address == addr);
            if (target is null)
            {
                c.Reply.Error("ERR No such client");
                return;
            }
            Kill(c, target);
            c.Reply.Ok();
            return;
        }
        if ((c.ArgCount - 2) % 2 != 0)
        {
            c.SyntaxError();
            return;
        }
        long id = 0;
        ClientType? type = null;
        string? addrFilter = null, laddrFilter = null, user = null;
        Security.AclUser? userFilter = null;
        bool skipMe = true;
        for (int i = 2; i < c.ArgCount; i += 2)
        {
            if (c.ArgIs(i, "id"u8))
            {
                if (!Protocol.RespNumbers.TryParseInt64(c.Arg(i + 1), out id) || id <= 0)
                {
                    c.Reply.Error("ERR client-id should be greater than 0");
                    return;
                }
            }
            else if (c.ArgIs(i, "type"u8))
            {
                type = ParseType(c.ArgString(i + 1));
                if (type is null)
                {
                    c.Reply.Error($"ERR Unknown client type '{c.ArgString(i + 1)}'");
                    return;
                }
            }
            else if (c.ArgIs(i, "addr"u8)) addrFilter = c.ArgString(i + 1);
            else if (c.ArgIs(i, "laddr"u8)) laddrFilter = c.ArgString(i + 1);
            else if (c.ArgIs(i, "user"u8))
            {
                user = Encoding.Latin1.GetString(c.Arg(i + 1));
                userFilter = s.Acl.Find(user);
                if (userFilter is null)
                {
                    c.Reply.Error($"ERR No such user '{user}'");
                    return;
                }
            }
            else if (c.ArgIs(i, "skipme"u8))
            {
                if (c.ArgIs(i + 1, "yes"u8)) skipMe = true;
                else if (c.ArgIs(i + 1, "no"u8)) skipMe = false;
                else { c.SyntaxError(); return; }
            }
            else { c.SyntaxError(); return; }
        }
        var victims = new List<Client>();
        foreach (var other in s.Clients)
        {
            if (id != 0 && other.Id != id) continue;
            if (type is not null && TypeOf(other) != type) continue;
            if (addrFilter is not null && other.Address != addrFilter) continue;
            if (laddrFilter is not null && other.LocalAddress != laddrFilter) continue;
            if (userFilter is not null && other.User != userFilter) continue;
            if (skipMe && other == c) continue;
            victims.Add(other);
        }
        foreach (var v in victims) Kill(c, v);
        c.Reply.Integer(victims.Count);
    }

    private static void Kill(Client caller, Client victim)
    {
        if (victim == caller) caller.Flags |= ClientFlags.CloseAfterReply;
        // Gone before the reply, as Redis' freeClient: CLIENT LIST and INFO no longer show it.
        else (victim as ClientConnection)?.Close();
    }

    private static void ClientReply(Client c)
    {
        if (c.ArgIs(2, "on"u8))
        {
            c.Flags &= ~(ClientFlags.NoReply | ClientFlags.ReplySkip);
            c.Reply.Ok();
        }
        else if (c.ArgIs(2, "off"u8)) c.Flags |= ClientFlags.NoReply;
        else if (c.ArgIs(2, "skip"u8))
        {
            if ((c.Flags & ClientFlags.NoReply) == 0) c.Flags |= ClientFlags.ReplySkipNext;
        }
        else c.SyntaxError();
    }

    private static void ClientNoEvict(Client c)
    {
        if (c.ArgIs(2, "on"u8)) c.Flags |= ClientFlags.NoEvict;
        else if (c.ArgIs(2, "off"u8)) c.Flags &= ~ClientFlags.NoEvict;
        else { c.SyntaxError(); return; }
        c.Reply.Ok();
    }

    private static void ClientPause(Client c)
    {
        if (!Protocol.RespNumbers.TryParseInt64(c.Arg(2), out long ms))
        {
            c.Reply.Error("ERR timeout is not an integer or out of range");
            return;
        }
        if (ms < 0)
        {
            c.Reply.Error("ERR timeout is negative");
            return;
        }
        bool writeOnly = false;
        if (c.ArgCount == 4)
        {
            if (c.ArgIs(3, "write"u8)) writeOnly = true;
            else if (!c.ArgIs(3, "all"u8))
            {
                c.Reply.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
                return;
            }
        }
        else if (c.ArgCount > 4)
        {
            c.Reply.Error($"ERR unknown subcommand or wrong number of arguments for '{c.ArgString(1)}'. Try CLIENT HELP.");
            return;
        }
        c.Server.Pause.Pause(Keyspace.KeyspaceState.WallClockMs() + ms, writeOnly);
        c.Reply.Ok();
    }

    private static void ClientUnpause(Client c)
    {
        c.Server.Pause.Pause(0, false);
        c.Reply.Ok();
    }

    private static void ClientHelp(Client c)
    {
        string[] lines =
        [
            "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "HELP",
            "    Prints this help.",
        ];
        c.Reply.ArrayHeader(lines.Length);
        foreach (var l in lines) c.Reply.SimpleString(l);
    }
}
