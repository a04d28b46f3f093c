using Cinnabar.Blocking;
using Cinnabar.DataTypes;
using Cinnabar.Keyspace;

namespace Cinnabar.Commands;

/// <summary>XREAD and XREADGROUP, including blocking.</summary>
public static partial class StreamCommands
{
    /// <summary>Parsed XREAD/XREADGROUP call; kept by a blocked client to retry when a key is signalled.</summary>
    private sealed class ReadRequest
    {
        public bool Group;
        public long Count;
        public bool NoAck;
        public byte[]? GroupName, ConsumerName;
        public byte[][] Keys = [];
        /// <summary>Entries must be greater than these; Max means "&gt;" for groups.</summary>
        public StreamId[] Ids = [];
    }

    private static void XRead(Client c) => ReadCommand(c, false);
    private static void XReadGroup(Client c) => ReadCommand(c, true);

    private static void ReadCommand(Client c, bool xreadgroup)
    {
        long timeout = -1, count = 0;
        int streamsArg = 0, streamsCount = 0;
        bool noack = false;
        int groupArg = -1, consumerArg = -1;
        for (int i = 1; i < c.ArgCount; i++)
        {
            int more = c.ArgCount - i - 1;
            if (c.ArgIs(i, "block"u8) && more > 0)
            {
                i++;
                if (!c.TryGetLong(i, out timeout, "ERR timeout is not an integer or out of range")) return;
                if (timeout < 0) { c.Reply.Error("ERR timeout is negative"); return; }
            }
            else if (c.ArgIs(i, "count"u8) && more > 0)
            {
                i++;
                if (!c.TryGetLong(i, out count)) return;
                if (count < 0) count = 0;
            }
            else if (c.ArgIs(i, "streams"u8) && more > 0)
            {
                streamsArg = i + 1;
                streamsCount = c.ArgCount - streamsArg;
                if (streamsCount % 2 != 0)
                {
                    var msg = new List<byte>();
                    foreach (var b in "ERR Unbalanced "u8) msg.Add(b);
                    AppendCString(msg, c.Arg(0));
                    foreach (var b in xreadgroup ? " list of streams: for each stream key an ID or '>' must be specified."u8 : " list of streams: for each stream key an ID or '$' must be specified."u8) msg.Add(b);
                    c.Reply.Error(msg.ToArray());
                    return;
                }
                streamsCount /= 2;
                break;
            }
            else if (c.ArgIs(i, "group"u8) && more >= 2)
            {
                if (!xreadgroup) { c.Reply.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."); return; }
                groupArg = i + 1;
                consumerArg = i + 2;
                i += 2;
            }
            else if (c.ArgIs(i, "noack"u8))
            {
                if (!xreadgroup) { c.Reply.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."); return; }
                noack = true;
            }
            else { c.SyntaxError(); return; }
        }
        if (streamsArg == 0) { c.SyntaxError(); return; }
        if (xreadgroup && groupArg < 0) { c.Reply.Error("ERR Missing GROUP option for XREADGROUP"); return; }

        // IDs live on the stack; a ReadRequest (with copies) is only built if the client blocks.
        Span<StreamId> ids = streamsCount <= 32 ? stackalloc StreamId[streamsCount] : new StreamId[streamsCount];
        var groupName = groupArg >= 0 ? c.Arg(groupArg) : default;
        for (int k = 0; k < streamsCount; k++)
        {
            int keyArg = streamsArg + k, idArg = streamsArg + streamsCount + k;
            var key = c.Arg(keyArg);
            if (!c.TryReadKey(key, out StreamValue? s)) return;
            if (xreadgroup && (s is null || s.FindGroup(groupName) is null))
            {
                ErrorWith(c, "NOGROUP No such key '", keyArg, "' or consumer group '", groupArg, "' in XREADGROUP with GROUP option");
                return;
            }
            var idText = c.Arg(idArg);
            if (idText.Length == 1 && idText[0] == '$')
            {
                if (xreadgroup)
                {
                    c.Reply.Error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
                    return;
                }
                ids[k] = s?.LastId ?? StreamId.Min;
            }
            else if (idText.Length == 1 && idText[0] == '>')
            {
                if (!xreadgroup)
                {
                    c.Reply.Error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
                    return;
                }
                ids[k] = StreamId.Max;
            }
            else if (!TryParseId(c, idArg, 0, true, out ids[k])) return;
        }
        var consumerName = consumerArg >= 0 ? c.Arg(consumerArg) : default;
        if (TryServe(c, streamsArg, ids, xreadgroup, groupName, consumerName, count, noack)) return;

        if (timeout != -1)
        {
            if (c.DenyBlocking) { c.Reply.NullArray(); return; }
            // Blocking IDs are fixed now: "$" already resolved; ">" stays Max and follows the group.
            // 7.0 has no range check here; saturate instead of wrapping.
            long at = timeout == 0 ? 0 : timeout > long.MaxValue - Now(c) ? long.MaxValue : Now(c) + timeout;
            var req = new ReadRequest
            {
                Group = xreadgroup, Count = count, NoAck = noack, Ids = ids.ToArray(),
                Keys = new byte[streamsCount][],
                GroupName = xreadgroup ? groupName.ToArray() : null,
                ConsumerName = xreadgroup ? consumerName.ToArray() : null,
            };
            for (int k = 0; k < streamsCount; k++) req.Keys[k] = c.ArgArray(streamsArg + k);
            c.Server.Blocking.Block(c, req.Keys, at, new BlockedRead(req));
            return;
        }
        c.Reply.NullArray();
    }

    /// <summary>
    /// Serves every stream of the request that has something to return, as one reply (a map in RESP3).
    /// Returns false, writing nothing, when no stream can be served.
    /// </summary>
    private static bool TryServe(Client c, int streamsArg, ReadOnlySpan<StreamId> ids, bool group,
        ReadOnlySpan<byte> groupName, ReadOnlySpan<byte> consumerName, long count, bool noack)
    {
        int n = ids.Length;
        long now = Now(c);
        // First pass: which streams are served, and from where. No reply written yet.
        Span<bool> serve = n <= 64 ? stackalloc bool[n] : new bool[n];
        Span<StreamId> starts = n <= 32 ? stackalloc StreamId[n] : new StreamId[n];
        int served = 0;
        for (int k = 0; k < n; k++)
        {
            int idx = c.Db.FindForRead(c.Arg(streamsArg + k));
            if (idx < 0 || c.Db.EntryAt(idx).Value is not StreamValue s) continue;
            var gt = ids[k];
            bool sync = false;
            if (group)
            {
                var g = s.FindGroup(groupName);
                if (g is null) continue;
                if (gt != StreamId.Max) sync = true; // history: always answered, even if empty
                else if (s.Length > 0 && s.LastEntryId > g.LastId) { sync = true; gt = g.LastId; }
            }
            else if (s.Length > 0 && s.LastEntryId > gt) sync = true;
            if (!sync) continue;
            serve[k] = true;
            starts[k] = gt;
            served++;
        }
        if (served == 0) return false;

        var r = c.Reply;
        if (r.Resp3) r.MapHeader(served); else r.ArrayHeader(served);
        for (int k = 0; k < n; k++)
        {
            int idx = c.Db.FindForRead(c.Arg(streamsArg + k));
            if (idx < 0 || c.Db.EntryAt(idx).Value is not StreamValue s) continue;
            if (!serve[k]) continue;
            StreamGroup? g = null;
            StreamConsumer? consumer = null;
            var key = c.Arg(streamsArg + k);
            if (group)
            {
                // Redis 7.0 creates (and refreshes) the consumer only for streams it serves.
                g = s.FindGroup(groupName);
                if (g is null) continue;
                consumer = GetConsumer(c, g, consumerName, key, now, noack);
                consumer.SeenTime = now;
            }
            if (!r.Resp3) r.ArrayHeader(2);
            r.Bulk(key);
            var gt = starts[k];
            bool history = group && ids[k] != StreamId.Max;
            if (!gt.TryIncrement(out var start)) { r.ArrayHeader(0); continue; }
            if (history) ReplyFromConsumerPel(c, s, consumer!, start, count, now);
            else if (g is not null) ReplyNewForGroup(c, key, s, g, consumer!, start, count, noack, now);
            else ReplyRange(c, s, start, StreamId.Max, false, count);
            if (group) c.Dirty();
        }
        // XREADGROUP reaches replicas only as the XCLAIM/XGROUP effects above, never itself (Redis'
        // preventCommandPropagation), even when it only created a consumer or re-read its history.
        if (group) c.PropagateOverride = true;
        return true;
    }

    /// <summary>
    /// Finds or creates a consumer; creation counts as a write and emits xgroup-createconsumer. Redis 7.0
    /// tells replicas about the creation only for NOACK reads: otherwise the XCLAIMs create it there.
    /// </summary>
    private static StreamConsumer GetConsumer(Client c, StreamGroup g, ReadOnlySpan<byte> name, ReadOnlySpan<byte> key, long now, bool noack = false)
    {
        var consumer = g.GetOrCreateConsumer(name, now, out bool created);
        if (created)
        {
            if (noack) Propagate(c, ["XGROUP"u8.ToArray(), "CREATECONSUMER"u8.ToArray(), key.ToArray(), g.Name, consumer.Name]);
            c.Dirty();
            c.Notify(NotifyFlags.Stream, "xgroup-createconsumer", key);
        }
        return consumer;
    }

    /// <summary>XREADGROUP with an explicit ID: the consumer's own pending entries from <paramref name="start"/>.</summary>
    private static void ReplyFromConsumerPel(Client c, StreamValue s, StreamConsumer consumer, StreamId start, long count, long now)
    {
        var view = StreamGroup.Between(consumer.Pending, start, StreamId.Max);
        long n = count == 0 ? view.Count : Math.Min(count, view.Count);
        c.Reply.ArrayHeader(n);
        long i = 0;
        foreach (var pe in view)
        {
            if (i++ >= n) break;
            if (WriteEntryById(c.Reply, s, pe.Id))
            {
                pe.DeliveryTime = now;
                pe.DeliveryCount++;
            }
            else
            {
                // Deleted from the stream but still pending: the ID with a null body.
                c.Reply.ArrayHeader(2);
                pe.Id.WriteBulk(c.Reply);
                c.Reply.NullArray();
            }
        }
    }

    /// <summary>XREADGROUP "&gt;": new entries after <paramref name="start"/>, advancing the group and filling the PELs.</summary>
    private static void ReplyNewForGroup(Client c, ReadOnlySpan<byte> key, StreamValue s, StreamGroup g, StreamConsumer consumer, StreamId start, long count, bool noack, long now)
    {
        long n = CountRange(s, start, StreamId.Max, false, count);
        c.Reply.ArrayHeader(n);
        var it = s.Iterate(start, StreamId.Max, false);
        var before = g.LastId;
        for (long i = 0; i < n && it.MoveNext(); i++)
        {
            var id = it.Id;
            s.GroupDelivered(g, id);
            WriteEntry(c.Reply, it.Node, it.Index, id);
            if (noack) continue;
            var pe = g.FindPending(id);
            if (pe is null)
            {
                pe = new PendingEntry(id) { Consumer = consumer, DeliveryTime = now, DeliveryCount = 1 };
                g.Pending.Add(pe);
                consumer.Pending.Add(pe);
            }
            else
            {
                // Already pending (the group's ID was moved back with SETID): hand it to this consumer.
                pe.Consumer?.Pending.Remove(pe);
                pe.Consumer = consumer;
                pe.DeliveryTime = now;
                pe.DeliveryCount = 1;
                consumer.Pending.Add(pe);
            }
            PropagateClaim(c, key, g, pe);
        }
        // Redis 7.0 moves the replicas' group ID with the XCLAIMs' LASTID; only NOACK reads, which
        // claim nothing, send XGROUP SETID (7.2 sends it always).
        if (noack && g.LastId != before) PropagateGroupId(c, key, g);
    }

    /// <summary>A parked XREAD/XREADGROUP: retried when one of its streams gets new data.</summary>
    private sealed class BlockedRead(ReadRequest req) : BlockedOperation
    {
        public override bool OthersMayStillBeServed => true;

        /// <summary>
        /// As Redis' serveClientsBlockedOnStreamKey: only the ready key is served (a one-stream reply);
        /// a group that disappeared (XGROUP DESTROY) unblocks the client with -NOGROUP.
        /// </summary>
        public override bool TryServe(Client client, byte[] readyKey)
        {
            int k = 0;
            while (k < req.Keys.Length && !req.Keys[k].AsSpan().SequenceEqual(readyKey)) k++;
            if (k == req.Keys.Length) return false;
            int idx = client.Db.Find(readyKey);
            if (idx < 0 || client.Db.EntryAt(idx).Value is not StreamValue s)
            {
                // Deleted, expired, flushed, renamed away or overwritten: the group went with it, so a
                // group reader is answered now (Redis' unblockDeletedStreamReadgroupClients); XREAD waits on.
                if (!req.Group) return false;
                client.Reply.Error("UNBLOCKED the stream key no longer exists");
                return true;
            }
            StreamGroup? g = null;
            var gt = req.Ids[k];
            if (req.Group)
            {
                g = s.FindGroup(req.GroupName);
                if (g is null)
                {
                    client.Reply.Error("NOGROUP the consumer group this client was blocked on no longer exists");
                    return true;
                }
                gt = g.LastId;
            }
            if (s.LastId <= gt || !gt.TryIncrement(out var start)) return false;
            long now = Now(client);
            var r = client.Reply;
            if (r.Resp3) r.MapHeader(1);
            else { r.ArrayHeader(1); r.ArrayHeader(2); }
            r.Bulk(readyKey);
            if (g is not null)
            {
                var consumer = GetConsumer(client, g, req.ConsumerName!, readyKey, now, req.NoAck);
                consumer.SeenTime = now;
                ReplyNewForGroup(client, readyKey, s, g, consumer, start, req.Count, req.NoAck, now);
                client.Dirty();
            }
            else ReplyRange(client, s, start, StreamId.Max, false, req.Count);
            return true;
        }

        public override void ReplyTimeout(Client client) => client.Reply.NullArray();
    }
}
