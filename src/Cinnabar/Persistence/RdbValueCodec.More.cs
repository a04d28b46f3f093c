using Cinnabar.Config;
using Cinnabar.DataTypes;

namespace Cinnabar.Persistence;

public static partial class RdbValueCodec
{
    /// <summary>Redis' quicklist node limit for list-max-listpack-size -2: 8 KB of listpack per node.</summary>
    private const int QuicklistNodeBytes = 8 * 1024;

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
        RdbFormat.TypeList => ReadPlainList(input),
        RdbFormat.TypeListZiplist => ListFrom(Ziplist.Decode(input.ReadString())),
        RdbFormat.TypeListQuicklist => ReadQuicklist(input, version2: false),
        RdbFormat.TypeListQuicklist2 => ReadQuicklist(input, version2: true),
        _ => ReadEvenMoreObject(input, type, config),
    };

    /// <summary>A quicklist of packed listpack nodes of about 8 KB each, as Redis 7.0 saves lists.</summary>
    private static void WriteList(RdbOutput o, ListValue list)
    {
        var nodes = new List<byte[]>();
        var current = new List<byte[]>();
        long bytes = 0;
        foreach (var e in list.Elements())
        {
            long entry = e.Length + 11; // element plus worst-case header and back-length
            if (current.Count > 0 && bytes + entry > QuicklistNodeBytes)
            {
                nodes.Add(Listpack.Encode(current));
                current.Clear();
                bytes = 0;
            }
            current.Add(e);
            bytes += entry;
        }
        if (current.Count > 0) nodes.Add(Listpack.Encode(current));
        o.WriteLength((ulong)nodes.Count);
        foreach (var node in nodes)
        {
            o.WriteLength(RdbFormat.QuicklistNodePacked);
            o.WriteString(node);
        }
    }

    private static ListValue ReadPlainList(RdbInput input)
    {
        long n = input.ReadLength();
        var list = new ListValue((int)Math.Min(n, 1 << 20));
        for (long i = 0; i < n; i++) list.PushTail(input.ReadString());
        return list;
    }

    private static ListValue ReadQuicklist(RdbInput input, bool version2)
    {
        long nodes = input.ReadLength();
        var list = new ListValue();
        for (long i = 0; i < nodes; i++)
        {
            long container = version2 ? input.ReadLength() : RdbFormat.QuicklistNodePacked;
            var blob = input.ReadString();
            if (container == RdbFormat.QuicklistNodePlain) list.PushTail(blob);
            else if (container == RdbFormat.QuicklistNodePacked)
                foreach (var e in version2 ? Listpack.Decode(blob) : Ziplist.Decode(blob)) list.PushTail(e);
            else throw new RdbFormatException($"unknown quicklist node container {container}");
        }
        if (list.Count == 0) throw new RdbFormatException("empty list loaded");
        return list;
    }

    private static ListValue ListFrom(List<byte[]> elements)
    {
        var list = new ListValue(elements.Count);
        foreach (var e in elements) list.PushTail(e);
        return list;
    }
}
