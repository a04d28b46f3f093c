using Cinnabar;
using Cinnabar.Config;

// cinnabar-server [config-file] [--name value ...], as redis-server.
ServerConfig config;
try
{
    config = ConfigLoader.FromArguments(args);
}
catch (ConfigException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 1;
}

await using var server = new CinnabarServer(config);

// SIGTERM / SIGINT: save when save points are configured, then stop accepting, close clients, exit 0.
// Registered before the server accepts anyone, so an early signal is never fatal.
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx =>
{
    ctx.Cancel = true;
    server.RequestShutdown();
});
using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, ctx =>
{
    ctx.Cancel = true;
    server.RequestShutdown();
});

try
{
    server.Start();
}
catch (System.Net.Sockets.SocketException ex)
{
    Console.Error.WriteLine($"Could not create server TCP listening socket {string.Join(' ', config.Bind)}:{config.Port}: {ex.Message}");
    return 1;
}
catch (Cinnabar.Persistence.RdbLoadException ex)
{
    // A corrupt or unreadable dump at start-up is fatal, as in redis-server.
    Console.Error.WriteLine($"Fatal error loading the DB: {ex.Message}. Exiting.");
    return 1;
}
catch (ConfigException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 1;
}

// Latency over throughput: only ephemeral and background (concurrent) full collections from here on,
// so a large keyspace is not stopped for a blocking gen-2 compaction (one such pause measured 1.1 s
// with a million keys while BGSAVE ran; ephemeral collections still pause, see docs/persistence.md).
System.Runtime.GCSettings.LatencyMode = System.Runtime.GCLatencyMode.SustainedLowLatency;

await server.Completion;
return 0;
