using System.Diagnostics;
using System.Net;
using System.Text;
using Cinnabar.Commands;
using Cinnabar.Keyspace;
using Cinnabar.Networking;
using Cinnabar.Protocol;

namespace Cinnabar.Dispatch;

/// <summary>
/// The path of every command, as Redis' processCommand and call(): a batch of pipelined commands runs under
/// the execution lock (<see cref="ExecuteBatch"/>); each command passes the admission checks in Redis'
/// order (<see cref="Execute"/>), then is queued inside MULTI or invoked (<see cref="Call"/>, the one call
/// path that EXEC uses too), its effect propagated, and clients it unblocked served. A later feature (out-of-memory
/// refusal, BUSY scripts, cluster redirection) adds its check as one step of
/// <see cref="Admit"/>. Output produced for other clients is flushed after the lock is released.
/// </summary>
public sealed class Dispatcher
{
    private readonly CinnabarServer _server;
    private readonly CommandTable _commands;

    public Dispatcher(CinnabarServer server, CommandTable commands)
    {
        _server = server;
        _commands = commands;
    }

    /// <summary>Clients with output from other clients' commands, flushed after the lock is released.</summary>
    public OutputScheduler Output { get; } = new();

    // ---- batches --------------------------------------------------------------------------------------

    /// <summary>
    /// Executes a batch of pipelined commands atomically. Returns how many ran; fewer when the client
    /// blocked or is closing, in which case the rest stays in its buffer.
    /// </summary>
    internal int ExecuteBatch(ClientConnection c, byte[] buffer, int batchStart, ArgSlice[] args, ReadOnlySpan<(int ArgStart, int ArgCount, int End)> batch)
    {
        int done = 0;
        List<ClientConnection>? flush;
        bool fromMaster = (c.Flags & ClientFlags.Master) != 0;
        // CLIENT PAUSE holds the batch before it takes the lock (Redis step 17: blocked, not refused).
        if (_server.Pause.Active)
        {
            var first = args[batch[0].ArgStart];
            _server.Pause.WaitIfPaused(c, _commands.Find(buffer.AsSpan(first.Offset, first.Length)));
        }
        lock (_server.ExecLock)
        {
            // Killed (CLIENT KILL) while this batch waited for the lock: nothing more runs for it.
            if (c.IsClosed) return 0;
            if (_server.Scripting.Busy)
            {
                // A busy script lent us the lock: it gives it back once it sees we had it. Our master's stream
                // waits for the script to end (Redis accumulates it rather than answer -BUSY).
                _server.Scripting.NoteServedWhileBusy();
                if (fromMaster) _server.Scripting.WaitWhileBusy();
            }
            var keyspace = _server.KeyspaceState;
            // One instant for the whole batch, as Redis caches the time per event-loop iteration.
            keyspace.NowMs = KeyspaceState.WallClockMs();
            lock (c.OutputLock)
            {
                // appendfsync always: these replies wait for the fsync of the batch (set under the output
                // lock, so a send loop still running cannot take them first).
                c.OutputHeld = _server.Aof.FsyncBeforeReply;
                int start = batchStart;
                foreach (var cmd in batch)
                {
                    c.SetArgs(buffer, args, cmd.ArgStart, cmd.ArgCount);
                    if (fromMaster)
                    {
                        // Our master's stream: no replies (unless a command insists, as REPLCONF GETACK
                        // does), expired keys stay visible, and the exact bytes move our offset and go on
                        // to our own replicas.
                        int mark = c.Reply.Length;
                        keyspace.ObeyMaster = true;
                        Execute(c);
                        keyspace.ObeyMaster = false;
                        if (!c.ForceReply) c.Reply.Truncate(mark);
                        c.ForceReply = false;
                        _server.Replication.OnMasterStreamProcessed(buffer.AsSpan(start, cmd.End - start));
                        start = cmd.End;
                    }
                    else if ((c.Flags & (ClientFlags.NoReply | ClientFlags.ReplySkip | ClientFlags.ReplySkipNext)) == 0)
                    {
                        Execute(c);
                        // CLIENT REPLY SKIP itself: the next command is silenced.
                        if ((c.Flags & ClientFlags.ReplySkipNext) != 0) c.Flags = (c.Flags & ~ClientFlags.ReplySkipNext) | ClientFlags.ReplySkip;
                    }
                    else ExecuteWithReplyControl(c);
                    done++;
                    if ((c.Flags & (ClientFlags.Blocked | ClientFlags.CloseAfterReply | ClientFlags.Closing)) != 0) break;
                    // client-output-buffer-limit as replies grow, as Redis checks on every append: a client
                    // that pipelines large replies without reading is dropped before the batch ends.
                    if (c.Reply.Length >= OutputLimitCheckBytes && !c.CheckOutputLimits()) break;
                }
            }
            c.LastInteractionMs = keyspace.NowMs;
            // BCAST invalidations of the batch's writes (Redis sends them in beforeSleep).
            _server.Tracking.BroadcastInvalidations();
            c.CheckOutputLimits();
            // The AOF gets the batch's writes with one write(); under appendfsync always the replies wait
            // for their fsync, which happens below, outside the lock, shared with concurrent batches.
            long durable = _server.Aof.AfterBatch();
            flush = Output.TakePending();
            if (durable >= 0)
            {
                // The replies of this batch, and those it produced for other clients (a served BLPOP),
                // go out once the group commit has this position on disk.
                lock (c.OutputLock) c.DurableTarget = durable;
                if (flush is not null)
                    foreach (var other in flush)
                        lock (other.OutputLock) other.DurableTarget = Math.Max(other.DurableTarget, durable);
            }
            c.OutputHeld = false;
        }
        // Other clients got output from this batch (pub/sub, unblocked pops): send it, outside the lock.
        OutputScheduler.FlushAll(flush);
        return done;
    }

    /// <summary>Below this much pending reply a batch does not stop to check the output limits (the batch end does).</summary>
    private const int OutputLimitCheckBytes = 64 * 1024;

    /// <summary>
    /// CLIENT REPLY OFF / SKIP (and the command that asked for SKIP): runs the command, drops its reply when
    /// silenced, but keeps pushes (subscribe confirmations), which are not replies, as Redis' CLIENT_PUSHING.
    /// </summary>
    private void ExecuteWithReplyControl(Client c)
    {
        c.SilencedFrom = c.Reply.Length;
        Execute(c);
        // Still silenced after the command (CLIENT REPLY ON answers +OK even when it follows SKIP).
        if ((c.Flags & (ClientFlags.NoReply | ClientFlags.ReplySkip)) != 0) c.Reply.Truncate(c.SilencedFrom);
        c.SilencedFrom = -1;
        // Redis' resetClient: SKIP silences the one command after CLIENT REPLY SKIP.
        c.Flags &= ~ClientFlags.ReplySkip;
        if ((c.Flags & ClientFlags.ReplySkipNext) != 0) c.Flags = (c.Flags & ~ClientFlags.ReplySkipNext) | ClientFlags.ReplySkip;
    }

    /// <summary>
    /// Runs <paramref name="action"/> under the execution lock from a thread that is not a client's
    /// (timers, the cron, replication), then sends whatever output it produced for clients.
    /// </summary>
    public void RunLocked(Action action)
    {
        List<ClientConnection>? flush;
        long durable;
        lock (_server.ExecLock)
        {
            // Timers and background work never interleave with a script that lends the lock while busy.
            _server.Scripting.WaitWhileBusy();
            _server.KeyspaceState.NowMs = KeyspaceState.WallClockMs();
            try
            {
                action();
            }
            catch (Exception ex)
            {
                // Timer and background callbacks run here: an exception must never take the server down.
                _server.Log.Error($"background work failed: {ex}");
            }
            _server.Tracking.BroadcastInvalidations();
            durable = _server.Aof.AfterBatch();
            flush = Output.TakePending();
        }
        if (durable >= 0) _server.Aof.SyncTo(durable);
        OutputScheduler.FlushAll(flush);
    }

    // ---- one command: processCommand ---------------------------------------------------------------

    /// <summary>Runs one command from <paramref name="c"/>'s current arguments. Caller holds the execution lock.</summary>
    public void Execute(Client c)
    {
        // Redis' server.current_client: whose invalidations wait for the reply, and who NOLOOP means.
        var tracking = _server.Tracking;
        var previous = tracking.CurrentClient;
        tracking.CurrentClient = c;
        try
        {
            var cmd = ExecuteCommand(c, tracking);
            // Redis' resetClient: CLIENT CACHING applies to the next command (or transaction) only; a CLIENT
            // subcommand keeps it.
            if (c.Tracking is { Caching: true } t && (c.Flags & ClientFlags.Multi) == 0 && cmd?.Parent?.Name != "client") t.Caching = false;
        }
        finally
        {
            tracking.CurrentClient = previous;
        }
    }

    /// <summary>Runs or queues the command; returns it (also when of the wrong arity; null when unknown).</summary>
    private CommandDef? ExecuteCommand(Client c, Tracking.TrackingManager tracking)
    {
        var cmd = Lookup(c, out var named);
        if (cmd is null) return named;
        if (!Admit(c, cmd)) return cmd;
        if ((c.Flags & ClientFlags.Multi) != 0 && !IsTransactionControl(cmd))
        {
            _server.Transactions.Queue(c, cmd);
            return cmd;
        }
        Call(c, cmd);
        // While a busy script lends the lock, the few commands allowed then must not flush its pending effects.
        if (_server.Scripting.Busy) return cmd;
        // The effects of the command (or transaction) reach replicas as one unit.
        _server.Replication.FlushPending(c);
        // Invalidations for this client follow its reply (after EXEC's, not inside it), as Redis' afterCommand.
        tracking.SendPending();
        // Clients blocked on keys this command made ready are served now, after it completed, as Redis'
        // handleClientsBlockedOnKeys does.
        if (_server.Blocking.HasReadyKeys)
        {
            _server.Blocking.ServeReadyKeys();
            tracking.SendPending();
        }
        return cmd;
    }

    /// <summary>Step 2 of processCommand: the command or subcommand by name, and its arity.</summary>
    private CommandDef? Lookup(Client c, out CommandDef? named)
    {
        named = null;
        // Clients tend to repeat a command: try the last one before the table lookup.
        var name = c.Arg(0);
        var cmd = c.CommandCache is { DispatchName: { } known } last && Ascii.EqualsIgnoreCase(name, known) ? last : _commands.Find(name);
        if (cmd is null)
        {
            RejectUnknownCommand(c);
            return null;
        }
        if (cmd.Subcommands is not null && c.ArgCount >= 2)
        {
            var sub = CommandTable.FindSubcommand(cmd, c.Arg(1));
            if (sub is null)
            {
                Reject(c, $"ERR unknown subcommand '{Truncate(c.ArgString(1), 128)}'. Try {cmd.Name.ToUpperInvariant()} HELP.");
                return null;
            }
            cmd = sub;
        }
        if (!cmd.ArityMatches(c.ArgCount) || cmd.Handler is null)
        {
            named = cmd; // Redis' c->cmd is set even so (CLIENT CACHING survives a CLIENT arity error)
            Reject(c, Errors.WrongArgs(cmd.FullName));
            return null;
        }
        return cmd;
    }

    /// <summary>
    /// The admission checks of processCommand after lookup, in Redis 7.0's order (the order decides which
    /// error a client sees when several apply). Each refusal answers and returns false. Steps that belong to
    /// features not built yet are named where they will go.
    /// </summary>
    private bool Admit(Client c, CommandDef cmd)
    {
        // EVAL, FCALL and friends: a script that declares flags replaces the command's write, deny-oom and stale flags.
        var flags = (cmd.Flags & CommandFlags.ScriptFlagsApply) != 0 ? _server.Scripting.EffectiveFlags(c, cmd) : cmd.Flags;
        bool isWrite = (flags & CommandFlags.Write) != 0;
        // 3. Protected commands (DEBUG) unless enable-debug-command allows them.
        if (cmd.HasFlag(CommandFlags.Protected) && !IsDebugAllowed(c))
            return Refuse(c, "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.");
        // 4. Authentication: -NOAUTH unless the command is flagged no-auth (AUTH, HELLO, QUIT, RESET).
        //    SecurityCheck is false for an authenticated client of an unrestricted user: one flag test.
        if (c.SecurityCheck && !c.Authenticated && _server.Acl.AuthRequired && !cmd.HasFlag(CommandFlags.NoAuth))
            return Refuse(c, "NOAUTH Authentication required.");
        // 5. no-multi commands inside MULTI.
        bool inMulti = (c.Flags & ClientFlags.Multi) != 0;
        if (inMulti && cmd.HasFlag(CommandFlags.NoMulti))
            return Refuse(c, "ERR Command not allowed inside a transaction");
        // 6. ACL: command, keys, channels.
        if (c.SecurityCheck && !CheckAcl(c, cmd, inMulti ? "multi" : "toplevel", out var denial))
            return Refuse(c, Security.AclManager.DeniedError(denial, cmd));
        // 7. Cluster redirection (cluster issue).
        // 8. maxmemory: evict first; when nothing more can go, -OOM for commands that may grow memory, and
        //    for anything queued inside MULTI (reads and deletes go on). One comparison when there is no limit.
        if (_server.Config.MaxMemory != 0 && !AdmitMemory(c, cmd, flags, inMulti)) return false;
        //    Then the tracking table is kept within tracking-table-max-keys.
        if (_server.Tracking.TrackingClients > 0) _server.Tracking.LimitUsedSlots();
        // 9. -MISCONF: writes (and PING, as Redis) refused after a failed background save, or while the AOF
        // cannot write or fsync (Redis' writeCommandsDeniedByDiskError: the RDB error first).
        // The two state tests come first: they are false on a healthy server, and then nothing else is read.
        if ((_server.Persistence.WritesDeniedByDiskError || _server.Aof.WritesDenied) && (isWrite || cmd.Name == "ping") && (c.Flags & ClientFlags.Master) == 0)
        {
            if (_server.Persistence.WritesDeniedByDiskError) return Refuse(c, Persistence.PersistenceManager.MisconfError);
            return Refuse(c, _server.Aof.MisconfError);
        }
        // 10. min-replicas-to-write.
        var replication = _server.Replication;
        bool fromOutside = replication.IsReplica && (c.Flags & ClientFlags.Master) == 0;
        // 11. Read-only replica.
        if (fromOutside && _server.Config.ReplicaReadOnly && isWrite)
            return Refuse(c, "READONLY You can't write against a read only replica.");
        // 12. RESP2 subscribe mode.
        if (c.Protocol == 2 && c.IsSubscribed && !cmd.HasFlag(CommandFlags.AllowedInPubSub))
            return Refuse(c, $"ERR Can't execute '{cmd.FullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
        // 13. Replica with a broken link and replica-serve-stale-data no.
        if (fromOutside && !_server.Config.ReplicaServeStaleData && !replication.LinkUp && (flags & CommandFlags.Stale) == 0)
            return Refuse(c, "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
        // 14. Loading: the dataset loads before the listeners start, so no client sees it.
        // 15. -BUSY while a script runs past busy-reply-threshold: only allow-busy commands (SCRIPT KILL,
        //     FUNCTION KILL, SHUTDOWN NOSAVE, MULTI/DISCARD/WATCH, AUTH/HELLO...) run while it lends the lock.
        if (_server.Scripting.Busy && (flags & CommandFlags.AllowBusy) == 0)
            return Refuse(c, _server.Scripting.BusyError);
        // 16-17. Replica connections and CLIENT PAUSE: handled by ExecuteBatch before the lock.
        return true;
    }

    /// <summary>Step 8 of processCommand (performEvictions, then the OOM refusal).</summary>
    private bool AdmitMemory(Client c, CommandDef cmd, CommandFlags flags, bool inMulti)
    {
        // Redis' pre_command_oom_state: a script started by this command checks it before its first write.
        bool outOfMemory = _server.Memory.PerformEvictions() == Memory.EvictResult.Fail;
        _server.Memory.PreCommandOom = outOfMemory;
        if (!outOfMemory) return true;
        bool reject = (flags & CommandFlags.DenyOom) != 0;
        if (!reject && cmd.Name == "exec" && c.Transaction is { } tx)
            foreach (var queued in tx.Queued)
                if (queued.Command.HasFlag(CommandFlags.DenyOom)) { reject = true; break; }
        if (inMulti && cmd.Name is not ("exec" or "discard" or "quit" or "reset")) reject = true;
        return !reject || Refuse(c, Memory.MemoryManager.OomError);
    }

    /// <summary>Redis' ACLCheckAllPerm: a refusal is logged (ACL LOG) with its context.</summary>
    internal bool CheckAcl(Client c, CommandDef cmd, string context, out Security.AclDenial denial)
    {
        var acl = _server.Acl;
        denial = acl.Check(c.User, cmd, c, out int position);
        if (denial == Security.AclDenial.None) return true;
        var current = c.CurrentCommand;
        c.CurrentCommand = cmd; // the log's client-info names the refused command, as Redis' c->cmd
        acl.LogDenied(c, denial, cmd, position, context);
        c.CurrentCommand = current;
        return false;
    }

    private bool Refuse(Client c, string error)
    {
        Reject(c, error);
        return false;
    }

    /// <summary>Commands that run immediately even inside MULTI.</summary>
    internal static bool IsTransactionControl(CommandDef cmd) => cmd.Name is "exec" or "discard" or "multi" or "watch" or "quit" or "reset";

    private bool IsDebugAllowed(Client c) => IsProtectedActionAllowed(c, _server.Config.EnableDebugCommand);

    /// <summary>Redis' allowProtectedAction: yes, or local from a Unix socket or loopback client.</summary>
    internal static bool IsProtectedActionAllowed(Client c, Config.ProtectedAction setting) => setting switch
    {
        Config.ProtectedAction.Yes => true,
        Config.ProtectedAction.Local => c is ClientConnection conn && (conn.IsUnixSocket || conn.RemoteEndPoint is { } ep && IPAddress.IsLoopback(ep.Address)),
        _ => (c.Flags & ClientFlags.Fake) != 0,
    };

    // ---- call() -----------------------------------------------------------------------------------------

    /// <summary>
    /// Invokes a command's handler and accounts for it: Redis' call(). Propagation of its effect, the slow
    /// log, latency monitor and histograms, MONITOR, INFO commandstats/errorstats. EXEC (and later scripts)
    /// run their commands through here.
    /// </summary>
    public void Call(Client c, CommandDef cmd)
    {
        c.CurrentCommand = cmd;
        var persistence = _server.Persistence;
        // While a background save reads a snapshot, writes first give their keys private copies.
        if (persistence.SnapshotActive && cmd.IsWrite) persistence.BeforeWrite(c, cmd);
        int before = c.Reply.Length;
        long dirtyBefore = persistence.Dirty;
        c.PropagateOverride = false;
        // EVAL, FCALL and friends are shown by MONITOR before the commands they run, as Redis shows them.
        if ((cmd.Flags & CommandFlags.ScriptFlagsApply) != 0 && _server.Monitors.Count > 0) _server.Monitors.Feed(c);
        long start = Stopwatch.GetTimestamp();
        var tracking = _server.Tracking;
        bool wasExecuting = tracking.Executing;
        tracking.Executing = true;
        try
        {
            cmd.Handler!(c);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A defect in one command must not cost the client its connection or anyone else their
            // server: its partial reply is dropped and the command answers an error instead.
            c.Reply.Truncate(before);
            c.Reply.Error($"ERR internal error executing '{cmd.FullName}': {ex.GetType().Name}");
            _server.Log.Error($"Unexpected error executing '{cmd.FullName}' for {c}: {ex}");
        }
        finally
        {
            tracking.Executing = wasExecuting;
        }
        // A write that changed data reaches replicas verbatim, unless the handler propagated its effect itself.
        if (persistence.Dirty != dirtyBefore && !c.PropagateOverride && _server.Replication.HasStreamConsumers) _server.Replication.PropagateVerbatim(c);
        long elapsed = Stopwatch.GetTimestamp() - start;
        long micros = elapsed * 1_000_000 / Stopwatch.Frequency;
        cmd.Calls++;
        cmd.Microseconds += micros;
        var config = _server.Config;
        if (config.LatencyTracking) cmd.RecordLatency((long)(elapsed * 1e9 / Stopwatch.Frequency));
        if (micros >= config.SlowlogLogSlowerThan && config.SlowlogLogSlowerThan >= 0 && (cmd.Flags & CommandFlags.SkipSlowlog) == 0)
            _server.SlowLog.Add(c, micros, config.SlowlogLogSlowerThan, config.SlowlogMaxLen);
        if (config.LatencyMonitorThreshold > 0 && micros / 1000 >= config.LatencyMonitorThreshold)
            _server.Latency.Add((cmd.Flags & CommandFlags.Fast) != 0 ? "fast-command" : "command", micros / 1000);
        if (_server.Monitors.Count > 0 && (cmd.Flags & (CommandFlags.Admin | CommandFlags.SkipMonitor)) == 0) _server.Monitors.Feed(c);
        if (c.HasRedactions) c.ClearRedactions();
        // Client-side caching: the keys a read-only command named are remembered for a tracking client.
        //    Inside a script the keys are the caller's; EVAL_RO and FCALL_RO name no keys of their own (Redis' call()).
        if ((cmd.Flags & (CommandFlags.ReadOnly | CommandFlags.ScriptFlagsApply)) == CommandFlags.ReadOnly)
        {
            var owner = c is Scripting.ScriptClient ? _server.Scripting.CurrentCaller ?? c : c;
            if (owner.Tracking is { On: true, Bcast: false }) tracking.RememberKeys(owner, c, cmd);
        }
        _server.Stats.TotalCommandsProcessed++;
        if (c.Reply.Length > before && c.Reply.WrittenSpan[before] == (byte)'-' && !c.ErrorReplyUncounted)
        {
            cmd.FailedCalls++;
            CountError(c.Reply.WrittenSpan[(before + 1)..]);
        }
        c.ErrorReplyUncounted = false;
        c.LastCommand = cmd;
        c.CommandCache = cmd.Parent ?? cmd;
        c.CurrentCommand = null;
    }

    // ---- refusals -----------------------------------------------------------------------------------

    /// <summary>Answers a command refused before execution (unknown, arity, not allowed now).</summary>
    public void Reject(Client c, string error)
    {
        if ((c.Flags & ClientFlags.Multi) != 0) c.Flags |= ClientFlags.DirtyExec;
        // A refused EXEC discards the transaction and says why (Redis' execCommandAbort).
        if (c.ArgCount > 0 && Ascii.EqualsIgnoreCase(c.Arg(0), "exec"u8))
        {
            _server.Transactions.DiscardTransaction(c);
            error = "EXECABORT Transaction discarded because of: " + (error.StartsWith("ERR ", StringComparison.Ordinal) ? error[4..] : error);
        }
        c.Reply.Error(error);
        var cmd = _commands.Find(c.Arg(0));
        if (cmd is not null) cmd.RejectedCalls++;
        CountError(Encoding.UTF8.GetBytes(error));
    }

    private void RejectUnknownCommand(Client c)
    {
        var args = new StringBuilder();
        for (int i = 1; i < c.ArgCount && args.Length < 128; i++)
            args.Append('\'').Append(Truncate(c.ArgString(i), 128 - args.Length)).Append("' ");
        Reject(c, $"ERR unknown command '{Truncate(c.ArgString(0), 128)}', with args beginning with: {args}");
    }

    private void CountError(ReadOnlySpan<byte> error)
    {
        var stats = _server.Stats;
        stats.TotalErrorReplies++;
        int sp = error.IndexOfAny((byte)' ', (byte)'\r');
        var code = Encoding.UTF8.GetString(sp < 0 ? error : error[..sp]);
        if (stats.ErrorCounts.Count < 128 || stats.ErrorCounts.ContainsKey(code))
            stats.ErrorCounts[code] = stats.ErrorCounts.GetValueOrDefault(code) + 1;
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..Math.Max(max, 0)];
}
