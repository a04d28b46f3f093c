using Cinnabar.Config;
using Cinnabar.DataTypes;

namespace Cinnabar.Commands;

/// <summary>How SORT reads lists, sets and sorted sets and hash fields, and builds its STORE list.</summary>
internal static partial class SortSources
{
    public enum Kind { None, List, Set, SortedSet, Other }

    public static Kind KindOf(object value) => value switch
    {
        ListValue => Kind.List,
        SetValue => Kind.Set,
        _ => SortedSetKind(value),
    };

    public static long Count(object value) => value switch
    {
        ListValue l => l.Count,
        SetValue s => s.Count,
        _ => SortedSetCount(value),
    };

    /// <summary>All elements: list order, set order, sorted-set order.</summary>
    public static List<byte[]> Elements(object value) => value switch
    {
        ListValue l => l.Elements(),
        SetValue s => Enumerable.Range(0, s.PositionEnd).Where(s.IsLive).Select(s.MemberArrayAt).ToList(),
        _ => SortedSetRange(value, 0, SortedSetCount(value), reverse: false),
    };

    /// <summary>Elements [start, start+count) in natural order, or from the end when <paramref name="reverse"/>.</summary>
    public static List<byte[]> Range(object value, long start, long count, bool reverse)
    {
        if (value is ListValue l)
        {
            var result = new List<byte[]>((int)Math.Max(0, Math.Min(count, l.Count - start)));
            if (start >= l.Count) return result;
            Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
            var cursor = l.From((int)start, forward: true, scratch);
            for (long i = 0; i < count && cursor.MoveNext(); i++) result.Add(cursor.Current.ToArray());
            return result;
        }
        return SortedSetRange(value, start, count, reverse);
    }

    public static byte[]? HashField(object value, ReadOnlySpan<byte> field) => value is HashValue h ? h.Get(field) : null;

    public static object CreateList(List<byte[]> elements, ServerConfig config)
    {
        var list = new ListValue(config.ListMaxListpackSize);
        foreach (var e in elements) list.PushTail(e);
        return list;
    }

    // Sorted sets are wired in SortSources.SortedSets.cs when that type exists.
    private static partial Kind SortedSetKind(object value);
    private static partial long SortedSetCount(object value);
    private static partial List<byte[]> SortedSetRange(object value, long start, long count, bool reverse);
}
