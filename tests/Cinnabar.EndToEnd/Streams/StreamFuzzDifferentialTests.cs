using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Streams;

/// <summary>Random stream command sequences (explicit IDs, no time-dependent replies) compared with Redis.</summary>
public sealed class StreamFuzzDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Theory]
    [InlineData(11)]
    [InlineData(22)]
    [InlineData(33)]
    [InlineData(44)]
    [InlineData(55)]
    [InlineData(66)]
    [InlineData(77)]
    public void RandomCommandsMatchRedis(int seed) => Run(seed, 60, false);

    [Theory]
    [InlineData(101)]
    [InlineData(202)]
    [InlineData(303)]
    public void RandomCommandsWithLargerStreamsAndResp3MatchRedis(int seed) => Run(seed, 400, true);

    private void Run(int seed, int idRange, bool extended)
    {
        using var p = f.Pair();
        if (extended && seed % 2 == 1) p.Both("HELLO", "3");
        var rnd = new Random(seed);
        string[] keys = [$"fz{seed}:a", $"fz{seed}:b"];
        string[] groups = ["g1", "g2"];
        string[] consumers = ["c1", "c2", "c3"];
        string Key() => keys[rnd.Next(keys.Length)];
        string Group() => groups[rnd.Next(groups.Length)];
        string Consumer() => consumers[rnd.Next(consumers.Length)];
        string Id() => rnd.Next(6) switch
        {
            0 => "-",
            1 => "+",
            2 => rnd.Next(1, idRange).ToString(),
            3 => "(" + rnd.Next(1, idRange) + "-" + rnd.Next(3),
            _ => rnd.Next(1, idRange) + "-" + rnd.Next(3),
        };
        string StrictId() => rnd.Next(1, idRange) + "-" + rnd.Next(3);
        var history = new List<string>();
        var recorder = new CommandRecorder(p, history);
        for (int step = 0; step < 1500; step++)
        {
            var k = Key();
            if (extended && rnd.Next(10) == 0)
            {
                switch (rnd.Next(6))
                {
                    case 0: recorder.Masked("XINFO", "STREAM", k, "FULL", "COUNT", rnd.Next(0, 5).ToString()); break;
                    case 1: recorder.Masked("XPENDING", k, Group(), "-", "+", "5", rnd.Next(2) == 0 ? Consumer() : "c1"); break;
                    case 2: recorder.Same("XREADGROUP", "GROUP", Group(), Consumer(), "NOACK", "COUNT", "2", "STREAMS", k, ">"); break;
                    case 3: recorder.Same("XCLAIM", k, Group(), Consumer(), "0", StrictId(), rnd.Next(2) == 0 ? "FORCE" : "RETRYCOUNT", "3"); break;
                    case 4: recorder.Same("XGROUP", rnd.Next(2) == 0 ? "DESTROY" : "CREATECONSUMER", k, Group(), Consumer()); break;
                    default: recorder.Same("XADD", k, "NOMKSTREAM", "MAXLEN", "~", rnd.Next(0, 200).ToString(), StrictId(), "f", "v"); break;
                }
                continue;
            }
            switch (rnd.Next(20))
            {
                case 0: case 1: case 2: case 3:
                {
                    string id = rnd.Next(5) switch { 0 => rnd.Next(1, idRange) + "-*", 1 => rnd.Next(1, idRange).ToString(), _ => StrictId() };
                    var args = new List<string> { "XADD", k };
                    if (rnd.Next(6) == 0) args.AddRange(["MAXLEN", rnd.Next(2) == 0 ? "~" : "=", rnd.Next(0, 20).ToString()]);
                    else if (rnd.Next(8) == 0) args.AddRange(["MINID", StrictId()]);
                    args.Add(id);
                    args.AddRange(rnd.Next(3) == 0 ? ["x", "1"] : ["sensor", rnd.Next(100).ToString(), "temp", "25.5"]);
                    recorder.Same([.. args]);
                    break;
                }
                case 4: recorder.Same("XDEL", k, StrictId(), StrictId()); break;
                case 5: recorder.Same("XTRIM", k, rnd.Next(2) == 0 ? "MAXLEN" : "MINID", rnd.Next(3) == 0 ? "~" : "=", rnd.Next(2) == 0 ? rnd.Next(0, 30).ToString() : StrictId()); break;
                case 6: recorder.Same("XRANGE", k, Id(), Id(), "COUNT", rnd.Next(0, 6).ToString()); break;
                case 7: recorder.Same("XREVRANGE", k, Id(), Id()); break;
                case 8: recorder.Same("XGROUP", "CREATE", k, Group(), rnd.Next(3) == 0 ? "$" : StrictId(), "MKSTREAM"); break;
                case 9: case 10:
                    recorder.Same("XREADGROUP", "GROUP", Group(), Consumer(), "COUNT", rnd.Next(1, 5).ToString(), "STREAMS", k, rnd.Next(3) == 0 ? "0" : ">");
                    break;
                case 11: recorder.Same("XACK", k, Group(), StrictId(), StrictId()); break;
                case 12: recorder.Same("XPENDING", k, Group()); break;
                case 13: recorder.Same("XINFO", "GROUPS", k); break;
                case 14: recorder.Same("XINFO", "STREAM", k); break;
                case 15: recorder.Same("XCLAIM", k, Group(), Consumer(), "0", StrictId(), StrictId(), "JUSTID"); break;
                case 16: recorder.Same("XAUTOCLAIM", k, Group(), Consumer(), "0", Id() is var s && s.StartsWith('(') ? s : StrictId(), "COUNT", rnd.Next(1, 4).ToString(), "JUSTID"); break;
                case 17: recorder.Same("XGROUP", "SETID", k, Group(), rnd.Next(3) == 0 ? "$" : StrictId()); break;
                case 18: recorder.Same("XREAD", "COUNT", "3", "STREAMS", keys[0], keys[1], StrictId(), StrictId()); break;
                default:
                    if (rnd.Next(4) == 0) recorder.Same("XGROUP", "DELCONSUMER", k, Group(), Consumer());
                    else recorder.Same("XSETID", k, StrictId());
                    break;
            }
        }
    }
}
