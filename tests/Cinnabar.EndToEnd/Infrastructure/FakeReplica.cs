using System.Net.Sockets;
using System.Text;

namespace Cinnabar.EndToEnd.Infrastructure;

/// <summary>
/// A replica made of a socket: performs the handshake a Redis 7.0 replica does (REPLCONF listening-port,
/// REPLCONF capa eof capa psync2, PSYNC ? -1), reads +FULLRESYNC and the RDB payload (length-prefixed or
/// EOF-marked), acknowledges it, and then records every byte of the replication stream, so tests can
/// compare what a real Redis master and Cinnabar send for the same commands.
/// </summary>
public sealed class FakeReplica : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly MemoryStream _received = new();
    private readonly byte[] _chunk = new byte[64 * 1024];
    private int _consumed;

    public FakeReplica(int masterPort, int timeoutMs = 10000)
    {
        _tcp = new TcpClient();
        _tcp.Connect("127.0.0.1", masterPort);
        _tcp.NoDelay = true;
        _stream = _tcp.GetStream();
        _stream.ReadTimeout = timeoutMs;
        Expect("+OK", Command("REPLCONF", "listening-port", "6380"));
        Expect("+OK", Command("REPLCONF", "capa", "eof", "capa", "psync2"));
        FullResync = Command("PSYNC", "?", "-1");
        if (!FullResync.StartsWith("+FULLRESYNC ", StringComparison.Ordinal)) throw new IOException($"PSYNC answered {FullResync}");
        Offset = long.Parse(FullResync.Split(' ')[2]);
        Rdb = ReadPayload();
        // A diskless master puts the replica online at its first ACK once it has seen the transfer end
        // (repl_put_online_on_ack), which can be after we read the payload: acknowledge periodically,
        // as real replicas do every second.
        _ack = new Timer(_ => { try { Send("REPLCONF", "ACK", Offset.ToString()); } catch (Exception) { } }, null, 0, 100);
    }

    private readonly Timer _ack;

    /// <summary>The +FULLRESYNC line (without CRLF).</summary>
    public string FullResync { get; }
    /// <summary>The offset the master announced with +FULLRESYNC.</summary>
    public long Offset { get; }
    public byte[] Rdb { get; }

    /// <summary>Sends a command to the master (serialised with the periodic ACKs).</summary>
    public void Send(params string[] args)
    {
        var bytes = RespClient.Encode(args.Select(Encoding.ASCII.GetBytes).ToArray());
        lock (_tcp) _stream.Write(bytes);
    }

    /// <summary>Reads stream bytes up to and including <paramref name="marker"/>; returns them from where the last read stopped.</summary>
    public byte[] ReadThrough(byte[] marker)
    {
        while (true)
        {
            var all = _received.GetBuffer().AsSpan(0, (int)_received.Length);
            int at = all[_consumed..].IndexOf(marker);
            if (at >= 0)
            {
                var segment = all.Slice(_consumed, at + marker.Length).ToArray();
                _consumed += at + marker.Length;
                return segment;
            }
            try { Fill(); }
            catch (IOException e)
            {
                throw new IOException($"{e.Message}; received since the last read: {Encoding.Latin1.GetString(all[_consumed..]).Replace("\r\n", "\\r\\n")}", e);
            }
        }
    }

    private string Command(params string[] args)
    {
        Send(args);
        return ReadLine();
    }

    private static void Expect(string expected, string actual)
    {
        if (actual != expected) throw new IOException($"handshake: expected {expected}, got {actual}");
    }

    private string ReadLine()
    {
        while (true)
        {
            var all = _received.GetBuffer().AsSpan(0, (int)_received.Length);
            int nl = all[_consumed..].IndexOf((byte)'\n');
            if (nl >= 0)
            {
                var line = Encoding.Latin1.GetString(all.Slice(_consumed, nl)).TrimEnd('\r');
                _consumed += nl + 1;
                // Masters send bare newlines to keep the link alive while the snapshot is prepared.
                if (line.Length > 0) return line;
                continue;
            }
            Fill();
        }
    }

    private byte[] ReadPayload()
    {
        var header = ReadLine();
        if (header.StartsWith("$EOF:", StringComparison.Ordinal))
        {
            var mark = Encoding.ASCII.GetBytes(header[5..]);
            var payload = ReadThrough(mark);
            return payload[..^mark.Length];
        }
        int length = int.Parse(header[1..]);
        while (_received.Length - _consumed < length) Fill();
        var rdb = _received.GetBuffer().AsSpan(_consumed, length).ToArray();
        _consumed += length;
        return rdb;
    }

    private void Fill()
    {
        int n = _stream.Read(_chunk, 0, _chunk.Length);
        if (n == 0) throw new IOException("the master closed the replication link");
        _received.Write(_chunk, 0, n);
    }

    public void Dispose()
    {
        _ack.Dispose();
        lock (_tcp) _tcp.Dispose();
    }
}
