using System.Text;
using Cinnabar.Keyspace;

namespace Cinnabar.Commands;

/// <summary>COMMAND and its subcommands, generated from the command table.</summary>
public static partial class ServerCommands
{
    private static void CommandAll(Client c)
    {
        if (c.ArgCount != 1) { c.Reply.Error(Errors.WrongArgs("command")); return; }
        var all = c.Server.Commands.All;
        c.Reply.ArrayHeader(all.Count);
        foreach (var cmd in all) WriteCommandInfo(c, cmd);
    }

    private static void CommandCount(Client c) => c.Reply.Integer(c.Server.Commands.Count);

    private static void CommandInfo(Client c)
    {
        if (c.ArgCount == 2) { CommandAllInfo(c); return; }
        c.Reply.ArrayHeader(c.ArgCount - 2);
        for (int i = 2; i < c.ArgCount; i++)
        {
            var cmd = LookupFullName(c.Server, c.Arg(i));
            if (cmd is null) c.Reply.Null();
            else WriteCommandInfo(c, cmd);
        }
    }

    private static void CommandAllInfo(Client c)
    {
        var all = c.Server.Commands.All;
        c.Reply.ArrayHeader(all.Count);
        foreach (var cmd in all) WriteCommandInfo(c, cmd);
    }

    /// <summary>"get" or "config|get" (as COMMAND INFO and DOCS accept them).</summary>
    private static CommandDef? LookupFullName(CinnabarServer s, ReadOnlySpan<byte> name)
    {
        int bar = name.IndexOf((byte)'|');
        if (bar < 0) return s.Commands.Find(name);
        var parent = s.Commands.Find(name[..bar]);
        if (parent?.Subcommands is null) return null;
        return CommandTable.FindSubcommand(parent, name[(bar + 1)..]);
    }

    private static void WriteCommandInfo(Client c, CommandDef cmd)
    {
        var r = c.Reply;
        r.ArrayHeader(10);
        r.Bulk(cmd.FullName);
        r.Integer(cmd.Arity);
        int nflags = 0;
        foreach (var (flag, _) in CommandDef.FlagNames) if (cmd.HasFlag(flag)) nflags++;
        r.SetHeader(nflags);
        foreach (var (flag, name) in CommandDef.FlagNames) if (cmd.HasFlag(flag)) r.SimpleString(name);
        r.Integer(cmd.FirstKey);
        r.Integer(cmd.LastKey);
        r.Integer(cmd.Step);
        int ncats = 0;
        foreach (var (cat, _) in CommandDef.AclNames) if ((cmd.Acl & cat) != 0) ncats++;
        r.SetHeader(ncats);
        foreach (var (cat, name) in CommandDef.AclNames) if ((cmd.Acl & cat) != 0) r.SimpleString("@" + name);
        var tips = cmd.Description.Tips;
        r.SetHeader(tips.Length);
        foreach (var t in tips) r.Bulk(t);
        r.SetHeader(cmd.KeySpecs.Length);
        foreach (var spec in cmd.KeySpecs) spec.Write(r);
        // Redis answers an empty set for "no subcommands" but an array of them otherwise.
        if (cmd.Subcommands is not { } subs) r.SetHeader(0);
        else
        {
            r.ArrayHeader(subs.Length);
            foreach (var s in subs) WriteCommandInfo(c, s);
        }
    }

    private static void CommandDocs(Client c)
    {
        var list = new List<CommandDef>();
        if (c.ArgCount == 2) list.AddRange(c.Server.Commands.All);
        else
            for (int i = 2; i < c.ArgCount; i++)
                if (LookupFullName(c.Server, c.Arg(i)) is { } cmd) list.Add(cmd);
        c.Reply.MapHeader(list.Count);
        foreach (var cmd in list)
        {
            c.Reply.Bulk(cmd.FullName);
            WriteDocs(c, cmd);
        }
    }

    private static void WriteDocs(Client c, CommandDef cmd)
    {
        cmd.Description.WriteDocs(c.Reply, cmd.Subcommands is null ? 0 : 1);
        WriteSubcommandDocs(c, cmd);
    }

    private static void WriteSubcommandDocs(Client c, CommandDef cmd)
    {
        var r = c.Reply;
        if (cmd.Subcommands is not null)
        {
            r.Bulk("subcommands"u8);
            r.MapHeader(cmd.Subcommands.Length);
            foreach (var s in cmd.Subcommands)
            {
                r.Bulk(s.FullName);
                WriteDocs(c, s);
            }
        }
    }

    private static void CommandList(Client c)
    {
        var names = new List<string>();
        Func<CommandDef, bool> filter = _ => true;
        if (c.ArgCount == 5 && c.ArgIs(2, "filterby"u8))
        {
            var value = c.ArgString(4);
            if (c.ArgIs(3, "module"u8)) filter = _ => false;
            else if (c.ArgIs(3, "aclcat"u8))
            {
                var cat = CommandDef.AclNames.FirstOrDefault(x => x.Name.Equals(value, StringComparison.OrdinalIgnoreCase)).Cat;
                filter = cmd => cat != AclCategories.None && (cmd.Acl & cat) != 0;
            }
            else if (c.ArgIs(3, "pattern"u8))
            {
                var pattern = Encoding.UTF8.GetBytes(value);
                filter = cmd => Glob.Match(pattern, Encoding.UTF8.GetBytes(cmd.FullName), ignoreCase: true);
            }
            else { c.SyntaxError(); return; }
        }
        else if (c.ArgCount != 2) { c.SyntaxError(); return; }
        foreach (var cmd in c.Server.Commands.All)
        {
            if (filter(cmd)) names.Add(cmd.FullName);
            if (cmd.Subcommands is not null)
                foreach (var s in cmd.Subcommands) if (filter(s)) names.Add(s.FullName);
        }
        c.Reply.ArrayHeader(names.Count);
        foreach (var n in names) c.Reply.Bulk(n);
    }

    /// <summary>COMMAND GETKEYS / GETKEYSANDFLAGS: Redis' getKeysSubcommandImpl over the named command's key specs.</summary>
    private static void CommandGetKeys(Client c, bool withFlags)
    {
        var cmd = c.Server.Commands.Find(c.Arg(2));
        if (cmd?.Subcommands is not null && c.ArgCount >= 4)
            cmd = CommandTable.FindSubcommand(cmd, c.Arg(3));
        if (cmd is null)
        {
            c.Reply.Error("ERR Invalid command specified");
            return;
        }
        if (!cmd.HasKeys)
        {
            c.Reply.Error("ERR The command has no key arguments");
            return;
        }
        int argc = c.ArgCount - 2;
        if (!cmd.ArityMatches(argc))
        {
            c.Reply.Error("ERR Invalid number of arguments specified for command");
            return;
        }
        // Key specs and finders read the client's arguments: present the inner command as the current one.
        var keys = new List<KeyReference>();
        var (buffer, slices) = c.CopyArgs();
        int total = c.ArgCount;
        c.SetArgs(buffer, slices, 2, argc);
        int found = cmd.GetKeys(c, keys);
        c.SetArgs(buffer, slices, 0, total);
        // -1 (specs that do not apply, no procedure) answers an empty array in Redis, not the error.
        if (found == 0)
        {
            if (cmd.HasFlag(CommandFlags.NoMandatoryKeys)) c.Reply.ArrayHeader(0);
            else c.Reply.Error("ERR Invalid arguments specified for command");
            return;
        }
        c.Reply.ArrayHeader(keys.Count);
        foreach (var key in keys)
        {
            if (withFlags)
            {
                c.Reply.ArrayHeader(2);
                c.Reply.Bulk(c.Arg(key.Position + 2));
                KeySpec.WriteFlags(c.Reply, key.Flags);
            }
            else c.Reply.Bulk(c.Arg(key.Position + 2));
        }
    }

    private static void CommandHelp(Client c) => WriteHelp(c, "COMMAND",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.");
}
