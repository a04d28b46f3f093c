using System.Text;
using Cinnabar.Keyspace;

namespace Cinnabar.Tests.Keys;

/// <summary>KeyTable against a Dictionary reference model, and the SCAN cursor guarantee across resizes.</summary>
public sealed class KeyTableTests
{
    private static byte[] K(string s) => Encoding.UTF8.GetBytes(s);

    private struct Collect(List<string> into) : IEntryVisitor
    {
        public void Visit(int index, ref KeyEntry entry) => into.Add(Encoding.UTF8.GetString(entry.Key!));
    }

    private static int Add(KeyTable t, string key, object value) => t.Add(K(key), KeyTable.HashOf(K(key)), value);

    [Fact]
    public void RandomizedOperationsMatchADictionary()
    {
        var rng = new Random(42);
        var table = new KeyTable();
        var model = new Dictionary<string, string>();
        bool sawRehash = false;
        for (int step = 0; step < 50_000; step++)
        {
            sawRehash |= table.IsRehashing;
            string key = "k" + rng.Next(2000);
            int op = rng.Next(10);
            int i = table.Find(K(key));
            Assert.Equal(model.ContainsKey(key), i >= 0);
            if (op < 5)
            {
                string value = "v" + step;
                if (i >= 0) table.EntryAt(i).Value = value;
                else Add(table, key, value);
                model[key] = value;
            }
            else if (op < 8)
            {
                if (i >= 0) table.RemoveAt(i);
                model.Remove(key);
            }
            else if (i >= 0)
            {
                Assert.Equal(model[key], table.EntryAt(i).Value);
                Assert.Equal(key, Encoding.UTF8.GetString(table.EntryAt(i).Key!));
            }
            Assert.Equal(model.Count, table.Count);
        }
        Assert.True(sawRehash, "lookups, additions and removals should have run while the table was growing");
        // A full scan sees exactly the model's keys, each once.
        var seen = new List<string>();
        var visitor = new Collect(seen);
        ulong cursor = 0;
        do cursor = table.ScanBucket(cursor, ref visitor); while (cursor != 0);
        Assert.Equal(model.Keys.Order(), seen.Order());
        // Random picks only return live entries.
        for (int n = 0; n < 1000; n++)
        {
            int r = table.RandomIndex(rng);
            Assert.True(table.IsOccupied(r));
            Assert.True(model.ContainsKey(Encoding.UTF8.GetString(table.EntryAt(r).Key!)));
        }
    }

    [Fact]
    public void EmptyTableBehaviour()
    {
        var table = new KeyTable();
        Assert.Equal(-1, table.Find("x"u8));
        Assert.Equal(-1, table.RandomIndex(new Random(1)));
        var seen = new List<string>();
        var visitor = new Collect(seen);
        Assert.Equal(0UL, table.ScanBucket(0, ref visitor));
        Assert.Empty(seen);
        // An out-of-range cursor is masked to a bucket, like Redis.
        table.ScanBucket(ulong.MaxValue, ref visitor);
        Assert.Empty(seen);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ScanReturnsEveryKeyPresentThroughoutWhileTheTableGrows(int seed)
    {
        var rng = new Random(seed);
        var table = new KeyTable();
        var stable = new HashSet<string>();
        for (int i = 0; i < 100; i++)
        {
            Add(table, "stable" + i, "v");
            stable.Add("stable" + i);
        }
        var volatileKeys = new List<string>();
        for (int i = 0; i < 50; i++)
        {
            Add(table, "vol" + i, "v");
            volatileKeys.Add("vol" + i);
        }
        var seen = new List<string>();
        var visitor = new Collect(seen);
        ulong cursor = 0;
        int added = 0, calls = 0, callsWhileRehashing = 0;
        do
        {
            if (table.IsRehashing) callsWhileRehashing++;
            cursor = table.ScanBucket(cursor, ref visitor);
            calls++;
            // Between calls: grow the table (several resizes over the iteration) and delete some other keys.
            // Growth is capped: one bucket is visited per call, so unbounded growth could outrun the scan forever.
            int n = added < 20_000 ? rng.Next(0, 40) : 0;
            for (int j = 0; j < n; j++) Add(table, "new" + added++, "v");
            if (volatileKeys.Count > 0 && rng.Next(3) == 0)
            {
                var victim = volatileKeys[^1];
                volatileKeys.RemoveAt(volatileKeys.Count - 1);
                table.RemoveAt(table.Find(K(victim)));
            }
        } while (cursor != 0);
        Assert.True(table.BucketCount >= 1024, $"the table should have grown (buckets={table.BucketCount})");
        Assert.True(calls > 1);
        Assert.True(callsWhileRehashing > 0, "some scan steps should have run over two bucket arrays");
        var seenSet = seen.ToHashSet();
        Assert.True(stable.IsSubsetOf(seenSet), "missing: " + string.Join(",", stable.Except(seenSet)));
        foreach (var v in volatileKeys) Assert.Contains(v, seenSet);
    }

    [Fact]
    public void ManyKeysAcrossPagesSurviveGrowthRemovalAndSnapshots()
    {
        var table = new KeyTable();
        const int N = 50_000; // several 4096-entry pages and many bucket doublings
        var index = new int[N];
        for (int i = 0; i < N; i++) index[i] = Add(table, "key:" + i, i);
        // Indexes are stable handles: growth never moves an entry.
        for (int i = 0; i < N; i++)
        {
            Assert.Equal(index[i], table.Find(K("key:" + i)));
            Assert.Equal(i, table.EntryAt(index[i]).Value);
        }
        for (int i = 0; i < N; i += 3) table.RemoveAt(table.Find(K("key:" + i)));
        // Finishing a pending rehash changes nothing visible.
        while (table.RehashSteps(7)) { }
        Assert.False(table.IsRehashing);
        for (int i = 0; i < N; i++) Assert.Equal(i % 3 != 0, table.Find(K("key:" + i)) >= 0);
        // Freed slots are reused before new pages are added.
        int slots = table.SlotCount;
        for (int i = 0; i < N; i += 3) Add(table, "again:" + i, i);
        Assert.Equal(slots, table.SlotCount);
        var snapshot = table.CopyEntries();
        Assert.Equal(table.SlotCount, snapshot.Length);
        Assert.Equal(table.Count, snapshot.Count(e => e.Key is not null));
        for (int i = 0; i < snapshot.Length; i += 997)
            Assert.Same(table.EntryAt(i).Key, snapshot[i].Key);
    }

    [Fact]
    public void ReserveSizesTheBucketsOnceAndIgnoresAbsurdSizes()
    {
        var table = new KeyTable();
        Add(table, "before", 1);
        table.Reserve(100_000);
        Assert.Equal(131_072, table.BucketCount);
        Assert.False(table.IsRehashing);
        Assert.True(table.Find(K("before")) >= 0);
        for (int i = 0; i < 100_000; i++) Add(table, "k" + i, i);
        Assert.Equal(131_072, table.BucketCount); // no growth while filling up to the reserved size
        Assert.False(table.IsRehashing);
        table.Reserve(10); // smaller: nothing to do
        Assert.Equal(131_072, table.BucketCount);
        var other = new KeyTable();
        other.Reserve(long.MaxValue); // a corrupt RESIZEDB: capped, not an allocation failure
        Assert.Equal(1 << 24, other.BucketCount);
    }

    [Fact]
    public void AccessClockAndHashTagShareAFieldWithoutDisturbingEachOther()
    {
        var table = new KeyTable();
        for (int i = 0; i < 2000; i++) Add(table, "key" + i, i);
        for (int i = 0; i < 2000; i++)
        {
            ref var e = ref table.EntryAt(table.Find(K("key" + i)));
            e.LruSeconds = i % 2 == 0 ? Database.LruClockMax : 0x123456 + i; // every bit of the 24-bit clock
            Assert.Equal(KeyEntry.TagOf(KeyTable.HashOf(K("key" + i))), e.Tag);
        }
        for (int i = 0; i < 2000; i++)
        {
            int index = table.Find(K("key" + i));
            Assert.True(index >= 0, "key" + i);
            Assert.Equal(i % 2 == 0 ? Database.LruClockMax : 0x123456 + i, table.EntryAt(index).LruSeconds);
        }
        // A removed slot keeps no stale tag or clock when it is reused.
        table.RemoveAt(table.Find(K("key7")));
        int reused = Add(table, "other", 1);
        Assert.Equal(0, table.EntryAt(reused).LruSeconds);
        Assert.Equal(KeyEntry.TagOf(KeyTable.HashOf(K("other"))), table.EntryAt(reused).Tag);
        Assert.True(table.Find(K("key7")) < 0);
    }
}
