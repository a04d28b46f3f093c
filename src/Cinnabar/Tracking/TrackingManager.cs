using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Cinnabar.Commands;
using Cinnabar.Keyspace;
using Cinnabar.Networking;
using Cinnabar.Protocol;

namespace Cinnabar.Tracking;

/// <summary>
/// Client-side caching (Redis' tracking.c): who read which key, who broadcasts which prefix, and the
/// invalidation messages sent when a key changes, expires, is evicted, or the keyspace is flushed.
/// <para>
/// The tracking table maps a key (bytes, whatever the database: Redis tracks names, not database slots) to
/// the ids of the clients that read it with a read-only command while tracking; an invalidation removes the
/// key, so the client must read it again to be told again. The prefix table maps each BCAST prefix to its
/// clients and the keys modified under it since the last broadcast, which is sent at the end of the batch
/// (Redis' beforeSleep). Messages are RESP3 pushes (<c>&gt;2 invalidate [keys]</c>), or, redirected to a
/// RESP2 client in subscribe mode, messages of the <c>__redis__:invalidate</c> channel.
/// </para>
/// <para>
/// Everything runs under the execution lock. When nobody ever enabled tracking, a key write costs
/// <see cref="Active"/>: two count tests.
/// </para>
/// </summary>
public sealed class TrackingManager
{
    private readonly CinnabarServer _server;
    private readonly OutputScheduler _output;

    /// <summary>Key → ids of the clients that may cache it (Redis' TrackingTable).</summary>
    private readonly Dictionary<byte[], ClientIds> _table = new(ByteArrayComparer.Instance);

    /// <summary>BCAST prefix → its clients and the keys modified under it (Redis' PrefixTable), in radix order.</summary>
    private readonly SortedDictionary<byte[], BcastState> _prefixes = new(ByteOrder.Instance);

    /// <summary>
    /// Invalidations for the client whose command is running, sent after its reply (Redis'
    /// tracking_pending_keys); null stands for a flush.
    /// </summary>
    private readonly List<byte[]?> _pending = new();

    private bool _broadcastPending;
    private int _limitTimeoutCounter;

    [ThreadStatic] private static List<KeyReference>? _keys;

    public TrackingManager(CinnabarServer server, OutputScheduler output)
    {
        _server = server;
        _output = output;
    }

    /// <summary>
    /// The clients that read a key: most keys have one, held inline in the table's entry (a key costs its
    /// bytes and one dictionary entry); the others go to a set. Client ids start at 1, so 0 is "none".
    /// </summary>
    private struct ClientIds
    {
        private long _first;
        private HashSet<long>? _more;

        public readonly int Count => (_first != 0 ? 1 : 0) + (_more?.Count ?? 0);

        public bool Add(long id)
        {
            if (_first == 0 && _more is null)
            {
                _first = id;
                return true;
            }
            if (id == _first) return false;
            return (_more ??= new HashSet<long>()).Add(id);
        }

        /// <summary>
        /// The ids in Redis' order: its radix tree of ids is keyed by their in-memory (little-endian) bytes.
        /// Only matters when several of them redirect to one client.
        /// </summary>
        public readonly long[] InRadixOrder()
        {
            if (_more is null) return [_first];
            var all = new long[Count];
            int n = 0;
            if (_first != 0) all[n++] = _first;
            foreach (var id in _more) all[n++] = id;
            Array.Sort(all, (a, b) => ((ulong)BinaryPrimitives.ReverseEndianness(a)).CompareTo((ulong)BinaryPrimitives.ReverseEndianness(b)));
            return all;
        }
    }

    private sealed class BcastState
    {
        public readonly List<Client> Clients = new();
        /// <summary>Keys modified since the last broadcast, each with the client that last modified it (NOLOOP).</summary>
        public readonly SortedDictionary<byte[], Client?> Keys = new(ByteOrder.Instance);
    }

    /// <summary>Redis' radix tree order: bytes compared unsigned, a prefix before its extensions.</summary>
    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();
        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }

    // ---- state and statistics ------------------------------------------------------------------------

    /// <summary>INFO tracking_clients: clients with tracking on.</summary>
    public int TrackingClients { get; private set; }
    /// <summary>INFO tracking_total_keys: keys in the tracking table.</summary>
    public long TotalKeys => _table.Count;
    /// <summary>INFO tracking_total_items: (key, client) pairs in the tracking table.</summary>
    public long TotalItems { get; private set; }
    /// <summary>INFO tracking_total_prefixes: BCAST prefixes.</summary>
    public long TotalPrefixes => _prefixes.Count;

    /// <summary>True when a key write may concern a tracking client: the one test the write path pays.</summary>
    public bool Active => _table.Count != 0 || _prefixes.Count != 0;

    /// <summary>
    /// The client whose command is being processed (Redis' server.current_client), set by the dispatcher
    /// around each command; null for the cron. NOLOOP and the pending invalidations refer to it.
    /// </summary>
    public Client? CurrentClient;

    /// <summary>Set while a command handler runs (Redis' CLIENT_EXECUTING_COMMAND).</summary>
    public bool Executing;

    // ---- CLIENT TRACKING on and off ------------------------------------------------------------------

    /// <summary>Redis' enableTracking: the options were validated by CLIENT TRACKING.</summary>
    public void Enable(Client c, long redirect, bool bcast, bool optIn, bool optOut, bool noLoop, List<byte[]>? prefixes)
    {
        var t = c.Tracking ??= new ClientTracking();
        if (!t.On) TrackingClients++;
        t.On = true;
        t.BrokenRedirect = t.Bcast = t.OptIn = t.OptOut = t.NoLoop = false;
        t.Redirect = redirect;
        if (bcast)
        {
            t.Bcast = true;
            if (prefixes is null || prefixes.Count == 0) EnableBcastPrefix(c, t, []);
            else foreach (var p in prefixes) EnableBcastPrefix(c, t, p);
        }
        t.OptIn = optIn;
        t.OptOut = optOut;
        t.NoLoop = noLoop;
    }

    private void EnableBcastPrefix(Client c, ClientTracking t, byte[] prefix)
    {
        if (!_prefixes.TryGetValue(prefix, out var bs)) _prefixes.Add(prefix, bs = new BcastState());
        if (bs.Clients.Contains(c)) return;
        bs.Clients.Add(c);
        (t.Prefixes ??= new SortedSet<byte[]>(ByteOrder.Instance)).Add(prefix);
    }

    /// <summary>
    /// Redis' disableTracking (CLIENT TRACKING OFF, RESET, a client gone). The keys it read stay in the table
    /// until invalidated, as in Redis; they are just no longer sent to it.
    /// </summary>
    public void Disable(Client c)
    {
        var t = c.Tracking;
        if (t is null) return;
        if (t.Bcast && t.Prefixes is not null)
        {
            foreach (var p in t.Prefixes)
            {
                if (!_prefixes.TryGetValue(p, out var bs)) continue;
                bs.Clients.Remove(c);
                if (bs.Clients.Count == 0) _prefixes.Remove(p);
            }
            t.Prefixes = null;
        }
        if (t.On)
        {
            TrackingClients--;
            t.On = t.BrokenRedirect = t.Bcast = t.OptIn = t.OptOut = t.Caching = t.NoLoop = false;
        }
    }

    /// <summary>
    /// Redis' checkPrefixCollisionsOrReply, quirk included: a collision found among the given prefixes after
    /// the first one answers the error but returns non-zero, so the caller goes on (and answers +OK too).
    /// Returns 0 when the command must stop.
    /// </summary>
    public static int CheckPrefixCollisions(Client c, List<byte[]> prefixes)
    {
        var existing = c.Tracking?.Prefixes;
        for (int i = 0; i < prefixes.Count; i++)
        {
            if (existing is not null)
            {
                foreach (var e in existing)
                {
                    if (!Overlap(e, prefixes[i])) continue;
                    c.Reply.Error(Format("ERR Prefix '", prefixes[i], "' overlaps with an existing prefix '", e));
                    return 0;
                }
            }
            for (int j = i + 1; j < prefixes.Count; j++)
            {
                if (!Overlap(prefixes[i], prefixes[j])) continue;
                c.Reply.Error(Format("ERR Prefix '", prefixes[i], "' overlaps with another provided prefix '", prefixes[j]));
                return i;
            }
        }
        return 1;
    }

    /// <summary>Redis' stringCheckPrefix: one is a prefix of the other.</summary>
    private static bool Overlap(byte[] a, byte[] b)
    {
        int n = Math.Min(a.Length, b.Length);
        return a.AsSpan(0, n).SequenceEqual(b.AsSpan(0, n));
    }

    /// <summary>The overlap error as Redis formats it with %s: each prefix up to its first NUL byte.</summary>
    private static byte[] Format(string head, byte[] first, string middle, byte[] second)
    {
        var w = new ArrayBufferWriter<byte>();
        w.Write(System.Text.Encoding.ASCII.GetBytes(head));
        w.Write(CString(first));
        w.Write(System.Text.Encoding.ASCII.GetBytes(middle));
        w.Write(CString(second));
        w.Write("'. Prefixes for a single client must not overlap."u8);
        return w.WrittenSpan.ToArray();
    }

    private static ReadOnlySpan<byte> CString(byte[] s)
    {
        int nul = Array.IndexOf(s, (byte)0);
        return nul < 0 ? s : s.AsSpan(0, nul);
    }

    // ---- keys read ---------------------------------------------------------------------------------

    /// <summary>
    /// Redis' trackingRememberKeys: after a read-only command of <paramref name="c"/> (tracking on, not BCAST),
    /// the keys it named (its key specs or getkeys procedure) are remembered for it, unless OPTIN/OPTOUT and
    /// CLIENT CACHING say otherwise. The keys are <paramref name="c"/>'s current arguments (inside EXEC, those of
    /// the queued command). A script (later) passes its caller as the tracking client.
    /// </summary>
    public void RememberKeys(Client tracking, Client executing, CommandDef cmd)
    {
        var t = tracking.Tracking!;
        if (!t.RemembersKeys) return;
        // Shard channels are keys for cluster routing only.
        if (cmd.HasFlag(CommandFlags.PubSub)) return;
        var keys = _keys ??= new List<KeyReference>();
        keys.Clear();
        if (cmd.GetKeys(executing, keys) <= 0) return;
        var lookup = _table.GetAlternateLookup<ReadOnlySpan<byte>>();
        foreach (var k in keys)
        {
            ref var ids = ref CollectionsMarshal.GetValueRefOrAddDefault(lookup, executing.Arg(k.Position), out _);
            if (ids.Add(tracking.Id)) TotalItems++;
        }
        keys.Clear();
    }

    // ---- invalidation ------------------------------------------------------------------------------

    /// <summary>
    /// Redis' trackingInvalidateKey: <paramref name="key"/> changed (or expired, or was evicted; then
    /// <paramref name="writer"/> is null). Clients that read it are told and forgotten; with
    /// <paramref name="bcast"/> the key is also queued for the BCAST prefixes it falls under. The client whose
    /// command is running is told after its reply. Call only when <see cref="Active"/>.
    /// </summary>
    public void InvalidateKey(ReadOnlySpan<byte> key, Client? writer, bool bcast = true)
    {
        if (bcast && _prefixes.Count > 0) RememberKeyToBroadcast(writer, key);
        if (_table.Count == 0) return;
        if (!_table.GetAlternateLookup<ReadOnlySpan<byte>>().Remove(key, out var stored, out var ids)) return;
        TotalItems -= ids.Count;
        foreach (long id in ids.InRadixOrder())
        {
            var target = _server.Clients.Find(id);
            // A client that switched to BCAST meanwhile gets nothing for what it read before.
            if (target?.Tracking is not { On: true, Bcast: false } t) continue;
            if (t.NoLoop && target == CurrentClient) continue;
            if (target == CurrentClient && Executing) _pending.Add(stored);
            else Send(target, stored, proto: false);
        }
    }

    private void RememberKeyToBroadcast(Client? writer, ReadOnlySpan<byte> key)
    {
        byte[]? copy = null;
        foreach (var (prefix, bs) in _prefixes)
        {
            if (prefix.Length > key.Length || !key.StartsWith(prefix)) continue;
            bs.Keys[copy ??= key.ToArray()] = writer;
            _broadcastPending = true;
        }
    }

    /// <summary>
    /// Redis' trackingInvalidateKeysOnFlush (FLUSHDB, FLUSHALL, a full sync, DEBUG RELOAD): every tracking
    /// client gets a null key list, whatever database was flushed, and the table is emptied.
    /// </summary>
    public void InvalidateKeysOnFlush()
    {
        if (TrackingClients > 0)
        {
            foreach (var c in _server.Clients.OrderBy(x => x.Id).ToList())
            {
                if (c.Tracking is not { On: true }) continue;
                if (c == CurrentClient) _pending.Add(null);
                else Send(c, NullOf(c), proto: true);
            }
        }
        _table.Clear();
        TotalItems = 0;
    }

    private static byte[] NullOf(Client c) => c.Protocol == 2 ? "$-1\r\n"u8.ToArray() : "_\r\n"u8.ToArray();

    /// <summary>
    /// Redis' trackingHandlePendingKeyInvalidations: after the top-level command (after EXEC, not inside it),
    /// the invalidations for the client that ran it follow its reply.
    /// </summary>
    public void SendPending()
    {
        if (_pending.Count == 0) return;
        var c = CurrentClient;
        if (c is not null)
            foreach (var key in _pending)
                if (key is null) Send(c, NullOf(c), proto: true);
                else Send(c, key, proto: false);
        _pending.Clear();
    }

    /// <summary>
    /// Redis' trackingBroadcastInvalidationMessages, run before the server waits again (the end of a batch
    /// or of a cron slice): each prefix sends the keys modified under it to its clients, one message each.
    /// </summary>
    public void BroadcastInvalidations()
    {
        if (!_broadcastPending) return;
        _broadcastPending = false;
        foreach (var (_, bs) in _prefixes)
        {
            if (bs.Keys.Count > 0 && TrackingClients > 0)
            {
                var proto = BuildBroadcastReply(null, bs.Keys)!;
                foreach (var c in bs.Clients.ToArray())
                {
                    if (c.Tracking is { NoLoop: true })
                    {
                        var adhoc = BuildBroadcastReply(c, bs.Keys);
                        if (adhoc is not null) Send(c, adhoc, proto: true);
                    }
                    else Send(c, proto, proto: true);
                }
            }
            bs.Keys.Clear();
        }
    }

    /// <summary>Redis' trackingBuildBroadcastReply: the array of keys, without those <paramref name="c"/> modified; null when empty.</summary>
    private static byte[]? BuildBroadcastReply(Client? c, SortedDictionary<byte[], Client?> keys)
    {
        int count = 0;
        foreach (var (_, writer) in keys) if (c is null || writer != c) count++;
        if (count == 0) return null;
        var w = new ReplyBuffer(64 + keys.Count * 16);
        try
        {
            w.ArrayHeader(count);
            foreach (var (key, writer) in keys)
                if (c is null || writer != c) w.Bulk(key);
            return w.WrittenSpan.ToArray();
        }
        finally
        {
            w.Release();
        }
    }

    // ---- tracking-table-max-keys -------------------------------------------------------------------

    /// <summary>
    /// Redis' trackingLimitUsedSlots (before each command and from the cron): over tracking-table-max-keys,
    /// random keys are invalidated (their clients told, as if the keys changed) until the table fits, with an
    /// effort that grows each time it did not fit.
    /// </summary>
    public void LimitUsedSlots()
    {
        long max = _server.Config.TrackingTableMaxKeys;
        if (max == 0) return;
        if (_table.Count <= max)
        {
            _limitTimeoutCounter = 0;
            return;
        }
        int effort = 100 * (_limitTimeoutCounter + 1);
        while (effort-- > 0 && _table.Count > 0)
        {
            InvalidateKey(RandomKey(), null, bcast: false);
            if (_table.Count <= max)
            {
                _limitTimeoutCounter = 0;
                return;
            }
        }
        _limitTimeoutCounter++;
    }

    private byte[] RandomKey()
    {
        int skip = Random.Shared.Next(Math.Min(_table.Count, 64));
        foreach (var key in _table.Keys)
            if (skip-- == 0) return key;
        throw new InvalidOperationException("empty tracking table");
    }

    // ---- sending -----------------------------------------------------------------------------------

    private enum Kind : byte { Push, Channel, BrokenRedirect }

    private readonly record struct Message(Kind Kind, byte[]? Payload, bool Proto, long Id);

    /// <summary>
    /// Redis' sendTrackingMessage: to the client, or to the one it redirects to (a RESP3 push, or a
    /// __redis__:invalidate message for a RESP2 client in subscribe mode). A redirection to a client gone
    /// marks it broken and tells a RESP3 client so. <paramref name="proto"/>: the payload is already RESP.
    /// </summary>
    private void Send(Client c, byte[] payload, bool proto)
    {
        var target = c;
        bool redirected = false;
        if (c.Tracking is { Redirect: not 0 } t)
        {
            var redir = _server.Clients.Find(t.Redirect);
            if (redir is null)
            {
                t.BrokenRedirect = true;
                if (c.Protocol > 2) Write(c, new Message(Kind.BrokenRedirect, null, false, t.Redirect));
                return;
            }
            target = redir;
            redirected = true;
        }
        if (target.Protocol > 2) Write(target, new Message(Kind.Push, payload, proto, 0));
        else if (redirected && target.IsSubscribed) Write(target, new Message(Kind.Channel, payload, proto, 0));
    }

    /// <summary>A push is not a reply: CLIENT REPLY OFF/SKIP of the running command keeps it (Redis' CLIENT_PUSHING).</summary>
    private void Write(Client target, Message m)
    {
        target.BeginPush();
        if (target is ClientConnection conn)
        {
            if (conn.TryWriteFromOutside(m, WriteMessage)) _output.Request(conn);
        }
        else WriteMessage(target.Reply, m);
        target.EndPush();
    }

    private static void WriteMessage(ReplyBuffer r, Message m)
    {
        switch (m.Kind)
        {
            case Kind.BrokenRedirect:
                r.WriteRaw(">2\r\n$21\r\ntracking-redir-broken\r\n"u8);
                r.Integer(m.Id);
                return;
            case Kind.Push:
                r.WriteRaw(">2\r\n$10\r\ninvalidate\r\n"u8);
                break;
            default:
                r.WriteRaw("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"u8);
                break;
        }
        if (m.Proto) r.WriteRaw(m.Payload);
        else
        {
            r.WriteRaw("*1\r\n"u8);
            r.Bulk(m.Payload);
        }
    }
}
