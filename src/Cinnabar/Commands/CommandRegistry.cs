using F = Cinnabar.Commands.CommandFlags;

namespace Cinnabar.Commands;

/// <summary>
/// A family file's part of the table: the handler of a command ("get", or "config|get" for a subcommand)
/// and, where Redis has a getkeys procedure, its key finder. Everything else comes from commands.json.
/// </summary>
public readonly record struct CommandBinding(string Name, CommandHandler Handler)
{
    public KeyFinder? Keys { get; init; }
}

/// <summary>
/// Builds the command table: each description of commands.json bound to the handler a family declares.
/// A handler without a description, or a description without a handler, stops start-up (and the unit
/// test that builds the table), so the two cannot drift apart.
/// </summary>
internal static class CommandRegistry
{
    /// <summary>Every family's bindings. Add a family here and nowhere else.</summary>
    public static IEnumerable<CommandBinding> AllBindings() =>
        ConnectionCommands.Commands()
            .Concat(StringCommands.Commands())
            .Concat(HyperLogLogCommands.Commands())
            .Concat(KeyCommands.Commands())
            .Concat(ServerCommands.Commands())
            .Concat(ListCommands.Commands())
            .Concat(HashCommands.Commands())
            .Concat(SetCommands.Commands())
            .Concat(SortedSetCommands.Commands())
            .Concat(GeoCommands.Commands())
            .Concat(SortCommands.Commands())
            .Concat(StreamCommands.Commands())
            .Concat(TransactionCommands.Commands())
            .Concat(PubSubCommands.Commands())
            .Concat(PersistenceCommands.Commands())
            .Concat(ReplicationCommands.Commands())
            .Concat(DiagnosticCommands.Commands())
            .Concat(AclCommands.Commands())
            .Concat(ScriptingCommands.Commands());

    /// <summary>
    /// The properties of a command that are Cinnabar's own, not Redis' metadata (COMMAND INFO does not
    /// report them): this is the one place they are declared.
    /// </summary>
    public static readonly Dictionary<string, F> CinnabarFlags = new()
    {
        // Redis' CMD_PROTECTED: refused unless enable-debug-command allows it.
        ["debug"] = F.Protected,
        // What processCommand lets a RESP2 client run in subscribe mode.
        ["ping"] = F.AllowedInPubSub,
        // Redis' evalGetCommandFlags / fcallGetCommandFlags.
        ["eval"] = F.ScriptFlagsApply,
        ["evalsha"] = F.ScriptFlagsApply,
        ["eval_ro"] = F.ScriptFlagsApply,
        ["evalsha_ro"] = F.ScriptFlagsApply,
        ["fcall"] = F.ScriptFlagsApply,
        ["fcall_ro"] = F.ScriptFlagsApply,
        ["quit"] = F.AllowedInPubSub,
        ["reset"] = F.AllowedInPubSub,
        ["subscribe"] = F.AllowedInPubSub,
        ["ssubscribe"] = F.AllowedInPubSub,
        ["psubscribe"] = F.AllowedInPubSub,
        ["unsubscribe"] = F.AllowedInPubSub,
        ["sunsubscribe"] = F.AllowedInPubSub,
        ["punsubscribe"] = F.AllowedInPubSub,
    };

    public static IEnumerable<CommandDef> AllCommands() => Build(CommandDescription.All, AllBindings());

    /// <summary>The table's top-level commands; throws naming every command bound or described but not both.</summary>
    public static List<CommandDef> Build(IEnumerable<CommandDescription> descriptions, IEnumerable<CommandBinding> bindings)
    {
        var byName = new Dictionary<string, CommandBinding>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var b in bindings)
            if (!byName.TryAdd(b.Name, b)) problems.Add($"'{b.Name}' is bound twice");
        var used = new HashSet<string>(StringComparer.Ordinal);

        CommandDef Make(CommandDescription d)
        {
            CommandBinding? b = byName.TryGetValue(d.FullName, out var found) ? found : null;
            if (b is not null) used.Add(d.FullName);
            var cmd = new CommandDef(d, b?.Handler, b?.Keys, CinnabarFlags.GetValueOrDefault(d.FullName));
            if (d.Subcommands.Length > 0) cmd.SetSubcommands(d.Subcommands.Select(Make).ToArray());
            // A container (CONFIG) may go without a handler: its subcommands are the commands.
            else if (b is null) problems.Add($"'{d.FullName}' is described in commands.json but no family binds a handler to it");
            return cmd;
        }

        var commands = descriptions.Select(Make).ToList();
        foreach (var name in byName.Keys)
            if (!used.Contains(name))
                problems.Add($"'{name}' has a handler but no description in commands.json (add it to tools/command-table/commands.txt and regenerate)");
        if (problems.Count > 0)
            throw new InvalidOperationException("command table: " + string.Join("; ", problems));
        return commands;
    }
}
