using Cinnabar.EndToEnd.Infrastructure;
using StackExchange.Redis;

namespace Cinnabar.EndToEnd.Hashes;

/// <summary>Hashes through StackExchange.Redis and redis-cli.</summary>
public sealed class HashClientTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer S => fixture.Server;

    [Fact]
    public void StackExchangeRedisHashOperations()
    {
        var db = S.Db();
        RedisKey key = "hc:user";
        db.HashSet(key, [new HashEntry("name", "ada"), new HashEntry("age", 36)]);
        Assert.Equal("ada", (string?)db.HashGet(key, "name"));
        Assert.True(db.HashExists(key, "age"));
        Assert.Equal(2, db.HashLength(key));
        Assert.Equal(37, db.HashIncrement(key, "age"));
        Assert.Equal(37.5, db.HashIncrement(key, "age", 0.5));
        Assert.True(db.HashSet(key, "city", "london", When.NotExists));
        Assert.False(db.HashSet(key, "city", "paris", When.NotExists));
        var all = db.HashGetAll(key);
        Assert.Equal(["name", "age", "city"], all.Select(e => (string)e.Name!).ToArray());
        Assert.Equal(["ada", "37.5", "london"], all.Select(e => (string)e.Value!).ToArray());
        Assert.Equal(["name", "age", "city"], db.HashKeys(key).Select(v => (string)v!).ToArray());
        Assert.Equal(["ada", "37.5", "london"], db.HashValues(key).Select(v => (string)v!).ToArray());
        Assert.Equal([(RedisValue)"ada", RedisValue.Null], db.HashGet(key, ["name", "nope"]));
        Assert.Equal(6, db.HashStringLength(key, "city"));
        Assert.Contains((string?)db.HashRandomField(key), new[] { "name", "age", "city" });
        Assert.Equal(3, db.HashRandomFieldsWithValues(key, 10).Length);
        Assert.Equal(2, db.HashDelete(key, ["name", "age", "nope"]));
        Assert.True(db.HashDelete(key, "city"));
        Assert.Equal(0, db.HashLength(key));
    }

    /// <summary>Random picks with values pair each field with its own value, in both encodings (integer entries included).</summary>
    [Theory]
    [InlineData(50)]
    [InlineData(600)]
    public void RandomFieldsWithValuesArePairedCorrectly(int size)
    {
        var db = S.Db();
        RedisKey key = "hc:rand:" + size;
        db.KeyDelete(key);
        db.HashSet(key, Enumerable.Range(0, size).Select(i => new HashEntry(i % 2 == 0 ? "f" + i : i.ToString(), i % 3 == 0 ? (i * 7).ToString() : "v" + i * 7)).ToArray());
        foreach (long count in new long[] { 1, 10, size / 2, -30 })
        {
            var picks = db.HashRandomFieldsWithValues(key, count);
            Assert.Equal(Math.Abs(count), picks.Length);
            foreach (var e in picks)
            {
                string name = e.Name!;
                int i = int.Parse(name.TrimStart('f'));
                Assert.Equal(i % 3 == 0 ? (i * 7).ToString() : "v" + i * 7, (string?)e.Value);
            }
            if (count > 0) Assert.Equal(picks.Length, picks.Select(e => (string)e.Name!).Distinct().Count());
        }
    }

    [Fact]
    public void StackExchangeRedisHashScanIteratesLargeHashes()
    {
        var db = S.Db();
        RedisKey key = "hc:scan";
        db.HashSet(key, Enumerable.Range(0, 2000).Select(i => new HashEntry("f" + i, i)).ToArray());
        var fields = db.HashScan(key, pageSize: 50).Select(e => (string)e.Name!).ToHashSet();
        Assert.Equal(2000, fields.Count);
        Assert.Equal(100, db.HashScan(key, "f1??", pageSize: 100).Count()); // f100..f199
    }

    [Fact]
    public void StackExchangeRedisBinaryFields()
    {
        var db = S.Db();
        byte[] field = [0, 13, 10, 255];
        byte[] value = [1, 0, 2];
        db.HashSet("hc:bin", field, value);
        Assert.Equal(value, (byte[]?)db.HashGet("hc:bin", field));
    }

    [Fact]
    public void RedisCliShowsHashes()
    {
        if (!RedisCli.Available) return;
        Assert.Equal("2", S.Cli("HSET", "hc:cli", "a", "1", "b", "2"));
        Assert.Equal("a\n1\nb\n2", S.Cli("HGETALL", "hc:cli"));
        Assert.Equal("1) \"a\"\n2) \"b\"", S.Cli("--no-raw", "HKEYS", "hc:cli"));
    }
}
