
namespace Cinnabar.Commands;

/// <summary>MULTI, EXEC, DISCARD, WATCH, UNWATCH (logic in Transactions/Transactions.cs).</summary>
public static class TransactionCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("multi", c => c.Server.Multi(c));
        yield return new("exec", c => c.Server.Exec(c));
        yield return new("discard", c => c.Server.Discard(c));
        yield return new("watch", c => c.Server.Watch(c));
        yield return new("unwatch", c => c.Server.Unwatch(c));
    }
}
