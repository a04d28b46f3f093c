using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Blocking;

/// <summary>
/// Blocked clients whose key is deleted, replaced by another type, flushed, swapped, renamed, moved,
/// expired or loses its group, and sub-millisecond timeouts, compared with Redis 7.0 (issue 20).
/// Redis answers only XREADGROUP (its group went with the stream); every other blocked command waits on.
/// </summary>
public sealed class BlockingKeyspaceTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    private void SameOnBoth(Scenario scenario) => BlockingScenario.SameOnBoth(f, scenario);

    public static TheoryData<string> Removals =>
        ["DEL", "UNLINK", "SET", "RESTORE", "RENAME", "RENAME-ONTO", "MOVE", "FLUSHDB", "FLUSHALL", "SWAPDB", "EXPIRE-ACTIVE", "EXPIRE-LAZY", "MULTI"];

    /// <summary>Removes (or replaces) <paramref name="key"/> the way <paramref name="how"/> names; returns the replies.</summary>
    private static IEnumerable<string> Remove(RespClient admin, string how, string key) => how switch
    {
        "DEL" or "UNLINK" => [admin.Call(how, key)],
        "SET" => [admin.Call("SET", key, "now a string")],
        "RESTORE" => [admin.Call("SET", key + "tmp", "v"), admin.Call("RESTORE", key, "0", Dump(admin, key + "tmp"), "REPLACE")],
        "RENAME" => [admin.Call("RENAME", key, key + "away")],
        "RENAME-ONTO" => [admin.Call("XADD", key + "other", "1-1", "f", "v"), admin.Call("RENAME", key + "other", key)],
        "MOVE" => [admin.Call("MOVE", key, "1"), admin.Call("SELECT", "1"), admin.Call("DEL", key), admin.Call("SELECT", "0")],
        "FLUSHDB" or "FLUSHALL" => [admin.Call(how)],
        "SWAPDB" => [admin.Call("SWAPDB", "0", "1"), admin.Call("SELECT", "1"), admin.Call("DEL", key), admin.Call("SELECT", "0")],
        "EXPIRE-ACTIVE" => [admin.Call("PEXPIRE", key, "30")], // nobody touches it: the active cycle finds it
        "EXPIRE-LAZY" =>
        [
            admin.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0"), admin.Call("PEXPIRE", key, "30"), Sleep(100),
            admin.Call("EXISTS", key), admin.Call("DEBUG", "SET-ACTIVE-EXPIRE", "1"),
        ],
        "MULTI" =>
        [
            admin.Call("MULTI"), admin.Call("DEL", key), admin.Call("RPUSH", key, "a list now"), admin.Call("EXEC"),
        ],
        _ => throw new ArgumentException(how),
    };

    private static string Sleep(int ms)
    {
        Thread.Sleep(ms);
        return "slept";
    }

    private static string Dump(RespClient c, string key) => RespClient.BulkContent(c.Call("DUMP", key));

    [Theory]
    [MemberData(nameof(Removals))]
    public void GroupReaderIsAnsweredWhenItsStreamGoesAndOtherWaitersWaitOn(string how)
    {
        SameOnBoth((connect, t, k, park) =>
        {
            using var group = connect(); using var reader = connect(); using var list = connect(); using var zset = connect();
            using var move = connect(); using var admin = connect();
            string s = k + "s";
            t.Add(admin.Call("XGROUP", "CREATE", s, "g", "$", "MKSTREAM"));
            group.Send("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", s, ">"); park(1);
            reader.Send("XREAD", "BLOCK", "0", "STREAMS", s, "$"); park(2);
            list.Send("BLPOP", k + "l", "0"); park(3);
            zset.Send("BZPOPMIN", k + "z", "0"); park(4);
            move.Send("BLMOVE", k + "m", k + "dst", "LEFT", "RIGHT", "0"); park(5);
            // The other waiters' keys go through the same change.
            foreach (var key in new[] { k + "l", k + "z", k + "m" }) t.Add(admin.Call("SET", key, "str"));
            t.AddRange(Remove(admin, how, s));
            foreach (var key in new[] { k + "l", k + "z", k + "m" }) t.Add(admin.Call("DEL", key));
            t.Add(group.ReadReply());
            t.Add(group.Call("PING"));
            // Everyone else is still parked: each is served by the next write of its type.
            t.Add(admin.Call("DEL", s));
            t.Add(admin.Call("XADD", s, "5-1", "f", "v"));
            t.Add(reader.ReadReply());
            t.Add(admin.Call("RPUSH", k + "l", "x"));
            t.Add(list.ReadReply());
            t.Add(admin.Call("ZADD", k + "z", "1", "m"));
            t.Add(zset.ReadReply());
            t.Add(admin.Call("RPUSH", k + "m", "y"));
            t.Add(move.ReadReply());
            t.Add(admin.Call("LRANGE", k + "dst", "0", "-1"));
        });
    }

    [Fact]
    public void GroupDestroyAnswersNoGroupAndARecreatedGroupKeepsWaiting()
    {
        SameOnBoth((connect, t, k, park) =>
        {
            using var a = connect(); using var b = connect(); using var admin = connect();
            string s = k + "s";
            t.Add(admin.Call("XGROUP", "CREATE", s, "g", "$", "MKSTREAM"));
            t.Add(admin.Call("XGROUP", "CREATE", s, "h", "$"));
            a.Send("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", s, ">"); park(1);
            b.Send("XREADGROUP", "GROUP", "h", "c", "BLOCK", "0", "STREAMS", s, ">"); park(2);
            t.Add(admin.Call("XGROUP", "DESTROY", s, "g"));
            t.Add(a.ReadReply());
            // Deleted and re-created with its group in one transaction: the waiter keeps waiting.
            t.Add(admin.Call("MULTI"));
            t.Add(admin.Call("DEL", s));
            t.Add(admin.Call("XGROUP", "CREATE", s, "h", "$", "MKSTREAM"));
            t.Add(admin.Call("EXEC"));
            t.Add(admin.Call("XADD", s, "7-1", "f", "v"));
            t.Add(b.ReadReply());
        });
    }

    [Fact]
    public void ReadersWaitingForDifferentIdsAreEachServedWhenTheirTurnComes()
    {
        SameOnBoth((connect, t, k, park) =>
        {
            using var high = connect(); using var dollar = connect(); using var admin = connect();
            string s = k + "s";
            t.Add(admin.Call("XADD", s, "1-1", "f", "v"));
            high.Send("XREAD", "BLOCK", "0", "STREAMS", s, "10-0"); park(1);
            dollar.Send("XREAD", "BLOCK", "0", "STREAMS", s, "$"); park(2);
            // The first waiter does not want 5-1; the one behind it does.
            t.Add(admin.Call("XADD", s, "5-1", "f", "v"));
            t.Add(dollar.ReadReply());
            t.Add(admin.Call("XADD", s, "11-1", "f", "v"));
            t.Add(high.ReadReply());
        });
    }

    [Fact]
    public void SubMillisecondTimeoutsRoundUpInsteadOfBlockingForever()
    {
        SameOnBoth((connect, t, k, park) =>
        {
            using var a = connect();
            foreach (var timeout in new[] { "0.001", "0.0001", "1e-300", "0.0009" })
            {
                t.Add(a.Call("BLPOP", k + "none", timeout));
                t.Add(a.Call("BRPOP", k + "none", timeout));
                t.Add(a.Call("BRPOPLPUSH", k + "none", k + "dst", timeout));
                t.Add(a.Call("BLMOVE", k + "none", k + "dst", "LEFT", "LEFT", timeout));
                t.Add(a.Call("BLMPOP", timeout, "1", k + "none", "LEFT"));
                t.Add(a.Call("BZPOPMIN", k + "none", timeout));
                t.Add(a.Call("BZPOPMAX", k + "none", timeout));
                t.Add(a.Call("BZMPOP", timeout, "1", k + "none", "MIN"));
            }
            // XREAD BLOCK takes milliseconds as an integer: no fractions.
            t.Add(a.Call("XREAD", "BLOCK", "0.5", "STREAMS", k + "none", "$"));
            t.Add(a.Call("XREAD", "BLOCK", "1", "STREAMS", k + "none", "$"));
            t.Add(a.Call("BLPOP", k + "none", "1e30"));
            t.Add(a.Call("BLPOP", k + "none", "9223372036854776"));
        });
    }

    [Fact]
    public void ATinyNegativeTimeoutIsZeroAndBlocksUntilServed()
    {
        SameOnBoth((connect, t, k, park) =>
        {
            using var a = connect(); using var admin = connect();
            // ceil(-0.1 ms) is -0: "forever", as in Redis.
            a.Send("BLPOP", k + "l", "-0.0001"); park(1);
            Thread.Sleep(50);
            t.Add(admin.Call("RPUSH", k + "l", "x"));
            t.Add(a.ReadReply());
        });
    }
}
