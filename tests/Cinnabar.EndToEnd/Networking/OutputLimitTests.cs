using System.Net.Sockets;
using System.Text;
using Cinnabar.Config;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Networking;

public sealed class OutputLimitTests
{
    [Fact]
    public async Task ClientOverItsHardOutputLimitIsDisconnectedOthersAreNot()
    {
        await using var s = new TestServer(c => c.ClientOutputBufferLimit = ClientOutputBufferLimits.Default with { Normal = (200000, 0, 0) });
        using var setup = s.Raw();
        setup.Call("SET", "ol:big", new string('v', 50_000));
        using var greedy = new TcpClient();
        greedy.ReceiveBufferSize = 4096;
        greedy.Connect("127.0.0.1", s.Port);
        var stream = greedy.GetStream();
        var get = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("*2\r\n$3\r\nGET\r\n$6\r\nol:big\r\n", 40)));
        stream.Write(get); // 2 MB of replies at once, ten times the limit
        stream.ReadTimeout = 5000;
        var buf = new byte[65536];
        long received = 0;
        try
        {
            int n;
            while ((n = stream.Read(buf)) > 0) received += n;
        }
        catch (IOException) { }
        Assert.True(received < 40 * 50_000, $"the greedy client should be cut off, got {received} bytes");
        Assert.Equal("+PONG\r\n", setup.Call("PING"));
    }
}
