using F = Cinnabar.Commands.CommandFlags;
using A = Cinnabar.Commands.AclCategories;

namespace Cinnabar.Commands;

/// <summary>Connection commands: PING, ECHO, QUIT, SELECT, HELLO, RESET, CLIENT.</summary>
public static class ConnectionCommands
{
    public static IEnumerable<CommandDef> Commands()
    {
        yield return new("ping", -1, F.Fast | F.Stale | F.Loading | F.AllowedInPubSub, A.Fast | A.Connection, 0, 0, 0, Ping, "connection");
        yield return new("echo", 2, F.Fast | F.Stale | F.Loading, A.Fast | A.Connection, 0, 0, 0, Echo, "connection");
        yield return new("quit", -1, F.AllowBusy | F.NoScript | F.Loading | F.Stale | F.Fast | F.NoAuth | F.AllowedInPubSub, A.Fast | A.Connection, 0, 0, 0, Quit, "connection");
        yield return new("select", 2, F.Loading | F.Stale | F.Fast, A.Fast | A.Connection, 0, 0, 0, Select, "connection");
    }

    private static void Ping(Client c)
    {
        if (c.ArgCount > 2)
        {
            c.Reply.Error(Errors.WrongArgs("ping"));
            return;
        }
        if (c.ArgCount == 1) c.Reply.WriteRaw("+PONG\r\n"u8);
        else c.Reply.Bulk(c.Arg(1));
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
