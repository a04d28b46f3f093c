using Cinnabar.DataTypes;
using Cinnabar.Keyspace;
using Cinnabar.Protocol;

namespace Cinnabar.Commands;

/// <summary>Stream commands (XADD, XRANGE, XREAD, consumer groups, XINFO...), following Redis 7.0's t_stream.c.</summary>
public static partial class StreamCommands
{
    private const string InvalidId = "ERR Invalid stream ID specified as stream command argument";

    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("xadd", XAdd);
        yield return new("xlen", XLen);
        yield return new("xrange", XRange);
        yield return new("xrevrange", XRevRange);
        yield return new("xdel", XDel);
        yield return new("xtrim", XTrim);
        yield return new("xsetid", XSetId);
        yield return new("xread", XRead) { Keys = XReadKeys };
        yield return new("xreadgroup", XReadGroup) { Keys = XReadKeys };
        yield return new("xack", XAck);
        yield return new("xpending", XPending);
        yield return new("xclaim", XClaim);
        yield return new("xautoclaim", XAutoClaim);
        yield return new("xgroup|create", XGroup);
        yield return new("xgroup|setid", XGroup);
        yield return new("xgroup|destroy", XGroup);
        yield return new("xgroup|createconsumer", XGroup);
        yield return new("xgroup|delconsumer", XGroup);
        yield return new("xgroup|help", XGroupHelp);
        yield return new("xinfo|stream", XInfo);
        yield return new("xinfo|groups", XInfo);
        yield return new("xinfo|consumers", XInfo);
        yield return new("xinfo|help", XInfoHelp);
    }

    /// <summary>Keys of XREAD/XREADGROUP: the first half of the arguments after STREAMS.</summary>
    /// <summary>
    /// Redis' xreadGetKeys, used when the STREAMS key spec does not apply: the options are skipped to
    /// find the real STREAMS (a group or consumer may be called "streams"); half the rest are keys.
    /// </summary>
    private static void XReadKeys(Client c, List<KeyReference> keys)
    {
        int streams = -1;
        for (int i = 1; i < c.ArgCount; i++)
        {
            if (c.ArgIs(i, "block"u8) || c.ArgIs(i, "count"u8)) i++;
            else if (c.ArgIs(i, "group"u8)) i += 2;
            else if (c.ArgIs(i, "noack"u8)) { }
            else if (c.ArgIs(i, "streams"u8)) { streams = i; break; }
            else break;
        }
        int num = c.ArgCount - streams - 1;
        if (streams == -1 || num == 0 || num % 2 != 0) return;
        for (int i = streams + 1; i < c.ArgCount - num / 2; i++) keys.Add(new(i, KeySpecFlags.None));
    }

    // ---------------------------------------------------------------- helpers

    private static long Now(Client c) => c.Server.KeyspaceState.NowMs;

    private static bool TryParseId(Client c, int arg, ulong missingSeq, bool strict, out StreamId id)
    {
        if (StreamId.TryParse(c.Arg(arg), missingSeq, strict, out id)) return true;
        c.Reply.Error(InvalidId);
        return false;
    }

    /// <summary>Interval bound: "(" prefix excludes (Redis 6.2+), "-"/"+" allowed unless excluded.</summary>
    private static bool TryParseIntervalId(Client c, int arg, ulong missingSeq, out StreamId id, out bool exclusive)
    {
        var s = c.Arg(arg);
        exclusive = s.Length > 1 && s[0] == '(';
        bool ok = exclusive ? StreamId.TryParse(s[1..], missingSeq, true, out id) : StreamId.TryParse(s, missingSeq, false, out id);
        if (!ok) c.Reply.Error(InvalidId);
        return ok;
    }

    private static bool TryRangeStart(Client c, int arg, out StreamId id)
    {
        if (!TryParseIntervalId(c, arg, 0, out id, out bool ex)) return false;
        if (ex && !id.TryIncrement(out id)) { c.Reply.Error("ERR invalid start ID for the interval"); return false; }
        return true;
    }

    private static bool TryRangeEnd(Client c, int arg, out StreamId id)
    {
        if (!TryParseIntervalId(c, arg, ulong.MaxValue, out id, out bool ex)) return false;
        if (ex && !id.TryDecrement(out id)) { c.Reply.Error("ERR invalid end ID for the interval"); return false; }
        return true;
    }

    /// <summary>Writes [id, [field, value, ...]].</summary>
    private static void WriteEntry(ReplyBuffer r, StreamNode node, int index, StreamId id)
    {
        r.ArrayHeader(2);
        id.WriteBulk(r);
        var fields = node.Fields(index);
        r.ArrayHeader(fields.Count * 2L);
        while (fields.MoveNext())
        {
            r.Bulk(fields.Field);
            r.Bulk(fields.Value);
        }
    }

    /// <summary>Writes the single entry <paramref name="id"/> if it exists; false otherwise (nothing written).</summary>
    private static bool WriteEntryById(ReplyBuffer r, StreamValue s, StreamId id)
    {
        var it = s.Iterate(id, id, false);
        if (!it.MoveNext()) return false;
        WriteEntry(r, it.Node, it.Index, it.Id);
        return true;
    }

    private static long CountRange(StreamValue s, StreamId start, StreamId end, bool rev, long count)
    {
        long n = 0;
        var it = s.Iterate(start, end, rev);
        while ((count == 0 || n < count) && it.MoveNext()) n++;
        return n;
    }

    /// <summary>Writes an array of entries in [start, end] (count 0 = all).</summary>
    private static void ReplyRange(Client c, StreamValue s, StreamId start, StreamId end, bool rev, long count)
    {
        long n = CountRange(s, start, end, rev, count);
        c.Reply.ArrayHeader(n);
        var it = s.Iterate(start, end, rev);
        for (long i = 0; i < n && it.MoveNext(); i++) WriteEntry(c.Reply, it.Node, it.Index, it.Id);
    }

    /// <summary>Copies <paramref name="s"/> up to its first NUL, as Redis' %s formatting of a C string does.</summary>
    private static void AppendCString(List<byte> dest, ReadOnlySpan<byte> s)
    {
        int nul = s.IndexOf((byte)0);
        if (nul >= 0) s = s[..nul];
        foreach (var b in s) dest.Add(b);
    }

    /// <summary>Builds an error from text pieces and binary arguments (NOGROUP messages name keys and groups).</summary>
    private static void ErrorWith(Client c, string a, int arg1, string b, int arg2 = -1, string tail = "")
    {
        var msg = new List<byte>(64);
        foreach (var ch in System.Text.Encoding.UTF8.GetBytes(a)) msg.Add(ch);
        AppendCString(msg, c.Arg(arg1));
        foreach (var ch in System.Text.Encoding.UTF8.GetBytes(b)) msg.Add(ch);
        if (arg2 >= 0) AppendCString(msg, c.Arg(arg2));
        foreach (var ch in System.Text.Encoding.UTF8.GetBytes(tail)) msg.Add(ch);
        c.Reply.Error(msg.ToArray());
    }

    private static void NoGroup(Client c, int keyArg, int groupArg)
        => ErrorWith(c, "NOGROUP No such key '", keyArg, "' or consumer group '", groupArg, "'");

    private static void SubcommandSyntaxError(Client c)
    {
        var msg = new List<byte>(96);
        foreach (var ch in "ERR unknown subcommand or wrong number of arguments for '"u8) msg.Add(ch);
        var sub = c.Arg(1);
        AppendCString(msg, sub.Length > 128 ? sub[..128] : sub);
        var cmd = c.CurrentCommand?.Parent?.Name ?? "xgroup";
        foreach (var ch in System.Text.Encoding.UTF8.GetBytes("'. Try " + cmd.ToUpperInvariant() + " HELP.")) msg.Add(ch);
        c.Reply.Error(msg.ToArray());
    }

    private static void Changed(Client c, ReadOnlySpan<byte> key, string @event, long dirty = 1)
    {
        c.KeyModified(key);
        c.Dirty(dirty);
        c.Notify(NotifyFlags.Stream, @event, key);
    }

    // ---------------------------------------------------------------- XADD / XTRIM

    /// <summary>XADD's field/value arguments, read in place from the request.</summary>
    private readonly struct ArgFields(Client c, int first, int count) : IStreamFields
    {
        public int Count => count;
        public ReadOnlySpan<byte> this[int index] => c.Arg(first + index);
    }

    private struct TrimArgs
    {
        public bool Maxlen, Minid, Approx, NoMkStream, IdGiven, SeqStar;
        public long MaxLen, Limit;
        /// <summary>Argument index of the MAXLEN/MINID value (the "~"/"=" precedes it when given).</summary>
        public int TrimArgIndex;
        public StreamId MinId, Id;
        public bool HasStrategy => Maxlen || Minid;
    }

    /// <summary>Parses XADD/XTRIM options as streamParseAddOrTrimArgsOrReply; returns the ID position for XADD, -1 on error.</summary>
    private static int ParseAddOrTrimArgs(Client c, ref TrimArgs a, bool xadd)
    {
        int i = 2;
        bool limitGiven = false;
        for (; i < c.ArgCount; i++)
        {
            int more = c.ArgCount - 1 - i;
            var opt = c.Arg(i);
            if (xadd && opt.Length == 1 && opt[0] == '*') break;
            bool isMaxlen = c.ArgIs(i, "maxlen"u8), isMinid = !isMaxlen && c.ArgIs(i, "minid"u8);
            if ((isMaxlen || isMinid) && more > 0)
            {
                if (a.HasStrategy)
                {
                    c.Reply.Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
                    return -1;
                }
                a.Approx = false;
                var next = c.Arg(i + 1);
                if (more >= 2 && next.Length == 1 && next[0] == '~') { a.Approx = true; i++; }
                else if (more >= 2 && next.Length == 1 && next[0] == '=') i++;
                if (isMaxlen)
                {
                    if (!c.TryGetLong(i + 1, out a.MaxLen)) return -1;
                    if (a.MaxLen < 0) { c.Reply.Error("ERR The MAXLEN argument must be >= 0."); return -1; }
                    a.Maxlen = true;
                }
                else
                {
                    if (!TryParseId(c, i + 1, 0, true, out a.MinId)) return -1;
                    a.Minid = true;
                }
                a.TrimArgIndex = i + 1;
                i++;
            }
            else if (c.ArgIs(i, "limit"u8) && more > 0)
            {
                if (!c.TryGetLong(i + 1, out a.Limit)) return -1;
                if (a.Limit < 0) { c.Reply.Error("ERR The LIMIT argument must be >= 0."); return -1; }
                limitGiven = true;
                i++;
            }
            else if (xadd && c.ArgIs(i, "nomkstream"u8)) a.NoMkStream = true;
            else if (xadd)
            {
                if (!StreamId.TryParse(opt, 0, true, true, out a.Id, out a.SeqStar)) { c.Reply.Error(InvalidId); return -1; }
                a.IdGiven = true;
                break;
            }
            else { c.SyntaxError(); return -1; }
        }
        if (a.Limit != 0 && !a.HasStrategy)
        {
            c.Reply.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
            return -1;
        }
        if (!xadd && !a.HasStrategy)
        {
            c.Reply.Error("ERR syntax error, XTRIM must be called with a trimming strategy");
            return -1;
        }
        if ((c.Flags & ClientFlags.Master) != 0) a.Limit = 0;
        else if (limitGiven)
        {
            if (!a.Approx)
            {
                c.Reply.Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
                return -1;
            }
        }
        else if (a.Approx)
        {
            a.Limit = 100L * c.Server.Config.StreamNodeMaxEntries;
            if (a.Limit <= 0 || a.Limit > (1L << 30)) a.Limit = 10000;
        }
        else a.Limit = 0;
        return i;
    }

    /// <summary>
    /// Sends a rewritten command to replicas/AOF instead of the original. No body on this branch: the
    /// lead implements it with <c>c.Propagate</c> at merge (until then the call and its arguments vanish).
    /// </summary>
    static partial void Propagate(Client c, byte[][] args);

    /// <summary>
    /// The command with the generated ID in place of "*"/"ms-*" and an approximate trim turned into the
    /// exact one that happened ("=" and the resulting length or first ID), like Redis' argument rewriting.
    /// </summary>
    private static byte[][] RewrittenArgs(Client c, StreamValue s, in TrimArgs a, int idPos, StreamId id)
    {
        var args = new byte[c.ArgCount][];
        for (int i = 0; i < args.Length; i++) args[i] = c.ArgArray(i);
        Span<byte> tmp = stackalloc byte[48];
        if (idPos >= 0) args[idPos] = tmp[..id.Format(tmp)].ToArray();
        if (a.Approx && a.TrimArgIndex > 0)
        {
            args[a.TrimArgIndex - 1] = "="u8.ToArray();
            args[a.TrimArgIndex] = a.Minid
                ? tmp[..s.FirstId.Format(tmp)].ToArray()
                : System.Text.Encoding.ASCII.GetBytes(s.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return args;
    }

    private static long ApplyTrim(StreamValue s, in TrimArgs a)
        => a.HasStrategy ? s.Trim(a.MaxLen, a.Minid ? a.MinId : null, a.Approx, a.Limit) : 0;

    private static void XAdd(Client c)
    {
        var a = new TrimArgs();
        int idPos = ParseAddOrTrimArgs(c, ref a, true);
        if (idPos < 0) return;
        int fieldPos = idPos + 1;
        int nfv = c.ArgCount - fieldPos;
        if (nfv < 2 || nfv % 2 == 1) { c.Reply.Error(Errors.WrongArgs("xadd")); return; }
        if (a.IdGiven && !a.SeqStar && a.Id.IsZero)
        {
            c.Reply.Error("ERR The ID specified in XADD must be greater than 0-0");
            return;
        }
        var key = c.Arg(1);
        if (!c.TryWriteKey(key, out StreamValue? s)) return;
        if (s is null)
        {
            if (a.NoMkStream) { c.Reply.Null(); return; }
            s = new StreamValue();
            c.Db.Add(key, s);
        }
        if (s.LastId == StreamId.Max)
        {
            c.Reply.Error("ERR The stream has exhausted the last possible ID, unable to add more items");
            return;
        }
        StreamId id;
        bool ok;
        if (!a.IdGiven) ok = s.NextId(Now(c), null, out id);
        else if (a.SeqStar)
        {
            if (a.Id.Ms == s.LastId.Ms && s.LastId.Seq == ulong.MaxValue)
            {
                // Redis 7.0 fails here without setting errno, so it reports the generic append error.
                c.Reply.Error("ERR Elements are too large to be stored");
                return;
            }
            ok = s.NextId(Now(c), a.Id.Ms, out id);
        }
        else { id = a.Id; ok = id > s.LastId; }
        if (!ok)
        {
            c.Reply.Error("ERR The ID specified in XADD is equal or smaller than the target stream top item");
            return;
        }
        s.Append(id, new ArgFields(c, fieldPos, nfv), c.Server.Config.StreamNodeMaxEntries, c.Server.Config.StreamNodeMaxBytes);
        id.WriteBulk(c.Reply);
        Changed(c, key, "xadd");
        if (ApplyTrim(s, a) > 0) c.Notify(NotifyFlags.Stream, "xtrim", key);
        // Replicas must add the same ID and trim exactly as much: rewrite "*", "ms-*" and "~" as Redis does.
        if (!a.IdGiven || a.SeqStar || a.Approx) Propagate(c, RewrittenArgs(c, s, a, !a.IdGiven || a.SeqStar ? idPos : -1, id));
        c.Server.Blocking.SignalKeyReady(c.Db, key);
    }

    private static void XTrim(Client c)
    {
        var key = c.Arg(1);
        // Arguments are checked before the key, as xtrimCommand does: a bad threshold is an error even on a missing key.
        var a = new TrimArgs();
        if (ParseAddOrTrimArgs(c, ref a, false) < 0) return;
        if (!c.TryWriteKey(key, out StreamValue? s)) return;
        if (s is null) { c.Reply.Integer(0); return; }
        long deleted = ApplyTrim(s, a);
        if (deleted > 0)
        {
            if (a.Approx) Propagate(c, RewrittenArgs(c, s, a, -1, default));
            c.Notify(NotifyFlags.Stream, "xtrim", key);
            c.KeyModified(key);
            c.Dirty(deleted);
        }
        c.Reply.Integer(deleted);
    }

    // ---------------------------------------------------------------- XLEN / XRANGE / XDEL / XSETID

    private static void XLen(Client c)
    {
        if (!c.TryReadKey(c.Arg(1), out StreamValue? s)) return;
        c.Reply.Integer(s?.Length ?? 0);
    }

    private static void XRange(Client c) => RangeCommand(c, false);
    private static void XRevRange(Client c) => RangeCommand(c, true);

    private static void RangeCommand(Client c, bool rev)
    {
        int startArg = rev ? 3 : 2, endArg = rev ? 2 : 3;
        if (!TryRangeStart(c, startArg, out var start)) return;
        if (!TryRangeEnd(c, endArg, out var end)) return;
        long count = -1;
        for (int j = 4; j < c.ArgCount; j++)
        {
            if (c.ArgIs(j, "count"u8) && j + 1 < c.ArgCount)
            {
                if (!c.TryGetLong(j + 1, out count)) return;
                if (count < 0) count = 0;
                j++;
            }
            else { c.SyntaxError(); return; }
        }
        if (!c.TryReadKey(c.Arg(1), out StreamValue? s)) return;
        if (s is null) { c.Reply.ArrayHeader(0); return; }
        if (count == 0) { c.Reply.NullArray(); return; }
        ReplyRange(c, s, start, end, rev, count == -1 ? 0 : count);
    }

    private static void XDel(Client c)
    {
        var key = c.Arg(1);
        if (!c.TryWriteKey(key, out StreamValue? s)) return;
        if (s is null) { c.Reply.Integer(0); return; }
        Span<StreamId> ids = c.ArgCount - 2 <= 64 ? stackalloc StreamId[c.ArgCount - 2] : new StreamId[c.ArgCount - 2];
        for (int j = 2; j < c.ArgCount; j++)
            if (!TryParseId(c, j, 0, true, out ids[j - 2])) return;
        long deleted = 0;
        foreach (var id in ids)
            if (s.Delete(id)) deleted++;
        if (deleted > 0) Changed(c, key, "xdel", deleted);
        c.Reply.Integer(deleted);
    }

    private static void XSetId(Client c)
    {
        if (!TryParseId(c, 2, 0, true, out var id)) return;
        long entriesAdded = -1;
        StreamId maxDeleted = default;
        for (int i = 3; i < c.ArgCount; i += 2)
        {
            bool more = i + 1 < c.ArgCount;
            if (c.ArgIs(i, "entriesadded"u8) && more)
            {
                if (!c.TryGetLong(i + 1, out entriesAdded)) return;
                if (entriesAdded < 0) { c.Reply.Error("ERR entries_added must be positive"); return; }
            }
            else if (c.ArgIs(i, "maxdeletedid"u8) && more)
            {
                if (!TryParseId(c, i + 1, 0, true, out maxDeleted)) return;
                if (id < maxDeleted)
                {
                    c.Reply.Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
                    return;
                }
            }
            else { c.SyntaxError(); return; }
        }
        var key = c.Arg(1);
        if (!c.TryWriteKey(key, out StreamValue? s)) return;
        if (s is null) { c.Reply.Error(Errors.NoSuchKey); return; }
        if (s.Length > 0)
        {
            if (id < s.LastEntryId)
            {
                c.Reply.Error("ERR The ID specified in XSETID is smaller than the target stream top item");
                return;
            }
            if (entriesAdded != -1 && s.Length > entriesAdded)
            {
                c.Reply.Error("ERR The entries_added specified in XSETID is smaller than the target stream length");
                return;
            }
        }
        s.LastId = id;
        if (entriesAdded != -1) s.EntriesAdded = (ulong)entriesAdded;
        if (!maxDeleted.IsZero) s.MaxDeletedId = maxDeleted;
        c.Reply.Ok();
        Changed(c, key, "xsetid");
    }
}
