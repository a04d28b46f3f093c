using Cinnabar.Config;
using Cinnabar.DataTypes;

namespace Cinnabar.Persistence;

/// <summary>
/// Serialises stored values in RDB encoding (used by RDB files, DUMP/RESTORE and replication) and reads
/// back every encoding Redis 6.x to 7.4 writes for the types Cinnabar has. This file is the one place that
/// maps value types to RDB type bytes and back; each value family's encodings live in their own file.
/// Writing makes the choices Redis 7.0 makes for the same in-memory encoding, so DUMP payloads of small
/// collections are byte-identical.
/// </summary>
public static partial class RdbValueCodec
{
    /// <summary>Writes the type byte and the value (the layout of a DUMP payload body).</summary>
    public static void Write(RdbOutput output, object value)
    {
        output.WriteByte(TypeByte(value));
        WriteBody(output, value);
    }

    /// <summary>The RDB type byte this server writes for <paramref name="value"/>.</summary>
    public static byte TypeByte(object value) => value switch
    {
        byte[] => RdbFormat.TypeString,
        ListValue => RdbFormat.TypeListQuicklist2,
        HashValue h => h.IsListpack ? RdbFormat.TypeHashListpack : RdbFormat.TypeHash,
        SetValue s => s.IsIntset ? RdbFormat.TypeSetIntset : RdbFormat.TypeSet,
        SortedSetValue z => z.IsListpack ? RdbFormat.TypeZSetListpack : RdbFormat.TypeZSet2,
        StreamValue => RdbFormat.TypeStreamListpacks2,
        _ => throw Unserialisable(value),
    };

    /// <summary>Writes the value without its type byte (RDB files put the key between the two).</summary>
    public static void WriteBody(RdbOutput output, object value)
    {
        switch (value)
        {
            case byte[] s: WriteStringValue(output, s); break;
            case ListValue l: WriteList(output, l); break;
            case HashValue h: WriteHash(output, h); break;
            case SetValue s: WriteSet(output, s); break;
            case SortedSetValue z: WriteSortedSet(output, z); break;
            case StreamValue st: WriteStream(output, st); break;
            default: throw Unserialisable(value);
        }
    }

    /// <summary>Reads a value of RDB type <paramref name="type"/>.</summary>
    public static object Read(RdbInput input, byte type, ServerConfig config) => type switch
    {
        RdbFormat.TypeString => ReadStringValue(input),
        RdbFormat.TypeList => ReadPlainList(input, config),
        RdbFormat.TypeListZiplist => ListFrom(Ziplist.Decode(input.ReadString()), config),
        RdbFormat.TypeListQuicklist => ReadQuicklist(input, version2: false, config),
        RdbFormat.TypeListQuicklist2 => ReadQuicklist(input, version2: true, config),
        RdbFormat.TypeHash => ReadHashPairs(input, config),
        RdbFormat.TypeHashZiplist => HashFromFlat(Ziplist.Decode(input.ReadString()), config),
        RdbFormat.TypeHashListpack => ReadHashListpack(input.ReadString(), config),
        RdbFormat.TypeSet => ReadSetMembers(input, config),
        RdbFormat.TypeSetIntset => ReadSetIntset(input.ReadString(), config),
        RdbFormat.TypeSetListpack => SetFromMembers(Listpack.Decode(input.ReadString()), config),
        RdbFormat.TypeZSet => ReadSortedSetPairs(input, config, binaryScores: false),
        RdbFormat.TypeZSet2 => ReadSortedSetPairs(input, config, binaryScores: true),
        RdbFormat.TypeZSetZiplist => SortedSetFromFlat(Ziplist.Decode(input.ReadString()), config),
        RdbFormat.TypeZSetListpack => ReadSortedSetListpack(input.ReadString(), config),
        RdbFormat.TypeStreamListpacks or RdbFormat.TypeStreamListpacks2 or RdbFormat.TypeStreamListpacks3 => ReadStream(input, type),
        _ => throw new RdbFormatException($"unsupported value type {type} at offset {input.Offset}"),
    };

    /// <summary>True for the value-type bytes this server can load.</summary>
    public static bool IsValueType(byte type) => type <= RdbFormat.TypeStreamListpacks3 && type is not (RdbFormat.TypeModulePreGa or RdbFormat.TypeModule2 or 8);

    private static InvalidOperationException Unserialisable(object value) => new(value is IRedisObject o
        ? $"cannot serialise a {o.TypeName} value"
        : $"cannot serialise a {value.GetType().Name}");

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

}
