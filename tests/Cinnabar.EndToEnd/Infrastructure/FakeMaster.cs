using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Cinnabar.EndToEnd.Infrastructure;

/// <summary>
/// A master made of a listening socket: accepts one replica, answers its handshake (+PONG, +OK) and
/// records the commands it sends up to and including PSYNC, so tests can compare the handshake of a
/// Cinnabar replica with a real Redis replica's.
/// </summary>
public sealed class FakeMaster : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public FakeMaster() => _listener.Start();

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Accepts the next replica and returns its handshake, one command per entry, arguments joined by spaces.</summary>
    public List<string> RecordHandshake(int timeoutMs = 10000)
    {
        var accept = _listener.AcceptTcpClientAsync();
        if (!accept.Wait(timeoutMs)) throw new TimeoutException("no replica connected");
        using var tcp = accept.Result;
        var stream = tcp.GetStream();
        stream.ReadTimeout = timeoutMs;
        var reader = new BufferedStream(stream);
        var commands = new List<string>();
        while (true)
        {
            var args = ReadCommand(reader);
            commands.Add(string.Join(' ', args));
            if (args[0].Equals("PSYNC", StringComparison.OrdinalIgnoreCase)) return commands;
            stream.Write(args[0].Equals("PING", StringComparison.OrdinalIgnoreCase) ? "+PONG\r\n"u8 : "+OK\r\n"u8);
        }
    }

    private static string[] ReadCommand(Stream s)
    {
        var header = ReadLine(s);
        if (header[0] != '*') throw new IOException($"expected a multibulk, got {header}");
        var args = new string[int.Parse(header[1..])];
        for (int i = 0; i < args.Length; i++)
        {
            int len = int.Parse(ReadLine(s)[1..]);
            var data = new byte[len + 2];
            s.ReadExactly(data);
            args[i] = Encoding.Latin1.GetString(data, 0, len);
        }
        return args;
    }

    private static string ReadLine(Stream s)
    {
        var sb = new StringBuilder();
        while (true)
        {
            int b = s.ReadByte();
            if (b < 0) throw new IOException("the replica closed the connection");
            if (b == '\n') return sb.ToString().TrimEnd('\r');
            sb.Append((char)b);
        }
    }

    public void Dispose() => _listener.Stop();
}
