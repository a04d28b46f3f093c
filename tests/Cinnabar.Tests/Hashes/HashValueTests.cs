using System.Text;
using Cinnabar.Config;
using Cinnabar.DataTypes;

namespace Cinnabar.Tests.Hashes;

public sealed class HashValueTests
{
    private static readonly ServerConfig Config = new();
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
    private static string S(byte[] b) => Encoding.UTF8.GetString(b);

    private static List<string> Pairs(HashValue h) => h.Pairs().Select(x => S(x.Field) + "=" + S(x.Value)).ToList();

    [Fact]
    public void ListpackKeepsInsertionOrderAndUpdatesInPlace()
    {
        var h = new HashValue();
        Assert.True(h.Set("a"u8, "1"u8, Config));
        Assert.True(h.Set("b"u8, "2"u8, Config));
        Assert.True(h.Set("c"u8, "3"u8, Config));
        Assert.False(h.Set("a"u8, "9"u8, Config));
        Assert.True(h.Remove("b"u8));
        Assert.True(h.Set("b"u8, "4"u8, Config));
        Assert.Equal(["a=9", "c=3", "b=4"], Pairs(h));
        Assert.Equal("listpack", h.GetEncoding(Config));
    }

    [Fact]
    public void ConvertsOneWayAtRedisThresholds()
    {
        var config = new ServerConfig { HashMaxListpackEntries = 4, HashMaxListpackValue = 8 };
        var h = new HashValue();
        for (int i = 0; i < 4; i++) h.Set(B("f" + i), "v"u8, config);
        Assert.True(h.IsListpack);
        h.Set("f4"u8, "v"u8, config);
        Assert.Equal("hashtable", h.GetEncoding(config));
        for (int i = 0; i < 5; i++) h.Remove(B("f" + i));
        Assert.Equal(0, h.Count);
        Assert.False(h.IsListpack);

        var v = new HashValue();
        v.Set("f"u8, "12345678"u8, config);
        Assert.True(v.IsListpack);
        v.Set("f"u8, "123456789"u8, config);
        Assert.False(v.IsListpack);
        Assert.Equal("123456789", S(v.Get("f"u8)!));

        var z = new HashValue();
        z.ConvertIfLong(9, config);
        Assert.False(z.IsListpack);
    }

    [Fact]
    public void RandomOperationsMatchDictionaryAcrossEncodings()
    {
        var rnd = new Random(3);
        var config = new ServerConfig { HashMaxListpackEntries = 16, HashMaxListpackValue = 10 };
        for (int trial = 0; trial < 30; trial++)
        {
            var h = new HashValue();
            var reference = new Dictionary<string, string>();
            var order = new List<string>(); // listpack order
            for (int step = 0; step < 300; step++)
            {
                // Numeric fields and values are stored as listpack integers and must read back as the same text.
                string f = rnd.Next(4) == 0 ? rnd.Next(-300, 300).ToString() : "f" + rnd.Next(trial < 15 ? 12 : 40);
                if (rnd.Next(3) > 0)
                {
                    string v = rnd.Next(3) == 0 ? rnd.Next(-100000, 100000).ToString() : new string('v', rnd.Next(trial % 3 == 0 ? 12 : 8));
                    Assert.Equal(!reference.ContainsKey(f), h.Set(B(f), B(v), config));
                    if (!reference.ContainsKey(f)) order.Add(f);
                    reference[f] = v;
                }
                else
                {
                    Assert.Equal(reference.Remove(f), h.Remove(B(f)));
                    order.Remove(f);
                }
                Assert.Equal(reference.Count, h.Count);
                if (h.IsListpack) Assert.Equal(order.Select(x => x + "=" + reference[x]), Pairs(h));
                string probe = reference.Count > 0 && rnd.Next(2) == 0 ? reference.Keys.ElementAt(rnd.Next(reference.Count)) : "f" + rnd.Next(50);
                byte[] scratch = new byte[ListpackEntry.ScratchSize];
                Assert.Equal(reference.TryGetValue(probe, out var expected), h.TryGet(B(probe), scratch, out var got));
                if (expected is not null) Assert.Equal(expected, Encoding.UTF8.GetString(got));
                if (h.Count > 0)
                {
                    int pos = h.RandomPosition(rnd);
                    string field = Encoding.UTF8.GetString(h.FieldAt(pos, scratch));
                    Assert.Equal(reference[field], Encoding.UTF8.GetString(h.ValueAt(pos, scratch)));
                }
            }
            Assert.Equal(reference.Select(kv => kv.Key + "=" + kv.Value).OrderBy(x => x), Pairs(h).OrderBy(x => x));
            var clone = (HashValue)h.DeepClone();
            Assert.Equal(Pairs(h), Pairs(clone));
        }
    }

    [Fact]
    public void DistinctSamplingReturnsDistinctLivePositions()
    {
        var h = new HashValue();
        for (int i = 0; i < 100; i++) h.Set(B("f" + i), "v"u8, Config);
        var rnd = new Random(5);
        foreach (int n in new[] { 1, 10, 33, 34, 99 })
        {
            var picks = SetSampling.Distinct(h, n, rnd);
            Assert.Equal(n, picks.Distinct().Count());
            Assert.All(picks, p => Assert.True(h.IsLive(p)));
        }
    }

    [Fact]
    public void PackedBlobsAreAdoptedAndDuplicateFieldsRefused()
    {
        var builder = new Cinnabar.Persistence.ListpackBuilder();
        foreach (var x in new[] { "a", "1", "17", "x", "b", "-5" }) builder.AddString(B(x));
        var blob = builder.ToArray();
        var h = HashValue.FromPacked(blob, Cinnabar.Persistence.Listpack.HeaderSize, blob.Length - 1, 3);
        Assert.Equal(["a=1", "17=x", "b=-5"], Pairs(h));
        Assert.True(h.Set("17"u8, "y"u8, Config) == false);
        Assert.Equal(["a=1", "17=y", "b=-5"], Pairs(h));

        var dup = new Cinnabar.Persistence.ListpackBuilder();
        foreach (var x in new[] { "a", "1", "a", "2" }) dup.AddString(B(x));
        var dupBlob = dup.ToArray();
        Assert.Throws<ArgumentException>(() => HashValue.FromPacked(dupBlob, 6, dupBlob.Length - 1, 2));
    }
}
