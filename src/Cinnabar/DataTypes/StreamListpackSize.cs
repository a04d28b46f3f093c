using Cinnabar.Protocol;

namespace Cinnabar.DataTypes;

/// <summary>
/// Byte sizes of Redis listpack elements, used to account a stream node as Redis would (its node-full
/// rule compares the listpack's bytes with stream-node-max-bytes).
/// </summary>
public static class ListpackSize
{
    /// <summary>An integer element: encoding plus its one-byte back-length.</summary>
    public static int Int(long v)
    {
        int enc = v is >= 0 and <= 127 ? 1
            : v is >= -4096 and <= 4095 ? 2
            : v is >= short.MinValue and <= short.MaxValue ? 3
            : v is >= -8388608 and <= 8388607 ? 4
            : v is >= int.MinValue and <= int.MaxValue ? 5
            : 9;
        return enc + 1;
    }

    /// <summary>A string element; strings that are canonical integers are stored as integers.</summary>
    public static long String(ReadOnlySpan<byte> s)
    {
        if (s.Length is > 0 and <= 20 && RespNumbers.TryParseInt64(s, out long v)) return Int(v);
        long enc = (s.Length < 64 ? 1 : s.Length < 4096 ? 2 : 5) + (long)s.Length;
        int back = enc <= 127 ? 1 : enc < 16383 ? 2 : enc < 2097151 ? 3 : enc < 268435455 ? 4 : 5;
        return enc + back;
    }

    /// <summary>One stream entry: flags, ms and seq deltas, [num-fields, fields,] values, lp-count.</summary>
    public static long Entry<TFields>(StreamId id, StreamId master, in TFields fieldsAndValues, bool sameFields) where TFields : IStreamFields
    {
        int numFields = fieldsAndValues.Count / 2;
        long size = Int(sameFields ? 2 : 0)
                    + Int(unchecked((long)(id.Ms - master.Ms)))
                    + Int(unchecked((long)(id.Seq - master.Seq)));
        long lpCount = numFields + 3;
        if (sameFields)
        {
            for (int i = 1; i < fieldsAndValues.Count; i += 2) size += String(fieldsAndValues[i]);
        }
        else
        {
            size += Int(numFields);
            for (int i = 0; i < fieldsAndValues.Count; i++) size += String(fieldsAndValues[i]);
            lpCount += numFields + 1;
        }
        return size + Int(lpCount);
    }
}
