
namespace Cinnabar.Commands;

/// <summary>MULTI, EXEC, DISCARD, WATCH, UNWATCH (logic in Transactions/Transactions.cs).</summary>
public static class TransactionCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("multi", c => c.Server.Transactions.Multi(c));
        yield return new("exec", c => c.Server.Transactions.Exec(c));
        yield return new("discard", c => c.Server.Transactions.Discard(c));
        yield return new("watch", c => c.Server.Transactions.Watch(c));
        yield return new("unwatch", c => c.Server.Transactions.Unwatch(c));
    }
}
