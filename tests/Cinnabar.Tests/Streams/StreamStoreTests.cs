using System.Text;
using Cinnabar.DataTypes;

namespace Cinnabar.Tests.Streams;

/// <summary>The node store against a SortedList reference under random appends, deletes, trims and ranges.</summary>
public sealed class StreamStoreTests
{
    private static byte[][] Fields(Random rnd, int i)
    {
        // Mostly the same field names (compressed against the master entry), sometimes different ones.
        if (rnd.Next(4) == 0) return [Encoding.ASCII.GetBytes("f" + rnd.Next(3)), Encoding.ASCII.GetBytes("v" + i), [0, 13, 10]];
        return [Encoding.ASCII.GetBytes("sensor"), Encoding.ASCII.GetBytes(i.ToString()), Encoding.ASCII.GetBytes("temp"), Encoding.ASCII.GetBytes("25.5")];
    }

    private static string Render(StreamNode node, int index)
    {
        var sb = new StringBuilder();
        var f = node.Fields(index);
        while (f.MoveNext()) sb.Append(Encoding.Latin1.GetString(f.Field)).Append('=').Append(Encoding.Latin1.GetString(f.Value)).Append(';');
        return sb.ToString();
    }

    private static string Render(byte[][] fv)
    {
        var sb = new StringBuilder();
        for (int i = 0; i + 1 < fv.Length; i += 2) sb.Append(Encoding.Latin1.GetString(fv[i])).Append('=').Append(Encoding.Latin1.GetString(fv[i + 1])).Append(';');
        return sb.ToString();
    }

    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 3)]
    [InlineData(3, 1)]
    [InlineData(4, 0)]
    public void RandomOperationsMatchReference(int seed, int nodeMax)
    {
        var rnd = new Random(seed);
        var s = new StreamValue();
        var reference = new SortedList<StreamId, string>();
        ulong ms = 1;
        for (int step = 0; step < 4000; step++)
        {
            int op = rnd.Next(10);
            if (op < 6)
            {
                ms += (ulong)rnd.Next(3);
                Assert.True(s.NextId(0, ms, out var id));
                var fv = rnd.Next(5) == 0 && reference.Count > 0 ? new byte[][] { [1], [2] } : Fields(rnd, step);
                if (fv.Length % 2 == 1) fv = fv[..^1];
                s.Append(id, new ArrayFields(fv), nodeMax, 4096);
                reference.Add(id, Render(fv));
            }
            else if (op < 8 && reference.Count > 0)
            {
                var id = rnd.Next(3) == 0 ? new StreamId(ms, 99) : reference.Keys[rnd.Next(reference.Count)];
                Assert.Equal(reference.Remove(id), s.Delete(id));
            }
            else if (op == 8)
            {
                long maxLen = rnd.Next(reference.Count + 1);
                bool approx = rnd.Next(2) == 0;
                long removed = s.Trim(maxLen, null, approx, 0);
                for (long i = 0; i < removed; i++) reference.RemoveAt(0);
                if (!approx) Assert.True(reference.Count <= maxLen);
            }
            else if (reference.Count > 0)
            {
                var a = reference.Keys[rnd.Next(reference.Count)];
                var b = reference.Keys[rnd.Next(reference.Count)];
                if (a > b) (a, b) = (b, a);
                bool rev = rnd.Next(2) == 0;
                var expected = reference.Where(kv => kv.Key >= a && kv.Key <= b).Select(kv => kv.Key + ":" + kv.Value).ToList();
                if (rev) expected.Reverse();
                var actual = new List<string>();
                var it = s.Iterate(a, b, rev);
                while (it.MoveNext()) actual.Add(it.Id + ":" + Render(it.Node, it.Index));
                Assert.Equal(expected, actual);
            }
            Assert.Equal(reference.Count, s.Length);
        }
        var all = new List<StreamId>();
        var all2 = s.Iterate(StreamId.Min, StreamId.Max, false);
        while (all2.MoveNext()) all.Add(all2.Id);
        Assert.Equal(reference.Keys, all);
        Assert.Equal(reference.Count > 0 ? reference.Keys[0] : StreamId.Min, s.FirstId);
    }

    [Fact]
    public void MinIdTrimRemovesOlderEntries()
    {
        var s = new StreamValue();
        for (ulong i = 1; i <= 250; i++) s.Append(new StreamId(i, 0), new ArrayFields([[1], [2]]), 100, 4096);
        Assert.Equal(100, s.Trim(0, new StreamId(150, 0), true, 0)); // only whole nodes with ~
        Assert.Equal(49, s.Trim(0, new StreamId(150, 0), false, 0));
        Assert.Equal(new StreamId(150, 0), s.FirstId);
        Assert.Equal(101, s.Length);
    }

    [Fact]
    public void SameFieldEntriesAreCompact()
    {
        var s = new StreamValue();
        for (ulong i = 0; i < 1000; i++)
            s.Append(new StreamId(1700000000000 + i, 0), new ArrayFields([.. "sensor,1,temp,25.5".Split(',').Select(Encoding.ASCII.GetBytes)]), 100, 4096);
        long bytes = 0;
        for (int n = 0; n < s.NodeCount; n++) bytes += s.NodeAt(n).Bytes;
        // flags + ms delta (1-2 bytes) + seq + "1" + "25.5" with length prefixes: about 11 bytes per entry.
        Assert.True(bytes / 1000.0 < 14, $"bytes per entry: {bytes / 1000.0}");
    }
}
