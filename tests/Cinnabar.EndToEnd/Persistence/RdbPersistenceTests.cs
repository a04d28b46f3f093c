using System.Diagnostics;
using Cinnabar.EndToEnd.Infrastructure;
using Cinnabar.Persistence;

namespace Cinnabar.EndToEnd.Persistence;

public sealed class RdbPersistenceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cinnabar-rdb-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch { }
    }

    private TestServer Start(string dbfilename = "dump.rdb") => new(c =>
    {
        c.Dir = _dir;
        c.DbFilename = dbfilename;
    });

    [Fact]
    public async Task SaveThenRestartKeepsValuesAndTtls()
    {
        await using (var s = Start())
        {
            using var c = s.Raw();
            c.Call("SET", "p:plain", "hello");
            c.Call("SET", "p:int", "-12345");
            c.Call("SET", "p:long", new string('z', 5000));
            c.Call("SET", "p:bin", "a\r\n\0\u00ff");
            c.Call("SET", "p:ttl", "x", "EX", "1000");
            c.Call("SELECT", "3");
            c.Call("SET", "p:db3", "three");
            Assert.Equal("+OK\r\n", c.Call("SAVE"));
        }
        await using (var s = Start())
        {
            using var c = s.Raw();
            Assert.Equal("$5\r\nhello\r\n", c.Call("GET", "p:plain"));
            Assert.Equal("$6\r\n-12345\r\n", c.Call("GET", "p:int"));
            Assert.Equal($"$5000\r\n{new string('z', 5000)}\r\n", c.Call("GET", "p:long"));
            Assert.Equal("$5\r\na\r\n\0\u00ff\r\n", c.Call("GET", "p:bin"));
            var ttl = long.Parse(c.Call("TTL", "p:ttl")[1..^2]);
            Assert.InRange(ttl, 990, 1000);
            c.Call("SELECT", "3");
            Assert.Equal("$5\r\nthree\r\n", c.Call("GET", "p:db3"));
        }
    }

    [Fact]
    public async Task LoadsAFileWrittenByRealRedis()
    {
        using (var redis = new RealRedis("--dir", _dir, "--dbfilename", "from-redis.rdb"))
        {
            using var c = redis.Connect();
            c.Call("SET", "r:str", "value");
            c.Call("SET", "r:num", "987654321");
            c.Call("SET", "r:lzf", new string('a', 1000) + new string('b', 1000));
            c.Call("SET", "r:ttl", "t", "PX", "5000000");
            c.Call("SET", "r:gone", "t", "PX", "1");
            c.Call("SELECT", "5");
            c.Call("SET", "r:db5", "five");
            Thread.Sleep(5);
            Assert.Equal("+OK\r\n", c.Call("SAVE"));
        }
        await using var s = Start("from-redis.rdb");
        using var ours = s.Raw();
        Assert.Equal("$5\r\nvalue\r\n", ours.Call("GET", "r:str"));
        Assert.Equal("$9\r\n987654321\r\n", ours.Call("GET", "r:num"));
        Assert.Equal($"$2000\r\n{new string('a', 1000) + new string('b', 1000)}\r\n", ours.Call("GET", "r:lzf"));
        Assert.InRange(long.Parse(ours.Call("PTTL", "r:ttl")[1..^2]), 4_900_000, 5_000_000);
        Assert.Equal("$-1\r\n", ours.Call("GET", "r:gone"));
        ours.Call("SELECT", "5");
        Assert.Equal("$4\r\nfive\r\n", ours.Call("GET", "r:db5"));
    }

    [Fact]
    public async Task RealRedisLoadsOurFile()
    {
        await using (var s = Start("from-us.rdb"))
        {
            using var c = s.Raw();
            c.Call("SET", "u:str", "value");
            c.Call("SET", "u:num", "42");
            c.Call("SET", "u:big", new string('q', 3000));
            c.Call("SET", "u:ttl", "t", "EX", "7000");
            c.Call("SELECT", "2");
            c.Call("SET", "u:db2", "two");
            Assert.Equal("+OK\r\n", c.Call("SAVE"));
        }
        using var redis = new RealRedis("--dir", _dir, "--dbfilename", "from-us.rdb");
        using var r = redis.Connect();
        Assert.Equal("$5\r\nvalue\r\n", r.Call("GET", "u:str"));
        Assert.Equal("$2\r\n42\r\n", r.Call("GET", "u:num"));
        Assert.Equal($"$3000\r\n{new string('q', 3000)}\r\n", r.Call("GET", "u:big"));
        Assert.InRange(long.Parse(r.Call("TTL", "u:ttl")[1..^2]), 6990, 7000);
        r.Call("SELECT", "2");
        Assert.Equal("$3\r\ntwo\r\n", r.Call("GET", "u:db2"));
    }

    [Fact]
    public async Task DumpPayloadsMoveBetweenRedisAndUs()
    {
        using var redis = new RealRedis();
        await using var s = Start();
        using var r = redis.Connect();
        using var c = s.Raw();
        foreach (var value in new[] { "short", "123", "-70000", new string('x', 500), "bin\0\r\n" })
        {
            r.Call("SET", "d:k", value);
            c.Call("SET", "d:k", value);
            var fromRedis = Payload(r.Call("DUMP", "d:k"));
            var fromUs = Payload(c.Call("DUMP", "d:k"));
            Assert.Equal(fromRedis, fromUs); // same encoding choices, byte for byte
            Assert.Equal("+OK\r\n", c.Call("RESTORE", "d:copy", "0", fromRedis, "REPLACE"));
            Assert.Equal(c.Call("GET", "d:k"), c.Call("GET", "d:copy"));
            Assert.Equal("+OK\r\n", r.Call("RESTORE", "d:copy", "0", fromUs, "REPLACE"));
            Assert.Equal(r.Call("GET", "d:k"), r.Call("GET", "d:copy"));
        }
        Assert.Equal("-BUSYKEY Target key name already exists.\r\n", c.Call("RESTORE", "d:copy", "0", Payload(c.Call("DUMP", "d:k"))));
        Assert.Equal("-ERR DUMP payload version or checksum are wrong\r\n", c.Call("RESTORE", "d:new", "0", "garbage-payload"));
        Assert.Equal("$-1\r\n", c.Call("DUMP", "d:missing"));
    }

    private static string Payload(string bulkReply)
    {
        int nl = bulkReply.IndexOf("\r\n", StringComparison.Ordinal);
        int len = int.Parse(bulkReply[1..nl]);
        return bulkReply.Substring(nl + 2, len);
    }

    [Fact]
    public async Task BgsaveIsAPointInTimeSnapshotWhileWritesContinue()
    {
        const int n = 50_000;
        await using (var s = Start())
        {
            using var c = s.Raw();
            var sb = new System.Text.StringBuilder();
            for (int i = 0; i < n; i++) sb.Append($"*3\r\n$3\r\nSET\r\n${("s:" + i).Length}\r\ns:{i}\r\n$6\r\nbefore\r\n");
            c.SendRaw(sb.ToString());
            for (int i = 0; i < n; i++) c.ReadReply();
            Assert.Equal("+Background saving started\r\n", c.Call("BGSAVE"));
            // Overwrite everything while the snapshot is being written.
            sb.Clear();
            for (int i = 0; i < n; i++) sb.Append($"*3\r\n$3\r\nSET\r\n${("s:" + i).Length}\r\ns:{i}\r\n$5\r\nafter\r\n");
            c.SendRaw(sb.ToString());
            for (int i = 0; i < n; i++) c.ReadReply();
            await s.Server.Persistence.BackgroundSaveCompletion;
            Assert.True(s.Server.Persistence.LastBgsaveOk);
            Assert.Equal("$5\r\nafter\r\n", c.Call("GET", "s:123"));
        }
        await using (var s = Start())
        {
            using var c = s.Raw();
            Assert.Equal("$6\r\nbefore\r\n", c.Call("GET", "s:0"));
            Assert.Equal("$6\r\nbefore\r\n", c.Call("GET", $"s:{n - 1}"));
            Assert.Equal("$6\r\nbefore\r\n", c.Call("GET", "s:25000"));
        }
    }

    [Fact]
    public void CorruptOrTruncatedFilesStopStartupAndAreLeftUntouched()
    {
        var path = Path.Combine(_dir, "bad.rdb");
        using (var redis = new RealRedis("--dir", _dir, "--dbfilename", "bad.rdb"))
        {
            using var c = redis.Connect();
            for (int i = 0; i < 100; i++) c.Call("SET", $"k{i}", $"value-{i}");
            c.Call("SAVE");
        }
        var good = File.ReadAllBytes(path);

        var flipped = (byte[])good.Clone();
        flipped[good.Length / 2] ^= 0x55;
        File.WriteAllBytes(path, flipped);
        var ex = Assert.ThrowsAny<Exception>(() => Start("bad.rdb"));
        Assert.Contains("bad.rdb", ex.Message);
        Assert.Equal(flipped, File.ReadAllBytes(path));

        var truncated = good[..(good.Length - 30)];
        File.WriteAllBytes(path, truncated);
        Assert.ThrowsAny<Exception>(() => Start("bad.rdb"));
        Assert.Equal(truncated, File.ReadAllBytes(path));
    }
}
