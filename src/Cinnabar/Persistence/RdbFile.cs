using System.Text;
using Cinnabar.Keyspace;

namespace Cinnabar.Persistence;

/// <summary>
/// One database's contents as captured for saving: its index, its key counts and its entries, either a
/// shallow copy (a synchronous save, tests) or a copy-on-write <see cref="TableSnapshot"/> read a few
/// pages at a time under the execution lock (background saves: the lock is never held for a full copy).
/// </summary>
public sealed class DatabaseImage
{
    private KeyEntry[]? _entries;
    private readonly TableSnapshot? _snapshot;
    private readonly Lock? _lock;

    public DatabaseImage(int index, KeyEntry[] entries, int keyCount, int expiresCount)
    {
        Index = index;
        _entries = entries;
        KeyCount = keyCount;
        ExpiresCount = expiresCount;
    }

    internal DatabaseImage(int index, TableSnapshot snapshot, Lock execLock, int keyCount, int expiresCount)
    {
        Index = index;
        _snapshot = snapshot;
        _lock = execLock;
        KeyCount = keyCount;
        ExpiresCount = expiresCount;
    }

    public int Index { get; }
    public int KeyCount { get; }
    public int ExpiresCount { get; }

    /// <summary>Entries copied per lock acquisition: 16 pages, 2 MB, well under a millisecond.</summary>
    internal const int ChunkEntries = 16 * KeyTable.SnapshotPageSize;

    /// <summary>All entries at once (tests, diagnostics); reads the snapshot if it was not read yet.</summary>
    public KeyEntry[] Entries => _entries ??= Chunks().SelectMany(c => c).ToArray();

    /// <summary>
    /// The entries in order, in chunks. From a snapshot, each chunk is copied under the execution lock and
    /// handed out after releasing it (the buffer is reused: use a chunk before asking for the next). Once.
    /// </summary>
    public IEnumerable<ArraySegment<KeyEntry>> Chunks()
    {
        if (_entries is not null)
        {
            yield return _entries;
            yield break;
        }
        if (_snapshot is null) yield break;
        var buffer = new KeyEntry[ChunkEntries];
        while (true)
        {
            int n;
            lock (_lock!) n = _snapshot.Take(buffer);
            if (n == 0) yield break;
            yield return new ArraySegment<KeyEntry>(buffer, 0, n);
        }
    }

    internal void End() => _snapshot?.End();
}

/// <summary>Writes and reads whole RDB files (the layout of Redis 7.0's rdbSaveRio / rdbLoadRio).</summary>
public static class RdbFile
{
    /// <summary>
    /// Writes a complete RDB stream: magic and version, AUX fields, each non-empty database with
    /// SELECTDB/RESIZEDB and its keys (expired ones skipped), EOF and the CRC64 footer.
    /// Returns the number of keys written.
    /// </summary>
    public static long Write(Stream stream, IEnumerable<DatabaseImage> databases, RdbSaveOptions options, CancellationToken cancel = default)
    {
        var o = new RdbOutput(stream, options.Compress);
        o.Write(Encoding.ASCII.GetBytes($"REDIS{RdbFormat.Version:D4}"));
        WriteAux(o, "redis-ver", CinnabarServer.RedisVersion);
        WriteAux(o, "redis-bits", "64");
        WriteAux(o, "ctime", (options.NowMs / 1000).ToString());
        WriteAux(o, "used-mem", GC.GetTotalMemory(false).ToString());
        if (options.ReplicationId is not null)
        {
            WriteAux(o, "repl-stream-db", options.ReplicationStreamDb.ToString());
            WriteAux(o, "repl-id", options.ReplicationId);
            WriteAux(o, "repl-offset", options.ReplicationOffset.ToString());
        }
        WriteAux(o, "aof-base", options.AofBase ? "1" : "0");
        foreach (var code in options.FunctionLibraries)
        {
            o.WriteByte(RdbFormat.OpFunction2);
            o.WriteString(code);
        }

        long written = 0;
        foreach (var db in databases)
        {
            if (db.KeyCount == 0) continue;
            o.WriteByte(RdbFormat.OpSelectDb);
            o.WriteLength((ulong)db.Index);
            o.WriteByte(RdbFormat.OpResizeDb);
            o.WriteLength((ulong)db.KeyCount);
            o.WriteLength((ulong)db.ExpiresCount);
            foreach (var chunk in db.Chunks())
            foreach (ref readonly var e in chunk.AsSpan())
            {
                if (e.Key is null || e.Value is null) continue;
                if (e.ExpireAt != 0 && e.ExpireAt <= options.NowMs && !options.KeepExpired) continue;
                if (e.ExpireAt != 0)
                {
                    o.WriteByte(RdbFormat.OpExpireTimeMs);
                    o.WriteInt64LE(e.ExpireAt);
                }
                // Access data for eviction, as Redis writes it under an LRU or LFU maxmemory policy.
                if (options.SaveLru)
                {
                    o.WriteByte(RdbFormat.OpIdle);
                    o.WriteLength((ulong)Database.IdleSeconds(e.LruSeconds, options.NowMs));
                }
                else if (options.SaveLfu)
                {
                    o.WriteByte(RdbFormat.OpFreq);
                    o.WriteByte((byte)Lfu.Counter(e.LruSeconds, options.NowMs, options.LfuDecayTime));
                }
                WriteKeyValue(o, e.Key, e.Value);
                written++;
                if ((written & 1023) == 0) cancel.ThrowIfCancellationRequested();
            }
        }
        o.WriteByte(RdbFormat.OpEof);
        o.Flush();
        ulong crc = options.Checksum ? o.Crc : 0;
        Span<byte> footer = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(footer, crc);
        stream.Write(footer);
        return written;
    }

    private static void WriteKeyValue(RdbOutput o, byte[] key, object value)
    {
        o.WriteByte(RdbValueCodec.TypeByte(value));
        o.WriteString(key);
        RdbValueCodec.WriteBody(o, value);
    }

    private static void WriteAux(RdbOutput o, string key, string value)
    {
        o.WriteByte(RdbFormat.OpAux);
        o.WriteString(Encoding.ASCII.GetBytes(key));
        o.WriteString(Encoding.UTF8.GetBytes(value));
    }

    /// <summary>
    /// Reads an RDB stream, handing each key to <paramref name="onKey"/> (db, key, value, expireAt ms or 0).
    /// Verifies the checksum when present. Throws <see cref="RdbFormatException"/> naming the offset on
    /// anything it cannot load. <paramref name="onAccess"/> receives the key just handed over's LFU counter
    /// and idle seconds (-1 when the file has none), for Redis' objectSetLRUOrLFU.
    /// </summary>
    public static RdbLoadResult Read(Stream stream, Config.ServerConfig config, Action<int, byte[], object, long> onKey,
        Action<int, long>? onResizeDb = null, Action<long, long>? onAccess = null, Action<byte[]>? onFunction = null)
    {
        var input = new RdbInput(stream);
        Span<byte> magic = stackalloc byte[9];
        input.ReadExact(magic);
        if (!magic[..5].SequenceEqual("REDIS"u8)) throw new RdbFormatException("Wrong signature trying to load DB from file");
        if (!int.TryParse(Encoding.ASCII.GetString(magic[5..]), out int version) || version < 1 || version > RdbFormat.MaxLoadVersion)
            throw new RdbFormatException($"Can't handle RDB format version {Encoding.ASCII.GetString(magic[5..])}");

        var result = new RdbLoadResult { Version = version };
        int db = 0;
        long expireAt = 0, freq = -1, idle = -1;
        while (true)
        {
            long opOffset = input.Offset;
            byte type = input.ReadByte();
            switch (type)
            {
                case RdbFormat.OpExpireTime:
                    expireAt = input.ReadUInt32LE() * 1000L;
                    continue;
                case RdbFormat.OpExpireTimeMs:
                    expireAt = input.ReadInt64LE();
                    continue;
                case RdbFormat.OpFreq:
                    freq = input.ReadByte();
                    continue;
                case RdbFormat.OpIdle:
                    idle = input.ReadLength();
                    continue;
                case RdbFormat.OpEof:
                    {
                        if (version >= 5)
                        {
                            ulong computed = input.CurrentCrc();
                            ulong stored = input.ReadUInt64LE();
                            if (stored != 0 && config.RdbChecksum && !config.SkipChecksumValidation && stored != computed)
                                throw new RdbFormatException("Wrong RDB checksum. Aborting now.");
                        }
                        result.EndOffset = input.Offset;
                        return result;
                    }
                case RdbFormat.OpSelectDb:
                    db = (int)input.ReadLength();
                    if (db >= config.Databases)
                        throw new RdbFormatException($"FATAL: Data file was created with a Redis server configured to handle more than {config.Databases} databases. Exiting");
                    continue;
                case RdbFormat.OpResizeDb:
                    {
                        long keys = input.ReadLength();
                        input.ReadLength(); // keys with an expiry: kept in the same table here
                        onResizeDb?.Invoke(db, keys);
                        continue;
                    }
                case RdbFormat.OpAux:
                    {
                        var key = Encoding.UTF8.GetString(input.ReadString());
                        var value = Encoding.UTF8.GetString(input.ReadString());
                        result.Aux[key] = value;
                        continue;
                    }
                case RdbFormat.OpModuleAux:
                    throw new RdbFormatException($"module data at offset {opOffset} cannot be loaded: this server has no modules");
                case RdbFormat.OpFunction2:
                    {
                        var code = input.ReadString();
                        if (onFunction is null) throw new RdbFormatException($"function library at offset {opOffset} cannot be loaded here");
                        onFunction(code);
                        continue;
                    }
                case RdbFormat.OpFunctionPreGa:
                    throw new RdbFormatException($"function library at offset {opOffset}: Pre-GA function format not supported");
            }
            if (!RdbValueCodec.IsValueType(type))
            {
                if (type is RdbFormat.TypeModulePreGa or RdbFormat.TypeModule2)
                    throw new RdbFormatException($"module value at offset {opOffset} cannot be loaded: this server has no modules");
                throw new RdbFormatException($"unknown RDB opcode or type {type} at offset {opOffset}");
            }
            var keyBytes = input.ReadString();
            var val = RdbValueCodec.Read(input, type, config);
            onKey(db, keyBytes, val, expireAt);
            if ((freq >= 0 || idle >= 0) && onAccess is not null) onAccess(freq, idle);
            result.Keys++;
            expireAt = 0;
            freq = idle = -1;
        }
    }
}

public sealed class RdbSaveOptions
{
    public long NowMs { get; init; }
    public bool Compress { get; init; } = true;
    public bool Checksum { get; init; } = true;
    /// <summary>Keep keys that are already expired (replication full sync keeps them for the replica to expire).</summary>
    public bool KeepExpired { get; init; }
    public string? ReplicationId { get; init; }
    public long ReplicationOffset { get; init; }
    public int ReplicationStreamDb { get; init; }
    /// <summary>Write each key's idle seconds (an LRU maxmemory policy).</summary>
    public bool SaveLru { get; init; }
    /// <summary>Write each key's LFU counter (an LFU maxmemory policy), decayed with this lfu-decay-time.</summary>
    public bool SaveLfu { get; init; }
    public int LfuDecayTime { get; init; } = 1;
    /// <summary>The base of a multi-part AOF (AUX aof-base 1, as Redis writes it).</summary>
    public bool AofBase { get; init; }
    /// <summary>The code of every function library, written as RDB_OPCODE_FUNCTION2 before the databases.</summary>
    public IReadOnlyList<byte[]> FunctionLibraries { get; init; } = [];
}

public sealed class RdbLoadResult
{
    public int Version { get; init; }
    public long Keys { get; set; }
    /// <summary>Where the RDB ended in the stream (an AOF with an RDB preamble continues with commands).</summary>
    public long EndOffset { get; set; }
    public Dictionary<string, string> Aux { get; } = new();
}
