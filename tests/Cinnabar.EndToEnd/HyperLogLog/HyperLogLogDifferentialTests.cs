using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.HyperLogLog;

/// <summary>
/// PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST against a real Redis 7.0: the same adds must leave the
/// same bytes (GET), the same counts and the same errors, sparse and dense, in RESP2 and RESP3.
/// </summary>
public sealed class HyperLogLogDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    private static string RandomElement(Random rnd)
    {
        var chars = new char[rnd.Next(0, 24)];
        for (int i = 0; i < chars.Length; i++) chars[i] = (char)rnd.Next(256); // binary: any byte
        return new string(chars);
    }

    private static void ConfigBoth(DiffPair p, string value) =>
        p.Same("CONFIG", "SET", "hll-sparse-max-bytes", value);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomAddsGiveRedisBytesAndCounts(int protocol)
    {
        using var p = f.Pair();
        p.Both("HELLO", protocol.ToString());
        string k = $"hll:rand{protocol}:";
        var rnd = new Random(protocol);
        var history = new List<string>();
        var rec = new CommandRecorder(p, history);
        int[] sizes = [1, 4, 40, 200, 700, 2000, 6000, 30000];
        for (int key = 0; key < sizes.Length; key++)
        {
            string name = k + key;
            for (int added = 0; added < sizes[key];)
            {
                var args = new List<string> { "PFADD", name };
                int n = rnd.Next(1, Math.Min(60, sizes[key] - added) + 1);
                for (int e = 0; e < n; e++) args.Add(RandomElement(rnd));
                added += n;
                rec.Same(args.ToArray());
                if (rnd.Next(5) == 0) rec.Same("PFCOUNT", name);
                if (rnd.Next(10) == 0) rec.Same("GET", name);
            }
            rec.Same("GET", name);
            rec.Same("PFCOUNT", name);
            rec.Same("GET", name); // the count is now cached in the header
            rec.Same("PFDEBUG", "ENCODING", name);
            rec.Same("PFDEBUG", "DECODE", name);
            rec.Same("OBJECT", "ENCODING", name);
        }
        rec.Same("PFCOUNT", k + 0, k + 3, k + 5, k + "missing");
        rec.Same("PFCOUNT", k + 1, k + 2);
        rec.Same("PFCOUNT", k + "missing", k + "missing2");
        rec.Same("PFMERGE", k + "m1", k + 1, k + 2, k + 3);   // sparse sources: sparse destination
        rec.Same("GET", k + "m1");
        rec.Same("PFMERGE", k + "m2", k + 0, k + 6);          // a dense source: dense destination
        rec.Same("GET", k + "m2");
        rec.Same("PFMERGE", k + 4, k + 2);                    // the destination is a source too
        rec.Same("GET", k + 4);
        rec.Same("PFMERGE", k + "m3");
        rec.Same("GET", k + "m3");
        rec.Same("PFCOUNT", k + "m1", k + "m2", k + "m3");
        rec.Same("PFDEBUG", "GETREG", k + 3);                 // converts to dense
        rec.Same("GET", k + 3);
        rec.Same("PFDEBUG", "TODENSE", k + 2);
        rec.Same("PFDEBUG", "TODENSE", k + 2);
        rec.Same("PFDEBUG", "DECODE", k + 2);
        rec.Same("PFDEBUG", "todense", k + 2);
        rec.Same("PFADD", k + 2);
        rec.Same("PFADD", k + "new");
        rec.Same("GET", k + "new");
        rec.Same("PFCOUNT", k + "new");
        rec.Same("GET", k + "new");
    }

    [Fact]
    public void SparseLimitFollowsHllSparseMaxBytes()
    {
        using var p = f.Pair();
        const string k = "hll:limit:";
        var rnd = new Random(11);
        try
        {
            foreach (var limit in new[] { "0", "20", "100", "1kb", "5000", "20000" })
            {
                ConfigBoth(p, limit);
                p.Same("CONFIG", "GET", "hll-sparse-max-bytes");
                string name = k + limit;
                for (int round = 0; round < 40; round++)
                {
                    var args = new List<string> { "PFADD", name };
                    for (int e = 0; e < 25; e++) args.Add(RandomElement(rnd));
                    p.Same(args.ToArray());
                    p.Same("PFDEBUG", "ENCODING", name);
                }
                p.Same("GET", name);
                p.Same("PFMERGE", name + ":m", name);
                p.Same("GET", name + ":m");
            }
            p.Same("CONFIG", "SET", "hll-sparse-max-bytes", "-1");
            p.Same("CONFIG", "SET", "hll-sparse-max-bytes", "abc");
        }
        finally { ConfigBoth(p, "3000"); }
    }

    [Fact]
    public void TypeErrorsAndStringsThatAreNotHlls()
    {
        using var p = f.Pair();
        const string k = "hll:err:";
        p.Same("PFADD", k + "h", "a");
        p.Same("RPUSH", k + "list", "a");
        foreach (var cmd in new[] { new[] { "PFADD", k + "list", "x" }, ["PFCOUNT", k + "list"], ["PFCOUNT", k + "h", k + "list"],
                     ["PFMERGE", k + "list", k + "h"], ["PFMERGE", k + "d", k + "h", k + "list"], ["PFDEBUG", "ENCODING", k + "list"] })
            p.Same(cmd);
        foreach (var v in new[] { "", "abc", "123", "HYLL", "HYLL\u0001\0\0\0\0\0\0\0\0\0\0", "HYLX\u0001\0\0\0\0\0\0\0\0\0\0\0\u007f\u00ff",
                     "HYLL\u0002\0\0\0\0\0\0\0\0\0\0\0\u007f\u00ff", "HYLL\0\0\0\0\0\0\0\0\0\0\0\0" + new string('\0', 100) })
        {
            p.Same("SET", k + "s", v);
            p.Same("PFADD", k + "s", "x");
            p.Same("PFCOUNT", k + "s");
            p.Same("PFCOUNT", k + "s", k + "h");
            p.Same("PFMERGE", k + "s", k + "h");
            p.Same("PFMERGE", k + "h", k + "s");
            p.Same("PFDEBUG", "ENCODING", k + "s");
            p.Same("GET", k + "s");
        }
        p.Same("PFDEBUG", "ENCODING", k + "missing");
        p.Same("PFDEBUG", "NOSUCH", k + "h");
        p.Same("PFDEBUG", "no\r\nsuch", k + "h");
        p.Same("PFDEBUG", "DECODE");
        p.Same("PFADD");
        p.Same("PFCOUNT");
        p.Same("PFMERGE");
        p.Same("SET", k + "i", "12345678901234567");
        p.Same("PFCOUNT", k + "i");
    }

    [Fact]
    public void CorruptedHllsAnswerInvalidObjAsRedis()
    {
        using var p = f.Pair();
        const string k = "hll:corrupt:";
        var rnd = new Random(5);
        p.Same("PFADD", k + "good", "a", "b", "c", "d");
        var sparse = RespClient.BulkContent(p.Same("GET", k + "good"));
        p.Same("PFADD", k + "dense", "a", "b");
        p.Same("PFDEBUG", "TODENSE", k + "dense");
        var dense = RespClient.BulkContent(p.Same("GET", k + "dense"));
        var history = new List<string>();
        var rec = new CommandRecorder(p, history);
        for (int t = 0; t < 250; t++)
        {
            var b = (t % 5 == 4 ? dense : sparse).ToCharArray().ToList();
            for (int m = rnd.Next(1, 4); m > 0; m--)
            {
                double op = rnd.NextDouble();
                if (op < 0.5) b[rnd.Next(4, b.Count)] = (char)rnd.Next(256);
                else if (op < 0.75 && b.Count > 16) { int at = rnd.Next(16, b.Count); b.RemoveRange(at, b.Count - at); }
                else b.Add((char)rnd.Next(256));
            }
            var value = new string(b.ToArray());
            string x = k + "x";
            rec.Same("SET", x, value); rec.Same("PFCOUNT", x); rec.Same("GET", x);
            rec.Same("SET", x, value); rec.Same("PFADD", x, "q", "w", "e", "r", "t", "y"); rec.Same("GET", x);
            rec.Same("SET", x, value); rec.Same("PFCOUNT", x, k + "good");
            rec.Same("SET", x, value); rec.Same("PFMERGE", x, k + "good"); rec.Same("GET", x);
            rec.Same("SET", x, value); rec.Same("PFMERGE", k + "d", x); rec.Same("GET", k + "d");
            rec.Same("SET", x, value); rec.Same("PFDEBUG", "DECODE", x); rec.Same("PFDEBUG", "GETREG", x); rec.Same("GET", x);
        }
    }

    [Fact]
    public void CachedCardinalityIsReadBackFromTheHeader()
    {
        using var p = f.Pair();
        const string k = "hll:cache:";
        p.Same("PFADD", k + "a", "x", "y", "z");
        p.Same("PFCOUNT", k + "a");
        var v = RespClient.BulkContent(p.Same("GET", k + "a")).ToCharArray();
        // A valid cache (top bit clear) is answered as stored, whatever the registers say.
        v[8] = (char)0x39; v[9] = (char)0x30; v[15] = (char)0;
        p.Same("SET", k + "a", new string(v));
        p.Same("PFCOUNT", k + "a");
        p.Same("PFCOUNT", k + "a", k + "none");
        v[15] = (char)0x80;
        p.Same("SET", k + "a", new string(v));
        p.Same("PFCOUNT", k + "a");
        p.Same("GET", k + "a");
    }

    [Fact]
    public void KeyspaceStatisticsAndSelfTest()
    {
        using var p = f.Pair();
        const string k = "hll:stats:";
        p.Both("CONFIG", "RESETSTAT");
        p.Same("PFADD", k + "a", "1");
        p.Same("PFCOUNT", k + "a", k + "missing");
        p.Same("PFMERGE", k + "b", k + "a", k + "missing");
        p.Same("PFCOUNT", k + "missing");
        string Stats(RespClient c) => string.Join(",", c.Call("INFO", "stats").Split("\r\n").Where(l => l.StartsWith("keyspace_")));
        Assert.Equal(Stats(p.Redis), Stats(p.Ours));
        p.Same("PFSELFTEST");
        p.Same("PFSELFTEST", "extra");
    }

    [Fact]
    public void CacheRewriteTouchesWatchedKeysAndEventsAreRedis()
    {
        using var p = f.Pair();
        using var other = f.Pair();
        const string k = "hll:watch";
        p.Same("PFADD", k, "a", "b");
        foreach (var expectAbort in new[] { true, false })
        {
            // The first PFCOUNT rewrites the stale cache (a write: EXEC aborts); the second reads it.
            p.Same("WATCH", k);
            other.Same("PFCOUNT", k);
            p.Same("MULTI");
            p.Same("PING");
            Assert.Equal(expectAbort, p.Same("EXEC") is "*-1\r\n" or "_\r\n");
        }

        using var sub = f.Pair();
        p.Same("CONFIG", "SET", "notify-keyspace-events", "KEA");
        try
        {
            sub.Same("PSUBSCRIBE", "__keyspace@0__:hll:ev:*");
            foreach (var cmd in new[] { new[] { "PFADD", "hll:ev:a", "x" }, ["PFADD", "hll:ev:a", "x"], ["PFCOUNT", "hll:ev:a"],
                         ["PFMERGE", "hll:ev:b", "hll:ev:a"], ["PFDEBUG", "TODENSE", "hll:ev:a"], ["PFADD", "hll:ev:c"], ["SET", "hll:ev:end", "1"] })
                p.Same(cmd);
            while (!sub.SameNext().Contains("hll:ev:end")) { }
        }
        finally { p.Same("CONFIG", "SET", "notify-keyspace-events", ""); }
    }

    [Fact]
    public void PfcountDuringASnapshotLeavesTheSnapshotsValueAlone()
    {
        var server = f.Cinnabar.Server;
        using var c = f.Cinnabar.Raw();
        c.Call("PFADD", "hll:snap", "a", "b", "c");
        List<Cinnabar.Persistence.DatabaseImage> images;
        lock (server.ExecLock) images = server.Persistence.BeginSnapshot();
        try
        {
            var inSnapshot = (byte[])images[0].Entries.First(e => e.Key is not null && e.Key.AsSpan().SequenceEqual("hll:snap"u8)).Value!;
            var before = inSnapshot.ToArray();
            Assert.Equal(":3\r\n", c.Call("PFCOUNT", "hll:snap")); // PFCOUNT is no write command, yet rewrites the cache
            Assert.Equal(before, inSnapshot);
            Assert.NotEqual(RespClient.Latin1.GetString(before), RespClient.BulkContent(c.Call("GET", "hll:snap")));
        }
        finally
        {
            lock (server.ExecLock) server.Persistence.EndSnapshot();
            c.Call("DEL", "hll:snap");
        }
    }
}
