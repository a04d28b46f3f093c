using Cinnabar.DataTypes;

namespace Cinnabar.Commands;

internal static partial class SortSources
{
    private static partial Kind SortedSetKind(object value) => value is SortedSetValue ? Kind.SortedSet : Kind.Other;

    private static partial long SortedSetCount(object value) => value is SortedSetValue z ? z.Count : 0;

    private static partial List<byte[]> SortedSetRange(object value, long start, long count, bool reverse)
    {
        var result = new List<byte[]>();
        if (value is not SortedSetValue z || count <= 0) return result;
        var p = reverse ? z.AtRank(z.Count - 1 - start) : z.AtRank(start);
        for (long i = 0; i < count && p.Exists; i++, p = z.Step(p, reverse)) result.Add(z.MemberArrayAt(p));
        return result;
    }
}
