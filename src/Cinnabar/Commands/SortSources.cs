using Cinnabar.Config;

namespace Cinnabar.Commands;

/// <summary>How SORT reads lists, sets and sorted sets and hash fields, and builds its STORE list.</summary>
internal static class SortSources
{
    public enum Kind { None, List, Set, SortedSet, Other }

    public static Kind KindOf(object value) => value switch
    {
        _ => Kind.Other,
    };

    public static long Count(object value) => throw new NotSupportedException();

    /// <summary>All elements: list order, set order, sorted-set order.</summary>
    public static List<byte[]> Elements(object value) => throw new NotSupportedException();

    /// <summary>Elements [start, start+count) in natural order, or from the end when <paramref name="reverse"/>.</summary>
    public static List<byte[]> Range(object value, long start, long count, bool reverse) => throw new NotSupportedException();

    public static byte[]? HashField(object value, ReadOnlySpan<byte> field) => null;

    public static object CreateList(List<byte[]> elements, ServerConfig config) => throw new NotSupportedException();
}
