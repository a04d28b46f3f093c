using System.Text;
using Cinnabar.Config;
using Cinnabar.DataTypes;

namespace Cinnabar.Tests.DataTypes;

public class SortedSetValueTests
{
    private static readonly ServerConfig Config = new();

    private static List<(string Member, double Score)> Sorted(Dictionary<string, double> model) =>
        model.Select(kv => (kv.Key, kv.Value)).OrderBy(x => x.Value).ThenBy(x => Encoding.ASCII.GetBytes(x.Key), Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))).ToList();

    private static string Text(SortedSetValue z, ZPos p) => Encoding.ASCII.GetString(z.MemberArrayAt(p));

    /// <summary>
    /// 100 members stay a listpack (one packed buffer, integer members among them); 500 convert to the
    /// skiplist. Every operation is checked against a sorted model, ranks, ranges, both directions.
    /// </summary>
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
            // Some members are integers, which the listpack stores as integer entries.
            string m = rng.Next(3) == 0 ? (rng.Next(members / 4) - 10).ToString() : "m" + rng.Next(members);
            double score = rng.Next(4) == 0 ? rng.Next(10) : Math.Round(rng.NextDouble() * 100, 2);
            switch (rng.Next(4))
            {
                case 0:
                case 1:
                    {
                        var pos = z.Find(Encoding.ASCII.GetBytes(m));
                        if (!pos.Exists) z.Add(Encoding.ASCII.GetBytes(m), score, Config); else z.UpdateScore(pos, score);
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
                        var pos = z.AtRank(rank);
                        Assert.Equal(sorted[rank].Member, Text(z, pos));
                        Assert.Equal(sorted[rank].Score, z.ScoreAt(pos));
                        Assert.Equal(rank, z.RankOf(pos));
                        double lo = rng.NextDouble() * 100, hi = lo + rng.NextDouble() * 30;
                        var range = new ScoreRange(lo, hi, rng.Next(2) == 0, rng.Next(2) == 0);
                        var expected = sorted.Where(x => range.GteMin(x.Score) && range.LteMax(x.Score)).Select(x => x.Member).ToList();
                        var actual = new List<string>();
                        for (var p = z.FirstInRange(range); p.Exists && range.LteMax(z.ScoreAt(p)); p = z.Next(p)) actual.Add(Text(z, p));
                        Assert.Equal(expected, actual);
                        var last = z.LastInRange(range);
                        Assert.Equal(expected.LastOrDefault(), last.Exists ? Text(z, last) : null);
                        break;
                    }
            }
        }
        Assert.Equal(staysListpack, z.IsListpack);
        Assert.Equal(Sorted(model).Select(x => x.Member), z.Elements().Select(e => Encoding.ASCII.GetString(e.Member)));
        // Walking backwards agrees with forward order.
        var backwards = new List<string>();
        for (var p = z.Last; p.Exists; p = z.Prev(p)) backwards.Add(Text(z, p));
        backwards.Reverse();
        Assert.Equal(Sorted(model).Select(x => x.Member), backwards);
        // Every span is right: each rank finds its node and each node its rank.
        var all = Sorted(model);
        for (int i = 0; i < all.Count; i++)
        {
            Assert.Equal(all[i].Member, Text(z, z.AtRank(i)));
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
        for (var p = z.FirstInLexRange(range); p.Exists && range.LteMax(z.MemberArrayAt(p)); p = z.Next(p)) got.Add(Text(z, p));
        Assert.Equal(new[] { "b", "c" }, got);
        Assert.Equal("c", Text(z, z.LastInLexRange(range)));
    }

    [Fact]
    public void NodeClassesKeepTheirUpperLinksAtOneOffset() => Assert.True(ZSkipList.UpperLinksShareOneOffset());

    /// <summary>The member index (open addressing, backward-shift deletion, shrinking) against a HashSet model.</summary>
    [Fact]
    public void MemberIndexFindsExactlyThePresentMembersThroughGrowthDeletionAndShrinking()
    {
        var rng = new Random(8);
        var z = new ZSkipList();
        var present = new HashSet<int>();
        byte[] M(int i) => Encoding.ASCII.GetBytes("k" + i);
        for (int round = 0; round < 6; round++)
        {
            // Fill up (many probe runs), then remove most in random order, which shrinks the index.
            for (int i = 0; i < 20_000; i++)
            {
                int m = rng.Next(40_000);
                if (present.Add(m)) z.Insert(rng.Next(100), M(m));
            }
            foreach (int m in present.OrderBy(_ => rng.Next()).Take(present.Count - (round % 2 == 0 ? 50 : 3000)).ToList())
            {
                z.Delete(z.Find(M(m))!);
                present.Remove(m);
            }
            Assert.Equal(present.Count, z.Count);
            for (int m = 0; m < 40_000; m++)
            {
                var node = z.Find(M(m));
                Assert.Equal(present.Contains(m), node is not null);
                if (node is not null) Assert.Equal("k" + m, Encoding.ASCII.GetString(node.Member));
            }
        }
        int some = present.First();
        Assert.Throws<ArgumentException>(() => z.Insert(1, M(some)));
        Assert.Equal(present.Count, z.Count);
    }

    /// <summary>A large set has nodes of every inline size (1, up to 4, up to 8 levels); ranks and order hold across them.</summary>
    [Fact]
    public void TallNodesKeepOrderAndSpans()
    {
        var rng = new Random(5);
        var z = new ZSkipList();
        var scores = new double[200_000];
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = rng.Next(1_000_000);
            z.Insert(scores[i], Encoding.ASCII.GetBytes("m" + i));
        }
        Assert.Contains(Nodes(z), n => n.Height > 4);
        for (int i = 0; i < scores.Length; i += 2) z.Delete(z.Find(Encoding.ASCII.GetBytes("m" + i))!);
        var expected = Enumerable.Range(0, scores.Length).Where(i => i % 2 == 1)
            .Select(i => (Member: "m" + i, Score: scores[i]))
            .OrderBy(x => x.Score).ThenBy(x => Encoding.ASCII.GetBytes(x.Member), Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))).ToList();
        Assert.Equal(expected.Select(x => x.Member), Nodes(z).Select(n => Encoding.ASCII.GetString(n.Member)));
        for (int r = 0; r < expected.Count; r += 997)
        {
            Assert.Equal(expected[r].Member, Encoding.ASCII.GetString(z.AtRank(r)!.Member));
            Assert.Equal(r, z.RankOf(z.Find(Encoding.ASCII.GetBytes(expected[r].Member))!));
        }
    }

    private static SortedSetValue Packed(params (string Member, double Score)[] elements)
    {
        var z = new SortedSetValue();
        foreach (var (m, score) in elements) z.Add(Encoding.ASCII.GetBytes(m), score, Config);
        return z;
    }

    private static List<string> Members(SortedSetValue z) => z.Elements().Select(e => Encoding.ASCII.GetString(e.Member)).ToList();

    /// <summary>
    /// The packed buffer is Redis' listpack: member then score, a whole score within half the long range as an
    /// integer entry (so -0 is stored as 0), others as d2string text. Checked against Redis 7.0.15's DUMP bytes.
    /// </summary>
    [Fact]
    public void ListpackBytesAreWhatRedisWrites()
    {
        var z = Packed(("b", 2), ("a", 1.5), ("7", 3), ("big", 1e20), ("neg", -0.0), ("e18", 1e18), ("e18x5", 5e18));
        Assert.True(z.IsListpack);
        var expected = Cinnabar.Persistence.Listpack.Encode(new[]
        {
            "neg", "0", "a", "1.5", "b", "2", "7", "3", "e18", "1000000000000000000", "e18x5", "5e+18", "big", "1e+20",
        }.Select(Encoding.ASCII.GetBytes));
        Assert.Equal(expected[Cinnabar.Persistence.Listpack.HeaderSize..^1], z.PackedEntries.ToArray());
        Assert.Equal(1e20, z.ScoreAt(z.Find("big"u8)));
        Assert.False(double.IsNegative(z.ScoreAt(z.First)));
    }

    [Fact]
    public void FromPackedTakesRedisDataAndRefusesWhatRedisNeverWrites()
    {
        static byte[] Blob(params string[] flat) => Cinnabar.Persistence.Listpack.Encode(flat.Select(Encoding.ASCII.GetBytes));
        static SortedSetValue Load(byte[] blob, int pairs) =>
            SortedSetValue.FromPacked(blob, Cinnabar.Persistence.Listpack.HeaderSize, blob.Length - 1, pairs);

        var good = Load(Blob("a", "1", "b", "1", "c", "2.5", "10", "inf"), 4);
        Assert.Equal(new[] { "a", "b", "c", "10" }, Members(good));
        Assert.Equal(double.PositiveInfinity, good.ScoreAt(good.Last));
        Assert.Throws<ArgumentException>(() => Load(Blob("b", "1", "a", "1"), 2));            // out of order
        Assert.Throws<ArgumentException>(() => Load(Blob("a", "1", "b", "2", "a", "3"), 3));  // repeated member
        Assert.Throws<ArgumentException>(() => Load(Blob("a", "x"), 1));                      // not a number
        Assert.Throws<ArgumentException>(() => Load(Blob("a", "nan"), 1));
        var many = Enumerable.Range(0, 40).SelectMany(i => new[] { "m" + i, i.ToString() }).Concat(["m3", "50"]).ToArray();
        Assert.Throws<ArgumentException>(() => Load(Blob(many), 41));                          // repeated, past the pairwise check
    }

    [Fact]
    public void ScoreUpdatesStayInPlaceOrMove()
    {
        var z = Packed(("a", 1), ("b", 2), ("c", 3));
        z.UpdateScore(z.Find("b"u8), 2.123456789);   // same place, longer score entry
        Assert.Equal(new[] { "a", "b", "c" }, Members(z));
        Assert.Equal(2.123456789, z.ScoreAt(z.Find("b"u8)));
        z.UpdateScore(z.Find("a"u8), 10);            // moves to the end
        Assert.Equal(new[] { "b", "c", "a" }, Members(z));
        z.UpdateScore(z.Find("a"u8), -1);            // and to the front
        Assert.Equal(new[] { "a", "b", "c" }, Members(z));
        Assert.Equal(new[] { -1, 2.123456789, 3 }, z.Elements().Select(e => e.Score));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RankRangesAreRemovedInBothEncodings(bool listpack)
    {
        var rng = new Random(3);
        for (int round = 0; round < 200; round++)
        {
            var z = new SortedSetValue(listpack);
            int n = rng.Next(1, 40);
            for (int i = 0; i < n; i++) z.Add(Encoding.ASCII.GetBytes("m" + i), rng.Next(10), Config);
            var before = Members(z);
            int start = rng.Next(n), end = rng.Next(start, n);
            z.RemoveRankRange(start, end);
            before.RemoveRange(start, end - start + 1);
            Assert.Equal(before, Members(z));
            Assert.Equal(before.Count, z.Count);
            if (before.Count > 0) Assert.Equal(before[^1], Text(z, z.Last));
        }
    }

    [Fact]
    public void ConversionsAndClonesKeepEveryElement()
    {
        var z = Packed(("x", 5), ("1", 1), ("y", 1), ("z", double.NegativeInfinity));
        var expected = z.Elements().Select(e => (Encoding.ASCII.GetString(e.Member), e.Score)).ToList();
        var clone = (SortedSetValue)z.DeepClone();
        z.ConvertToSkipList();
        Assert.False(z.IsListpack);
        Assert.Equal(expected, z.Elements().Select(e => (Encoding.ASCII.GetString(e.Member), e.Score)));
        z.ConvertToListpackIfSmall(Config);
        Assert.True(z.IsListpack);
        Assert.Equal(expected, z.Elements().Select(e => (Encoding.ASCII.GetString(e.Member), e.Score)));
        Assert.Equal(clone.PackedEntries.ToArray(), z.PackedEntries.ToArray());
        z.Remove("x"u8);
        Assert.Equal(4, clone.Count);                 // the clone has its own buffer
        var skip = (SortedSetValue)new SortedSetValue(listpack: false).DeepClone();
        Assert.False(skip.IsListpack);
    }

    private static IEnumerable<ZSkipList.Node> Nodes(ZSkipList z)
    {
        for (var n = z.First; n is not null; n = n.Next) yield return n;
    }
}
