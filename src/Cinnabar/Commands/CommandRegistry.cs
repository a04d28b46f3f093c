namespace Cinnabar.Commands;

/// <summary>Collects the declarations of every command family. Add a family here and nowhere else.</summary>
internal static class CommandRegistry
{
    public static IEnumerable<CommandDef> AllCommands() =>
        ConnectionCommands.Commands()
            .Concat(StringCommands.Commands())
            .Concat(KeyCommands.Commands())
            .Concat(ServerCommands.Commands())
            .Concat(ListCommands.Commands())
            .Concat(HashCommands.Commands())
            .Concat(SetCommands.Commands())
            .Concat(SortedSetCommands.Commands())
            .Concat(SortCommands.Commands())
            .Concat(StreamCommands.Commands())
            .Concat(TransactionCommands.Commands())
            .Concat(PubSubCommands.Commands())
            .Concat(PersistenceCommands.Commands())
            .Concat(ReplicationCommands.Commands())
            .Concat(DiagnosticCommands.Commands());
}
