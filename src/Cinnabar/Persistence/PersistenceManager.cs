using System.Text;
using System.Runtime;
using System.Diagnostics;
using Cinnabar.Commands;
using Cinnabar.DataTypes;
using Cinnabar.Keyspace;

namespace Cinnabar.Persistence;

/// <summary>
/// RDB snapshots: SAVE, BGSAVE, save points, loading at start-up.
/// <para>
/// There is no fork() in .NET, so BGSAVE makes its point-in-time copy itself: under the execution lock it
/// copies each database's entry array (keys, value references, expiry: 32 bytes a key, a memcpy), then a
/// background thread serialises those values. To keep them unchanged while it does, every write command
/// first gives the keys it is about to touch a private clone of their value (copy-on-write at value
/// granularity, found through the command table's key positions), so the snapshot's objects are never
/// mutated. Memory during a save is the entry arrays plus clones of the values written meanwhile.
/// </para>
/// All members run under the execution lock unless noted.
/// </summary>
public sealed class PersistenceManager
{
    private readonly CinnabarServer _server;
    private HashSet<object>? _privateValues; // values already cloned during the running snapshot(s)
    private Task? _bgsave;
    private readonly List<int> _keyPositions = new();

    public PersistenceManager(CinnabarServer server) => _server = server;

    /// <summary>Changes since the last save (rdb_changes_since_last_save); also how the dispatcher tells that a command wrote.</summary>
    public long Dirty;

    /// <summary>When the last successful save finished (LASTSAVE), Unix ms.</summary>
    public long LastSaveTimeMs;

    public bool BgsaveInProgress => _bgsave is not null;
    public bool LastBgsaveOk { get; private set; } = true;

    /// <summary>
    /// Redis' writeCommandsDeniedByDiskError: the last background save failed while save points are configured
    /// and stop-writes-on-bgsave-error is on, so writes are refused with MISCONF until a save succeeds.
    /// </summary>
    public bool WritesDeniedByDiskError => !LastBgsaveOk && _server.Config.StopWritesOnBgsaveError && _server.Config.SavePoints.Length > 0;

    public const string MisconfError = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
    public long LastBgsaveDurationSec { get; private set; } = -1;
    public long CurrentBgsaveStartMs { get; private set; }
    public long LastBgsaveTryMs { get; private set; }
    public long Saves { get; private set; }
    public long LastLoadKeysLoaded { get; private set; }
    public long LastLoadKeysExpired { get; private set; }
    public long CurrentSaveKeysTotal { get; private set; }
    /// <summary>True while a BGSAVE waits for the running one (BGSAVE SCHEDULE).</summary>
    public bool BgsaveScheduled { get; set; }

    public string RdbPath => Path.Combine(_server.Config.Dir, _server.Config.DbFilename);

    /// <summary>Completes when the running background save (if any) finishes; not under the lock.</summary>
    public Task BackgroundSaveCompletion => _bgsave ?? Task.CompletedTask;

    // ---- copy-on-write --------------------------------------------------------------------------

    /// <summary>True while a background save may still read values that writes must not change.</summary>
    public bool SnapshotActive => _privateValues is not null;

    /// <summary>
    /// Called by the dispatcher before a write command runs while a snapshot is active: the keys the
    /// command names get a private copy of their value, so the snapshot's copy stays as it was.
    /// </summary>
    public void BeforeWrite(Client c, CommandDef cmd)
    {
        bool clone = !DropsValuesOnly.Contains(cmd.FullName);
        _keyPositions.Clear();
        cmd.GetKeyPositions(c, _keyPositions);
        foreach (int pos in _keyPositions) BeforeWriteKey(c.Db, c.Arg(pos), clone);
    }

    /// <summary>
    /// Write commands that drop, move or re-time values but never change one in place: the snapshot's image
    /// keeps the old value, so no private copy is needed. Copying first made DEL or UNLINK of a 10M-member
    /// set during a BGSAVE copy all of it under the lock before dropping it.
    /// </summary>
    private static readonly HashSet<string> DropsValuesOnly = new(StringComparer.Ordinal)
    {
        "del", "unlink", "getdel", "rename", "renamenx", "move", "copy", "restore", "expire", "pexpire", "expireat",
        "pexpireat", "persist",
    };

    /// <summary>Values copied for the live keyspace since the current snapshot began (tests).</summary>
    internal int PrivateValueCount => _privateValues?.Count ?? 0;

    /// <summary>Makes the value of <paramref name="key"/> private to the live keyspace (see <see cref="BeforeWrite"/>).</summary>
    public void BeforeWriteKey(Database db, ReadOnlySpan<byte> key, bool cloneValue = true)
    {
        if (_privateValues is null) return;
        int i = db.Find(key);
        if (i < 0) return;
        // The entry itself first: handlers change values and expiries through the entry's reference.
        db.Table.BeforeChange(i);
        if (!cloneValue) return;
        ref var e = ref db.EntryAt(i);
        if (e.Value is null || _privateValues.Contains(e.Value)) return;
        var clone = RedisValue.DeepClone(e.Value);
        db.ReplaceValue(i, clone);
        _privateValues.Add(clone);
    }

    // ---- saving -----------------------------------------------------------------------------------

    private List<DatabaseImage> CaptureImages() =>
        _server.Databases.Select(db => new DatabaseImage(db.Id, db.Table.CopyEntries(), db.Count, db.ExpiresCount)).ToList();

    /// <summary>
    /// Starts a point-in-time snapshot (BGSAVE, a replica's full sync): returns the database images, which
    /// stay unchanged until <see cref="EndSnapshot"/>. A new snapshot starts a fresh set of private values,
    /// so values shared with it are cloned again on their next write.
    /// </summary>
    /// <para>
    /// Nothing is copied here: each database's key table keeps its pages for the snapshot and copies a page
    /// only before a change reaches one the snapshot has not read yet; the background writer reads the
    /// pages a chunk at a time under the lock (<see cref="DatabaseImage.Chunks"/>). Copying every entry
    /// here held the lock 30-90 ms for a million keys on a busy machine.
    /// </para>
    public List<DatabaseImage> BeginSnapshot()
    {
        _privateValues = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var images = _server.Databases.Select(db => new DatabaseImage(db.Id, db.Table.BeginSnapshot(), _server.ExecLock, db.Count, db.ExpiresCount)).ToList();
        _snapshots.Add(images);
        return images;
    }

    private readonly List<List<DatabaseImage>> _snapshots = new();

    /// <summary>
    /// Ends a snapshot started with <see cref="BeginSnapshot"/> (the last one begun when <paramref name="images"/>
    /// is null); copy-on-write stops with the last one.
    /// </summary>
    public void EndSnapshot(List<DatabaseImage>? images = null)
    {
        images ??= _snapshots.Count > 0 ? _snapshots[^1] : null;
        if (images is null || !_snapshots.Remove(images)) return;
        foreach (var image in images) image.End();
        if (_snapshots.Count == 0) _privateValues = null;
    }

    internal RdbSaveOptions SaveOptions() => new()
    {
        NowMs = KeyspaceState.WallClockMs(),
        Compress = _server.Config.RdbCompression,
        Checksum = _server.Config.RdbChecksum,
        SaveLru = _server.Config.MaxMemoryPolicy is Config.MaxMemoryPolicy.AllKeysLru or Config.MaxMemoryPolicy.VolatileLru,
        SaveLfu = _server.Config.LfuPolicy,
        LfuDecayTime = _server.Config.LfuDecayTime,
        FunctionLibraries = _server.Scripting.Functions.Codes(),
    };

    /// <summary>SAVE: writes the dump synchronously, blocking every client as Redis does. Returns an error or null.</summary>
    public string? Save()
    {
        if (BgsaveInProgress) return "ERR Background save already in progress";
        try
        {
            long dirty = Dirty;
            WriteFile(RdbPath, CaptureImages(), SaveOptions());
            Dirty -= dirty;
            LastSaveTimeMs = KeyspaceState.WallClockMs();
            Saves++;
            LastBgsaveOk = true;
            _server.Log.Info("DB saved on disk");
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            // A failed SAVE leaves rdb_last_bgsave_status as it was (Redis' rdbSave): only BGSAVE's outcome
            // gates writes through stop-writes-on-bgsave-error.
            _server.Log.Warning($"Failed saving the DB: {ex.Message}");
            return "ERR";
        }
    }

    /// <summary>BGSAVE: captures the snapshot now and writes it on a background thread. Returns false if one is running.</summary>
    public bool StartBackgroundSave()
    {
        if (BgsaveInProgress) return false;
        var images = BeginSnapshot();
        CurrentSaveKeysTotal = images.Sum(i => (long)i.KeyCount);
        long dirtyAtStart = Dirty;
        CurrentBgsaveStartMs = LastBgsaveTryMs = KeyspaceState.WallClockMs();
        var options = SaveOptions();
        var path = RdbPath;
        _server.Log.Info("Background saving started");
        // A dedicated thread: a save runs for seconds, and borrowing a thread-pool thread for that long
        // would starve the sockets' completions (measured: stalls of 0.2 s under load on 2 cores).
        _bgsave = Task.Factory.StartNew(() =>
        {
            Exception? error = null;
            try { WriteFile(path, images, options); }
            catch (Exception ex) { error = ex; }
            lock (_server.ExecLock)
            {
                EndSnapshot(images);
                _bgsave = null;
                LastBgsaveDurationSec = (KeyspaceState.WallClockMs() - CurrentBgsaveStartMs) / 1000;
                CurrentBgsaveStartMs = 0;
                CurrentSaveKeysTotal = 0;
                if (error is null)
                {
                    Dirty -= dirtyAtStart;
                    LastSaveTimeMs = KeyspaceState.WallClockMs();
                    Saves++;
                    LastBgsaveOk = true;
                    _server.Log.Info("Background saving terminated with success");
                }
                else
                {
                    LastBgsaveOk = false;
                    _server.Log.Warning($"Background saving error: {error.Message}");
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return true;
    }

    /// <summary>
    /// Writes to a temporary file in the same directory, flushes it to disk and renames it over the old
    /// dump, so a crash mid-save never leaves a damaged file behind.
    /// </summary>
    private static void WriteFile(string path, List<DatabaseImage> images, RdbSaveOptions options)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temp = Path.Combine(dir, $"temp-{Environment.ProcessId}-{Guid.NewGuid():N}.rdb");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                RdbFile.Write(fs, images, options);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Periodic check of the save points ("save 3600 1 300 100"); runs from the cron under the lock.</summary>
    public void Cron()
    {
        // One background job at a time, as Redis' hasActiveChildProcess(): a scheduled BGSAVE or a save
        // point waits for a running AOF rewrite.
        if (BgsaveInProgress || _server.Aof.RewriteInProgress) return;
        long now = KeyspaceState.WallClockMs();
        if (BgsaveScheduled)
        {
            BgsaveScheduled = false;
            StartBackgroundSave();
            return;
        }
        var points = _server.Config.SavePoints;
        for (int i = 0; i + 1 < points.Length; i += 2)
        {
            long seconds = points[i], changes = points[i + 1];
            // After a failed save, retry no sooner than 5 seconds later, as Redis does.
            if (Dirty >= changes && now - LastSaveTimeMs > seconds * 1000 &&
                (LastBgsaveOk || now - LastBgsaveTryMs > 5000))
            {
                _server.Log.Info($"{changes} changes in {seconds} seconds. Saving...");
                StartBackgroundSave();
                return;
            }
        }
    }

    // ---- loading ----------------------------------------------------------------------------------

    /// <summary>Loads the dump file if it exists. Throws with a clear message when it is damaged; never changes the file.</summary>
    /// <param name="refuseDuplicates">DEBUG RELOAD NOFLUSH without MERGE: a key already present fails the load
    /// (Redis stops the server there); otherwise the file's value replaces it.</param>
    public void LoadAtStartup(bool refuseDuplicates = false)
    {
        var path = RdbPath;
        if (!File.Exists(path)) return;
        var sw = Stopwatch.StartNew();
        long loaded = 0, expired = 0;
        var promotion = TimeSpan.Zero;
        long now = KeyspaceState.WallClockMs();
        Database? lastDb = null;
        int lastIndex = -1; // the key the file's IDLE/FREQ opcodes belong to
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
        {
            bool gcPaused = TryPauseGc(fs.Length);
            try
            {
                RdbFile.Read(fs, _server.Config, (db, key, value, expireAt) =>
                {
                    lastIndex = -1;
                    if (expireAt != 0 && expireAt <= now && !_server.KeyspaceState.IsReplica)
                    {
                        expired++;
                        return;
                    }
                    if (refuseDuplicates && _server.Databases[db].Find(key, touch: false) >= 0)
                        throw new RdbFormatException($"RDB has duplicated key '{Encoding.UTF8.GetString(key)}' in DB {db}");
                    lastDb = _server.Databases[db];
                    lastIndex = lastDb.Add(key, value, expireAt);
                    loaded++;
                }, (db, keys) => _server.Databases[db].Reserve(keys),
                (freq, idle) => { if (lastIndex >= 0) lastDb!.SetAccess(lastIndex, freq, idle); },
                _server.Scripting.Functions.LoadFromRdb);
            }
            catch (RdbFormatException ex)
            {
                throw new RdbLoadException($"Short read or corrupt RDB file '{path}': {ex.Message}. The file was left untouched.", ex);
            }
            finally
            {
                if (gcPaused && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
                {
                    GC.EndNoGCRegion();
                    // Everything loaded is still in generation 0, and each collection promotes it at most
                    // one generation. Doing that now, during start-up, spares the first clients pauses of
                    // 200-300 ms per million keys. Measured with a million small collections: gen1
                    // collections right after one another stop promoting (the runtime's choice), so the
                    // data stayed in gen1 and a client paid the second pause; blocking full collections
                    // do promote, and non-compacting ones are the cheapest (about 250 ms each here).
                    var loadedWithTheData = new object();
                    var promotionStart = sw.Elapsed;
                    for (int i = 0; i < 3 && GC.GetGeneration(loadedWithTheData) < GC.MaxGeneration; i++)
                        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
                    promotion = sw.Elapsed - promotionStart;
                }
            }
        }
        LastLoadKeysLoaded = loaded;
        LastLoadKeysExpired = expired;
        _server.Log.Info($"DB loaded from disk: {sw.Elapsed.TotalSeconds:F3} seconds ({loaded} keys, {expired} expired keys skipped; {promotion.TotalSeconds:F3} s of it promoting the data to the oldest generation)");
    }

    /// <summary>
    /// Nearly everything allocated while loading stays alive, so collections during a load only copy live
    /// data from one generation to the next: measured, two thirds of the time of loading a million small
    /// collections. Start-up loads inside a no-GC region sized from the file (about 24 bytes of heap per
    /// byte of RDB); a larger dataset simply ends the region early and collects as usual.
    /// </summary>
    private static bool TryPauseGc(long fileBytes)
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long size = Math.Clamp(fileBytes * 32, 16L << 20, Math.Max(16L << 20, available / 4));
        try
        {
            return GC.TryStartNoGCRegion(size);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException)
        {
            return false;
        }
    }
}

/// <summary>The dump file could not be loaded; start-up stops.</summary>
public sealed class RdbLoadException(string message, Exception inner) : Exception(message, inner);
