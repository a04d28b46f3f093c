using System.Security.Cryptography;
using System.Text;
using Cinnabar.Networking;
using Cinnabar.Persistence;
using Cinnabar.Protocol;

namespace Cinnabar.Replication;

/// <summary>What this server knows about a replica connected to it.</summary>
public sealed class ReplicaInfo
{
    public required ClientConnection Connection { get; init; }
    public ReplicaState State = ReplicaState.WaitBgsave;
    public int ListeningPort;
    public string? AnnouncedIp;
    public long AckOffset;
    public long AckTimeMs;
    /// <summary>Stream bytes produced while its snapshot is prepared; sent right after the RDB payload.</summary>
    public List<byte[]>? PendingStream = new();
    public string Ip => AnnouncedIp ?? Connection.RemoteEndPoint?.Address.ToString() ?? "?";
}

/// <summary>
/// Master-replica replication, compatible with Redis' PSYNC protocol in both directions.
/// <para>
/// As a master, every write's effect is encoded as RESP (<see cref="Propagate"/>), collected while the
/// top-level command runs and then fed, with a SELECT when the database changes and MULTI/EXEC around
/// multi-command effects, into the backlog and every replica (<see cref="FlushPending"/>). A replica
/// that reconnects within the backlog gets +CONTINUE and the missing bytes; otherwise +FULLRESYNC and a
/// point-in-time RDB snapshot made with the same copy-on-write mechanism as BGSAVE.
/// </para>
/// <para>As a replica (<see cref="MasterLink"/>) it loads the master's snapshot, applies its stream through
/// a client with the Master flag, tracks the processed offset, and proxies the exact bytes to its own
/// replicas and backlog so that offsets agree along a chain (PSYNC2).</para>
/// All members run under the execution lock unless noted.
/// </summary>
public sealed partial class ReplicationManager
{
    private readonly CinnabarServer _server;
    private ReplicationBacklog? _backlog;
    private readonly List<ReplicaInfo> _replicas = new();
    private int _selectedDb = -1;
    // The effects of the running command: encoded commands in one reused buffer.
    private readonly List<(int Db, int Start, int Length, PropagationTargets Targets)> _pending = new();

    /// <summary>Where the effects queued next go: all, unless a script narrowed it with redis.set_repl.</summary>
    public PropagationTargets PropagationFilter = PropagationTargets.All;
    private byte[] _pendingBytes = new byte[4096];
    private int _pendingLen;
    private readonly List<WaitRequest> _waiters = new();
    private bool _getAckRequested;
    private long _lastPingMs;

    public ReplicationManager(CinnabarServer server)
    {
        _server = server;
    }

    public static string NewReplicationId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    public string ReplId { get; private set; } = NewReplicationId();
    public string ReplId2 { get; private set; } = new('0', 40);
    public long SecondReplOffset { get; private set; } = -1;
    /// <summary>master_repl_offset: bytes of replication stream produced (master) or processed (replica).</summary>
    public long MasterReplOffset { get; private set; }

    public IReadOnlyList<ReplicaInfo> Replicas => _replicas;
    public ReplicationBacklog? Backlog => _backlog;

    /// <summary>The link to our master, when this server is a replica.</summary>
    public MasterLink? Link { get; private set; }
    public bool IsReplica => Link is not null;

    // ---- propagation (master) -------------------------------------------------------------------

    /// <summary>A replica whose link to its master is up (master_link_status:up).</summary>
    public bool LinkUp => Link is { State: MasterLinkState.Connected };

    /// <summary>True when replicas consume our own stream (a backlog exists or replicas are attached).</summary>
    private bool ReplicasWanted => !IsReplica && (_backlog is not null || _replicas.Count > 0) && !_server.Aof.Loading;

    /// <summary>
    /// True when anything consumes the propagation feed: our replicas, or the AOF (which also records what
    /// a replica applies from its master, as Redis' does).
    /// </summary>
    public bool HasStreamConsumers => ReplicasWanted || _server.Aof.Active;

    /// <summary>Queues the effect of a write in database <paramref name="db"/>, as a command to replay.</summary>
    public void Propagate(int db, IReadOnlyList<byte[]> argv)
    {
        if (!HasStreamConsumers || PropagationFilter == PropagationTargets.None) return;
        int start = _pendingLen;
        PendingHeader((byte)'*', argv.Count);
        foreach (var a in argv) PendingBulk(a);
        _pending.Add((db, start, _pendingLen - start, PropagationFilter));
    }

    /// <summary>
    /// Queues the command <paramref name="c"/> is executing, verbatim (encoded in place: no allocation).
    /// <paramref name="replicasOnly"/>: not for the AOF (PUBLISH, as Redis' PROPAGATE_REPL).
    /// </summary>
    public void PropagateVerbatim(Client c, bool replicasOnly = false)
    {
        var targets = replicasOnly ? PropagationFilter & ~PropagationTargets.Aof : PropagationFilter;
        if (!HasStreamConsumers || targets == PropagationTargets.None) return;
        int start = _pendingLen;
        PendingHeader((byte)'*', c.ArgCount);
        for (int i = 0; i < c.ArgCount; i++) PendingBulk(c.Arg(i));
        _pending.Add((c.DbIndex, start, _pendingLen - start, targets));
    }

    private void PendingReserve(int bytes)
    {
        if (_pendingLen + bytes > _pendingBytes.Length)
            Array.Resize(ref _pendingBytes, Math.Max(_pendingBytes.Length * 2, _pendingLen + bytes));
    }

    private void PendingHeader(byte prefix, long n)
    {
        PendingReserve(24);
        _pendingBytes[_pendingLen++] = prefix;
        _pendingLen += RespNumbers.FormatInt64(n, _pendingBytes.AsSpan(_pendingLen));
        _pendingBytes[_pendingLen++] = (byte)'\r';
        _pendingBytes[_pendingLen++] = (byte)'\n';
    }

    private void PendingBulk(ReadOnlySpan<byte> a)
    {
        PendingHeader((byte)'$', a.Length);
        PendingReserve(a.Length + 2);
        a.CopyTo(_pendingBytes.AsSpan(_pendingLen));
        _pendingLen += a.Length;
        _pendingBytes[_pendingLen++] = (byte)'\r';
        _pendingBytes[_pendingLen++] = (byte)'\n';
    }

    private static readonly byte[] MultiCommand = EncodeCommand(["MULTI"u8.ToArray()]);
    private static readonly byte[] ExecCommand = EncodeCommand(["EXEC"u8.ToArray()]);

    /// <summary>
    /// Sends the effects queued by the command that just finished to every consumer of the feed (replicas
    /// and backlog, the AOF): wrapped in MULTI/EXEC when there are several (a transaction, or a command
    /// with side effects such as expired keys), SELECT first when the database differs from the last one
    /// the consumer got. Records the offset for WAIT on <paramref name="client"/>.
    /// </summary>
    public void FlushPending(Client? client, bool transaction = false)
    {
        if (_pending.Count == 0) return;
        bool wrap = transaction || _pending.Count > 1;
        bool replicas = ReplicasWanted, aof = _server.Aof.Active;
        // MULTI/EXEC go to the consumers that get any of the effects (a script may send some to one only).
        var any = PropagationTargets.None;
        foreach (var p in _pending) any |= p.Targets;
        bool wrapReplicas = replicas && (any & PropagationTargets.Replicas) != 0, wrapAof = aof && (any & PropagationTargets.Aof) != 0;
        if (wrap) Emit(_pending[0].Db, MultiCommand, wrapReplicas, wrapAof);
        foreach (var (db, start, length, targets) in _pending)
            Emit(db, _pendingBytes.AsSpan(start, length), replicas && (targets & PropagationTargets.Replicas) != 0, aof && (targets & PropagationTargets.Aof) != 0);
        if (wrap) Emit(-1, ExecCommand, wrapReplicas, wrapAof);
        _pending.Clear();
        _pendingLen = 0;
        if (_pendingBytes.Length > 1 << 20) _pendingBytes = new byte[4096]; // do not keep a large transaction's buffer
        if (client is not null) client.LastWriteOffset = MasterReplOffset;
    }

    private void Emit(int db, ReadOnlySpan<byte> command, bool replicas, bool aof)
    {
        if (replicas)
        {
            if (db >= 0) FeedWithSelect(db, command);
            else FeedStream(command);
        }
        if (aof) _server.Aof.Feed(db, command);
    }

    private void FeedWithSelect(int db, ReadOnlySpan<byte> command)
    {
        if (db != _selectedDb)
        {
            FeedStream(EncodeCommand([Encoding.ASCII.GetBytes("SELECT"), Encoding.ASCII.GetBytes(db.ToString())]));
            _selectedDb = db;
        }
        FeedStream(command);
    }

    /// <summary>Appends bytes to the stream: the backlog, and every replica (buffered while it syncs).</summary>
    internal void FeedStream(ReadOnlySpan<byte> bytes)
    {
        if (_backlog is null && _replicas.Count == 0) return;
        MasterReplOffset += bytes.Length;
        _backlog?.Append(bytes);
        foreach (var r in _replicas)
        {
            if (r.PendingStream is not null) r.PendingStream.Add(bytes.ToArray());
            else if (r.Connection.TryWriteFromOutside(bytes.ToArray(), static (buf, data) => buf.WriteRaw(data)))
                _server.Dispatcher.Output.Request(r.Connection);
        }
    }

    public static byte[] EncodeCommand(IReadOnlyList<byte[]> argv)
    {
        var ms = new MemoryStream();
        WriteHeader(ms, '*', argv.Count);
        foreach (var a in argv) WriteBulk(ms, a);
        return ms.ToArray();
    }

    private static void WriteHeader(MemoryStream ms, char prefix, long n)
    {
        ms.WriteByte((byte)prefix);
        ms.Write(Encoding.ASCII.GetBytes(n.ToString()));
        ms.Write("\r\n"u8);
    }

    private static void WriteBulk(MemoryStream ms, ReadOnlySpan<byte> a)
    {
        WriteHeader(ms, '$', a.Length);
        ms.Write(a);
        ms.Write("\r\n"u8);
    }

    /// <summary>Whether a command that changed data needs to reach replicas (expired keys become DELs, etc.).</summary>
    public void PropagateExpired(int db, byte[] key)
    {
        Propagate(db, [Encoding.ASCII.GetBytes(_server.Config.LazyFreeLazyExpire ? "UNLINK" : "DEL"), key]);
    }

    private static readonly byte[] DelName = "DEL"u8.ToArray(), UnlinkName = "UNLINK"u8.ToArray();

    /// <summary>Redis' propagateDeletion for an evicted key: DEL, or UNLINK under lazyfree-lazy-eviction.</summary>
    public void PropagateDeletion(int db, byte[] key, bool lazy) => Propagate(db, [lazy ? UnlinkName : DelName, key]);

    // ---- master side: replicas ----------------------------------------------------------------

    internal ReplicaInfo? FindReplica(Client c) => _replicas.FirstOrDefault(r => r.Connection == c);

    /// <summary>PSYNC replid offset / SYNC: continue from the backlog or start a full resynchronisation.</summary>
    internal void HandleSync(Client c, string? replId, long offset, bool legacySync)
    {
        if (c is not ClientConnection conn) { c.Reply.Error("ERR Replication needs a network client"); return; }
        if ((c.Flags & ClientFlags.Replica) != 0) return; // already a replica: ignore
        if (IsReplica && Link!.State != MasterLinkState.Connected)
        {
            c.Reply.Error("NOMASTERLINK Can't SYNC while not connected with my master");
            return;
        }
        if (c.Reply.Length > 0)
        {
            c.Reply.Error("ERR SYNC and PSYNC are invalid with pending output");
            return;
        }

        var info = c.PendingReplicaInfo ?? new ReplicaInfo { Connection = conn };
        c.PendingReplicaInfo = null;

        // Partial resynchronisation: same history, and the backlog still holds what the replica misses.
        if (!legacySync && replId is not null && _backlog is not null &&
            (replId == ReplId || (replId == ReplId2 && offset <= SecondReplOffset)) && _backlog.Covers(offset))
        {
            c.Flags |= ClientFlags.Replica;
            info.State = ReplicaState.Online;
            info.PendingStream = null;
            info.AckTimeMs = Keyspace.KeyspaceState.WallClockMs();
            AddReplica(info);
            c.Reply.SimpleString(Encoding.ASCII.GetBytes($"CONTINUE {ReplId}"));
            c.Reply.WriteRaw(_backlog.ReadFrom(offset));
            _server.Stats.SyncPartialOk++;
            _server.Log.Info($"Partial resynchronization request from {c.Address} accepted. Sending {MasterReplOffset - offset + 1} bytes of backlog starting from offset {offset}.");
            return;
        }
        if (replId is not null && replId != "?") _server.Stats.SyncPartialErr++;

        // Full resynchronisation.
        if (_backlog is null)
        {
            // A new history starts with the first backlog, so old offsets cannot be confused with it.
            ChangeReplicationId();
            ClearReplicationId2();
            _backlog = new ReplicationBacklog(_server.Config.ReplBacklogSize);
            _backlog.Reset(MasterReplOffset);
        }
        c.Flags |= ClientFlags.Replica;
        AddReplica(info);
        _selectedDb = -1; // the stream after the snapshot must start with a SELECT
        _server.Stats.SyncFull++;
        long snapshotOffset = MasterReplOffset;
        if (!legacySync) c.Reply.SimpleString(Encoding.ASCII.GetBytes($"FULLRESYNC {ReplId} {snapshotOffset}"));
        var images = _server.Persistence.BeginSnapshot();
        var options = _server.Persistence.SaveOptions();
        _server.Log.Info($"Starting BGSAVE for SYNC with target: replica {c.Address}");
        // A dedicated thread, like BGSAVE's: serialising takes long enough to starve the thread pool.
        _ = Task.Factory.StartNew(() =>
        {
            byte[]? rdb = null;
            try
            {
                var ms = new MemoryStream();
                RdbFile.Write(ms, images, new RdbSaveOptions
                {
                    NowMs = options.NowMs, Compress = options.Compress, Checksum = options.Checksum, KeepExpired = true,
                    FunctionLibraries = options.FunctionLibraries,
                    ReplicationId = ReplId, ReplicationOffset = snapshotOffset,
                });
                rdb = ms.ToArray();
            }
            catch (Exception ex)
            {
                _server.Log.Warning($"Snapshot for replica failed: {ex.Message}");
            }
            lock (_server.ExecLock)
            {
                _server.Persistence.EndSnapshot(images);
                if (rdb is null || conn.IsClosed)
                {
                    _replicas.Remove(info);
                    conn.CloseSoon();
                    return;
                }
                var pending = info.PendingStream!;
                info.PendingStream = null;
                info.State = ReplicaState.Online;
                info.AckTimeMs = Keyspace.KeyspaceState.WallClockMs();
                conn.TryWriteFromOutside((rdb, pending), static (buf, s) =>
                {
                    buf.WriteRaw(Encoding.ASCII.GetBytes($"${s.rdb.Length}\r\n"));
                    buf.WriteRaw(s.rdb);
                    foreach (var chunk in s.pending) buf.WriteRaw(chunk);
                });
                _server.Log.Info($"Synchronization with replica {conn.Address} succeeded");
            }
            conn.Flush();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private void AddReplica(ReplicaInfo info)
    {
        // The ping period starts when the first replica attaches: a PING right away would reach a
        // replica that just synced ahead of the first write, which Redis does not do.
        if (_replicas.Count == 0) _lastPingMs = Keyspace.KeyspaceState.WallClockMs();
        _replicas.Add(info);
    }

    /// <summary>A replica, a WAIT caller or our master's link went away.</summary>
    internal void OnClientClosed(Client c)
    {
        var r = FindReplica(c);
        if (r is not null)
        {
            _replicas.Remove(r);
            _server.Log.Info($"Connection with replica {r.Ip}:{r.ListeningPort} lost.");
        }
        _waiters.RemoveAll(w => w.Client == c);
        if (Link is not null && Link.MasterClient == c) Link.OnMasterClientClosed();
    }

    /// <summary>REPLCONF ACK from a replica.</summary>
    internal void OnAck(Client c, long offset)
    {
        var r = FindReplica(c);
        if (r is null) return;
        if (offset > r.AckOffset) r.AckOffset = offset;
        r.AckTimeMs = Keyspace.KeyspaceState.WallClockMs();
        ServeWaiters();
    }

    private void ChangeReplicationId() => ReplId = NewReplicationId();

    /// <summary>DEBUG CHANGE-REPL-ID: a new replication ID and no secondary one (testing the replication subsystem).</summary>
    public void ResetReplicationIds()
    {
        ChangeReplicationId();
        ClearReplicationId2();
    }

    private void ClearReplicationId2()
    {
        ReplId2 = new string('0', 40);
        SecondReplOffset = -1;
    }

    /// <summary>After a promotion: keep the old history as replid2 so siblings can PSYNC to us.</summary>
    internal void ShiftReplicationId()
    {
        ReplId2 = ReplId;
        SecondReplOffset = MasterReplOffset + 1;
        ChangeReplicationId();
        _server.Log.Info($"Setting secondary replication ID to {ReplId2}, valid up to offset: {SecondReplOffset}. New replication ID is {ReplId}");
    }

    // ---- periodic work ------------------------------------------------------------------------

    /// <summary>Periodic replication work (pings, acks, timeouts), called by the server cron under the lock.</summary>
    internal void Cron()
    {
        long now = Keyspace.KeyspaceState.WallClockMs();
        // Pings keep replicas' links alive and their offsets moving, every repl-ping-replica-period.
        if (!IsReplica && _replicas.Count > 0 && now - _lastPingMs >= _server.Config.ReplPingReplicaPeriod * 1000L)
        {
            _lastPingMs = now;
            FeedStream(EncodeCommand([Encoding.ASCII.GetBytes("PING")])); // database-independent: no SELECT
        }
        if (_getAckRequested)
        {
            _getAckRequested = false;
            FeedStream(EncodeCommand([Encoding.ASCII.GetBytes("REPLCONF"), Encoding.ASCII.GetBytes("GETACK"), Encoding.ASCII.GetBytes("*")]));
        }
        FlushPending(null);
        Link?.Cron(now);
        ExpireWaiters(now);
    }

    // ---- INFO and ROLE -----------------------------------------------------------------------

    public string InfoSection()
    {
        var sb = new StringBuilder();
        long now = Keyspace.KeyspaceState.WallClockMs();
        if (Link is null) sb.Append("role:master\r\n");
        else
        {
            sb.Append("role:slave\r\n");
            sb.Append($"master_host:{Link.Host}\r\n");
            sb.Append($"master_port:{Link.Port}\r\n");
            sb.Append($"master_link_status:{(Link.State == MasterLinkState.Connected ? "up" : "down")}\r\n");
            sb.Append($"master_last_io_seconds_ago:{(Link.State == MasterLinkState.Connected ? Math.Max(0, (now - Link.LastIoMs) / 1000) : -1)}\r\n");
            sb.Append($"master_sync_in_progress:{(Link.State == MasterLinkState.Sync ? 1 : 0)}\r\n");
            sb.Append($"slave_read_repl_offset:{MasterReplOffset}\r\n");
            sb.Append($"slave_repl_offset:{MasterReplOffset}\r\n");
            if (Link.State != MasterLinkState.Connected)
                sb.Append($"master_link_down_since_seconds:{(Link.DownSinceMs == 0 ? -1 : (now - Link.DownSinceMs) / 1000)}\r\n");
            sb.Append("slave_priority:100\r\n");
            sb.Append($"slave_read_only:{(_server.Config.ReplicaReadOnly ? 1 : 0)}\r\n");
            sb.Append("replica_announced:1\r\n");
        }
        var online = _replicas.ToList();
        sb.Append($"connected_slaves:{online.Count}\r\n");
        for (int i = 0; i < online.Count; i++)
        {
            var r = online[i];
            sb.Append($"slave{i}:ip={r.Ip},port={r.ListeningPort},state={r.State.InfoName()},offset={r.AckOffset},lag={(r.AckTimeMs == 0 ? 0 : (now - r.AckTimeMs) / 1000)}\r\n");
        }
        sb.Append("master_failover_state:no-failover\r\n");
        sb.Append($"master_replid:{ReplId}\r\n");
        sb.Append($"master_replid2:{ReplId2}\r\n");
        sb.Append($"master_repl_offset:{MasterReplOffset}\r\n");
        sb.Append($"second_repl_offset:{SecondReplOffset}\r\n");
        sb.Append($"repl_backlog_active:{(_backlog is null ? 0 : 1)}\r\n");
        sb.Append($"repl_backlog_size:{_server.Config.ReplBacklogSize}\r\n");
        sb.Append($"repl_backlog_first_byte_offset:{(_backlog is null ? 0 : _backlog.FirstByteOffset)}\r\n");
        sb.Append($"repl_backlog_histlen:{(_backlog is null ? 0 : _backlog.HistoryLength)}\r\n");
        return sb.ToString();
    }

    /// <summary>ROLE's reply.</summary>
    internal void WriteRole(ReplyBuffer r)
    {
        if (Link is null)
        {
            r.ArrayHeader(3);
            r.Bulk("master"u8);
            r.Integer(MasterReplOffset);
            var online = _replicas.Where(x => x.State == ReplicaState.Online).ToList();
            r.ArrayHeader(online.Count);
            foreach (var x in online)
            {
                r.ArrayHeader(3);
                r.Bulk(x.Ip);
                r.Bulk(x.ListeningPort.ToString());
                r.Bulk(x.AckOffset.ToString());
            }
            return;
        }
        r.ArrayHeader(5);
        r.Bulk("slave"u8);
        r.Bulk(Link.Host);
        r.Integer(Link.Port);
        r.Bulk(Link.State.RoleName());
        r.Integer(Link.State == MasterLinkState.Connected ? MasterReplOffset : -1);
    }

    // ---- becoming a replica or a master ---------------------------------------------------------

    /// <summary>
    /// REPLICAOF host port, or <c>replicaof</c> in the configuration at start-up
    /// (<paramref name="atStartup"/>). As in Redis 7.0, a master turning replica offers its own history
    /// (PSYNC replid offset+1) for a partial resync, a replica changing masters offers its master's (if
    /// it ever synced), and a server starting as a replica has no history to offer and asks PSYNC ? -1
    /// (we load no replication info from the dump).
    /// </summary>
    internal void SetMaster(string host, int port, bool atStartup = false)
    {
        bool hasHistory = !atStartup && (Link is null || Link.HasHistory);
        Link?.Stop();
        _server.KeyspaceState.IsReplica = true;
        _pending.Clear();
        _pendingLen = 0;
        Link = hasHistory
            ? new MasterLink(_server, this, host, port, ReplId, MasterReplOffset)
            : new MasterLink(_server, this, host, port, null, 0);
        _server.Config.ReplicaOfHost = host;
        _server.Config.ReplicaOfPort = port;
        Link.Start();
    }

    /// <summary>REPLICAOF NO ONE.</summary>
    internal void SetNoMaster()
    {
        if (Link is null) return;
        Link.Stop();
        Link = null;
        _server.KeyspaceState.IsReplica = false;
        _server.Config.ReplicaOfHost = null;
        _server.Config.ReplicaOfPort = 0;
        ShiftReplicationId();
        _selectedDb = -1;
        _server.Log.Info("MASTER MODE enabled (user request from 'id=...')");
    }

    // ---- replica side hooks, called by MasterLink and the dispatcher -----------------------------

    /// <summary>A full sync from our master finished: adopt its history.</summary>
    internal void OnFullSync(string replId, long offset)
    {
        ReplId = replId;
        ClearReplicationId2();
        MasterReplOffset = offset;
        _backlog ??= new ReplicationBacklog(_server.Config.ReplBacklogSize);
        _backlog.Reset(offset);
        // Our own replicas have a different history now: make them resync.
        foreach (var r in _replicas.ToList()) r.Connection.CloseSoon();
        // The dataset was replaced: the AOF must start again from a new base (Redis' restartAOFAfterSYNC).
        if (_server.Aof.Active)
        {
            _server.Aof.Stop();
            _server.Aof.Start();
        }
    }

    /// <summary>+CONTINUE newid: the master's id may have changed (it was promoted).</summary>
    internal void OnContinue(string? newReplId)
    {
        if (newReplId is not null && newReplId != ReplId)
        {
            ReplId2 = ReplId;
            SecondReplOffset = MasterReplOffset + 1;
            ReplId = newReplId;
            // Sub-replicas must learn the new id: disconnect them so they PSYNC again.
            foreach (var r in _replicas.ToList()) r.Connection.CloseSoon();
        }
        _backlog ??= new ReplicationBacklog(_server.Config.ReplBacklogSize);
        if (_backlog.EndOffset != MasterReplOffset) _backlog.Reset(MasterReplOffset);
    }

    /// <summary>Bytes of the master's stream were applied: advance our offset and pass them on verbatim.</summary>
    internal void OnMasterStreamProcessed(ReadOnlySpan<byte> bytes)
    {
        if (_backlog is null && _replicas.Count == 0) { MasterReplOffset += bytes.Length; return; }
        FeedStream(bytes);
    }
}
