using System.Runtime.CompilerServices;

namespace Cinnabar.EndToEnd.Infrastructure;

internal static class ThreadPoolSetup
{
    /// <summary>
    /// The servers under test run in this process, and many tests drive them with blocking socket calls on
    /// pool threads. Without a higher floor, the pool injects threads slowly and the servers' own timers and
    /// continuations can wait behind blocked test threads.
    /// </summary>
    [ModuleInitializer]
    internal static void Initialize() => ThreadPool.SetMinThreads(256, 256);
}
