using System.Diagnostics;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Blocking;

/// <summary>Blocking list commands with several connections, compared with Redis 7.0 (<see cref="BlockingScenario"/>).</summary>
public sealed class BlockingListTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    private void SameOnBoth(Scenario scenario) => BlockingScenario.SameOnBoth(f, scenario);

    private void WaitParked(int count) => BlockingScenario.WaitParked(f, count);

    [Fact]
    public void ThreeClientsOnOneKeyAreServedFifo()
    {
        SameOnBoth((connect, t, k, park) =>
        {
            using var a = connect(); using var b = connect(); using var c = connect(); using var d = connect();
            a.Send("BLPOP", k + "q", "0"); park(1);
            b.Send("BLPOP", k + "q", "0"); park(2);
            c.Send("BRPOP", k + "other", k + "q", "0"); park(3);
            t.Add(d.Call("RPUSH", k + "q", "1", "2"));
            t.Add(a.ReadReply());
            t.Add(b.ReadReply());
            t.Add(d.Call("RPUSH", k + "q", "3", "4"));
            t.Add(c.ReadReply());
            t.Add(d.Call("LRANGE", k + "q", "0", "-1"));
        });
    }

    [Fact]
    public void BlmoveChainWakesEachWaiterInTurn()
    {
        SameOnBoth((connect, t, k, park) =>
        {
            using var a = connect(); using var b = connect(); using var c = connect(); using var d = connect();
            a.Send("BLMOVE", k + "c1", k + "c2", "LEFT", "RIGHT", "0"); park(1);
            b.Send("BRPOPLPUSH", k + "c2", k + "c3", "0"); park(2);
            c.Send("BLMPOP", "0", "1", k + "c3", "RIGHT", "COUNT", "2"); park(3);
            t.Add(d.Call("LPUSH", k + "c1", "v"));
            t.Add(a.ReadReply());
            t.Add(b.ReadReply());
            t.Add(c.ReadReply());
            foreach (var key in new[] { "c1", "c2", "c3" }) t.Add(d.Call("LLEN", k + key));
        });
    }

    [Fact]
    public void ForeverWaiterIsWokenLaterAndPipelinedCommandsWait()
    {
        SameOnBoth((connect, t, k, park) =>
        {
            using var a = connect(); using var d = connect();
            a.SendRaw(RespClient.Encode([.. new[] { "BLPOP", k + "p", "0" }.Select(s => RespClient.Latin1.GetBytes(s))])
                .Concat(RespClient.Encode([.. new[] { "RPUSH", k + "p2", "z" }.Select(s => RespClient.Latin1.GetBytes(s))])).ToArray());
            park(1);
            Thread.Sleep(BlockingScenario.Settle);
            t.Add(d.Call("LLEN", k + "p2")); // the RPUSH behind BLPOP has not run yet
            t.Add(d.Call("RPUSH", k + "p", "go"));
            t.Add(a.ReadReply());
            t.Add(a.ReadReply());
            t.Add(d.Call("LLEN", k + "p2"));
        });
    }

    [Fact]
    public void DisconnectWhileBlockedHandsThePushToTheNextWaiter()
    {
        SameOnBoth((connect, t, k, park) =>
        {
            using var b = connect(); using var d = connect();
            var gone = connect();
            gone.Send("BLPOP", k + "dc", "0"); park(1);
            b.Send("BLPOP", k + "dc", "0"); park(2);
            gone.Dispose(); Thread.Sleep(BlockingScenario.Settle * 2);
            t.Add(d.Call("RPUSH", k + "dc", "y"));
            t.Add(b.ReadReply());
            t.Add(d.Call("LLEN", k + "dc"));
        });
    }

    [Fact]
    public void WrongTypeDestinationAndMultiKeyServing()
    {
        SameOnBoth((connect, t, k, park) =>
        {
            using var a = connect(); using var b = connect(); using var d = connect();
            t.Add(d.Call("SET", k + "str", "s"));
            a.Send("BLMOVE", k + "w", k + "str", "LEFT", "LEFT", "0"); park(1);
            t.Add(d.Call("RPUSH", k + "w", "1"));
            t.Add(a.ReadReply());
            t.Add(d.Call("LLEN", k + "w"));
            b.Send("BLPOP", k + "tw", k + "tw", k + "tw2", "0"); park(1);
            t.Add(d.Call("RPUSH", k + "tw2", "1", "2"));
            t.Add(b.ReadReply());
            t.Add(d.Call("LLEN", k + "tw2"));
        });
    }

    [Fact]
    public void TimeoutFiresOnTimeInBothProtocols()
    {
        SameOnBoth((connect, t, k, park) =>
        {
            using var a = connect();
            var sw = Stopwatch.StartNew();
            t.Add(a.Call("BLPOP", k + "none", "0.1"));
            long ms = sw.ElapsedMilliseconds;
            t.Add(ms is >= 95 and < 2000 ? "on time" : $"took {ms} ms"); // generous: the test machine is shared
            a.Call("HELLO", "3");
            t.Add(a.Call("BRPOP", k + "none", "0.05"));
            t.Add(a.Call("BLMOVE", k + "none", k + "x", "LEFT", "LEFT", "0.05"));
            t.Add(a.Call("BLMPOP", "0.05", "1", k + "none", "LEFT"));
        });
    }

    [Fact]
    public void ManyTimeoutsFireInDeadlineOrder()
    {
        using var a = f.Cinnabar.Raw(); using var b = f.Cinnabar.Raw(); using var c = f.Cinnabar.Raw();
        var sw = Stopwatch.StartNew();
        c.Send("BLPOP", "bl:order", "0.3");
        a.Send("BLPOP", "bl:order", "0.1");
        b.Send("BLPOP", "bl:order", "0.2");
        Assert.Equal("*-1\r\n", a.ReadReply());
        long ta = sw.ElapsedMilliseconds;
        Assert.Equal("*-1\r\n", b.ReadReply());
        long tb = sw.ElapsedMilliseconds;
        Assert.Equal("*-1\r\n", c.ReadReply());
        long tc = sw.ElapsedMilliseconds;
        // Lower bounds are exact; upper bounds leave room for a loaded 2-core machine.
        Assert.InRange(ta, 95, 2000);
        Assert.InRange(tb, Math.Max(195, ta), 2100);
        Assert.InRange(tc, Math.Max(295, tb), 2200);
    }

    [Fact]
    public void BlockedClientIsCountedAndCanBeUnblocked()
    {
        var server = f.Cinnabar.Server;
        using var a = f.Cinnabar.Raw(); using var b = f.Cinnabar.Raw();
        a.Send("BLPOP", "bl:ub", "0");
        b.Send("BLMOVE", "bl:ub2", "bl:x", "LEFT", "LEFT", "0");
        WaitParked(2);
        Client[] blocked;
        lock (server.ExecLock)
        {
            Assert.True(server.Blocking.BlockedClientCount >= 2);
            blocked = server.Clients.Where(cl => (cl.Flags & ClientFlags.Blocked) != 0).ToArray();
            Assert.Equal(2, blocked.Length);
        }
        // CLIENT UNBLOCK id ERROR / TIMEOUT, called as the CLIENT command would: under the lock.
        foreach (var cl in blocked)
            lock (server.ExecLock) Assert.True(server.Blocking.Unblock(cl, withError: cl.LastCommand?.Name == "blpop"));
        // The replies are sent after the next executed batch, as after a real CLIENT UNBLOCK.
        using (var other = f.Cinnabar.Raw()) Assert.Equal("+PONG\r\n", other.Call("PING"));
        Assert.Equal("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n", a.ReadReply());
        Assert.Equal("*-1\r\n", b.ReadReply());
        Assert.Equal("+PONG\r\n", a.Call("PING"));
        Assert.Equal("+PONG\r\n", b.Call("PING"));
        lock (server.ExecLock)
        {
            Assert.Equal(0, server.Blocking.BlockedClientCount);
            Assert.False(server.Blocking.Unblock(blocked[0], withError: true));
        }
    }

    [Fact]
    public void StackExchangeRedisAndRedisCliSeeListsAndBlockingPops()
    {
        var db = f.Cinnabar.Db();
        Assert.Equal(3, db.ListRightPush("bl:se", ["a", "b", "c"]));
        Assert.Equal("a", (string?)db.ListLeftPop("bl:se"));
        Assert.Equal(["b", "c"], db.ListRange("bl:se").Select(v => (string)v!).ToArray());
        Assert.Equal(1, db.ListPosition("bl:se", "c"));
        Assert.Equal("c", (string?)db.ListMove("bl:se", "bl:se2", StackExchange.Redis.ListSide.Right, StackExchange.Redis.ListSide.Left));
        Assert.Equal(1, db.ListLength("bl:se2"));
        if (!RedisCli.Available) return;
        var cliTask = Task.Run(() => f.Cinnabar.Cli("BLPOP", "bl:cli", "5"));
        Thread.Sleep(300);
        db.ListRightPush("bl:cli", "hello");
        Assert.Equal("bl:cli\nhello", cliTask.Result);
    }
}
