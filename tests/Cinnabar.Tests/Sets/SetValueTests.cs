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
    public void SmallStringSetsArePackedUntilTooManyOrTooLong()
    {
        var config = new ServerConfig();
        var s = SetValue.CreateFor("a"u8);
        Assert.True(s.Add("a"u8, config));
        Assert.True(s.IsPacked);
        Assert.Equal("hashtable", s.GetEncoding(config)); // Redis 7.0's name for every set that is not an intset
        for (int i = 0; i < SetValue.PackedMaxEntries - 1; i++) Assert.True(s.Add(B("m" + i), config)); // 128 with "a"
        Assert.True(s.IsPacked);
        Assert.False(s.Add("m5"u8, config));
        Assert.True(s.Remove("m0"u8));
        Assert.False(s.Contains("m0"u8));
        Assert.False(s.Remove("m0"u8));
        Assert.True(s.Add("m0"u8, config));
        Assert.True(s.IsPacked);
        Assert.True(s.Add("one-too-many"u8, config));
        Assert.False(s.IsPacked);
        Assert.NotNull(s.Dict);
        Assert.Equal(SetValue.PackedMaxEntries + 1, s.Count);
        Assert.True(s.Contains("m126"u8) && s.Contains("one-too-many"u8) && s.Contains("a"u8));

        var t = SetValue.CreateFor("a"u8);
        t.Add("a"u8, config);
        Assert.True(t.Add(B(new string('x', SetValue.PackedMaxBytes + 1)), config));
        Assert.NotNull(t.Dict);
        Assert.True(t.Contains("a"u8));

        // An intset meeting a string becomes packed with its integers, which still compare as text.
        var u = SetValue.CreateIntset();
        u.Add("3"u8, config);
        u.Add("-1"u8, config);
        u.Add("b"u8, config);
        Assert.True(u.IsPacked);
        Assert.Equal(["-1", "3", "b"], Members(u));
        Assert.True(u.Contains("3"u8));
        Assert.False(u.Contains("03"u8));
        Assert.False(u.Add("-1"u8, config));
        Span<byte> scratch = stackalloc byte[20];
        foreach (int pos in new[] { 2, 0, 1, 2 })
        {
            Assert.True(u.TryGetMember(pos, scratch, out var m));
            Assert.Equal(new[] { "-1", "3", "b" }[pos], Encoding.UTF8.GetString(m));
        }
        var clone = (SetValue)u.DeepClone();
        u.Remove("b"u8);
        Assert.Equal(["-1", "3", "b"], Members(clone));
        Assert.Equal(["-1", "3"], Members(u));
        Assert.InRange(u.MemoryUsage(0), 1, 120); // one small buffer, not a table and an array per member
    }

    [Fact]
    public void RandomOperationsMatchHashSetAcrossEncodings()
    {
        var rnd = new Random(11);
        var config = new ServerConfig { SetMaxIntsetEntries = 20 };
        var encodings = new HashSet<string>();
        for (int trial = 0; trial < 40; trial++)
        {
            var set = SetValue.CreateIntset();
            var reference = new HashSet<string>();
            for (int step = 0; step < 400; step++)
            {
                string m = rnd.Next(trial % 4 == 0 ? 50 : 4) == 0 && trial % 2 == 0 ? "x" + rnd.Next(trial < 20 ? 5 : 150) : (rnd.Next(trial < 20 ? 25 : 200) - 10).ToString();
                if (rnd.Next(3) > 0) Assert.Equal(reference.Add(m), set.Add(B(m), config));
                else Assert.Equal(reference.Remove(m), set.Remove(B(m)));
                Assert.Equal(reference.Count, set.Count);
                var members = Members(set);
                if (set.IsIntset) Assert.Equal(members.OrderBy(long.Parse), members);
            }
            Assert.Equal(reference.OrderBy(x => x, StringComparer.Ordinal), Members(set).OrderBy(x => x, StringComparer.Ordinal));
            Assert.Equal(Members(set), Members((SetValue)set.DeepClone()));
            encodings.Add(set.IsIntset ? "intset" : set.IsPacked ? "packed" : "hashtable");
        }
        Assert.Equal(3, encodings.Count);
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
