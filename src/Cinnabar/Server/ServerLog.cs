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

    public static ILoggerFactory CreateFactory(Config.LogVerbosity level) => LoggerFactory.Create(b =>
    {
        b.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "dd MMM yyyy HH:mm:ss.fff ";
        });
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
