using System.Text;
using Cinnabar.Config;
using Cinnabar.DataTypes;

namespace Cinnabar.Tests.DataTypes;

public class SortedSetValueTests
{
    private static readonly ServerConfig Config = new();

    private static List<(string Member, double Score)> Sorted(Dictionary<string, double> model) =>
        model.Select(kv => (kv.Key, kv.Value)).OrderBy(x => x.Value).ThenBy(x => Encoding.ASCII.GetBytes(x.Key), Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))).ToList();

    /// <summary>100 members stay a listpack (found by walking level 0); 500 convert to the skiplist with its member table.</summary>
    [Theory]
    [InlineData(100, true)]
    [InlineData(500, false)]
    public void RandomOperationsMatchASortedReference(int members, bool staysListpack)
    {
        var rng = new Random(9);
        var z = new SortedSetValue();
        var model = new Dictionary<string, double>();
        for (int step = 0; step < 20_000; step++)
        {
            string m = "m" + rng.Next(members);
            double score = rng.Next(4) == 0 ? rng.Next(10) : Math.Round(rng.NextDouble() * 100, 2);
            switch (rng.Next(4))
            {
                case 0:
                case 1:
                    {
                        var node = z.Find(Encoding.ASCII.GetBytes(m));
                        if (node is null) z.Add(Encoding.ASCII.GetBytes(m), score, Config); else z.UpdateScore(node, score);
                        model[m] = score;
                        break;
                    }
                case 2:
                    Assert.Equal(model.Remove(m), z.Remove(Encoding.ASCII.GetBytes(m)));
                    break;
                default:
                    {
                        var sorted = Sorted(model);
                        Assert.Equal(sorted.Count, z.Count);
                        if (sorted.Count == 0) break;
                        int rank = rng.Next(sorted.Count);
                        var node = z.AtRank(rank)!;
                        Assert.Equal(sorted[rank].Member, Encoding.ASCII.GetString(node.Member));
                        Assert.Equal(rank, z.RankOf(node.Member));
                        double lo = rng.NextDouble() * 100, hi = lo + rng.NextDouble() * 30;
                        var range = new ScoreRange(lo, hi, rng.Next(2) == 0, rng.Next(2) == 0);
                        var expected = sorted.Where(x => range.GteMin(x.Score) && range.LteMax(x.Score)).Select(x => x.Member).ToList();
                        var actual = new List<string>();
                        for (var n = z.FirstInRange(range); n is not null && range.LteMax(n.Score); n = n.Next) actual.Add(Encoding.ASCII.GetString(n.Member));
                        Assert.Equal(expected, actual);
                        var last = z.LastInRange(range);
                        Assert.Equal(expected.LastOrDefault(), last is null ? null : Encoding.ASCII.GetString(last.Member));
                        break;
                    }
            }
        }
        Assert.Equal(staysListpack, z.IsListpack);
        Assert.Equal(Sorted(model).Select(x => x.Member), z.Ascending().Select(n => Encoding.ASCII.GetString(n.Member)));
        // Backward links agree with forward order.
        var backwards = new List<string>();
        for (var n = z.Last; n is not null; n = n.Backward) backwards.Add(Encoding.ASCII.GetString(n.Member));
        backwards.Reverse();
        Assert.Equal(Sorted(model).Select(x => x.Member), backwards);
        // Every span is right: each rank finds its node and each node its rank.
        var all = Sorted(model);
        for (int i = 0; i < all.Count; i++)
        {
            Assert.Equal(all[i].Member, Encoding.ASCII.GetString(z.AtRank(i)!.Member));
            Assert.Equal(i, z.RankOf(Encoding.ASCII.GetBytes(all[i].Member)));
        }
    }

    [Fact]
    public void EncodingFollowsRedisThresholdsOneWay()
    {
        var z = SortedSetValue.Create(1, 1, Config);
        for (int i = 0; i < 128; i++) z.Add(Encoding.ASCII.GetBytes("m" + i), i, Config);
        Assert.Equal("listpack", z.GetEncoding(Config));
        z.Add("one-more"u8.ToArray(), 1, Config);
        Assert.Equal("skiplist", z.GetEncoding(Config));
        for (int i = 0; i < 100; i++) z.Remove(Encoding.ASCII.GetBytes("m" + i));
        Assert.Equal("skiplist", z.GetEncoding(Config));
        var small = SortedSetValue.Create(1, 1, Config);
        small.Add(new byte[65], 1, Config);
        Assert.Equal("skiplist", small.GetEncoding(Config));
    }

    [Fact]
    public void LexRangesCompareRawBytes()
    {
        var z = new SortedSetValue();
        foreach (var m in new[] { "a", "b", "c\0", "c", "d" }) z.Add(Encoding.ASCII.GetBytes(m), 0, Config);
        var range = new LexRange("b"u8.ToArray(), "c\0"u8.ToArray(), false, true, false, false, false, false);
        var got = new List<string>();
        for (var n = z.FirstInLexRange(range); n is not null && range.LteMax(n.Member); n = n.Next) got.Add(Encoding.ASCII.GetString(n.Member));
        Assert.Equal(new[] { "b", "c" }, got);
    }

    [Fact]
    public void NodeClassesKeepTheirUpperLinksAtOneOffset() => Assert.True(SortedSetValue.UpperLinksShareOneOffset());

    /// <summary>A large set has nodes of every inline size (1, up to 4, up to 8 levels); ranks and order hold across them.</summary>
    [Fact]
    public void TallNodesKeepOrderAndSpans()
    {
        var rng = new Random(5);
        var z = new SortedSetValue(listpack: false);
        var scores = new double[200_000];
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = rng.Next(1_000_000);
            z.Add(Encoding.ASCII.GetBytes("m" + i), scores[i], Config);
        }
        Assert.Contains(z.Ascending(), n => n.Height > 4);
        for (int i = 0; i < scores.Length; i += 2) Assert.True(z.Remove(Encoding.ASCII.GetBytes("m" + i)));
        var expected = Enumerable.Range(0, scores.Length).Where(i => i % 2 == 1)
            .Select(i => (Member: "m" + i, Score: scores[i]))
            .OrderBy(x => x.Score).ThenBy(x => Encoding.ASCII.GetBytes(x.Member), Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))).ToList();
        Assert.Equal(expected.Select(x => x.Member), z.Ascending().Select(n => Encoding.ASCII.GetString(n.Member)));
        for (int r = 0; r < expected.Count; r += 997)
        {
            Assert.Equal(expected[r].Member, Encoding.ASCII.GetString(z.AtRank(r)!.Member));
            Assert.Equal(r, z.RankOf(Encoding.ASCII.GetBytes(expected[r].Member)));
        }
    }
}
