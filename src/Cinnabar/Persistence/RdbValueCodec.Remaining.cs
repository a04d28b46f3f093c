using Cinnabar.Commands;
using Cinnabar.Config;
using Cinnabar.DataTypes;
using Cinnabar.Protocol;

namespace Cinnabar.Persistence;

public static partial class RdbValueCodec
{
    private static byte EvenMoreObjectTypeByte(IRedisObject value) => value switch
    {
        SortedSetValue z => z.IsListpack ? RdbFormat.TypeZSetListpack : RdbFormat.TypeZSet2,
        _ => StreamTypeByte(value),
    };

    private static void WriteEvenMoreObject(RdbOutput output, IRedisObject value)
    {
        if (value is SortedSetValue z) WriteSortedSet(output, z);
        else WriteStream(output, value);
    }

    private static object ReadEvenMoreObject(RdbInput input, byte type, ServerConfig config) => type switch
    {
        RdbFormat.TypeZSet => ReadSortedSetPairs(input, config, binaryScores: false),
        RdbFormat.TypeZSet2 => ReadSortedSetPairs(input, config, binaryScores: true),
        RdbFormat.TypeZSetZiplist => SortedSetFromFlat(Ziplist.Decode(input.ReadString()), config),
        RdbFormat.TypeZSetListpack => ReadSortedSetListpack(input.ReadString(), config),
        _ => ReadStream(input, type, config),
    };

    private static void WriteSortedSet(RdbOutput o, SortedSetValue z)
    {
        if (z.IsListpack)
        {
            var flat = new List<byte[]>(z.Count * 2);
            foreach (var n in z.Ascending())
            {
                flat.Add(n.Member);
                flat.Add(SortedSetCommands.ScoreText(n.Score));
            }
            o.WriteString(Listpack.Encode(flat));
            return;
        }
        // Highest score first, as Redis saves it (loading then always inserts at the head).
        o.WriteLength((ulong)z.Count);
        for (var n = z.Last; n is not null; n = n.Backward)
        {
            o.WriteString(n.Member);
            o.WriteBinaryDouble(n.Score);
        }
    }

    private static SortedSetValue ReadSortedSetPairs(RdbInput input, ServerConfig config, bool binaryScores)
    {
        long n = input.ReadLength();
        var z = new SortedSetValue(listpack: false);
        for (long i = 0; i < n; i++)
        {
            var member = input.ReadString();
            double score = binaryScores ? input.ReadBinaryDouble() : input.ReadTextDouble();
            if (double.IsNaN(score)) throw new RdbFormatException("Zset with NAN score detected");
            if (z.Find(member) is not null) throw new RdbFormatException("Duplicate zset fields detected");
            z.Add(member, score, config);
        }
        z.ConvertToListpackIfSmall(config);
        return z;
    }

    /// <summary>A listpack of member, score pairs, read in place (no array per score).</summary>
    private static SortedSetValue ReadSortedSetListpack(byte[] blob, ServerConfig config)
    {
        int count = Listpack.Validate(blob);
        if (count % 2 != 0) throw new RdbFormatException("sorted set blob with an odd number of elements");
        var z = new SortedSetValue(listpack: true);
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        for (int p = Listpack.HeaderSize; p < blob.Length - 1;)
        {
            var member = ListpackEntry.Read(blob, p, scratch).ToArray();
            p += ListpackEntry.SizeAt(blob, p);
            if (z.Find(member) is not null) throw new RdbFormatException("Duplicate zset fields detected");
            z.Add(member, ParseScore(ListpackEntry.Read(blob, p, scratch)), config);
            p += ListpackEntry.SizeAt(blob, p);
        }
        return z;
    }

    private static double ParseScore(ReadOnlySpan<byte> text) =>
        RespNumbers.TryParseDouble(text, out double score) && !double.IsNaN(score) ? score : throw new RdbFormatException("invalid sorted set score");

    private static SortedSetValue SortedSetFromFlat(List<byte[]> flat, ServerConfig config)
    {
        if (flat.Count % 2 != 0) throw new RdbFormatException("sorted set blob with an odd number of elements");
        var z = new SortedSetValue(listpack: true);
        for (int i = 0; i < flat.Count; i += 2)
        {
            double score = ParseScore(flat[i + 1]);
            if (z.Find(flat[i]) is not null) throw new RdbFormatException("Duplicate zset fields detected");
            z.Add(flat[i], score, config);
        }
        return z;
    }
}
