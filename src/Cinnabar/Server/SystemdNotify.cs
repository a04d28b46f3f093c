using System.Net.Sockets;
using System.Text;

namespace Cinnabar.Server;

/// <summary>
/// supervised systemd (or auto under systemd): tells the service manager the server is ready, as Redis'
/// redisCommunicateSystemd, by a datagram on $NOTIFY_SOCKET (sd_notify's protocol; '@' is the abstract namespace).
/// </summary>
internal static class SystemdNotify
{
    public static bool Wanted(Config.SupervisedMode supervised) =>
        supervised == Config.SupervisedMode.Systemd || supervised == Config.SupervisedMode.Auto && Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is not null;

    /// <summary>Sends <paramref name="state"/> (e.g. "READY=1\n"); returns false when there is no socket or it failed.</summary>
    public static bool Send(string state, ServerLog log)
    {
        var path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path))
        {
            log.Warning("systemd supervision requested or auto-detected, but NOTIFY_SOCKET not found!");
            return false;
        }
        if (path[0] == '@') path = "\0" + path[1..];
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.ASCII.GetBytes(state), new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException ex)
        {
            log.Warning($"Can't send notification to systemd: {ex.Message}");
            return false;
        }
    }
}
