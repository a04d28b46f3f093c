using System.Diagnostics;
using System.Text;
using Cinnabar.Keyspace;
using Cinnabar.Protocol;

namespace Cinnabar.Persistence;

/// <summary>The AOF could not be loaded; start-up stops and nothing is overwritten.</summary>
public sealed class AofLoadException(string message) : Exception(message);

public sealed partial class AppendOnlyFile
{
    /// <summary>
    /// Start-up with <c>appendonly yes</c> (Redis 7.0's aofLoadManifestFromDisk, loadAppendOnlyFiles,
    /// aofOpenIfNeededOnServerStart, aofDelHistoryFiles): upgrades an old single <c>appendonly.aof</c>,
    /// loads the base and the incremental files in order, creates the files a fresh server needs, and
    /// opens the last incremental file for appending. The dump file is not read, as in Redis.
    /// </summary>
    public void LoadAtStartup()
    {
        try
        {
            LoadAndOpen();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AofLoadException($"Can't open or create the append-only files in {DirPath}: {ex.Message}");
        }
    }

    private void LoadAndOpen()
    {
        var config = _server.Config;
        if (File.Exists(ManifestPath)) _manifest = ReadManifest();
        if (!config.AppendOnly) return;
        var oldFile = Path.Combine(config.Dir, config.AppendFilename);
        if (!File.Exists(ManifestPath) && File.Exists(oldFile)) UpgradeOldFile(oldFile);

        var sw = Stopwatch.StartNew();
        LoadFiles(_manifest);
        if (_manifest.Base is not null || _manifest.Incrs.Count > 0)
            _server.Log.Info($"DB loaded from append only file: {sw.Elapsed.TotalSeconds:F3} seconds");

        // aof_base_size: what was loaded (0 for a fresh AOF), the reference of auto-aof-rewrite-percentage.
        long loaded = FileSize(_manifest.Base);
        foreach (var f in _manifest.Incrs) loaded += FileSize(f);
        Directory.CreateDirectory(DirPath);
        if (_manifest.Base is null && _manifest.Incrs.Count == 0)
        {
            // A fresh AOF starts with a base holding the dataset (empty: the dump is not loaded).
            var next = _manifest.Clone();
            long seq = ++next.CurrentBaseSeq;
            var name = AofManifest.BaseName(config.AppendFilename, seq, config.AofUseRdbPreamble);
            var images = _server.Persistence.BeginSnapshot();
            WriteBase(Path.Combine(DirPath, name), images, _server.Persistence.SaveOptions(), config.AofUseRdbPreamble, config.AofTimestampEnabled);
            _server.Persistence.EndSnapshot(images);
            next.Base = new AofFileInfo(name, seq, AofFileType.Base);
            PersistManifest(next);
            _manifest = next;
            _server.Log.Info($"Creating AOF base file {name} on server start");
        }
        // A base created just now is not counted in aof_current_size, as in Redis (it starts from what was loaded).
        _baseSize = loaded == 0 ? 0 : FileSize(_manifest.Base);
        if (_manifest.Incrs.Count == 0) OpenNewIncr("on server start");
        else
        {
            var last = _manifest.Incrs[^1];
            _incr = OpenForAppend(Path.Combine(DirPath, last.Name), out _incrOffset);
            for (int i = 0; i < _manifest.Incrs.Count - 1; i++) _olderIncrsSize += FileSize(_manifest.Incrs[i]);
        }
        _rewriteBaseSize = loaded;
        _writtenPos = _syncedPos = 0;
        DeleteHistory();
        State = AofState.On;
        StartFsyncThread();
    }

    /// <summary>True while files are replayed: the replayed commands are not propagated anywhere.</summary>
    public bool Loading { get; private set; }

    /// <summary>DEBUG LOADAOF: everything buffered reaches the file, then the dataset is replaced by the files' content.</summary>
    public void DebugLoad()
    {
        if (State == AofState.On)
        {
            Write(force: true);
            lock (_syncLock) SyncLocked(exitOnError: false);
        }
        long dirty = _server.Persistence.Dirty;
        foreach (var db in _server.Databases) db.Clear();
        _server.SignalFlushed();
        if (File.Exists(ManifestPath)) _manifest = ReadManifest();
        LoadFiles(_manifest);
        // The reload changed nothing that must be propagated (Redis resets dirty for the same reason).
        _server.Persistence.Dirty = dirty;
    }

    private AofManifest ReadManifest()
    {
        try
        {
            return AofManifest.Parse(File.ReadAllText(ManifestPath));
        }
        catch (FormatException ex)
        {
            throw new AofLoadException($"Bad AOF manifest file {ManifestPath}: {ex.Message}");
        }
    }

    /// <summary>
    /// A base file (Redis' rewriteAppendOnlyFile): an RDB with AUX aof-base 1, or with
    /// <c>aof-use-rdb-preamble no</c> the dataset as commands (<see cref="AofRewriter"/>). Runs on the
    /// rewrite's thread over the snapshot's images.
    /// </summary>
    private static void WriteBase(string path, List<DatabaseImage> images, RdbSaveOptions options, bool preamble, bool timestamp)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        if (preamble)
            RdbFile.Write(fs, images, new RdbSaveOptions { NowMs = options.NowMs, Compress = options.Compress, Checksum = options.Checksum, AofBase = true, FunctionLibraries = options.FunctionLibraries });
        else
            AofRewriter.Write(fs, images, options.NowMs, timestamp, functionLibraries: options.FunctionLibraries);
        fs.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Redis 7.0's aofUpgradePrepare: the old single file becomes the base of a new manifest (keeping its
    /// name) and moves into the directory; the manifest is written first, so a crash in between leaves
    /// a state Redis and this server both recover from.
    /// </summary>
    private void UpgradeOldFile(string oldFile)
    {
        Directory.CreateDirectory(DirPath);
        var name = _server.Config.AppendFilename;
        var m = new AofManifest { Base = new AofFileInfo(name, 1, AofFileType.Base), CurrentBaseSeq = 1 };
        PersistManifest(m);
        File.Move(oldFile, Path.Combine(DirPath, name));
        FsyncDirectory(_server.Config.Dir);
        _manifest = m;
        _server.Log.Info("Successfully migrated an old-style AOF into the AOF directory");
    }

    /// <summary>Loads the base and incremental files; a truncated tail is tolerated only in the last one.</summary>
    private void LoadFiles(AofManifest m)
    {
        var files = new List<AofFileInfo>();
        if (m.Base is not null) files.Add(m.Base);
        files.AddRange(m.Incrs);
        var keyspace = _server.KeyspaceState;
        keyspace.ObeyMaster = true; // as Redis while loading: keys are not expired on access
        Loading = true;
        try
        {
            for (int i = 0; i < files.Count; i++)
            {
                var path = Path.Combine(DirPath, files[i].Name);
                if (!File.Exists(path)) throw new AofLoadException($"The AOF file {files[i].Name} doesn't exist");
                LoadFile(path, files[i].Name, last: i == files.Count - 1);
            }
        }
        finally
        {
            keyspace.ObeyMaster = false;
            Loading = false;
        }
        _server.Persistence.Dirty = 0;
    }

    /// <summary>Read size of the AOF loader (tests shrink it to split commands across reads).</summary>
    internal static int LoadChunkSize = 256 * 1024;

    /// <summary>
    /// Replays one file, streaming: an RDB preamble is read from the file stream, then the commands go
    /// through <see cref="AofCommandReader"/>'s bounded buffer, so memory does not grow with the file.
    /// </summary>
    private void LoadFile(string path, string name, bool last)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        if (fs.Length == 0) return;
        long start = 0;
        Span<byte> magic = stackalloc byte[5];
        if (fs.ReadAtLeast(magic, 5, throwOnEndOfStream: false) == 5 && magic.SequenceEqual("REDIS"u8))
        {
            _server.Log.Info($"Reading RDB base file on AOF loading...");
            long now = KeyspaceState.WallClockMs();
            fs.Position = 0;
            try
            {
                var result = RdbFile.Read(fs, _server.Config, (db, key, value, expireAt) =>
                {
                    if (expireAt != 0 && expireAt <= now && !_server.KeyspaceState.IsReplica) return;
                    _server.Databases[db].Add(key, value, expireAt);
                }, (db, keys) => _server.Databases[db].Reserve(keys), onFunction: _server.Scripting.Functions.LoadFromRdb);
                start = result.EndOffset;
            }
            catch (RdbFormatException ex)
            {
                throw new AofLoadException($"Bad file format reading the RDB preamble of the append only file {name}: {ex.Message}. The file was left untouched.");
            }
            _server.Log.Info("Reading the remaining AOF tail...");
        }
        fs.Position = start;
        var reader = new AofCommandReader(fs, start, LoadChunkSize);
        var client = new Client(_server, new ReplyBuffer()) { DenyBlocking = true };
        // Redis' mustObeyClient: the AOF client, like a master, is exempt from limits and refusals
        // (proto-max-bulk-len, read-only replica, approximate stream trims' LIMIT).
        client.Flags |= ClientFlags.Fake | ClientFlags.Master;
        long validUpTo = start, validBeforeMulti = start;
        bool inMulti = false;
        while (true)
        {
            var status = reader.Next();
            if (status == AofReadResult.End) break;
            long commandStart = reader.CommandOffset;
            if (status == AofReadResult.Truncated)
            {
                fs.Dispose(); // Truncated() reopens the file to cut it
                Truncated(path, name, last, inMulti ? validBeforeMulti : validUpTo);
                return;
            }
            if (status == AofReadResult.Corrupt)
                throw new AofLoadException($"Bad file format reading the append only file {name} at offset {commandStart}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>");
            if (status == AofReadResult.Annotation) { if (!inMulti) validUpTo = reader.Position; continue; }
            client.SetArgs(reader.Buffer, reader.Args, 0, reader.Argc);
            var cmd = _server.Commands.Find(client.Arg(0));
            if (cmd is null)
                throw new AofLoadException($"Unknown command '{Encoding.UTF8.GetString(client.Arg(0))}' reading the append only file {name} at offset {commandStart}");
            if (Ascii.EqualsIgnoreCase(client.Arg(0), "multi"u8)) validBeforeMulti = commandStart;
            _server.KeyspaceState.NowMs = KeyspaceState.WallClockMs();
            _server.Dispatcher.Execute(client);
            client.Reply.Clear();
            inMulti = (client.Flags & ClientFlags.Multi) != 0;
            if (!inMulti) validUpTo = reader.Position;
        }
        // A MULTI without its EXEC at the end of the file: the transaction never completed.
        if (inMulti)
        {
            _server.Log.Warning("Revert incomplete MULTI/EXEC transaction in AOF file");
            _server.Transactions.DiscardTransaction(client);
            fs.Dispose();
            Truncated(path, name, last, validBeforeMulti);
        }
    }

    /// <summary>A short read at the end: aof-load-truncated decides whether the tail is cut off or start-up stops.</summary>
    private void Truncated(string path, string name, bool last, long validUpTo)
    {
        if (!last)
            throw new AofLoadException($"Fatal error: the truncated file {name} is not the last file");
        if (!_server.Config.AofLoadTruncated)
            throw new AofLoadException($"Unexpected end of file reading the append only file {name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.");
        _server.Log.Warning($"!!! Warning: short read while loading the AOF file {name}!!!");
        _server.Log.Warning($"!!! Truncating the AOF {name} at offset {validUpTo} !!!");
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write))
        {
            RandomAccess.SetLength(handle, validUpTo);
            FDataSync(handle);
        }
        _server.Log.Warning($"AOF {name} loaded anyway because aof-load-truncated is enabled");
    }
}
