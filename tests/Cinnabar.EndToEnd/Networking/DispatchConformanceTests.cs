using System.Net.Sockets;
using System.Text;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Networking;

/// <summary>
/// Behaviour of the dispatch path that the conformance issue found different from Redis 7.0: CLIENT REPLY,
/// CLIENT KILL taking effect before its reply, output limits checked while a batch runs, and a protocol
/// error queued behind a blocking command.
/// </summary>
public sealed class DispatchConformanceTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    private DiffPair NewPair() => new(f.Redis.Connect(), f.Cinnabar.Raw());

    /// <summary>Sends the commands without reading, ends with CLIENT REPLY ON + PING, and returns every byte answered.</summary>
    private static string Transcript(RespClient c, params string[][] commands)
    {
        foreach (var cmd in commands) c.Send(cmd);
        c.Send("CLIENT", "REPLY", "ON");
        c.Send("PING", "end-of-transcript");
        var sb = new StringBuilder();
        while (true)
        {
            var reply = c.ReadReply();
            sb.Append(reply);
            if (reply.Contains("end-of-transcript")) return sb.ToString();
        }
    }

    private void SameTranscript(string protocol, params string[][] commands)
    {
        using var p = NewPair();
        p.Both("HELLO", protocol);
        var expected = Transcript(p.Redis, commands);
        var actual = Transcript(p.Ours, commands);
        Assert.True(expected == actual, $"transcript differs\n  redis:    {DiffPair.Escape(expected)}\n  cinnabar: {DiffPair.Escape(actual)}");
    }

    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    public void ClientReplySkipSilencesExactlyTheNextCommand(string protocol)
    {
        SameTranscript(protocol, ["CLIENT", "REPLY", "SKIP"], ["PING", "pong"], ["PING", "pong2"]);
        SameTranscript(protocol, ["CLIENT", "REPLY", "SKIP"], ["CLIENT", "REPLY", "ON"], ["PING"]);
        SameTranscript(protocol, ["CLIENT", "REPLY", "SKIP"], ["CLIENT", "REPLY", "SKIP"], ["PING", "a"], ["PING", "b"]);
        SameTranscript(protocol, ["CLIENT", "REPLY", "OFF"], ["CLIENT", "REPLY", "SKIP"], ["PING", "a"], ["PING", "b"]);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    public void ClientReplyOffKeepsSubscribeConfirmations(string protocol)
    {
        SameTranscript(protocol, ["CLIENT", "REPLY", "OFF"], ["SUBSCRIBE", "rq:a", "rq:b"], ["PSUBSCRIBE", "rq:*"],
            ["UNSUBSCRIBE", "rq:a"], ["PUNSUBSCRIBE"], ["UNSUBSCRIBE"]);
        SameTranscript(protocol, ["CLIENT", "REPLY", "SKIP"], ["SUBSCRIBE", "rq:c"], ["UNSUBSCRIBE", "rq:c"]);
    }

    [Fact]
    public void KilledClientsAreGoneBeforeTheReply()
    {
        using var killer = f.Cinnabar.Raw();
        for (int round = 0; round < 20; round++)
        {
            using var victim = f.Cinnabar.Raw();
            var id = victim.Call("CLIENT", "ID").Trim(':', '\r', '\n');
            int before = ConnectedClients(killer);
            Assert.Equal(":1\r\n", killer.Call("CLIENT", "KILL", "ID", id, "SKIPME", "yes"));
            Assert.Equal("$0\r\n\r\n", killer.Call("CLIENT", "LIST", "ID", id));
            Assert.Equal(before - 1, ConnectedClients(killer));
            Assert.True(victim.IsClosedByServer());
        }
        using var other = f.Cinnabar.Raw();
        var otherId = other.Call("CLIENT", "ID").Trim(':', '\r', '\n');
        Assert.Equal("+OK\r\n", killer.Call("CLIENT", "KILL", other.LocalAddressForServer()));
        Assert.Equal("$0\r\n\r\n", killer.Call("CLIENT", "LIST", "ID", otherId));
    }

    private static int ConnectedClients(RespClient c) =>
        int.Parse(c.Call("INFO", "clients").Split("\r\n").First(l => l.StartsWith("connected_clients:"))["connected_clients:".Length..]);

    [Fact]
    public void ProtocolErrorBehindABlockingCommandWaitsForItsReply()
    {
        using var p = NewPair();
        const string raw = "*3\r\n$5\r\nBLPOP\r\n$8\r\npe:nokey\r\n$3\r\n0.3\r\n*1\r\n$x\r\n";
        p.Redis.SendRaw(raw);
        p.Ours.SendRaw(raw);
        string expectedFirst = p.Redis.ReadReply(), actualFirst = p.Ours.ReadReply();
        Assert.Equal("*-1\r\n", expectedFirst);
        Assert.Equal(expectedFirst, actualFirst);
        Assert.Equal(p.Redis.ReadReply(), p.Ours.ReadReply());
        Assert.True(p.Ours.IsClosedByServer());
    }

    [Fact]
    public async Task OutputLimitStopsAPipelinedBatchAsRepliesGrow()
    {
        await using var s = new TestServer(c => Assert.Null(c.Apply("client-output-buffer-limit", ["normal 4mb 2mb 10"], atStartup: true)));
        using var setup = s.Raw();
        setup.Call("SET", "ol:mb", new string('v', 1 << 20));
        setup.Call("CONFIG", "RESETSTAT");
        using (var greedy = new TcpClient())
        {
            greedy.Connect("127.0.0.1", s.Port);
            var get = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("*2\r\n$3\r\nGET\r\n$5\r\nol:mb\r\n", 200)));
            greedy.GetStream().Write(get); // one read holds all 200 commands; nothing is read back
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline && !setup.Call("CLIENT", "LIST").Contains("cmd=get") && Calls(setup) == 0) Thread.Sleep(20);
            Thread.Sleep(300);
        }
        // The client is dropped once 4 MB of replies are pending: a handful of GETs ran, not 200.
        long calls = Calls(setup);
        Assert.InRange(calls, 1, 8);
    }

    private static long Calls(RespClient c)
    {
        var line = c.Call("INFO", "commandstats").Split("\r\n").FirstOrDefault(l => l.StartsWith("cmdstat_get:"));
        return line is null ? 0 : long.Parse(line.Split(',')[0].Split('=')[1]);
    }

    [Fact]
    public void QueryBufferGrowsForALargeArgumentAndShrinksWhenIdle()
    {
        using var observer = f.Cinnabar.Raw();
        using var uploader = new TcpClient();
        uploader.Connect("127.0.0.1", f.Cinnabar.Port);
        var stream = uploader.GetStream();
        stream.Write("*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$8\r\nuploader\r\n"u8);
        stream.ReadExactly(new byte[5]);
        stream.Write(Encoding.ASCII.GetBytes("*3\r\n$3\r\nSET\r\n$6\r\nqb:big\r\n$2000000\r\n"));
        stream.Write(new byte[500_000]);
        (long qbuf, long free) = (0, 0);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (qbuf < 500_000 && DateTime.UtcNow < deadline) { (qbuf, free) = QueryBuffer(observer); Thread.Sleep(20); }
        Assert.True(qbuf >= 500_000 && free >= 1_000_000, $"grown for the 2 MB argument: qbuf={qbuf} free={free}");
        // Idle for more than 2 s: the free space is given back, the bytes received are kept.
        deadline = DateTime.UtcNow.AddSeconds(10);
        while (free > 64 * 1024 && DateTime.UtcNow < deadline) { Thread.Sleep(200); (qbuf, free) = QueryBuffer(observer); }
        Assert.True(free <= 64 * 1024, $"trimmed while idle: qbuf={qbuf} free={free}");
        Assert.True(qbuf >= 500_000);
        stream.Write(new byte[1_500_000]);
        stream.Write("\r\n"u8);
        var ok = new byte[5];
        stream.ReadExactly(ok);
        Assert.Equal("+OK\r\n", Encoding.ASCII.GetString(ok));
        Assert.Equal(":2000000\r\n", observer.Call("STRLEN", "qb:big"));
    }

    private static (long Qbuf, long Free) QueryBuffer(RespClient c)
    {
        var line = c.Call("CLIENT", "LIST").Split('\n').First(l => l.Contains(" name=uploader "));
        long Field(string name) => long.Parse(line.Split(' ').First(f => f.StartsWith(name + "="))[(name.Length + 1)..]);
        return (Field("qbuf"), Field("qbuf-free"));
    }
}

public sealed class UnexpectedExceptionTests
{
    /// <summary>A handler that throws answers -ERR; the connection, the server and other clients carry on.</summary>
    [Fact]
    public async Task AnExceptionInAHandlerAnswersAnErrorAndKeepsTheConnection()
    {
        await using var s = new TestServer();
        using var c = s.Raw();
        // A value no command knows how to serialise: DUMP's codec throws on it.
        lock (s.Server.ExecLock) s.Server.Databases[0].Add("ex:alien"u8, new object());
        Assert.StartsWith("-ERR internal error executing 'dump': ", c.Call("DUMP", "ex:alien"));
        Assert.Equal("+PONG\r\n", c.Call("PING"));
        c.Call("MULTI");
        c.Call("DUMP", "ex:alien");
        c.Call("SET", "ex:after", "1");
        var exec = c.Call("EXEC");
        Assert.StartsWith("*2\r\n-ERR internal error executing 'dump'", exec);
        Assert.EndsWith("+OK\r\n", exec);
        Assert.Equal("$1\r\n1\r\n", c.Call("GET", "ex:after"));
        Assert.Contains("errorstat_ERR:count=2", c.Call("INFO", "errorstats"));
    }
}
