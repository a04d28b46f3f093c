
namespace Cinnabar.Commands;

/// <summary>Connection commands: PING, ECHO, QUIT, SELECT, HELLO, RESET, CLIENT.</summary>
public static partial class ConnectionCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("ping", Ping);
        yield return new("echo", Echo);
        yield return new("quit", Quit);
        yield return new("hello", Hello);
        yield return new("select", Select);
        foreach (var cmd in ClientCommands()) yield return cmd;
        foreach (var cmd in TrackingCommands()) yield return cmd;
    }

    private static void Ping(Client c)
    {
        if (c.ArgCount > 2)
        {
            c.Reply.Error(Errors.WrongArgs("ping"));
            return;
        }
        if (c.IsSubscribed && c.Protocol == 2)
        {
            // In RESP2 subscribe mode replies must look like messages: [pong, argument or ""].
            c.Reply.ArrayHeader(2);
            c.Reply.Bulk("pong"u8);
            c.Reply.Bulk(c.ArgCount == 1 ? ReadOnlySpan<byte>.Empty : c.Arg(1));
            return;
        }
        if (c.ArgCount == 1) c.Reply.WriteRaw("+PONG\r\n"u8);
        else c.Reply.Bulk(c.Arg(1));
    }

    /// <summary>HELLO [protover [AUTH username password] [SETNAME clientname]]: switches RESP version, answers server facts.</summary>
    private static void Hello(Client c)
    {
        int protocol = c.Protocol;
        int next = 1;
        if (c.ArgCount >= 2)
        {
            if (!Protocol.RespNumbers.TryParseInt64(c.Arg(1), out long ver))
            {
                c.Reply.Error("ERR Protocol version is not an integer or out of range");
                return;
            }
            if (ver < 2 || ver > 3)
            {
                c.Reply.Error("NOPROTO unsupported protocol version");
                return;
            }
            protocol = (int)ver;
            next = 2;
        }
        string? setName = null;
        int authUser = 0;
        for (int j = next; j < c.ArgCount; j++)
        {
            int moreArgs = c.ArgCount - 1 - j;
            if (c.ArgIs(j, "auth"u8) && moreArgs >= 2)
            {
                authUser = j + 1;
                c.RedactArg(j + 1);
                c.RedactArg(j + 2);
                j += 2;
            }
            else if (c.ArgIs(j, "setname"u8) && moreArgs >= 1)
            {
                var name = c.Arg(++j);
                foreach (byte b in name)
                {
                    if (b < '!' || b > '~')
                    {
                        c.Reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
                        return;
                    }
                }
                setName = System.Text.Encoding.UTF8.GetString(name);
            }
            else
            {
                c.Reply.Error($"ERR Syntax error in HELLO option '{c.ArgString(j)}'");
                return;
            }
        }
        if (authUser > 0 && !c.Server.Acl.Authenticate(c, System.Text.Encoding.Latin1.GetString(c.Arg(authUser)), c.Arg(authUser + 1)))
        {
            c.Reply.Error("WRONGPASS invalid username-password pair or user is disabled.");
            return;
        }
        if (!c.Authenticated)
        {
            c.Reply.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
            return;
        }
        if (setName is not null) c.Name = setName.Length == 0 ? null : setName;
        c.Protocol = protocol;
        var r = c.Reply;
        r.MapHeader(7);
        r.Bulk("server"u8); r.Bulk("redis"u8);
        r.Bulk("version"u8); r.Bulk(CinnabarServer.RedisVersion);
        r.Bulk("proto"u8); r.Integer(protocol);
        r.Bulk("id"u8); r.Integer(c.Id);
        r.Bulk("mode"u8); r.Bulk("standalone"u8);
        r.Bulk("role"u8); r.Bulk(c.Server.KeyspaceState.IsReplica ? "replica"u8 : "master"u8);
        r.Bulk("modules"u8); r.ArrayHeader(0);
    }

    private static void Echo(Client c) => c.Reply.Bulk(c.Arg(1));

    private static void Quit(Client c)
    {
        c.Reply.Ok();
        c.Flags |= ClientFlags.CloseAfterReply;
    }

    private static void Select(Client c)
    {
        if (!Protocol.RespNumbers.TryParseInt64(c.Arg(1), out long id) || id < int.MinValue || id > int.MaxValue)
        {
            c.Reply.Error("ERR value is not an integer or out of range");
            return;
        }
        if (id < 0 || id >= c.Server.Databases.Length)
        {
            c.Reply.Error(Errors.DbIndexOutOfRange);
            return;
        }
        c.Db = c.Server.Databases[id];
        c.Reply.Ok();
    }
}
