using Cinnabar.Config;
using Cinnabar.DataTypes;

namespace Cinnabar.Persistence;

/// <summary>Sets: an intset blob for small integer sets, members otherwise; listpacks (Redis 7.2) and intsets on load.</summary>
public static partial class RdbValueCodec
{
    private static void WriteSet(RdbOutput o, SetValue s)
    {
        if (s.IsIntset)
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

    private static SetValue ReadSetIntset(byte[] blob, ServerConfig config) =>
        SetFromMembers(Intset.Decode(blob).Select(v => System.Text.Encoding.ASCII.GetBytes(v.ToString())).ToList(), config);

    private static SetValue SetFromMembers(List<byte[]> members, ServerConfig config)
    {
        var s = members.Count == 0 ? SetValue.CreateIntset() : SetValue.CreateFor(members[0]);
        foreach (var m in members)
            if (!s.Add(m, config)) throw new RdbFormatException("Duplicate set members detected");
        return s;
    }
}
