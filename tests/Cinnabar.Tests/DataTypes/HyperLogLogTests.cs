using Cinnabar.DataTypes;
using Hll = Cinnabar.DataTypes.HyperLogLog;

namespace Cinnabar.Tests.DataTypes;

public sealed class HyperLogLogTests
{
    [Fact]
    public void DenseRegistersKeepTheirValuesWithoutDisturbingNeighbours()
    {
        var rnd = new Random(1);
        var regs = new byte[Hll.DenseSize - Hll.HeaderSize];
        var expected = new byte[Hll.Registers];
        for (int round = 0; round < 5; round++)
        {
            for (int j = 0; j < Hll.Registers; j++) Hll.SetDense(regs, j, expected[j] = (byte)rnd.Next(64));
            for (int j = 0; j < Hll.Registers; j++) Assert.Equal(expected[j], Hll.GetDense(regs, j));
        }
    }

    [Fact]
    public void AnEmptyHllIsSparseWithOneXZeroAndCountsZero()
    {
        var h = Hll.CreateSparse();
        Assert.Equal("HYLL\u0001\0\0\0\0\0\0\0\0\0\0\0\u007f\u00ff", System.Text.Encoding.Latin1.GetString(h));
        Assert.True(Hll.IsValid(h));
        Assert.Equal(0, Hll.Count(h));
        Assert.True(Hll.TryGetCachedCount(h, out long card) && card == 0);
    }

    [Fact]
    public void SparseAndDenseAgreeAndPromoteAtTheLimit()
    {
        var rnd = new Random(2);
        var dense = Hll.SparseToDense(Hll.CreateSparse())!;
        var sparse = Hll.CreateSparse();
        var buf = new byte[20000];
        sparse.CopyTo(buf, 0);
        int len = sparse.Length;
        var element = new byte[8];
        bool promoted = false;
        for (int i = 0; i < 3000 && !promoted; i++)
        {
            rnd.NextBytes(element);
            int count = Hll.PatLen(element, out int index);
            bool changed = Hll.DenseSet(dense.AsSpan(Hll.HeaderSize), index, count);
            var r = Hll.SparseSet(buf, ref len, index, count, 3000);
            if (r == Hll.SetResult.Promote) { promoted = true; Assert.True(len + 3 > 3000 || count > 32); break; }
            Assert.Equal(changed ? Hll.SetResult.Updated : Hll.SetResult.Unchanged, r);
            Assert.True(len <= 3000);
            var asDense = Hll.SparseToDense(buf.AsSpan(0, len))!;
            Assert.Equal(dense.AsSpan(Hll.HeaderSize).ToArray(), asDense.AsSpan(Hll.HeaderSize).ToArray());
            if (i % 100 == 0) Assert.Equal(Hll.Count(dense), Hll.Count(buf.AsSpan(0, len)));
        }
        Assert.True(promoted);
    }

    [Fact]
    public void CorruptSparseStringsAreDetected()
    {
        var h = Hll.CreateSparse();
        var shortRun = h.ToArray();
        shortRun[17] = 0xfe; // 16383 registers
        Assert.Equal(-1, Hll.Count(shortRun));
        Assert.Null(Hll.SparseToDense(shortRun));
        var overrun = h.Concat(new byte[] { 0x80 }).ToArray(); // a VAL past the last register
        Assert.Null(Hll.SparseToDense(overrun));
        Assert.False(Hll.MergeInto(new byte[Hll.Registers], overrun));
        Assert.False(Hll.IsValid("HYLL\0\0\0\0\0\0\0\0\0\0\0\0"u8)); // dense of the wrong size
    }

    [Fact]
    public void EstimatesStayWithinTheStandardError()
    {
        var dense = Hll.SparseToDense(Hll.CreateSparse())!;
        var element = new byte[8];
        for (long i = 1; i <= 200_000; i++)
        {
            BitConverter.TryWriteBytes(element, i);
            int count = Hll.PatLen(element, out int index);
            Hll.DenseSet(dense.AsSpan(Hll.HeaderSize), index, count);
            if (i == 10 || i == 1000 || i == 200_000)
                Assert.InRange(Hll.Count(dense), i - Math.Max(1, i * 0.05), i + Math.Max(1, i * 0.05));
        }
    }
}
