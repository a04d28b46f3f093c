using System.Text;
using Cinnabar.DataTypes;

namespace Cinnabar.Tests.Hashes;

public sealed class HashDictTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private struct Collect : IHashDictVisitor
    {
        public List<string> Keys;
        public void Visit(ref HashDict.Entry entry) => Keys.Add(Encoding.UTF8.GetString(entry.Key!));
    }

    [Fact]
    public void PairTablesKeepFieldAndValueInOneArrayAndMatchADictionary()
    {
        var rnd = new Random(7);
        var dict = new HashDict(pairs: true);
        var reference = new Dictionary<string, string>();
        for (int step = 0; step < 30_000; step++)
        {
            // Fields of every varint length class, empty values, binary bytes.
            string k = rnd.Next(4) switch { 0 => "", 1 => new string('f', 130) + rnd.Next(50), 2 => "k\0\r\n" + rnd.Next(2000), _ => "k" + rnd.Next(2000) };
            switch (rnd.Next(4))
            {
                case 0: case 1:
                    string v = rnd.Next(5) == 0 ? "" : "v" + step;
                    Assert.Equal(!reference.ContainsKey(k), dict.SetPair(B(k), B(v)));
                    reference[k] = v;
                    break;
                case 2:
                    Assert.Equal(reference.Remove(k), dict.Remove(B(k)));
                    break;
                default:
                    bool found = dict.TryGetValue(B(k), out var got);
                    Assert.Equal(reference.TryGetValue(k, out var want), found);
                    if (found) Assert.Equal(want, Encoding.UTF8.GetString(got));
                    break;
            }
            Assert.Equal(reference.Count, dict.Count);
        }
        var copy = dict.Clone();
        var pairs = new Dictionary<string, string>();
        for (int s = 0; s < copy.SlotCount; s++)
            if (copy.IsLive(s))
                pairs.Add(Encoding.UTF8.GetString(HashDict.FieldOf(copy.At(s).Key!)), Encoding.UTF8.GetString(HashDict.ValueOf(copy.At(s).Key!)));
        Assert.Equal(reference.OrderBy(x => x.Key), pairs.OrderBy(x => x.Key));
        foreach (var (k, v) in reference) Assert.True(copy.TryGetValue(B(k), out var got) && Encoding.UTF8.GetString(got) == v, k);
        Assert.Equal(new byte[] { 0 }, HashDict.Pair([], []));
        Assert.Equal(130, HashDict.FieldOf(HashDict.Pair(new byte[130], "x"u8)).Length);
    }

    [Fact]
    public void RandomOperationsMatchDictionary()
    {
        var rnd = new Random(42);
        var dict = new HashDict();
        var reference = new Dictionary<string, string>();
        for (int step = 0; step < 50_000; step++)
        {
            string k = "k" + rnd.Next(3000);
            switch (rnd.Next(4))
            {
                case 0:
                case 1:
                    string v = "v" + step;
                    bool added = dict.Set(B(k), B(v));
                    Assert.Equal(!reference.ContainsKey(k), added);
                    reference[k] = v;
                    break;
                case 2:
                    Assert.Equal(reference.Remove(k), dict.Remove(B(k)));
                    break;
                default:
                    var got = dict.Get(B(k));
                    Assert.Equal(reference.GetValueOrDefault(k), got is null ? null : Encoding.UTF8.GetString(got));
                    break;
            }
            Assert.Equal(reference.Count, dict.Count);
            // Occasionally shrink hard, to exercise compaction.
            if (step % 10_000 == 9_999)
                foreach (var key in reference.Keys.Take(reference.Count - 5).ToList()) { dict.Remove(B(key)); reference.Remove(key); }
        }
        var live = new List<string>();
        for (int s = 0; s < dict.SlotCount; s++)
            if (dict.IsLive(s)) live.Add(Encoding.UTF8.GetString(dict.At(s).Key!));
        Assert.Equal(reference.Keys.OrderBy(x => x), live.OrderBy(x => x));
    }

    [Fact]
    public void ScanVisitsEveryElementPresentThroughoutDespiteGrowthAndShrink()
    {
        var rnd = new Random(7);
        for (int trial = 0; trial < 20; trial++)
        {
            var dict = new HashDict();
            var stable = new HashSet<string>();
            for (int i = 0; i < 200; i++) { dict.Set(B("s" + i), null); stable.Add("s" + i); }
            var seen = new HashSet<string>();
            ulong cursor = 0;
            int extra = 0;
            do
            {
                var v = new Collect { Keys = new List<string>() };
                cursor = dict.ScanBucket(cursor, ref v);
                seen.UnionWith(v.Keys);
                // Grow or shrink with temporary elements between steps.
                if (trial % 2 == 0) for (int i = 0; i < rnd.Next(20); i++) dict.Set(B("t" + extra++), null);
                else if (extra < 2000) for (int i = 0; i < 50; i++) dict.Set(B("t" + extra++), null);
                if (trial % 2 == 1 && extra >= 2000)
                    for (int i = 0; i < extra; i++) dict.Remove(B("t" + i));
            } while (cursor != 0);
            Assert.Superset(stable, seen);
        }
    }

    [Fact]
    public void RandomSlotIsAlwaysLiveAndCoversAllElements()
    {
        var dict = new HashDict();
        for (int i = 0; i < 100; i++) dict.Set(B("k" + i), null);
        for (int i = 0; i < 90; i++) dict.Remove(B("k" + i));
        var rnd = new Random(1);
        var seen = new HashSet<int>();
        for (int i = 0; i < 1000; i++)
        {
            int s = dict.RandomSlot(rnd);
            Assert.True(dict.IsLive(s));
            seen.Add(s);
        }
        Assert.Equal(10, seen.Count);
        Assert.Equal(-1, new HashDict().RandomSlot(rnd));
    }

    [Fact]
    public void CloneIsIndependent()
    {
        var dict = new HashDict();
        dict.Set(B("a"), B("1"));
        var copy = dict.Clone();
        dict.Set(B("a"), B("2"));
        dict.Set(B("b"), B("3"));
        Assert.Equal("1", Encoding.UTF8.GetString(copy.Get("a"u8)!));
        Assert.Equal(1, copy.Count);
    }
}
