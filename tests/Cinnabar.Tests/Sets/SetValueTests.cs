using System.Text;
using Cinnabar.Config;
using Cinnabar.DataTypes;

namespace Cinnabar.Tests.Sets;

public sealed class SetValueTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static List<string> Members(SetValue s)
    {
        var l = new List<string>();
        Span<byte> scratch = stackalloc byte[20];
        for (int p = 0; p < s.PositionEnd; p++)
            if (s.TryGetMember(p, scratch, out var m)) l.Add(Encoding.UTF8.GetString(m));
        return l;
    }

    [Fact]
    public void IntsetStaysSortedAndConvertsOnNonIntegerOrSize()
    {
        var config = new ServerConfig { SetMaxIntsetEntries = 5 };
        var s = SetValue.CreateFor("10"u8);
        Assert.True(s.IsIntset);
        foreach (var m in new[] { "10", "-3", "7", "9223372036854775807", "-9223372036854775808" }) s.Add(B(m), config);
        Assert.Equal(["-9223372036854775808", "-3", "7", "10", "9223372036854775807"], Members(s));
        Assert.False(s.Add("7"u8, config));
        Assert.True(s.Contains("-3"u8));
        Assert.False(s.Contains("07"u8));
        Assert.False(s.Remove("x"u8));
        Assert.True(s.IsIntset);
        s.Add("8"u8, config);
        Assert.Equal("hashtable", s.GetEncoding(config));
        Assert.True(s.Contains("8"u8) && s.Contains("-9223372036854775808"u8));

        var t = SetValue.CreateFor("1"u8);
        t.Add("1"u8, config);
        t.Add("01"u8, config); // not canonical: stored as bytes
        Assert.False(t.IsIntset);
        Assert.Equal(["1", "01"], Members(t));
        Assert.False(SetValue.CreateFor("a"u8).IsIntset);
        Assert.False(SetValue.CreateFor("-0"u8).IsIntset);
    }

    [Fact]
    public void RandomOperationsMatchHashSetAcrossEncodings()
    {
        var rnd = new Random(11);
        var config = new ServerConfig { SetMaxIntsetEntries = 20 };
        for (int trial = 0; trial < 40; trial++)
        {
            var set = SetValue.CreateIntset();
            var reference = new HashSet<string>();
            for (int step = 0; step < 400; step++)
            {
                string m = rnd.Next(50) == 0 && trial % 2 == 0 ? "x" + rnd.Next(5) : (rnd.Next(trial < 20 ? 25 : 200) - 10).ToString();
                if (rnd.Next(3) > 0) Assert.Equal(reference.Add(m), set.Add(B(m), config));
                else Assert.Equal(reference.Remove(m), set.Remove(B(m)));
                Assert.Equal(reference.Count, set.Count);
                var members = Members(set);
                if (set.IsIntset) Assert.Equal(members.OrderBy(long.Parse), members);
            }
            Assert.Equal(reference.OrderBy(x => x, StringComparer.Ordinal), Members(set).OrderBy(x => x, StringComparer.Ordinal));
            Assert.Equal(Members(set), Members((SetValue)set.DeepClone()));
        }
    }

    [Fact]
    public void SamplingIsDistinctAndRoughlyUniform()
    {
        var config = new ServerConfig();
        var set = SetValue.CreateIntset();
        for (int i = 0; i < 10; i++) set.Add(B(i.ToString()), config);
        var rnd = new Random(9);
        var counts = new int[10];
        for (int round = 0; round < 5000; round++)
        {
            var picks = SetSampling.Distinct(set, 3, rnd);
            Assert.Equal(3, picks.Distinct().Count());
            foreach (var p in picks) counts[p]++;
        }
        // each element is expected 1500 times
        Assert.All(counts, c => Assert.InRange(c, 1300, 1700));
    }
}
