using Cinnabar.Config;
using Cinnabar.DataTypes;

namespace Cinnabar.Persistence;

/// <summary>Hashes: a listpack blob when small (kept as it is on load), field/value pairs otherwise; ziplists from Redis before 7.0.</summary>
public static partial class RdbValueCodec
{
    private static void WriteHash(RdbOutput o, HashValue h)
    {
        if (h.IsListpack)
        {
            WriteListpack(o, h.PackedEntries, h.Count * 2);
            return;
        }
        o.WriteLength((ulong)h.Count);
        var cursor = h.GetCursor(default, default); // a hashtable stores no integer entries
        while (cursor.MoveNext())
        {
            o.WriteString(cursor.Field);
            o.WriteString(cursor.Value);
        }
    }

    private static HashValue ReadHashPairs(RdbInput input, ServerConfig config)
    {
        long n = input.ReadLength();
        var h = new HashValue();
        for (long i = 0; i < n; i++)
        {
            var field = input.ReadString();
            var value = input.ReadString();
            if (!h.Set(field, value, config)) throw new RdbFormatException("Duplicate hash fields detected");
        }
        return h;
    }

    /// <summary>A listpack hash blob is validated and kept as it is (converted when it exceeds this server's thresholds).</summary>
    private static HashValue ReadHashListpack(byte[] blob, ServerConfig config)
    {
        int count = Listpack.Validate(blob);
        if (count % 2 != 0) throw new RdbFormatException("hash blob with an odd number of elements");
        HashValue h;
        try
        {
            h = HashValue.FromPacked(blob, Listpack.HeaderSize, blob.Length - 1, count / 2);
        }
        catch (ArgumentException)
        {
            throw new RdbFormatException("Duplicate hash fields detected");
        }
        h.ConvertIfTooMany(config);
        if (h.IsListpack) h.ConvertIfLong(h.LongestPackedElement(), config);
        return h;
    }

    private static HashValue HashFromFlat(List<byte[]> flat, ServerConfig config)
    {
        if (flat.Count % 2 != 0) throw new RdbFormatException("hash blob with an odd number of elements");
        var h = new HashValue();
        for (int i = 0; i < flat.Count; i += 2)
            if (!h.Set(flat[i], flat[i + 1], config)) throw new RdbFormatException("Duplicate hash fields detected");
        return h;
    }
}
