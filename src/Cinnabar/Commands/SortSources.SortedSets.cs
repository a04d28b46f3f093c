namespace Cinnabar.Commands;

internal static partial class SortSources
{
    private static partial Kind SortedSetKind(object value) => Kind.Other;
    private static partial long SortedSetCount(object value) => 0;
    private static partial List<byte[]> SortedSetRange(object value, long start, long count, bool reverse) => [];
}
