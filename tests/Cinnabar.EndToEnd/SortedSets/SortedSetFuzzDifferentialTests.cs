using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.SortedSets;

/// <summary>
/// Random sorted-set command sequences compared with Redis 7.0 reply by reply, over small sets (listpack),
/// sets that grow past zset-max-listpack-entries (skiplist) and the results of STORE commands. DUMP is
/// compared too, so the packed bytes and the skiplist serialization must be Redis' own.
/// </summary>
public sealed class SortedSetFuzzDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Theory]
    [InlineData(1, "2")]
    [InlineData(2, "3")]
    [InlineData(3, "2")]
    [InlineData(4, "3")]
    public void RandomCommandsMatchRedis(int seed, string protocol)
    {
        using var p = f.Pair();
        p.Both("HELLO", protocol);
        var rnd = new Random(seed);
        // small: mixed scores, stays a listpack, where lex ranges over mixed scores are well defined.
        // big: mixed scores, outgrows the listpack (no lex ranges: Redis' skiplist answer depends on node levels).
        // lex: every score 0, both encodings. dst: STORE results.
        string small = $"zf{seed}:small", big = $"zf{seed}:big", lex = $"zf{seed}:lex", dst = $"zf{seed}:dst";
        p.Both("DEL", small, big, lex, dst);
        string[] smallMembers = [.. "abcdefghijklmnopqrst".Select(ch => ch.ToString()), "1", "2", "15", "-3", "", "bin\0\r\n", "-0", "007", "ÿ"];
        string Member(string key) => key == small ? smallMembers[rnd.Next(smallMembers.Length)]
            : rnd.Next(60) == 0 ? new string('x', 65 + rnd.Next(3))
            : rnd.Next(8) == 0 ? rnd.Next(-5, 400).ToString()
            : "m" + rnd.Next(300);
        string Score() => rnd.Next(12) switch
        {
            0 => "1.5",
            1 => "-2.25",
            2 => "0.1",
            3 => "1e20",
            4 => "-0",
            5 => rnd.Next(2) == 0 ? "inf" : "-inf",
            6 => "3.0000000001",
            7 => rnd.Next(40) == 0 ? "abc" : "2",
            _ => rnd.Next(-3, 11).ToString(),
        };
        string Bound(bool low) => rnd.Next(6) switch
        {
            0 => low ? "-inf" : "+inf",
            1 => "(" + rnd.Next(-3, 11),
            2 => "(1.5",
            _ => rnd.Next(-3, 11).ToString(),
        };
        string LexBound(string key, bool low) => rnd.Next(6) switch
        {
            0 => low ? "-" : "+",
            1 => "(" + Member(key),
            _ => "[" + Member(key),
        };
        string Index() => rnd.Next(-8, 12).ToString();

        var recorder = new CommandRecorder(p, []);
        var encodings = new HashSet<string>();
        for (int step = 0; step < 1200; step++)
        {
            string key = rnd.Next(10) switch { < 4 => small, < 8 => big, _ => lex };
            bool lexOk = key != big;
            switch (rnd.Next(24))
            {
                case 0: case 1: case 2: case 3: case 4: case 5:
                {
                    var args = new List<string> { "ZADD", key };
                    if (rnd.Next(4) == 0) args.Add(new[] { "NX", "XX", "GT", "LT", "CH", "INCR" }[rnd.Next(6)]);
                    if (rnd.Next(8) == 0) args.Add("CH");
                    int pairs = args.Contains("INCR") ? 1 : rnd.Next(1, 5);
                    for (int i = 0; i < pairs; i++) args.AddRange([key == lex ? "0" : Score(), Member(key)]);
                    recorder.Same([.. args]);
                    break;
                }
                case 6:
                    if (key != lex) recorder.Same("ZINCRBY", key, Score(), Member(key));
                    break;
                case 7: recorder.Same("ZREM", key, Member(key), Member(key)); break;
                case 8:
                {
                    var args = new List<string> { "ZRANGE", key, Index(), Index() };
                    if (rnd.Next(2) == 0) args.Add("WITHSCORES");
                    if (rnd.Next(3) == 0) args.Add("REV");
                    recorder.Same([.. args]);
                    break;
                }
                case 9:
                {
                    bool rev = rnd.Next(2) == 0;
                    var args = new List<string> { "ZRANGE", key, Bound(!rev), Bound(rev), "BYSCORE" };
                    if (rev) args.Add("REV");
                    if (rnd.Next(2) == 0) args.AddRange(["LIMIT", rnd.Next(-1, 4).ToString(), rnd.Next(-1, 5).ToString()]);
                    if (rnd.Next(2) == 0) args.Add("WITHSCORES");
                    recorder.Same([.. args]);
                    break;
                }
                case 10:
                    if (lexOk)
                    {
                        bool rev = rnd.Next(2) == 0;
                        var args = new List<string> { rev ? "ZREVRANGEBYLEX" : "ZRANGEBYLEX", key, LexBound(key, !rev), LexBound(key, rev) };
                        if (rnd.Next(2) == 0) args.AddRange(["LIMIT", rnd.Next(-1, 4).ToString(), rnd.Next(-1, 5).ToString()]);
                        recorder.Same([.. args]);
                    }
                    break;
                case 11: recorder.Same(rnd.Next(2) == 0 ? "ZRANGEBYSCORE" : "ZREVRANGEBYSCORE", key, Bound(true), Bound(false), "WITHSCORES"); break;
                case 12: recorder.Same("ZCOUNT", key, Bound(true), Bound(false)); break;
                case 13:
                    if (lexOk) recorder.Same("ZLEXCOUNT", key, LexBound(key, true), LexBound(key, false));
                    break;
                case 14: recorder.Same(rnd.Next(2) == 0 ? "ZRANK" : "ZREVRANK", key, Member(key)); break;
                case 15: recorder.Same("ZMSCORE", key, Member(key), Member(key), Member(key)); break;
                case 16: recorder.Same("ZREMRANGEBYRANK", key, Index(), Index()); break;
                case 17: recorder.Same("ZREMRANGEBYSCORE", key, Bound(true), Bound(false)); break;
                case 18:
                    if (lexOk) recorder.Same("ZREMRANGEBYLEX", key, LexBound(key, true), LexBound(key, false));
                    break;
                case 19: recorder.Same(rnd.Next(2) == 0 ? "ZPOPMIN" : "ZPOPMAX", key, rnd.Next(0, 4).ToString()); break;
                case 20: recorder.Same("ZRANGESTORE", dst, key, Bound(true), Bound(false), "BYSCORE", "LIMIT", "0", rnd.Next(1, 200).ToString()); break;
                case 21:
                    recorder.Same(rnd.Next(2) == 0 ? "ZUNIONSTORE" : "ZINTERSTORE", dst, "2", small, key, "WEIGHTS", "2", "0.5", "AGGREGATE", rnd.Next(2) == 0 ? "SUM" : "MAX");
                    break;
                case 22: recorder.Same("ZUNION", "2", small, dst, "WITHSCORES"); break;
                default:
                    string target = rnd.Next(4) == 0 ? dst : key;
                    recorder.Same("DUMP", target);
                    encodings.Add(recorder.Same("OBJECT", "ENCODING", target));
                    recorder.Same("ZCARD", target);
                    break;
            }
        }
        // The sequence exercised both encodings.
        Assert.Contains(encodings, e => e.Contains("listpack"));
        Assert.Contains(encodings, e => e.Contains("skiplist"));
    }
}
