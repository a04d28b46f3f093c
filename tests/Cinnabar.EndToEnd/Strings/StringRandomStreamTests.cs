using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Strings;

/// <summary>Random streams of string commands over a few keys, sent to Redis 7.0 and to us, replies compared.</summary>
public sealed class StringRandomStreamTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    private static readonly string[] Values = ["", "0", "1", "-1", "10", "99", "9223372036854775807", "1.5", "abc", "\0\xff",
        "hello world", "  1", "1e3", "0x10", "-0"];
    private static readonly string[] Numbers = ["0", "1", "-1", "2", "-3", "5", "100", "-100", "9223372036854775807",
        "-9223372036854775808", "x", ""];
    // No millisecond-scale expiries: they would race between the two servers.
    private static readonly string[] Options = ["NX", "XX", "GET", "KEEPTTL", "EX", "PX", "EXAT", "PXAT", "PERSIST", "100000", "0"];
    private static readonly string[] Commands = ["GET", "SET", "SETNX", "SETEX", "PSETEX", "GETSET", "GETDEL", "GETEX", "MGET",
        "MSET", "MSETNX", "APPEND", "STRLEN", "INCR", "INCRBY", "DECR", "DECRBY", "INCRBYFLOAT", "GETRANGE", "SETRANGE", "SUBSTR",
        "LCS", "SETBIT", "GETBIT", "BITCOUNT", "BITPOS"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomCommandStreamsMatchRedis(int seed)
    {
        using var p = f.Pair();
        if (seed % 2 == 0) p.Both("HELLO", "3");
        var rnd = new Random(seed);
        string prefix = $"stream{seed}:";
        string K() => prefix + rnd.Next(6);
        string V() => Values[rnd.Next(Values.Length)];
        string N() => Numbers[rnd.Next(Numbers.Length)];
        string O() => Options[rnd.Next(Options.Length)];
        for (int i = 0; i < 2500; i++)
        {
            string c = Commands[rnd.Next(Commands.Length)];
            var a = new List<string> { c };
            switch (c)
            {
                case "GET" or "GETDEL" or "STRLEN" or "INCR" or "DECR": a.Add(K()); break;
                case "SET": a.AddRange([K(), V()]); for (int n = rnd.Next(4); n > 0; n--) a.Add(O()); break;
                case "GETEX": a.Add(K()); for (int n = rnd.Next(3); n > 0; n--) a.Add(O()); break;
                case "SETNX" or "GETSET" or "APPEND": a.AddRange([K(), V()]); break;
                case "SETEX" or "PSETEX": a.AddRange([K(), new[] { "0", "-1", "x", "100000", "9223372036854775807", "" }[rnd.Next(6)], V()]); break;
                case "MGET": for (int n = rnd.Next(1, 5); n > 0; n--) a.Add(K()); break;
                case "MSET" or "MSETNX": for (int n = rnd.Next(1, 4); n > 0; n--) a.AddRange([K(), V()]); break;
                case "INCRBY" or "DECRBY" or "GETBIT": a.AddRange([K(), N()]); break;
                case "INCRBYFLOAT": a.AddRange([K(), rnd.Next(2) == 0 ? V() : N()]); break;
                case "GETRANGE" or "SUBSTR": a.AddRange([K(), N(), N()]); break;
                case "SETRANGE": a.AddRange([K(), new[] { "0", "1", "5", "-1", "x" }[rnd.Next(5)], V()]); break;
                case "LCS":
                    a.AddRange([K(), K()]);
                    a.AddRange(new[] { new string[0], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN"], ["IDX", "MINMATCHLEN", "1"] }[rnd.Next(5)]);
                    break;
                case "SETBIT": a.AddRange([K(), new[] { "0", "7", "8", "33", "-1" }[rnd.Next(5)], new[] { "0", "1", "2" }[rnd.Next(3)]]); break;
                case "BITCOUNT":
                    a.Add(K());
                    a.AddRange(new[] { new string[0], [N(), N()], [N(), N(), "BIT"], [N()] }[rnd.Next(4)]);
                    break;
                default: // BITPOS
                    a.AddRange([K(), rnd.Next(2).ToString()]);
                    a.AddRange(new[] { new string[0], [N()], [N(), N()], [N(), N(), "BIT"], [N(), "BYTE"] }[rnd.Next(5)]);
                    break;
            }
            if (rnd.NextDouble() < 0.03)
            {
                int keep = rnd.Next(1, a.Count + 1); // truncated calls exercise the arity errors
                a.RemoveRange(keep, a.Count - keep);
            }
            p.Same([.. a]);
        }
    }

    [Fact]
    public void PipelinedCommandsAnswerInOrder()
    {
        using var p = f.Pair();
        var batch = new List<byte[][]>();
        for (int i = 0; i < 200; i++)
        {
            string k = "pipe:" + (i % 7);
            batch.Add([.. new[] { "INCR", k }.Select(RespClient.Latin1.GetBytes)]);
            batch.Add([.. new[] { "APPEND", k, "x" }.Select(RespClient.Latin1.GetBytes)]);
            batch.Add([.. new[] { "GETRANGE", k, "0", "-2" }.Select(RespClient.Latin1.GetBytes)]);
            batch.Add([.. new[] { "INCRBYFLOAT", "pipe:f", "0.1" }.Select(RespClient.Latin1.GetBytes)]);
        }
        var raw = batch.SelectMany(RespClient.Encode).ToArray();
        p.Redis.SendRaw(raw);
        p.Ours.SendRaw(raw);
        for (int i = 0; i < batch.Count; i++) Assert.Equal(p.Redis.ReadReply(), p.Ours.ReadReply());
    }
}
