using Cinnabar.Config;
using Cinnabar.DataTypes;

namespace Cinnabar.Persistence;

public static partial class RdbValueCodec
{
    private static byte MoreObjectTypeByte(IRedisObject value) => value switch
    {
        ListValue => RdbFormat.TypeListQuicklist2,
        _ => EvenMoreObjectTypeByte(value),
    };

    private static void WriteMoreObject(RdbOutput output, IRedisObject value)
    {
        if (value is ListValue list) WriteList(output, list);
        else WriteEvenMoreObject(output, value);
    }

    private static object ReadMoreObject(RdbInput input, byte type, ServerConfig config) => type switch
    {
        RdbFormat.TypeList => ReadPlainList(input, config),
        RdbFormat.TypeListZiplist => ListFrom(Ziplist.Decode(input.ReadString()), config),
        RdbFormat.TypeListQuicklist => ReadQuicklist(input, version2: false, config),
        RdbFormat.TypeListQuicklist2 => ReadQuicklist(input, version2: true, config),
        _ => ReadEvenMoreObject(input, type, config),
    };

    /// <summary>A quicklist of listpack nodes, as Redis 7.0 saves lists: each node's packed entries as they are.</summary>
    private static void WriteList(RdbOutput o, ListValue list)
    {
        o.WriteLength((ulong)list.NodeCount);
        for (int i = 0; i < list.NodeCount; i++)
        {
            var entries = list.NodeEntries(i, out int count);
            o.WriteLength(RdbFormat.QuicklistNodePacked);
            WriteListpack(o, entries, count);
        }
    }

    /// <summary>Writes already packed listpack entries as one RDB string: header, entries, terminator.</summary>
    private static void WriteListpack(RdbOutput o, ReadOnlySpan<byte> entries, int count)
    {
        int size = entries.Length + Listpack.HeaderSize + 1;
        var blob = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
        try
        {
            Listpack.WrapEntries(entries, count, blob);
            o.WriteString(blob.AsSpan(0, size));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(blob);
        }
    }

    private static ListValue ReadPlainList(RdbInput input, ServerConfig config)
    {
        long n = input.ReadLength();
        var list = new ListValue(config.ListMaxListpackSize);
        for (long i = 0; i < n; i++) list.PushTail(input.ReadString());
        return list;
    }

    /// <summary>
    /// Quicklist nodes, each kept as a node as Redis does: listpack nodes (7.0+) are validated and kept as
    /// they are; a ziplist node becomes a listpack node with the same entries.
    /// </summary>
    private static ListValue ReadQuicklist(RdbInput input, bool version2, ServerConfig config)
    {
        long nodes = input.ReadLength();
        var list = new ListValue(config.ListMaxListpackSize);
        for (long i = 0; i < nodes; i++)
        {
            long container = version2 ? input.ReadLength() : RdbFormat.QuicklistNodePacked;
            var blob = input.ReadString();
            if (container == RdbFormat.QuicklistNodePlain) list.AppendNode([blob]);
            else if (container != RdbFormat.QuicklistNodePacked) throw new RdbFormatException($"unknown quicklist node container {container}");
            else if (version2) list.AppendPackedNode(blob, Listpack.HeaderSize, blob.Length - 1, Listpack.Validate(blob));
            else list.AppendNode(Ziplist.Decode(blob));
        }
        if (list.Count == 0) throw new RdbFormatException("empty list loaded");
        return list;
    }

    private static ListValue ListFrom(List<byte[]> elements, ServerConfig config)
    {
        var list = new ListValue(config.ListMaxListpackSize);
        foreach (var e in elements) list.PushTail(e);
        return list;
    }
}
