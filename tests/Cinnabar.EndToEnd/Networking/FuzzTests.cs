using System.Net.Sockets;
using System.Text;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Networking;

/// <summary>Random and mutated input never crashes or hangs the server, and other clients carry on.</summary>
public sealed class FuzzTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer S => fixture.Server;

    private static readonly string[] Seeds =
    [
        "*3\r\n$3\r\nSET\r\n$3\r\nfz1\r\n$3\r\nval\r\n",
        "*2\r\n$3\r\nGET\r\n$3\r\nfz1\r\n",
        "*4\r\n$5\r\nRPUSH\r\n$3\r\nfz2\r\n$1\r\na\r\n$1\r\nb\r\n",
        "*3\r\n$4\r\nHSET\r\n$3\r\nfz3\r\n$1\r\nf\r\n",
        "PING\r\n",
        "SET fz4 \"quoted \\x41\"\r\n",
        "*1\r\n$4\r\nQUIT\r\n",
        "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n",
        "*3\r\n$5\r\nBLPOP\r\n$3\r\nfz5\r\n$4\r\n0.01\r\n",
    ];

    private static readonly byte[] Alphabet = Encoding.ASCII.GetBytes("*$\r\n-0123456789\"\\ ");

    private static byte[] Mutate(Random rng, byte[] input)
    {
        var b = input.ToList();
        int edits = rng.Next(1, 4);
        for (int e = 0; e < edits && b.Count > 0; e++)
        {
            int i = rng.Next(b.Count);
            switch (rng.Next(5))
            {
                case 0: b[i] = (byte)rng.Next(256); break;
                case 1: b.RemoveAt(i); break;
                case 2: b.Insert(i, Alphabet[rng.Next(Alphabet.Length)]); break;
                case 3: b.InsertRange(i, Encoding.ASCII.GetBytes(rng.Next(2) == 0 ? "99999999999" : "-1")); break;
                default: b.RemoveRange(i, b.Count - i); break; // truncate
            }
        }
        return b.ToArray();
    }

    [Fact]
    public async Task MutatedAndRandomInputNeverBreaksTheServer()
    {
        var rng = new Random(2024);
        using var observer = S.Raw();
        var tasks = new List<Task>();
        for (int conn = 0; conn < 200; conn++)
        {
            var payload = new List<byte>();
            for (int k = 0; k < rng.Next(1, 6); k++)
            {
                var seed = Encoding.Latin1.GetBytes(Seeds[rng.Next(Seeds.Length)]);
                payload.AddRange(rng.Next(3) == 0 ? seed : Mutate(rng, seed));
            }
            if (rng.Next(10) == 0)
            {
                var noise = new byte[rng.Next(1, 3000)];
                rng.NextBytes(noise);
                payload.AddRange(noise);
            }
            var bytes = payload.ToArray();
            tasks.Add(Task.Run(async () =>
            {
                using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await s.ConnectAsync("127.0.0.1", S.Port);
                try
                {
                    await s.SendAsync(bytes);
                    var buf = new byte[4096];
                    using var cts = new CancellationTokenSource(300);
                    // Read whatever comes back for a moment, then hang up (possibly mid-command).
                    while (await s.ReceiveAsync(buf, SocketFlags.None, cts.Token) > 0) { }
                }
                catch (OperationCanceledException) { }
                catch (SocketException) { }
            }));
            if (conn % 20 == 0) Assert.Equal("+PONG\r\n", observer.Call("PING"));
        }
        await Task.WhenAll(tasks);
        Assert.Equal("+PONG\r\n", observer.Call("PING"));
        Assert.Equal("+OK\r\n", observer.Call("SET", "fz:after", "ok"));
        Assert.Equal("$2\r\nok\r\n", observer.Call("GET", "fz:after"));
    }

    [Fact]
    public void HugeDeclaredLengthsDoNotAllocateOrHang()
    {
        using var c = S.Raw();
        // A multibulk announcing 2 billion arguments, then a few bytes: the server must just wait (and
        // not reserve memory for them); another client is unaffected; hanging up frees everything.
        c.SendRaw("*2000000000\r\n$3\r\nGET\r\n");
        using var other = S.Raw();
        Assert.Equal("+PONG\r\n", other.Call("PING"));
        using var big = S.Raw();
        big.SendRaw("*1\r\n$536870912\r\n");
        big.SendRaw(new string('x', 1000));
        Assert.Equal("+PONG\r\n", other.Call("PING"));
        using var tooBig = S.Raw();
        tooBig.SendRaw("*1\r\n$536870913\r\n");
        Assert.Equal("-ERR Protocol error: invalid bulk length\r\n", tooBig.ReadReply());
    }
}
