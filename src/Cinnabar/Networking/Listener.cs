using System.Net;
using System.Net.Sockets;

namespace Cinnabar.Networking;

/// <summary>Accepts TCP connections on one address and starts a <see cref="ClientConnection"/> for each.</summary>
public sealed class Listener
{
    private readonly CinnabarServer _server;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private Task _acceptLoop = Task.CompletedTask;

    public Listener(CinnabarServer server, IPEndPoint endPoint)
    {
        _server = server;
        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6) _socket.DualMode = false;
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.Bind(endPoint);
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
    }

    public int Port { get; }
    public Task Completion => _acceptLoop;

    public void Start()
    {
        _socket.Listen(Math.Max(_server.Config.TcpBacklog, 511));
        _acceptLoop = AcceptLoopAsync();
    }

    public void Stop()
    {
        _stop.Cancel();
        try { _socket.Dispose(); } catch { }
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

            socket.NoDelay = true;
            if (_server.Config.TcpKeepAlive > 0)
            {
                try
                {
                    socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
                    socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, _server.Config.TcpKeepAlive);
                }
                catch (SocketException) { }
            }
            var client = new ClientConnection(_server, socket);
            if (!_server.Clients.TryRegister(client))
            {
                _ = RejectAsync(socket);
                continue;
            }
            _ = client.RunAsync();
        }
    }

    private static async Task RejectAsync(Socket socket)
    {
        try
        {
            await socket.SendAsync("-ERR max number of clients reached\r\n"u8.ToArray(), SocketFlags.None);
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException) { }
        finally { socket.Dispose(); }
    }
}
