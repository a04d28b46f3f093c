using System.Runtime.CompilerServices;
using System.Text;
using Cinnabar.Commands;
using Cinnabar.Keyspace;
using Cinnabar.Networking;
using Cinnabar.Protocol;

namespace Cinnabar;

[Flags]
public enum ClientFlags
{
    None = 0,
    /// <summary>Close the connection once the pending replies are written (QUIT, protocol errors, CLIENT KILL).</summary>
    CloseAfterReply = 1 << 0,
    /// <summary>Inside MULTI.</summary>
    Multi = 1 << 1,
    /// <summary>A watched key was touched: EXEC will fail.</summary>
    DirtyCas = 1 << 2,
    /// <summary>An error while queueing: EXEC will abort.</summary>
    DirtyExec = 1 << 3,
    /// <summary>Waiting in a blocking command.</summary>
    Blocked = 1 << 4,
    /// <summary>The connection from our master (replication stream).</summary>
    Master = 1 << 5,
    /// <summary>A replica connected to us.</summary>
    Replica = 1 << 6,
    /// <summary>No reply is sent (CLIENT REPLY OFF, the master link).</summary>
    NoReply = 1 << 7,
    /// <summary>Internal client without a connection (scripts, loading).</summary>
    Fake = 1 << 8,
    /// <summary>Being closed; nothing more is executed.</summary>
    Closing = 1 << 9,
    /// <summary>CLIENT REPLY SKIP was the last command: the next command's reply is dropped.</summary>
    ReplySkipNext = 1 << 10,
    /// <summary>The reply of the command being executed is dropped (CLIENT REPLY SKIP).</summary>
    ReplySkip = 1 << 11,
    /// <summary>CLIENT NO-EVICT ON.</summary>
    NoEvict = 1 << 12,
    /// <summary>In MONITOR mode: receives every command other clients execute.</summary>
    Monitor = 1 << 13,
}

/// <summary>
/// A client session: who it is (id, name, db, protocol), the command being executed, and where its replies
/// go. Command handlers receive the client, read their arguments from it and write the reply into
/// <see cref="Reply"/>. Like Redis' client struct; the socket side lives in <see cref="ClientConnection"/>.
/// </summary>
public partial class Client
{
    private static long _nextId;

    public Client(CinnabarServer server, ReplyBuffer reply)
    {
        Server = server;
        Reply = reply;
        Id = Interlocked.Increment(ref _nextId);
        CreatedAtMs = KeyspaceState.WallClockMs();
        LastInteractionMs = CreatedAtMs;
        Db = server.Databases[0];
    }

    public CinnabarServer Server { get; }
    public long Id { get; }
    public string? Name { get; set; }
    public string? LibName { get; set; }
    public string? LibVersion { get; set; }
    public ClientFlags Flags;
    public long CreatedAtMs { get; }
    public long LastInteractionMs;

    /// <summary>The selected database.</summary>
    public Database Db;
    public int DbIndex => Db.Id;

    /// <summary>Where replies are written. Its <see cref="ReplyBuffer.Protocol"/> is the client's RESP version.</summary>
    public ReplyBuffer Reply { get; }
    public int Protocol { get => Reply.Protocol; set => Reply.Protocol = value; }

    /// <summary>The socket side, or null for internal clients.</summary>
    public ClientConnection? Connection { get; init; }
    public virtual string Address => "";
    public virtual string LocalAddress => "";

    /// <summary>
    /// Set while commands run inside EXEC or a script: blocking commands must then behave as their
    /// non-blocking forms (answer at once with the timeout reply when nothing is available).
    /// </summary>
    public bool DenyBlocking;

    /// <summary>The command being executed and the last one (CLIENT LIST "cmd").</summary>
    public CommandDef? CurrentCommand;
    public CommandDef? LastCommand;
    /// <summary>The last top-level command, tried first by dispatch (clients tend to repeat commands).</summary>
    internal CommandDef? CommandCache;

    // ---- the current command's arguments: slices of a buffer (the receive buffer, zero-copy) ----
    private byte[] _argBuffer = [];
    private ArgSlice[] _argSlices = [];
    private int _argStart;
    public int ArgCount { get; private set; }

    public void SetArgs(byte[] buffer, ArgSlice[] slices, int start, int count)
    {
        _argBuffer = buffer;
        _argSlices = slices;
        _argStart = start;
        ArgCount = count;
    }

    /// <summary>Argument <paramref name="i"/> (0 is the command name).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> Arg(int i)
    {
        var s = _argSlices[_argStart + i];
        return new ReadOnlySpan<byte>(_argBuffer, s.Offset, s.Length);
    }

    /// <summary>A copy of argument <paramref name="i"/>, for values the keyspace keeps.</summary>
    public byte[] ArgArray(int i) => Arg(i).ToArray();

    /// <summary>Argument <paramref name="i"/> as text, for cold paths (errors, CONFIG, CLIENT SETNAME).</summary>
    public string ArgString(int i) => Encoding.UTF8.GetString(Arg(i));

    public bool ArgIs(int i, ReadOnlySpan<byte> lowerCase) => RespNumbers.EqualsIgnoreCase(Arg(i), lowerCase);

    /// <summary>Copies all arguments into one owned buffer (MULTI queueing, replication, scripts).</summary>
    public (byte[] Buffer, ArgSlice[] Slices) CopyArgs()
    {
        int total = 0;
        for (int i = 0; i < ArgCount; i++) total += _argSlices[_argStart + i].Length;
        var buf = new byte[total];
        var slices = new ArgSlice[ArgCount];
        int pos = 0;
        for (int i = 0; i < ArgCount; i++)
        {
            var a = Arg(i);
            a.CopyTo(buf.AsSpan(pos));
            slices[i] = new ArgSlice(pos, a.Length);
            pos += a.Length;
        }
        return (buf, slices);
    }

    // ---- common reply helpers and argument parsing that writes Redis' errors ----

    /// <summary>Parses an integer argument; on failure writes Redis' error and returns false.</summary>
    public bool TryGetLong(int i, out long value, string error = Errors.NotInteger)
    {
        if (RespNumbers.TryParseInt64(Arg(i), out value)) return true;
        Reply.Error(error);
        return false;
    }

    public bool TryGetDouble(int i, out double value, string error = Errors.NotFloat)
    {
        if (RespNumbers.TryParseDouble(Arg(i), out value)) return true;
        Reply.Error(error);
        return false;
    }

    public void WrongType() => Reply.Error(Errors.WrongType);
    public void SyntaxError() => Reply.Error(Errors.Syntax);

    /// <summary>Called after a write: feeds WATCH, keyspace notifications and replication.</summary>
    public void KeyModified(ReadOnlySpan<byte> key) => Server.SignalModifiedKey(Db, key);

    public void Notify(NotifyFlags type, string @event, ReadOnlySpan<byte> key) => Server.NotifyKeyspaceEvent(type, @event, key, Db.Id);

    /// <summary>Marks the dataset as changed (rdb_changes_since_last_save).</summary>
    public void Dirty(long n = 1) => Server.Dirty += n;

    /// <summary>
    /// The end of a *STORE command whose result is empty: the destination is deleted, as Redis does,
    /// with the "del" event (nothing happens when it did not exist).
    /// </summary>
    public void DeleteStoreDestination(ReadOnlySpan<byte> key)
    {
        if (!Db.Delete(key)) return;
        KeyModified(key);
        Notify(NotifyFlags.Generic, "del", key);
        Dirty();
    }

    public override string ToString() => $"client id={Id} addr={Address}";
}

/// <summary>Error texts exactly as Redis 7 sends them.</summary>
public static class Errors
{
    public const string WrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
    public const string Syntax = "ERR syntax error";
    public const string NotInteger = "ERR value is not an integer or out of range";
    public const string NotFloat = "ERR value is not a valid float";
    public const string NoSuchKey = "ERR no such key";
    public const string Overflow = "ERR increment or decrement would overflow";
    public const string DbIndexOutOfRange = "ERR DB index is out of range";
    public const string InvalidExpire = "ERR invalid expire time in '{0}' command";
    public const string NotPositiveTimeout = "ERR timeout is not an integer or out of range";

    public static string WrongArgs(string fullName) => $"ERR wrong number of arguments for '{fullName}' command";
}

/// <summary>Keyspace notification classes (notify-keyspace-events letters).</summary>
[Flags]
public enum NotifyFlags
{
    None = 0,
    Keyspace = 1 << 0,     // K
    Keyevent = 1 << 1,     // E
    Generic = 1 << 2,      // g
    String = 1 << 3,       // $
    List = 1 << 4,         // l
    Set = 1 << 5,          // s
    Hash = 1 << 6,         // h
    ZSet = 1 << 7,         // z
    Expired = 1 << 8,      // x
    Evicted = 1 << 9,      // e
    Stream = 1 << 10,      // t
    KeyMiss = 1 << 11,     // m
    Module = 1 << 12,      // d
    New = 1 << 13,         // n
    All = Generic | String | List | Set | Hash | ZSet | Expired | Evicted | Stream | Module, // A
}
