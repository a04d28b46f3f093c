using System.Diagnostics;
using System.Net.Sockets;
using Cinnabar.EndToEnd.Infrastructure;
using static Cinnabar.EndToEnd.Infrastructure.ServerProcesses;

namespace Cinnabar.EndToEnd.Server;

/// <summary>The built cinnabar-server executable: config files, bad directives, --port, CONFIG REWRITE, SIGTERM, SHUTDOWN.</summary>
public sealed class ServerProcessTests
{
    [Fact]
    public void StartsWithConfigFileAndPortFlagOverridesIt()
    {
        var dir = TempDir();
        var conf = Path.Combine(dir, "redis.conf");
        int filePort = RealRedis.FreePort(), flagPort = RealRedis.FreePort();
        File.WriteAllText(conf, $"# a comment\nport {filePort}\nrepl-backlog-size 100mb\nsave \"\"\ndir {dir}\nhz 15\n");
        using var p = new ServerProcess(conf, "--port", flagPort.ToString(), "--loglevel", "warning");
        using var c = p.Connect(flagPort);
        Assert.Equal("*2\r\n$17\r\nrepl-backlog-size\r\n$9\r\n104857600\r\n", c.Call("CONFIG", "GET", "repl-backlog-size"));
        Assert.Equal("*2\r\n$2\r\nhz\r\n$2\r\n15\r\n", c.Call("CONFIG", "GET", "hz"));
        Assert.Contains($"config_file:{conf}", c.Call("INFO", "server"));

        // CONFIG REWRITE keeps comments and order and updates changed values.
        c.Call("CONFIG", "SET", "hz", "25", "maxmemory-policy", "allkeys-lru");
        Assert.Equal("+OK\r\n", c.Call("CONFIG", "REWRITE"));
        var lines = File.ReadAllLines(conf);
        Assert.Equal("# a comment", lines[0]);
        Assert.Equal($"port {flagPort}", lines[1]);
        Assert.Equal("repl-backlog-size 104857600", lines[2]);
        Assert.Contains("hz 25", lines);
        Assert.Contains("maxmemory-policy allkeys-lru", lines);
        Assert.True(Array.IndexOf(lines, "hz 25") < Array.IndexOf(lines, "maxmemory-policy allkeys-lru"));

        // SHUTDOWN NOSAVE: no reply, the connection closes and the process exits 0.
        c.Send("SHUTDOWN", "NOSAVE");
        Assert.Equal(0, p.WaitExit());
    }

    [Fact]
    public void BadDirectiveExitsWithFatalConfigError()
    {
        var dir = TempDir();
        var conf = Path.Combine(dir, "bad.conf");
        File.WriteAllText(conf, "port 0\n\nmaxmemory lots\n");
        using var p = new ServerProcess(conf);
        Assert.Equal(1, p.WaitExit());
        Assert.Contains("*** FATAL CONFIG FILE ERROR", p.Output);
        Assert.Contains("at line 3", p.Output);
        Assert.Contains(">>> 'maxmemory lots'", p.Output);
    }

    [Fact]
    public void UnknownDirectiveOnCommandLineExitsWithOne()
    {
        using var p = new ServerProcess("--port", "0", "--no-such-option", "1");
        Assert.Equal(1, p.WaitExit());
        Assert.Contains("Bad directive or wrong number of arguments", p.Output);
    }

    [Fact]
    public void CorruptDumpAtStartupExitsWithOne()
    {
        var dir = TempDir();
        File.WriteAllText(Path.Combine(dir, "dump.rdb"), "REDIS0010 this is not an rdb file");
        using var p = new ServerProcess("--port", RealRedis.FreePort().ToString(), "--dir", dir);
        Assert.Equal(1, p.WaitExit());
    }

    [Fact]
    public void SigtermSavesAndExitsZero()
    {
        var dir = TempDir();
        int port = RealRedis.FreePort();
        using var p = new ServerProcess("--port", port.ToString(), "--dir", dir, "--save", "3600 1");
        using (var c = p.Connect(port)) Assert.Equal("+OK\r\n", c.Call("SET", "k", "v"));
        using (var kill = Process.Start("kill", ["-TERM", p.Process.Id.ToString()])) kill.WaitForExit();
        Assert.Equal(0, p.WaitExit());
        Assert.True(File.Exists(Path.Combine(dir, "dump.rdb")));

        // Restarted on the same directory, the key is back.
        using var again = new ServerProcess("--port", port.ToString(), "--dir", dir, "--save", "");
        using var c2 = again.Connect(port);
        Assert.Equal("$1\r\nv\r\n", c2.Call("GET", "k"));
        c2.Send("SHUTDOWN");
        Assert.Equal(0, again.WaitExit());
    }

    /// <summary>A stop signal delivered twice (a process group, `dotnet run` forwarding it) shuts down once, with one final save.</summary>
    [Fact]
    public async Task TwoShutdownRequestsSaveOnce()
    {
        await using var s = new TestServer(c => c.SavePoints = [3600, 1]);
        using (var c = s.Raw()) Assert.Equal("+OK\r\n", c.Call("SET", "k", "v"));
        long before;
        lock (s.Server.ExecLock) before = s.Server.Persistence.Saves;
        s.Server.RequestShutdown();
        s.Server.RequestShutdown();
        await s.Server.Completion.WaitAsync(TimeSpan.FromSeconds(20));
        await Task.Delay(200); // a second shutdown, if one had started, would have saved by now
        Assert.Equal(before + 1, s.Server.Persistence.Saves);
    }

    /// <summary>Accepted parameters that change nothing yet are named at start-up, never silently ignored.</summary>
    [Fact]
    public void ParametersWithoutEffectAreWarnedAboutAtStartup()
    {
        int port = RealRedis.FreePort();
        using var p = new ServerProcess("--port", port.ToString(), "--dir", TempDir(), "--save", "", "--repl-diskless-sync-delay", "0",
            "--busy-reply-threshold", "100", "--lazyfree-lazy-server-del", "yes", "--jemalloc-bg-thread", "no");
        using (var c = p.Connect(port)) Assert.Equal("+PONG\r\n", c.Call("PING"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!p.Output.Contains("ready to accept connections") && DateTime.UtcNow < deadline) Thread.Sleep(20);
        var output = p.Output;
        Assert.Contains("repl-diskless-sync and repl-diskless-sync-delay have no effect yet", output);
        Assert.DoesNotContain("busy-reply-threshold has no effect", output); // scripts honour it now
        Assert.Contains("lazyfree-lazy-server-del has no effect", output);
        Assert.Contains("jemalloc-bg-thread no has no effect", output);
    }
}
