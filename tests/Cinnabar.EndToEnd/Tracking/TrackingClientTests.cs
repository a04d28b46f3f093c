using System.Text;
using System.Text.RegularExpressions;
using Cinnabar.EndToEnd.Infrastructure;
using StackExchange.Redis;

namespace Cinnabar.EndToEnd.Tracking;

/// <summary>
/// Client-side caching as clients use it: StackExchange.Redis with RESP2 and REDIRECT to its own
/// subscription connection (the __redis__:invalidate channel), and a small RESP3 near cache of our own that
/// follows Redis' documented protocol (HELLO 3, CLIENT TRACKING ON, invalidate pushes). Plus what only this
/// server can show: the eviction signal, and the table limit's growing effort.
/// </summary>
public sealed class TrackingClientTests
{
    [Fact]
    public async Task StackExchangeRedisReceivesInvalidationsOnItsSubscriptionConnection()
    {
        await using var s = new TestServer();
        var options = new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", s.Port } }, AllowAdmin = true, ClientName = "se-cache", Protocol = RedisProtocol.Resp2,
        };
        await using var mux = await ConnectionMultiplexer.ConnectAsync(options);
        var invalidated = new List<string>();
        var gotTwo = new TaskCompletionSource();
        var sub = mux.GetSubscriber();
        var queue = await sub.SubscribeAsync(RedisChannel.Literal("__redis__:invalidate"));
        queue.OnMessage(m =>
        {
            lock (invalidated)
            {
                invalidated.Add(m.Message.IsNull ? "(flush)" : (string)m.Message!);
                if (invalidated.Count == 2) gotTwo.TrySetResult();
            }
        });
        // The subscription connection is the one in subscribe mode with our name.
        using var raw = s.Raw();
        var list = RespClient.BulkContent(raw.Call("CLIENT", "LIST", "TYPE", "pubsub"));
        var subscriberId = Regex.Match(list, @"id=(\d+) [^\n]*name=se-cache ").Groups[1].Value;
        Assert.NotEqual("", subscriberId);
        var db = mux.GetDatabase();
        Assert.Equal("OK", (string)(await db.ExecuteAsync("CLIENT", "TRACKING", "ON", "REDIRECT", subscriberId))!);
        Assert.Equal(subscriberId, ((long)await db.ExecuteAsync("CLIENT", "GETREDIR")).ToString());
        await db.StringSetAsync("se:a", "1");
        await db.StringSetAsync("se:b", "1");
        Assert.Equal("1", (string?)await db.StringGetAsync("se:a"));
        // se:b was not read through the tracking connection yet: not reported.
        Assert.Equal("+OK\r\n", raw.Call("SET", "se:b", "2"));
        Assert.Equal("+OK\r\n", raw.Call("SET", "se:a", "2"));
        Assert.Equal("2", (string?)await db.StringGetAsync("se:b"));
        Assert.Equal(":1\r\n", raw.Call("DEL", "se:b"));
        await gotTwo.Task.WaitAsync(TimeSpan.FromSeconds(10));
        lock (invalidated) Assert.Equal(["se:a", "se:b"], invalidated);
    }

    [Fact]
    public async Task AResp3NearCacheServesReadsLocallyUntilInvalidated()
    {
        await using var s = new TestServer();
        using var writer = s.Raw();
        using var cache = new NearCache(s.Raw());
        writer.Call("SET", "nc:user:1", "alice");
        writer.Call("SET", "nc:user:2", "bob");
        Assert.Equal("alice", cache.Get("nc:user:1"));
        Assert.Equal("alice", cache.Get("nc:user:1"));
        Assert.Equal("bob", cache.Get("nc:user:2"));
        Assert.Equal(2, cache.ServerReads);
        writer.Call("SET", "nc:user:1", "alicia");
        // The invalidation was pushed before the writer got its reply; the cache sees it on its next exchange.
        Assert.Equal("alicia", cache.Get("nc:user:1"));
        Assert.Equal("bob", cache.Get("nc:user:2"));
        Assert.Equal(3, cache.ServerReads);
        writer.Call("FLUSHALL");
        Assert.Null(cache.Get("nc:user:2"));
        Assert.Equal(4, cache.ServerReads);
        // Its own writes invalidate its cache too (no NOLOOP).
        cache.Set("nc:user:2", "robert");
        Assert.Equal("robert", cache.Get("nc:user:2"));
        Assert.Equal(5, cache.ServerReads);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task EvictedKeysAreInvalidatedWithNoWriter()
    {
        await using var s = new TestServer();
        using var a = s.Raw();
        a.Call("HELLO", "3");
        a.Call("CLIENT", "TRACKING", "ON");
        using var bcast = s.Raw();
        bcast.Call("HELLO", "3");
        bcast.Call("CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP", "PREFIX", "ev:");
        a.Call("SET", "ev:k", "v");
        Assert.Equal(">2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nev:k\r\n", bcast.ReadReply());
        Assert.Equal("$1\r\nv\r\n", a.Call("GET", "ev:k"));
        // What the memory component calls when it evicts a key.
        s.Server.Dispatcher.RunLocked(() =>
        {
            var db = s.Server.Databases[0];
            db.Delete("ev:k"u8);
            s.Server.SignalEvictedKey(db, "ev:k"u8);
        });
        Assert.Equal(">2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nev:k\r\n", a.ReadReply());
        Assert.Equal(">2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nev:k\r\n", bcast.ReadReply());
        Assert.Equal("+PONG\r\n", a.Call("PING"));
        Assert.Equal("2", Info(a, "tracking_clients", "clients"));
        bcast.Call("CLIENT", "TRACKING", "OFF");
        Assert.Equal("1", Info(a, "tracking_clients", "clients"));
        Assert.Equal("0", Info(a, "tracking_total_prefixes"));
    }

    [Fact]
    public async Task TheTableLimitEvictsEnoughKeysWithAGrowingEffort()
    {
        await using var s = new TestServer();
        using var sub = s.Raw();
        long subId = long.Parse(sub.Call("CLIENT", "ID")[1..^2]);
        sub.Call("SUBSCRIBE", "__redis__:invalidate");
        using var a = s.Raw();
        Assert.Equal("+OK\r\n", a.Call("CLIENT", "TRACKING", "ON", "REDIRECT", subId.ToString()));
        const int keys = 250;
        for (int i = 0; i < keys; i++) a.Call("GET", "lim:" + i);
        Assert.Equal("250", Info(a, "tracking_total_keys"));
        Assert.Equal("+OK\r\n", a.Call("CONFIG", "SET", "tracking-table-max-keys", "1"));
        // 100 keys before the next command, 200 more at most before the one after (or by the cron).
        a.Call("PING");
        a.Call("PING");
        var seen = new HashSet<string>();
        for (int i = 0; i < keys - 1; i++)
        {
            var m = Regex.Match(sub.ReadReply(), @"^\*3\r\n\$7\r\nmessage\r\n\$20\r\n__redis__:invalidate\r\n\*1\r\n\$\d+\r\n(lim:\d+)\r\n$");
            Assert.True(m.Success);
            Assert.True(seen.Add(m.Groups[1].Value));
        }
        Assert.Equal("1", Info(a, "tracking_total_keys"));
        Assert.Equal("1", Info(a, "tracking_total_items"));
        sub.Send("PING");
        Assert.Equal("*2\r\n$4\r\npong\r\n$0\r\n\r\n", sub.ReadReply());
    }

    private static string Info(RespClient c, string field, string section = "stats")
    {
        var text = RespClient.BulkContent(c.Call("INFO", section));
        return Regex.Match(text, $@"^{field}:(\S*)", RegexOptions.Multiline).Groups[1].Value;
    }

    /// <summary>
    /// A minimal near cache following Redis' client-side caching protocol: one RESP3 connection with tracking
    /// on; values read are kept locally until an invalidate push names their key (a null list: everything).
    /// Pushes are handled whenever they precede a reply.
    /// </summary>
    private sealed class NearCache : IDisposable
    {
        private readonly RespClient _conn;
        private readonly Dictionary<string, string?> _local = new();

        public NearCache(RespClient conn)
        {
            _conn = conn;
            Assert.StartsWith("%", Exchange("HELLO", "3"));
            Assert.Equal("+OK\r\n", Exchange("CLIENT", "TRACKING", "ON"));
        }

        public int ServerReads { get; private set; }

        public string? Get(string key)
        {
            // A cheap round trip first, so pushes already sent are applied (a real client would read them
            // as they arrive on its socket).
            Exchange("PING");
            if (_local.TryGetValue(key, out var cached)) return cached;
            ServerReads++;
            var reply = Exchange("GET", key);
            var value = reply.StartsWith('$') ? RespClient.BulkContent(reply) : null;
            _local[key] = value;
            return value;
        }

        public void Set(string key, string value) => Exchange("SET", key, value);

        /// <summary>Sends a command and returns its reply, applying the invalidation pushes read before it.</summary>
        private string Exchange(params string[] args)
        {
            _conn.Send(args);
            while (true)
            {
                var reply = _conn.ReadReply();
                if (!reply.StartsWith('>')) return reply;
                Apply(reply);
            }
        }

        private void Apply(string push)
        {
            var lines = push.Split("\r\n");
            Assert.Equal(">2", lines[0]);
            Assert.Equal("invalidate", lines[2]);
            if (lines[3] == "_")
            {
                _local.Clear();
                return;
            }
            int n = int.Parse(lines[3][1..]);
            for (int i = 0; i < n; i++) _local.Remove(lines[5 + 2 * i]);
        }

        public void Dispose() => _conn.Dispose();
    }
}
