using Cinnabar.Commands;

namespace Cinnabar.Tests.Strings;

public sealed class BitScanTests
{
    private static bool Bit(byte[] v, long b) => (v[b >> 3] & (1 << (7 - (int)(b & 7)))) != 0;

    [Fact]
    public void CountAndFindAgreeWithBitByBitReference()
    {
        var rnd = new Random(11);
        for (int n = 0; n < 3000; n++)
        {
            var v = new byte[rnd.Next(1, 24)];
            rnd.NextBytes(v);
            if (rnd.Next(3) == 0) Array.Fill(v, rnd.Next(2) == 0 ? (byte)0 : (byte)0xFF);
            long total = v.Length * 8L;
            long start = rnd.NextInt64(0, total), end = rnd.NextInt64(start, total);
            long expectedCount = 0, firstOne = -1, firstZero = -1;
            for (long b = start; b <= end; b++)
            {
                bool set = Bit(v, b);
                if (set) { expectedCount++; if (firstOne < 0) firstOne = b; }
                else if (firstZero < 0) firstZero = b;
            }
            Assert.Equal(expectedCount, StringCommands.CountBits(v, start, end));
            Assert.Equal(firstOne, StringCommands.FindBit(v, start, end, true));
            Assert.Equal(firstZero, StringCommands.FindBit(v, start, end, false));
        }
    }
}
