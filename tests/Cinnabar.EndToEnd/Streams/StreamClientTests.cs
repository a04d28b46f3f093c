using Cinnabar.EndToEnd.Infrastructure;
using StackExchange.Redis;

namespace Cinnabar.EndToEnd.Streams;

/// <summary>Streams through StackExchange.Redis and redis-cli, plus consumer failure recovery.</summary>
public sealed class StreamClientTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer S => fixture.Server;

    [Fact]
    public void StackExchangeAddRangeAndRead()
    {
        var db = S.Db();
        var id1 = db.StreamAdd("sc:se", [new NameValueEntry("sensor", "1"), new NameValueEntry("temp", "25.5")]);
        var id2 = db.StreamAdd("sc:se", "sensor", "2");
        Assert.True(string.CompareOrdinal(id1!, id2!) != 0);
        Assert.Equal(2, db.StreamLength("sc:se"));
        var range = db.StreamRange("sc:se");
        Assert.Equal(2, range.Length);
        Assert.Equal("25.5", (string?)range[0]["temp"]);
        var read = db.StreamRead("sc:se", id1);
        Assert.Single(read);
        Assert.Equal(id2, read[0].Id);
        var rev = db.StreamRange("sc:se", messageOrder: Order.Descending, count: 1);
        Assert.Equal(id2, rev[0].Id);
        Assert.Equal(1, db.StreamDelete("sc:se", [id1]));
        var info = db.StreamInfo("sc:se");
        Assert.Equal(1, info.Length);
        Assert.Equal(id2, info.FirstEntry.Id);
        Assert.Equal(0, db.StreamTrim("sc:se", 5));
        var multi = db.StreamRead([new StreamPosition("sc:se", "0-0"), new StreamPosition("sc:none", "0-0")]);
        Assert.Single(multi);
    }

    [Fact]
    public void StackExchangeConsumerGroups()
    {
        var db = S.Db();
        for (int i = 0; i < 5; i++) db.StreamAdd("sc:grp", "n", i);
        Assert.True(db.StreamCreateConsumerGroup("sc:grp", "workers", "0-0"));
        var batch = db.StreamReadGroup("sc:grp", "workers", "alice", ">", count: 3);
        Assert.Equal(3, batch.Length);
        Assert.Equal(2, db.StreamAcknowledge("sc:grp", "workers", [batch[0].Id, batch[1].Id]));
        var pending = db.StreamPending("sc:grp", "workers");
        Assert.Equal(1, pending.PendingMessageCount);
        Assert.Equal("alice", (string?)pending.Consumers[0].Name);
        var groups = db.StreamGroupInfo("sc:grp");
        Assert.Equal("workers", (string?)groups[0].Name);
        Assert.Equal(1, groups[0].PendingMessageCount);
        var consumers = db.StreamConsumerInfo("sc:grp", "workers");
        Assert.Equal("alice", (string?)consumers[0].Name);
        var detail = db.StreamPendingMessages("sc:grp", "workers", 10, "alice");
        Assert.Equal(batch[2].Id, detail[0].MessageId);
        var claimed = db.StreamClaim("sc:grp", "workers", "bob", 0, [batch[2].Id]);
        Assert.Equal(batch[2].Id, claimed[0].Id);
        Assert.True(db.StreamDeleteConsumerGroup("sc:grp", "workers"));
    }

    [Fact]
    public void CrashedConsumerEntriesAreRecoveredByAnother()
    {
        using var c = S.Raw();
        const string k = "sc:recover";
        for (int i = 1; i <= 6; i++) c.Call("XADD", k, $"{i}-0", "job", i.ToString());
        Assert.Equal("+OK\r\n", c.Call("XGROUP", "CREATE", k, "g", "0"));
        // worker-1 takes four jobs, acks one, then "crashes".
        c.Call("XREADGROUP", "GROUP", "g", "worker-1", "COUNT", "4", "STREAMS", k, ">");
        Assert.Equal(":1\r\n", c.Call("XACK", k, "g", "1-0"));
        // worker-2 processes the rest of the new entries normally.
        c.Call("XREADGROUP", "GROUP", "g", "worker-2", "STREAMS", k, ">");
        Assert.Equal(":2\r\n", c.Call("XACK", k, "g", "5-0", "6-0"));
        Thread.Sleep(30);
        // Recovery: worker-2 claims one idle entry explicitly, the rest with XAUTOCLAIM.
        var claimed = c.Call("XCLAIM", k, "g", "worker-2", "20", "2-0", "JUSTID");
        Assert.Equal("*1\r\n$3\r\n2-0\r\n", claimed);
        var auto = c.Call("XAUTOCLAIM", k, "g", "worker-2", "20", "0-0", "JUSTID");
        Assert.Equal("*3\r\n$3\r\n0-0\r\n*2\r\n$3\r\n3-0\r\n$3\r\n4-0\r\n*0\r\n", auto);
        // worker-2's history now holds the recovered jobs; worker-1 has none left.
        var history = c.Call("XREADGROUP", "GROUP", "g", "worker-2", "STREAMS", k, "0");
        Assert.Contains("2-0", history);
        Assert.Contains("4-0", history);
        Assert.Equal("*1\r\n*2\r\n$10\r\nsc:recover\r\n*0\r\n", c.Call("XREADGROUP", "GROUP", "g", "worker-1", "STREAMS", k, "0"));
        var summary = c.Call("XPENDING", k, "g");
        Assert.StartsWith("*4\r\n:3\r\n$3\r\n2-0\r\n$3\r\n4-0\r\n*1\r\n*2\r\n$8\r\nworker-2\r\n$1\r\n3\r\n", summary);
        // Delivery counts went up by the claims (XCLAIM JUSTID does not count; history reads do).
        Assert.Equal(":3\r\n", c.Call("XACK", k, "g", "2-0", "3-0", "4-0"));
        Assert.Equal("*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n", c.Call("XPENDING", k, "g"));
    }

    [Fact]
    public void RedisCliShowsEntries()
    {
        if (!RedisCli.Available) return;
        S.Cli("XADD", "sc:cli", "1-1", "name", "cinnabar");
        Assert.Equal("1", S.Cli("XLEN", "sc:cli"));
        Assert.Equal("1-1\nname\ncinnabar", S.Cli("XRANGE", "sc:cli", "-", "+"));
    }

    [Fact]
    public void BlockingReadInsideTransactionAnswersAtOnce()
    {
        // MULTI sets DenyBlocking: XREAD BLOCK must behave as the non-blocking form.
        var client = new Client(S.Server, new Protocol.ReplyBuffer()) { DenyBlocking = true };
        var (buf, slices) = Args("XREAD", "BLOCK", "0", "STREAMS", "sc:nothing", "$");
        client.SetArgs(buf, slices, 0, slices.Length);
        lock (S.Server.ExecLock) S.Server.Dispatcher.Execute(client);
        Assert.Equal("*-1\r\n", System.Text.Encoding.ASCII.GetString(client.Reply.WrittenSpan));
    }

    private static (byte[], Protocol.ArgSlice[]) Args(params string[] args)
    {
        var bytes = new List<byte>();
        var slices = new Protocol.ArgSlice[args.Length];
        for (int i = 0; i < args.Length; i++)
        {
            var b = System.Text.Encoding.UTF8.GetBytes(args[i]);
            slices[i] = new Protocol.ArgSlice(bytes.Count, b.Length);
            bytes.AddRange(b);
        }
        return (bytes.ToArray(), slices);
    }
}

/// <summary>Blocking XREAD/XREADGROUP: need the BlockingManager (implemented on another branch).</summary>
public sealed class StreamBlockingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer S => fixture.Server;

    [Fact]
    public async Task XReadBlockIsServedByXAdd()
    {
        using var reader = S.Raw();
        using var writer = S.Raw();
        reader.SendRaw("*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$7\r\nsb:wake\r\n$1\r\n$\r\n");
        await Task.Delay(100);
        writer.Call("XADD", "sb:wake", "5-1", "f", "v");
        Assert.Equal("*1\r\n*2\r\n$7\r\nsb:wake\r\n*1\r\n*2\r\n$3\r\n5-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n", reader.ReadReply());
    }

    [Fact]
    public void XReadBlockTimesOutWithNullArray()
    {
        using var reader = S.Raw();
        Assert.Equal("*-1\r\n", reader.Call("XREAD", "BLOCK", "50", "STREAMS", "sb:timeout", "$"));
    }

    [Fact]
    public async Task XReadGroupBlockGetsNewEntryAndPendingIsRecorded()
    {
        using var reader = S.Raw();
        using var writer = S.Raw();
        writer.Call("XGROUP", "CREATE", "sb:grp", "g", "$", "MKSTREAM");
        reader.SendRaw("*8\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$1\r\ng\r\n$1\r\nc\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$6\r\nsb:grp\r\n".Replace("$6\r\nsb:grp\r\n", "$6\r\nsb:grp\r\n$1\r\n>\r\n").Replace("*8", "*9"));
        await Task.Delay(100);
        writer.Call("XADD", "sb:grp", "1-1", "f", "v");
        Assert.Contains("1-1", reader.ReadReply());
        Assert.StartsWith("*4\r\n:1\r\n", writer.Call("XPENDING", "sb:grp", "g"));
    }

    [Fact]
    public async Task DestroyingTheGroupWakesBlockedReaderWithError()
    {
        using var reader = S.Raw();
        using var writer = S.Raw();
        writer.Call("XGROUP", "CREATE", "sb:gone", "g", "$", "MKSTREAM");
        reader.SendRaw("*9\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$1\r\ng\r\n$1\r\nc\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$7\r\nsb:gone\r\n$1\r\n>\r\n");
        await Task.Delay(100);
        writer.Call("XGROUP", "DESTROY", "sb:gone", "g");
        Assert.Equal("-NOGROUP the consumer group this client was blocked on no longer exists\r\n", reader.ReadReply());
    }
}

/// <summary>Keyspace events of stream commands, in Redis 7.0.15's order (observed with PSUBSCRIBE on the real server).</summary>
public sealed class StreamKeyspaceEventTests
{
    [Fact]
    public async Task EventsMatchRedis()
    {
        await using var server = new TestServer();
        var events = new List<string>();
        server.Server.Notifications.Observed += (type, ev, key, db) =>
        {
            Assert.Equal(NotifyFlags.Stream, type);
            events.Add(ev + " " + System.Text.Encoding.UTF8.GetString(key));
        };
        using var c = server.Raw();
        c.Call("XADD", "ev", "1-1", "a", "1");
        c.Call("XADD", "ev", "MAXLEN", "1", "2-1", "a", "1");
        c.Call("XGROUP", "CREATE", "ev", "g", "0");
        c.Call("XREADGROUP", "GROUP", "g", "c", "STREAMS", "ev", ">");
        c.Call("XCLAIM", "ev", "g", "d", "0", "2-1");
        c.Call("XAUTOCLAIM", "ev", "g", "e", "0", "0");
        c.Call("XGROUP", "CREATECONSUMER", "ev", "g", "f");
        c.Call("XGROUP", "DELCONSUMER", "ev", "g", "f");
        c.Call("XGROUP", "SETID", "ev", "g", "0");
        c.Call("XSETID", "ev", "5-5");
        c.Call("XDEL", "ev", "2-1");
        c.Call("XTRIM", "ev", "MAXLEN", "0");
        c.Call("XACK", "ev", "g", "2-1");
        c.Call("XGROUP", "DESTROY", "ev", "g");
        Assert.Equal(
        [
            "xadd ev", "xadd ev", "xtrim ev", "xgroup-create ev", "xgroup-createconsumer ev", "xgroup-createconsumer ev",
            "xgroup-createconsumer ev", "xgroup-createconsumer ev", "xgroup-delconsumer ev", "xgroup-setid ev", "xsetid ev",
            "xdel ev", "xgroup-destroy ev",
        ], events);
    }
}
