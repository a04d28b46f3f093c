using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Server;

/// <summary>
/// Like <see cref="DifferentialFixture"/>, but both servers work in a private directory: server tests run
/// SAVE-like commands (DEBUG RELOAD, SHUTDOWN) and must not load or leave a shared dump.rdb.
/// </summary>
public sealed class ServerDiffFixture : IAsyncLifetime
{
    public TestServer Cinnabar { get; private set; } = null!;
    public RealRedis Redis { get; private set; } = null!;
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "cinnabar-srvd-" + Guid.NewGuid().ToString("N")[..8]);

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Dir);
        Cinnabar = new TestServer(c => c.Dir = Dir);
        Redis = new RealRedis("--dir", Dir);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Redis.Dispose();
        await Cinnabar.DisposeAsync();
    }

    public DiffPair Pair() => new(Redis.Connect(), Cinnabar.Raw());
}
