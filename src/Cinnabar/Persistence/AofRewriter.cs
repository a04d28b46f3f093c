using Cinnabar.DataTypes;
using Cinnabar.Protocol;

namespace Cinnabar.Persistence;

/// <summary>
/// A base file of plain commands, for <c>aof-use-rdb-preamble no</c>: Redis 7.0's rewriteAppendOnlyFileRio,
/// command for command. Each non-empty database starts with a SELECT; a string is a SET, a collection is
/// RPUSH / SADD / ZADD / HMSET commands of at most <see cref="ItemsPerCommand"/> items each, a stream is its
/// XADDs, an XSETID with ENTRIESADDED and MAXDELETEDID, then XGROUP CREATE, XCLAIM ... JUSTID FORCE for each
/// pending entry and XGROUP CREATECONSUMER for consumers without any; a key with a time to live is followed
/// by a PEXPIREAT. With <c>aof-timestamp-enabled</c> the file starts with a <c>#TS:</c> annotation.
/// Runs on the rewrite's thread over the snapshot's images (the values are never changed meanwhile).
/// </summary>
public static class AofRewriter
{
    /// <summary>Redis' AOF_REWRITE_ITEMS_PER_CMD.</summary>
    public const int ItemsPerCommand = 64;

    /// <summary>Writes the databases as commands; returns the number of keys written.</summary>
    public static long Write(Stream stream, IEnumerable<DatabaseImage> databases, long nowMs, bool timestamp, bool keepExpired = false,
        CancellationToken cancel = default, IReadOnlyList<byte[]>? functionLibraries = null)
    {
        var w = new RespFileWriter(stream);
        if (timestamp) w.Raw(System.Text.Encoding.ASCII.GetBytes($"#TS:{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}\r\n"));
        // Function libraries first, as Redis' rewriteFunctions: FUNCTION LOAD with each library's code.
        foreach (var code in functionLibraries ?? [])
        {
            w.Header(3);
            w.Bulk("FUNCTION"u8);
            w.Bulk("LOAD"u8);
            w.Bulk(code);
        }
        long written = 0;
        foreach (var db in databases)
        {
            if (db.KeyCount == 0) continue;
            w.Header(2);
            w.Bulk("SELECT"u8);
            w.Bulk(db.Index);
            foreach (var chunk in db.Chunks())
            foreach (ref readonly var e in chunk.AsSpan())
            {
                if (e.Key is null || e.Value is null) continue;
                if (e.ExpireAt != 0 && e.ExpireAt <= nowMs && !keepExpired) continue;
                WriteValue(w, e.Key, e.Value);
                if (e.ExpireAt != 0)
                {
                    w.Header(3);
                    w.Bulk("PEXPIREAT"u8);
                    w.Bulk(e.Key);
                    w.Bulk(e.ExpireAt);
                }
                if ((++written & 1023) == 0) cancel.ThrowIfCancellationRequested();
            }
        }
        w.Flush();
        return written;
    }

    private static void WriteValue(RespFileWriter w, byte[] key, object value)
    {
        switch (value)
        {
            case byte[] s:
                w.Header(3);
                w.Bulk("SET"u8);
                w.Bulk(key);
                w.Bulk(s);
                break;
            case ListValue l: WriteList(w, key, l); break;
            case SetValue s: WriteSet(w, key, s); break;
            case SortedSetValue z: WriteSortedSet(w, key, z); break;
            case HashValue h: WriteHash(w, key, h); break;
            case StreamValue st: WriteStream(w, key, st); break;
            default: throw new InvalidOperationException($"cannot rewrite a {value.GetType().Name} value");
        }
    }

    /// <summary>Starts a command of a batch when <paramref name="count"/> is 0: <c>*{2+n*width} CMD key</c>.</summary>
    private static void BatchStart(RespFileWriter w, ReadOnlySpan<byte> command, byte[] key, ref int count, long remaining, int width)
    {
        if (count != 0) return;
        int items = (int)Math.Min(remaining, ItemsPerCommand);
        w.Header(2 + items * width);
        w.Bulk(command);
        w.Bulk(key);
    }

    private static void BatchNext(ref int count)
    {
        if (++count == ItemsPerCommand) count = 0;
    }

    private static void WriteList(RespFileWriter w, byte[] key, ListValue l)
    {
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        long remaining = l.Count;
        int count = 0;
        if (remaining == 0) return;
        var cursor = l.From(0, forward: true, scratch);
        while (cursor.MoveNext())
        {
            BatchStart(w, "RPUSH"u8, key, ref count, remaining, 1);
            w.Bulk(cursor.Current);
            BatchNext(ref count);
            remaining--;
        }
    }

    private static void WriteSet(RespFileWriter w, byte[] key, SetValue s)
    {
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        long remaining = s.Count;
        int count = 0;
        for (int p = 0; p < s.PositionEnd; p++)
        {
            if (!s.IsLive(p) || !s.TryGetMember(p, scratch, out var member)) continue;
            BatchStart(w, "SADD"u8, key, ref count, remaining, 1);
            w.Bulk(member);
            BatchNext(ref count);
            remaining--;
        }
    }

    private static void WriteSortedSet(RespFileWriter w, byte[] key, SortedSetValue z)
    {
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        long remaining = z.Count;
        int count = 0;
        for (var p = z.First; p.Exists; p = z.Next(p))
        {
            BatchStart(w, "ZADD"u8, key, ref count, remaining, 2);
            w.BulkDouble(z.ScoreAt(p));
            w.Bulk(z.MemberAt(p, scratch));
            BatchNext(ref count);
            remaining--;
        }
    }

    private static void WriteHash(RespFileWriter w, byte[] key, HashValue h)
    {
        Span<byte> fieldScratch = stackalloc byte[ListpackEntry.ScratchSize];
        Span<byte> valueScratch = stackalloc byte[ListpackEntry.ScratchSize];
        long remaining = h.Count;
        int count = 0;
        var cursor = h.GetCursor(fieldScratch, valueScratch);
        while (cursor.MoveNext())
        {
            BatchStart(w, "HMSET"u8, key, ref count, remaining, 2);
            w.Bulk(cursor.Field);
            w.Bulk(cursor.Value);
            BatchNext(ref count);
            remaining--;
        }
    }

    /// <summary>Redis 7.0's rewriteStreamObject.</summary>
    private static void WriteStream(RespFileWriter w, byte[] key, StreamValue s)
    {
        if (s.Length > 0)
        {
            for (int n = 0; n < s.NodeCount; n++)
            {
                var node = s.NodeAt(n);
                for (int i = 0; i < node.Count; i++)
                {
                    if (node.IsDeleted(i)) continue;
                    var fields = node.Fields(i);
                    w.Header(3 + fields.Count * 2);
                    w.Bulk("XADD"u8);
                    w.Bulk(key);
                    w.Bulk(node.IdAt(i));
                    while (fields.MoveNext())
                    {
                        w.Bulk(fields.Field);
                        w.Bulk(fields.Value);
                    }
                }
            }
        }
        else
        {
            // The XADD MAXLEN 0 trick creates an empty stream.
            w.Header(7);
            w.Bulk("XADD"u8);
            w.Bulk(key);
            w.Bulk("MAXLEN"u8);
            w.Bulk("0"u8);
            w.Bulk(new StreamId(0, 1));
            w.Bulk("x"u8);
            w.Bulk("y"u8);
        }
        // XSETID after the XADDs: the last ID may be past the last entry (XDEL).
        w.Header(7);
        w.Bulk("XSETID"u8);
        w.Bulk(key);
        w.Bulk(s.LastId);
        w.Bulk("ENTRIESADDED"u8);
        w.Bulk(unchecked((long)s.EntriesAdded));
        w.Bulk("MAXDELETEDID"u8);
        w.Bulk(s.MaxDeletedId);
        if (s.Groups is null) return;
        foreach (var g in s.Groups)
        {
            w.Header(7);
            w.Bulk("XGROUP"u8);
            w.Bulk("CREATE"u8);
            w.Bulk(key);
            w.Bulk(g.Name);
            w.Bulk(g.LastId);
            w.Bulk("ENTRIESREAD"u8);
            w.Bulk(g.EntriesRead);
            foreach (var c in g.Consumers)
            {
                if (c.Pending.Count == 0)
                {
                    w.Header(5);
                    w.Bulk("XGROUP"u8);
                    w.Bulk("CREATECONSUMER"u8);
                    w.Bulk(key);
                    w.Bulk(g.Name);
                    w.Bulk(c.Name);
                    continue;
                }
                foreach (var pe in c.Pending)
                {
                    // XCLAIM <key> <group> <consumer> 0 <id> TIME <ms> RETRYCOUNT <count> JUSTID FORCE
                    w.Header(12);
                    w.Bulk("XCLAIM"u8);
                    w.Bulk(key);
                    w.Bulk(g.Name);
                    w.Bulk(c.Name);
                    w.Bulk("0"u8);
                    w.Bulk(pe.Id);
                    w.Bulk("TIME"u8);
                    w.Bulk(pe.DeliveryTime);
                    w.Bulk("RETRYCOUNT"u8);
                    w.Bulk(pe.DeliveryCount);
                    w.Bulk("JUSTID"u8);
                    w.Bulk("FORCE"u8);
                }
            }
        }
    }
}

/// <summary>RESP multibulk commands into a stream through a 64 KB buffer (the rewrite's rio).</summary>
internal sealed class RespFileWriter(Stream stream)
{
    private readonly byte[] _buf = new byte[64 * 1024];
    private int _len;

    public void Flush()
    {
        if (_len > 0) stream.Write(_buf, 0, _len);
        _len = 0;
    }

    public void Raw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > _buf.Length - _len)
        {
            Flush();
            if (bytes.Length > _buf.Length)
            {
                stream.Write(bytes);
                return;
            }
        }
        bytes.CopyTo(_buf.AsSpan(_len));
        _len += bytes.Length;
    }

    private void Line(byte prefix, long n)
    {
        Span<byte> tmp = stackalloc byte[24];
        tmp[0] = prefix;
        int len = 1 + RespNumbers.FormatInt64(n, tmp[1..]);
        tmp[len++] = (byte)'\r';
        tmp[len++] = (byte)'\n';
        Raw(tmp[..len]);
    }

    public void Header(int count) => Line((byte)'*', count);

    public void Bulk(ReadOnlySpan<byte> value)
    {
        Line((byte)'$', value.Length);
        Raw(value);
        Raw("\r\n"u8);
    }

    public void Bulk(long value)
    {
        Span<byte> tmp = stackalloc byte[RespNumbers.MaxInt64Chars];
        Bulk(tmp[..RespNumbers.FormatInt64(value, tmp)]);
    }

    public void Bulk(StreamId id)
    {
        Span<byte> tmp = stackalloc byte[48];
        Bulk(tmp[..id.Format(tmp)]);
    }

    /// <summary>Redis 7.0's rioWriteBulkDouble: %.17g.</summary>
    public void BulkDouble(double value)
    {
        Span<byte> tmp = stackalloc byte[64];
        Bulk(tmp[..RespNumbers.FormatDouble(value, tmp)]);
    }
}
