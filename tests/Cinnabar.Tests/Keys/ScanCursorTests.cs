using Cinnabar.Keyspace;

namespace Cinnabar.Tests.Keys;

/// <summary>The SCAN cursor shared by the key table and the hash/set table (Redis' dictScan).</summary>
public sealed class ScanCursorTests
{
    private static (List<(bool InRehashing, int Bucket)> Visited, ulong Next) Step(ulong cursor, int size, int rehashingSize = 0)
    {
        var step = new ScanCursor(cursor, size, rehashingSize);
        var visited = new List<(bool, int)>();
        while (step.MoveNext(out bool inRehashing, out int bucket)) visited.Add((inRehashing, bucket));
        return (visited, step.Next);
    }

    [Fact]
    public void OneArrayIsWalkedInReverseBinaryOrder()
    {
        var order = new List<int>();
        ulong cursor = 0;
        do
        {
            var (visited, next) = Step(cursor, 8);
            Assert.Single(visited);
            Assert.False(visited[0].InRehashing);
            order.Add(visited[0].Bucket);
            cursor = next;
        } while (cursor != 0);
        Assert.Equal([0, 4, 2, 6, 1, 5, 3, 7], order);
    }

    [Fact]
    public void WhileGrowingTheOldBucketIsVisitedWithTheNewBucketsItSplitsInto()
    {
        // 4 old buckets rehashing into 8: old bucket 1 holds what goes to new buckets 1 and 5.
        var (visited, next) = Step(1, 8, 4);
        Assert.Equal([(true, 1), (false, 1), (false, 5)], visited);
        Assert.Equal(3UL, next); // the next old bucket in reverse-binary order of 4: 0, 2, 1, 3
        // Shrinking (the rehashing array is the larger one): the roles swap.
        (visited, next) = Step(2, 4, 16);
        Assert.Equal([(false, 2), (true, 2), (true, 10), (true, 6), (true, 14)], visited);
        Assert.Equal(1UL, next);
    }

    [Fact]
    public void ACursorFromBeforeAGrowthStillReachesEveryBucketOnce()
    {
        // Half-way through a 4-bucket walk the table grows to 16: the rest of the walk covers each new bucket
        // that the unvisited old buckets became, exactly once.
        ulong cursor = 0;
        var seen = new List<int>();
        for (int calls = 0; calls < 2; calls++)
        {
            var (visited, next) = Step(cursor, 4);
            seen.AddRange(visited.SelectMany(v => new[] { v.Bucket, v.Bucket + 4, v.Bucket + 8, v.Bucket + 12 }));
            cursor = next;
        }
        do
        {
            var (visited, next) = Step(cursor, 16);
            seen.AddRange(visited.Select(v => v.Bucket));
            cursor = next;
        } while (cursor != 0);
        Assert.Equal(Enumerable.Range(0, 16), seen.Order());
    }
}
