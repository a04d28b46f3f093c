using F = Cinnabar.Commands.CommandFlags;
using A = Cinnabar.Commands.AclCategories;

namespace Cinnabar.Commands;

/// <summary>MULTI, EXEC, DISCARD, WATCH, UNWATCH (logic in Transactions/Transactions.cs).</summary>
public static class TransactionCommands
{
    private const F Control = F.NoScript | F.Loading | F.Stale;

    public static IEnumerable<CommandDef> Commands()
    {
        yield return new("multi", 1, Control | F.Fast | F.AllowBusy, A.Fast | A.Transaction, 0, 0, 0, c => c.Server.Transactions.Multi(c), "transactions");
        yield return new("exec", 1, Control | F.SkipSlowlog, A.Slow | A.Transaction, 0, 0, 0, c => c.Server.Transactions.Exec(c), "transactions");
        yield return new("discard", 1, Control | F.Fast | F.AllowBusy, A.Fast | A.Transaction, 0, 0, 0, c => c.Server.Transactions.Discard(c), "transactions");
        yield return new("watch", -2, Control | F.Fast | F.AllowBusy, A.Fast | A.Transaction, 1, -1, 1, c => c.Server.Transactions.Watch(c), "transactions");
        yield return new("unwatch", 1, Control | F.Fast | F.AllowBusy, A.Fast | A.Transaction, 0, 0, 0, c => c.Server.Transactions.Unwatch(c), "transactions");
    }
}
