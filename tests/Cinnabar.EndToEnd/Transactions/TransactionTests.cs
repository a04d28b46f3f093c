using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Transactions;

public sealed class TransactionDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    public void MultiExecDiscardAndErrors(string protocol)
    {
        using var p = f.Pair();
        p.Both("HELLO", protocol);
        string k = "tx:" + protocol;
        p.Both("DEL", k, k + ":l");
        p.Same("EXEC");
        p.Same("DISCARD");
        p.Same("MULTI");
        p.Same("MULTI");
        p.Same("SET", k, "1");
        p.Same("INCR", k);
        p.Same("LPUSH", k, "x");  // runtime WRONGTYPE inside EXEC fails only this command
        p.Same("GET", k);
        p.Same("EXEC");
        p.Same("MULTI");
        p.Same("SET", k, "2");
        p.Same("DISCARD");
        p.Same("GET", k);
        p.Same("MULTI");
        p.Same("SET", k, "3");
        p.Same("NOSUCHCOMMAND", "a");
        p.Same("GET");
        p.Same("EXEC");
        p.Same("GET", k);
        p.Same("MULTI");
        p.Same("WATCH", k);
        p.Same("EXEC");
        p.Same("MULTI");
        p.Same("EXEC");
        p.Same("MULTI");
        p.Same("BLPOP", k + ":l", "0");
        p.Same("RPUSH", k + ":l", "a");
        p.Same("BRPOP", k + ":l", "0");
        p.Same("EXEC");
        p.Same("UNWATCH");
        p.Same("WATCH");
        // A refused EXEC discards the transaction and says why.
        p.Same("EXEC", "extra");
        p.Same("MULTI");
        p.Same("SET", k, "queued");
        p.Same("EXEC", "extra");
        p.Same("EXEC");
        p.Same("GET", k);
    }

    [Fact]
    public void WatchAbortsWhenAnotherClientWrites()
    {
        using var p = f.Pair();
        using var otherRedis = f.Redis.Connect();
        using var otherOurs = f.Cinnabar.Raw();
        p.Both("SET", "tw:k", "1");
        p.Same("WATCH", "tw:k");
        otherRedis.Call("SET", "tw:k", "2");
        otherOurs.Call("SET", "tw:k", "2");
        p.Same("MULTI");
        p.Same("SET", "tw:k", "3");
        p.Same("EXEC");
        p.Same("GET", "tw:k");
        // A watched key that stays absent does not abort; UNWATCH clears; own writes abort too.
        p.Same("WATCH", "tw:absent");
        p.Same("MULTI");
        p.Same("SET", "tw:other", "x");
        p.Same("EXEC");
        p.Same("WATCH", "tw:k");
        p.Same("SET", "tw:k", "mine");
        p.Same("MULTI");
        p.Same("GET", "tw:k");
        p.Same("EXEC");
        p.Same("WATCH", "tw:k");
        otherRedis.Call("SET", "tw:k", "again");
        otherOurs.Call("SET", "tw:k", "again");
        p.Same("UNWATCH");
        p.Same("MULTI");
        p.Same("GET", "tw:k");
        p.Same("EXEC");
        // Expiring a watched key aborts.
        p.Same("SET", "tw:exp", "v", "PX", "50");
        p.Same("WATCH", "tw:exp");
        Thread.Sleep(120);
        p.Same("MULTI");
        p.Same("PING");
        p.Same("EXEC");
    }
}

public sealed class TransactionConcurrencyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task ConcurrentTransactionsAreAtomicAndCompareAndSetIsExact()
    {
        var s = fixture.Server;
        const int clients = 16, iterations = 200;
        var tasks = Enumerable.Range(0, clients).Select(i => Task.Run(() =>
        {
            using var c = s.Raw();
            for (int n = 0; n < iterations; n++)
            {
                // INCR twice inside MULTI: both must land together.
                c.Call("MULTI");
                c.Call("INCR", "tc:counter");
                c.Call("INCR", "tc:counter");
                var r = c.Call("EXEC");
                Assert.StartsWith("*2\r\n:", r);
                var values = r.Split("\r\n").Where(x => x.StartsWith(':')).Select(x => long.Parse(x[1..])).ToArray();
                Assert.Equal(values[0] + 1, values[1]); // nobody interleaved

                // Optimistic lock: read, compute, write only if unchanged; retry otherwise.
                while (true)
                {
                    c.Call("WATCH", "tc:cas");
                    var current = c.Call("GET", "tc:cas");
                    long v = current == "$-1\r\n" ? 0 : long.Parse(current.Split("\r\n")[1]);
                    c.Call("MULTI");
                    c.Call("SET", "tc:cas", (v + 1).ToString());
                    if (c.Call("EXEC") != "*-1\r\n") break;
                }
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        using var check = s.Raw();
        Assert.Equal($"${(clients * iterations * 2).ToString().Length}\r\n{clients * iterations * 2}\r\n", check.Call("GET", "tc:counter"));
        Assert.Equal($"${(clients * iterations).ToString().Length}\r\n{clients * iterations}\r\n", check.Call("GET", "tc:cas"));
    }
}
