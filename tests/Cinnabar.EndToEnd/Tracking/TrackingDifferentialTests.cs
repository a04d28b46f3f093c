using System.Text;
using System.Text.RegularExpressions;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Tracking;

/// <summary>
/// Client-side caching against the real redis-server 7.0: the same command streams go to both servers and
/// every reply and every invalidation push (or __redis__:invalidate message) must match byte for byte,
/// including where a push falls relative to the replies around it.
/// </summary>
public sealed class TrackingDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    private DiffPair NewPair(string protocol = "3")
    {
        var p = new DiffPair(f.Redis.Connect(), f.Cinnabar.Raw());
        p.Both("HELLO", protocol);
        return p;
    }

    private static long Id(RespClient c) => long.Parse(c.Call("CLIENT", "ID")[1..^2]);

    /// <summary>Runs a command whose arguments name a client id of each server (REDIRECT); compares replies with ids masked.</summary>
    private static string SameWithIds(DiffPair p, Func<long, string[]> args, long redisId, long oursId)
    {
        var expected = p.Redis.Call(args(redisId));
        var actual = p.Ours.Call(args(oursId));
        Assert.Equal(Mask(expected, redisId), Mask(actual, oursId));
        return actual;
    }

    /// <summary>The next reply of both, with the given ids masked (tracking-redir-broken, TRACKINGINFO redirect).</summary>
    private static string SameNextWithIds(DiffPair p, long redisId, long oursId)
    {
        var expected = p.Redis.ReadReply();
        var actual = p.Ours.ReadReply();
        Assert.Equal(Mask(expected, redisId), Mask(actual, oursId));
        return actual;
    }

    private static string Mask(string reply, long id) => Regex.Replace(reply, $@":{id}\r\n", ":ID\r\n");

    [Fact]
    public void DefaultModeInvalidatesKeysReadAfterTheWritersReply()
    {
        using var a = NewPair();
        using var b = NewPair();
        a.Same("CLIENT", "TRACKING", "ON");
        a.Same("CLIENT", "TRACKINGINFO");
        a.Same("CLIENT", "GETREDIR");
        // Not read yet: no invalidation.
        b.Same("SET", "d:k", "1");
        a.Same("PING");
        a.Same("GET", "d:k");
        // Another client's write: the push reaches the reader at once.
        b.Same("SET", "d:k", "2");
        a.SameNext();
        // Invalidated once: the key must be read again to be tracked again.
        b.Same("SET", "d:k", "3");
        a.Same("PING");
        // The reader's own write: the push follows its reply.
        a.Same("GET", "d:k");
        a.Same("SET", "d:k", "4");
        a.SameNext();
        // Several keys of one read, duplicates once, binary keys, a read that fails (WRONGTYPE) tracks too.
        a.Same("MGET", "d:a", "d:b", "d:a", "d:\0\r\n\xff");
        a.Same("LPUSH", "d:list", "x");
        a.Same("GET", "d:list");
        b.Same("MSET", "d:a", "1", "d:b", "2", "d:\0\r\n\xff", "3");
        a.SameNext();
        a.SameNext();
        a.SameNext();
        b.Same("RPUSH", "d:list", "y");
        a.SameNext();
        // Deletion, a write command that does not change the key, another database.
        a.Same("GET", "d:k");
        b.Same("DEL", "d:k");
        a.SameNext();
        a.Same("EXISTS", "d:k", "d:a");
        b.Same("SELECT", "1");
        b.Same("SET", "d:a", "other db");
        a.SameNext();
        b.Same("SELECT", "0");
        // Writes of commands with several keys, read-only commands of other types.
        a.Same("STRLEN", "d:k");
        a.Same("HGET", "d:h", "f");
        a.Same("ZSCORE", "d:z", "m");
        b.Same("HSET", "d:h", "f", "v");
        a.SameNext();
        b.Same("ZADD", "d:z", "1", "m");
        a.SameNext();
        b.Same("RENAME", "d:list", "d:k");
        a.SameNext();
        a.Same("PING");
        a.Same("CLIENT", "TRACKING", "OFF");
        a.Same("CLIENT", "TRACKINGINFO");
        a.Same("CLIENT", "GETREDIR");
        a.Same("GET", "d:k");
        b.Same("SET", "d:k", "after off");
        a.Same("PING");
        b.Same("DEL", "d:k", "d:a", "d:b", "d:h", "d:z", "d:\0\r\n\xff");
    }

    [Fact]
    public void TransactionsDeferInvalidationsUntilAfterExec()
    {
        using var a = NewPair();
        a.Same("CLIENT", "TRACKING", "ON");
        a.Same("SET", "m:k", "v");
        a.Same("GET", "m:k");
        a.Same("MULTI");
        a.Same("SET", "m:k", "1");
        a.Same("GET", "m:k");
        a.Same("SET", "m:k", "2");
        a.Same("GET", "m:other");
        a.Same("EXEC");
        a.SameNext();
        a.SameNext();
        a.Same("PING");
        // Keys read inside the transaction are tracked.
        using var b = NewPair();
        b.Same("SET", "m:other", "x");
        a.SameNext();
        // m:k was read inside the transaction before its last write invalidated it: no longer tracked.
        a.Same("DEL", "m:k");
        a.Same("PING");
    }

    [Fact]
    public void ExpiredKeysAreInvalidated()
    {
        using var a = NewPair();
        using var b = NewPair();
        a.Same("CLIENT", "TRACKING", "ON");
        // Lazy expiry only: the active cycle would expire both keys in an order of its own.
        a.Same("DEBUG", "SET-ACTIVE-EXPIRE", "0");
        try
        {
            ExpiredKeysAreInvalidatedLazily(a, b);
        }
        finally
        {
            a.Both("DEBUG", "SET-ACTIVE-EXPIRE", "1");
        }
    }

    private static void ExpiredKeysAreInvalidatedLazily(DiffPair a, DiffPair b)
    {
        b.Same("SET", "e:k", "v", "PX", "300");
        b.Same("SET", "e:own", "v", "PX", "300");
        a.Same("MGET", "e:k", "e:own");
        Thread.Sleep(400);
        // Expired by another client's lookup.
        b.Same("GET", "e:k");
        a.SameNext();
        // Expired by the tracking client's own read: after its reply (and tracked again by that read).
        a.Same("GET", "e:own");
        a.SameNext();
        a.Same("PING");
        b.Same("SET", "e:own", "again");
        a.SameNext();
        a.Same("PING");
    }

    [Fact]
    public void FlushesSendANullKeyList()
    {
        using var a = NewPair();
        using var r2 = NewPair("2");
        using var b = NewPair();
        a.Same("CLIENT", "TRACKING", "ON");
        b.Same("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "f:");
        // A RESP2 client redirecting to a subscribed RESP2 client: its flush message carries RESP2's null.
        using var sub = NewPair("2");
        long subRedis = Id(sub.Redis), subOurs = Id(sub.Ours);
        sub.Same("SUBSCRIBE", "__redis__:invalidate");
        SameWithIds(r2, id => ["CLIENT", "TRACKING", "ON", "REDIRECT", id.ToString()], subRedis, subOurs);
        a.Same("GET", "f:k");
        b.Same("FLUSHDB");
        a.SameNext();
        b.SameNext();
        sub.SameNext();
        // Flushing from the tracking client itself: after its reply. The table is emptied.
        a.Same("GET", "f:k");
        a.Same("FLUSHALL");
        a.SameNext();
        b.SameNext();
        sub.SameNext();
        b.Same("SET", "f:k", "v");
        b.SameNext();
        a.Same("PING");
        // Even an empty keyspace and another database.
        b.Same("SELECT", "3");
        b.Same("FLUSHDB", "ASYNC");
        a.SameNext();
        b.SameNext();
        sub.SameNext();
        a.Same("PING");
    }

    [Fact]
    public void OptInAndOptOutWithClientCaching()
    {
        using var a = NewPair();
        using var b = NewPair();
        a.Same("CLIENT", "CACHING", "YES");
        a.Same("CLIENT", "TRACKING", "ON", "OPTIN");
        a.Same("CLIENT", "CACHING", "NO");
        a.Same("CLIENT", "CACHING", "MAYBE");
        a.Same("CLIENT", "CACHING", "YES", "extra");
        a.Same("GET", "o:untracked");
        a.Same("CLIENT", "CACHING", "YES");
        a.Same("CLIENT", "TRACKINGINFO");
        // Another CLIENT subcommand keeps the flag; any other command uses it up.
        a.Same("CLIENT", "GETREDIR");
        a.Same("CLIENT", "TRACKINGINFO");
        a.Same("GET", "o:tracked");
        a.Same("CLIENT", "TRACKINGINFO");
        a.Same("GET", "o:untracked2");
        b.Same("MSET", "o:untracked", "1", "o:tracked", "1", "o:untracked2", "1");
        a.SameNext();
        a.Same("PING");
        // For a whole transaction.
        a.Same("CLIENT", "CACHING", "YES");
        a.Same("MULTI");
        a.Same("GET", "o:t1");
        a.Same("GET", "o:t2");
        a.Same("EXEC");
        a.Same("CLIENT", "TRACKINGINFO");
        b.Same("MSET", "o:t1", "1", "o:t2", "2");
        a.SameNext();
        a.SameNext();
        a.Same("CLIENT", "TRACKING", "ON", "OPTOUT");
        a.Same("CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT");
        a.Same("CLIENT", "TRACKING", "OFF");
        a.Same("CLIENT", "CACHING", "YES");
        a.Same("CLIENT", "TRACKING", "ON", "OPTOUT");
        a.Same("CLIENT", "CACHING", "YES");
        a.Same("GET", "o:out1");
        a.Same("CLIENT", "CACHING", "NO");
        a.Same("CLIENT", "TRACKINGINFO");
        a.Same("GET", "o:out2");
        b.Same("MSET", "o:out1", "1", "o:out2", "2");
        a.SameNext();
        a.Same("PING");
        a.Same("CLIENT", "TRACKING", "ON", "OPTIN");
        // What clears CLIENT CACHING: any command but CLIENT, even refused; a CLIENT subcommand keeps it,
        // even one that fails or has the wrong arity (Redis compares the command found, not its success).
        a.Same("CLIENT", "TRACKING", "OFF");
        a.Same("CLIENT", "TRACKING", "ON", "OPTIN");
        foreach (var next in new[] { new[] { "NOSUCHCMD" }, ["CLIENT", "NOSUCH"], ["CLIENT", "LIST", "junk"], ["GET"], ["CLIENT", "GETREDIR", "x"], ["CLIENT"], ["MULTI"] })
        {
            a.Same("CLIENT", "CACHING", "YES");
            a.Same(next);
            a.Same("CLIENT", "TRACKINGINFO");
        }
        a.Same("DISCARD");
    }

    [Fact]
    public void OptionErrorsInRedisOrder()
    {
        using var a = NewPair();
        long idRedis = Id(a.Redis), idOurs = Id(a.Ours);
        a.Same("CLIENT", "TRACKING");
        a.Same("CLIENT", "TRACKING", "MAYBE");
        a.Same("CLIENT", "TRACKING", "ON", "NOSUCH");
        a.Same("CLIENT", "TRACKING", "ON", "REDIRECT");
        a.Same("CLIENT", "TRACKING", "ON", "REDIRECT", "notanumber");
        a.Same("CLIENT", "TRACKING", "ON", "REDIRECT", "0");
        a.Same("CLIENT", "TRACKING", "ON", "REDIRECT", "999999");
        SameWithIds(a, id => ["CLIENT", "TRACKING", "ON", "REDIRECT", id.ToString(), "REDIRECT", id.ToString()], idRedis, idOurs);
        a.Same("CLIENT", "TRACKING", "OFF", "REDIRECT", "999999");
        a.Same("CLIENT", "TRACKING", "ON", "PREFIX");
        a.Same("CLIENT", "TRACKING", "ON", "PREFIX", "a");
        a.Same("CLIENT", "TRACKING", "ON", "BCAST", "OPTIN");
        a.Same("CLIENT", "TRACKING", "ON", "BCAST", "OPTOUT");
        a.Same("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "ab");
        a.Same("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "bc", "PREFIX", "b");
        a.Same("CLIENT", "TRACKINGINFO");
        // Redis 7.0 answers an overlap among later prefixes with the error and then +OK, and enables them.
        a.Same("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "x", "PREFIX", "y", "PREFIX", "yz");
        a.SameNext();
        a.Same("CLIENT", "TRACKINGINFO");
        a.Same("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "xy");
        a.Same("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "x\0nul", "PREFIX", "w");
        a.Same("CLIENT", "TRACKING", "ON");
        a.Same("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "new", "NOLOOP");
        a.Same("CLIENT", "TRACKINGINFO");
        a.Same("CLIENT", "TRACKING", "ON", "BCAST");
        a.Same("CLIENT", "TRACKINGINFO");
        a.Same("CLIENT", "TRACKING", "OFF");
        a.Same("CLIENT", "TRACKING", "OFF");
        a.Same("CLIENT", "TRACKINGINFO");
        a.Same("CLIENT", "TRACKING", "ON", "BCAST");
        a.Same("CLIENT", "TRACKING", "ON", "BCAST");
        a.Same("CLIENT", "TRACKINGINFO");
        a.Same("CLIENT", "GETREDIR", "extra");
        a.Same("CLIENT", "TRACKINGINFO", "extra");
        a.Same("CLIENT", "CACHING");
        a.Same("RESET");
        a.Same("CLIENT", "TRACKINGINFO");
    }

    [Fact]
    public void BroadcastModeSendsPrefixedKeysAtTheEndOfTheBatch()
    {
        using var a = NewPair();
        using var all = NewPair();
        using var b = NewPair();
        a.Same("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "bc:user:", "PREFIX", "bc:item:");
        all.Same("CLIENT", "TRACKING", "ON", "BCAST");
        a.Same("CLIENT", "TRACKINGINFO");
        // No read needed; one message per prefix with its keys in order, after the writer's batch.
        b.SameRaw(string.Concat(
            Cmd("SET", "bc:user:2", "x"), Cmd("SET", "bc:user:1", "x"), Cmd("SET", "bc:item:9", "x"),
            Cmd("SET", "bc:other", "x"), Cmd("SET", "bc:user:1", "y")));
        for (int i = 0; i < 4; i++) b.SameNext();
        a.SameNext();
        a.SameNext();
        all.SameNext();
        a.Same("PING");
        all.Same("PING");
        // The broadcasting client's own writes: after its reply, unless NOLOOP.
        a.Same("SET", "bc:user:3", "z");
        a.SameNext();
        all.SameNext();
        a.Same("CLIENT", "TRACKING", "OFF");
        a.Same("CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP", "PREFIX", "bc:user:");
        a.Same("SET", "bc:user:4", "z");
        a.Same("PING");
        all.SameNext();
        // NOLOOP drops only the keys it modified last.
        b.Same("SET", "bc:user:5", "z");
        a.SameNext();
        all.SameNext();
        a.SameRaw(string.Concat(Cmd("SET", "bc:user:6", "z"), Cmd("DEL", "bc:user:5")));
        a.SameNext();
        all.SameNext();
        a.Same("PING");
        b.SameRaw(string.Concat(Cmd("SET", "bc:user:7", "z")));
        a.SameNext();
        all.SameNext();
        // Expiry reaches broadcast clients too.
        b.Same("SET", "bc:user:exp", "v", "PX", "300");
        a.SameNext();
        all.SameNext();
        Thread.Sleep(400);
        b.Same("EXISTS", "bc:user:exp");
        a.SameNext();
        all.SameNext();
        // A BCAST client's reads are not tracked.
        a.Same("GET", "bc:user:exp");
        a.Same("CLIENT", "TRACKING", "OFF");
        b.Same("SET", "bc:user:8", "z");
        a.Same("PING");
        all.SameNext();
        all.Same("CLIENT", "TRACKING", "OFF");
        b.Same("DEL", "bc:user:1", "bc:user:2", "bc:user:3", "bc:user:4", "bc:user:6", "bc:user:7", "bc:user:8", "bc:item:9", "bc:other");
    }

    [Fact]
    public void NoLoopSkipsTheClientsOwnWrites()
    {
        using var a = NewPair();
        using var b = NewPair();
        a.Same("CLIENT", "TRACKING", "ON", "NOLOOP");
        a.Same("CLIENT", "TRACKINGINFO");
        a.Same("GET", "n:k");
        a.Same("SET", "n:k", "1");
        a.Same("PING");
        // Its own write removed the key from the table: another write now says nothing.
        b.Same("SET", "n:k", "2");
        a.Same("PING");
        a.Same("GET", "n:k");
        b.Same("SET", "n:k", "3");
        a.SameNext();
        a.Same("PING");
        b.Same("DEL", "n:k");
    }

    [Fact]
    public void RedirectionToResp2SubscribersAndResp3Clients()
    {
        using var sub = NewPair("2");
        using var resp3 = NewPair("3");
        using var plain = NewPair("2");
        using var a = NewPair("2");
        using var b = NewPair("2");
        long subR = Id(sub.Redis), subO = Id(sub.Ours);
        long r3R = Id(resp3.Redis), r3O = Id(resp3.Ours);
        long plainR = Id(plain.Redis), plainO = Id(plain.Ours);
        // A RESP2 client without redirection: tracking is accepted, nothing can be sent to it.
        a.Same("CLIENT", "TRACKING", "ON");
        a.Same("GET", "r:k");
        b.Same("SET", "r:k", "1");
        a.Same("PING");
        // Redirected to a RESP2 client in subscribe mode (any channel): messages of __redis__:invalidate.
        sub.Same("SUBSCRIBE", "some-channel");
        SameWithIds(a, id => ["CLIENT", "TRACKING", "ON", "REDIRECT", id.ToString()], subR, subO);
        SameWithIds(a, _ => ["CLIENT", "GETREDIR"], subR, subO);
        SameWithIds(a, _ => ["CLIENT", "TRACKINGINFO"], subR, subO);
        a.Same("GET", "r:k");
        b.Same("SET", "r:k", "2");
        sub.SameNext();
        // Redirected to a RESP3 client: pushes.
        SameWithIds(a, id => ["CLIENT", "TRACKING", "ON", "REDIRECT", id.ToString()], r3R, r3O);
        a.Same("MGET", "r:k", "r:j");
        b.Same("SET", "r:j", "2");
        resp3.SameNext();
        resp3.Same("PING");
        // Redirected to a RESP2 client not subscribed: dropped.
        SameWithIds(a, id => ["CLIENT", "TRACKING", "ON", "REDIRECT", id.ToString()], plainR, plainO);
        a.Same("GET", "r:k");
        b.Same("SET", "r:k", "3");
        plain.Same("PING");
        a.Same("PING");
        // The redirection target goes away: the flag R, and a RESP3 tracking client is told with a push.
        using var c = NewPair("3");
        SameWithIds(c, id => ["CLIENT", "TRACKING", "ON", "REDIRECT", id.ToString()], plainR, plainO);
        c.Same("GET", "r:k");
        plain.Dispose();
        Thread.Sleep(100);
        b.Same("SET", "r:k", "4");
        SameNextWithIds(c, plainR, plainO);
        SameWithIds(c, _ => ["CLIENT", "TRACKINGINFO"], plainR, plainO);
        c.Same("GET", "r:k");
        c.Same("SET", "r:k", "5");
        SameNextWithIds(c, plainR, plainO);
        c.Same("PING");
        b.Same("DEL", "r:k", "r:j");
    }

    [Fact]
    public void TrackingTableMaxKeysEvictsWithInvalidations()
    {
        using var a = NewPair();
        using var admin = NewPair();
        admin.Same("CONFIG", "GET", "tracking-table-max-keys");
        admin.Same("CONFIG", "SET", "tracking-table-max-keys", "-1");
        admin.Same("FLUSHALL");
        a.Same("CLIENT", "TRACKING", "ON");
        try
        {
            admin.Same("CONFIG", "SET", "tracking-table-max-keys", "1");
            a.Same("MGET", "x:1", "x:2");
            // Before the next command the table is trimmed: one of the two keys, chosen at random, is
            // invalidated before the reply.
            var expected = a.Redis.Call("PING");
            var actual = a.Ours.Call("PING");
            Assert.Matches(@"^>2\r\n\$10\r\ninvalidate\r\n\*1\r\n\$3\r\nx:[12]\r\n$", expected);
            Assert.Matches(@"^>2\r\n\$10\r\ninvalidate\r\n\*1\r\n\$3\r\nx:[12]\r\n$", actual);
            a.SameNext();
            Assert.Equal(Info(a.Redis, "tracking_total_keys"), Info(a.Ours, "tracking_total_keys"));
            Assert.Equal("1", Info(a.Ours, "tracking_total_keys"));
        }
        finally
        {
            admin.Both("CONFIG", "SET", "tracking-table-max-keys", "1000000");
        }
        admin.Same("CONFIG", "GET", "tracking-table-max-keys");
    }

    [Fact]
    public void InfoCountsKeysItemsAndPrefixes()
    {
        using var a = NewPair();
        using var b = NewPair();
        using var bc = NewPair();
        a.Same("FLUSHALL");
        a.Same("CLIENT", "TRACKING", "ON");
        b.Same("CLIENT", "TRACKING", "ON");
        bc.Same("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "i:a", "PREFIX", "i:b");
        a.Same("MGET", "i:1", "i:2");
        b.Same("MGET", "i:2", "i:3");
        foreach (var field in new[] { "tracking_total_keys", "tracking_total_items", "tracking_total_prefixes" })
            Assert.Equal(Info(a.Redis, field), Info(a.Ours, field));
        Assert.Equal("3", Info(a.Ours, "tracking_total_keys"));
        Assert.Equal("4", Info(a.Ours, "tracking_total_items"));
        Assert.Equal("2", Info(a.Ours, "tracking_total_prefixes"));
        // Turning tracking off leaves the items until the keys are invalidated, as Redis does.
        a.Same("CLIENT", "TRACKING", "OFF");
        bc.Same("CLIENT", "TRACKING", "OFF");
        foreach (var field in new[] { "tracking_total_keys", "tracking_total_items", "tracking_total_prefixes" })
            Assert.Equal(Info(a.Redis, field), Info(a.Ours, field));
        a.Same("SET", "i:2", "x");
        b.SameNext();
        foreach (var field in new[] { "tracking_total_keys", "tracking_total_items", "tracking_total_prefixes" })
            Assert.Equal(Info(a.Redis, field), Info(a.Ours, field));
    }

    [Fact]
    public void ClientListShowsTrackingFlagsAndRedirection()
    {
        using var a = NewPair();
        using var target = NewPair();
        long tR = Id(target.Redis), tO = Id(target.Ours);
        Assert.Equal(Field(a.Redis, "flags"), Field(a.Ours, "flags"));
        a.Same("CLIENT", "TRACKING", "ON", "BCAST");
        Assert.Equal("tB", Field(a.Ours, "flags"));
        Assert.Equal(Field(a.Redis, "flags"), Field(a.Ours, "flags"));
        Assert.Equal(Field(a.Redis, "redir"), Field(a.Ours, "redir"));
        a.Same("CLIENT", "TRACKING", "OFF");
        SameWithIds(a, id => ["CLIENT", "TRACKING", "ON", "REDIRECT", id.ToString()], tR, tO);
        Assert.Equal(tO.ToString(), Field(a.Ours, "redir"));
        Assert.Equal("t", Field(a.Ours, "flags"));
        target.Dispose();
        Thread.Sleep(100);
        a.Same("GET", "cl:k");
        a.Same("SET", "cl:k", "1");
        SameNextWithIds(a, tR, tO);
        Assert.Equal("tR", Field(a.Ours, "flags"));
        Assert.Equal(Field(a.Redis, "flags"), Field(a.Ours, "flags"));
        a.Same("CLIENT", "TRACKING", "OFF");
        Assert.Equal("-1", Field(a.Ours, "redir"));
        Assert.Equal(Field(a.Redis, "redir"), Field(a.Ours, "redir"));
        a.Same("DEL", "cl:k");
    }

    [Fact]
    public void PushesSurviveClientReplyOffAndSkip()
    {
        using var a = NewPair();
        using var b = NewPair();
        a.Same("CLIENT", "TRACKING", "ON");
        a.Same("GET", "ro:k");
        a.Redis.Send("CLIENT", "REPLY", "OFF");
        a.Ours.Send("CLIENT", "REPLY", "OFF");
        b.Same("SET", "ro:k", "1");
        a.SameNext();
        // Its own write while silenced: the reply is dropped, the push is not.
        a.Redis.Send("GET", "ro:k");
        a.Ours.Send("GET", "ro:k");
        a.Redis.Send("SET", "ro:k", "2");
        a.Ours.Send("SET", "ro:k", "2");
        a.Same("CLIENT", "REPLY", "ON");
        a.Same("PING");
        a.Same("GET", "ro:k");
        a.Same("CLIENT", "REPLY", "SKIP");
        a.Redis.Send("DEL", "ro:k");
        a.Ours.Send("DEL", "ro:k");
        a.Same("PING");
        a.Same("PING");
    }

    [Fact]
    public void InvalidationsFollowRepliesOfLazyExpiryFlushInMultiAndUnblockedClients()
    {
        using var a = NewPair();
        using var b = NewPair();
        a.Same("CLIENT", "TRACKING", "ON");
        // A key expiring inside a multi-key read: after the whole reply.
        a.Same("DEBUG", "SET-ACTIVE-EXPIRE", "0");
        try
        {
            a.Same("MULTI");
            a.Same("MSET", "le:x", "1", "le:y", "2");
            a.Same("PEXPIRE", "le:y", "100");
            a.Same("GET", "le:y");
            a.Same("EXEC");
            Thread.Sleep(150);
            a.Same("MGET", "le:x", "le:y");
            a.SameNext();
            a.Same("PING");
        }
        finally
        {
            a.Both("DEBUG", "SET-ACTIVE-EXPIRE", "1");
        }
        // FLUSHDB inside a transaction: the null list after EXEC's reply.
        a.Same("SET", "le:a", "1");
        a.Same("GET", "le:a");
        a.Same("MULTI");
        a.Same("FLUSHDB");
        a.Same("EXEC");
        a.SameNext();
        a.Same("HSET", "le:h", "f", "1");
        a.Same("HGET", "le:h", "f");
        a.Same("HDEL", "le:h", "f");
        a.SameNext();
        // A blocked BLMOVE served by another client's push: its destination was read by it.
        a.Same("RPUSH", "le:list2", "a");
        a.Same("LRANGE", "le:list2", "0", "-1");
        a.Redis.Send("BLMOVE", "le:list1", "le:list2", "LEFT", "LEFT", "0");
        a.Ours.Send("BLMOVE", "le:list1", "le:list2", "LEFT", "LEFT", "0");
        Thread.Sleep(100);
        b.Same("RPUSH", "le:list1", "foo");
        a.SameNext();
        a.SameNext();
        a.Same("PING");
        a.Same("DEL", "le:list2", "le:x");
        a.Same("PING");
    }

    [Fact]
    public void BroadcastNoLoopWithLazyExpiryInsideMulti()
    {
        using var a = NewPair();
        using var sub = NewPair("2");
        long sR = Id(sub.Redis), sO = Id(sub.Ours);
        sub.Same("SUBSCRIBE", "__redis__:invalidate");
        SameWithIds(a, id => ["CLIENT", "TRACKING", "ON", "BCAST", "REDIRECT", id.ToString(), "NOLOOP", "PREFIX", "bn:"], sR, sO);
        a.Same("MULTI");
        a.Same("SET", "bn:mykey", "v", "PX", "1");
        a.Same("SET", "bn:mykeyother", "v");
        a.Same("DEBUG", "SLEEP", "0.1");
        a.Same("GET", "bn:mykey");
        a.Same("EXEC");
        sub.SameNext();
        sub.Same("PING");
        // From normal tracking to BCAST: keys read before are not invalidated as such.
        a.Same("CLIENT", "TRACKING", "OFF");
        a.Same("CLIENT", "TRACKING", "ON");
        a.Same("GET", "bn:k1");
        a.Same("CLIENT", "TRACKING", "OFF");
        a.Same("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "bn:");
        using var b = NewPair();
        b.Same("INCR", "bn:k1");
        a.SameNext();
        a.Same("PING");
        a.Same("DEL", "bn:k1", "bn:mykeyother");
        a.SameNext();
    }

    [Fact]
    public void SeveralClientsRedirectToOneConnection()
    {
        using var sub = NewPair("2");
        using var a = NewPair("2");
        using var c = NewPair("3");
        using var b = NewPair("2");
        long sR = Id(sub.Redis), sO = Id(sub.Ours);
        sub.Same("SUBSCRIBE", "__redis__:invalidate");
        SameWithIds(a, id => ["CLIENT", "TRACKING", "ON", "REDIRECT", id.ToString()], sR, sO);
        SameWithIds(c, id => ["CLIENT", "TRACKING", "ON", "REDIRECT", id.ToString()], sR, sO);
        a.Same("GET", "sr:k");
        c.Same("GET", "sr:k");
        b.Same("SET", "sr:k", "1");
        sub.SameNext();
        sub.SameNext();
        sub.Same("PING");
        // A RESP3 redirection target in subscribe mode gets pushes, not messages.
        using var sub3 = NewPair("3");
        long s3R = Id(sub3.Redis), s3O = Id(sub3.Ours);
        sub3.Same("SUBSCRIBE", "__redis__:invalidate");
        SameWithIds(a, id => ["CLIENT", "TRACKING", "ON", "REDIRECT", id.ToString()], s3R, s3O);
        a.Same("GET", "sr:k");
        b.Same("SET", "sr:k", "2");
        sub3.SameNext();
        sub3.Same("PING");
    }

    [Fact]
    public void KeyspaceNotificationsPrecedeInvalidationsAndAResp3FlushNullReachesAResp2Target()
    {
        using var admin = NewPair();
        using var a = NewPair();
        using var b = NewPair();
        admin.Same("CONFIG", "SET", "notify-keyspace-events", "KA");
        try
        {
            a.Same("SUBSCRIBE", "__keyspace@0__:kn:k");
            a.Same("CLIENT", "TRACKING", "ON");
            a.Same("GET", "kn:k");
            b.Same("SET", "kn:k", "1");
            a.SameNext();
            a.SameNext();
            a.Same("GET", "kn:k");
            a.Same("SET", "kn:k", "2");
            a.SameNext();
            a.SameNext();
            a.Same("PING");
        }
        finally
        {
            admin.Both("CONFIG", "SET", "notify-keyspace-events", "");
        }
        // A RESP3 tracking client redirected to a RESP2 subscriber: the flush carries RESP3's null, as Redis writes it.
        using var sub = NewPair("2");
        long sR = Id(sub.Redis), sO = Id(sub.Ours);
        sub.Same("SUBSCRIBE", "__redis__:invalidate");
        using var c = NewPair("3");
        SameWithIds(c, id => ["CLIENT", "TRACKING", "ON", "REDIRECT", id.ToString()], sR, sO);
        a.Same("UNSUBSCRIBE");
        a.Same("CLIENT", "TRACKING", "OFF");
        b.Same("FLUSHDB");
        sub.SameNext();
        sub.Same("PING");
    }

    [Fact]
    public void ReadOnlyCommandsOfEveryFamilyTrackTheirKeys()
    {
        using var a = NewPair();
        using var b = NewPair();
        b.Same("SET", "mc:s", "v");
        b.Same("RPUSH", "mc:l", "1", "2");
        b.Same("SADD", "mc:set", "m");
        b.Same("ZADD", "mc:z", "1", "m");
        b.Same("HSET", "mc:h", "f", "v");
        b.Same("XADD", "mc:x", "1-1", "f", "v");
        b.Same("PFADD", "mc:hll", "a");
        b.Same("GEOADD", "mc:geo", "13.36", "38.11", "p");
        a.Same("CLIENT", "TRACKING", "ON");
        // Reads through key specs and getkeys procedures; commands without keys or not read-only track nothing.
        foreach (var read in new[]
        {
            new[] { "TYPE", "mc:s" }, ["TTL", "mc:l"], ["OBJECT", "ENCODING", "mc:set"], ["ZRANGE", "mc:z", "0", "-1"],
            ["HGETALL", "mc:h"], ["XRANGE", "mc:x", "-", "+"], ["PFCOUNT", "mc:hll"], ["GEOPOS", "mc:geo", "p"],
            ["SORT_RO", "mc:l"], ["LCS", "mc:s", "mc:s2"], ["SINTER", "mc:set", "mc:set2"], ["ZUNION", "2", "mc:z", "mc:z2"],
            ["XREAD", "STREAMS", "mc:x", "mc:x2", "0", "0"], ["DUMP", "mc:s"], ["TOUCH", "mc:t"], ["DBSIZE"],
            ["BITFIELD_RO", "mc:bits", "GET", "u8", "0"],
        })
            a.Same(read);
        // Commands without keys (their replies' order is the hash table's, not compared).
        a.Both("KEYS", "mc:*");
        a.Both("SCAN", "0", "MATCH", "mc:*");
        a.Both("RANDOMKEY");
        a.Same("INCR", "mc:counter");
        DrainSame(a, "reads");
        foreach (var write in new[]
        {
            new[] { "APPEND", "mc:s", "x" }, ["LPOP", "mc:l"], ["SREM", "mc:set", "m"], ["ZINCRBY", "mc:z", "1", "m"],
            ["HDEL", "mc:h", "f"], ["XTRIM", "mc:x", "MAXLEN", "0"], ["PFADD", "mc:hll", "b"], ["GEOADD", "mc:geo", "1", "1", "q"],
            ["SET", "mc:s2", "x"], ["SADD", "mc:set2", "x"], ["ZADD", "mc:z2", "1", "x"], ["XADD", "mc:x2", "1-1", "f", "v"],
            ["SET", "mc:t", "x"], ["SETBIT", "mc:bits", "1", "1"], ["INCR", "mc:counter"], ["SET", "mc:never-read", "x"],
        })
        {
            b.Same(write);
            DrainSame(a, string.Join(' ', write));
        }
        // Keys that move: RENAME, MOVE, COPY, SWAPDB (which, as in Redis 7.0, invalidates nothing).
        a.Same("MGET", "mc:s", "mc:l", "mc:h", "mc:z");
        b.Same("RENAME", "mc:s", "mc:renamed");
        DrainSame(a, "moves");
        b.Same("MOVE", "mc:l", "5");
        DrainSame(a, "moves");
        b.Same("COPY", "mc:h", "mc:z", "REPLACE");
        DrainSame(a, "moves");
        a.Same("GET", "mc:renamed");
        b.Same("SWAPDB", "0", "5");
        DrainSame(a, "moves");
        b.Same("SWAPDB", "0", "5");
        b.Same("SELECT", "5");
        b.Same("FLUSHDB");
        DrainSame(a, "moves");
        b.Same("SELECT", "0");
        b.Same("FLUSHDB");
        DrainSame(a, "moves");
    }

    /// <summary>
    /// Random command streams from five clients in every tracking mode; after each command every client's
    /// pending output (replies and pushes, up to a PING's answer) must be identical on both servers.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomStreamsProduceTheSamePushes(int seed)
    {
        var rnd = new Random(seed);
        using var sub = NewPair("2");
        using var t3 = NewPair("3");
        using var optin = NewPair("3");
        using var bc = NewPair("3");
        using var r2 = NewPair("2");
        using var w = NewPair("2");
        string p = $"fz{seed}:";
        long sR = Id(sub.Redis), sO = Id(sub.Ours);
        sub.Same("SUBSCRIBE", "__redis__:invalidate");
        t3.Same("CLIENT", "TRACKING", "ON");
        optin.Same("CLIENT", "TRACKING", "ON", "OPTIN", "NOLOOP");
        bc.Same("CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP", "PREFIX", p + "a", "PREFIX", p + "b");
        SameWithIds(r2, id => ["CLIENT", "TRACKING", "ON", "REDIRECT", id.ToString()], sR, sO);
        t3.Both("DEBUG", "SET-ACTIVE-EXPIRE", "0");
        try
        {
            var actors = new[] { t3, optin, bc, r2, w };
            var everyone = new[] { sub, t3, optin, bc, r2, w };
            string Key() => p + "ab"[rnd.Next(2)] + rnd.Next(4);
            string[] Op() => rnd.Next(13) switch
            {
                0 or 1 => ["GET", Key()],
                2 => ["MGET", Key(), Key(), Key()],
                3 or 4 => ["SET", Key(), rnd.Next(100).ToString()],
                5 => ["DEL", Key(), Key()],
                6 => ["INCR", Key()],
                7 => ["LPUSH", Key(), "x"],
                8 => ["LRANGE", Key(), "0", "-1"],
                9 => ["EXISTS", Key()],
                10 => ["CLIENT", "CACHING", "YES"],
                11 => ["PEXPIRE", Key(), "1"],
                _ => rnd.Next(20) == 0 ? ["FLUSHDB"] : ["STRLEN", Key()],
            };
            var names = new[] { "t3", "optin", "bc", "r2", "w" };
            var history = new List<string>();
            for (int step = 0; step < 250; step++)
            {
                int who = rnd.Next(actors.Length);
                var actor = actors[who];
                if (rnd.Next(10) == 0)
                {
                    actor.Same("MULTI");
                    var ops = new List<string>();
                    for (int i = rnd.Next(1, 4); i > 0; i--)
                    {
                        var op = Op();
                        ops.Add(string.Join(' ', op));
                        actor.Same(op);
                    }
                    actor.Same("EXEC");
                    // A key given 1 ms to live is expired on both servers before anyone looks at it again.
                    if (ops.Exists(o => o.StartsWith("PEXPIRE", StringComparison.Ordinal))) Thread.Sleep(5);
                    history.Add($"{step} {names[who]}: MULTI {string.Join("; ", ops)} EXEC");
                }
                else
                {
                    var op = Op();
                    actor.Same(op);
                    history.Add($"{step} {names[who]}: {string.Join(' ', op)}");
                    if (op[0] == "PEXPIRE") Thread.Sleep(5);
                }
                for (int i = 0; i < everyone.Length; i++) DrainSame(everyone[i], $"{(i == 0 ? "sub" : names[i - 1])} after\n" + string.Join('\n', history.TakeLast(12)));
            }
        }
        finally
        {
            t3.Both("DEBUG", "SET-ACTIVE-EXPIRE", "1");
            t3.Both("FLUSHDB");
        }
    }

    /// <summary>Reads everything up to the answer of a PING from both servers and compares.</summary>
    private static void DrainSame(DiffPair client, string step)
    {
        client.Redis.Send("PING");
        client.Ours.Send("PING");
        var expected = ReadUntilPong(client.Redis);
        var actual = ReadUntilPong(client.Ours);
        Assert.True(expected == actual, $"{step}\noutput differs\n  redis:    {DiffPair.Escape(expected)}\n  cinnabar: {DiffPair.Escape(actual)}");
    }

    private static string ReadUntilPong(RespClient c)
    {
        var all = new StringBuilder();
        while (true)
        {
            var r = c.ReadReply();
            all.Append(r);
            if (r is "+PONG\r\n" or "*2\r\n$4\r\npong\r\n$0\r\n\r\n") return all.ToString();
        }
    }

    private static string Cmd(params string[] args) => RespClient.Latin1.GetString(RespClient.Encode(args.Select(x => RespClient.Latin1.GetBytes(x)).ToArray()));

    private static string Info(RespClient c, string field)
    {
        var text = RespClient.BulkContent(c.Call("INFO", "everything"));
        return Regex.Match(text, $@"^{field}:(\S*)", RegexOptions.Multiline).Groups[1].Value;
    }

    private static string Field(RespClient c, string field)
    {
        var text = RespClient.BulkContent(c.Call("CLIENT", "INFO"));
        return Regex.Match(text, $@"(?:^| ){field}=(\S*)").Groups[1].Value;
    }
}
