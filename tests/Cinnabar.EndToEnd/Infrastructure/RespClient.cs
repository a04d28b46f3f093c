using System.Net.Sockets;
using System.Text;

namespace Cinnabar.EndToEnd.Infrastructure;

/// <summary>
/// A minimal RESP client that returns each reply as its exact wire bytes (as a Latin-1 string so binary
/// survives), for asserting byte-for-byte equality with what Redis 7 sends.
/// </summary>
public sealed class RespClient : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly byte[] _buf = new byte[64 * 1024];
    private int _start, _end;

    public RespClient(string host, int port)
    {
        _tcp = new TcpClient();
        _tcp.Connect(host, port);
        _tcp.NoDelay = true;
        _stream = _tcp.GetStream();
        _stream.ReadTimeout = 10000;
    }

    public static readonly Encoding Latin1 = Encoding.Latin1;

    /// <summary>Sends a command as a multibulk and returns the raw reply.</summary>
    public string Call(params string[] args)
    {
        Send(args);
        return ReadReply();
    }

    /// <summary>Sends a command whose arguments are raw bytes.</summary>
    public string Call(params byte[][] args)
    {
        SendRaw(Encode(args));
        return ReadReply();
    }

    public void Send(params string[] args) => SendRaw(Encode(args.Select(a => Latin1.GetBytes(a)).ToArray()));

    public void SendRaw(string raw) => SendRaw(Latin1.GetBytes(raw));

    public void SendRaw(byte[] raw) => _stream.Write(raw);

    /// <summary>The content of a bulk-string reply ("$3\r\nabc\r\n" gives "abc").</summary>
    public static string BulkContent(string bulk)
    {
        int nl = bulk.IndexOf("\r\n", StringComparison.Ordinal);
        return bulk.Substring(nl + 2, int.Parse(bulk[1..nl]));
    }

    public static byte[] Encode(byte[][] args)
    {
        var ms = new MemoryStream();
        ms.Write(Encoding.ASCII.GetBytes($"*{args.Length}\r\n"));
        foreach (var a in args)
        {
            ms.Write(Encoding.ASCII.GetBytes($"${a.Length}\r\n"));
            ms.Write(a);
            ms.Write("\r\n"u8);
        }
        return ms.ToArray();
    }

    /// <summary>Reads one complete reply (any RESP2/RESP3 type) and returns its exact bytes.</summary>
    public string ReadReply()
    {
        var sb = new StringBuilder();
        ReadValue(sb);
        return sb.ToString();
    }

    /// <summary>True if the server closed the connection (read returns 0) within the timeout.</summary>
    public bool IsClosedByServer(int timeoutMs = 3000)
    {
        _stream.ReadTimeout = timeoutMs;
        try
        {
            if (_start < _end) return false;
            return _stream.Read(_buf, 0, _buf.Length) == 0;
        }
        catch (IOException) { return true; }
    }

    private void ReadValue(StringBuilder sb)
    {
        string line = ReadLine();
        sb.Append(line).Append("\r\n");
        char type = line[0];
        switch (type)
        {
            case '$' or '=' or '!':
                {
                    long len = long.Parse(line[1..]);
                    if (len >= 0) sb.Append(Latin1.GetString(ReadExact((int)len + 2)));
                    break;
                }
            case '*' or '~' or '>':
                {
                    long n = long.Parse(line[1..]);
                    for (long i = 0; i < n; i++) ReadValue(sb);
                    break;
                }
            case '%' or '|':
                {
                    long n = long.Parse(line[1..]);
                    for (long i = 0; i < n * 2; i++) ReadValue(sb);
                    if (type == '|') ReadValue(sb);
                    break;
                }
        }
    }

    private string ReadLine()
    {
        while (true)
        {
            int idx = Array.IndexOf(_buf, (byte)'\n', _start, _end - _start);
            if (idx > _start && _buf[idx - 1] == '\r')
            {
                var s = Latin1.GetString(_buf, _start, idx - 1 - _start);
                _start = idx + 1;
                return s;
            }
            Fill();
        }
    }

    private byte[] ReadExact(int n)
    {
        var result = new byte[n];
        int got = 0;
        while (got < n)
        {
            if (_start == _end) Fill();
            int take = Math.Min(n - got, _end - _start);
            Array.Copy(_buf, _start, result, got, take);
            _start += take;
            got += take;
        }
        return result;
    }

    private void Fill()
    {
        if (_start > 0)
        {
            Array.Copy(_buf, _start, _buf, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        int n = _stream.Read(_buf, _end, _buf.Length - _end);
        if (n == 0) throw new IOException("connection closed by server");
        _end += n;
    }

    /// <summary>This connection's address as the server sees it (CLIENT KILL ip:port, CLIENT LIST addr=).</summary>
    public string LocalAddressForServer()
    {
        var ep = (System.Net.IPEndPoint)_tcp.Client.LocalEndPoint!;
        return $"{(ep.Address.IsIPv4MappedToIPv6 ? ep.Address.MapToIPv4() : ep.Address)}:{ep.Port}";
    }

    public void Dispose() => _tcp.Dispose();
}
