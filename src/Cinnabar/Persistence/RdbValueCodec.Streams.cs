using System.Buffers.Binary;
using Cinnabar.DataTypes;
using Cinnabar.Protocol;

namespace Cinnabar.Persistence;

/// <summary>
/// Streams as Redis saves them (rdb.c, RDB_TYPE_STREAM_LISTPACKS*): every node as its 16-byte big-endian
/// master ID and a listpack in Redis' stream layout, then the counters, then the consumer groups with their
/// PELs and consumers. Cinnabar writes version 2 (Redis 7.0); it reads versions 1 (Redis 5/6), 2 and 3
/// (Redis 7.2+, which adds each consumer's active time).
/// </summary>
public static partial class RdbValueCodec
{
    // Listpack entry flags (t_stream.c STREAM_ITEM_FLAG_*).
    private const int StreamFlagDeleted = 1;
    private const int StreamFlagSameFields = 2;

    private static void WriteStream(RdbOutput o, StreamValue s)
    {
        Span<byte> key = stackalloc byte[16];
        o.WriteLength((ulong)s.NodeCount);
        for (int n = 0; n < s.NodeCount; n++)
        {
            var node = s.NodeAt(n);
            BinaryPrimitives.WriteUInt64BigEndian(key, node.Master.Ms);
            BinaryPrimitives.WriteUInt64BigEndian(key[8..], node.Master.Seq);
            o.WriteString(key);
            o.WriteString(NodeListpack(node));
        }
        o.WriteLength((ulong)s.Length);
        WriteId(o, s.LastId);
        WriteId(o, s.FirstId);
        WriteId(o, s.MaxDeletedId);
        o.WriteLength(s.EntriesAdded);

        o.WriteLength((ulong)(s.Groups?.Count ?? 0));
        if (s.Groups is null) return;
        foreach (var g in s.Groups)
        {
            o.WriteString(g.Name);
            WriteId(o, g.LastId);
            o.WriteLength(unchecked((ulong)g.EntriesRead)); // -1 (unknown) is saved as 2^64-1, as Redis does
            o.WriteLength((ulong)g.Pending.Count);
            foreach (var pe in g.Pending)
            {
                WriteRawId(o, pe.Id);
                o.WriteInt64LE(pe.DeliveryTime);
                o.WriteLength((ulong)pe.DeliveryCount);
            }
            o.WriteLength((ulong)g.Consumers.Count);
            foreach (var c in g.Consumers)
            {
                o.WriteString(c.Name);
                o.WriteInt64LE(c.SeenTime);
                o.WriteLength((ulong)c.Pending.Count);
                foreach (var pe in c.Pending) WriteRawId(o, pe.Id);
            }
        }
    }

    /// <summary>
    /// A node in Redis' listpack layout: master entry (count, deleted, field count, fields, 0), then per
    /// entry flags, ms and seq deltas from the master ID, [field count, fields,] values and the lp-count.
    /// </summary>
    private static byte[] NodeListpack(StreamNode node)
    {
        var lp = new ListpackBuilder();
        var masterFields = node.MasterFields;
        lp.AddInt(node.Live);
        lp.AddInt(node.Count - node.Live);
        lp.AddInt(masterFields.Count);
        foreach (var f in masterFields) lp.AddString(f);
        lp.AddInt(0);
        for (int i = 0; i < node.Count; i++)
        {
            bool same = node.UsesMasterFields(i);
            var id = node.IdAt(i);
            lp.AddInt((node.IsDeleted(i) ? StreamFlagDeleted : 0) | (same ? StreamFlagSameFields : 0));
            lp.AddInt(unchecked((long)(id.Ms - node.Master.Ms)));
            lp.AddInt(unchecked((long)(id.Seq - node.Master.Seq)));
            var fields = node.Fields(i);
            int numFields = fields.Count;
            if (!same) lp.AddInt(numFields);
            while (fields.MoveNext())
            {
                if (!same) lp.AddString(fields.Field);
                lp.AddString(fields.Value);
            }
            lp.AddInt(same ? numFields + 3 : numFields * 2 + 4);
        }
        return lp.ToArray();
    }

    private static void WriteId(RdbOutput o, StreamId id)
    {
        o.WriteLength(id.Ms);
        o.WriteLength(id.Seq);
    }

    private static void WriteRawId(RdbOutput o, StreamId id)
    {
        Span<byte> raw = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(raw, id.Ms);
        BinaryPrimitives.WriteUInt64BigEndian(raw[8..], id.Seq);
        o.Write(raw);
    }

    /// <summary>A stream of RDB type <paramref name="type"/> (one of the three TypeStreamListpacks versions).</summary>
    private static StreamValue ReadStream(RdbInput input, byte type)
    {
        var s = new StreamValue();
        long nodes = input.ReadLength();
        for (long n = 0; n < nodes; n++)
        {
            var key = input.ReadString();
            if (key.Length != 16) throw new RdbFormatException($"stream node key is not a 128-bit ID at offset {input.Offset}");
            var master = new StreamId(BinaryPrimitives.ReadUInt64BigEndian(key), BinaryPrimitives.ReadUInt64BigEndian(key.AsSpan(8)));
            var blob = input.ReadString();
            StreamNode node;
            try
            {
                node = NodeFromListpack(master, Listpack.Decode(blob));
            }
            catch (Exception e) when (e is not RdbFormatException)
            {
                throw new RdbFormatException($"malformed stream listpack at offset {input.Offset}");
            }
            if (s.NodeCount > 0 && master <= s.NodeAt(s.NodeCount - 1).Master)
                throw new RdbFormatException($"stream nodes out of order at offset {input.Offset}");
            s.AddLoadedNode(node);
        }
        long length = input.ReadLength();
        if (length != s.Length) throw new RdbFormatException($"stream length {length} does not match its entries ({s.Length})");
        s.LastId = ReadId(input);
        if (type >= RdbFormat.TypeStreamListpacks2)
        {
            ReadId(input); // first ID: derived from the entries here
            s.MaxDeletedId = ReadId(input);
            s.EntriesAdded = input.ReadLengthUnsigned();
        }
        else
        {
            // Redis 7 migrates v1 streams the same way: offsets start at the length, no known tombstones.
            s.EntriesAdded = (ulong)s.Length;
        }

        long groups = input.ReadLength();
        for (long gi = 0; gi < groups; gi++)
        {
            var name = input.ReadString();
            var lastId = ReadId(input);
            long entriesRead = type >= RdbFormat.TypeStreamListpacks2
                ? unchecked((long)input.ReadLengthUnsigned())
                : s.EstimateDistanceFromFirstEverEntry(lastId);
            var g = new StreamGroup(name, lastId, entriesRead);
            s.Groups ??= new NamedSortedList<StreamGroup>();
            if (!s.Groups.Add(g)) throw new RdbFormatException("Duplicated consumer group name");

            long pending = input.ReadLength();
            for (long p = 0; p < pending; p++)
            {
                var pe = new PendingEntry(ReadRawId(input))
                {
                    DeliveryTime = input.ReadInt64LE(),
                    DeliveryCount = input.ReadLength(),
                };
                if (!g.Pending.Add(pe)) throw new RdbFormatException("Duplicated global PEL entry loading stream consumer group");
            }
            long consumers = input.ReadLength();
            for (long ci = 0; ci < consumers; ci++)
            {
                var cname = input.ReadString();
                long seen = input.ReadInt64LE();
                if (type >= RdbFormat.TypeStreamListpacks3) input.ReadInt64LE(); // active time (Redis 7.2): not kept
                var consumer = new StreamConsumer(cname, seen);
                if (!g.Consumers.Add(consumer)) throw new RdbFormatException("Duplicated consumer name");
                long owned = input.ReadLength();
                for (long k = 0; k < owned; k++)
                {
                    var pe = g.FindPending(ReadRawId(input))
                             ?? throw new RdbFormatException("Consumer entry not found in group global PEL");
                    if (pe.Consumer is not null) throw new RdbFormatException("Duplicated consumer PEL entry");
                    pe.Consumer = consumer;
                    consumer.Pending.Add(pe);
                }
            }
        }
        return s;
    }

    /// <summary>Rebuilds a node from the elements of its listpack (integers arrive as decimal text).</summary>
    private static StreamNode NodeFromListpack(StreamId master, List<byte[]> lp)
    {
        int i = 0;
        long live = Int(lp, ref i);
        long deleted = Int(lp, ref i);
        long masterFieldCount = Int(lp, ref i);
        if (live < 0 || deleted < 0 || masterFieldCount < 0 || masterFieldCount > lp.Count) throw new RdbFormatException("bad stream listpack header");
        var masterFields = new byte[masterFieldCount][];
        for (int f = 0; f < masterFieldCount; f++) masterFields[f] = Element(lp, ref i);
        if (Int(lp, ref i) != 0) throw new RdbFormatException("bad stream listpack master terminator");

        var node = new StreamNode(master, masterFields, lp.Count * 8);
        while (i < lp.Count)
        {
            long flags = Int(lp, ref i);
            var id = new StreamId(unchecked(master.Ms + (ulong)Int(lp, ref i)), unchecked(master.Seq + (ulong)Int(lp, ref i)));
            bool same = (flags & StreamFlagSameFields) != 0;
            long numFields = same ? masterFieldCount : Int(lp, ref i);
            if (numFields < 0 || numFields > lp.Count - i) throw new RdbFormatException("bad stream entry field count");
            var fv = new byte[numFields * 2][];
            for (int f = 0; f < numFields; f++)
            {
                fv[f * 2] = same ? masterFields[f] : Element(lp, ref i);
                fv[f * 2 + 1] = Element(lp, ref i);
            }
            long lpCount = Int(lp, ref i);
            if (lpCount != (same ? numFields + 3 : numFields * 2 + 4)) throw new RdbFormatException("bad stream entry lp-count");
            node.Append(id, new ArrayFields(fv));
            if ((flags & StreamFlagDeleted) != 0) node.MarkDeleted(node.Count - 1);
        }
        if (node.Live != live || node.Count - node.Live != deleted) throw new RdbFormatException("stream listpack counts do not match its entries");
        if (node.Count == 0) throw new RdbFormatException("Empty listpack inside stream");
        return node;
    }

    private static byte[] Element(List<byte[]> lp, ref int i)
    {
        if (i >= lp.Count) throw new RdbFormatException("truncated stream listpack");
        return lp[i++];
    }

    private static long Int(List<byte[]> lp, ref int i)
    {
        var e = Element(lp, ref i);
        if (!RespNumbers.TryParseInt64(e, out long v)) throw new RdbFormatException("stream listpack integer expected");
        return v;
    }

    private static StreamId ReadId(RdbInput input) => new(input.ReadLengthUnsigned(), input.ReadLengthUnsigned());

    private static StreamId ReadRawId(RdbInput input)
    {
        Span<byte> raw = stackalloc byte[16];
        input.ReadExact(raw);
        return new StreamId(BinaryPrimitives.ReadUInt64BigEndian(raw), BinaryPrimitives.ReadUInt64BigEndian(raw[8..]));
    }
}
