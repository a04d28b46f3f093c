using Cinnabar.Config;
using Cinnabar.DataTypes;

namespace Cinnabar.Persistence;

/// <summary>
/// RDB encodings of the collection types. Writing makes the choices Redis 7.0 makes for the same
/// in-memory encoding (listpack/intset blobs for small collections, element lists for large ones), so DUMP
/// payloads of small collections are byte-identical; reading accepts every encoding since Redis 2.x.
/// </summary>
public static partial class RdbValueCodec
{
    private static partial byte ObjectTypeByte(IRedisObject value) => value switch
    {
        HashValue h => h.IsListpack ? RdbFormat.TypeHashListpack : RdbFormat.TypeHash,
        SetValue s => s.GetEncoding(DefaultConfig) == "intset" ? RdbFormat.TypeSetIntset : RdbFormat.TypeSet,
        _ => MoreObjectTypeByte(value),
    };

    private static partial void WriteObject(RdbOutput output, IRedisObject value)
    {
        switch (value)
        {
            case HashValue h:
                WriteHash(output, h);
                break;
            case SetValue s:
                WriteSet(output, s);
                break;
            default:
                WriteMoreObject(output, value);
                break;
        }
    }

    private static partial object ReadObject(RdbInput input, byte type, ServerConfig config) => type switch
    {
        RdbFormat.TypeHash => ReadHashPairs(input, config),
        RdbFormat.TypeHashZiplist => HashFromFlat(Ziplist.Decode(input.ReadString()), config),
        RdbFormat.TypeHashListpack => ReadHashListpack(input.ReadString(), config),
        RdbFormat.TypeSet => ReadSetMembers(input, config),
        RdbFormat.TypeSetIntset => SetFromMembers(Intset.Decode(input.ReadString()).Select(v => System.Text.Encoding.ASCII.GetBytes(v.ToString())).ToList(), config),
        RdbFormat.TypeSetListpack => SetFromMembers(Listpack.Decode(input.ReadString()), config),
        _ => ReadMoreObject(input, type, config),
    };

    /// <summary>The encodings Redis chose depend only on the object's own state, not on live config changes.</summary>
    private static readonly ServerConfig DefaultConfig = new();

    // ---- hashes ----

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

    // ---- sets ----

    private static void WriteSet(RdbOutput o, SetValue s)
    {
        if (s.GetEncoding(DefaultConfig) == "intset")
        {
            var values = new List<long>(s.Count);
            for (int p = 0; p < s.PositionEnd; p++)
                if (s.IsLive(p)) values.Add(long.Parse(s.MemberArrayAt(p)));
            values.Sort();
            o.WriteString(Intset.Encode(values));
            return;
        }
        o.WriteLength((ulong)s.Count);
        for (int p = 0; p < s.PositionEnd; p++)
            if (s.IsLive(p)) o.WriteString(s.MemberArrayAt(p));
    }

    private static SetValue ReadSetMembers(RdbInput input, ServerConfig config)
    {
        long n = input.ReadLength();
        var members = new List<byte[]>((int)Math.Min(n, 1 << 20));
        for (long i = 0; i < n; i++) members.Add(input.ReadString());
        return SetFromMembers(members, config);
    }

    private static SetValue SetFromMembers(List<byte[]> members, ServerConfig config)
    {
        var s = members.Count == 0 ? SetValue.CreateIntset() : SetValue.CreateFor(members[0]);
        foreach (var m in members)
            if (!s.Add(m, config)) throw new RdbFormatException("Duplicate set members detected");
        return s;
    }
}
