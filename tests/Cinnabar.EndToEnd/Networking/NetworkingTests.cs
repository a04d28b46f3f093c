using System.Net.Sockets;
using System.Text;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Networking;

public sealed class NetworkingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer S => fixture.Server;

    [Fact]
    public async Task FiveThousandConcurrentConnectionsAreServed()
    {
        const int count = 5000;
        var sockets = new Socket[count];
        try
        {
            // Open them all first so they are truly concurrent.
            for (int i = 0; i < count; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await s.ConnectAsync("127.0.0.1", S.Port);
                sockets[i] = s;
            }
            var tasks = sockets.Select(async (s, i) =>
            {
                var cmd = Encoding.ASCII.GetBytes($"*3\r\n$3\r\nSET\r\n$9\r\nnet:{i:D5}\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$9\r\nnet:{i:D5}\r\n");
                await s.SendAsync(cmd);
                var expected = "+OK\r\n$1\r\nv\r\n";
                var buf = new byte[64];
                int got = 0;
                while (got < expected.Length)
                {
                    int n = await s.ReceiveAsync(buf.AsMemory(got));
                    if (n == 0) break;
                    got += n;
                }
                return Encoding.ASCII.GetString(buf, 0, got) == expected;
            }).ToArray();
            var results = await Task.WhenAll(tasks);
            Assert.All(results, Assert.True);
            Assert.True(S.Server.Clients.Count >= count);
        }
        finally
        {
            foreach (var s in sockets) s?.Dispose();
        }
    }

    [Fact]
    public void DeepPipelineInOneWriteGetsEveryReplyInOrder()
    {
        using var c = S.Raw();
        var sb = new StringBuilder();
        const int n = 20000;
        for (int i = 0; i < n; i++) sb.Append($"*2\r\n$4\r\nECHO\r\n${i.ToString().Length}\r\n{i}\r\n");
        c.SendRaw(sb.ToString());
        for (int i = 0; i < n; i++)
            Assert.Equal($"${i.ToString().Length}\r\n{i}\r\n", c.ReadReply());
    }

    [Fact]
    public void CommandSplitIntoSingleBytesIsParsed()
    {
        using var c = S.Raw();
        var raw = Encoding.ASCII.GetBytes("*3\r\n$3\r\nSET\r\n$8\r\nnet:byte\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$8\r\nnet:byte\r\n");
        foreach (var b in raw)
        {
            c.SendRaw([b]);
            Thread.Sleep(1);
        }
        Assert.Equal("+OK\r\n", c.ReadReply());
        Assert.Equal("$5\r\nhello\r\n", c.ReadReply());
    }

    [Fact]
    public void LargeValuesRoundTrip()
    {
        var db = S.Db();
        var big = new byte[20 * 1024 * 1024];
        new Random(7).NextBytes(big);
        Assert.True(db.StringSet("net:big", big));
        Assert.Equal(big, (byte[]?)db.StringGet("net:big"));
    }

    [Fact]
    public void MalformedClientIsClosedAndOthersCarryOn()
    {
        using var good = S.Raw();
        using var bad = S.Raw();
        Assert.Equal("+OK\r\n", good.Call("SET", "net:other", "1"));
        bad.SendRaw("*1\r\n$notanumber\r\n");
        Assert.Equal("-ERR Protocol error: invalid bulk length\r\n", bad.ReadReply());
        Assert.True(bad.IsClosedByServer());
        Assert.Equal("$1\r\n1\r\n", good.Call("GET", "net:other"));
    }

    [Fact]
    public void CommandsBeforeAProtocolErrorInTheSameReadAreExecuted()
    {
        using var c = S.Raw();
        c.SendRaw("*3\r\n$3\r\nSET\r\n$10\r\nnet:before\r\n$1\r\nx\r\n*1\r\n$-3\r\n");
        Assert.Equal("+OK\r\n", c.ReadReply());
        Assert.Equal("-ERR Protocol error: invalid bulk length\r\n", c.ReadReply());
        Assert.Equal("$1\r\nx\r\n", S.Raw().Call("GET", "net:before"));
    }

    [Fact]
    public void ClientVanishingMidCommandDoesNotDisturbTheServer()
    {
        for (int i = 0; i < 50; i++)
        {
            using var c = S.Raw();
            c.SendRaw("*3\r\n$3\r\nSET\r\n$7\r\nnet:cut\r\n$100\r\npartial");
        }
        using var ok = S.Raw();
        Assert.Equal("+PONG\r\n", ok.Call("PING"));
        Assert.Equal("$-1\r\n", ok.Call("GET", "net:cut"));
    }

    [Fact]
    public void ASlowReaderDoesNotBlockOtherClients()
    {
        // A client that pipelines many large replies and never reads them.
        using var slow = new TcpClient();
        slow.ReceiveBufferSize = 4096;
        slow.Connect("127.0.0.1", S.Port);
        var value = new string('x', 100_000);
        using (var setup = S.Raw()) setup.Call("SET", "net:slowval", value);
        var get = Encoding.ASCII.GetBytes("*2\r\n$3\r\nGET\r\n$11\r\nnet:slowval\r\n");
        var stream = slow.GetStream();
        var writer = Task.Run(() =>
        {
            try { for (int i = 0; i < 2000; i++) stream.Write(get); }
            catch (IOException) { }
            catch (ObjectDisposedException) { } // the test closes the slow client while it still writes
        });

        using var other = S.Raw();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 100; i++) Assert.Equal("+PONG\r\n", other.Call("PING"));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"other client was stalled for {sw.Elapsed}");
        slow.Close();
        writer.Wait(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void QuitRepliesOkThenCloses()
    {
        using var c = S.Raw();
        Assert.Equal("+OK\r\n", c.Call("QUIT"));
        Assert.True(c.IsClosedByServer());
    }
}
