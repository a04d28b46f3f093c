using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Lists;

/// <summary>
/// Lists large enough for many quicklist nodes, changed at the ends and in the middle, with DUMP compared
/// against Redis 7.0 byte for byte: the payload lists every node, so this checks that nodes fill, split
/// and merge where Redis' do, for byte limits and count limits (list-max-listpack-size).
/// </summary>
public sealed class ListNodeDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Theory]
    [InlineData("-2", 1)]
    [InlineData("-1", 2)]
    [InlineData("-4", 3)]
    [InlineData("4", 4)]
    [InlineData("0", 5)]
    public void NodesMatchRedisThroughPushesInsertsSetsAndRemovals(string fill, int seed)
    {
        using var p = f.Pair();
        p.Both("CONFIG", "SET", "list-max-listpack-size", fill);
        try
        {
            var rnd = new Random(seed);
            string key = $"nodes:{seed}";
            p.Both("DEL", key);
            string Value() => rnd.Next(6) switch
            {
                0 => rnd.Next(-5000, 5000).ToString(), // integer entries: Redis estimates them by their text
                1 => new string('w', rnd.Next(60, 300)),
                2 => "",
                _ => "e" + rnd.Next(40),
            };
            var recorder = new CommandRecorder(p, []);
            for (int i = 0; i < 40; i++)
                recorder.Same([rnd.Next(3) == 0 ? "LPUSH" : "RPUSH", key, .. Enumerable.Range(0, 50).Select(_ => Value())]);
            for (int step = 0; step < 600; step++)
            {
                switch (rnd.Next(9))
                {
                    case 0: recorder.Same(rnd.Next(2) == 0 ? "LPUSH" : "RPUSH", key, Value(), Value()); break;
                    case 1: recorder.Same(rnd.Next(2) == 0 ? "LPOP" : "RPOP", key, rnd.Next(1, 4).ToString()); break;
                    case 2: case 3: recorder.Same("LINSERT", key, rnd.Next(2) == 0 ? "BEFORE" : "AFTER", "e" + rnd.Next(40), Value()); break;
                    case 4: recorder.Same("LSET", key, rnd.Next(-300, 300).ToString(), Value()); break;
                    case 5: recorder.Same("LREM", key, rnd.Next(-2, 3).ToString(), "e" + rnd.Next(40)); break;
                    case 6: recorder.Same("LTRIM", key, rnd.Next(0, 3).ToString(), (-rnd.Next(1, 3)).ToString()); break;
                    default: recorder.Same("DUMP", key); break;
                }
            }
            recorder.Same("DUMP", key);
            recorder.Same("LRANGE", key, "0", "-1");
        }
        finally
        {
            p.Both("CONFIG", "SET", "list-max-listpack-size", "-2");
        }
    }

    [Fact]
    public void RestoredListKeepsItsNodesAndTheConfiguredFillForLaterPushes()
    {
        using var p = f.Pair();
        p.Both("DEL", "restored", "copy");
        p.Both(["RPUSH", "restored", .. Enumerable.Range(0, 3000).Select(i => "item" + i)]);
        p.Both("CONFIG", "SET", "list-max-listpack-size", "7");
        try
        {
            // A payload made under the 8 KB limit keeps its nodes; pushes after RESTORE follow the new limit.
            var dump = RespClient.BulkContent(p.Redis.Call("DUMP", "restored"));
            Assert.Equal(p.Redis.Call("RESTORE", "copy", "0", dump), p.Ours.Call("RESTORE", "copy", "0", dump));
            p.Same("DUMP", "copy");
            for (int i = 0; i < 20; i++) p.Same("RPUSH", "copy", "more" + i);
            p.Same("DUMP", "copy");
        }
        finally
        {
            p.Both("CONFIG", "SET", "list-max-listpack-size", "-2");
        }
    }
}
