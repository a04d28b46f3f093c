using System.Text;
using Cinnabar.DataTypes;

namespace Cinnabar.Tests.Streams;

public sealed class StreamIdTests
{
    private static bool Parse(string s, ulong missing, bool strict, out StreamId id)
        => StreamId.TryParse(Encoding.Latin1.GetBytes(s), missing, strict, out id);

    [Theory]
    [InlineData("0", 0ul, 0ul)]
    [InlineData("5-3", 5ul, 3ul)]
    [InlineData("18446744073709551615-18446744073709551615", ulong.MaxValue, ulong.MaxValue)]
    [InlineData("007-01", 7ul, 1ul)]
    [InlineData("+5-1", 5ul, 1ul)]
    [InlineData("5\0garbage", 5ul, 0ul)]
    public void ParsesValidIds(string text, ulong ms, ulong seq)
    {
        Assert.True(Parse(text, 0, true, out var id));
        Assert.Equal(new StreamId(ms, seq), id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("1-")]
    [InlineData("-1")]
    [InlineData("1--1")]
    [InlineData("1-2-3")]
    [InlineData("18446744073709551616")]
    [InlineData("1-*")]
    public void RejectsInvalidIds(string text) => Assert.False(Parse(text, 0, true, out _));

    [Fact]
    public void MissingSequenceAndSpecialBounds()
    {
        Assert.True(Parse("7", ulong.MaxValue, false, out var end));
        Assert.Equal(new StreamId(7, ulong.MaxValue), end);
        Assert.True(Parse("-", 0, false, out var min));
        Assert.Equal(StreamId.Min, min);
        Assert.True(Parse("+", 0, false, out var max));
        Assert.Equal(StreamId.Max, max);
        Assert.False(Parse("+", 0, true, out _));
        Assert.False(Parse(new string('1', 128), 0, true, out _));
    }

    [Fact]
    public void SequenceStarOnlyWhenAllowed()
    {
        Assert.True(StreamId.TryParse("9-*"u8, 0, true, true, out var id, out bool star));
        Assert.True(star);
        Assert.Equal(9ul, id.Ms);
    }

    [Fact]
    public void IncrementAndDecrementCarry()
    {
        Assert.True(new StreamId(1, ulong.MaxValue).TryIncrement(out var n));
        Assert.Equal(new StreamId(2, 0), n);
        Assert.False(StreamId.Max.TryIncrement(out _));
        Assert.True(new StreamId(2, 0).TryDecrement(out var p));
        Assert.Equal(new StreamId(1, ulong.MaxValue), p);
        Assert.False(StreamId.Min.TryDecrement(out _));
    }

    [Fact]
    public void FormatsAsMsDashSeq()
    {
        Span<byte> buf = stackalloc byte[48];
        int n = StreamId.Max.Format(buf);
        Assert.Equal("18446744073709551615-18446744073709551615", Encoding.ASCII.GetString(buf[..n]));
    }

    // ---- ID generation ----

    private static StreamValue WithLast(StreamId last)
    {
        var s = new StreamValue();
        s.Append(last, new ArrayFields([[1], [2]]), 100, 4096);
        return s;
    }

    [Fact]
    public void AutoIdUsesClockWhenAhead()
    {
        var s = WithLast(new StreamId(100, 5));
        Assert.True(s.NextId(200, null, out var id));
        Assert.Equal(new StreamId(200, 0), id);
    }

    [Fact]
    public void AutoIdSameMsIncrementsSequence()
    {
        var s = WithLast(new StreamId(100, 5));
        Assert.True(s.NextId(100, null, out var id));
        Assert.Equal(new StreamId(100, 6), id);
    }

    [Fact]
    public void ClockGoingBackwardsKeepsLastMs()
    {
        var s = WithLast(new StreamId(100, 5));
        Assert.True(s.NextId(50, null, out var id));
        Assert.Equal(new StreamId(100, 6), id);
    }

    [Fact]
    public void SequenceOverflowMovesToNextMs()
    {
        var s = WithLast(new StreamId(100, ulong.MaxValue));
        Assert.True(s.NextId(100, null, out var id));
        Assert.Equal(new StreamId(101, 0), id);
    }

    [Fact]
    public void ExplicitMsWithStar()
    {
        var s = WithLast(new StreamId(100, 5));
        Assert.True(s.NextId(0, 100, out var same));
        Assert.Equal(new StreamId(100, 6), same);
        Assert.True(s.NextId(0, 150, out var later));
        Assert.Equal(new StreamId(150, 0), later);
        Assert.False(s.NextId(0, 99, out _));
        var full = WithLast(new StreamId(100, ulong.MaxValue));
        Assert.False(full.NextId(0, 100, out _));
        Assert.True(new StreamValue().NextId(0, 0, out var first));
        Assert.Equal(new StreamId(0, 1), first);
    }

    [Fact]
    public void ExhaustedStreamHasNoNextId()
    {
        var s = WithLast(StreamId.Max);
        Assert.False(s.NextId(long.MaxValue, null, out _));
    }
}
