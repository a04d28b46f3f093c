using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Persistence;

/// <summary>
/// Durability of acknowledged writes: the server is killed with SIGKILL while clients write, restarted
/// from its AOF, and every write it acknowledged must be there. AOF_KILL_RUNS=n repeats it (the figures
/// in docs/persistence.md come from such loops).
/// </summary>
public sealed class AofCrashTests
{
    [Theory]
    [InlineData("always")]
    [InlineData("everysec")]
    public void NoAcknowledgedWriteIsLostWhenKilled(string fsync)
    {
        int runs = int.TryParse(Environment.GetEnvironmentVariable("AOF_KILL_RUNS"), out int n) ? n : 1;
        for (int run = 0; run < runs; run++)
        {
            var (acked, lost) = KillWhileWriting(fsync);
            Console.WriteLine($"appendfsync {fsync} run {run}: {acked} acknowledged writes, {lost} lost");
            Assert.True(acked > 100, $"too few writes acknowledged ({acked}) for the test to mean anything");
            Assert.Equal(0, lost);
        }
    }

    private static (long Acked, long Lost) KillWhileWriting(string fsync)
    {
        var dir = ServerProcesses.TempDir();
        int port = RealRedis.FreePort();
        string[] args = ["--port", port.ToString(), "--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", fsync];
        const int Writers = 6;
        var ackedSets = new long[Writers];   // highest i whose SET w:i was acknowledged (all below it too)
        var ackedIncrs = new long[Writers];  // INCR c:w acknowledged this many times
        using (var server = new ServerProcesses.ServerProcess(args))
        {
            using (var probe = server.Connect(port)) probe.Call("PING");
            var stop = new CancellationTokenSource();
            var threads = Enumerable.Range(0, Writers).Select(w => new Thread(() =>
            {
                try
                {
                    using var c = new RespClient("127.0.0.1", port);
                    long i = 0;
                    while (!stop.IsCancellationRequested)
                    {
                        // Odd writers pipeline 16 commands, even ones send one at a time.
                        int batch = w % 2 == 1 ? 16 : 1;
                        var raw = new System.Text.StringBuilder();
                        for (int k = 0; k < batch; k++)
                        {
                            raw.Append($"*3\r\n$3\r\nSET\r\n${$"w{w}:{i + k}".Length}\r\nw{w}:{i + k}\r\n$1\r\nv\r\n");
                            raw.Append($"*2\r\n$4\r\nINCR\r\n${$"c:{w}".Length}\r\nc:{w}\r\n");
                        }
                        c.SendRaw(raw.ToString());
                        for (int k = 0; k < batch; k++)
                        {
                            if (c.ReadReply() != "+OK\r\n") return;
                            Volatile.Write(ref ackedSets[w], i + k + 1);
                            if (!c.ReadReply().StartsWith(':')) return;
                            Interlocked.Increment(ref ackedIncrs[w]);
                        }
                        i += batch;
                    }
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException) { }
            })).ToList();
            foreach (var t in threads) t.Start();
            Thread.Sleep(1500);
            server.Process.Kill(); // SIGKILL
            server.Process.WaitForExit();
            stop.Cancel();
            foreach (var t in threads) t.Join();
        }
        long acked = 0, lost = 0;
        using (var server = new ServerProcesses.ServerProcess(args))
        {
            using var c = server.Connect(port);
            for (int w = 0; w < Writers; w++)
            {
                acked += ackedSets[w] + ackedIncrs[w];
                for (long i = 0; i < ackedSets[w]; i++)
                    if (c.Call("EXISTS", $"w{w}:{i}") != ":1\r\n") lost++;
                var counter = c.Call("GET", $"c:{w}");
                long value = counter == "$-1\r\n" ? 0 : long.Parse(RespClient.BulkContent(counter));
                lost += Math.Max(0, ackedIncrs[w] - value);
            }
            c.Send("SHUTDOWN", "NOSAVE");
            server.WaitExit();
        }
        try { Directory.Delete(dir, true); } catch (IOException) { }
        return (acked, lost);
    }
}
