using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Cinnabar.Protocol;

namespace Cinnabar.Networking;

/// <summary>
/// A TCP client. Two loops per connection, as in Kestrel:
/// <list type="bullet">
/// <item>the receive loop reads into a pooled buffer, parses every complete command in it (outside any
/// lock), then executes the whole batch under the server's execution lock, writing replies into
/// <see cref="Client.Reply"/>; then it wakes the send loop;</item>
/// <item>the send loop swaps the filled reply buffer with an empty one and writes it to the socket, so
/// replies of a pipelined batch leave in one send and other threads (pub/sub, unblocking) can append
/// while a send is in flight.</item>
/// </list>
/// A client that does not read its replies stops being read from once <see cref="OutputSoftLimit"/>
/// bytes are pending, so it cannot grow the server's memory without bound or slow anyone else.
/// <para>The transport is the socket itself (zero-copy receive and send, nothing allocated per command), or,
/// for a connection accepted on tls-port or a TLS link to our master, an <see cref="SslStream"/> over it
/// whose handshake is already done (<see cref="Listener"/>, <see cref="Replication.MasterLink"/>): the
/// loops read and write through it, and everything above the transport is the same.</para>
/// </summary>
public sealed class ClientConnection : Client
{
    private const int ReceiveChunk = 16 * 1024;
    /// <summary>Pending output above which the client's input is no longer read until it drains.</summary>
    public const int OutputSoftLimit = 1024 * 1024;

    private readonly Socket _socket;
    /// <summary>The TLS stream over <see cref="_socket"/>, or null for a plain connection.</summary>
    private readonly SslStream? _tls;
    private readonly ReplyBuffer _sending = new();
    private readonly Lock _outLock = new();
    private readonly AsyncSignal _sendSignal = new(runContinuationsAsynchronously: false);
    private readonly AsyncSignal _drained = new(runContinuationsAsynchronously: false);
    // Set by the AOF's group commit once DurableTarget is on disk; resumes the send loop off its thread.
    private readonly AsyncSignal _durable = new(runContinuationsAsynchronously: true);
    private readonly AsyncSignal _resume = new(runContinuationsAsynchronously: true);
    private readonly RequestParser _parser = new();
    private long _bytesInFlight;

    // Receive buffer: [_commandStart, _inEnd) is unconsumed input; the parser has looked up to _parsePos.
    private byte[] _in;
    private int _commandStart, _parsePos, _inEnd;

    // The batch of complete commands found in one read.
    private ArgSlice[] _batchArgs = new ArgSlice[64];
    private (int ArgStart, int ArgCount, int End)[] _batch = new (int, int, int)[16];

    private int _closed;
    private Task? _sendLoop;

    public ClientConnection(CinnabarServer server, Socket socket, ReadOnlySpan<byte> initialInput = default, string? unixPath = null, SslStream? tls = null) : base(server, new ReplyBuffer())
    {
        UnixPath = unixPath;
        _socket = socket;
        _tls = tls;
        Connection = this;
        _in = ArrayPool<byte>.Shared.Rent(Math.Max(ReceiveChunk, initialInput.Length + ReceiveChunk));
        // Bytes already read from the socket by someone else (the replication handshake) come first.
        initialInput.CopyTo(_in);
        _inEnd = initialInput.Length;
        _parser.MaxBulkLength = server.Config.ProtoMaxBulkLen;
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint;
        LocalEndPoint = socket.LocalEndPoint as IPEndPoint;
    }

    public IPEndPoint? RemoteEndPoint { get; }
    public IPEndPoint? LocalEndPoint { get; }
    /// <summary>The socket file when connected through unixsocket (CLIENT LIST shows it as "path:0" and flag U).</summary>
    public string? UnixPath { get; }
    public bool IsUnixSocket => UnixPath is not null;
    public override long MemoryBytes => base.MemoryBytes + QueryBufferCapacity + Interlocked.Read(ref _bytesInFlight);

    public override string Address => UnixPath is not null ? UnixPath + ":0" : FormatEndPoint(RemoteEndPoint);
    public override string LocalAddress => UnixPath is not null ? UnixPath + ":0" : FormatEndPoint(LocalEndPoint);
    public int Fd => (int)_socket.Handle;
    internal Socket SocketForTests => _socket;

    /// <summary>Bytes of unparsed input (CLIENT LIST qbuf).</summary>
    public int QueryBufferLength => _inEnd - _commandStart;
    public int QueryBufferFree => _in.Length - _inEnd;
    /// <summary>Bytes of replies not yet written to the socket (CLIENT LIST omem).</summary>
    public long PendingOutput => Reply.Length + Interlocked.Read(ref _bytesInFlight);

    private static string FormatEndPoint(IPEndPoint? ep) =>
        ep is null ? "" : ep.AddressFamily == AddressFamily.InterNetworkV6 && !ep.Address.IsIPv4MappedToIPv6
            ? $"{ep.Address}:{ep.Port}" : $"{(ep.Address.IsIPv4MappedToIPv6 ? ep.Address.MapToIPv4() : ep.Address)}:{ep.Port}";

    public async Task RunAsync()
    {
        _sendLoop = SendLoopAsync();
        // While a blocking command parks this client, the socket is still read (input is buffered, not
        // executed) so that a disconnect is noticed at once, as Redis does; the parked command then frees
        // its place for the next waiter.
        Task<int>? pendingReceive = null;
        Task? pendingResume = null;
        try
        {
            if (_inEnd > 0 && (!ProcessInput() || !await RunDeferredBatchAsync())) return;
            while (true)
            {
                if ((Flags & ClientFlags.Blocked) != 0)
                {
                    if (pendingReceive is null)
                    {
                        EnsureReceiveSpace();
                        pendingReceive = ReceiveAsync(_in.AsMemory(_inEnd)).AsTask();
                    }
                    pendingResume ??= _resume.WaitAsync().AsTask();
                    if (await Task.WhenAny(pendingReceive, pendingResume) == pendingReceive)
                    {
                        int got = await pendingReceive;
                        pendingReceive = null;
                        if (got == 0) break;
                        _inEnd += got;
                        Server.Stats.AddNetInput(got);
                        if (_inEnd - _commandStart > Server.Config.ClientQueryBufferLimit)
                        {
                            Server.Log.QueryBufferLimit(this);
                            break;
                        }
                        // Unblocked while this read was in flight: run what arrived now, or it would sit in
                        // the buffer while we wait for more input that the client will never send.
                        if ((Flags & ClientFlags.Blocked) == 0 && (!ProcessInput() || !await RunDeferredBatchAsync())) break;
                        continue;
                    }
                    pendingResume = null;
                    if (_closed != 0 || (Flags & ClientFlags.CloseAfterReply) != 0) break;
                    if ((Flags & ClientFlags.Blocked) != 0) continue;
                    if (!ProcessInput() || !await RunDeferredBatchAsync()) break;
                    continue;
                }

                int n;
                if (pendingReceive is not null)
                {
                    n = await pendingReceive;
                    pendingReceive = null;
                }
                else
                {
                    EnsureReceiveSpace();
                    // A TLS read is never cancelled (a cancelled SslStream read may have consumed part of a record).
                    if (_in.Length <= LargeQueryBuffer || _tls is not null) n = await ReceiveAsync(_in.AsMemory(_inEnd));
                    else
                    {
                        // A buffer grown for a large argument: the cron may cancel this read to trim it
                        // while the client is idle (only such reads carry a token; the common path has none).
                        var trim = _trimQueryBuffer = new CancellationTokenSource();
                        try { n = await _socket.ReceiveAsync(_in.AsMemory(_inEnd), SocketFlags.None, trim.Token); }
                        catch (OperationCanceledException)
                        {
                            TrimQueryBuffer();
                            continue;
                        }
                        finally
                        {
                            _trimQueryBuffer = null;
                            trim.Dispose();
                        }
                    }
                }
                if (n == 0) break;
                _inEnd += n;
                _trimmed = false;
                Server.Stats.AddNetInput(n);
                if (!ProcessInput() || !await RunDeferredBatchAsync()) break;

                while (PendingOutput > OutputSoftLimit && _closed == 0)
                    await _drained.WaitAsync();
            }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        catch (Exception ex) when (_tls is not null && ex is IOException or AuthenticationException) { }
        catch (Exception ex)
        {
            Server.Log.LogUnexpected(ex, this);
        }
        finally
        {
            if ((Flags & ClientFlags.CloseAfterReply) != 0 && _closed == 0) await FlushAndWaitAsync();
            Close();
            if (pendingReceive is not null) try { await pendingReceive; } catch { }
            if (_sendLoop is not null) await _sendLoop;
            // Both loops are done with the stream (the socket under it is already closed).
            if (_tls is not null) try { _tls.Dispose(); } catch { }
            ArrayPool<byte>.Shared.Return(_in);
            _in = [];
        }
    }

    /// <summary>One read from the transport: the socket, or the TLS stream over it.</summary>
    private ValueTask<int> ReceiveAsync(Memory<byte> buffer) =>
        _tls is null ? _socket.ReceiveAsync(buffer, SocketFlags.None) : _tls.ReadAsync(buffer);

    /// <summary>Parses and executes what is buffered. Returns false when the connection must close.</summary>
    private bool ProcessInput()
    {
        int pos = _parsePos;
        int count = 0, argsUsed = 0;
        string? protocolError = null;
        while (true)
        {
            var status = _parser.Parse(_in, ref pos, _inEnd);
            if (status == ParseStatus.Complete)
            {
                var args = _parser.Args;
                if (_batchArgs.Length < argsUsed + args.Length) Array.Resize(ref _batchArgs, Math.Max(_batchArgs.Length * 2, argsUsed + args.Length));
                args.CopyTo(_batchArgs.AsSpan(argsUsed));
                if (count == _batch.Length) Array.Resize(ref _batch, count * 2);
                _batch[count++] = (argsUsed, args.Length, pos);
                argsUsed += args.Length;
            }
            else if (status == ParseStatus.Empty)
            {
                if (count == 0) _commandStart = pos;
                else _batch[count - 1].End = pos; // skip it together with the previous command
            }
            else if (status == ParseStatus.Incomplete) break;
            else { protocolError = _parser.Error; break; }
        }
        _parsePos = pos;
        // Bytes of a command still arriving count as activity (timeout), as Redis stamps every read.
        if (count == 0) LastInteractionMs = Keyspace.KeyspaceState.WallClockMs();

        // A script may run for long: not on the socket engine's thread (inline completions), which every
        // other connection needs to be read and answered -BUSY. The receive loop moves to a pool thread.
        if (count > 0 && !Thread.CurrentThread.IsThreadPoolThread && BatchRunsScript(count))
        {
            _deferredBatch = (count, protocolError);
            return true;
        }
        return ExecuteParsed(count, protocolError);
    }

    /// <summary>A parsed batch waiting to be executed on a pool thread (see <see cref="ProcessInput"/>).</summary>
    private (int Count, string? ProtocolError)? _deferredBatch;

    /// <summary>Runs a batch <see cref="ProcessInput"/> deferred, after moving off the socket engine's thread.</summary>
    private async ValueTask<bool> RunDeferredBatchAsync()
    {
        while (_deferredBatch is { } deferred)
        {
            _deferredBatch = null;
            await Task.Yield();
            if (!ExecuteParsed(deferred.Count, deferred.ProtocolError)) return false;
        }
        return true;
    }

    /// <summary>Whether the batch runs a script: EVAL, EVALSHA, FCALL and their _RO forms, or an EXEC with one queued.</summary>
    private bool BatchRunsScript(int count)
    {
        for (int i = 0; i < count; i++)
        {
            var name = _batchArgs[_batch[i].ArgStart];
            if (name.Length < 4) continue;
            byte first = (byte)(_in[name.Offset] | 0x20);
            if (first != 'e' && first != 'f') continue;
            var cmd = Server.Commands.Find(_in.AsSpan(name.Offset, name.Length));
            if (cmd is null) continue;
            if ((cmd.Flags & Commands.CommandFlags.ScriptFlagsApply) != 0) return true;
            if (cmd.Name == "exec" && Transaction is { HasQueuedScript: true }) return true;
        }
        return false;
    }

    /// <summary>Executes a parsed batch and handles what follows it. Returns false when the connection must close.</summary>
    private bool ExecuteParsed(int count, string? protocolError)
    {
        int executed = count == 0 ? 0 : Server.Dispatcher.ExecuteBatch(this, _in, _commandStart, _batchArgs, _batch.AsSpan(0, count));
        if (executed > 0) _commandStart = _batch[executed - 1].End;

        if (executed < count || (Flags & ClientFlags.Blocked) != 0)
        {
            // Stopped early (blocked or closing): the rest is parsed again later, from where execution stopped.
            // A protocol error behind a blocking command waits too: the command answers first, as in Redis.
            _parser.Reset();
            _parsePos = _commandStart;
            protocolError = null;
        }
        else if (protocolError is not null)
        {
            lock (_outLock) Reply.Error("ERR " + protocolError);
            Flags |= ClientFlags.CloseAfterReply;
        }

        if ((Flags & ClientFlags.CloseAfterReply) != 0) return false;
        if (Reply.Length > 0) _sendSignal.Set();

        if ((Flags & ClientFlags.Blocked) == 0 && _inEnd - _commandStart > Server.Config.ClientQueryBufferLimit)
        {
            Server.Log.QueryBufferLimit(this);
            return false;
        }
        return true;
    }

    /// <summary>A receive buffer larger than this was grown for a large argument and is trimmed when the client idles.</summary>
    private const int LargeQueryBuffer = 4 * ReceiveChunk;

    private volatile CancellationTokenSource? _trimQueryBuffer;

    /// <summary>Receive buffer capacity (CLIENT LIST qbuf + qbuf-free).</summary>
    internal int QueryBufferCapacity => _in.Length;

    /// <summary>
    /// Redis' clientsCronResizeQueryBuffer, for a client idle in the middle of a large argument: asks the
    /// receive loop to give back the buffer's free space (it keeps the bytes already received). Any thread.
    /// </summary>
    internal void RequestQueryBufferTrim()
    {
        try { _trimQueryBuffer?.Cancel(); }
        catch (ObjectDisposedException) { } // the read completed meanwhile
    }

    /// <summary>Shrinks the receive buffer to the unconsumed input it holds (at least one ordinary chunk).</summary>
    private void TrimQueryBuffer()
    {
        int keep = _inEnd - _commandStart;
        var smaller = ArrayPool<byte>.Shared.Rent(Math.Max(keep, ReceiveChunk));
        if (smaller.Length >= _in.Length)
        {
            ArrayPool<byte>.Shared.Return(smaller);
            return;
        }
        Buffer.BlockCopy(_in, _commandStart, smaller, 0, keep);
        _parser.Shift(-_commandStart);
        _parsePos -= _commandStart;
        _inEnd = keep;
        _commandStart = 0;
        ArrayPool<byte>.Shared.Return(_in);
        _in = smaller;
        _trimmed = true;
    }

    /// <summary>Set by a trim: the next read does not grow the buffer for the whole pending argument again.</summary>
    private bool _trimmed;

    /// <summary>Makes room for the next read: drops consumed input and grows for a large bulk argument.</summary>
    private void EnsureReceiveSpace()
    {
        if (_commandStart == _inEnd)
        {
            _commandStart = _parsePos = _inEnd = 0;
            if (_in.Length > 4 * ReceiveChunk)
            {
                ArrayPool<byte>.Shared.Return(_in);
                _in = ArrayPool<byte>.Shared.Rent(ReceiveChunk);
            }
            return;
        }
        long needed = (long)(_inEnd - _commandStart) + (_trimmed ? ReceiveChunk / 4 : Math.Max(_parser.PendingBulkBytes - (_inEnd - _parsePos), 0));
        if (_commandStart > 0 && (_in.Length - _inEnd < ReceiveChunk / 4 || needed > _in.Length - _commandStart))
        {
            int keep = _inEnd - _commandStart;
            Buffer.BlockCopy(_in, _commandStart, _in, 0, keep);
            _parser.Shift(-_commandStart);
            _parsePos -= _commandStart;
            _inEnd = keep;
            _commandStart = 0;
        }
        long want = Math.Max(needed, _inEnd + ReceiveChunk / 4);
        if (want > _in.Length)
        {
            int size = (int)Math.Min(Math.Max(want, (long)_in.Length * 2), Array.MaxLength);
            var bigger = ArrayPool<byte>.Shared.Rent(size);
            Buffer.BlockCopy(_in, 0, bigger, 0, _inEnd);
            ArrayPool<byte>.Shared.Return(_in);
            _in = bigger;
        }
    }

    /// <summary>Runs <paramref name="write"/> against this client's reply buffer from another client's command
    /// (pub/sub messages, replies to unblocked commands). Call under the execution lock; then
    /// <see cref="OutputScheduler.Request"/> schedules the write after the lock is released.</summary>
    public bool TryWriteFromOutside<TState>(TState state, Action<ReplyBuffer, TState> write)
    {
        lock (_outLock)
        {
            if (_closed != 0 || (Flags & ClientFlags.Closing) != 0) return false;
            write(Reply, state);
        }
        return CheckOutputLimits();
    }

    /// <summary>Taken by the executing thread around a batch so the send loop does not swap buffers under it.</summary>
    internal Lock OutputLock => _outLock;

    /// <summary>Wakes the send loop. Never call while holding the execution lock.</summary>
    public void Flush() => _sendSignal.Set();

    /// <summary>The AOF fsync covering <see cref="Client.DurableTarget"/> completed (any thread).</summary>
    internal void SignalDurable() => _durable.Set();

    /// <summary>Resumes a client parked by a blocking command (after its reply was written).</summary>
    public void Resume() => _resume.Set();

    private async Task SendLoopAsync()
    {
        try
        {
            while (true)
            {
                await _sendSignal.WaitAsync();
                while (true)
                {
                    long awaitDurable = 0;
                    lock (_outLock)
                    {
                        // A client dropped for its output limit gets none of its backlog, as in Redis.
                        if (Reply.Length == 0 || _closed != 0 || (Flags & ClientFlags.Closing) != 0) break;
                        // appendfsync always: replies of a batch still running wait (the receive loop
                        // signals again), and replies of a batch whose writes are not on disk yet wait
                        // for the group commit, without holding a thread.
                        if (OutputHeld) break;
                        if (DurableTarget > 0 && !Server.Aof.IsSynced(DurableTarget)) awaitDurable = DurableTarget;
                        else
                        {
                            Reply.SwapStorage(_sending);
                            Interlocked.Exchange(ref _bytesInFlight, _sending.Length);
                        }
                    }
                    if (awaitDurable > 0)
                    {
                        if (Server.Aof.AddSyncWaiter(this, awaitDurable)) await _durable.WaitAsync();
                        continue;
                    }
                    var data = _sending.WrittenMemory;
                    if (_tls is not null) await _tls.WriteAsync(data);
                    else
                    {
                        while (data.Length > 0)
                        {
                            int n = await _socket.SendAsync(data, SocketFlags.None);
                            data = data[n..];
                        }
                    }
                    Server.Stats.AddNetOutput(_sending.Length);
                    _sending.Clear();
                    _sending.ShrinkIfLarge();
                    Interlocked.Exchange(ref _bytesInFlight, 0);
                }
                _drained.Set();
                if (_closed != 0) break;
            }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        catch (Exception ex) when (_tls is not null && ex is IOException or AuthenticationException or NotSupportedException) { }
        finally
        {
            _drained.Set();
            Close();
            lock (_outLock)
            {
                Reply.Release();
                _sending.Release();
            }
        }
    }

    private async Task FlushAndWaitAsync()
    {
        _sendSignal.Set();
        var deadline = Environment.TickCount64 + 5000;
        while (PendingOutput > 0 && _closed == 0 && Environment.TickCount64 < deadline)
        {
            var wait = _drained.WaitAsync().AsTask();
            await Task.WhenAny(wait, Task.Delay(100));
        }
    }

    /// <summary>Closes the connection (idempotent, any thread, no lock held).</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        Server.Clients.Unregister(this);
        try { _socket.Shutdown(SocketShutdown.Both); } catch { }
        _socket.Dispose();
        _sendSignal.Set();
        _drained.Set();
        _resume.Set();
    }

    public bool IsClosed => _closed != 0;

    /// <summary>Already in the server's list of clients to flush after the current command (under the lock).</summary>
    internal bool FlushQueued;

    private long _softLimitSinceMs;

    /// <summary>
    /// client-output-buffer-limit for this client's class (normal, replica, pubsub): past the hard limit,
    /// or past the soft limit for longer than its seconds, the client is disconnected so that a slow
    /// reader can never hold unbounded memory or stall anybody. Call under the execution lock after
    /// writing to the client. Returns false when the client is being closed.
    /// </summary>
    internal bool CheckOutputLimits()
    {
        if ((Flags & ClientFlags.Master) != 0 || _closed != 0) return true;
        if ((Flags & ClientFlags.Closing) != 0) return false;
        var limits = Config.ClientOutputBufferLimits.Get(Server.Config);
        var (hard, soft, seconds) = (Flags & ClientFlags.Replica) != 0 ? limits.Replica : IsSubscribed ? limits.PubSub : limits.Normal;
        if (hard == 0 && soft == 0) return true;
        long pending = PendingOutput;
        bool exceeded = hard > 0 && pending >= hard;
        if (!exceeded && soft > 0 && pending >= soft)
        {
            long now = Server.KeyspaceState.NowMs;
            if (_softLimitSinceMs == 0) _softLimitSinceMs = now;
            else if ((now - _softLimitSinceMs) / 1000 > seconds) exceeded = true;
        }
        else if (!exceeded) _softLimitSinceMs = 0;
        if (!exceeded) return true;
        Server.Log.Warning($"Client {this} scheduled to be closed ASAP for overcoming of output buffer limits.");
        // Closing takes the execution lock, which the caller holds: do it right after.
        Flags |= ClientFlags.Closing;
        ThreadPool.UnsafeQueueUserWorkItem(static c =>
        {
            try { c.Close(); }
            catch (Exception ex) { c.Server.Log.Error($"closing {c}: {ex.Message}"); }
        }, this, preferLocal: false);
        return false;
    }

    /// <summary>Asks the connection to close once pending replies are written (CLIENT KILL, SHUTDOWN).</summary>
    public void CloseSoon()
    {
        Flags |= ClientFlags.CloseAfterReply;
        _resume.Set();
        try { _socket.Shutdown(SocketShutdown.Receive); } catch { }
    }
}
