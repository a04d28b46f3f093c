using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Cinnabar.Clients;
using Cinnabar.Commands;
using Cinnabar.Config;
using Cinnabar.Dispatch;
using Cinnabar.Keyspace;
using Cinnabar.Networking;
using Cinnabar.Notifications;
using Cinnabar.PubSub;
using Cinnabar.Server;
using Cinnabar.Tracking;
using Cinnabar.Transactions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cinnabar;

/// <summary>
/// The composition root: owns the databases, the command table, the one execution lock and the named
/// components below, starts and stops them, and wires the few signals that cross components (a key
/// written, expired or missed; a client gone). Everything else lives in the component that bears its name.
/// <para>
/// Threading model: I/O runs on the .NET thread pool (one receive loop and one send loop per client);
/// commands execute on whichever thread received them, but only while holding <see cref="ExecLock"/>,
/// so every command (and every pipelined batch) is atomic, exactly as in single-threaded Redis, and data
/// structures need no internal locking. Parsing and socket writes happen outside the lock.
/// </para>
/// </summary>
public sealed class CinnabarServer : IAsyncDisposable, IKeyspaceObserver
{
    /// <summary>Held while executing commands and whenever the keyspace or clients are touched.</summary>
    public readonly Lock ExecLock = new();

    private readonly List<Listener> _listeners = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ServerCron? _cron;
    private readonly ILoggerFactory? _ownedLoggerFactory;

    public CinnabarServer(ServerConfig config, ILoggerFactory? loggerFactory = null)
    {
        Config = config;
        if (loggerFactory is null && config.LogLevel != LogVerbosity.Nothing)
            loggerFactory = _ownedLoggerFactory = ServerLog.CreateFactory(config.LogLevel, config.LogFile, config.Daemonize);
        Log = new ServerLog((loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("cinnabar"));
        KeyspaceState = new KeyspaceState { NowMs = KeyspaceState.WallClockMs(), Config = config };
        Databases = new Database[config.Databases];
        for (int i = 0; i < Databases.Length; i++) Databases[i] = new Database(i, KeyspaceState);
        Commands = new CommandTable(CommandRegistry.AllCommands());
        foreach (var (from, to) in config.RenamedCommands) Commands.Rename(from, to);
        Clients = new ClientRegistry(this);
        Acl = new Security.AclManager(this);
        Dispatcher = new Dispatcher(this, Commands);
        PubSub = new PubSubHub(Dispatcher.Output);
        Notifications = new KeyspaceNotifier(config, PubSub);
        Transactions = new TransactionManager(this);
        Tracking = new TrackingManager(this, Dispatcher.Output);
        Blocking = new Blocking.BlockingManager(this);
        Monitors = new MonitorFeed(this);
        Persistence = new Persistence.PersistenceManager(this);
        Replication = new Replication.ReplicationManager(this);
        Aof = new Persistence.AppendOnlyFile(this);
        Memory = new Cinnabar.Memory.MemoryManager(this);
        Memory.CaptureStartup();
        Scripting = new Scripting.ScriptingEngine(this);
        KeyspaceState.Observer = this;
        RunId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        StartTimeMs = KeyspaceState.WallClockMs();
        StartTimestamp = Stopwatch.GetTimestamp();
    }

    /// <summary>The Redis version whose behaviour Cinnabar follows, reported to clients (HELLO, INFO).</summary>
    public const string RedisVersion = "7.0.15";

    public ServerConfig Config { get; }
    public ServerLog Log { get; }
    public KeyspaceState KeyspaceState { get; }
    public Database[] Databases { get; }
    public CommandTable Commands { get; }

    // ---- the components ------------------------------------------------------------------------------

    /// <summary>ACL users, authentication and permission checks.</summary>
    public Security.AclManager Acl { get; }

    /// <summary>Connected clients by id.</summary>
    public ClientRegistry Clients { get; }
    /// <summary>The path of every command: admission checks, MULTI queueing, call, propagation.</summary>
    public Dispatcher Dispatcher { get; }
    /// <summary>Channels, patterns and shard channels.</summary>
    public PubSubHub PubSub { get; }
    /// <summary>Keyspace notifications (notify-keyspace-events), published through <see cref="PubSub"/>.</summary>
    public KeyspaceNotifier Notifications { get; }
    /// <summary>MULTI/EXEC and WATCH.</summary>
    public TransactionManager Transactions { get; }
    /// <summary>Client-side caching: CLIENT TRACKING, the keys clients read, invalidation messages.</summary>
    public TrackingManager Tracking { get; }
    /// <summary>Clients parked in blocking commands (BLPOP, BZPOPMIN, XREAD BLOCK...).</summary>
    public Blocking.BlockingManager Blocking { get; }
    /// <summary>RDB snapshots: SAVE, BGSAVE, save points, loading, changes since the last save.</summary>
    public Persistence.PersistenceManager Persistence { get; }
    /// <summary>Master and replica roles: propagation, backlog, PSYNC, the link to our master.</summary>
    public Replication.ReplicationManager Replication { get; }

    /// <summary>Lua scripts (EVAL) and function libraries (FUNCTION/FCALL).</summary>
    public Scripting.ScriptingEngine Scripting { get; }
    public Persistence.AppendOnlyFile Aof { get; }
    /// <summary>used_memory, maxmemory and eviction (docs/memory.md).</summary>
    public Cinnabar.Memory.MemoryManager Memory { get; }
    /// <summary>CLIENT PAUSE.</summary>
    public ClientPause Pause { get; } = new();
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

    public string RunId { get; }
    public long StartTimeMs { get; }
    public long StartTimestamp { get; }

    /// <summary>The plain TCP ports actually bound (useful with port 0 in tests).</summary>
    public IReadOnlyList<int> BoundPorts { get { lock (_listeners) return _listeners.Where(l => l.UnixPath is null && !l.IsTls).Select(l => l.Port).ToArray(); } }
    public int Port { get { lock (_listeners) return _listeners.FirstOrDefault(l => l.UnixPath is null && !l.IsTls)?.Port ?? Config.Port; } }
    /// <summary>The TLS port being listened on (tls-port), or 0.</summary>
    public int TlsPort { get { lock (_listeners) return _listeners.FirstOrDefault(l => l.IsTls)?.Port ?? 0; } }

    /// <summary>
    /// The TLS context (certificates, CAs, protocols) when TLS is in use, else null. Replaced as a whole on
    /// CONFIG SET of a tls-* parameter; connections take the current one when they start.
    /// </summary>
    public volatile TlsContext? Tls;

    /// <summary>Completes when the server has stopped (SHUTDOWN or <see cref="StopAsync"/>).</summary>
    public Task Completion => _stopped.Task;

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
        // Users from the config file or the aclfile: an invalid one stops start-up (ConfigException).
        Acl.LoadAtStartup();
        WritePidFile();
        WarnAboutSettingsWithoutEffect();
        Persistence.LastSaveTimeMs = StartTimeMs;
        // With appendonly yes the AOF holds the dataset and the dump is not read, as in Redis.
        if (Config.AppendOnly) Aof.LoadAtStartup();
        else
        {
            Persistence.LoadAtStartup();
            Aof.LoadAtStartup(); // reads the manifest only, so that CONFIG SET appendonly yes continues its sequence numbers
        }
        SocketTuning.Apply();
        // As Redis' main: TLS configured at start-up when tls-port, tls-replication or tls-cluster needs it.
        if (Config.TlsInUse)
        {
            try { Tls = TlsContext.Load(Config); }
            catch (TlsConfigException ex)
            {
                Log.Warning(ex.Message);
                Log.Warning("Failed to configure TLS. Check logs for more info.");
                throw new ConfigException($"Failed to configure TLS: {ex.Message}");
            }
        }
        // port 0 with a unixsocket or a tls-port listens on those only, as Redis; port 0 alone picks a free port (tests).
        bool tcp = Config.Port != 0 || (Config.UnixSocket == "" && Config.TlsPort == 0);
        if (tcp) foreach (var l in BindListeners(Config.Port, tls: false)) StartListener(l);
        if (Config.TlsPort != 0)
        {
            List<Listener> tlsListeners;
            try { tlsListeners = BindListeners(Config.TlsPort, tls: true); }
            catch (SocketException ex)
            {
                throw new ConfigException($"Could not create server TLS listening socket {string.Join(' ', Config.Bind)}:{Config.TlsPort}: {ex.Message}");
            }
            foreach (var l in tlsListeners) StartListener(l);
            Log.Info($"Cinnabar ready to accept TLS connections on port {TlsPort}");
        }
        if (Config.UnixSocket != "")
        {
            var unix = new Listener(this, Config.UnixSocket, Config.UnixSocketPerm);
            StartListener(unix);
            Log.Info($"The server is now ready to accept connections at {Config.UnixSocket}");
        }
        _cron = new ServerCron(this);
        _cron.Start();
        if (Config.ReplicaOfHost is not null)
            lock (ExecLock) Replication.SetMaster(Config.ReplicaOfHost, Config.ReplicaOfPort, atStartup: true);
        Log.Info($"Cinnabar ready to accept connections on port {Port}");
        if (SystemdNotify.Wanted(Config.SupervisedMode))
            SystemdNotify.Send("STATUS=Ready to accept connections\nREADY=1\n", Log);
    }

    private void StartListener(Listener l)
    {
        l.Start();
        lock (_listeners) _listeners.Add(l);
    }

    /// <summary>
    /// A listener on <paramref name="port"/> for each bind address ("-addr" optional, as Redis 7.0). With
    /// port 0 (tests) the addresses after the first take the port the first was given. On an error the
    /// listeners already bound are closed and the error is thrown.
    /// </summary>
    private List<Listener> BindListeners(int port, bool tls)
    {
        var bound = new List<Listener>();
        try
        {
            foreach (var entry in Config.Bind)
            {
                // "-addr" is optional (Redis 7.0): skipped when this host has no such address or protocol.
                bool optional = entry.StartsWith('-');
                var address = optional ? entry[1..] : entry;
                Listener listener;
                try
                {
                    var ip = address switch
                    {
                        "*" => IPAddress.Any,
                        "::*" => IPAddress.IPv6Any,
                        _ => IPAddress.TryParse(address.Trim('[', ']'), out var parsed) ? parsed : Dns.GetHostAddresses(address).FirstOrDefault()
                             ?? throw new SocketException((int)SocketError.HostNotFound),
                    };
                    listener = new Listener(this, new IPEndPoint(ip, bound.Count > 0 && port == 0 ? bound[0].Port : port), tls);
                }
                catch (SocketException ex) when (optional && ex.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported
                                                     or SocketError.ProtocolNotSupported or SocketError.SocketNotSupported or SocketError.ProtocolFamilyNotSupported)
                {
                    continue;
                }
                bound.Add(listener);
            }
        }
        catch
        {
            foreach (var l in bound) l.Stop();
            throw;
        }
        return bound;
    }

    /// <summary>
    /// CONFIG SET tls-port (Redis' changeListenPort): binds the new port on every bind address first, then
    /// closes the old TLS listeners (connections already accepted stay); 0 only closes them. Returns false,
    /// with the old listeners untouched, when the new port cannot be bound.
    /// </summary>
    internal bool ChangeTlsPort(int port)
    {
        List<Listener> fresh = [];
        if (port != 0)
        {
            try { fresh = BindListeners(port, tls: true); }
            catch (SocketException ex)
            {
                Log.Warning($"Could not create server TLS listening socket {string.Join(' ', Config.Bind)}:{port}: {ex.Message}");
                return false;
            }
        }
        List<Listener> old;
        lock (_listeners)
        {
            old = _listeners.Where(l => l.IsTls).ToList();
            _listeners.RemoveAll(l => l.IsTls);
        }
        foreach (var l in old) l.Stop();
        foreach (var l in fresh) StartListener(l);
        return true;
    }

    public async Task StopAsync()
    {
        if (_startCalled) await _startFinished.Task;
        // A script that never ends would hold the stop (its client's connection) forever.
        Scripting.AbortForShutdown();
        Listener[] listeners;
        lock (_listeners) listeners = _listeners.ToArray();
        foreach (var l in listeners) l.Stop();
        _cron?.Stop();
        foreach (var c in Clients.Snapshot()) (c as ClientConnection)?.Close();
        lock (ExecLock) Aof.Shutdown();
        foreach (var l in listeners) await l.Completion;
        RemovePidFile();
        _stopped.TrySetResult();
    }

    // ---- process-level settings -----------------------------------------------------------------------

    /// <summary>Redis' default pidfile when daemonized without one.</summary>
    public const string DefaultPidFile = "/var/run/redis.pid";

    private string? _pidFileWritten;

    /// <summary>pidfile (or the default one when daemonized), written before loading as Redis does.</summary>
    private void WritePidFile()
    {
        var path = Config.PidFile != "" ? Config.PidFile : Config.Daemonize ? DefaultPidFile : null;
        if (path is null) return;
        try
        {
            File.WriteAllText(path, Environment.ProcessId + "\n");
            _pidFileWritten = path;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.Warning($"Failed to write PID file: {ex.Message}");
        }
    }

    private void RemovePidFile()
    {
        if (_pidFileWritten is null) return;
        try { File.Delete(_pidFileWritten); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        _pidFileWritten = null;
    }

    /// <summary>Settings Redis has that cannot apply to this server: accepted, documented, and said so at start-up.</summary>
    private void WarnAboutSettingsWithoutEffect()
    {
        if (Config.IoThreads > 1 || Config.IoThreadsDoReads)
            Log.Warning($"io-threads {Config.IoThreads} has no effect: Cinnabar already reads, parses and writes on every core through the runtime's socket threads, and executes commands under one lock (docs/configuration.md).");
        foreach (var name in ConfigParameters.WithoutEffect(Config))
            Log.Warning($"{name} {Config.Passive[name]} has no effect: the mechanism it tunes does not exist in Cinnabar (docs/configuration.md).");
        // Acted-on parameters whose non-default values change nothing yet (docs/configuration.md says why).
        if (!Config.ReplDisklessSync || Config.ReplDisklessSyncDelay != 5)
            Log.Warning("repl-diskless-sync and repl-diskless-sync-delay have no effect yet: a full sync always sends a snapshot taken in memory, at once (docs/configuration.md).");
        if (Config.LazyFreeLazyServerDel)
            Log.Warning("lazyfree-lazy-server-del has no effect: values are always freed off the execution path by the collector.");
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _ownedLoggerFactory?.Dispose();
    }

    // ---- what a departing client leaves behind ---------------------------------------------------

    /// <summary>
    /// Releases what a closed client held in every component (Redis' freeClient). Called by the client
    /// registry under the execution lock.
    /// </summary>
    internal void ReleaseClient(Client c)
    {
        PubSub.UnsubscribeAll(c, notify: false);
        Transactions.Forget(c);
        Blocking.Remove(c);
        Monitors.Remove(c);
        Replication.OnClientClosed(c);
        Tracking.Disable(c);
    }

    // ---- keyspace signals -----------------------------------------------------------------------------

    public delegate void KeyModifiedObserver(Database db, ReadOnlySpan<byte> key);

    /// <summary>Sees every signalled key write (tests observe the server through it).</summary>
    public event KeyModifiedObserver? KeyModifiedObserved;

    /// <summary>Redis' signalModifiedKey, after every key write: WATCH and client-side caching.</summary>
    public void SignalModifiedKey(Database db, ReadOnlySpan<byte> key) => SignalModifiedKey(db, key, removed: false);

    /// <summary><see cref="SignalModifiedKey(Database, ReadOnlySpan{byte})"/> for a key known to be gone: nothing to re-measure.</summary>
    public void SignalModifiedKey(Database db, ReadOnlySpan<byte> key, bool removed)
    {
        // A collection changed in place: the running memory total follows its size (strings are counted
        // when stored, so only collections need a look).
        if (!removed)
        {
            int i = db.FindSignalled(key);
            if (i >= 0 && db.EntryAt(i).Value is DataTypes.IRedisObject) db.Remeasure(i);
        }
        Transactions.TouchWatchedKey(db, key);
        // The writer is the client whose command runs (BCAST NOLOOP leaves its own writes out).
        if (Tracking.Active) Tracking.InvalidateKey(key, Tracking.CurrentClient);
        KeyModifiedObserved?.Invoke(db, key);
    }

    /// <summary>
    /// A key was evicted (maxmemory): Redis' signalModifiedKey(NULL, ...) of performEvictions. Watchers see a
    /// change and tracking clients an invalidation, with no client as the writer. Call after the deletion.
    /// </summary>
    public void SignalEvictedKey(Database db, ReadOnlySpan<byte> key)
    {
        Transactions.TouchWatchedKey(db, key);
        if (Tracking.Active) Tracking.InvalidateKey(key, null);
        KeyModifiedObserved?.Invoke(db, key);
    }

    /// <summary>
    /// Redis' signalFlushedDb after the keyspace (or one database) was emptied: every tracking client is told
    /// to drop everything (WATCH is touched by the callers, per database, before they empty it).
    /// </summary>
    public void SignalFlushed() => Tracking.InvalidateKeysOnFlush();

    void IKeyspaceObserver.OnKeyAdded(Database db, ReadOnlySpan<byte> key)
    {
        if (Notifications.Enabled) Notifications.Notify(NotifyFlags.New, "new", key, db.Id);
    }

    void IKeyspaceObserver.OnKeyMiss(Database db, ReadOnlySpan<byte> key)
    {
        if (Notifications.Enabled) Notifications.Notify(NotifyFlags.KeyMiss, "keymiss", key, db.Id);
    }

    /// <summary>A key expired and was deleted: replicas get a DEL, subscribers the event, watchers a touch.</summary>
    void IKeyspaceObserver.OnKeyExpired(Database db, byte[] key)
    {
        Replication.PropagateExpired(db.Id, key);
        Notifications.Notify(NotifyFlags.Expired, "expired", key, db.Id);
        Transactions.TouchWatchedKey(db, key);
        if (Tracking.Active) Tracking.InvalidateKey(key, null);
    }

    /// <summary>
    /// Work before exiting (SHUTDOWN, SIGTERM): save the dataset when save points are configured or
    /// <paramref name="save"/> asks for it (NOSAVE passes false). Waits for a running BGSAVE first.
    /// Returns an error text when the save failed (the server then keeps running, as Redis does), or null.
    /// Call without holding the execution lock.
    /// </summary>
    public async Task<string?> PrepareForShutdownAsync(bool? save)
    {
        Log.Warning("User requested shutdown...");
        lock (ExecLock) Aof.FlushForShutdown();
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
    public void RequestShutdown()
    {
        // A signal delivered twice (to a process group, or by `dotnet run` forwarding it) starts one shutdown;
        // after a failed one (the save failed and the server goes on), a later signal tries again.
        if (Interlocked.Exchange(ref _shutdownRequested, 1) != 0) return;
        // A script running past busy-reply-threshold would hold the shutdown forever: it is stopped.
        Scripting.AbortForShutdown();
        _ = Task.Run(async () =>
        {
            if (_startCalled) await _startFinished.Task;
            if (await PrepareForShutdownAsync(null) is null) await StopAsync();
            else Volatile.Write(ref _shutdownRequested, 0);
        });
    }

    private int _shutdownRequested;
}
