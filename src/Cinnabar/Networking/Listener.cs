using System.ComponentModel;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Cinnabar.Networking;

/// <summary>
/// Accepts connections on one TCP address or Unix domain socket (unixsocket) and starts a
/// <see cref="ClientConnection"/> for each. A TLS listener (tls-port) runs each connection's handshake
/// first, off the execution lock and within a time limit, and gives the connection its
/// <see cref="SslStream"/>; a handshake that fails (plain text, an untrusted or missing client certificate,
/// a peer that never finishes) closes that connection only, with a line in the log.
/// </summary>
public sealed class Listener
{
    private readonly CinnabarServer _server;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private Task _acceptLoop = Task.CompletedTask;

    public Listener(CinnabarServer server, IPEndPoint endPoint, bool tls = false)
    {
        _server = server;
        IsTls = tls;
        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6) _socket.DualMode = false;
        // SO_REUSEADDR only, as Redis (anetSetReuseAddr): a restart binds a port with connections in TIME_WAIT.
        // .NET's ReuseAddress also sets SO_REUSEPORT on Linux, which would let a second listener (another
        // server, or tls-port equal to port) share the port silently instead of failing to bind.
        if (OperatingSystem.IsLinux()) _socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
        else _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.Bind(endPoint);
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
    }

    /// <summary>A Unix domain socket at <paramref name="path"/>, replacing a stale file as Redis does, with <paramref name="permissions"/> (0: the umask's).</summary>
    public Listener(CinnabarServer server, string path, int permissions)
    {
        _server = server;
        UnixPath = path;
        if (File.Exists(path)) File.Delete(path);
        _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _socket.Bind(new UnixDomainSocketEndPoint(path));
        if (permissions != 0 && !OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)permissions);
    }

    private const int SolSocket = 1, SoReuseAddr = 2; // Linux <sys/socket.h>

    public int Port { get; }
    /// <summary>Accepts TLS connections (tls-port).</summary>
    public bool IsTls { get; }
    /// <summary>The socket file of a Unix domain socket listener, else null.</summary>
    public string? UnixPath { get; }
    public Task Completion => _acceptLoop;

    public void Start()
    {
        // tcp-backlog, capped by the kernel's somaxconn (Redis warns when that cap bites).
        int backlog = Math.Max(_server.Config.TcpBacklog, 1);
        WarnIfBacklogCapped(backlog);
        _socket.Listen(backlog);
        _acceptLoop = AcceptLoopAsync();
    }

    public void Stop()
    {
        _stop.Cancel();
        try { _socket.Dispose(); } catch { }
        if (UnixPath is not null) try { File.Delete(UnixPath); } catch (IOException) { }
    }

    private void WarnIfBacklogCapped(int backlog)
    {
        try
        {
            if (!OperatingSystem.IsLinux() || UnixPath is not null) return;
            int somaxconn = int.Parse(File.ReadAllText("/proc/sys/net/core/somaxconn").Trim());
            if (somaxconn < backlog)
                _server.Log.Warning($"WARNING: The TCP backlog setting of {backlog} cannot be enforced because /proc/sys/net/core/somaxconn is set to the lower value of {somaxconn}.");
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException) { }
    }

    private async Task AcceptLoopAsync()
    {
        int backoffMs = 0;
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _socket.AcceptAsync(_stop.Token);
                backoffMs = 0;
            }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                // Out of file descriptors or buffers: back off rather than spin.
                backoffMs = Math.Clamp(backoffMs * 2, 100, 5000);
                _server.Log.Warning($"Error accepting a client connection: {ex.Message}");
                await Task.Delay(backoffMs);
                continue;
            }
            catch (SocketException) { continue; }

            if (UnixPath is null)
            {
                socket.NoDelay = true;
                ApplyKeepAlive(socket, _server.Config.TcpKeepAlive);
            }
            if (IsTls) _ = AcceptTlsAsync(socket);
            else Admit(socket, null);
        }
    }

    /// <summary>Protected mode, maxclients, then the client's loops (after the TLS handshake, for a TLS connection).</summary>
    private void Admit(Socket socket, SslStream? tls)
    {
        // Protected mode (Redis 7.0's clientAcceptHandler): no password for the default user means
        // loopback clients only, whatever the bind addresses.
        if (UnixPath is null && _server.Config.ProtectedMode && _server.Acl.Default.NoPass && !IsLocal(socket))
        {
            lock (_server.ExecLock)
            {
                _server.Stats.TotalConnectionsReceived++;
                _server.Stats.RejectedConnections++;
            }
            _ = RejectAsync(socket, tls, ProtectedModeDenied);
            return;
        }
        var client = new ClientConnection(_server, socket, unixPath: UnixPath, tls: tls);
        if (!_server.Clients.TryRegister(client))
        {
            _ = RejectAsync(socket, tls, "-ERR max number of clients reached\r\n"u8.ToArray());
            return;
        }
        _ = client.RunAsync();
    }

    /// <summary>
    /// The TLS handshake of an accepted connection, with the context current now and tls-auth-clients as it
    /// is now (Redis reads it per connection), within <see cref="Config.ServerConfig.TlsHandshakeTimeoutMs"/>.
    /// </summary>
    private async Task AcceptTlsAsync(Socket socket)
    {
        var context = _server.Tls;
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        string? rejection = null;
        try
        {
            if (context is null) throw new AuthenticationException("TLS is not configured");
            using var timeout = new CancellationTokenSource(_server.Config.TlsHandshakeTimeoutMs);
            await stream.AuthenticateAsServerAsync(context.ServerOptions(_server.Config.TlsAuthClients, r => rejection = r), timeout.Token);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or SocketException or Win32Exception or ObjectDisposedException)
        {
            // As Redis' clientAcceptHandler when the handshake fails; the connection counts as received.
            var why = ex is OperationCanceledException ? "the TLS handshake did not complete in time" : rejection ?? Describe(ex);
            _server.Log.Warning($"Error accepting a client connection: {why} (conn: addr={Describe(socket)})");
            lock (_server.ExecLock) _server.Stats.TotalConnectionsReceived++;
            try { stream.Dispose(); } catch { }
            try { socket.Dispose(); } catch { }
            return;
        }
        Admit(socket, stream);
    }

    private static string Describe(Exception ex)
    {
        var message = ex.Message;
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
            if (inner.Message != "" && !message.Contains(inner.Message, StringComparison.Ordinal)) message += ": " + inner.Message;
        return message;
    }

    private static string Describe(Socket socket)
    {
        try { return socket.RemoteEndPoint?.ToString() ?? "?"; }
        catch (ObjectDisposedException) { return "?"; }
    }

    /// <summary>
    /// tcp-keepalive as Redis' anetKeepAlive: probes after <paramref name="seconds"/> idle, then every third
    /// of that, and the peer is dead after three unanswered probes.
    /// </summary>
    internal static void ApplyKeepAlive(Socket socket, int seconds)
    {
        if (seconds <= 0) return;
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, seconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, Math.Max(seconds / 3, 1));
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        }
        catch (SocketException) { }
    }

    /// <summary>Redis' connIsLocal: 127.0.0.0/8 or ::1 (an IPv4 address mapped in IPv6 counts as itself).</summary>
    private static bool IsLocal(Socket socket)
    {
        if (socket.RemoteEndPoint is not IPEndPoint ep) return true;
        var address = ep.Address.IsIPv4MappedToIPv6 ? ep.Address.MapToIPv4() : ep.Address;
        return IPAddress.IsLoopback(address);
    }

    private static readonly byte[] ProtectedModeDenied = System.Text.Encoding.ASCII.GetBytes(
        "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. " +
        "In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: " +
        "1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. " +
        "2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. " +
        "3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
        "4) Setup a an authentication password for the default user. " +
        "NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n");

    private static async Task RejectAsync(Socket socket, SslStream? tls, byte[] error)
    {
        try
        {
            if (tls is not null) await tls.WriteAsync(error);
            else await socket.SendAsync(error, SocketFlags.None);
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException) { }
        finally
        {
            socket.Dispose();
            tls?.Dispose();
        }
    }
}
