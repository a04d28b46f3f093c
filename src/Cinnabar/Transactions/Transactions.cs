using Cinnabar.Commands;

namespace Cinnabar;

public sealed partial class CinnabarServer
{
    /// <summary>Queues a command inside MULTI and answers +QUEUED (transactions issue).</summary>
    internal void QueueMultiCommand(Client c, CommandDef cmd) => c.Reply.Error("ERR MULTI is not supported yet");

    /// <summary>Commands that run immediately even inside MULTI.</summary>
    internal static bool IsTransactionControl(CommandDef cmd) => cmd.Name is "exec" or "discard" or "multi" or "watch" or "quit" or "reset";
}
