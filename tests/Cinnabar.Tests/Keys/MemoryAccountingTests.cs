using System.Text;
using Cinnabar.DataTypes;
using Cinnabar.Keyspace;
using Cinnabar.Memory;

namespace Cinnabar.Tests.Keys;

/// <summary>The keyspace's running memory total and eviction sampling (docs/memory.md).</summary>
public sealed class MemoryAccountingTests
{
    private static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

    /// <summary>What the running total should be: every key plus what was last counted for its value.</summary>
    private static long Recount(Database db)
    {
        long sum = 0;
        var t = db.Table;
        for (int i = 0; i < t.SlotCount; i++)
        {
            if (!t.IsOccupied(i)) continue;
            ref var e = ref t.EntryAt(i);
            sum += MemorySize.Bytes(e.Key) + (e.Value is byte[] s ? MemorySize.Bytes(s) : ((IRedisObject)e.Value!).AccountedBytes);
        }
        return sum;
    }

    [Fact]
    public void TheRunningTotalFollowsAddsOverwritesReplacementsAndRemovals()
    {
        var state = new KeyspaceState { NowMs = 1_000_000 };
        var db = new Database(0, state);
        var other = new Database(1, state);
        var random = new Random(3);
        for (int step = 0; step < 20_000; step++)
        {
            var key = B("k" + random.Next(500));
            switch (random.Next(6))
            {
                case 0: db.Set(key, new byte[random.Next(200)]); break;
                case 1: db.Delete(key); break;
                case 2:
                {
                    int i = db.Find(key);
                    if (i >= 0 && db.EntryAt(i).Value is byte[]) db.ReplaceValue(i, new byte[random.Next(300)]);
                    break;
                }
                case 3:
                {
                    int i = db.Find(key);
                    if (i < 0) i = db.Add(key, SetValue.CreateFor("m"u8));
                    if (db.EntryAt(i).Value is SetValue set)
                    {
                        set.Add(B("m" + random.Next(1000)).AsSpan(), new Cinnabar.Config.ServerConfig());
                        db.Remeasure(i);
                    }
                    break;
                }
                case 4: other.Set(key, new byte[10]); break;
                case 5: if (random.Next(100) == 0) other.Clear(); break;
            }
            if (step % 5000 == 0) db.SwapWith(other);
        }
        Assert.Equal(Recount(db), db.UsedBytes);
        Assert.Equal(Recount(other), other.UsedBytes);
        Assert.Equal(db.UsedBytes + other.UsedBytes, state.DatasetBytes);
        db.Clear();
        other.Clear();
        Assert.Equal(0, state.DatasetBytes);
    }

    [Fact]
    public void StringsAreCountedExactlyAsTheirArraysOnTheHeap()
    {
        var state = new KeyspaceState { NowMs = 1 };
        var db = new Database(0, state);
        db.Set(B("key"), new byte[100]); // key: 24 + 3 -> 32; value: 24 + 100 -> 128
        Assert.Equal(32 + 128, state.DatasetBytes);
    }

    [Fact]
    public void SamplingFindsKeysWithAnExpiryAmongManyWithout()
    {
        var t = new KeyTable();
        for (int i = 0; i < 10_000; i++) t.Add(B("k" + i), KeyTable.HashOf(B("k" + i)), new byte[1], i % 1000 == 0 ? 5 : 0);
        Span<int> dest = stackalloc int[5];
        int got = t.SampleIndexes(dest, new Random(1), withExpiry: true);
        Assert.True(got > 0);
        for (int k = 0; k < got; k++) Assert.NotEqual(0, t.EntryAt(dest[k]).ExpireAt);
        got = t.SampleIndexes(dest, new Random(1), withExpiry: false);
        Assert.Equal(5, got);
        Assert.All(dest.ToArray(), i => Assert.True(t.IsOccupied(i)));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(10, 500)]
    [InlineData(1, 50)]
    [InlineData(11, 575)]
    [InlineData(100, long.MaxValue)]
    public void EvictionTimeLimitFollowsTenacity(int tenacity, long micros)
    {
        Assert.Equal(micros, MemoryManager.EvictionTimeLimitUs(tenacity));
    }
}
