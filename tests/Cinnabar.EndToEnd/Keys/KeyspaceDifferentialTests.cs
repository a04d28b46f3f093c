using Cinnabar.EndToEnd.Infrastructure;
using static Cinnabar.EndToEnd.Sets.CollectionTestSupport;

namespace Cinnabar.EndToEnd.Keys;

/// <summary>
/// Whole-database commands (KEYS, SCAN, DBSIZE, RANDOMKEY, FLUSHDB, FLUSHALL, SWAPDB) compared with a real
/// Redis 7.0. Each test starts from FLUSHALL on both servers; replies whose order depends on the hash table
/// are compared as sorted sets of keys.
/// </summary>
public sealed class KeyspaceDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    private static DiffPair Fresh(DifferentialFixture f)
    {
        var p = f.Pair();
        p.Same("FLUSHALL");
        return p;
    }

    private static List<string> Sorted(string reply)
    {
        var items = Flat(reply).Select(x => x!).ToList();
        items.Sort(StringComparer.Ordinal);
        return items;
    }

    /// <summary>Full SCAN iteration with the given options; returns the keys (sorted) and asserts no cursor text is odd.</summary>
    private static List<string> ScanAll(RespClient c, params string[] options)
    {
        var keys = new List<string>();
        string cursor = "0";
        int calls = 0;
        do
        {
            var reply = c.Call(["SCAN", cursor, .. options]);
            Assert.StartsWith("*2\r\n$", reply);
            var items = Flat(reply);
            // Flat flattens the nested array: the first item is the cursor.
            cursor = items[0]!;
            Assert.True(ulong.TryParse(cursor, out _), cursor);
            keys.AddRange(items.Skip(1).Select(x => x!));
            Assert.True(++calls < 100_000);
        } while (cursor != "0");
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    [Fact]
    public void EmptyDatabase()
    {
        using var p = Fresh(f);
        p.Same("DBSIZE");
        p.Same("RANDOMKEY");
        p.Same("KEYS", "*");
        p.Same("KEYS", "a*");
        p.Same("SCAN", "0");
        p.Same("SCAN", "123");
        p.Same("SCAN", "-1", "COUNT", "5", "MATCH", "x", "TYPE", "list");
        p.Both("HELLO", "3");
        p.Same("RANDOMKEY");
        p.Same("KEYS", "*");
        p.Same("SCAN", "0");
        p.Both("HELLO", "2");
    }

    [Fact]
    public void KeysAndScanSeeTheSameKeysAsRedis()
    {
        using var p = Fresh(f);
        for (int i = 0; i < 300; i++) p.Both("SET", $"user:{i}", "v");
        for (int i = 0; i < 50; i++) p.Both("SADD", $"set:{i}", "m");
        p.Both("HSET", "h:1", "f", "v");
        p.Both("SET", "a[b", "v");
        p.Both("SET", "a\\b", "v");
        p.Same("DBSIZE");
        foreach (var pattern in new[] { "*", "user:1*", "user:?", "set:[1-3]", "set:[^1-3]", "*[", "a[b", "a\\[b", "a\\\\b", "h:*", "nomatch", "" })
        {
            Assert.Equal(Sorted(p.Redis.Call("KEYS", pattern)), Sorted(p.Ours.Call("KEYS", pattern)));
            Assert.Equal(ScanAll(p.Redis, "MATCH", pattern), ScanAll(p.Ours, "MATCH", pattern));
        }
        foreach (var type in new[] { "string", "SET", "hash", "list", "zset", "none", "bogus" })
            Assert.Equal(ScanAll(p.Redis, "TYPE", type), ScanAll(p.Ours, "TYPE", type));
        Assert.Equal(ScanAll(p.Redis, "COUNT", "1"), ScanAll(p.Ours, "COUNT", "1"));
        Assert.Equal(ScanAll(p.Redis, "COUNT", "1000", "MATCH", "set:*", "TYPE", "set"), ScanAll(p.Ours, "COUNT", "1000", "MATCH", "set:*", "TYPE", "set"));
        Assert.Equal(352 + 1, ScanAll(p.Ours).Count);
        // A large COUNT finishes in one call, as in Redis.
        p.Same("SCAN", "0", "COUNT", "100000", "MATCH", "h:*");
    }

    [Fact]
    public void ScanReturnsRoughlyCountKeysPerCall()
    {
        using var p = Fresh(f);
        for (int i = 0; i < 1000; i++) p.Both("SET", $"k{i}", "v");
        using var c = f.Cinnabar.Raw();
        var reply = Flat(c.Call("SCAN", "0", "COUNT", "100"));
        Assert.InRange(reply.Count - 1, 100, 200);
        Assert.NotEqual("0", reply[0]);
        reply = Flat(c.Call("SCAN", "0"));
        Assert.InRange(reply.Count - 1, 10, 30);
    }

    [Fact]
    public void ScanSkipsExpiredKeysAndKeysSkipsThem()
    {
        using var p = Fresh(f);
        for (int i = 0; i < 20; i++) p.Both("SET", $"live{i}", "v");
        for (int i = 0; i < 20; i++) p.Both("SET", $"dead{i}", "v", "PX", "20");
        Thread.Sleep(60);
        Assert.Equal(Sorted(p.Redis.Call("KEYS", "*")), Sorted(p.Ours.Call("KEYS", "*")));
        Assert.Equal(ScanAll(p.Redis), ScanAll(p.Ours));
        Assert.Equal(20, ScanAll(p.Ours).Count);
    }

    [Fact]
    public void RandomKeyReturnsAKey()
    {
        using var p = Fresh(f);
        p.Same("SET", "only", "v");
        p.Same("RANDOMKEY");
        p.Both("HELLO", "3");
        p.Same("RANDOMKEY");
        p.Both("HELLO", "2");
        p.Both("SET", "other", "v");
        using var c = f.Cinnabar.Raw();
        var seen = new HashSet<string>();
        for (int i = 0; i < 200; i++) seen.Add(c.Call("RANDOMKEY"));
        Assert.Equal(["$4\r\nonly\r\n", "$5\r\nother\r\n"], seen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void FlushDbFlushAllAndSwapDb()
    {
        using var p = Fresh(f);
        p.Same("SET", "f:a", "1");
        p.Same("SELECT", "1");
        p.Same("SET", "f:b", "2");
        p.Same("SADD", "f:s", "x");
        p.Same("EXPIRE", "f:s", "1000");
        p.Same("DBSIZE");
        p.Same("SWAPDB", "0", "1");
        p.Same("DBSIZE");
        p.Same("GET", "f:a");
        p.Same("SELECT", "0");
        p.Same("GET", "f:b");
        p.Same("TTL", "f:s");
        p.Same("SWAPDB", "0", "0");
        p.Same("SWAPDB", "0", "x");
        p.Same("SWAPDB", "x", "0");
        p.Same("SWAPDB", "x", "y");
        p.Same("SWAPDB", "0", "16");
        p.Same("SWAPDB", "-1", "0");
        p.Same("SWAPDB", "0", "99999999999");
        p.Same("SWAPDB", "99999999999", "x");
        p.Same("FLUSHDB", "x");
        p.Same("FLUSHDB", "ASYNC", "x");
        p.Same("FLUSHDB", "SYNC", "SYNC");
        p.Same("FLUSHALL", "y");
        p.Same("FLUSHDB", "sync");
        p.Same("DBSIZE");
        p.Same("SELECT", "1");
        p.Same("DBSIZE");
        p.Same("FLUSHDB", "async");
        p.Same("DBSIZE");
        p.Same("SET", "f:c", "1");
        p.Same("SELECT", "5");
        p.Same("SET", "f:d", "1");
        p.Same("FLUSHALL", "ASYNC");
        p.Same("DBSIZE");
        p.Same("SELECT", "1");
        p.Same("DBSIZE");
        p.Same("FLUSHALL");
        p.Same("FLUSHDB");
        p.Same("SELECT", "0");
    }
}
