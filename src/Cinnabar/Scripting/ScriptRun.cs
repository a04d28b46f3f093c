using System.Diagnostics;

namespace Cinnabar.Scripting;

/// <summary>
/// The state of the script that is running now (Redis' scriptRunCtx): who called it, what it may do, what it
/// has done. One at a time: scripts run under the execution lock.
/// </summary>
internal sealed class ScriptRun
{
    public required Client Caller { get; init; }
    /// <summary>The client whose commands redis.call runs (address "lua" in MONITOR and CLIENT LIST).</summary>
    public required ScriptClient ScriptClient { get; init; }
    /// <summary>The sha1 of an EVAL script or the name of a function, as errors name it.</summary>
    public required string Name { get; init; }
    /// <summary>EVAL/EVALSHA (as opposed to FCALL): decides which kill command and BUSY text apply.</summary>
    public required bool IsEval { get; init; }
    public required bool ReadOnly { get; init; }
    public required bool AllowOom { get; init; }
    public required bool AllowStale { get; init; }
    public long StartTimestamp { get; } = Stopwatch.GetTimestamp();

    /// <summary>The script executed a write: it can no longer be killed, nor refused a later write.</summary>
    public bool WriteDirty;
    /// <summary>SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE asked it to stop.</summary>
    public volatile bool Killed;
    /// <summary>redis.set_repl: where the effects of the next commands go.</summary>
    public Cinnabar.Replication.PropagationTargets Replication = Cinnabar.Replication.PropagationTargets.All;
    /// <summary>When the execution lock was last lent to waiting clients (busy scripts only).</summary>
    public long LastYieldTimestamp;

    public double ElapsedMs => Stopwatch.GetElapsedTime(StartTimestamp).TotalMilliseconds;
}


/// <summary>The internal client scripts run their commands with (Redis' lua client).</summary>
public sealed class ScriptClient : Client
{
    public ScriptClient(CinnabarServer server) : base(server, new Protocol.ReplyBuffer(1024))
    {
        Flags |= ClientFlags.Fake;
        // Blocking commands answer at once inside scripts, as inside MULTI.
        DenyBlocking = true;
        Authenticated = true;
    }

    public override string Address => "lua";
}

/// <summary>Thrown into a running script by SCRIPT KILL / FUNCTION KILL; pcall cannot catch it.</summary>
internal sealed class ScriptKilledException(string? source, int line) : Exception("Script killed by user with SCRIPT KILL...")
{
    /// <summary>Where the script was when it stopped ("@user_script" and its line), as Redis' error names it.</summary>
    public string? ScriptSource { get; } = source;
    public int Line { get; } = line;
}
