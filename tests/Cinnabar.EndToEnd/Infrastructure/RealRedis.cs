using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Cinnabar.EndToEnd.Infrastructure;

/// <summary>A real redis-server 7 on a free loopback port, the reference for differential tests.</summary>
public sealed class RealRedis : IDisposable
{
    private readonly Process _process;

    public RealRedis(params string[] extraArgs)
    {
        if (!File.Exists("/usr/bin/redis-server"))
            throw new InvalidOperationException("redis-server is required for differential tests: apt-get install -y redis-server");
        Port = FreePort();
        // The log goes to a file, never to a pipe that could fill up and stall the server.
        LogPath = Path.Combine(Path.GetTempPath(), $"cinnabar-test-redis-{Port}.log");
        var psi = new ProcessStartInfo("/usr/bin/redis-server") { UseShellExecute = false };
        // A directory of its own: a replica writes the RDB of each full sync there, and another server
        // starting in a shared directory would load that dump.rdb (and its replication ID).
        DataDir = Directory.CreateTempSubdirectory("cinnabar-test-redis-").FullName;
        foreach (var a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--enable-debug-command", "yes", "--dir", DataDir, "--logfile", LogPath })
            psi.ArgumentList.Add(a);
        foreach (var a in extraArgs) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var c = new RespClient("127.0.0.1", Port);
                if (c.Call("PING") == "+PONG\r\n") break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline) { Thread.Sleep(50); }
        }
    }

    public int Port { get; }
    public string LogPath { get; }
    public string DataDir { get; }

    /// <summary>The end of the server's log, for failure messages.</summary>
    public string LogTail(int chars = 3000)
    {
        try
        {
            var text = File.ReadAllText(LogPath);
            return text.Length > chars ? text[^chars..] : text;
        }
        catch (IOException) { return ""; }
    }

    public RespClient Connect() => new("127.0.0.1", Port);

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        try { _process.Kill(); _process.WaitForExit(5000); } catch { }
        _process.Dispose();
        try { File.Delete(LogPath); } catch { }
        try { Directory.Delete(DataDir, recursive: true); } catch { }
    }
}

/// <summary>
/// A Cinnabar server and a real Redis side by side. <see cref="Pair"/> gives one connection to each;
/// <see cref="DiffPair.Same"/> sends a command to both and asserts the replies are byte-for-byte equal.
/// </summary>
public sealed class DifferentialFixture : IAsyncLifetime
{
    public TestServer Cinnabar { get; private set; } = null!;
    public RealRedis Redis { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Cinnabar = new TestServer();
        Redis = new RealRedis();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Redis.Dispose();
        await Cinnabar.DisposeAsync();
    }

    /// <summary>Fresh connections to both servers, each with its database flushed.</summary>
    public DiffPair Pair()
    {
        var pair = new DiffPair(Redis.Connect(), Cinnabar.Raw());
        return pair;
    }
}

public sealed class DiffPair(RespClient redis, RespClient ours) : IDisposable
{
    public RespClient Redis { get; } = redis;
    public RespClient Ours { get; } = ours;

    /// <summary>Runs the command on both servers; asserts identical raw replies and returns the reply.</summary>
    public string Same(params string[] args)
    {
        var expected = Redis.Call(args);
        var actual = Ours.Call(args);
        Assert.True(expected == actual,
            $"reply differs for: {string.Join(' ', args)}\n  redis:    {Escape(expected)}\n  cinnabar: {Escape(actual)}");
        return actual;
    }

    /// <summary>Runs raw bytes (malformed input, inline commands) on both and compares the next reply.</summary>
    public string SameRaw(string raw)
    {
        Redis.SendRaw(raw);
        Ours.SendRaw(raw);
        var expected = Redis.ReadReply();
        var actual = Ours.ReadReply();
        Assert.True(expected == actual, $"reply differs for raw {Escape(raw)}\n  redis:    {Escape(expected)}\n  cinnabar: {Escape(actual)}");
        return actual;
    }

    /// <summary>Reads the next reply (a pushed message) from both and asserts they are identical.</summary>
    public string SameNext()
    {
        var expected = Redis.ReadReply();
        var actual = Ours.ReadReply();
        Assert.True(expected == actual, $"next reply differs\n  redis:    {Escape(expected)}\n  cinnabar: {Escape(actual)}");
        return actual;
    }

    /// <summary>Runs a command on both without comparing (for set-up that is expected to match anyway).</summary>
    public void Both(params string[] args)
    {
        Redis.Call(args);
        Ours.Call(args);
    }

    public static string Escape(string s) => s.Replace("\r", "\\r").Replace("\n", "\\n");

    public void Dispose()
    {
        Redis.Dispose();
        Ours.Dispose();
    }
}
