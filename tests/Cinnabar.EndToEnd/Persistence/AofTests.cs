using System.Text;
using Cinnabar.EndToEnd.Infrastructure;
using Cinnabar.Persistence;

namespace Cinnabar.EndToEnd.Persistence;

/// <summary>
/// The append-only file (issue 14): Redis 7.0's multi-part layout, loading, rewrite, truncated and corrupt
/// files, the run-time switch, and data directories moving between Cinnabar and a real Redis 7.0.
/// </summary>
public sealed class AofTests : IDisposable
{
    private readonly List<string> _dirs = new();

    private string NewDir(string what)
    {
        var dir = Directory.CreateTempSubdirectory("cinnabar-aof-" + what + "-").FullName;
        _dirs.Add(dir);
        return dir;
    }

    public void Dispose()
    {
        foreach (var dir in _dirs)
            try { Directory.Delete(dir, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static TestServer Start(string dir, Action<Cinnabar.Config.ServerConfig>? more = null) => new(c =>
    {
        c.Dir = dir;
        c.AppendOnly = true;
        c.AppendFsync = Cinnabar.Config.AppendFsyncMode.Always;
        more?.Invoke(c);
    });

    /// <summary>Writes of every family, several databases, transactions, expiries and binary values.</summary>
    private static void Populate(RespClient c, string prefix = "")
    {
        c.Call("SET", prefix + "s", "v\0\r\nbin");
        c.Call("SET", prefix + "ex", "x", "EX", "1000");
        c.Call("INCR", prefix + "n");
        c.Call("INCRBYFLOAT", prefix + "f", "1.5");
        c.Call("RPUSH", prefix + "l", "a", "b", "c", "d");
        c.Call("LPOP", prefix + "l");
        c.Call("HSET", prefix + "h", "f1", "1", "f2", "2");
        c.Call("SADD", prefix + "set", "m1", "m2", "m3");
        c.Call("ZADD", prefix + "z", "1", "one", "2.5", "two");
        c.Call("XADD", prefix + "st", "1-1", "k", "v");
        c.Call("MULTI");
        c.Call("INCR", prefix + "n");
        c.Call("EXPIRE", prefix + "n", "5000");
        c.Call("EXEC");
        c.Call("SET", prefix + "gone", "1");
        c.Call("DEL", prefix + "gone");
        c.Call("SELECT", "3");
        c.Call("SET", prefix + "db3", "three");
        c.Call("SELECT", "0");
    }

    private static readonly string[] Keys = ["s", "ex", "n", "f", "l", "h", "set", "z", "st", "gone"];

    /// <summary>What a key holds, independent of encodings and of the order of unordered collections.</summary>
    private static string Describe(RespClient c, string key, int db = 0)
    {
        c.Call("SELECT", db.ToString());
        var type = c.Call("TYPE", key);
        var sb = new StringBuilder(type).Append(c.Call("PEXPIRETIME", key));
        sb.Append(type switch
        {
            "+string\r\n" => c.Call("GET", key),
            "+list\r\n" => c.Call("LRANGE", key, "0", "-1"),
            "+hash\r\n" => string.Join(",", Bulks(c.Call("HKEYS", key)).Order().Select(f => f + "=" + c.Call("HGET", key, f))),
            "+set\r\n" => c.Call("SORT", key, "ALPHA"),
            "+zset\r\n" => c.Call("ZRANGE", key, "0", "-1", "WITHSCORES"),
            "+stream\r\n" => c.Call("XRANGE", key, "-", "+"),
            _ => "",
        });
        c.Call("SELECT", "0");
        return sb.ToString();
    }

    private static IEnumerable<string> Bulks(string array) =>
        array.Split("\r\n").Where((line, i) => i > 0 && i % 2 == 0 && line.Length > 0);

    private static Dictionary<string, string> DescribeAll(RespClient c, string prefix = "") =>
        Keys.Select(k => (k, Describe(c, prefix + k))).Append(("db3", Describe(c, prefix + "db3", 3))).ToDictionary();

    private static string IncrPath(string dir, int seq = 1) => Path.Combine(dir, "appendonlydir", $"appendonly.aof.{seq}.incr.aof");
    private static string ManifestText(string dir) => File.ReadAllText(Path.Combine(dir, "appendonlydir", "appendonly.aof.manifest"));

    private static string CheckAof(string dir)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/redis-check-aof") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(dir, "appendonlydir", "appendonly.aof.manifest"));
        using var p = System.Diagnostics.Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, output);
        return output;
    }

    [Fact]
    public async Task WritesAreReplayedAtStartupInsteadOfTheDump()
    {
        var dir = NewDir("restart");
        Dictionary<string, string> before;
        await using (var s = Start(dir))
        {
            using var c = s.Raw();
            Populate(c);
            before = DescribeAll(c);
            Assert.Equal("+OK\r\n", c.Call("SAVE")); // a dump with the same data...
            c.Call("SET", "after-save", "1");     // ...that misses this write
        }
        Assert.Equal("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n", ManifestText(dir));
        Assert.Contains("All AOF files and manifest are valid", CheckAof(dir));
        await using (var s = Start(dir))
        {
            using var c = s.Raw();
            Assert.Equal(before, DescribeAll(c));
            Assert.Equal("$1\r\n1\r\n", c.Call("GET", "after-save"));
            var info = c.Call("INFO", "persistence");
            Assert.Contains("aof_enabled:1", info);
            Assert.Contains($"aof_current_size:{new FileInfo(IncrPath(dir)).Length + new FileInfo(Path.Combine(dir, "appendonlydir", "appendonly.aof.1.base.rdb")).Length}", info);
        }
    }

    [Fact]
    public async Task UnderAlwaysARepliedWriteIsOnDiskAndConcurrentWritersShareFsyncs()
    {
        var dir = NewDir("group-commit");
        await using var s = Start(dir);
        var aof = s.Server.Aof;
        using (var c = s.Raw())
        {
            for (int i = 0; i < 50; i++)
            {
                c.Call("SET", "k" + i, "v");
                Assert.Equal(0, aof.UnsyncedBytes); // the reply came after the fdatasync
            }
            // A pipelined batch of 100 writes costs one fsync.
            long before = aof.Fsyncs;
            c.SendRaw(string.Concat(Enumerable.Range(0, 100).Select(i => $"*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n")));
            for (int i = 0; i < 100; i++) c.ReadReply();
            Assert.Equal(0, aof.UnsyncedBytes);
            Assert.InRange(aof.Fsyncs - before, 1, 3);
        }
        // Concurrent writers: fewer fsyncs than acknowledged writes (one covers every batch written before it).
        long start = aof.Fsyncs;
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            using var c = s.Raw();
            for (int i = 0; i < 100; i++) Assert.Equal(":" + (i + 1) + "\r\n", c.Call("INCR", "w" + w));
        })).ToArray();
        await Task.WhenAll(writers);
        Assert.True(aof.Fsyncs - start < 800, $"{aof.Fsyncs - start} fsyncs for 800 writes");
    }

    [Fact]
    public async Task UnderEverysecTheFsyncIsLeftToTheBackgroundThread()
    {
        var dir = NewDir("everysec");
        await using var s = Start(dir, c => c.AppendFsync = Cinnabar.Config.AppendFsyncMode.EverySec);
        using var c = s.Raw();
        c.Call("SET", "a", "1");
        Assert.True(s.Server.Aof.UnsyncedBytes > 0);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (s.Server.Aof.UnsyncedBytes > 0 && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Assert.Equal(0, s.Server.Aof.UnsyncedBytes);
    }

    [Fact]
    public async Task IncrementalFileHoldsWhatRedisWrites()
    {
        // The same writes on both servers: the incremental files must be identical, byte for byte (the
        // replication stream's rewritten effects, SELECTs and MULTI/EXEC blocks).
        var dir = NewDir("same-bytes");
        using var redis = new RealRedis("--appendonly", "yes");
        await using var ours = Start(dir);
        foreach (var client in new[] { redis.Connect(), ours.Raw() })
        {
            using var c = client;
            c.Call("SET", "a", "1");
            c.Call("GETDEL", "a");
            c.Call("RPUSH", "l", "1", "2", "3", "4");
            c.Call("LMPOP", "1", "l", "LEFT", "COUNT", "2");
            c.Call("INCRBYFLOAT", "f", "2.5");
            c.Call("HSET", "h", "x", "y");
            c.Call("SELECT", "5");
            c.Call("MULTI");
            c.Call("SET", "t", "1");
            c.Call("APPEND", "t", "2");
            c.Call("EXEC");
            c.Call("SET", "noop", "1", "XX"); // no change: not appended
            c.Call("SELECT", "0");
            c.Call("ZADD", "z", "1", "m");
            c.Call("EXPIREAT", "z", "4000000000");
            c.Call("PUBLISH", "ch", "msg");
        }
        Thread.Sleep(200); // Redis writes its buffer before its next event-loop sleep
        var theirs = File.ReadAllBytes(Path.Combine(redis.DataDir, "appendonlydir", "appendonly.aof.1.incr.aof"));
        Assert.Equal(Encoding.Latin1.GetString(theirs), Encoding.Latin1.GetString(File.ReadAllBytes(IncrPath(dir))));
    }

    [Fact]
    public async Task DirectoriesMoveBetweenCinnabarAndRedisBothWays()
    {
        var dir = NewDir("interop");
        Dictionary<string, string> ours1, ours2;
        // Ours: data in the base (after a rewrite) and in the incremental file.
        await using (var s = Start(dir, c => c.AppendFsync = Cinnabar.Config.AppendFsyncMode.EverySec))
        {
            using var c = s.Raw();
            Populate(c, "p1:");
            Assert.Equal("+Background append only file rewriting started\r\n", c.Call("BGREWRITEAOF"));
            WaitForRewrite(c);
            Populate(c, "p2:");
            ours1 = DescribeAll(c, "p1:");
            ours2 = DescribeAll(c, "p2:");
        }
        Assert.Contains("All AOF files and manifest are valid", CheckAof(dir));
        using (var redis = new RealRedis("--dir", dir, "--appendonly", "yes"))
        {
            using var r = redis.Connect();
            Assert.Equal(ours1, DescribeAll(r, "p1:"));
            Assert.Equal(ours2, DescribeAll(r, "p2:"));
            // Redis adds its own writes, and a rewrite of its own.
            Populate(r, "p3:");
            Assert.Equal("+Background append only file rewriting started\r\n", r.Call("BGREWRITEAOF"));
            WaitForRewrite(r);
            Populate(r, "p4:");
            ours1 = DescribeAll(r, "p3:");
            ours2 = DescribeAll(r, "p4:");
            r.Send("SHUTDOWN", "NOSAVE"); // Redis fsyncs the AOF and exits
            Assert.True(r.IsClosedByServer(10000));
        }
        await using (var s = Start(dir))
        {
            using var c = s.Raw();
            Assert.Equal(ours1, DescribeAll(c, "p3:"));
            Assert.Equal(ours2, DescribeAll(c, "p4:"));
        }
    }

    [Fact]
    public async Task ABaseWrittenAsCommandsByRedisLoads()
    {
        // aof-use-rdb-preamble no: Redis' rewrite writes the base as commands (appendonly.aof.2.base.aof).
        var dir = NewDir("aof-base");
        Dictionary<string, string> expected;
        using (var redis = new RealRedis("--dir", dir, "--appendonly", "yes", "--aof-use-rdb-preamble", "no"))
        {
            using var r = redis.Connect();
            Populate(r);
            Assert.Equal("+Background append only file rewriting started\r\n", r.Call("BGREWRITEAOF"));
            WaitForRewrite(r);
            r.Call("INCR", "n");
            expected = DescribeAll(r);
            r.Send("SHUTDOWN", "NOSAVE");
            Assert.True(r.IsClosedByServer(10000));
        }
        Assert.StartsWith("file appendonly.aof.2.base.aof seq 2 type b\n", ManifestText(dir));
        await using var s = Start(dir);
        using var c = s.Raw();
        Assert.Equal(expected, DescribeAll(c));
    }

    private static void WaitForRewrite(RespClient c)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var info = c.Call("INFO", "persistence");
            if (info.Contains("aof_rewrite_in_progress:0") && info.Contains("aof_rewrite_scheduled:0") && info.Contains("aof_enabled:1")) return;
            Assert.True(DateTime.UtcNow < deadline, "rewrite did not finish: " + info);
            Thread.Sleep(20);
        }
    }

    [Fact]
    public async Task RewriteMakesANewBaseAndDeletesHistoryWhileWritesContinue()
    {
        var dir = NewDir("rewrite");
        await using (var s = Start(dir))
        {
            using var c = s.Raw();
            for (int i = 0; i < 2000; i++) c.Call("SET", "k" + i, "v" + i);
            Assert.Equal("+Background append only file rewriting started\r\n", c.Call("BGREWRITEAOF"));
            // Writes during the rewrite go to the new incremental file.
            for (int i = 0; i < 200; i++) c.Call("INCR", "during");
            WaitForRewrite(c);
            c.Call("SET", "after", "1");
            Assert.Equal("file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n", ManifestText(dir));
            // History files are unlinked in the background, right after the manifest stops listing them.
            string[] expected = ["appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"];
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (!Directory.GetFiles(Path.Combine(dir, "appendonlydir")).Select(Path.GetFileName).Order().SequenceEqual(expected) && DateTime.UtcNow < deadline)
                Thread.Sleep(20);
            Assert.Equal(expected, Directory.GetFiles(Path.Combine(dir, "appendonlydir")).Select(Path.GetFileName).Order().ToArray());
            Assert.Contains("aof_rewrites:1", c.Call("INFO", "persistence"));
        }
        CheckAof(dir);
        await using (var s = Start(dir))
        {
            using var c = s.Raw();
            Assert.Equal(":2002\r\n", c.Call("DBSIZE"));
            Assert.Equal("$3\r\n200\r\n", c.Call("GET", "during"));
            Assert.Equal("$5\r\nv1999\r\n", c.Call("GET", "k1999"));
        }
    }

    [Fact]
    public async Task ATruncatedTailIsCutOffWhenAllowed()
    {
        var dir = NewDir("truncated");
        await using (var s = Start(dir))
        {
            using var c = s.Raw();
            c.Call("SET", "a", "1");
            c.Call("MULTI");
            c.Call("SET", "in-multi", "1");
            c.Call("EXEC");
            c.Call("SET", "b", "2");
        }
        var path = IncrPath(dir);
        var whole = File.ReadAllBytes(path);
        // A crash in the middle of the last command: "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n" and no value.
        int cut = whole.Length - 4;
        File.WriteAllBytes(path, whole[..cut]);
        var ex = await Assert.ThrowsAsync<AofLoadException>(async () => { await using var s = Start(dir, c => c.AofLoadTruncated = false); });
        Assert.Contains("Unexpected end of file reading the append only file appendonly.aof.1.incr.aof", ex.Message);
        Assert.Equal(cut, new FileInfo(path).Length); // refused: nothing was changed
        await using (var s = Start(dir))
        {
            using var c = s.Raw();
            Assert.Equal("$1\r\n1\r\n", c.Call("GET", "a"));
            Assert.Equal("$1\r\n1\r\n", c.Call("GET", "in-multi"));
            Assert.Equal("$-1\r\n", c.Call("GET", "b"));
            c.Call("SET", "c", "3");
        }
        CheckAof(dir); // the tail was cut at the last whole command, and appending went on from there

        // A MULTI whose EXEC never reached the file: the transaction is dropped as a whole.
        whole = File.ReadAllBytes(path);
        var multi = Encoding.ASCII.GetBytes("*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\n1\r\n");
        File.WriteAllBytes(path, [.. whole, .. multi]);
        await using (var s = Start(dir))
        {
            using var c = s.Raw();
            Assert.Equal("$-1\r\n", c.Call("GET", "x"));
            Assert.Equal("$1\r\n3\r\n", c.Call("GET", "c"));
        }
        Assert.Equal(whole.Length, new FileInfo(path).Length);
    }

    [Fact]
    public async Task CorruptionStopsStartupNamingTheFileAndOffset()
    {
        var dir = NewDir("corrupt");
        await using (var s = Start(dir))
        {
            using var c = s.Raw();
            c.Call("SET", "a", "1");
            c.Call("SET", "b", "2");
        }
        var path = IncrPath(dir);
        var bytes = File.ReadAllBytes(path);
        int second = Encoding.Latin1.GetString(bytes).IndexOf("*3\r\n$3\r\nSET\r\n$1\r\nb", StringComparison.Ordinal);
        bytes[second] = (byte)'!';
        File.WriteAllBytes(path, bytes);
        var ex = await Assert.ThrowsAsync<AofLoadException>(async () => { await using var s = Start(dir); });
        Assert.Contains($"Bad file format reading the append only file appendonly.aof.1.incr.aof at offset {second}", ex.Message);
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task AnAofDirectoryThatCannotBeCreatedStopsStartup()
    {
        var dir = NewDir("no-dir");
        File.WriteAllText(Path.Combine(dir, "appendonlydir"), "a file where the directory should be");
        var ex = await Assert.ThrowsAsync<AofLoadException>(async () => { await using var s = Start(dir); });
        Assert.StartsWith("Can't open or create the append-only files in " + Path.Combine(dir, "appendonlydir"), ex.Message);
    }

    [Fact]
    public async Task AnOldSingleFileIsUpgradedToTheMultiPartLayout()
    {
        var dir = NewDir("upgrade");
        File.WriteAllBytes(Path.Combine(dir, "appendonly.aof"), Encoding.ASCII.GetBytes(
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$5\r\nvalue\r\n"));
        await using (var s = Start(dir))
        {
            using var c = s.Raw();
            Assert.Equal("$5\r\nvalue\r\n", c.Call("GET", "old"));
            c.Call("SET", "new", "1");
        }
        Assert.False(File.Exists(Path.Combine(dir, "appendonly.aof")));
        Assert.Equal("file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n", ManifestText(dir));
        CheckAof(dir);
        using var redis = new RealRedis("--dir", dir, "--appendonly", "yes");
        using var r = redis.Connect();
        Assert.Equal("$5\r\nvalue\r\n", r.Call("GET", "old"));
        Assert.Equal("$1\r\n1\r\n", r.Call("GET", "new"));
    }

    [Fact]
    public async Task ConfigSetAppendOnlyStartsARewriteAndStops()
    {
        var dir = NewDir("switch");
        await using (var s = new TestServer(c => c.Dir = dir))
        {
            using var c = s.Raw();
            c.Call("SET", "before", "1");
            Assert.Contains("aof_enabled:0", c.Call("INFO", "persistence"));
            Assert.False(Directory.Exists(Path.Combine(dir, "appendonlydir")));
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "appendonly", "yes"));
            c.Call("SET", "during", "1");
            WaitForRewrite(c);
            c.Call("SET", "after", "1");
            Assert.Equal("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n", ManifestText(dir));
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "appendonly", "no"));
            Assert.Contains("aof_enabled:0", c.Call("INFO", "persistence"));
            c.Call("SET", "off", "1");
        }
        await using (var s = Start(dir))
        {
            using var c = s.Raw();
            Assert.Equal(":3\r\n", c.Call("EXISTS", "before", "during", "after"));
            Assert.Equal(":0\r\n", c.Call("EXISTS", "off"));
        }
    }

    [Fact]
    public async Task AReplicaRecordsWhatItAppliesAndStartsOverAfterAFullSync()
    {
        var dir = NewDir("replica");
        using var master = new RealRedis();
        using var m = master.Connect();
        m.Call("SET", "before-sync", "1");
        await using (var s = Start(dir, c => c.AppendFsync = Cinnabar.Config.AppendFsyncMode.EverySec))
        {
            using var c = s.Raw();
            c.Call("SET", "local", "1"); // replaced by the master's dataset at the full sync
            Assert.Equal("+OK\r\n", c.Call("REPLICAOF", "127.0.0.1", master.Port.ToString()));
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (c.Call("EXISTS", "before-sync") != ":1\r\n")
            {
                Assert.True(DateTime.UtcNow < deadline, "no full sync");
                Thread.Sleep(20);
            }
            WaitForRewrite(c); // the AOF starts again from a base of the master's data
            m.Call("RPUSH", "after-sync", "a", "b");
            m.Call("SET", "ttl", "v", "EX", "1000");
            while (c.Call("EXISTS", "after-sync", "ttl") != ":2\r\n")
            {
                Assert.True(DateTime.UtcNow < deadline, "stream not applied");
                Thread.Sleep(20);
            }
        }
        await using (var s = Start(dir))
        {
            using var c = s.Raw();
            Assert.Equal(":0\r\n", c.Call("EXISTS", "local"));
            Assert.Equal(":3\r\n", c.Call("EXISTS", "before-sync", "after-sync", "ttl"));
            Assert.Equal(m.Call("PEXPIRETIME", "ttl"), c.Call("PEXPIRETIME", "ttl"));
        }
    }

    [Fact]
    public async Task TheAofGrowingPastItsRewriteThresholdRewritesItself()
    {
        var dir = NewDir("auto");
        await using var s = Start(dir, c => c.AppendFsync = Cinnabar.Config.AppendFsyncMode.EverySec);
        using var c = s.Raw();
        Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "auto-aof-rewrite-min-size", "4kb"));
        Assert.Equal("+OK\r\n", c.Call("CONFIG", "SET", "auto-aof-rewrite-percentage", "100"));
        var value = new string('v', 100);
        for (int i = 0; i < 100; i++) c.Call("SET", "k" + i, value); // 12 KB: past 4 KB and 100% growth
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!c.Call("INFO", "persistence").Contains("aof_rewrites:1"))
        {
            Assert.True(DateTime.UtcNow < deadline, "no automatic rewrite");
            Thread.Sleep(20);
        }
        WaitForRewrite(c);
        Assert.StartsWith("file appendonly.aof.2.base.rdb seq 2 type b\n", ManifestText(dir));
    }

    [Fact]
    public async Task BgrewriteaofRepliesAsRedis()
    {
        using var redis = new RealRedis("--appendonly", "yes");
        await using var ours = Start(NewDir("replies"));
        using var p = new DiffPair(redis.Connect(), ours.Raw());
        p.Same("MULTI");
        p.Same("BGREWRITEAOF");
        p.Same("EXEC"); // inside a transaction the rewrite is scheduled
        p.Same("CONFIG", "SET", "appenddirname", "other");
        p.Same("CONFIG", "SET", "aof-use-rdb-preamble", "yes");
        p.Same("CONFIG", "GET", "auto-aof-rewrite-percentage");
        p.Same("CONFIG", "GET", "auto-aof-rewrite-min-size");
        p.Same("CONFIG", "SET", "auto-aof-rewrite-min-size", "1mb");
        p.Same("CONFIG", "GET", "auto-aof-rewrite-min-size");
        p.Same("CONFIG", "GET", "aof-load-truncated");
    }

    [Fact]
    public async Task DebugLoadAofReplacesTheDatasetWithTheFiles()
    {
        var dir = NewDir("loadaof");
        await using var s = Start(dir);
        using var c = s.Raw();
        c.Call("SET", "a", "1");
        c.Call("RPUSH", "l", "x");
        Assert.Equal("+OK\r\n", c.Call("DEBUG", "LOADAOF"));
        Assert.Equal(":2\r\n", c.Call("DBSIZE"));
        c.Call("SET", "b", "2");
        // The reload appended nothing: the file holds the three writes once.
        Assert.Equal("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\nx\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n",
            File.ReadAllText(IncrPath(dir)));
    }

    [Fact]
    public async Task AWriteErrorRefusesWritesWithMisconfUntilItRecovers()
    {
        // A small tmpfs that fills up; needs root (mount), as the CI container has.
        var dir = NewDir("misconf");
        if (!Mount(dir)) return;
        try
        {
            await using var s = Start(dir, c => c.AppendFsync = Cinnabar.Config.AppendFsyncMode.EverySec);
            using var c = s.Raw();
            var big = new string('x', 100_000);
            string reply = "";
            for (int i = 0; i < 20 && !reply.StartsWith("-MISCONF", StringComparison.Ordinal); i++)
            {
                reply = c.Call("SET", "big" + i, big);
                Thread.Sleep(20);
            }
            Assert.Equal("-MISCONF Errors writing to the AOF file: No space left on device\r\n", reply);
            Assert.Contains("aof_last_write_status:err", c.Call("INFO", "persistence"));
            Assert.StartsWith("-MISCONF", c.Call("PING"));
            Assert.StartsWith("$", c.Call("GET", "big0"));
            // Space again: the cron retries the write and writes are accepted.
            File.Delete(Path.Combine(dir, "filler"));
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (c.Call("PING") != "+PONG\r\n")
            {
                Assert.True(DateTime.UtcNow < deadline, "the AOF did not recover");
                Thread.Sleep(50);
            }
            Assert.Contains("aof_last_write_status:ok", c.Call("INFO", "persistence"));
        }
        finally
        {
            Unmount(dir);
        }
    }

    private static bool Mount(string dir)
    {
        if (Environment.UserName != "root") return false;
        if (Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir) != 0) return false;
        // Leave room for the base and the first writes only, then fill the rest with a file we can delete.
        File.WriteAllBytes(Path.Combine(dir, "filler"), new byte[600_000]);
        return true;
    }

    private static void Unmount(string dir) => Run("umount", "-l", dir);

    private static int Run(string file, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = System.Diagnostics.Process.Start(psi)!;
            p.WaitForExit(10000);
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception) { return -1; }
    }

    // ---- aof-use-rdb-preamble no, aof-timestamp-enabled, streaming load, one background job at a time ----

    /// <summary>Values of every encoding a command-form base must rebuild: batches over 64 items, large and small collections, streams with groups.</summary>
    private static void PopulateEncodings(RespClient c)
    {
        Populate(c);
        c.Call(["RPUSH", "biglist", .. Enumerable.Range(0, 150).Select(i => "e" + i)]);
        c.Call(["SADD", "intset", .. Enumerable.Range(0, 70).Select(i => i.ToString())]);
        c.Call(["SADD", "bigset", .. Enumerable.Range(0, 200).Select(i => "m" + i)]);
        c.Call(["ZADD", "bigz", .. Enumerable.Range(0, 200).SelectMany(i => new[] { (i * 0.1).ToString("R", System.Globalization.CultureInfo.InvariantCulture), "m" + i })]);
        c.Call("ZADD", "bigz", "inf", "top", "-inf", "bottom");
        c.Call(["HSET", "bigh", .. Enumerable.Range(0, 200).SelectMany(i => new[] { "f" + i, "v" + i })]);
        c.Call("XADD", "st2", "1-1", "a", "1");
        c.Call("XADD", "st2", "2-1", "b", "2", "c", "3");
        c.Call("XADD", "st2", "3-1", "a", "4");
        c.Call("XDEL", "st2", "3-1");
        c.Call("XGROUP", "CREATE", "st2", "g1", "0");
        c.Call("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "1", "STREAMS", "st2", ">");
        c.Call("XGROUP", "CREATECONSUMER", "st2", "g1", "bob");
        c.Call("XGROUP", "CREATE", "st2", "g2", "$");
        c.Call("XADD", "empty", "MAXLEN", "0", "5-5", "x", "y");
        c.Call("PEXPIRE", "bigh", "100000000");
    }

    [Fact]
    public async Task ABaseWrittenAsCommandsLoadsInRedisWithTheSameDigest()
    {
        var dir = NewDir("cmd-base");
        string digest;
        await using (var s = Start(dir, c => c.AofUseRdbPreamble = false))
        {
            // A fresh start already makes its base in command form.
            Assert.Equal("file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n", ManifestText(dir));
            using var c = s.Raw();
            PopulateEncodings(c);
            Assert.Equal("+Background append only file rewriting started\r\n", c.Call("BGREWRITEAOF"));
            WaitForRewrite(c);
            digest = c.Call("DEBUG", "DIGEST");
        }
        Assert.StartsWith("file appendonly.aof.2.base.aof seq 2 type b\n", ManifestText(dir));
        var text = File.ReadAllText(Path.Combine(dir, "appendonlydir", "appendonly.aof.2.base.aof"), Encoding.Latin1);
        Assert.StartsWith("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n", text);
        Assert.Contains("*66\r\n$5\r\nRPUSH\r\n$7\r\nbiglist\r\n", text);   // 64 items per command
        Assert.Contains("*24\r\n$5\r\nRPUSH\r\n$7\r\nbiglist\r\n", text);   // and the rest
        Assert.Contains("$5\r\nHMSET\r\n", text);
        Assert.Contains("$9\r\nPEXPIREAT\r\n$4\r\nbigh\r\n", text);
        Assert.Contains("$6\r\nXCLAIM\r\n$3\r\nst2\r\n$2\r\ng1\r\n$5\r\nalice\r\n$1\r\n0\r\n$3\r\n1-1\r\n$4\r\nTIME\r\n", text);
        Assert.Contains("*7\r\n$6\r\nXSETID\r\n$3\r\nst2\r\n$3\r\n3-1\r\n$12\r\nENTRIESADDED\r\n$1\r\n3\r\n$12\r\nMAXDELETEDID\r\n$3\r\n3-1\r\n", text);
        Assert.Contains("All AOF files and manifest are valid", CheckAof(dir));
        using (var redis = new RealRedis("--dir", dir, "--appendonly", "yes", "--aof-use-rdb-preamble", "no"))
        {
            using var r = redis.Connect();
            Assert.Equal(digest, r.Call("DEBUG", "DIGEST"));
            Assert.Equal(Describe(r, "st2"), Describe(r, "st2")); // Redis can read the stream back
        }
        await using (var s = Start(dir, c => c.AofUseRdbPreamble = false))
        {
            using var c = s.Raw();
            Assert.Equal(digest, c.Call("DEBUG", "DIGEST"));
        }
    }

    [Fact]
    public async Task RedisBaseAndIncrementsWithTimestampsLoadWithTheSameDigest()
    {
        var dir = NewDir("redis-ts");
        string digest;
        using (var redis = new RealRedis("--dir", dir, "--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--aof-timestamp-enabled", "yes"))
        {
            using var r = redis.Connect();
            PopulateEncodings(r);
            Assert.Equal("+Background append only file rewriting started\r\n", r.Call("BGREWRITEAOF"));
            WaitForRewrite(r);
            Thread.Sleep(1100); // a new second: the next write gets an annotation
            r.Call("INCR", "n");
            r.Call("SADD", "bigset", "late");
            digest = r.Call("DEBUG", "DIGEST");
            r.Send("SHUTDOWN", "NOSAVE");
            Assert.True(r.IsClosedByServer(10000));
        }
        Assert.StartsWith("#TS:", File.ReadAllText(Path.Combine(dir, "appendonlydir", "appendonly.aof.2.base.aof")));
        Assert.StartsWith("#TS:", File.ReadAllText(IncrPath(dir, 2)));
        await using var s = Start(dir);
        using var c = s.Raw();
        Assert.Equal(digest, c.Call("DEBUG", "DIGEST"));
    }

    [Fact]
    public async Task TimestampAnnotationsAreWrittenAsRedisDoesAndSkippedOnLoad()
    {
        var dir = NewDir("ts");
        string digest;
        await using (var s = Start(dir, c => c.AofTimestampEnabled = true))
        {
            using var c = s.Raw();
            c.Call("SET", "a", "1");
            c.Call("SET", "b", "2"); // same second: no new annotation (unless the second just turned)
            Thread.Sleep(1100);
            c.Call("MULTI");
            c.Call("INCR", "n");
            c.Call("INCR", "n");
            c.Call("EXEC");
            digest = c.Call("DEBUG", "DIGEST");
        }
        var text = File.ReadAllText(IncrPath(dir));
        var lines = text.Split("\r\n");
        var stamps = lines.Where(l => l.StartsWith('#')).ToList();
        Assert.InRange(stamps.Count, 2, 3);
        Assert.All(stamps, l => Assert.Matches(@"^#TS:\d{10}$", l));
        long first = long.Parse(stamps[0][4..]);
        Assert.InRange(first, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 30, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.StartsWith(stamps[0] + "\r\n*2\r\n$6\r\nSELECT\r\n", text); // before the batch, before its SELECT
        // The transaction's annotation comes before MULTI, never inside it.
        Assert.Contains(stamps[^1] + "\r\n*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*1\r\n$4\r\nEXEC\r\n", text);
        Assert.Contains("All AOF files and manifest are valid", CheckAof(dir));
        await using (var s = Start(dir))
        {
            using var c = s.Raw();
            Assert.Equal(digest, c.Call("DEBUG", "DIGEST"));
        }
        using var redis = new RealRedis("--dir", dir, "--appendonly", "yes");
        using var r = redis.Connect();
        Assert.Equal(digest, r.Call("DEBUG", "DIGEST"));
    }

    [Fact]
    public async Task PreambleAndTimestampParametersAreRealAndMatchRedis()
    {
        using var redis = new RealRedis("--appendonly", "yes");
        await using var ours = Start(NewDir("params"));
        using var p = new DiffPair(redis.Connect(), ours.Raw());
        p.Same("CONFIG", "GET", "aof-use-rdb-preamble");
        p.Same("CONFIG", "GET", "aof-timestamp-enabled");
        p.Same("CONFIG", "SET", "aof-use-rdb-preamble", "no");
        p.Same("CONFIG", "SET", "aof-timestamp-enabled", "yes");
        p.Same("CONFIG", "GET", "aof-use-rdb-preamble");
        p.Same("CONFIG", "GET", "aof-timestamp-enabled");
        p.Same("CONFIG", "SET", "aof-timestamp-enabled", "maybe");
        Assert.False(ours.Server.Config.AofUseRdbPreamble);
        Assert.True(ours.Server.Config.AofTimestampEnabled);
    }

    [Fact]
    public async Task BgsaveAndBgrewriteaofWaitForEachOtherAsInRedis()
    {
        // Redis runs one child at a time. Pipelined, the second command always finds the first job running
        // (its end is handled later, by the cron on both servers).
        using var redis = new RealRedis("--appendonly", "yes");
        await using var ours = Start(NewDir("one-job"), c => c.AppendFsync = Cinnabar.Config.AppendFsyncMode.EverySec);
        using var p = new DiffPair(redis.Connect(), ours.Raw());
        p.Both("SET", "k", "v");
        p.SameRaw("*1\r\n$12\r\nBGREWRITEAOF\r\n*1\r\n$6\r\nBGSAVE\r\n*2\r\n$6\r\nBGSAVE\r\n$8\r\nSCHEDULE\r\n*1\r\n$12\r\nBGREWRITEAOF\r\n*1\r\n$4\r\nSAVE\r\n");
        p.SameNext(); // BGSAVE: another child process is active
        p.SameNext(); // BGSAVE SCHEDULE: scheduled
        p.SameNext(); // BGREWRITEAOF: already in progress
        p.SameNext(); // SAVE: allowed (synchronous)
        // The scheduled BGSAVE runs once the rewrite is over (rdb_saves counts the SAVE and it).
        foreach (var c in new[] { p.Redis, p.Ours })
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            string info;
            while (!(info = c.Call("INFO", "persistence")).Contains("rdb_saves:2\r\n") || info.Contains("rdb_bgsave_in_progress:1") || info.Contains("aof_rewrite_in_progress:1"))
            {
                Assert.True(DateTime.UtcNow < deadline, "the scheduled BGSAVE did not run: " + info);
                Thread.Sleep(50);
            }
        }
        // During a BGSAVE: BGREWRITEAOF is scheduled, another BGSAVE or a SAVE refused.
        p.SameRaw("*1\r\n$6\r\nBGSAVE\r\n*1\r\n$12\r\nBGREWRITEAOF\r\n*1\r\n$12\r\nBGREWRITEAOF\r\n*1\r\n$6\r\nBGSAVE\r\n*1\r\n$4\r\nSAVE\r\n*1\r\n$5\r\nMULTI\r\n*1\r\n$6\r\nBGSAVE\r\n*1\r\n$4\r\nEXEC\r\n");
        for (int i = 0; i < 7; i++) p.SameNext();
        WaitForRewrite(p.Redis);
        WaitForRewrite(p.Ours);
    }

    [Fact]
    public async Task ALargeIncrementalFileLoadsThroughTheBoundedBuffer()
    {
        // Several MB: commands straddle the loader's 256 KB reads, and one value is larger than a read.
        var dir = NewDir("stream-load");
        Directory.CreateDirectory(Path.Combine(dir, "appendonlydir"));
        File.WriteAllText(Path.Combine(dir, "appendonlydir", "appendonly.aof.manifest"), "file appendonly.aof.1.incr.aof seq 1 type i\n");
        var big = new string('b', 1_000_000);
        using (var f = File.Create(IncrPath(dir)))
        {
            f.Write(RespClient.Encode([Encoding.ASCII.GetBytes("SELECT"), Encoding.ASCII.GetBytes("0")]));
            for (int i = 0; i < 60_000; i++)
            {
                f.Write(RespClient.Encode([Encoding.ASCII.GetBytes("RPUSH"), Encoding.ASCII.GetBytes("l" + (i % 7)), Encoding.ASCII.GetBytes("x" + i)]));
                if (i == 30_000) f.Write(RespClient.Encode([Encoding.ASCII.GetBytes("SET"), Encoding.ASCII.GetBytes("big"), Encoding.ASCII.GetBytes(big)]));
                if (i % 1000 == 0) f.Write(Encoding.ASCII.GetBytes($"#TS:{1700000000 + i}\r\n"));
            }
            f.Write(Encoding.ASCII.GetBytes("*3\r\n$3\r\nSET\r\n$4\r\ncut")); // a crash mid-write
        }
        long length = new FileInfo(IncrPath(dir)).Length;
        Assert.True(length > 2_000_000);
        await using var s = Start(dir);
        using var c = s.Raw();
        Assert.Equal($"$1000000\r\n{big}\r\n", c.Call("GET", "big"));
        int total = 0;
        for (int k = 0; k < 7; k++) total += int.Parse(c.Call("LLEN", "l" + k)[1..^2]);
        Assert.Equal(60_000, total);
        Assert.Equal("$6\r\nx59999\r\n", c.Call("LINDEX", "l" + (59_999 % 7), "-1"));
        Assert.Equal(length - "*3\r\n$3\r\nSET\r\n$4\r\ncut".Length, new FileInfo(IncrPath(dir)).Length); // the torn tail was cut
    }

    [Fact]
    public async Task UnderEverysecAReplyComesAfterItsWriteReachedTheFile()
    {
        // The write() happens after the execution lock is released (one write covers concurrent batches),
        // but still before the batch's replies go out: a process crash never loses an acknowledged write.
        var dir = NewDir("write-before-reply");
        await using var s = Start(dir, c => c.AppendFsync = Cinnabar.Config.AppendFsyncMode.EverySec);
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            using var c = s.Raw();
            for (int i = 0; i < 100; i++)
            {
                var value = $"w{w}-{i}-" + new string('x', 20);
                Assert.Equal("+OK\r\n", c.Call("SET", $"key{w}", value));
                using var f = new FileStream(IncrPath(dir), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                var text = new StreamReader(f, Encoding.Latin1).ReadToEnd();
                Assert.Contains(value, text);
            }
        })).ToArray();
        await Task.WhenAll(writers);
    }
}
