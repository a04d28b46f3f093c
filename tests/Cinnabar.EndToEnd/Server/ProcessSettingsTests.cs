using System.Diagnostics;
using System.Net.Sockets;
using Cinnabar.EndToEnd.Infrastructure;
using static Cinnabar.EndToEnd.Infrastructure.ServerProcesses;

namespace Cinnabar.EndToEnd.Server;

/// <summary>
/// Settings that act on the process and its sockets (the conformance issue's "settings that must act or be
/// refused"): daemonize, pidfile, logfile, unixsocket, timeout, tcp-backlog, tcp-keepalive, io-threads,
/// latency-tracking-info-percentiles.
/// </summary>
public sealed class ProcessSettingsTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Fact]
    public void DaemonizeDetachesWritesPidAndLogFilesAndServesAUnixSocket()
    {
        var dir = TempDir();
        string pid = Path.Combine(dir, "c.pid"), log = Path.Combine(dir, "c.log"), sock = Path.Combine(dir, "c.sock");
        int port = RealRedis.FreePort();
        using (var parent = new ServerProcess("--port", port.ToString(), "--save", "", "--dir", dir, "--daemonize", "yes",
                   "--pidfile", pid, "--logfile", log, "--unixsocket", sock, "--unixsocketperm", "700", "--io-threads", "4"))
        {
            // The launching process returns once the daemon is up, as a forking redis-server's parent does.
            Assert.Equal(0, parent.WaitExit());
        }
        int daemonPid = int.Parse(File.ReadAllText(pid).Trim());
        using var daemon = Process.GetProcessById(daemonPid);
        try
        {
            using var tcp = new ServerProcessProbe(port).Connect();
            Assert.Equal($"*2\r\n$9\r\ndaemonize\r\n$3\r\nyes\r\n", tcp.Call("CONFIG", "GET", "daemonize"));
            // A new session: the daemon survives its launcher's terminal.
            Assert.Equal(daemonPid.ToString(), File.ReadAllText($"/proc/{daemonPid}/stat").Split(' ')[5]);
            Assert.True(WaitFor(() => File.Exists(sock)));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(sock));
            using (var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            {
                unix.Connect(new UnixDomainSocketEndPoint(sock));
                unix.Send("*2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n"u8);
                var buf = new byte[4096];
                var info = System.Text.Encoding.ASCII.GetString(buf, 0, unix.Receive(buf));
                Assert.Contains($"addr={sock}:0 laddr={sock}:0 ", info);
                Assert.Contains(" flags=U ", info);
            }
            Assert.True(RedisCli.Available);
            Assert.Equal("PONG", RunCli("-s", sock, "PING"));
            var text = File.ReadAllText(log);
            Assert.Matches($@"{daemonPid}:M \d\d \w\w\w \d{{4}} [\d:.]+ \* .*ready to accept connections", text);
            Assert.Contains("io-threads 4 has no effect", text);
            Assert.Equal("+OK\r\n", TryShutdown(tcp));
            Assert.True(daemon.WaitForExit(20000));
            Assert.False(File.Exists(pid), "the pid file is removed at shutdown");
            Assert.False(File.Exists(sock), "the socket file is removed at shutdown");
        }
        finally
        {
            if (!daemon.HasExited) daemon.Kill();
        }
    }

    private static string TryShutdown(RespClient c)
    {
        c.Send("SHUTDOWN", "NOSAVE");
        return c.IsClosedByServer(10000) ? "+OK\r\n" : "still open";
    }

    private static string RunCli(params string[] args)
    {
        var psi = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return output;
    }

    private static bool WaitFor(Func<bool> condition, int ms = 10000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(ms);
        while (!condition()) { if (DateTime.UtcNow > deadline) return false; Thread.Sleep(20); }
        return true;
    }

    private sealed class ServerProcessProbe(int port)
    {
        public RespClient Connect()
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                try { return new RespClient("127.0.0.1", port); }
                catch (SocketException) when (DateTime.UtcNow < deadline) { Thread.Sleep(50); }
            }
        }
    }

    [Fact]
    public async Task TimeoutClosesIdleClientsButNotSubscribersOrBlockedOnes()
    {
        await using var s = new TestServer(c => c.Timeout = 1);
        using var idle = s.Raw();
        using var subscriber = s.Raw();
        using var blocked = s.Raw();
        using var busy = s.Raw();
        Assert.Equal("+PONG\r\n", idle.Call("PING"));
        subscriber.Call("SUBSCRIBE", "to:ch");
        blocked.Send("BLPOP", "to:list", "0");
        var until = DateTime.UtcNow.AddSeconds(3.2);
        while (DateTime.UtcNow < until) { Assert.Equal("+PONG\r\n", busy.Call("PING")); Thread.Sleep(200); }
        Assert.True(idle.IsClosedByServer(3000), "an idle client is closed after timeout seconds");
        Assert.Equal("*2\r\n$4\r\npong\r\n$0\r\n\r\n", subscriber.Call("PING"));
        Assert.Equal(":1\r\n", busy.Call("RPUSH", "to:list", "v"));
        Assert.Equal("*2\r\n$7\r\nto:list\r\n$1\r\nv\r\n", blocked.ReadReply());
    }

    [Fact]
    public async Task TcpBacklogIsTheListenBacklog()
    {
        await using var s = new TestServer(c => c.TcpBacklog = 37);
        var psi = new ProcessStartInfo("ss", ["-ltnH", $"sport = :{s.Port}"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var ss = Process.Start(psi)!;
        var line = ss.StandardOutput.ReadToEnd();
        ss.WaitForExit();
        // ss shows a listening socket's backlog in the Send-Q column.
        Assert.Equal("37", line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]);
    }

    [Fact]
    public async Task TcpKeepAliveProbesAsRedis()
    {
        await using var s = new TestServer(c => c.TcpKeepAlive = 60);
        using var c = s.Raw();
        Assert.Equal("+PONG\r\n", c.Call("PING"));
        var conn = s.Server.Clients.OfType<Cinnabar.Networking.ClientConnection>().Single();
        var socket = conn.SocketForTests;
        Assert.Equal(1, (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
        Assert.Equal(60, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime)!);
        Assert.Equal(20, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval)!);
        Assert.Equal(3, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount)!);
    }

    [Fact]
    public void LatencyPercentilesFollowTheSetting()
    {
        using var p = new DiffPair(f.Redis.Connect(), f.Cinnabar.Raw());
        try
        {
            p.Same("CONFIG", "SET", "latency-tracking-info-percentiles", "1 50.5 100");
            p.Same("CONFIG", "GET", "latency-tracking-info-percentiles");
            p.Same("CONFIG", "SET", "latency-tracking-info-percentiles", "101");
            p.Same("CONFIG", "SET", "latency-tracking-info-percentiles", "abc");
            p.Both("SET", "lt:k", "v");
            var ours = p.Ours.Call("INFO", "latencystats");
            Assert.Matches(@"latency_percentiles_usec_set:p1=[\d.]+,p50\.5=[\d.]+,p100=[\d.]+\r\n", ours);
            p.Same("CONFIG", "SET", "latency-tracking-info-percentiles", "");
            p.Same("CONFIG", "GET", "latency-tracking-info-percentiles");
            Assert.Contains("latency_percentiles_usec_set:\r\n", p.Ours.Call("INFO", "latencystats"));
            p.Same("CONFIG", "SET", "latency-tracking", "no");
            p.Same("INFO", "latencystats");
        }
        finally
        {
            p.Both("CONFIG", "SET", "latency-tracking", "yes");
            p.Both("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9");
        }
    }
}

/// <summary>supervised systemd: the readiness datagram on $NOTIFY_SOCKET (the variable is process-wide, hence its own collection).</summary>
[Collection("NOTIFY_SOCKET")]
public sealed class SystemdSupervisionTests
{
    [Fact]
    public async Task SupervisedSystemdSendsReady()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cinnabar-notify-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        var previous = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        Environment.SetEnvironmentVariable("NOTIFY_SOCKET", path);
        try
        {
            await using var s = new TestServer(c => c.SupervisedMode = Cinnabar.Config.SupervisedMode.Systemd);
            listener.ReceiveTimeout = 10000;
            var buf = new byte[256];
            int n = listener.Receive(buf);
            Assert.Equal("STATUS=Ready to accept connections\nREADY=1\n", System.Text.Encoding.ASCII.GetString(buf, 0, n));
        }
        finally
        {
            Environment.SetEnvironmentVariable("NOTIFY_SOCKET", previous);
            File.Delete(path);
        }
    }
}
