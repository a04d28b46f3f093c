using System.Diagnostics;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Lists;

/// <summary>Blocking list commands with several connections.</summary>
public sealed class BlockingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer S => fixture.Server;

    private static Task<string> Background(RespClient c, params string[] cmd)
    {
        c.Send(cmd);
        return Task.Run(c.ReadReply);
    }

    private void WaitBlocked(int count)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            int n;
            lock (S.Server.ExecLock) n = S.Server.Blocking.BlockedClientCount;
            if (n >= count) return;
            if (sw.ElapsedMilliseconds > 5000) Assert.Fail($"expected {count} blocked clients, have {n}");
            Thread.Sleep(10);
        }
    }

    [Fact]
    public async Task ClientsBlockedOnAKeyAreServedInArrivalOrder()
    {
        using var c1 = S.Raw();
        using var c2 = S.Raw();
        using var c3 = S.Raw();
        using var pusher = S.Raw();
        var t1 = Background(c1, "BLPOP", "bk:fifo", "0");
        WaitBlocked(1);
        var t2 = Background(c2, "BLPOP", "bk:fifo", "0");
        WaitBlocked(2);
        var t3 = Background(c3, "BLPOP", "bk:fifo", "0");
        WaitBlocked(3);
        Assert.Equal(":3\r\n", pusher.Call("RPUSH", "bk:fifo", "one", "two", "three"));
        Assert.Equal("*2\r\n$7\r\nbk:fifo\r\n$3\r\none\r\n", await t1);
        Assert.Equal("*2\r\n$7\r\nbk:fifo\r\n$3\r\ntwo\r\n", await t2);
        Assert.Equal("*2\r\n$7\r\nbk:fifo\r\n$5\r\nthree\r\n", await t3);
        Assert.Equal(":0\r\n", pusher.Call("EXISTS", "bk:fifo"));
    }

    [Fact]
    public async Task SwapdbServesClientsBlockedOnKeysItBringsIn()
    {
        using var waiter = S.Raw();
        using var zwaiter = S.Raw();
        using var other = S.Raw();
        waiter.Call("SELECT", "9");
        zwaiter.Call("SELECT", "9");
        waiter.Call("DEL", "bk:swap", "bk:zswap");
        var t = Background(waiter, "BLPOP", "bk:swap", "0");
        var z = Background(zwaiter, "BZPOPMIN", "bk:zswap", "0");
        WaitBlocked(2);
        other.Call("SELECT", "10");
        other.Call("RPUSH", "bk:swap", "from-10");
        other.Call("SET", "bk:zswap", "a string"); // the wrong type for BZPOPMIN: that client keeps waiting
        Assert.Equal("+OK\r\n", other.Call("SWAPDB", "9", "10"));
        Assert.Equal("*2\r\n$7\r\nbk:swap\r\n$7\r\nfrom-10\r\n", await t.WaitAsync(TimeSpan.FromSeconds(10)));
        Thread.Sleep(100);
        Assert.False(z.IsCompleted);
        other.Call("SELECT", "9");
        other.Call("DEL", "bk:zswap");
        other.Call("ZADD", "bk:zswap", "1", "m");
        Assert.Equal("*3\r\n$8\r\nbk:zswap\r\n$1\r\nm\r\n$1\r\n1\r\n", await z.WaitAsync(TimeSpan.FromSeconds(10)));
        other.Call("FLUSHDB");
        other.Call("SELECT", "10");
        other.Call("FLUSHDB");
    }

    [Fact]
    public async Task TimeoutAnswersTheNullArrayAfterTheDelay()
    {
        using var c = S.Raw();
        var sw = Stopwatch.StartNew();
        Assert.Equal("*-1\r\n", c.Call("BLPOP", "bk:none", "0.2"));
        Assert.InRange(sw.ElapsedMilliseconds, 150, 3000);
        Assert.Equal("*-1\r\n", c.Call("BLMOVE", "bk:none", "bk:x", "LEFT", "LEFT", "0.05"));
        c.Call("HELLO", "3");
        Assert.Equal("_\r\n", c.Call("BRPOP", "bk:none", "0.05"));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task ForeverBlockedClientIsWokenByAPushInAnotherConnection()
    {
        using var waiter = S.Raw();
        using var pusher = S.Raw();
        var t = Background(waiter, "BRPOP", "bk:a", "bk:b", "0");
        WaitBlocked(1);
        Thread.Sleep(100);
        Assert.False(t.IsCompleted);
        pusher.Call("LPUSH", "bk:b", "v");
        Assert.Equal("*2\r\n$4\r\nbk:b\r\n$1\r\nv\r\n", await t);
    }

    [Fact]
    public async Task BlmoveChainsWakeEachOther()
    {
        using var w1 = S.Raw();
        using var w2 = S.Raw();
        using var pusher = S.Raw();
        var t1 = Background(w1, "BLMOVE", "bk:c1", "bk:c2", "LEFT", "RIGHT", "0");
        WaitBlocked(1);
        var t2 = Background(w2, "BLPOP", "bk:c2", "0");
        WaitBlocked(2);
        pusher.Call("RPUSH", "bk:c1", "hop");
        Assert.Equal("$3\r\nhop\r\n", await t1);
        Assert.Equal("*2\r\n$5\r\nbk:c2\r\n$3\r\nhop\r\n", await t2);
    }

    [Fact]
    public async Task DisconnectedWaiterIsSkipped()
    {
        var gone = S.Raw();
        using var next = S.Raw();
        using var pusher = S.Raw();
        gone.Send("BLPOP", "bk:skip", "0");
        WaitBlocked(1);
        var t = Background(next, "BLPOP", "bk:skip", "0");
        WaitBlocked(2);
        gone.Dispose();
        var sw = Stopwatch.StartNew();
        while (true)
        {
            int n;
            lock (S.Server.ExecLock) n = S.Server.Blocking.BlockedClientCount;
            if (n == 1 || sw.ElapsedMilliseconds > 5000) break;
            Thread.Sleep(10);
        }
        pusher.Call("RPUSH", "bk:skip", "only");
        Assert.Equal("*2\r\n$7\r\nbk:skip\r\n$4\r\nonly\r\n", await t);
    }

    [Fact]
    public async Task PipelinedCommandsAfterABlockedOneWaitForIt()
    {
        using var c = S.Raw();
        using var pusher = S.Raw();
        c.SendRaw("*3\r\n$5\r\nBLPOP\r\n$7\r\nbk:pipe\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n");
        WaitBlocked(1);
        var replies = Task.Run(() => (c.ReadReply(), c.ReadReply()));
        Thread.Sleep(100);
        Assert.False(replies.IsCompleted);
        pusher.Call("RPUSH", "bk:pipe", "x");
        var (first, second) = await replies;
        Assert.Equal("*2\r\n$7\r\nbk:pipe\r\n$1\r\nx\r\n", first);
        Assert.Equal("+PONG\r\n", second);
    }

    [Fact]
    public void IdleBlockedClientsCostNoCpu()
    {
        // A separate server process, so the CPU measured is the server's alone.
        int port = RealRedis.FreePort();
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "cinnabar-server.dll"), "--port", port.ToString(), "--save", "", "--loglevel", "warning" })
            psi.ArgumentList.Add(a);
        using var server = Process.Start(psi)!;
        var clients = new List<RespClient>();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                try { using var probe = new RespClient("127.0.0.1", port); probe.Call("PING"); break; }
                catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline) { Thread.Sleep(100); }
            }
            for (int i = 0; i < 50; i++)
            {
                var c = new RespClient("127.0.0.1", port);
                c.Send("BLPOP", "bk:idle", "0");
                clients.Add(c);
            }
            Thread.Sleep(1500); // let start-up work (JIT, tiering) settle
            server.Refresh();
            var before = server.TotalProcessorTime;
            Thread.Sleep(2000);
            server.Refresh();
            var used = server.TotalProcessorTime - before;
            // 50 parked clients for two seconds: no polling, so a tiny fraction of a core (the cron ticks 10x/s).
            Assert.True(used < TimeSpan.FromMilliseconds(200), $"the server used {used.TotalMilliseconds} ms of CPU while idle");
            using var pusher = new RespClient("127.0.0.1", port);
            Assert.Equal(":1\r\n", pusher.Call("RPUSH", "bk:idle", "x"));
            Assert.Equal("*2\r\n$7\r\nbk:idle\r\n$1\r\nx\r\n", clients[0].ReadReply());
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
            server.Kill();
            server.WaitForExit(5000);
        }
    }
}
