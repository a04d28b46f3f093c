using Cinnabar.Config;
using Cinnabar.DataTypes;
using Cinnabar.Protocol;

namespace Cinnabar.Persistence;

/// <summary>Sorted sets: a listpack blob when small, member/binary-score pairs otherwise; text scores and ziplists on load.</summary>
public static partial class RdbValueCodec
{
    private static void WriteSortedSet(RdbOutput o, SortedSetValue z)
    {
        if (z.IsListpack)
        {
            WriteListpack(o, z.PackedEntries, z.Count * 2);
            return;
        }
        // Highest score first, as Redis saves it (loading then always inserts at the head).
        o.WriteLength((ulong)z.Count);
        for (var p = z.Last; p.Exists; p = z.Prev(p))
        {
            o.WriteString(z.MemberAt(p, default)); // a skiplist holds its members as they are
            o.WriteBinaryDouble(z.ScoreAt(p));
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
            if (z.Find(member).Exists) throw new RdbFormatException("Duplicate zset fields detected");
            z.Add(member, score, config);
        }
        z.ConvertToListpackIfSmall(config);
        return z;
    }

    /// <summary>
    /// A listpack of member, score pairs: kept as it is (checked, not decoded), as Redis keeps it, unless it
    /// holds more than zset-max-listpack-entries members.
    /// </summary>
    private static SortedSetValue ReadSortedSetListpack(byte[] blob, ServerConfig config)
    {
        int count = Listpack.Validate(blob);
        if (count % 2 != 0) throw new RdbFormatException("sorted set blob with an odd number of elements");
        if (count == 0) throw new RdbFormatException("empty sorted set");
        SortedSetValue z;
        try
        {
            z = SortedSetValue.FromPacked(blob, Listpack.HeaderSize, blob.Length - 1, count / 2);
        }
        catch (ArgumentException e)
        {
            throw new RdbFormatException(e.Message);
        }
        if (z.Count > config.ZSetMaxListpackEntries) z.ConvertToSkipList();
        return z;
    }

    /// <summary>A ziplist of member, score pairs (Redis before 7.0): re-packed as a listpack.</summary>
    private static SortedSetValue SortedSetFromFlat(List<byte[]> flat, ServerConfig config)
    {
        if (flat.Count % 2 != 0) throw new RdbFormatException("sorted set blob with an odd number of elements");
        var z = new SortedSetValue(listpack: flat.Count / 2 <= config.ZSetMaxListpackEntries);
        for (int i = 0; i < flat.Count; i += 2)
        {
            if (!RespNumbers.TryParseDouble(flat[i + 1], out double score) || double.IsNaN(score)) throw new RdbFormatException("invalid sorted set score");
            if (z.Find(flat[i]).Exists) throw new RdbFormatException("Duplicate zset fields detected");
            z.Add(flat[i], score, config);
        }
        return z;
    }
}
