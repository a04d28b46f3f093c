using System.Text;
using Cinnabar.Config;
using Cinnabar.DataTypes;
using Cinnabar.Persistence;

namespace Cinnabar.Tests.DataTypes;

/// <summary>
/// Every listpack size estimate against what is written, over integers of every width: a buffer sized
/// from an estimate that is too small throws while a value converts (issue 20: an intset of 64-bit members
/// converting to a packed set).
/// </summary>
public sealed class ListpackSizeTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>An integer of a random bit width (1..64), either sign, with the widths' boundaries often.</summary>
    private static long RandomInteger(Random rng)
    {
        int bits = rng.Next(1, 65);
        long max = bits == 64 ? long.MaxValue : (1L << (bits - 1)) - 1;
        long min = bits == 64 ? long.MinValue : -(1L << (bits - 1));
        return rng.Next(4) switch
        {
            0 => max,
            1 => min,
            2 => max + (bits < 64 ? 1 : 0),
            _ => rng.NextInt64(min, max),
        };
    }

    [Fact]
    public void SizesAgreeWithWhatIsWrittenForEveryIntegerWidth()
    {
        var rng = new Random(20);
        Span<byte> dest = stackalloc byte[32];
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        for (int i = 0; i < 200_000; i++)
        {
            long v = RandomInteger(rng);
            int written = ListpackEntry.WriteInteger(dest, v);
            Assert.Equal(written, ListpackEntry.SizeOfInteger(v));
            Assert.Equal(written, ListpackSize.Int(v));
            var text = B(v.ToString());
            Assert.Equal(written, ListpackEntry.SizeOf(text));
            Assert.Equal(written, ListpackSize.String(text));
            Assert.Equal(written, ListpackEntry.Write(dest, text));
            Assert.Equal(written, ListpackEntry.SizeAt(dest, 0));
            Assert.Equal(text, ListpackEntry.Read(dest, 0, scratch).ToArray());
        }
    }

    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(62)] [InlineData(63)] [InlineData(64)] [InlineData(120)] [InlineData(126)]
    [InlineData(127)] [InlineData(128)] [InlineData(4094)] [InlineData(4095)] [InlineData(4096)] [InlineData(16380)] [InlineData(16384)]
    public void StringSizesAgreeWithWhatIsWritten(int length)
    {
        var value = new byte[length];
        Array.Fill(value, (byte)'s');
        var dest = new byte[length + 16];
        int written = ListpackEntry.Write(dest, value);
        Assert.Equal(written, ListpackEntry.SizeOf(value));
        Assert.Equal(written, ListpackSize.String(value));
        Assert.Equal(written, ListpackEntry.SizeAt(dest, 0));
    }

    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(3)]
    public void IntsetConvertsToPackedWithMembersOfEveryWidth(int seed)
    {
        var rng = new Random(seed);
        var config = new ServerConfig();
        for (int round = 0; round < 300; round++)
        {
            var s = SetValue.CreateIntset();
            var model = new HashSet<string>();
            int n = rng.Next(1, SetValue.PackedMaxEntries);
            for (int i = 0; i < n; i++)
            {
                var m = RandomInteger(rng).ToString();
                Assert.Equal(model.Add(m), s.Add(B(m), config));
            }
            Assert.True(s.IsIntset);
            Assert.True(s.Add("abc"u8, config));
            model.Add("abc");
            Assert.True(s.IsPacked);
            Assert.Equal(model.Order(), Members(s).Order());
            foreach (var m in model) Assert.True(s.Contains(B(m)));
        }
    }

    [Fact]
    public void CollectionsOfIntegersOfEveryWidthRoundTrip()
    {
        var rng = new Random(7);
        var config = new ServerConfig();
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        Span<byte> scratch2 = stackalloc byte[ListpackEntry.ScratchSize];
        for (int round = 0; round < 200; round++)
        {
            int n = rng.Next(1, 120);
            var values = Enumerable.Range(0, n).Select(_ => RandomInteger(rng).ToString()).Distinct().ToList();

            var list = new ListValue();
            foreach (var v in values) list.PushTail(B(v));
            var listed = new List<string>();
            while (list.Count > 0) listed.Add(Encoding.UTF8.GetString(list.Pop(head: true)));
            Assert.Equal(values, listed);

            var hash = new HashValue();
            foreach (var v in values) hash.Set(B(v), B(v), config);
            foreach (var v in values)
            {
                Assert.True(hash.TryGet(B(v), scratch, out var got));
                Assert.Equal(v, Encoding.UTF8.GetString(got));
            }

            var zset = new SortedSetValue(listpack: false);
            foreach (var v in values) zset.Add(B(v), long.Parse(v), config);
            zset.ConvertToListpackIfSmall(config);
            Assert.True(zset.IsListpack);
            foreach (var v in values)
            {
                Assert.True(zset.TryGetScore(B(v), out double score));
                Assert.Equal((double)long.Parse(v), score);
            }

            var builder = new ListpackBuilder();
            foreach (var v in values)
            {
                builder.AddString(B(v));
                builder.AddInt(long.Parse(v));
            }
            var blob = builder.ToArray();
            int p = Listpack.HeaderSize;
            foreach (var v in values)
            {
                Assert.Equal(v, Encoding.UTF8.GetString(ListpackEntry.Read(blob, p, scratch)));
                p += ListpackEntry.SizeAt(blob, p);
                Assert.Equal(v, Encoding.UTF8.GetString(ListpackEntry.Read(blob, p, scratch2)));
                p += ListpackEntry.SizeAt(blob, p);
            }
            Assert.Equal(blob.Length - 1, p);
        }
    }

    private static List<string> Members(SetValue s)
    {
        var l = new List<string>();
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        for (int p = 0; p < s.PositionEnd; p++)
            if (s.TryGetMember(p, scratch, out var m)) l.Add(Encoding.UTF8.GetString(m));
        return l;
    }
}
