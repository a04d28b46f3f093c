using System.Text;
using Cinnabar.Networking;

namespace Cinnabar.Server;

/// <summary>
/// MONITOR: the clients that receive, as a status line, every command other clients execute, formatted as
/// Redis' replicationFeedMonitors does: <c>+1700000000.123456 [0 127.0.0.1:5000] "set" "k" "v"</c>. Fed after
/// each command from <see cref="CinnabarServer.Call"/> (admin commands are not shown, as in Redis); with no
/// monitor that is one count test. All members run under the execution lock.
/// </summary>
public sealed class MonitorFeed
{
    private readonly CinnabarServer _server;
    private readonly List<Client> _monitors = [];

    public MonitorFeed(CinnabarServer server)
    {
        _server = server;
    }

    public int Count => _monitors.Count;

    public void Add(Client c)
    {
        c.Flags |= ClientFlags.Monitor;
        if (!_monitors.Contains(c)) _monitors.Add(c);
    }

    public void Remove(Client c)
    {
        c.Flags &= ~ClientFlags.Monitor;
        _monitors.Remove(c);
    }

    /// <summary>Sends the command <paramref name="c"/> just executed to every monitor.</summary>
    public void Feed(Client c)
    {
        var line = Format(c);
        foreach (var monitor in _monitors)
        {
            if (monitor is ClientConnection conn)
            {
                if (conn.TryWriteFromOutside(line, static (r, l) => r.WriteRaw(l))) _server.Dispatcher.Output.Request(conn);
            }
            else monitor.Reply.WriteRaw(line);
        }
    }

    private static byte[] Format(Client c)
    {
        long micros = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
        var sb = new StringBuilder();
        sb.Append('+').Append(micros / 1_000_000).Append('.').Append((micros % 1_000_000).ToString("D6"));
        sb.Append(" [").Append(c.DbIndex).Append(' ').Append(c.Address).Append("] ");
        var line = new List<byte>(Encoding.ASCII.GetBytes(sb.ToString()));
        for (int i = 0; i < c.ArgCount; i++)
        {
            if (i > 0) line.Add((byte)' ');
            AppendRepr(line, c.ShownArg(i));
        }
        line.Add((byte)'\r');
        line.Add((byte)'\n');
        return [.. line];
    }

    /// <summary>Redis' sdscatrepr: a quoted string with \\, \", \n, \r, \t, \a, \b escaped and other unprintable bytes as \xHH.</summary>
    public static void AppendRepr(List<byte> into, ReadOnlySpan<byte> s)
    {
        into.Add((byte)'"');
        foreach (byte b in s)
        {
            switch (b)
            {
                case (byte)'\\' or (byte)'"': into.Add((byte)'\\'); into.Add(b); break;
                case (byte)'\n': into.Add((byte)'\\'); into.Add((byte)'n'); break;
                case (byte)'\r': into.Add((byte)'\\'); into.Add((byte)'r'); break;
                case (byte)'\t': into.Add((byte)'\\'); into.Add((byte)'t'); break;
                case 7: into.Add((byte)'\\'); into.Add((byte)'a'); break;
                case 8: into.Add((byte)'\\'); into.Add((byte)'b'); break;
                default:
                    if (b >= 0x20 && b <= 0x7e) into.Add(b);
                    else into.AddRange(Encoding.ASCII.GetBytes($"\\x{b:x2}"));
                    break;
            }
        }
        into.Add((byte)'"');
    }
}
