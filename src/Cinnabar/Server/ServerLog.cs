using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Cinnabar.Server;

/// <summary>The server's log messages in one place, on Microsoft.Extensions.Logging.</summary>
public sealed class ServerLog(ILogger logger)
{
    public ILogger Logger { get; } = logger;

    public void Info(string message) => Logger.LogInformation("{Message}", message);
    public void Warning(string message) => Logger.LogWarning("{Message}", message);
    public void Debug(string message) => Logger.LogDebug("{Message}", message);
    public void Error(string message) => Logger.LogError("{Message}", message);

    public void LogUnexpected(Exception ex, Client client) =>
        Logger.LogError(ex, "Unexpected error serving {Client}; closing the connection", client.ToString());

    public void QueryBufferLimit(Client client) =>
        Logger.LogWarning("Closing client that reached max query buffer length: {Client}", client.ToString());

    /// <summary>
    /// The loggers for loglevel and logfile: a file (appended to, in redis-server's line format) when
    /// logfile is set, standard output when it is "", nothing when daemonized without a logfile (Redis then
    /// logs to /dev/null).
    /// </summary>
    public static ILoggerFactory CreateFactory(Config.LogVerbosity level, string logFile = "", bool daemonized = false) => LoggerFactory.Create(b =>
    {
        if (logFile != "") b.AddProvider(new RedisFormatFileLoggerProvider(logFile));
        else if (!daemonized)
        {
            b.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "dd MMM yyyy HH:mm:ss.fff ";
            });
        }
        b.SetMinimumLevel(level switch
        {
            Config.LogVerbosity.Debug or Config.LogVerbosity.Verbose => LogLevel.Debug,
            Config.LogVerbosity.Notice => LogLevel.Information,
            Config.LogVerbosity.Warning => LogLevel.Warning,
            Config.LogVerbosity.Nothing => LogLevel.None,
            _ => LogLevel.Information,
        });
    });
}

/// <summary>
/// Writes log lines to a file as redis-server does (<c>pid:M 06 Dec 2026 02:36:22.123 * message</c>), so
/// tools that read Redis logs read ours. The file is opened for each line, as Redis does, so logrotate can
/// move it away without a signal.
/// </summary>
internal sealed class RedisFormatFileLoggerProvider(string path) : ILoggerProvider
{
    private readonly Lock _lock = new();
    private readonly int _pid = Environment.ProcessId;

    public ILogger CreateLogger(string categoryName) => new FileLogger(this);

    public void Dispose() { }

    private void Write(LogLevel level, string message)
    {
        char mark = level switch { LogLevel.Trace or LogLevel.Debug => '.', LogLevel.Information => '*', _ => '#' };
        var line = $"{_pid}:M {DateTime.Now:dd MMM yyyy HH:mm:ss.fff} {mark} {message}\n";
        lock (_lock)
        {
            try { File.AppendAllText(path, line); }
            catch (IOException) { } // a full or vanished disk must not take the server down
            catch (UnauthorizedAccessException) { }
        }
    }

    private sealed class FileLogger(RedisFormatFileLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var message = formatter(state, exception);
            if (exception is not null) message += Environment.NewLine + exception;
            owner.Write(logLevel, message);
        }
    }
}
