using System.Text;
using Cinnabar.DataTypes;

namespace Cinnabar.Tests.Streams;

public sealed class StreamGroupTests
{
    [Fact]
    public void NamedListKeepsRaxByteOrderAndFindsBySpan()
    {
        var list = new NamedSortedList<StreamConsumer>();
        foreach (var n in new[] { "b", "ab", "a", "\0", "\u00ff", "abc" })
            Assert.True(list.Add(new StreamConsumer(Encoding.Latin1.GetBytes(n), 0)));
        Assert.False(list.Add(new StreamConsumer("a"u8.ToArray(), 0)));
        var order = new List<string>();
        foreach (var c in list) order.Add(Encoding.Latin1.GetString(c.Name));
        Assert.Equal(["\0", "a", "ab", "abc", "b", "\u00ff"], order);
        Assert.NotNull(list.Find("ab"u8));
        Assert.Null(list.Find("zz"u8));
        Assert.True(list.Remove("ab"u8));
        Assert.False(list.Remove("ab"u8));
        Assert.Equal(5, list.Count);
    }

    [Fact]
    public void PendingLookupAndCloneKeepSharedEntries()
    {
        var g = new StreamGroup("g"u8.ToArray(), new StreamId(5, 0), 3);
        var c = g.GetOrCreateConsumer("c"u8, 10, out bool created);
        Assert.True(created);
        var pe = new PendingEntry(new StreamId(2, 0)) { Consumer = c, DeliveryTime = 10, DeliveryCount = 2 };
        g.Pending.Add(pe);
        c.Pending.Add(pe);
        Assert.Same(pe, g.FindPending(new StreamId(2, 0)));
        Assert.Null(g.FindPending(new StreamId(3, 0)));
        var clone = g.Clone();
        var cpe = clone.FindPending(new StreamId(2, 0))!;
        Assert.NotSame(pe, cpe);
        Assert.Same(clone.FindConsumer("c"u8), cpe.Consumer);
        Assert.Contains(cpe, cpe.Consumer!.Pending);
        Assert.Equal(2, cpe.DeliveryCount);
    }

    [Fact]
    public void LagFollowsTombstonesLikeRedis()
    {
        var s = new StreamValue();
        for (ulong i = 1; i <= 5; i++) s.Append(new StreamId(i, 0), new ArrayFields([[1], [2]]), 100, 4096);
        var g = new StreamGroup("g"u8.ToArray(), StreamId.Min, StreamGroup.InvalidEntriesRead);
        Assert.Equal(5, s.GroupLag(g)); // estimated from the first entry
        s.GroupDelivered(g, new StreamId(1, 0));
        Assert.Equal(1, g.EntriesRead);
        Assert.True(s.Delete(new StreamId(4, 0)));
        Assert.Null(s.GroupLag(g)); // a tombstone ahead of the group: unknown
        s.GroupDelivered(g, new StreamId(2, 0));
        s.GroupDelivered(g, new StreamId(3, 0)); // tombstone ahead: the counter becomes unknown
        Assert.Equal(StreamGroup.InvalidEntriesRead, g.EntriesRead);
        s.GroupDelivered(g, new StreamId(5, 0)); // the last entry: exact again
        Assert.Equal(5, g.EntriesRead);
        Assert.Equal(0, s.GroupLag(g));
    }
}
