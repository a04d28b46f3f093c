using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Cinnabar.Networking;
using Cinnabar.Persistence;

namespace Cinnabar.Replication;

/// <summary>
/// This server's connection to its master (REPLICAOF host port). Runs the handshake (PING, AUTH,
/// REPLCONF listening-port, REPLCONF capa eof capa psync2, PSYNC replid offset), loads the snapshot of a
/// full sync or continues a partial one, then hands the socket to a <see cref="ClientConnection"/> with the
/// Master flag that applies the stream like any client's commands. Reconnects every second after a
/// broken link, offering its history (replid, offset) for a partial resync. With tls-replication the link
/// is TLS: the master's certificate must chain to our CAs (tls-ca-cert-file/dir; no host name check, as
/// Redis) and we present tls-client-cert-file (or tls-cert-file).
/// </summary>
public sealed class MasterLink
{
    private readonly CinnabarServer _server;
    private readonly ReplicationManager _replication;
    private readonly CancellationTokenSource _stop = new();
    private string? _psyncReplId;
    private long _psyncOffset;
    private long _lastAckMs;
    /// <summary>The database the previous master client had selected: a +CONTINUE resumes in it.</summary>
    private int _masterDb;

    /// <param name="replId">The history offered for a partial resync, or null to ask for a full one (PSYNC ? -1).</param>
    public MasterLink(CinnabarServer server, ReplicationManager replication, string host, int port, string? replId, long offset)
    {
        _server = server;
        _replication = replication;
        Host = host;
        Port = port;
        _psyncReplId = replId;
        _psyncOffset = offset;
        DownSinceMs = Keyspace.KeyspaceState.WallClockMs();
    }

    public string Host { get; }
    public int Port { get; }
    public volatile MasterLinkState State = MasterLinkState.Connect;
    public long LastIoMs;
    public long DownSinceMs;
    public ClientConnection? MasterClient { get; private set; }

    /// <summary>True once the link has a replication history to offer (a sync succeeded); under the lock.</summary>
    internal bool HasHistory => _psyncReplId is not null || MasterClient is not null;

    public void Start() => _ = Task.Run(RunAsync);

    public void Stop()
    {
        _stop.Cancel();
        MasterClient?.CloseSoon();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await ConnectAndSyncAsync(_stop.Token);
            }
            catch (OperationCanceledException) { break; }
            catch (Exception ex) when (ex is SocketException or IOException or RdbFormatException or ReplicationHandshakeException or AuthenticationException)
            {
                _server.Log.Warning($"Replication with master {Host}:{Port}: {ex.Message}");
            }
            State = MasterLinkState.Connect;
            if (DownSinceMs == 0) DownSinceMs = Keyspace.KeyspaceState.WallClockMs();
            try { await Task.Delay(1000, _stop.Token); } catch (OperationCanceledException) { break; }
        }
    }

    private async Task ConnectAndSyncAsync(CancellationToken cancel)
    {
        State = MasterLinkState.Connecting;
        _server.Log.Info($"Connecting to MASTER {Host}:{Port}");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SslStream? tls = null;
        bool handedOver = false;
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            connectTimeout.CancelAfter(TimeSpan.FromSeconds(_server.Config.ReplTimeout));
            await socket.ConnectAsync(Host, Port, connectTimeout.Token);
            if (_server.Config.TlsReplication)
            {
                var context = _server.Tls ?? throw new ReplicationHandshakeException("tls-replication is on but TLS is not configured");
                tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: true);
                string? rejection = null;
                try { await tls.AuthenticateAsClientAsync(context.ClientOptions(Host, r => rejection = r), connectTimeout.Token); }
                catch (AuthenticationException ex) { throw new AuthenticationException($"TLS handshake with MASTER failed: {rejection ?? ex.Message}", ex); }
            }
            var io = new LineChannel(socket, tls, TimeSpan.FromSeconds(_server.Config.ReplTimeout));
            State = MasterLinkState.Handshake;

            var pong = await io.CommandAsync(cancel, "PING");
            if (pong[0] == '-' && !pong.StartsWith("-NOAUTH") && !pong.StartsWith("-NOPERM") && !pong.StartsWith("-ERR operation not permitted"))
                throw new ReplicationHandshakeException($"Error reply to PING from master: '{pong}'");
            if (_server.Config.MasterAuth.Length > 0)
            {
                var auth = _server.Config.MasterUser.Length > 0
                    ? await io.CommandAsync(cancel, "AUTH", _server.Config.MasterUser, _server.Config.MasterAuth)
                    : await io.CommandAsync(cancel, "AUTH", _server.Config.MasterAuth);
                if (auth[0] == '-') throw new ReplicationHandshakeException($"Unable to AUTH to MASTER: {auth}");
            }
            // The port a replica announces: its tls-port with tls-replication (Redis' syncWithMaster).
            int listeningPort = _server.Config.TlsReplication && _server.Config.TlsPort != 0 ? _server.TlsPort : _server.Port;
            await io.CommandAsync(cancel, "REPLCONF", "listening-port", listeningPort.ToString());
            await io.CommandAsync(cancel, "REPLCONF", "capa", "eof", "capa", "psync2");

            string replId;
            long offset;
            lock (_server.ExecLock)
            {
                replId = _psyncReplId ?? "?";
                offset = _psyncReplId is null ? -1 : _psyncOffset + 1;
            }
            var reply = await io.CommandAsync(cancel, "PSYNC", replId, offset.ToString());
            // A master may send empty lines to keep the link alive before it answers.
            while (reply.Length == 0) reply = await io.ReadLineAsync(cancel);
            bool continued;
            if (reply.StartsWith("+FULLRESYNC", StringComparison.Ordinal))
            {
                continued = false;
                var parts = reply.Split(' ');
                if (parts.Length < 3 || !long.TryParse(parts[2], out long masterOffset))
                    throw new ReplicationHandshakeException($"Bad FULLRESYNC reply '{reply}'");
                State = MasterLinkState.Sync;
                _server.Log.Info($"Full resync from master: {parts[1]}:{masterOffset}");
                var rdb = await io.ReadRdbPayloadAsync(cancel);
                LoadSnapshot(rdb, parts[1], masterOffset);
            }
            else if (reply.StartsWith("+CONTINUE", StringComparison.Ordinal))
            {
                continued = true;
                var parts = reply.Split(' ');
                lock (_server.ExecLock) _replication.OnContinue(parts.Length > 1 ? parts[1] : null);
                _server.Log.Info("Successful partial resynchronization with master.");
            }
            else throw new ReplicationHandshakeException($"Unexpected reply to PSYNC from master: {reply}");

            var master = new ClientConnection(_server, socket, io.TakeBuffered(), tls: tls);
            master.Flags |= ClientFlags.Master;
            master.SetSuperUser();
            // A continued stream goes on in the database the previous link had selected; a full sync
            // starts in database 0 (the master sends SELECT before its first command anyway).
            master.Db = _server.Databases[continued ? _masterDb : 0];
            if (!_server.Clients.TryRegister(master, force: true)) throw new ReplicationHandshakeException("could not register the master client");
            lock (_server.ExecLock)
            {
                MasterClient = master;
                State = MasterLinkState.Connected;
                DownSinceMs = 0;
                LastIoMs = Keyspace.KeyspaceState.WallClockMs();
                SendAck();
            }
            _server.Log.Info("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization or finished a full sync.");
            handedOver = true;
            master.Flush();
            await master.RunAsync();
        }
        finally
        {
            if (!handedOver)
            {
                socket.Dispose();
                tls?.Dispose();
            }
        }
    }

    /// <summary>Replaces the dataset with the master's snapshot and adopts its replication history.</summary>
    private void LoadSnapshot(byte[] rdb, string replId, long offset)
    {
        lock (_server.ExecLock)
        {
            foreach (var db in _server.Databases) db.Clear();
            _server.SignalFlushed();
            // A full sync replaces the master's function libraries too.
            _server.Scripting.Functions.Flush();
            RdbFile.Read(new MemoryStream(rdb), _server.Config, (db, key, value, expireAt) => _server.Databases[db].Add(key, value, expireAt),
                (db, keys) => _server.Databases[db].Reserve(keys), onFunction: _server.Scripting.Functions.LoadFromRdb);
            _replication.OnFullSync(replId, offset);
            _server.Log.Info($"MASTER <-> REPLICA sync: Finished with success ({rdb.Length} bytes)");
        }
    }

    /// <summary>The master client closed: remember our position for a partial resync. Under the lock.</summary>
    internal void OnMasterClientClosed()
    {
        if (MasterClient is not null) _masterDb = MasterClient.DbIndex;
        MasterClient = null;
        _psyncReplId = _replication.ReplId;
        _psyncOffset = _replication.MasterReplOffset;
        State = MasterLinkState.Connect;
        DownSinceMs = Keyspace.KeyspaceState.WallClockMs();
    }

    /// <summary>REPLCONF ACK every second, and a timeout check; under the lock.</summary>
    internal void Cron(long now)
    {
        var m = MasterClient;
        if (m is null || State != MasterLinkState.Connected) return;
        LastIoMs = Math.Max(LastIoMs, m.LastInteractionMs);
        if (now - LastIoMs > _server.Config.ReplTimeout * 1000L)
        {
            _server.Log.Warning("MASTER timeout: no data nor PING received...");
            m.CloseSoon();
            return;
        }
        if (now - _lastAckMs >= 1000) SendAck();
    }

    internal void SendAck()
    {
        _lastAckMs = Keyspace.KeyspaceState.WallClockMs();
        var m = MasterClient;
        if (m is null) return;
        var ack = ReplicationManager.EncodeCommand([Encoding.ASCII.GetBytes("REPLCONF"), Encoding.ASCII.GetBytes("ACK"),
            Encoding.ASCII.GetBytes(_replication.MasterReplOffset.ToString())]);
        if (m.TryWriteFromOutside(ack, static (buf, a) => buf.WriteRaw(a))) _server.Dispatcher.Output.Request(m);
    }
}

public sealed class ReplicationHandshakeException(string message) : Exception(message);

/// <summary>Line-oriented I/O for the handshake, then the RDB payload; keeps bytes read past it.</summary>
internal sealed class LineChannel(Socket socket, SslStream? tls, TimeSpan timeout)
{
    private byte[] _buf = new byte[64 * 1024];
    private int _start, _end;

    public async Task<string> CommandAsync(CancellationToken cancel, params string[] args)
    {
        var cmd = ReplicationManager.EncodeCommand(args.Select(Encoding.UTF8.GetBytes).ToArray());
        if (tls is not null) await tls.WriteAsync(cmd, cancel);
        else await socket.SendAsync(cmd, SocketFlags.None, cancel);
        return await ReadLineAsync(cancel);
    }

    public async Task<string> ReadLineAsync(CancellationToken cancel)
    {
        while (true)
        {
            int nl = Array.IndexOf(_buf, (byte)'\n', _start, _end - _start);
            if (nl >= 0)
            {
                int len = nl - _start;
                if (len > 0 && _buf[nl - 1] == '\r') len--;
                var line = Encoding.UTF8.GetString(_buf, _start, len);
                _start = nl + 1;
                return line;
            }
            await FillAsync(cancel);
        }
    }

    /// <summary>Reads "$len\r\n" + payload or "$EOF:mark\r\n" + payload + mark, skipping keep-alive newlines.</summary>
    public async Task<byte[]> ReadRdbPayloadAsync(CancellationToken cancel)
    {
        string header;
        do header = await ReadLineAsync(cancel); while (header.Length == 0);
        if (header[0] == '-') throw new ReplicationHandshakeException($"MASTER aborted replication with an error: {header}");
        if (header[0] != '$') throw new ReplicationHandshakeException($"Bad protocol from MASTER, the first byte is not '$': {header}");
        if (header.StartsWith("$EOF:", StringComparison.Ordinal))
        {
            var mark = Encoding.ASCII.GetBytes(header[5..]);
            var ms = new MemoryStream();
            while (true)
            {
                var data = _buf.AsSpan(_start, _end - _start);
                int at = data.IndexOf(mark);
                if (at >= 0)
                {
                    ms.Write(data[..at]);
                    _start += at + mark.Length;
                    return ms.ToArray();
                }
                // Keep the tail that could be the start of the mark.
                int keep = Math.Min(mark.Length - 1, data.Length);
                ms.Write(data[..^keep]);
                _start = _end - keep;
                await FillAsync(cancel);
            }
        }
        long length = long.Parse(header[1..]);
        var result = new byte[length];
        int got = 0;
        while (got < length)
        {
            if (_start == _end) await FillAsync(cancel);
            int n = (int)Math.Min(length - got, _end - _start);
            Buffer.BlockCopy(_buf, _start, result, got, n);
            _start += n;
            got += n;
        }
        return result;
    }

    public byte[] TakeBuffered()
    {
        var rest = _buf.AsSpan(_start, _end - _start).ToArray();
        _start = _end = 0;
        return rest;
    }

    private async Task FillAsync(CancellationToken cancel)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buf, _start, _buf, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buf.Length) Array.Resize(ref _buf, _buf.Length * 2);
        using var t = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        t.CancelAfter(timeout);
        int n;
        try { n = tls is not null ? await tls.ReadAsync(_buf.AsMemory(_end), t.Token) : await socket.ReceiveAsync(_buf.AsMemory(_end), SocketFlags.None, t.Token); }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested) { throw new IOException("Timeout reading from MASTER"); }
        if (n == 0) throw new IOException("Connection closed by MASTER");
        _end += n;
    }
}
