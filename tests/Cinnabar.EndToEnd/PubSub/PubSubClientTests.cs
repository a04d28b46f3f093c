using System.Net.Sockets;
using System.Text;
using Cinnabar.Config;
using Cinnabar.EndToEnd.Infrastructure;
using StackExchange.Redis;

namespace Cinnabar.EndToEnd.PubSub;

public sealed class PubSubClientTests
{
    [Fact]
    public async Task StackExchangeRedisSubscribersGetChannelAndPatternMessagesInOrder()
    {
        await using var s = new TestServer();
        var sub = s.Multiplexer.GetSubscriber();
        var received = new List<string>();
        var done = new TaskCompletionSource();
        byte[] binaryChannel = [0x62, 0, 0xff, 0x0d, 0x0a];
        // A ChannelMessageQueue delivers in order (plain handlers may run concurrently in the client).
        var news = await sub.SubscribeAsync(RedisChannel.Literal("se:news"));
        news.OnMessage(m =>
        {
            lock (received) { received.Add("news:" + m.Message); if (received.Count == 102) done.TrySetResult(); }
        });
        await sub.SubscribeAsync(RedisChannel.Pattern("se:sport.*"), (ch, msg) =>
        {
            lock (received) { received.Add(ch + ":" + msg); if (received.Count == 102) done.TrySetResult(); }
        });
        await sub.SubscribeAsync(new RedisChannel(binaryChannel, RedisChannel.PatternMode.Literal), (ch, msg) =>
        {
            lock (received) { received.Add("bin:" + Convert.ToHexString((byte[])msg!)); if (received.Count == 102) done.TrySetResult(); }
        });
        var db = s.Db();
        for (int i = 0; i < 100; i++) Assert.Equal(1, await db.PublishAsync(RedisChannel.Literal("se:news"), i.ToString()));
        Assert.Equal(1, await db.PublishAsync(RedisChannel.Literal("se:sport.tennis"), "ace"));
        Assert.Equal(1, await db.PublishAsync(new RedisChannel(binaryChannel, RedisChannel.PatternMode.Literal), new byte[] { 0, 1, 0xff }));
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        lock (received)
        {
            Assert.Equal(Enumerable.Range(0, 100).Select(i => "news:" + i), received.Where(r => r.StartsWith("news:")));
            Assert.Contains("se:sport.tennis:ace", received);
            Assert.Contains("bin:0001FF", received);
        }
    }

    [Fact]
    public async Task SlowSubscriberIsDisconnectedAndThePublisherIsNotStalled()
    {
        await using var s = new TestServer(c => c.ClientOutputBufferLimit = ClientOutputBufferLimits.Default with { PubSub = (1048576, 262144, 1) });
        using var slow = new TcpClient();
        slow.ReceiveBufferSize = 4096;
        slow.Connect("127.0.0.1", s.Port);
        var stream = slow.GetStream();
        stream.Write(Encoding.ASCII.GetBytes("*2\r\n$9\r\nSUBSCRIBE\r\n$7\r\nps:slow\r\n"));
        using var pub = s.Raw();
        var payload = new string('m', 10_000);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        int lastReceivers = -1;
        for (int i = 0; i < 1000; i++)
        {
            var r = pub.Call("PUBLISH", "ps:slow", payload);
            lastReceivers = int.Parse(r[1..^2]);
            if (lastReceivers == 0) break;
        }
        Assert.Equal(0, lastReceivers); // the subscriber was dropped once past the hard limit
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"publishing took {sw.Elapsed}");
        Assert.Equal("+PONG\r\n", pub.Call("PING"));
    }

    [Fact]
    public async Task KeyspaceNotificationsForEachClass()
    {
        await using var s = new TestServer(c => c.NotifyKeyspaceEvents = NotifyFlags.Keyspace | NotifyFlags.Keyevent | NotifyFlags.All);
        using var sub = s.Raw();
        sub.Call("PSUBSCRIBE", "__key*__:*");
        using var c = s.Raw();
        var expected = new List<(string Command, string[] Events)>
        {
            ("SET kn:s v", ["set"]),
            ("SET kn:s v EX 100", ["set", "expire"]),
            ("INCRBY kn:n 2", ["incrby"]),
            ("APPEND kn:s x", ["append"]),
            ("LPUSH kn:l a", ["lpush"]),
            ("RPOP kn:l", ["rpop", "del"]),
            ("HSET kn:h f v", ["hset"]),
            ("SADD kn:t m", ["sadd"]),
            ("SREM kn:t m", ["srem", "del"]),
            ("GETDEL kn:s", ["del"]),
        };
        foreach (var (command, events) in expected)
        {
            c.Call(command.Split(' '));
            foreach (var e in events)
            {
                var keyspace = sub.ReadReply();
                var keyevent = sub.ReadReply();
                Assert.Contains("$10\r\n__key*__:*\r\n", keyspace);
                Assert.EndsWith($"${e.Length}\r\n{e}\r\n", keyspace);
                Assert.Contains($"__keyevent@0__:{e}\r\n", keyevent);
            }
        }
        // Expiry by the active cycle publishes "expired" without anybody touching the key.
        c.Call("SET", "kn:gone", "v", "PX", "50");
        sub.ReadReply(); sub.ReadReply(); sub.ReadReply(); sub.ReadReply(); // set + expire
        var expiredSpace = sub.ReadReply();
        Assert.Contains("__keyspace@0__:kn:gone", expiredSpace);
        Assert.EndsWith("$7\r\nexpired\r\n", expiredSpace);
    }

    [Fact]
    public async Task NewKeyAndKeyMissEventsOnlyWhenAskedFor()
    {
        await using var s = new TestServer(c => c.NotifyKeyspaceEvents = NotifyFlags.Keyevent | NotifyFlags.New | NotifyFlags.KeyMiss);
        using var sub = s.Raw();
        sub.Call("SUBSCRIBE", "__keyevent@0__:new", "__keyevent@0__:keymiss");
        sub.ReadReply();
        using var c = s.Raw();
        c.Call("SET", "kn:fresh", "1");
        c.Call("SET", "kn:fresh", "2"); // not new any more
        c.Call("GET", "kn:missing");
        Assert.Equal("*3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:new\r\n$8\r\nkn:fresh\r\n", sub.ReadReply());
        Assert.Equal("*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:keymiss\r\n$10\r\nkn:missing\r\n", sub.ReadReply());
    }
}
