using System.Diagnostics;
using System.Net.Sockets;

namespace Cinnabar.EndToEnd.Infrastructure;

/// <summary>The built cinnabar-server executable run as its own process, for tests of process-level behaviour.</summary>
public static class ServerProcesses
{
    public static string ServerDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        // tests/Cinnabar.EndToEnd/bin/<Configuration>/net10.0/
        string configuration = dir.Parent!.Parent!.Name;
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Cinnabar.slnx"))) dir = dir.Parent;
        var path = Path.Combine(dir!.FullName, "src", "Cinnabar.Server", "bin", configuration, "net10.0", "cinnabar-server.dll");
        return File.Exists(path) ? path : Path.Combine(AppContext.BaseDirectory, "cinnabar-server.dll");
    }

    public sealed class ServerProcess : IDisposable
    {
        public readonly Process Process;
        private readonly System.Text.StringBuilder _output = new();

        public ServerProcess(params string[] args)
        {
            var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(ServerDll());
            foreach (var a in args) psi.ArgumentList.Add(a);
            Process = Process.Start(psi)!;
            Process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            Process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        public string Output { get { lock (_output) return _output.ToString(); } }

        public int WaitExit(int ms = 20000)
        {
            Assert.True(Process.WaitForExit(ms), "server did not exit; output: " + Output);
            Process.WaitForExit();
            return Process.ExitCode;
        }

        public RespClient Connect(int port)
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                try { return new RespClient("127.0.0.1", port); }
                catch (SocketException) when (DateTime.UtcNow < deadline && !Process.HasExited) { Thread.Sleep(100); }
            }
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill();
            Process.Dispose();
        }
    }

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "cinnabar-srv-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }
}
