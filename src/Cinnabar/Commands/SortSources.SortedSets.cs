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
        var node = reverse ? z.AtRank(z.Count - 1 - start) : z.AtRank(start);
        for (long i = 0; i < count && node is not null; i++, node = reverse ? node.Backward : node.Next) result.Add(node.Member);
        return result;
    }
}
