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
            var name = AofManifest.BaseName(config.AppendFilename, seq);
            WriteBase(Path.Combine(DirPath, name), _server.Persistence.BeginSnapshot());
            _server.Persistence.EndSnapshot();
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

    private static void WriteBase(string path, List<DatabaseImage> images)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        RdbFile.Write(fs, images, new RdbSaveOptions { NowMs = KeyspaceState.WallClockMs(), AofBase = true });
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

    private void LoadFile(string path, string name, bool last)
    {
        var data = File.ReadAllBytes(path);
        if (data.Length == 0) return;
        int pos = 0;
        if (data.Length >= 5 && data.AsSpan(0, 5).SequenceEqual("REDIS"u8))
        {
            _server.Log.Info($"Reading RDB base file on AOF loading...");
            long now = KeyspaceState.WallClockMs();
            try
            {
                var result = RdbFile.Read(new MemoryStream(data, writable: false), _server.Config, (db, key, value, expireAt) =>
                {
                    if (expireAt != 0 && expireAt <= now && !_server.KeyspaceState.IsReplica) return;
                    _server.Databases[db].Add(key, value, expireAt);
                }, (db, keys) => _server.Databases[db].Reserve(keys));
                pos = (int)result.EndOffset;
            }
            catch (RdbFormatException ex)
            {
                throw new AofLoadException($"Bad file format reading the RDB preamble of the append only file {name}: {ex.Message}. The file was left untouched.");
            }
            _server.Log.Info("Reading the remaining AOF tail...");
        }
        var client = new Client(_server, new ReplyBuffer()) { DenyBlocking = true };
        // Redis' mustObeyClient: the AOF client, like a master, is exempt from limits and refusals
        // (proto-max-bulk-len, read-only replica, approximate stream trims' LIMIT).
        client.Flags |= ClientFlags.Fake | ClientFlags.Master;
        var args = new ArgSlice[16];
        int validUpTo = pos, validBeforeMulti = pos;
        bool inMulti = false;
        while (pos < data.Length)
        {
            int start = pos;
            var status = ParseCommand(data, ref pos, ref args, out int argc);
            if (status == ParseResult.Truncated) { Truncated(path, name, last, inMulti ? validBeforeMulti : validUpTo); return; }
            if (status == ParseResult.Corrupt)
                throw new AofLoadException($"Bad file format reading the append only file {name} at offset {start}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>");
            if (status == ParseResult.Annotation) { validUpTo = pos; continue; }
            client.SetArgs(data, args, 0, argc);
            var cmd = _server.Commands.Find(client.Arg(0));
            if (cmd is null)
                throw new AofLoadException($"Unknown command '{Encoding.UTF8.GetString(client.Arg(0))}' reading the append only file {name} at offset {start}");
            bool isMulti = Ascii.EqualsIgnoreCase(client.Arg(0), "multi"u8);
            if (isMulti) validBeforeMulti = start;
            _server.KeyspaceState.NowMs = KeyspaceState.WallClockMs();
            _server.Dispatcher.Execute(client);
            client.Reply.Clear();
            inMulti = (client.Flags & ClientFlags.Multi) != 0;
            if (!inMulti) validUpTo = pos;
        }
        // A MULTI without its EXEC at the end of the file: the transaction never completed.
        if (inMulti)
        {
            _server.Log.Warning("Revert incomplete MULTI/EXEC transaction in AOF file");
            _server.Transactions.DiscardTransaction(client);
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

    private enum ParseResult { Command, Annotation, Truncated, Corrupt }

    /// <summary>One command in Redis' strict AOF form (*argc, then $len bulk strings), or a #annotation line.</summary>
    private static ParseResult ParseCommand(byte[] data, ref int pos, ref ArgSlice[] args, out int argc)
    {
        argc = 0;
        int p = pos;
        if (data[p] == (byte)'#')
        {
            int nl = data.AsSpan(p).IndexOf((byte)'\n');
            if (nl < 0) return ParseResult.Truncated;
            pos = p + nl + 1;
            return ParseResult.Annotation;
        }
        if (data[p] != (byte)'*') return ParseResult.Corrupt;
        var r = ReadNumber(data, ref p, out long count);
        if (r != ParseResult.Command) return r;
        if (count < 1 || count > int.MaxValue / 2) return ParseResult.Corrupt;
        if (args.Length < count) args = new ArgSlice[count];
        for (int i = 0; i < count; i++)
        {
            if (p >= data.Length) return ParseResult.Truncated;
            if (data[p] != (byte)'$') return ParseResult.Corrupt;
            r = ReadNumber(data, ref p, out long len);
            if (r != ParseResult.Command) return r;
            if (len < 0 || len > int.MaxValue) return ParseResult.Corrupt;
            if (data.Length - p < len + 2) return ParseResult.Truncated;
            if (data[p + len] != (byte)'\r' || data[p + len + 1] != (byte)'\n') return ParseResult.Corrupt;
            args[i] = new ArgSlice(p, (int)len);
            p += (int)len + 2;
        }
        argc = (int)count;
        pos = p;
        return ParseResult.Command;
    }

    /// <summary>The number after a '*' or '$' up to CRLF; <paramref name="p"/> moves past the line.</summary>
    private static ParseResult ReadNumber(byte[] data, ref int p, out long value)
    {
        value = 0;
        int nl = data.AsSpan(p).IndexOf((byte)'\n');
        if (nl < 0) return ParseResult.Truncated;
        if (nl < 2 || data[p + nl - 1] != (byte)'\r') return ParseResult.Corrupt;
        if (!RespNumbers.TryParseInt64(data.AsSpan(p + 1, nl - 2), out value)) return ParseResult.Corrupt;
        p += nl + 1;
        return ParseResult.Command;
    }
}
