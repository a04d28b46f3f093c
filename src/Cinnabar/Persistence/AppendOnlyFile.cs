using System.Diagnostics;
using System.Runtime.InteropServices;
using Cinnabar.Keyspace;
using Microsoft.Win32.SafeHandles;

namespace Cinnabar.Persistence;

/// <summary>Redis' aof_state.</summary>
public enum AofState { Off, On, WaitRewrite }

/// <summary>
/// The append-only file in Redis 7.0's multi-part layout: a directory holding a manifest, one base file
/// (an RDB preamble) and incremental files of RESP commands.
/// <para>
/// It is a consumer of the one propagation feed (<see cref="Replication.ReplicationManager.FlushPending"/>):
/// the bytes a command's effects put on the replication stream are appended to <see cref="_buf"/> with a
/// SELECT of the AOF's own. The buffer is written to the file with one write() at the end of each
/// execution batch, still under the execution lock (so the file holds whole commands in execution order);
/// the fsync happens outside it: for <c>always</c>, on the thread of the batch before its replies may be
/// sent, as a group commit (one fdatasync covers every batch written before it started, so concurrent
/// writers share it); for <c>everysec</c>, on a dedicated thread once a second.
/// </para>
/// Members run under the execution lock unless noted.
/// </summary>
public sealed partial class AppendOnlyFile
{
    private readonly CinnabarServer _server;
    private AofManifest _manifest = new();

    // Commands not yet written, and the database the file's last SELECT chose.
    private byte[] _buf = new byte[64 * 1024];
    private int _bufLen;
    private int _selectedDb = -1;
    private byte[][] _selects = [];

    // The incremental file being appended to.
    private SafeFileHandle? _incr;
    private long _incrOffset;
    private long _baseSize, _olderIncrsSize;
    private long _rewriteBaseSize;

    // Durability: logical positions over all files (monotonic), fsync group commit.
    private long _writtenPos, _syncedPos;
    private readonly Lock _syncLock = new();
    private volatile bool _fsyncInProgress;
    private long _postponedSinceMs;
    private Thread? _fsyncThread, _commitThread;
    private readonly Lock _waitLock = new();
    private readonly List<Networking.ClientConnection> _syncWaiters = new();
    private readonly AutoResetEvent _syncRequested = new(false);
    private volatile bool _stopping;

    // Rewrite.
    private Task? _rewrite;
    private bool _rewriteCancelled;

    public AppendOnlyFile(CinnabarServer server) => _server = server;

    public AofState State { get; private set; }
    /// <summary>True when writes are appended (on, or waiting for the rewrite that turns it on).</summary>
    public bool Active => State != AofState.Off && !Loading;

    public bool LastWriteOk { get; private set; } = true;
    public bool LastFsyncOk { get; private set; } = true;
    private string _lastWriteError = "";
    public long DelayedFsyncs { get; private set; }
    /// <summary>fdatasync calls of the incremental files (tests check the group commit with it).</summary>
    internal long Fsyncs;
    /// <summary>Bytes written to the file but not yet known to be on disk.</summary>
    internal long UnsyncedBytes => Volatile.Read(ref _writtenPos) - Volatile.Read(ref _syncedPos);
    public bool RewriteInProgress => _rewrite is not null;
    public bool RewriteScheduled { get; set; }
    public long RewriteStartMs { get; private set; }
    public long LastRewriteSeconds { get; private set; } = -1;
    public bool LastBgrewriteOk { get; private set; } = true;
    public long Rewrites { get; private set; }
    public long ConsecutiveRewriteFailures { get; private set; }
    public long CurrentSize => _baseSize + _olderIncrsSize + _incrOffset;
    /// <summary>aof_base_size: the size after the last rewrite or at load (Redis' aof_rewrite_base_size).</summary>
    public long BaseSize => _rewriteBaseSize;
    public int BufferLength => _bufLen;
    public AofManifest Manifest => _manifest;

    public string DirPath => Path.Combine(_server.Config.Dir, _server.Config.AppendDirname);
    private string ManifestPath => Path.Combine(DirPath, AofManifest.ManifestName(_server.Config.AppendFilename));

    /// <summary>Redis' writeCommandsDeniedByDiskError for the AOF: the last write or fsync failed.</summary>
    public bool WritesDenied => Active && (!LastWriteOk || !LastFsyncOk);
    public string MisconfError => $"MISCONF Errors writing to the AOF file: {_lastWriteError}";

    // ---- the feed ---------------------------------------------------------------------------------

    /// <summary>Appends one command of the propagation feed; <paramref name="db"/> &lt; 0 needs no SELECT (EXEC).</summary>
    public void Feed(int db, ReadOnlySpan<byte> command)
    {
        // Waiting to turn on while the rewrite has not started (a BGSAVE runs): the rewrite's snapshot
        // will hold these writes, so appending them too would apply them twice (Redis buffers nothing then).
        if (State == AofState.WaitRewrite && _rewrite is null) return;
        if (_server.Config.AofTimestampEnabled) FeedTimestamp(db, command);
        if (db >= 0 && db != _selectedDb)
        {
            Append(SelectCommand(db));
            _selectedDb = db;
        }
        Append(command);
    }

    /// <summary>
    /// aof-timestamp-enabled (Redis' genAofTimestampAnnotationIfNeeded): <c>#TS:&lt;unix seconds&gt;</c> before
    /// a command when the second changed since the last annotation. Not between MULTI and EXEC: Redis
    /// feeds a transaction within one command's time, so its annotation, if any, comes before the MULTI.
    /// </summary>
    private void FeedTimestamp(int db, ReadOnlySpan<byte> command)
    {
        if (db < 0) { _feedInMulti = false; return; } // EXEC
        if (_feedInMulti) return;
        if (command.StartsWith("*1\r\n$5\r\nMULTI\r\n"u8)) _feedInMulti = true;
        long now = KeyspaceState.WallClockMs() / 1000;
        if (_timestamp >= now) return;
        _timestamp = now;
        Span<byte> line = stackalloc byte[32];
        "#TS:"u8.CopyTo(line);
        int n = 4 + Protocol.RespNumbers.FormatInt64(now, line[4..]);
        line[n++] = (byte)'\r';
        line[n++] = (byte)'\n';
        Append(line[..n]);
    }

    private long _timestamp;
    private bool _feedInMulti;

    private byte[] SelectCommand(int db)
    {
        if (db >= _selects.Length) Array.Resize(ref _selects, Math.Max(db + 1, _server.Config.Databases));
        return _selects[db] ??= Replication.ReplicationManager.EncodeCommand(["SELECT"u8.ToArray(), System.Text.Encoding.ASCII.GetBytes(db.ToString())]);
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_bufLen + bytes.Length > _buf.Length)
            Array.Resize(ref _buf, Math.Max(_buf.Length * 2, _bufLen + bytes.Length));
        bytes.CopyTo(_buf.AsSpan(_bufLen));
        _bufLen += bytes.Length;
    }

    /// <summary>
    /// End of an execution batch (under the lock): writes what the batch appended. Returns the position
    /// that must be fsynced before the batch's replies go out (<c>appendfsync always</c>), or -1.
    /// </summary>
    public long AfterBatch()
    {
        if (_bufLen > 0) Write();
        if (!FsyncBeforeReply) return -1;
        // Also when this batch wrote nothing: its replies may show another batch's writes that are not
        // on disk yet (Redis fsyncs before any reply of the event loop iteration goes out).
        return Volatile.Read(ref _syncedPos) < _writtenPos ? _writtenPos : -1;
    }

    /// <summary>appendfsync always is in force: replies wait for the fsync of what their batch wrote.</summary>
    public bool FsyncBeforeReply => State != AofState.Off && _server.Config.AppendFsync == Config.AppendFsyncMode.Always && !SkipFsyncForRewrite;

    /// <summary>no-appendfsync-on-rewrite: no fsync while a rewrite runs (Redis: while a child is active).</summary>
    private bool SkipFsyncForRewrite => _server.Config.NoAppendfsyncOnRewrite && (_rewrite is not null || _server.Persistence.BgsaveInProgress);

    /// <summary>Writes the buffer to the incremental file (Redis' flushAppendOnlyFile). False if nothing was written.</summary>
    private bool Write(bool force = false)
    {
        if (_bufLen == 0 || _incr is null) return false;
        if (!force && _server.Config.AppendFsync == Config.AppendFsyncMode.EverySec && _fsyncInProgress)
        {
            // Redis' rule: a write() behind a slow fsync may block the server, so wait for it up to 2 s,
            // then write anyway and count it (aof_delayed_fsync).
            long now = KeyspaceState.WallClockMs();
            if (_postponedSinceMs == 0) { _postponedSinceMs = now; return false; }
            if (now - _postponedSinceMs < 2000) return false;
            DelayedFsyncs++;
            _server.Log.Info("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
        }
        _postponedSinceMs = 0;
        long started = Stopwatch.GetTimestamp();
        try
        {
            RandomAccess.Write(_incr, _buf.AsSpan(0, _bufLen), _incrOffset);
            LatencySample("aof-write", started);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A partial write would leave half a command: cut the file back to the last whole one.
            try { RandomAccess.SetLength(_incr, _incrOffset); } catch (IOException) { }
            _lastWriteError = ErrorText(ex);
            if (_server.Config.AppendFsync == Config.AppendFsyncMode.Always)
            {
                // As Redis: the client was promised durability and the data is in an unknown state.
                _server.Log.Warning($"Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting... ({_lastWriteError})");
                Environment.Exit(1);
            }
            if (LastWriteOk) _server.Log.Warning($"Error writing to the AOF file: {_lastWriteError}");
            LastWriteOk = false;
            return false;
        }
        _incrOffset += _bufLen;
        Volatile.Write(ref _writtenPos, _writtenPos + _bufLen);
        _bufLen = 0;
        if (_buf.Length > 4 << 20) _buf = new byte[64 * 1024]; // a large MULTI block: do not keep its buffer
        if (!LastWriteOk)
        {
            _server.Log.Info("AOF write error looks solved, Redis can write again.");
            LastWriteOk = true;
        }
        return true;
    }

    /// <summary>Redis' latencyAddSampleIfNeeded for the AOF's work under the execution lock (LATENCY LATEST / HISTORY).</summary>
    private void LatencySample(string evt, long startTimestamp)
    {
        long threshold = _server.Config.LatencyMonitorThreshold;
        if (threshold <= 0) return;
        long ms = (long)Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
        if (ms >= threshold) _server.Latency.Add(evt, ms);
    }

    private static string ErrorText(Exception ex) =>
        ex.HResult is > 0 and < 4096 ? Marshal.GetPInvokeErrorMessage(ex.HResult) : ex.Message;

    public bool IsSynced(long position) => Volatile.Read(ref _syncedPos) >= position;

    /// <summary>
    /// Group commit for appendfsync always (any thread): registers a connection whose replies wait for
    /// <paramref name="position"/> to be on disk and wakes the commit thread. False when it already is.
    /// </summary>
    internal bool AddSyncWaiter(Networking.ClientConnection c, long position)
    {
        lock (_waitLock)
        {
            if (IsSynced(position)) return false;
            _syncWaiters.Add(c);
        }
        _syncRequested.Set();
        return true;
    }

    /// <summary>
    /// The commit thread: one fdatasync covers everything written when it starts, then every connection
    /// whose replies it covers is resumed. Writers that arrive during an fsync share the next one, so
    /// concurrent clients cost one fsync per round rather than one each.
    /// </summary>
    private void GroupCommitLoop()
    {
        var ready = new List<Networking.ClientConnection>();
        while (!_stopping)
        {
            _syncRequested.WaitOne(1000);
            bool waited;
            lock (_waitLock) waited = _syncWaiters.Count > 0;
            if ((waited && Volatile.Read(ref _syncedPos) < Volatile.Read(ref _writtenPos)) || _closing is not null)
                lock (_syncLock)
                {
                    if (waited) SyncLocked(exitOnError: _server.Config.AppendFsync == Config.AppendFsyncMode.Always);
                    else SyncClosing();
                }
            WakeSyncWaiters(ready);
        }
        WakeSyncWaiters(ready);
    }

    private void WakeSyncWaiters(List<Networking.ClientConnection> ready)
    {
        long synced = Volatile.Read(ref _syncedPos);
        lock (_waitLock)
        {
            for (int i = _syncWaiters.Count - 1; i >= 0; i--)
            {
                var w = _syncWaiters[i];
                // The AOF was switched off, or the client left: nothing more will cover it.
                if (Volatile.Read(ref w.DurableTarget) <= synced || State == AofState.Off || w.IsClosed)
                {
                    ready.Add(w);
                    _syncWaiters.RemoveAt(i);
                }
            }
        }
        foreach (var w in ready) w.SignalDurable();
        ready.Clear();
    }

    /// <summary>
    /// Synchronous group commit (a thread that may block: the cron, timers): returns once everything up
    /// to <paramref name="position"/> is on disk.
    /// </summary>
    public void SyncTo(long position)
    {
        if (Volatile.Read(ref _syncedPos) >= position) return;
        lock (_syncLock)
        {
            if (_syncedPos >= position) return;
            SyncLocked(exitOnError: true);
        }
    }

    /// <summary>fdatasync of the current file; caller holds <see cref="_syncLock"/>.</summary>
    private void SyncLocked(bool exitOnError)
    {
        SyncClosing(); // the previous file first: positions are synced in order
        var handle = _incr;
        if (handle is null || handle.IsClosed) return;
        long upTo = Volatile.Read(ref _writtenPos);
        _fsyncInProgress = true;
        int rc = FDataSync(handle);
        _fsyncInProgress = false;
        if (rc != 0)
        {
            string error = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
            if (exitOnError)
            {
                _server.Log.Warning($"Can't persist AOF for fsync error when the AOF fsync policy is 'always': {error}. Exiting...");
                Environment.Exit(1);
            }
            _lastWriteError = error;
            LastFsyncOk = false;
            return;
        }
        LastFsyncOk = true;
        Fsyncs++;
        Volatile.Write(ref _syncedPos, upTo);
    }

    /// <summary>everysec: fsync at most once a second, on a thread of its own (never the execution path).</summary>
    private void FsyncLoop()
    {
        while (!_stopping)
        {
            Thread.Sleep(1000);
            if (_stopping) break;
            if (_server.Config.AppendFsync != Config.AppendFsyncMode.EverySec || SkipFsyncForRewrite) continue;
            if (Volatile.Read(ref _syncedPos) >= Volatile.Read(ref _writtenPos)) continue;
            lock (_syncLock) SyncLocked(exitOnError: false);
        }
    }

    private void StartFsyncThread()
    {
        if (_fsyncThread is not null) return;
        _fsyncThread = new Thread(FsyncLoop) { IsBackground = true, Name = "aof-fsync" };
        _fsyncThread.Start();
        _commitThread = new Thread(GroupCommitLoop) { IsBackground = true, Name = "aof-group-commit" };
        _commitThread.Start();
    }

    // ---- files ------------------------------------------------------------------------------------

    private static int FDataSync(SafeFileHandle handle)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            int fd = (int)handle.DangerousGetHandle();
            return OperatingSystem.IsLinux() ? fdatasync(fd) : fsync(fd);
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    /// <summary>fsync of a directory, so a rename in it survives a crash.</summary>
    internal static void FsyncDirectory(string dir)
    {
        int fd = open(dir, 0); // O_RDONLY
        if (fd < 0) return;
        fsync(fd);
        close(fd);
    }

    /// <summary>Writes the manifest atomically: temp file, fsync, rename, fsync of the directory.</summary>
    private void PersistManifest(AofManifest m)
    {
        var temp = Path.Combine(DirPath, "temp-" + AofManifest.ManifestName(_server.Config.AppendFilename));
        using (var fs = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            fs.Write(System.Text.Encoding.UTF8.GetBytes(m.Format()));
            fs.Flush(flushToDisk: true);
        }
        File.Move(temp, ManifestPath, overwrite: true);
        FsyncDirectory(DirPath);
    }

    private static SafeFileHandle OpenForAppend(string path, out long length)
    {
        var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite);
        length = RandomAccess.GetLength(handle);
        return handle;
    }

    /// <summary>
    /// Starts a new incremental file (Redis' openNewIncrAofForAppend): the buffer goes to the old one
    /// first, which is synced and closed; the manifest lists the new one before anything is written to it.
    /// </summary>
    private void OpenNewIncr(string why)
    {
        Directory.CreateDirectory(DirPath);
        var next = _manifest.Clone();
        long seq = ++next.CurrentIncrSeq;
        var name = AofManifest.IncrName(_server.Config.AppendFilename, seq);
        var path = Path.Combine(DirPath, name);
        var handle = OpenForAppend(path, out long length);
        next.Incrs.Add(new AofFileInfo(name, seq, AofFileType.Incr));
        try
        {
            PersistManifest(next);
        }
        catch
        {
            handle.Dispose();
            File.Delete(path);
            throw;
        }
        CloseIncr(background: true);
        _manifest = next;
        _incr = handle;
        _incrOffset = length;
        _selectedDb = -1; // a new file starts with its own SELECT
        _server.Log.Info($"Creating AOF incr file {name} {why}");
    }

    /// <summary>
    /// Writes what is buffered and closes the current incremental file, synced. With
    /// <paramref name="background"/> (a rewrite switching files, under the execution lock) the fsync and
    /// close are left to the commit thread, as Redis' bio close job: an fdatasync under the lock cost up to
    /// 50 ms on a busy disk. The file's positions count as synced only once that fsync is done, and the
    /// next file's fsync comes after it (<see cref="SyncLocked"/>).
    /// </summary>
    private void CloseIncr(bool background = false)
    {
        if (_incr is null) return;
        Write(force: true);
        lock (_syncLock)
        {
            _olderIncrsSize += _incrOffset;
            _incrOffset = 0;
            if (background && _closing is null)
            {
                _closing = _incr;
                _closingUpTo = _writtenPos;
                _incr = null;
            }
            else
            {
                if (_server.Config.AppendFsync != Config.AppendFsyncMode.No) SyncLocked(exitOnError: false);
                else SyncClosing();
                _incr.Dispose();
                _incr = null;
                Volatile.Write(ref _syncedPos, _writtenPos);
            }
        }
        _syncRequested.Set(); // the commit thread syncs the old file; replies waiting for it may go
    }

    // An incremental file switched away from, still to be synced and closed (by the commit thread).
    private SafeFileHandle? _closing;
    private long _closingUpTo;

    /// <summary>Syncs and closes the file a rewrite switched away from; caller holds <see cref="_syncLock"/>.</summary>
    private void SyncClosing()
    {
        var closing = _closing;
        if (closing is null) return;
        if (_server.Config.AppendFsync != Config.AppendFsyncMode.No && FDataSync(closing) == 0) Fsyncs++;
        closing.Dispose();
        _closing = null;
        if (Volatile.Read(ref _syncedPos) < _closingUpTo) Volatile.Write(ref _syncedPos, _closingUpTo);
    }

    /// <summary>
    /// Redis' aofDelHistoryFiles: the manifest forgets the history files, which are then unlinked off the
    /// execution path (freeing a large base file's blocks can take a while, Redis uses a bio thread).
    /// </summary>
    private void DeleteHistory()
    {
        if (_manifest.History.Count == 0) return;
        var paths = _manifest.History.Select(h => Path.Combine(DirPath, h.Name)).ToList();
        foreach (var h in _manifest.History) _server.Log.Info($"Removing the history file {h.Name} in the background");
        var next = _manifest.Clone();
        next.History.Clear();
        PersistManifest(next);
        _manifest = next;
        _ = Task.Run(() =>
        {
            foreach (var path in paths)
                try { File.Delete(path); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        });
    }

    private long FileSize(AofFileInfo? f)
    {
        if (f is null) return 0;
        var path = Path.Combine(DirPath, f.Name);
        return File.Exists(path) ? new FileInfo(path).Length : 0;
    }

    // ---- rewrite ----------------------------------------------------------------------------------

    /// <summary>
    /// BGREWRITEAOF (Redis' rewriteAppendOnlyFileBackground): new writes go to a fresh incremental file
    /// while a background thread writes a new base from a point-in-time snapshot (the copy-on-write
    /// snapshot BGSAVE uses); when it is done the manifest switches to the new base and the incremental
    /// files before it become history and are deleted. Returns an error text, or null when started.
    /// </summary>
    public string? StartRewrite()
    {
        if (_rewrite is not null) return "ERR Background append only file rewriting already in progress";
        if (_server.Persistence.BgsaveInProgress)
        {
            RewriteScheduled = true;
            return null;
        }
        RewriteScheduled = false;
        long started = Stopwatch.GetTimestamp();
        try
        {
            // Flush and sync first: the rewrite's snapshot includes everything written so far.
            OpenNewIncr("during AOF rewrite");
            LatencySample("aof-open-incr", started);
            if (_incr is not null) StartFsyncThread();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _server.Log.Warning($"Can't open new incr AOF file: {ex.Message}");
            LastBgrewriteOk = false;
            ConsecutiveRewriteFailures++;
            return "ERR Can't open new incr AOF file";
        }
        started = Stopwatch.GetTimestamp();
        var images = _server.Persistence.BeginSnapshot();
        LatencySample("aof-snapshot", started);
        var options = _server.Persistence.SaveOptions();
        bool preamble = _server.Config.AofUseRdbPreamble, timestamp = _server.Config.AofTimestampEnabled;
        var temp = Path.Combine(DirPath, $"temp-rewriteaof-bg-{Environment.ProcessId}.aof");
        RewriteStartMs = KeyspaceState.WallClockMs();
        _rewriteCancelled = false;
        _server.Log.Info("Background append only file rewriting started");
        _rewrite = Task.Factory.StartNew(() =>
        {
            Exception? error = null;
            try
            {
                WriteBase(temp, images, options, preamble, timestamp);
            }
            catch (Exception ex) { error = ex; }
            _server.Dispatcher.RunLocked(() => RewriteDone(temp, preamble, images, error));
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return null;
    }

    /// <summary>Redis' backgroundRewriteDoneHandler, under the lock.</summary>
    private void RewriteDone(string temp, bool preamble, List<DatabaseImage> images, Exception? error)
    {
        _server.Persistence.EndSnapshot(images);
        _rewrite = null;
        LastRewriteSeconds = (KeyspaceState.WallClockMs() - RewriteStartMs) / 1000;
        RewriteStartMs = 0;
        if (error is null && _rewriteCancelled) error = new OperationCanceledException("AOF turned off");
        if (error is null)
        {
            try
            {
                var next = _manifest.Clone();
                long seq = next.CurrentBaseSeq + 1;
                var name = AofManifest.BaseName(_server.Config.AppendFilename, seq, preamble);
                if (next.Base is not null) next.History.Add(next.Base with { Type = AofFileType.History });
                // Every incremental file but the one opened for this rewrite is covered by the new base.
                for (int i = 0; i < next.Incrs.Count - 1; i++) next.History.Add(next.Incrs[i] with { Type = AofFileType.History });
                if (next.Incrs.Count > 1) next.Incrs.RemoveRange(0, next.Incrs.Count - 1);
                next.Base = new AofFileInfo(name, seq, AofFileType.Base);
                next.CurrentBaseSeq = seq;
                long started = Stopwatch.GetTimestamp();
                File.Move(temp, Path.Combine(DirPath, name), overwrite: true);
                PersistManifest(next);
                LatencySample("aof-rename", started);
                _manifest = next;
                _baseSize = FileSize(next.Base);
                _olderIncrsSize = 0;
                for (int i = 0; i < next.Incrs.Count - 1; i++) _olderIncrsSize += FileSize(next.Incrs[i]);
                _rewriteBaseSize = CurrentSize;
                DeleteHistory();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error = ex;
            }
        }
        if (error is not null)
        {
            try { File.Delete(temp); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
            LastBgrewriteOk = false;
            ConsecutiveRewriteFailures++;
            _server.Log.Warning($"Background AOF rewrite failed: {error.Message}");
            // Still waiting to turn on (a failure, or a rewrite cancelled by "no" then "yes"): retry from the cron.
            if (State == AofState.WaitRewrite) RewriteScheduled = true;
            return;
        }
        LastBgrewriteOk = true;
        ConsecutiveRewriteFailures = 0;
        Rewrites++;
        if (State == AofState.WaitRewrite)
        {
            State = AofState.On;
            _server.Log.Info("Background AOF rewrite finished successfully");
        }
        _server.Log.Info("Background AOF rewrite terminated with success");
    }

    // ---- switching on and off -----------------------------------------------------------------------

    /// <summary>CONFIG SET appendonly yes: writes are appended from now on, and the AOF is on once a rewrite made its base.</summary>
    public bool Start()
    {
        if (State != AofState.Off) return true;
        State = AofState.WaitRewrite;
        _selectedDb = -1;
        if (_rewrite is not null)
        {
            RewriteScheduled = true; // a discarded rewrite still runs: the cron starts a new one after it
            return true;
        }
        var error = StartRewrite();
        if (error is not null && !RewriteScheduled)
        {
            State = AofState.Off;
            _server.Log.Warning("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
            return false;
        }
        return true;
    }

    /// <summary>CONFIG SET appendonly no: flush, sync and close; a running rewrite is discarded.</summary>
    public void Stop()
    {
        if (State == AofState.Off) return;
        CloseIncr();
        _bufLen = 0;
        if (_rewrite is not null) _rewriteCancelled = true;
        RewriteScheduled = false;
        State = AofState.Off;
        LastWriteOk = LastFsyncOk = true;
    }

    /// <summary>
    /// SHUTDOWN, before the final RDB save (Redis' prepareForShutdown): everything written reaches the disk.
    /// The AOF stays on: the shutdown may still fail and the server go on.
    /// </summary>
    public void FlushForShutdown()
    {
        if (State == AofState.Off || _stopping) return;
        _server.Log.Info("Calling fsync() on the AOF file.");
        Write(force: true);
        lock (_syncLock) SyncLocked(exitOnError: false);
        _syncRequested.Set();
    }

    /// <summary>The server stops: a last flush and fsync, the fsync threads end, a running rewrite is discarded.</summary>
    public void Shutdown()
    {
        if (State == AofState.Off || _stopping) return;
        Write(force: true);
        lock (_syncLock) SyncLocked(exitOnError: false);
        _stopping = true;
        if (_rewrite is not null) _rewriteCancelled = true;
        _syncRequested.Set();
    }

    /// <summary>From the cron: retry a failed or postponed write, start scheduled and automatic rewrites.</summary>
    public void Cron()
    {
        if (State == AofState.Off && !RewriteScheduled) return;
        if (_bufLen > 0) Write();
        if (_rewrite is not null || _server.Persistence.BgsaveInProgress) return;
        if (RewriteScheduled)
        {
            StartRewrite();
            return;
        }
        var config = _server.Config;
        if (State == AofState.On && config.AutoAofRewritePercentage > 0 && CurrentSize > config.AutoAofRewriteMinSize)
        {
            long baseSize = Math.Max(_rewriteBaseSize, 1);
            long growth = (CurrentSize * 100 / baseSize) - 100;
            if (growth >= config.AutoAofRewritePercentage)
            {
                _server.Log.Info($"Starting automatic rewriting of AOF on {growth}% growth");
                StartRewrite();
            }
        }
    }
}
