using System.Runtime.CompilerServices;
using System.Text;
using Cinnabar.Commands;
using Cinnabar.Keyspace;
using Cinnabar.Networking;
using Cinnabar.Protocol;
using Cinnabar.PubSub;
using Cinnabar.Replication;
using Cinnabar.Tracking;
using Cinnabar.Transactions;

namespace Cinnabar;

/// <summary>
/// A client session: who it is (id, name, db, protocol), the command being executed, and where its replies
/// go. Command handlers receive the client, read their arguments from it and write the reply into
/// <see cref="Reply"/>. Like Redis' client struct; the socket side lives in <see cref="ClientConnection"/>.
/// </summary>
public class Client
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
        server.Acl.SetDefaultAuth(this);
    }

    public CinnabarServer Server { get; }
    public long Id { get; }
    public string? Name { get; set; }
    public string? LibName { get; set; }
    public string? LibVersion { get; set; }
    public ClientFlags Flags;
    public long CreatedAtMs { get; }
    public long LastInteractionMs;

    /// <summary>The ACL user whose permissions apply; null for the master link, which may run anything (Redis' NULL user).</summary>
    public Security.AclUser? User;

    /// <summary>Redis' c->authenticated: AUTH (or HELLO AUTH) succeeded, or the default user needs no password.</summary>
    public bool Authenticated;

    /// <summary>
    /// True when dispatch must check anything for this client: not authenticated, or a user with less than
    /// all permissions. The one test the common case pays (see <see cref="UpdateSecurityCheck"/>).
    /// </summary>
    public bool SecurityCheck;

    /// <summary>Recomputes <see cref="SecurityCheck"/> after the user, its rules or the authentication changed.</summary>
    public void UpdateSecurityCheck() => SecurityCheck = !Authenticated || User is { Unrestricted: false };

    /// <summary>Runs as the superuser (the master link): no authentication and no ACL, as Redis' NULL user.</summary>
    public void SetSuperUser()
    {
        User = null;
        Authenticated = true;
        UpdateSecurityCheck();
    }

    /// <summary>The selected database.</summary>
    public Database Db;
    public int DbIndex => Db.Id;

    /// <summary>Where replies are written. Its <see cref="ReplyBuffer.Protocol"/> is the client's RESP version.</summary>
    public ReplyBuffer Reply { get; }

    /// <summary>Bytes this client holds (used_memory's clients part, maxmemory-clients): its state and buffers.</summary>
    public virtual long MemoryBytes => DataTypes.MemorySize.Object(256) + Reply.Capacity;
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

    /// <summary>Set by a handler whose "-" reply is data, not an error (DEBUG ERROR): statistics skip it.</summary>
    internal bool ErrorReplyUncounted;

    /// <summary>
    /// While CLIENT REPLY OFF/SKIP silences the running command: where its dropped output starts. Pushes
    /// move it past themselves so they survive (<see cref="BeginPush"/>); -1 when not silenced.
    /// </summary>
    internal int SilencedFrom = -1;

    /// <summary>Call before writing a push (not a reply) that CLIENT REPLY OFF/SKIP must not drop.</summary>
    public void BeginPush()
    {
        if (SilencedFrom >= 0) Reply.Truncate(SilencedFrom);
    }

    /// <summary>Call after writing such a push.</summary>
    public void EndPush()
    {
        if (SilencedFrom >= 0) SilencedFrom = Reply.Length;
    }

    // ---- state other components keep per client (null until first used) ----

    /// <summary>Channels and patterns subscribed to (<see cref="PubSub.PubSubHub"/>).</summary>
    public ClientSubscriptions? Subscriptions;

    /// <summary>True while subscribed to anything (RESP2 subscribe mode).</summary>
    public bool IsSubscribed => Subscriptions is { } s && s.Any;

    /// <summary>The MULTI queue and watched keys (<see cref="Transactions.TransactionManager"/>).</summary>
    public ClientTransaction? Transaction;

    /// <summary>CLIENT TRACKING state (<see cref="Tracking.TrackingManager"/>); null until tracking is first enabled.</summary>
    public ClientTracking? Tracking;

    /// <summary>What a replica told us with REPLCONF before its PSYNC (<see cref="Replication.ReplicationManager"/>).</summary>
    internal ReplicaInfo? PendingReplicaInfo;

    // ---- propagation of the command being executed ----

    /// <summary>Replication offset after this client's last write (what WAIT waits for).</summary>
    public long LastWriteOffset;

    /// <summary>
    /// Set while this client's replies must wait for the AOF fsync of the batch that produced them
    /// (appendfsync always): the send loop leaves them in the buffer until it is cleared.
    /// </summary>
    public volatile bool OutputHeld;

    /// <summary>The AOF position that must be on disk before this client's pending replies are sent (0: none).</summary>
    public long DurableTarget;

    /// <summary>Set by a command that must answer even our master (REPLCONF GETACK).</summary>
    public bool ForceReply;

    /// <summary>Set by a handler that already propagated its effect (rewritten) instead of its verbatim arguments.</summary>
    public bool PropagateOverride;

    /// <summary>
    /// True when a rewritten effect passed to <see cref="Propagate"/> would reach anyone: handlers check it
    /// before building one, so commands allocate nothing for replication when there is no stream.
    /// </summary>
    public bool ReplicationWanted => Server.Replication.HasStreamConsumers;

    /// <summary>
    /// Propagates the command as it is even though it changed no data (FLUSHALL on an empty keyspace;
    /// PUBLISH with <paramref name="replicasOnly"/>, which Redis sends to replicas but not to the AOF).
    /// </summary>
    public void PropagateVerbatim(bool replicasOnly = false)
    {
        PropagateOverride = true;
        Server.Replication.PropagateVerbatim(this, replicasOnly);
    }

    /// <summary>Propagates <paramref name="argv"/> as this command's effect instead of the command itself.</summary>
    public void Propagate(params byte[][] argv)
    {
        PropagateOverride = true;
        Server.Replication.Propagate(DbIndex, argv);
    }

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

    // ---- redaction: secrets in the arguments never reach MONITOR or SLOWLOG (Redis' redactClientCommandArgument) ----
    private ulong _redactedArgs;
    private int _redactedFrom = int.MaxValue;
    /// <summary>Set while the current command has redacted arguments; the dispatcher clears them after it.</summary>
    internal bool HasRedactions;

    /// <summary>Shows argument <paramref name="i"/> as "(redacted)" to MONITOR and SLOWLOG.</summary>
    public void RedactArg(int i)
    {
        if (i < 64) _redactedArgs |= 1UL << i;
        else _redactedFrom = Math.Min(_redactedFrom, i);
        HasRedactions = true;
    }

    /// <summary>Redacts argument <paramref name="i"/> and every one after it.</summary>
    public void RedactArgsFrom(int i)
    {
        _redactedFrom = Math.Min(_redactedFrom, i);
        HasRedactions = true;
    }

    public bool IsRedacted(int i) => HasRedactions && (i >= _redactedFrom || (i < 64 && (_redactedArgs & (1UL << i)) != 0));

    /// <summary>The argument as MONITOR and SLOWLOG show it.</summary>
    public ReadOnlySpan<byte> ShownArg(int i) => IsRedacted(i) ? "(redacted)"u8 : Arg(i);

    internal void ClearRedactions()
    {
        _redactedArgs = 0;
        _redactedFrom = int.MaxValue;
        HasRedactions = false;
    }

    /// <summary>Makes argument <paramref name="n"/> the first (ACL DRYRUN checks the command it names); undo with a negative n.</summary>
    internal void ShiftArgs(int n)
    {
        _argStart += n;
        ArgCount -= n;
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

    /// <summary>Called after a write: Redis' signalModifiedKey (WATCH, client-side caching).</summary>
    public void KeyModified(ReadOnlySpan<byte> key) => Server.SignalModifiedKey(Db, key);

    /// <summary>A keyspace notification for <paramref name="key"/> in the selected database.</summary>
    public void Notify(NotifyFlags type, string @event, ReadOnlySpan<byte> key) => Server.Notifications.Notify(type, @event, key, Db.Id);

    /// <summary>Marks the dataset as changed (rdb_changes_since_last_save); a change is also what makes a write propagate.</summary>
    public void Dirty(long n = 1) => Server.Persistence.Dirty += n;

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
