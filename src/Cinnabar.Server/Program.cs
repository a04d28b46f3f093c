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

// daemonize yes: .NET cannot fork a running runtime, so the process starts itself again detached (new
// session, standard streams closed) and returns once the daemon has written its pid file, as a forking
// redis-server's parent returns at once.
if (config.Daemonize && Environment.GetEnvironmentVariable(Daemon.ChildMarker) is null)
    return Daemon.Launch(args, config);

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
catch (Cinnabar.Persistence.AofLoadException ex)
{
    Console.Error.WriteLine($"Fatal error loading the append only file: {ex.Message}. Exiting.");
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

/// <summary>daemonize yes without fork: relaunch detached with setsid and wait for the daemon's pid file.</summary>
static class Daemon
{
    public const string ChildMarker = "CINNABAR_DAEMON_CHILD";

    public static int Launch(string[] args, ServerConfig config)
    {
        var pidFile = config.PidFile != "" ? config.PidFile : CinnabarServer.DefaultPidFile;
        try { File.Delete(pidFile); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        // Under `dotnet cinnabar-server.dll` the process path is the host: pass the assembly along.
        var self = Environment.ProcessPath!;
        var psi = new System.Diagnostics.ProcessStartInfo(File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : self)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (psi.FileName != self) psi.ArgumentList.Add(self);
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(typeof(Daemon).Assembly.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment[ChildMarker] = "1";
        using var child = System.Diagnostics.Process.Start(psi)!;
        child.StandardInput.Close();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            // The file exists a moment before its pid is in it: wait for the content, or a caller reading it at
            // once (a test, an init script) finds it empty.
            if (File.Exists(pidFile) && new FileInfo(pidFile).Length > 0) return 0;
            if (child.HasExited)
            {
                Console.Error.WriteLine($"The daemon exited during start-up (code {child.ExitCode}): {child.StandardError.ReadToEnd().Trim()}");
                return 1;
            }
            Thread.Sleep(20);
        }
        Console.Error.WriteLine($"The daemon did not write {pidFile} within 30 s.");
        return 1;
    }
}
