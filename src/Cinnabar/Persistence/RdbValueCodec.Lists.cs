using Cinnabar.Config;
using Cinnabar.DataTypes;

namespace Cinnabar.Persistence;

/// <summary>Lists: a quicklist of listpack nodes (Redis 7.0); plain lists, ziplists and ziplist quicklists on load.</summary>
public static partial class RdbValueCodec
{
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
