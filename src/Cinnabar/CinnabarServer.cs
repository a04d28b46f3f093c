using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Cinnabar.Commands;
using Cinnabar.Config;
using Cinnabar.Keyspace;
using Cinnabar.Networking;
using Cinnabar.Protocol;
using Cinnabar.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cinnabar;

/// <summary>
/// The server: owns the databases, the clients, the command table and the one execution lock.
/// <para>
/// Threading model: I/O runs on the .NET thread pool (one receive loop and one send loop per client);
/// commands execute on whichever thread received them, but only while holding <see cref="ExecLock"/>,
/// so every command (and every pipelined batch) is atomic, exactly as in single-threaded Redis, and data
/// structures need no internal locking. Parsing and socket writes happen outside the lock.
/// </para>
/// </summary>
public sealed partial class CinnabarServer : IAsyncDisposable, IKeyspaceObserver
{
    /// <summary>Held while executing commands and whenever the keyspace or clients are touched.</summary>
    public readonly Lock ExecLock = new();

    private readonly List<Listener> _listeners = new();
    private readonly Dictionary<long, Client> _clients = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private List<ClientConnection> _toFlush = new();
    private ServerCron? _cron;
    private readonly ILoggerFactory? _ownedLoggerFactory;

    public CinnabarServer(ServerConfig config, ILoggerFactory? loggerFactory = null)
    {
        Config = config;
        if (loggerFactory is null && config.LogLevel != "nothing")
            loggerFactory = _ownedLoggerFactory = ServerLog.CreateFactory(config.LogLevel);
        Log = new ServerLog((loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("cinnabar"));
        KeyspaceState = new KeyspaceState { NowMs = KeyspaceState.WallClockMs(), Config = config };
        Databases = new Database[config.Databases];
        for (int i = 0; i < Databases.Length; i++) Databases[i] = new Database(i, KeyspaceState);
        Commands = new CommandTable(CommandRegistry.AllCommands());
        Blocking = new Blocking.BlockingManager(this);
        Monitors = new MonitorFeed(this);
        Persistence = new Persistence.PersistenceManager(this);
        Replication = new Replication.ReplicationManager(this);
        KeyspaceState.Observer = this;
        RunId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        StartTimeMs = KeyspaceState.WallClockMs();
        StartTimestamp = Stopwatch.GetTimestamp();
    }

    /// <summary>The Redis version whose behaviour Cinnabar follows, reported to clients (HELLO, INFO).</summary>
    public const string RedisVersion = "7.0.15";

    public ServerConfig Config { get; }
    public ServerLog Log { get; }
    public ServerStats Stats { get; } = new();
    public SlowLog SlowLog { get; } = new();
    public LatencyMonitor Latency { get; } = new();
    public MonitorFeed Monitors { get; }

    /// <summary>Managed heap in use when the server was created (MEMORY STATS startup.allocated).</summary>
    public long StartupAllocated { get; } = GC.GetTotalMemory(false);

    /// <summary>Highest managed heap seen by INFO or MEMORY STATS (used_memory_peak, peak.allocated).</summary>
    public long PeakAllocated { get; private set; }

    /// <summary>Records the heap now in use; returns the peak including it.</summary>
    public long TrackPeak(long used) => PeakAllocated = Math.Max(PeakAllocated, used);

    public KeyspaceState KeyspaceState { get; }
    public Database[] Databases { get; }
    public CommandTable Commands { get; }
    /// <summary>Clients parked in blocking commands (BLPOP, BZPOPMIN, XREAD BLOCK...).</summary>
    public Blocking.BlockingManager Blocking { get; }
    /// <summary>RDB snapshots: SAVE, BGSAVE, save points, loading.</summary>
    public Persistence.PersistenceManager Persistence { get; }
    /// <summary>Master and replica roles: propagation, backlog, PSYNC, the link to our master.</summary>
    public Replication.ReplicationManager Replication { get; }
    public string RunId { get; }
    public long StartTimeMs { get; }
    public long StartTimestamp { get; }

    /// <summary>Changes since the last save (rdb_changes_since_last_save).</summary>
    public long Dirty;
    public long LastSaveTimeMs;

    /// <summary>The TCP ports actually bound (useful with port 0 in tests).</summary>
    public IReadOnlyList<int> BoundPorts => _listeners.Select(l => l.Port).ToArray();
    public int Port => _listeners.Count > 0 ? _listeners[0].Port : Config.Port;

    /// <summary>Completes when the server has stopped (SHUTDOWN or <see cref="StopAsync"/>).</summary>
    public Task Completion => _stopped.Task;

    public IEnumerable<Client> Clients => _clients.Values;
    public int ClientCount => _clients.Count;

    /// <summary>
    /// Set when <see cref="Start"/> has returned or thrown. A stop requested meanwhile (a signal during the
    /// load, or SHUTDOWN from a client accepted by the first listener while the others start) waits for it,
    /// so it never saves a half-loaded dataset nor misses a listener still being added.
    /// </summary>
    private readonly TaskCompletionSource _startFinished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _startCalled;

    public void Start()
    {
        _startCalled = true;
        try
        {
            StartListening();
        }
        finally
        {
            _startFinished.TrySetResult();
        }
    }

    private void StartListening()
    {
        LastSaveTimeMs = StartTimeMs;
        Persistence.LoadAtStartup();
        SocketTuning.Apply();
        foreach (var address in Config.Bind)
        {
            var ip = address switch
            {
                "*" => IPAddress.Any,
                "::*" or "::" => IPAddress.IPv6Any,
                _ => IPAddress.Parse(address.TrimStart('-')),
            };
            var listener = new Listener(this, new IPEndPoint(ip, _listeners.Count > 0 && Config.Port == 0 ? _listeners[0].Port : Config.Port));
            listener.Start();
            _listeners.Add(listener);
        }
        _cron = new ServerCron(this);
        _cron.Start();
        if (Config.ReplicaOfHost is not null)
            lock (ExecLock) Replication.SetMaster(Config.ReplicaOfHost, Config.ReplicaOfPort);
        Log.Info($"Cinnabar ready to accept connections on port {Port}");
    }

    public async Task StopAsync()
    {
        if (_startCalled) await _startFinished.Task;
        foreach (var l in _listeners) l.Stop();
        _cron?.Stop();
        Client[] clients;
        lock (ExecLock) clients = _clients.Values.ToArray();
        foreach (var c in clients) (c as ClientConnection)?.Close();
        foreach (var l in _listeners) await l.Completion;
        _stopped.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _ownedLoggerFactory?.Dispose();
    }

    // ---- clients ----------------------------------------------------------------------------------

    internal bool TryRegister(ClientConnection c, bool force = false)
    {
        lock (ExecLock)
        {
            Stats.TotalConnectionsReceived++;
            if (_clients.Count >= Config.MaxClients && !force)
            {
                Stats.RejectedConnections++;
                return false;
            }
            _clients[c.Id] = c;
            return true;
        }
    }

    /// <summary>Forgets a closed client and releases everything it held (subscriptions, blocking, watches).</summary>
    internal void OnClientClosed(ClientConnection c)
    {
        lock (ExecLock)
        {
            _clients.Remove(c.Id);
            ClientClosed?.Invoke(c);
        }
    }

    /// <summary>Raised under the execution lock when a client goes away (pub/sub, blocking, WATCH clean up here).</summary>
    public event Action<Client>? ClientClosed;

    public Client? FindClient(long id) => _clients.GetValueOrDefault(id);

    // ---- execution --------------------------------------------------------------------------------

    /// <summary>
    /// Executes a batch of pipelined commands atomically. Returns how many ran; fewer when the client
    /// blocked or is closing, in which case the rest stays in its buffer.
    /// </summary>
    internal int ExecuteBatch(ClientConnection c, byte[] buffer, int batchStart, ArgSlice[] args, ReadOnlySpan<(int ArgStart, int ArgCount, int End)> batch)
    {
        int done = 0;
        List<ClientConnection> flush;
        bool fromMaster = (c.Flags & ClientFlags.Master) != 0;
        if (PausedUntilMs != 0) WaitWhilePaused(c, buffer, args, batch[0].ArgStart);
        lock (ExecLock)
        {
            // One instant for the whole batch, as Redis caches the time per event-loop iteration.
            KeyspaceState.NowMs = KeyspaceState.WallClockMs();
            lock (c.OutputLock)
            {
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
                        KeyspaceState.ObeyMaster = true;
                        Execute(c);
                        KeyspaceState.ObeyMaster = false;
                        if (!c.ForceReply) c.Reply.Truncate(mark);
                        c.ForceReply = false;
                        Replication.OnMasterStreamProcessed(buffer.AsSpan(start, cmd.End - start));
                        start = cmd.End;
                    }
                    else if ((c.Flags & (ClientFlags.NoReply | ClientFlags.ReplySkip | ClientFlags.ReplySkipNext)) == 0) Execute(c);
                    else ExecuteWithReplyControl(c);
                    done++;
                    if ((c.Flags & (ClientFlags.Blocked | ClientFlags.CloseAfterReply | ClientFlags.Closing)) != 0) break;
                }
            }
            c.LastInteractionMs = KeyspaceState.NowMs;
            c.CheckOutputLimits();
            if (_toFlush.Count == 0) return done;
            foreach (var queued in _toFlush) queued.FlushQueued = false;
            // Hand the list over and start a new one: another thread may fill the next list while
            // this one is still being sent outside the lock.
            flush = _toFlush;
            _toFlush = new List<ClientConnection>();
        }
        // Other clients got output from this batch (pub/sub, unblocked pops): send it, outside the lock.
        foreach (var other in flush) other.Flush();
        return done;
    }

    /// <summary>Runs one command from <paramref name="c"/>'s current arguments. Caller holds <see cref="ExecLock"/>.</summary>
    public void Execute(Client c)
    {
        // Clients tend to repeat a command: try the last one before the table lookup.
        var name = c.Arg(0);
        var cmd = c.CommandCache is { } last && Ascii.EqualsIgnoreCase(name, last.NameBytes) ? last : Commands.Find(name);
        if (cmd is null)
        {
            RejectUnknownCommand(c);
            return;
        }
        if (cmd.Subcommands is not null && c.ArgCount >= 2)
        {
            var sub = CommandTable.FindSubcommand(cmd, c.Arg(1));
            if (sub is null)
            {
                Reject(c, $"ERR unknown subcommand '{Truncate(c.ArgString(1), 128)}'. Try {cmd.Name.ToUpperInvariant()} HELP.");
                return;
            }
            cmd = sub;
        }
        if (!cmd.ArityMatches(c.ArgCount) || cmd.Handler is null)
        {
            Reject(c, Errors.WrongArgs(cmd.FullName));
            return;
        }
        if (cmd.HasFlag(CommandFlags.Protected) && !IsDebugAllowed(c))
        {
            Reject(c, "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.");
            return;
        }
        bool inMulti = (c.Flags & ClientFlags.Multi) != 0;
        if (inMulti && cmd.HasFlag(CommandFlags.NoMulti))
        {
            Reject(c, "ERR Command not allowed inside a transaction");
            return;
        }
        if (c.Protocol == 2 && c.IsSubscribed && !cmd.HasFlag(CommandFlags.AllowedInPubSub))
        {
            Reject(c, $"ERR Can't execute '{cmd.FullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
            return;
        }
        if (Replication.IsReplica && (c.Flags & ClientFlags.Master) == 0)
        {
            if (Config.ReplicaReadOnly && cmd.IsWrite)
            {
                Reject(c, "READONLY You can't write against a read only replica.");
                return;
            }
            if (!Config.ReplicaServeStaleData && Replication.Link!.State != "connected" && !cmd.HasFlag(CommandFlags.Stale))
            {
                Reject(c, "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
                return;
            }
        }
        if (inMulti && !IsTransactionControl(cmd))
        {
            QueueMultiCommand(c, cmd);
            return;
        }
        Call(c, cmd);
        Replication.FlushPending(c);
        // Clients blocked on keys this command (or transaction) made ready are served now, after it
        // completed, as Redis' handleClientsBlockedOnKeys does.
        if (Blocking.HasReadyKeys) Blocking.ServeReadyKeys();
    }

    /// <summary>CLIENT REPLY OFF / SKIP: runs the command and drops its reply when asked to.</summary>
    private void ExecuteWithReplyControl(Client c)
    {
        int mark = c.Reply.Length;
        Execute(c);
        if ((c.Flags & (ClientFlags.NoReply | ClientFlags.ReplySkip)) != 0) c.Reply.Truncate(mark);
        // SKIP silences the command after CLIENT REPLY SKIP, once.
        c.Flags &= ~ClientFlags.ReplySkip;
        if ((c.Flags & ClientFlags.ReplySkipNext) != 0) c.Flags = (c.Flags & ~ClientFlags.ReplySkipNext) | ClientFlags.ReplySkip;
    }

    private bool IsDebugAllowed(Client c) => Config.EnableDebugCommand switch
    {
        "yes" => true,
        "local" => c is ClientConnection conn && conn.RemoteEndPoint is { } ep && IPAddress.IsLoopback(ep.Address),
        _ => (c.Flags & ClientFlags.Fake) != 0,
    };

    /// <summary>Invokes a command's handler and accounts for it (INFO commandstats, errorstats).</summary>
    public void Call(Client c, CommandDef cmd)
    {
        c.CurrentCommand = cmd;
        // While a background save reads a snapshot, writes first give their keys private copies.
        if (Persistence.SnapshotActive && cmd.IsWrite) Persistence.BeforeWrite(c, cmd);
        int before = c.Reply.Length;
        long dirtyBefore = Dirty;
        c.PropagateOverride = false;
        long start = Stopwatch.GetTimestamp();
        cmd.Handler!(c);
        // A write that changed data reaches replicas verbatim, unless the handler propagated its effect itself.
        if (Dirty != dirtyBefore && !c.PropagateOverride && Replication.HasStreamConsumers) Replication.PropagateVerbatim(c);
        long elapsed = Stopwatch.GetTimestamp() - start;
        long micros = elapsed * 1_000_000 / Stopwatch.Frequency;
        cmd.Calls++;
        cmd.Microseconds += micros;
        cmd.RecordLatency((long)(elapsed * 1e9 / Stopwatch.Frequency));
        var config = Config;
        if (micros >= config.SlowlogLogSlowerThan && config.SlowlogLogSlowerThan >= 0 && (cmd.Flags & CommandFlags.SkipSlowlog) == 0)
            SlowLog.Add(c, micros, config.SlowlogLogSlowerThan, config.SlowlogMaxLen);
        if (config.LatencyMonitorThreshold > 0 && micros / 1000 >= config.LatencyMonitorThreshold)
            Latency.Add((cmd.Flags & CommandFlags.Fast) != 0 ? "fast-command" : "command", micros / 1000);
        if (Monitors.Count > 0 && (cmd.Flags & (CommandFlags.Admin | CommandFlags.SkipMonitor)) == 0) Monitors.Feed(c);
        Stats.TotalCommandsProcessed++;
        if (c.Reply.Length > before && c.Reply.WrittenSpan[before] == (byte)'-')
        {
            cmd.FailedCalls++;
            CountError(c.Reply.WrittenSpan[(before + 1)..]);
        }
        c.LastCommand = cmd;
        c.CommandCache = cmd.Parent ?? cmd;
        c.CurrentCommand = null;
    }

    /// <summary>Answers a command refused before execution (unknown, arity, not allowed now).</summary>
    public void Reject(Client c, string error)
    {
        if ((c.Flags & ClientFlags.Multi) != 0) c.Flags |= ClientFlags.DirtyExec;
        // A refused EXEC discards the transaction and says why (Redis' execCommandAbort).
        if (c.ArgCount > 0 && Ascii.EqualsIgnoreCase(c.Arg(0), "exec"u8))
        {
            DiscardTransaction(c);
            error = "EXECABORT Transaction discarded because of: " + (error.StartsWith("ERR ", StringComparison.Ordinal) ? error[4..] : error);
        }
        c.Reply.Error(error);
        var cmd = Commands.Find(c.Arg(0));
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
        Stats.TotalErrorReplies++;
        int sp = error.IndexOfAny((byte)' ', (byte)'\r');
        var code = Encoding.UTF8.GetString(sp < 0 ? error : error[..sp]);
        if (Stats.ErrorCounts.Count < 128 || Stats.ErrorCounts.ContainsKey(code))
            Stats.ErrorCounts[code] = Stats.ErrorCounts.GetValueOrDefault(code) + 1;
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..Math.Max(max, 0)];

    /// <summary>
    /// Runs <paramref name="action"/> under the execution lock from a thread that is not a client's
    /// (timers, the cron, replication), then sends whatever output it produced for clients.
    /// </summary>
    public void RunLocked(Action action)
    {
        List<ClientConnection> flush;
        lock (ExecLock)
        {
            KeyspaceState.NowMs = KeyspaceState.WallClockMs();
            try
            {
                action();
            }
            catch (Exception ex)
            {
                // Timer and background callbacks run here: an exception must never take the server down.
                Log.Error($"background work failed: {ex}");
            }
            if (_toFlush.Count == 0) return;
            foreach (var queued in _toFlush) queued.FlushQueued = false;
            // Hand the list over and start a new one: another thread may fill the next list while
            // this one is still being sent outside the lock.
            flush = _toFlush;
            _toFlush = new List<ClientConnection>();
        }
        foreach (var c in flush) c.Flush();
    }

    /// <summary>Schedules a send for a client that received output from another client's command.</summary>
    public void RequestFlush(ClientConnection c)
    {
        if (c.FlushQueued) return;
        c.FlushQueued = true;
        _toFlush.Add(c);
    }

    // ---- keyspace hooks ---------------------------------------------------------------------------

    /// <summary>Raised on every key write (Redis' signalModifiedKey): WATCH and client caching listen here.</summary>
    public event KeyModifiedHandler? KeyModifiedHandlers;

    /// <summary>Raised for keyspace notifications (class, event, key, db).</summary>
    public NotifyHandler? KeyspaceEventHandlers;

    public delegate void NotifyHandler(NotifyFlags type, string @event, ReadOnlySpan<byte> key, int db);
    public delegate void KeyModifiedHandler(Database db, ReadOnlySpan<byte> key);

    public void SignalModifiedKey(Database db, ReadOnlySpan<byte> key) => KeyModifiedHandlers?.Invoke(db, key);

    /// <summary>Raised under the execution lock when a key expired and was deleted (notifications listen here).</summary>
    public event Action<Database, byte[]>? KeyExpired;

    void IKeyspaceObserver.OnKeyAdded(Database db, ReadOnlySpan<byte> key)
    {
        if (Config.NotifyKeyspaceEvents.Length != 0) NotifyKeyspaceEvent(NotifyFlags.New, "new", key, db.Id);
    }

    void IKeyspaceObserver.OnKeyMiss(Database db, ReadOnlySpan<byte> key)
    {
        if (Config.NotifyKeyspaceEvents.Length != 0) NotifyKeyspaceEvent(NotifyFlags.KeyMiss, "keymiss", key, db.Id);
    }

    void IKeyspaceObserver.OnKeyExpired(Database db, byte[] key)
    {
        Replication.PropagateExpired(db.Id, key);
        NotifyKeyspaceEvent(NotifyFlags.Expired, "expired", key, db.Id);
        KeyExpired?.Invoke(db, key);
    }


    /// <summary>Extra periodic work of later subsystems (replication acks...), raised by the cron under the lock.</summary>
    public event Action? CronTick;

    internal void OnCronTick() => CronTick?.Invoke();

    /// <summary>
    /// Work before exiting (SHUTDOWN, SIGTERM): save the dataset when save points are configured or
    /// <paramref name="save"/> asks for it (NOSAVE passes false). Waits for a running BGSAVE first.
    /// Returns an error text when the save failed (the server then keeps running, as Redis does), or null.
    /// Call without holding the execution lock.
    /// </summary>
    public async Task<string?> PrepareForShutdownAsync(bool? save)
    {
        Log.Warning("User requested shutdown...");
        bool wantSave = save ?? Config.SavePoints.Length > 0;
        if (!wantSave) return null;
        await Persistence.BackgroundSaveCompletion;
        lock (ExecLock)
        {
            Log.Info("Saving the final RDB snapshot before exiting.");
            var error = Persistence.Save();
            if (error is not null)
            {
                Log.Warning("Error trying to save the DB, can't exit.");
                return "ERR Errors trying to SHUTDOWN. Check logs.";
            }
        }
        return null;
    }

    /// <summary>Stops the server (listeners, clients) without saving: SHUTDOWN after it saved itself under the lock.</summary>
    public void StopWithoutSaving() => _ = Task.Run(StopAsync);

    /// <summary>Requests an orderly stop from a signal: save if configured, then close listeners and clients.</summary>
    public void RequestShutdown() => _ = Task.Run(async () =>
    {
        if (_startCalled) await _startFinished.Task;
        if (await PrepareForShutdownAsync(null) is null) await StopAsync();
    });
}
