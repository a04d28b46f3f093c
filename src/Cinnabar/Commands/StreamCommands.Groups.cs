using Cinnabar.DataTypes;
using Cinnabar.Keyspace;

namespace Cinnabar.Commands;

/// <summary>Consumer groups: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, and XINFO.</summary>
public static partial class StreamCommands
{
    private static void XGroupHelp(Client c) => WriteHelp(c,
        "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        "HELP",
        "    Prints this help.");

    private static void XInfoHelp(Client c) => WriteHelp(c,
        "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        "HELP",
        "    Prints this help.");

    private static void WriteHelp(Client c, params string[] lines)
    {
        c.Reply.ArrayHeader(lines.Length);
        foreach (var l in lines) c.Reply.SimpleString(l);
    }

    private static bool TryEntriesRead(Client c, int arg, out long entriesRead)
    {
        if (!c.TryGetLong(arg, out entriesRead)) return false;
        if (entriesRead < 0 && entriesRead != StreamGroup.InvalidEntriesRead)
        {
            c.Reply.Error("ERR value for ENTRIESREAD must be positive or -1");
            return false;
        }
        return true;
    }

    private static void XGroup(Client c)
    {
        bool create = c.ArgIs(1, "create"u8), setid = c.ArgIs(1, "setid"u8);
        bool mkstream = false;
        long entriesRead = StreamGroup.InvalidEntriesRead;
        if (create)
        {
            int i = 5;
            while (i < c.ArgCount)
            {
                if (c.ArgIs(i, "mkstream"u8)) { mkstream = true; i++; }
                else if (c.ArgIs(i, "entriesread"u8) && i + 1 < c.ArgCount)
                {
                    if (!TryEntriesRead(c, i + 1, out entriesRead)) return;
                    i += 2;
                }
                else { SubcommandSyntaxError(c); return; }
            }
        }
        else if (setid)
        {
            if (c.ArgCount == 7)
            {
                if (!c.ArgIs(5, "entriesread"u8)) { SubcommandSyntaxError(c); return; }
                if (!TryEntriesRead(c, 6, out entriesRead)) return;
            }
            else if (c.ArgCount != 5) { SubcommandSyntaxError(c); return; }
        }

        var key = c.Arg(2);
        if (!c.TryWriteKey(key, out StreamValue? s)) return;
        StreamGroup? g = null;
        if (!mkstream)
        {
            if (s is null)
            {
                c.Reply.Error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
                return;
            }
            g = s.FindGroup(c.Arg(3));
            if (g is null && !create && !c.ArgIs(1, "destroy"u8))
            {
                ErrorWith(c, "NOGROUP No such consumer group '", 3, "' for key name '", 2, "'");
                return;
            }
        }

        if (create)
        {
            if (c.ArgCount > 8) { SubcommandSyntaxError(c); return; }
            StreamId id;
            var idText = c.Arg(4);
            if (idText.Length == 1 && idText[0] == '$') id = s?.LastId ?? StreamId.Min;
            else if (!TryParseId(c, 4, 0, true, out id)) return;
            if (s is null)
            {
                s = new StreamValue();
                c.Db.Add(key, s);
                c.KeyModified(key);
            }
            s.Groups ??= new NamedSortedList<StreamGroup>();
            if (s.Groups.Find(c.Arg(3)) is not null) { c.Reply.Error("BUSYGROUP Consumer Group name already exists"); return; }
            s.Groups.Add(new StreamGroup(c.ArgArray(3), id, entriesRead));
            c.Reply.Ok();
            c.Dirty();
            c.Notify(NotifyFlags.Stream, "xgroup-create", key);
        }
        else if (setid)
        {
            StreamId id;
            var idText = c.Arg(4);
            if (idText.Length == 1 && idText[0] == '$') id = s!.LastId;
            else if (!TryParseId(c, 4, 0, false, out id)) return;
            g!.LastId = id;
            g.EntriesRead = entriesRead;
            c.Reply.Ok();
            c.Dirty();
            c.Notify(NotifyFlags.Stream, "xgroup-setid", key);
        }
        else if (c.ArgIs(1, "destroy"u8))
        {
            if (g is null) { c.Reply.Integer(0); return; }
            s!.Groups!.Remove(g.Name);
            c.Reply.Integer(1);
            c.Dirty();
            c.Notify(NotifyFlags.Stream, "xgroup-destroy", key);
            // Consumers blocked in XREADGROUP on this group get woken to receive -NOGROUP.
            c.Server.Blocking.SignalKeyReady(c.Db, key);
        }
        else if (c.ArgIs(1, "createconsumer"u8))
        {
            var name = c.Arg(4);
            if (g!.FindConsumer(name) is not null) { c.Reply.Integer(0); return; }
            GetConsumer(c, g, name, key, Now(c));
            c.Reply.Integer(1);
        }
        else // delconsumer
        {
            var consumer = g!.FindConsumer(c.Arg(4));
            if (consumer is null) { c.Reply.Integer(0); return; }
            long pending = consumer.Pending.Count;
            foreach (var pe in consumer.Pending) g.Pending.Remove(pe);
            g.Consumers.Remove(consumer.Name);
            c.Reply.Integer(pending);
            c.Dirty();
            c.Notify(NotifyFlags.Stream, "xgroup-delconsumer", key);
        }
    }

    // ---- replication: Redis propagates consumer-group state changes as idempotent XCLAIM / XGROUP SETID ----

    private static byte[] IdBytes(StreamId id)
    {
        Span<byte> tmp = stackalloc byte[48];
        return tmp[..id.Format(tmp)].ToArray();
    }

    private static byte[] NumberBytes(long n) => System.Text.Encoding.ASCII.GetBytes(n.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID LASTID group-last-id.</summary>
    private static void PropagateClaim(Client c, ReadOnlySpan<byte> key, StreamGroup g, PendingEntry pe)
        => Propagate(c, ["XCLAIM"u8.ToArray(), key.ToArray(), g.Name, pe.Consumer?.Name ?? [], "0"u8.ToArray(), IdBytes(pe.Id),
            "TIME"u8.ToArray(), NumberBytes(pe.DeliveryTime), "RETRYCOUNT"u8.ToArray(), NumberBytes(pe.DeliveryCount),
            "FORCE"u8.ToArray(), "JUSTID"u8.ToArray(), "LASTID"u8.ToArray(), IdBytes(g.LastId)]);

    /// <summary>XGROUP SETID key group last-id ENTRIESREAD n.</summary>
    private static void PropagateGroupId(Client c, ReadOnlySpan<byte> key, StreamGroup g)
        => Propagate(c, ["XGROUP"u8.ToArray(), "SETID"u8.ToArray(), key.ToArray(), g.Name, IdBytes(g.LastId),
            "ENTRIESREAD"u8.ToArray(), NumberBytes(g.EntriesRead)]);

    private static void XAck(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out StreamValue? s)) return;
        var g = s?.FindGroup(c.Arg(2));
        if (g is null) { c.Reply.Integer(0); return; }
        Span<StreamId> ids = c.ArgCount - 3 <= 64 ? stackalloc StreamId[c.ArgCount - 3] : new StreamId[c.ArgCount - 3];
        for (int j = 3; j < c.ArgCount; j++)
            if (!TryParseId(c, j, 0, true, out ids[j - 3])) return;
        long acked = 0;
        foreach (var id in ids)
        {
            var pe = g.FindPending(id);
            if (pe is null) continue;
            g.Pending.Remove(pe);
            pe.Consumer?.Pending.Remove(pe);
            acked++;
            c.Dirty();
        }
        c.Reply.Integer(acked);
    }

    private static void XPending(Client c)
    {
        bool summary = c.ArgCount == 3;
        if (c.ArgCount != 3 && (c.ArgCount < 6 || c.ArgCount > 9)) { c.SyntaxError(); return; }
        long count = 0, minIdle = 0;
        StreamId start = default, end = default;
        int consumerArg = -1;
        if (c.ArgCount >= 6)
        {
            int startIdx = 3;
            if (c.ArgIs(3, "idle"u8))
            {
                if (!c.TryGetLong(4, out minIdle)) return;
                if (c.ArgCount < 8) { c.SyntaxError(); return; }
                startIdx += 2;
            }
            if (!c.TryGetLong(startIdx + 2, out count)) return;
            if (count < 0) count = 0;
            if (!TryRangeStart(c, startIdx, out start)) return;
            if (!TryRangeEnd(c, startIdx + 1, out end)) return;
            if (startIdx + 3 < c.ArgCount) consumerArg = startIdx + 3;
        }
        if (!c.TryReadKey(c.Arg(1), out StreamValue? s)) return;
        var g = s?.FindGroup(c.Arg(2));
        if (g is null) { NoGroup(c, 1, 2); return; }
        var r = c.Reply;
        if (summary)
        {
            r.ArrayHeader(4);
            r.Integer(g.Pending.Count);
            if (g.Pending.Count == 0)
            {
                r.Null();
                r.Null();
                r.NullArray();
                return;
            }
            g.Pending.Min!.Id.WriteBulk(r);
            g.Pending.Max!.Id.WriteBulk(r);
            int withPending = 0;
            foreach (var cons in g.Consumers) if (cons.Pending.Count > 0) withPending++;
            r.ArrayHeader(withPending);
            foreach (var cons in g.Consumers)
            {
                if (cons.Pending.Count == 0) continue;
                r.ArrayHeader(2);
                r.Bulk(cons.Name);
                r.BulkInteger(cons.Pending.Count);
            }
            return;
        }
        SortedSet<PendingEntry> pel = g.Pending;
        if (consumerArg >= 0)
        {
            var cons = g.FindConsumer(c.Arg(consumerArg));
            if (cons is null) { r.ArrayHeader(0); return; }
            pel = cons.Pending;
        }
        long now = Now(c);
        var selected = new List<PendingEntry>();
        if (count > 0)
        {
            foreach (var pe in StreamGroup.Between(pel, start, end))
            {
                if (minIdle != 0 && now - pe.DeliveryTime < minIdle) continue;
                selected.Add(pe);
                if (selected.Count >= count) break;
            }
        }
        r.ArrayHeader(selected.Count);
        foreach (var pe in selected)
        {
            r.ArrayHeader(4);
            pe.Id.WriteBulk(r);
            r.Bulk(pe.Consumer!.Name);
            r.Integer(Math.Max(0, now - pe.DeliveryTime));
            r.Integer(pe.DeliveryCount);
        }
    }

    private static void XClaim(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out StreamValue? s)) return;
        var g = s?.FindGroup(c.Arg(2));
        if (s is null || g is null) { NoGroup(c, 1, 2); return; }
        if (!c.TryGetLong(4, out long minIdle, "ERR Invalid min-idle-time argument for XCLAIM")) return;
        if (minIdle < 0) minIdle = 0;
        int j = 5;
        var ids = new List<StreamId>();
        for (; j < c.ArgCount; j++)
        {
            if (!StreamId.TryParse(c.Arg(j), 0, true, out var id)) break;
            ids.Add(id);
        }
        long now = Now(c);
        long retryCount = -1, deliveryTime = -1;
        bool force = false, justId = false;
        StreamId lastId = default;
        for (; j < c.ArgCount; j++)
        {
            bool more = j + 1 < c.ArgCount;
            if (c.ArgIs(j, "force"u8)) force = true;
            else if (c.ArgIs(j, "justid"u8)) justId = true;
            else if (c.ArgIs(j, "idle"u8) && more)
            {
                if (!c.TryGetLong(++j, out deliveryTime, "ERR Invalid IDLE option argument for XCLAIM")) return;
                deliveryTime = now - deliveryTime;
            }
            else if (c.ArgIs(j, "time"u8) && more)
            {
                if (!c.TryGetLong(++j, out deliveryTime, "ERR Invalid TIME option argument for XCLAIM")) return;
            }
            else if (c.ArgIs(j, "retrycount"u8) && more)
            {
                if (!c.TryGetLong(++j, out retryCount, "ERR Invalid RETRYCOUNT option argument for XCLAIM")) return;
            }
            else if (c.ArgIs(j, "lastid"u8) && more)
            {
                if (!TryParseId(c, ++j, 0, true, out lastId)) return;
            }
            else
            {
                var msg = new List<byte>();
                foreach (var b in "ERR Unrecognized XCLAIM option '"u8) msg.Add(b);
                AppendCString(msg, c.Arg(j));
                msg.Add((byte)'\'');
                c.Reply.Error(msg.ToArray());
                return;
            }
        }
        bool propagateLastId = false;
        if (lastId > g.LastId) { g.LastId = lastId; propagateLastId = true; }
        if (deliveryTime != -1) { if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now; }
        else deliveryTime = now;

        var key = c.Arg(1);
        StreamConsumer? consumer = null;
        var claimed = new List<StreamId>();
        foreach (var id in ids)
        {
            var pe = g.FindPending(id);
            if (!s.Contains(id))
            {
                if (pe is not null)
                {
                    PropagateClaim(c, key, g, pe);
                    propagateLastId = false;
                    g.Pending.Remove(pe);
                    pe.Consumer?.Pending.Remove(pe);
                    c.Dirty();
                }
                continue;
            }
            if (force && pe is null)
            {
                pe = new PendingEntry(id);
                g.Pending.Add(pe);
            }
            if (pe is null) continue;
            if (pe.Consumer is not null && minIdle != 0 && now - pe.DeliveryTime < minIdle) continue;
            consumer ??= GetConsumer(c, g, c.Arg(3), key, now);
            consumer.SeenTime = now;
            if (pe.Consumer != consumer) pe.Consumer?.Pending.Remove(pe);
            pe.DeliveryTime = deliveryTime;
            if (retryCount >= 0) pe.DeliveryCount = retryCount;
            else if (!justId) pe.DeliveryCount++;
            if (pe.Consumer != consumer)
            {
                consumer.Pending.Add(pe);
                pe.Consumer = consumer;
            }
            claimed.Add(id);
            PropagateClaim(c, key, g, pe);
            propagateLastId = false;
            c.Dirty();
        }
        if (propagateLastId)
        {
            PropagateGroupId(c, key, g);
            c.Dirty();
        }
        c.Reply.ArrayHeader(claimed.Count);
        foreach (var id in claimed)
        {
            if (justId) id.WriteBulk(c.Reply);
            else if (!WriteEntryById(c.Reply, s, id)) c.Reply.NullArray();
        }
    }

    private static void XAutoClaim(Client c)
    {
        if (!c.TryGetLong(4, out long minIdle, "ERR Invalid min-idle-time argument for XAUTOCLAIM")) return;
        if (minIdle < 0) minIdle = 0;
        if (!TryRangeStart(c, 5, out var start)) return;
        long count = 100;
        bool justId = false;
        for (int j = 6; j < c.ArgCount; j++)
        {
            bool more = j + 1 < c.ArgCount;
            if (c.ArgIs(j, "count"u8) && more)
            {
                if (!Protocol.RespNumbers.TryParseInt64(c.Arg(j + 1), out count) || count < 1 || count > long.MaxValue / 16)
                {
                    c.Reply.Error("ERR COUNT must be > 0");
                    return;
                }
                j++;
            }
            else if (c.ArgIs(j, "justid"u8)) justId = true;
            else { c.SyntaxError(); return; }
        }
        if (!c.TryReadKey(c.Arg(1), out StreamValue? s)) return;
        var g = s?.FindGroup(c.Arg(2));
        if (s is null || g is null) { NoGroup(c, 1, 2); return; }

        long attempts = count * 10;
        long now = Now(c);
        var key = c.Arg(1);
        // Snapshot the candidates: the PEL changes while we walk it.
        var candidates = new List<PendingEntry>();
        foreach (var pe in StreamGroup.Between(g.Pending, start, StreamId.Max))
        {
            candidates.Add(pe);
            if (candidates.Count > attempts) break;
        }
        var claimed = new List<StreamId>();
        var deleted = new List<StreamId>();
        StreamConsumer? consumer = null;
        int examined = 0;
        while (attempts-- > 0 && count > 0 && examined < candidates.Count)
        {
            var pe = candidates[examined++];
            if (!s.Contains(pe.Id))
            {
                PropagateClaim(c, key, g, pe);
                g.Pending.Remove(pe);
                pe.Consumer?.Pending.Remove(pe);
                deleted.Add(pe.Id);
                count--;
                c.Dirty();
                continue;
            }
            if (minIdle != 0 && now - pe.DeliveryTime < minIdle) continue;
            consumer ??= GetConsumer(c, g, c.Arg(3), key, now);
            consumer.SeenTime = now;
            if (pe.Consumer != consumer)
            {
                pe.Consumer?.Pending.Remove(pe);
                consumer.Pending.Add(pe);
                pe.Consumer = consumer;
            }
            pe.DeliveryTime = now;
            if (!justId) pe.DeliveryCount++;
            claimed.Add(pe.Id);
            count--;
            PropagateClaim(c, key, g, pe);
            c.Dirty();
        }
        var cursor = examined < candidates.Count ? candidates[examined].Id : StreamId.Min;
        var r = c.Reply;
        r.ArrayHeader(3);
        cursor.WriteBulk(r);
        r.ArrayHeader(claimed.Count);
        foreach (var id in claimed)
        {
            if (justId) id.WriteBulk(r);
            else WriteEntryById(r, s, id);
        }
        r.ArrayHeader(deleted.Count);
        foreach (var id in deleted) id.WriteBulk(r);
    }

    // ---------------------------------------------------------------- XINFO

    private static void XInfo(Client c)
    {
        if (!c.TryReadKey(c.Arg(2), out StreamValue? s)) return;
        if (s is null) { c.Reply.Error(Errors.NoSuchKey); return; }
        var r = c.Reply;
        if (c.ArgIs(1, "consumers"u8))
        {
            var g = s.FindGroup(c.Arg(3));
            if (g is null) { ErrorWith(c, "NOGROUP No such consumer group '", 3, "' for key name '", 2, "'"); return; }
            long now = Now(c);
            r.ArrayHeader(g.Consumers.Count);
            foreach (var cons in g.Consumers)
            {
                r.MapHeader(3);
                r.Bulk("name"u8); r.Bulk(cons.Name);
                r.Bulk("pending"u8); r.Integer(cons.Pending.Count);
                r.Bulk("idle"u8); r.Integer(Math.Max(0, now - cons.SeenTime));
            }
        }
        else if (c.ArgIs(1, "groups"u8))
        {
            if (s.Groups is null) { r.ArrayHeader(0); return; }
            r.ArrayHeader(s.Groups.Count);
            foreach (var g in s.Groups)
            {
                r.MapHeader(6);
                r.Bulk("name"u8); r.Bulk(g.Name);
                r.Bulk("consumers"u8); r.Integer(g.Consumers.Count);
                r.Bulk("pending"u8); r.Integer(g.Pending.Count);
                r.Bulk("last-delivered-id"u8); g.LastId.WriteBulk(r);
                WriteEntriesReadAndLag(r, s, g);
            }
        }
        else XInfoStream(c, s);
    }

    private static void WriteEntriesReadAndLag(Protocol.ReplyBuffer r, StreamValue s, StreamGroup g)
    {
        r.Bulk("entries-read"u8);
        if (g.EntriesRead != StreamGroup.InvalidEntriesRead) r.Integer(g.EntriesRead); else r.Null();
        r.Bulk("lag"u8);
        var lag = s.GroupLag(g);
        if (lag is long l) r.Integer(l); else r.Null();
    }

    private static void XInfoStream(Client c, StreamValue s)
    {
        int optc = c.ArgCount - 3;
        bool full = optc > 0;
        long count = 10;
        if (full)
        {
            if ((optc != 1 && optc != 3) || !c.ArgIs(3, "full"u8)) { SubcommandSyntaxError(c); return; }
            if (optc == 3)
            {
                if (!c.ArgIs(4, "count"u8)) { SubcommandSyntaxError(c); return; }
                if (!c.TryGetLong(5, out count)) return;
                if (count < 0) count = 10;
            }
        }
        var r = c.Reply;
        r.MapHeader(full ? 9 : 10);
        r.Bulk("length"u8); r.Integer(s.Length);
        r.Bulk("radix-tree-keys"u8); r.Integer(s.NodeCount);
        r.Bulk("radix-tree-nodes"u8); r.Integer(StreamRaxEstimate.NodeCount(s));
        r.Bulk("last-generated-id"u8); s.LastId.WriteBulk(r);
        r.Bulk("max-deleted-entry-id"u8); s.MaxDeletedId.WriteBulk(r);
        r.Bulk("entries-added"u8); r.Integer((long)s.EntriesAdded);
        r.Bulk("recorded-first-entry-id"u8); s.FirstId.WriteBulk(r);
        if (!full)
        {
            r.Bulk("groups"u8); r.Integer(s.Groups?.Count ?? 0);
            r.Bulk("first-entry"u8);
            var it = s.Iterate(StreamId.Min, StreamId.Max, false);
            if (it.MoveNext()) WriteEntry(r, it.Node, it.Index, it.Id); else r.Null();
            r.Bulk("last-entry"u8);
            it = s.Iterate(StreamId.Min, StreamId.Max, true);
            if (it.MoveNext()) WriteEntry(r, it.Node, it.Index, it.Id); else r.Null();
            return;
        }
        r.Bulk("entries"u8);
        ReplyRange(c, s, StreamId.Min, StreamId.Max, false, count);
        r.Bulk("groups"u8);
        if (s.Groups is null) { r.ArrayHeader(0); return; }
        r.ArrayHeader(s.Groups.Count);
        foreach (var g in s.Groups)
        {
            r.MapHeader(7);
            r.Bulk("name"u8); r.Bulk(g.Name);
            r.Bulk("last-delivered-id"u8); g.LastId.WriteBulk(r);
            WriteEntriesReadAndLag(r, s, g);
            r.Bulk("pel-count"u8); r.Integer(g.Pending.Count);
            r.Bulk("pending"u8);
            r.ArrayHeader(count == 0 ? g.Pending.Count : Math.Min(count, g.Pending.Count));
            long n = 0;
            foreach (var pe in g.Pending)
            {
                if (count != 0 && n++ >= count) break;
                r.ArrayHeader(4);
                pe.Id.WriteBulk(r);
                r.Bulk(pe.Consumer!.Name);
                r.Integer(pe.DeliveryTime);
                r.Integer(pe.DeliveryCount);
            }
            r.Bulk("consumers"u8);
            r.ArrayHeader(g.Consumers.Count);
            foreach (var cons in g.Consumers)
            {
                r.MapHeader(4);
                r.Bulk("name"u8); r.Bulk(cons.Name);
                r.Bulk("seen-time"u8); r.Integer(cons.SeenTime);
                r.Bulk("pel-count"u8); r.Integer(cons.Pending.Count);
                r.Bulk("pending"u8);
                r.ArrayHeader(count == 0 ? cons.Pending.Count : Math.Min(count, cons.Pending.Count));
                n = 0;
                foreach (var pe in cons.Pending)
                {
                    if (count != 0 && n++ >= count) break;
                    r.ArrayHeader(3);
                    pe.Id.WriteBulk(r);
                    r.Integer(pe.DeliveryTime);
                    r.Integer(pe.DeliveryCount);
                }
            }
        }
    }
}
