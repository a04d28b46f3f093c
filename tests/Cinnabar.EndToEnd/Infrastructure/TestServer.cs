using System.Diagnostics;
using Cinnabar.Config;
using StackExchange.Redis;

namespace Cinnabar.EndToEnd.Infrastructure;

/// <summary>
/// A real Cinnabar server listening on a free loopback port, in this process. Tests talk to it over TCP
/// only (StackExchange.Redis, <see cref="RespClient"/> for byte-exact replies, redis-cli).
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private ConnectionMultiplexer? _mux;

    public TestServer(Action<ServerConfig>? configure = null)
    {
        // A private data directory per server: one test's dump.rdb must never be loaded by another.
        DataDir = Directory.CreateTempSubdirectory("cinnabar-test-").FullName;
        var config = new ServerConfig { Port = 0, LogLevel = LogVerbosity.Nothing, EnableDebugCommand = ProtectedAction.Yes, SavePoints = [], Dir = DataDir };
        configure?.Invoke(config);
        Server = new CinnabarServer(config);
        Server.Start();
    }

    public CinnabarServer Server { get; }
    public string DataDir { get; }
    public int Port => Server.Port;

    /// <summary>A shared StackExchange.Redis connection (admin commands allowed).</summary>
    public ConnectionMultiplexer Multiplexer => _mux ??= ConnectionMultiplexer.Connect(
        new ConfigurationOptions { EndPoints = { { "127.0.0.1", Port } }, AllowAdmin = true, ConnectTimeout = 5000, SyncTimeout = 10000, AbortOnConnectFail = true });

    public IDatabase Db(int db = 0) => Multiplexer.GetDatabase(db);

    /// <summary>A new raw connection for byte-exact assertions.</summary>
    public RespClient Raw() => new("127.0.0.1", Port);

    /// <summary>Runs redis-cli against the server; returns stdout (trailing newline removed).</summary>
    public string Cli(params string[] args) => RedisCli.Run(Port, args);

    public async ValueTask DisposeAsync()
    {
        if (_mux is not null) await _mux.DisposeAsync();
        await Server.DisposeAsync();
        if (Server.Config.Dir == DataDir)
            try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>One server for all tests of a class (xunit class fixture). Tests use distinct keys.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;
    public Task InitializeAsync() { Server = new TestServer(); return Task.CompletedTask; }
    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public static class RedisCli
{
    public static bool Available => File.Exists("/usr/bin/redis-cli") || File.Exists("/usr/local/bin/redis-cli");

    public static string Run(int port, params string[] args) => RunWithInput(port, null, args);

    public static string RunWithInput(int port, string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("redis-cli")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-p");
        psi.ArgumentList.Add(port.ToString());
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit(30000);
        return output.TrimEnd('\n');
    }
}
