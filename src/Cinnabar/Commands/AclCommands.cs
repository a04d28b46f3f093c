using System.Security.Cryptography;
using System.Text;
using Cinnabar.Networking;
using Cinnabar.Protocol;
using Cinnabar.Security;

namespace Cinnabar.Commands;

/// <summary>AUTH and ACL (Redis 7.0's acl.c commands). The users and checks live in <see cref="AclManager"/>.</summary>
public static class AclCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("auth", Auth);
        yield return new("acl|setuser", SetUser);
        yield return new("acl|getuser", GetUser);
        yield return new("acl|deluser", DelUser);
        yield return new("acl|list", List);
        yield return new("acl|users", Users);
        yield return new("acl|whoami", c => WithArgCount(c, 2, () => c.Reply.Bulk(c.User?.Name ?? "default")));
        yield return new("acl|cat", Cat);
        yield return new("acl|genpass", GenPass);
        yield return new("acl|log", Log);
        yield return new("acl|dryrun", DryRun);
        yield return new("acl|load", Load);
        yield return new("acl|save", Save);
        yield return new("acl|help", c => WithArgCount(c, 2, () => Help(c)));
    }

    /// <summary>User names, passwords and rules as text: Latin-1 keeps every byte as one char, so nothing is lost.</summary>
    private static string Text(Client c, int i) => Encoding.Latin1.GetString(c.Arg(i));

    /// <summary>ACL subcommands check their exact argument count themselves, as Redis' aclCommand does.</summary>
    private static void WithArgCount(Client c, int count, Action run)
    {
        if (c.ArgCount != count) SubcommandSyntaxError(c);
        else run();
    }

    private static void SubcommandSyntaxError(Client c) =>
        c.Reply.Error($"ERR unknown subcommand or wrong number of arguments for '{Truncate(Text(c, 1), 128)}'. Try ACL HELP.");

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

    // ---- AUTH ---------------------------------------------------------------------------------------

    private static void Auth(Client c)
    {
        if (c.ArgCount > 3)
        {
            c.SyntaxError();
            return;
        }
        c.RedactArgsFrom(1);
        var acl = c.Server.Acl;
        string user;
        int passwordArg;
        if (c.ArgCount == 2)
        {
            // As Redis: the one-argument form with no password configured is a configuration mistake.
            if (acl.Default.NoPass)
            {
                c.Reply.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
                return;
            }
            user = "default";
            passwordArg = 1;
        }
        else
        {
            user = Text(c, 1);
            passwordArg = 2;
        }
        if (acl.Authenticate(c, user, c.Arg(passwordArg))) c.Reply.Ok();
        else c.Reply.Error("WRONGPASS invalid username-password pair or user is disabled.");
    }

    // ---- users ------------------------------------------------------------------------------------------

    private static void SetUser(Client c)
    {
        // The user name too, as Redis: nothing about users reaches MONITOR or SLOWLOG.
        c.RedactArgsFrom(2);
        var name = Text(c, 2);
        if (name.AsSpan().IndexOfAny(' ', '\0') >= 0)
        {
            c.Reply.Error("ERR Usernames can't contain spaces or null characters");
            return;
        }
        var acl = c.Server.Acl;
        var args = new List<string>();
        for (int i = 3; i < c.ArgCount; i++) args.Add(Text(c, i));
        var (ops, unmatched) = AclManager.MergeSelectorArguments(args);
        if (ops is null)
        {
            c.Reply.Error($"ERR Unmatched parenthesis in acl selector starting at '{unmatched}'.");
            return;
        }
        // All rules are staged on a copy: one bad rule changes nothing.
        var existing = acl.Find(name);
        var staged = existing?.Clone() ?? new AclUser(name, acl.PubSubDefaultAll);
        foreach (var op in ops)
        {
            var error = staged.Apply(c.Server.Commands, op, acl.PubSubDefaultAll);
            if (error is not null)
            {
                c.Reply.Error($"ERR Error in ACL SETUSER modifier '{op}': {error}");
                return;
            }
        }
        if (existing is not null) acl.KillPubSubClientsIfNeeded(c, staged, existing);
        acl.Store(staged);
        c.Reply.Ok();
    }

    private static void GetUser(Client c)
    {
        var u = c.Server.Acl.Find(Text(c, 2));
        if (u is null)
        {
            c.Reply.Null();
            return;
        }
        var r = c.Reply;
        var table = c.Server.Commands;
        r.MapHeader(6);
        r.Bulk("flags"u8);
        var flags = u.FlagNames().ToList();
        r.SetHeader(flags.Count);
        foreach (var f in flags) r.Bulk(f);
        r.Bulk("passwords"u8);
        r.ArrayHeader(u.Passwords.Count);
        foreach (var p in u.Passwords) r.Bulk(p);
        WriteSelector(r, u.Root, table);
        r.Bulk("selectors"u8);
        r.ArrayHeader(u.Selectors.Count - 1);
        for (int i = 1; i < u.Selectors.Count; i++)
        {
            r.MapHeader(3);
            WriteSelector(r, u.Selectors[i], table);
        }
    }

    /// <summary>Redis' aclAddReplySelectorDescription: commands, keys, channels.</summary>
    private static void WriteSelector(ReplyBuffer r, AclSelector s, CommandTable table)
    {
        r.Bulk("commands"u8);
        r.Bulk(s.DescribeCommandRules(table));
        r.Bulk("keys"u8);
        r.Bulk(Encoding.Latin1.GetBytes(s.DescribeKeys()));
        r.Bulk("channels"u8);
        r.Bulk(Encoding.Latin1.GetBytes(s.DescribeChannels()));
    }

    private static void DelUser(Client c)
    {
        for (int i = 2; i < c.ArgCount; i++)
        {
            if (Text(c, i) == "default")
            {
                c.Reply.Error("ERR The 'default' user cannot be removed");
                return;
            }
        }
        int deleted = 0;
        AclManager.SetCurrent(c);
        for (int i = 2; i < c.ArgCount; i++)
            if (c.Server.Acl.Delete(Text(c, i))) deleted++;
        AclManager.SetCurrent(null);
        c.Reply.Integer(deleted);
    }

    private static void List(Client c) => WithArgCount(c, 2, () =>
    {
        var users = c.Server.Acl.Users.ToList();
        c.Reply.ArrayHeader(users.Count);
        foreach (var u in users) c.Reply.Bulk(Encoding.Latin1.GetBytes($"user {u.Name} {u.Describe(c.Server.Commands)}"));
    });

    private static void Users(Client c) => WithArgCount(c, 2, () =>
    {
        var users = c.Server.Acl.Users.ToList();
        c.Reply.ArrayHeader(users.Count);
        foreach (var u in users) c.Reply.Bulk(Encoding.Latin1.GetBytes(u.Name));
    });

    private static void Cat(Client c)
    {
        if (c.ArgCount == 2)
        {
            c.Reply.ArrayHeader(CommandDef.AclNames.Length);
            foreach (var (_, name) in CommandDef.AclNames) c.Reply.Bulk(name);
            return;
        }
        if (c.ArgCount != 3)
        {
            SubcommandSyntaxError(c);
            return;
        }
        var cat = AclSelector.CategoryByName(Text(c, 2));
        if (cat == AclCategories.None)
        {
            c.Reply.Error($"ERR Unknown category '{Truncate(Text(c, 2), 128)}'");
            return;
        }
        var names = new List<string>();
        foreach (var cmd in c.Server.Commands.All)
        {
            if ((cmd.Acl & cat) != 0) names.Add(cmd.FullName);
            if (cmd.Subcommands is not null)
                foreach (var sub in cmd.Subcommands)
                    if ((sub.Acl & cat) != 0) names.Add(sub.FullName);
        }
        c.Reply.ArrayHeader(names.Count);
        foreach (var n in names) c.Reply.Bulk(n);
    }

    private static void GenPass(Client c)
    {
        if (c.ArgCount > 3)
        {
            SubcommandSyntaxError(c);
            return;
        }
        long bits = 256;
        if (c.ArgCount == 3 && !c.TryGetLong(2, out bits)) return;
        if (bits <= 0 || bits > 4096)
        {
            c.Reply.Error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096");
            return;
        }
        int chars = (int)((bits + 3) / 4);
        var hex = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes((chars + 1) / 2));
        c.Reply.Bulk(hex[..chars]);
    }

    private static void Log(Client c)
    {
        if (c.ArgCount > 3)
        {
            SubcommandSyntaxError(c);
            return;
        }
        var log = c.Server.Acl.Log;
        long count = 10;
        if (c.ArgCount == 3)
        {
            if (c.ArgIs(2, "reset"u8))
            {
                log.Entries.Clear();
                c.Reply.Ok();
                return;
            }
            if (!c.TryGetLong(2, out count)) return;
            if (count < 0) count = 0;
        }
        long now = Keyspace.KeyspaceState.WallClockMs();
        int n = (int)Math.Min(count, log.Entries.Count);
        var r = c.Reply;
        r.ArrayHeader(n);
        foreach (var e in log.Entries)
        {
            if (n-- == 0) break;
            r.MapHeader(7);
            r.Bulk("count"u8); r.Integer(e.Count);
            r.Bulk("reason"u8); r.Bulk(e.Reason);
            r.Bulk("context"u8); r.Bulk(e.Context);
            r.Bulk("object"u8); r.Bulk(e.Object);
            r.Bulk("username"u8); r.Bulk(Encoding.Latin1.GetBytes(e.Username));
            r.Bulk("age-seconds"u8); r.Double((now - e.CreatedMs) / 1000.0);
            r.Bulk("client-info"u8); r.Bulk(e.ClientInfo);
        }
    }

    /// <summary>ACL DRYRUN user command args...: the check dispatch would make, with the key or channel named.</summary>
    private static void DryRun(Client c)
    {
        var acl = c.Server.Acl;
        var u = acl.Find(Text(c, 2));
        if (u is null)
        {
            c.Reply.Error($"ERR User '{Text(c, 2)}' not found");
            return;
        }
        // Redis' lookupCommand: a container with more arguments means its subcommand.
        var cmd = c.Server.Commands.Find(c.Arg(3));
        if (cmd?.Subcommands is not null && c.ArgCount > 4) cmd = CommandTable.FindSubcommand(cmd, c.Arg(4));
        if (cmd is null)
        {
            c.Reply.Error($"ERR Command '{Text(c, 3)}' not found");
            return;
        }
        if (!cmd.ArityMatches(c.ArgCount - 3))
        {
            c.Reply.Error($"ERR wrong number of arguments for '{cmd.FullName}' command");
            return;
        }
        c.ShiftArgs(3);
        var denial = acl.Check(u, cmd, c, out int position);
        string? arg = denial is AclDenial.Key or AclDenial.Channel ? Encoding.Latin1.GetString(c.Arg(position)) : null;
        c.ShiftArgs(-3);
        switch (denial)
        {
            case AclDenial.None: c.Reply.Ok(); break;
            case AclDenial.Command: c.Reply.Bulk($"This user has no permissions to run the '{cmd.FullName}' command"); break;
            case AclDenial.Key: c.Reply.Bulk(Encoding.Latin1.GetBytes($"This user has no permissions to access the '{arg}' key")); break;
            default: c.Reply.Bulk(Encoding.Latin1.GetBytes($"This user has no permissions to access the '{arg}' channel")); break;
        }
    }

    private const string NoAclFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

    private static void Load(Client c) => WithArgCount(c, 2, () =>
    {
        var path = c.Server.Config.AclFile;
        if (path.Length == 0)
        {
            c.Reply.Error(NoAclFile);
            return;
        }
        AclManager.SetCurrent(c);
        var error = c.Server.Acl.LoadFile(path);
        AclManager.SetCurrent(null);
        if (error is null) c.Reply.Ok();
        else c.Reply.Error("ERR " + error);
    });

    private static void Save(Client c) => WithArgCount(c, 2, () =>
    {
        var path = c.Server.Config.AclFile;
        if (path.Length == 0)
        {
            c.Reply.Error(NoAclFile);
            return;
        }
        var error = c.Server.Acl.SaveFile(path);
        if (error is null) c.Reply.Ok();
        else c.Reply.Error("ERR There was an error trying to save the ACLs. Please check the server logs for more information");
    });

    private static void Help(Client c)
    {
        string[] lines =
        [
            "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
            "HELP",
            "    Prints this help.",
        ];
        c.Reply.ArrayHeader(lines.Length);
        foreach (var l in lines) c.Reply.SimpleString(l);
    }
}
