using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Sets;

/// <summary>
/// Random list, hash and set command sequences compared with Redis 7.0 reply by reply: each family over
/// a small key (compact encoding, whose order and DUMP bytes are Redis' own) and a key that grows past the
/// thresholds, plus calls with the wrong type, wrong arity and malformed numbers, in RESP2 and RESP3.
/// Replies whose order Redis leaves to its hash table are compared through SORT ALPHA or counts.
/// </summary>
public sealed class CollectionFuzzDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Theory]
    [InlineData(1, "2")]
    [InlineData(2, "3")]
    [InlineData(3, "3")]
    public void RandomCommandsMatchRedis(int seed, string protocol)
    {
        using var p = f.Pair();
        p.Both("HELLO", protocol);
        var rnd = new Random(seed);
        string list = $"cf{seed}:list", bigList = $"cf{seed}:biglist", hash = $"cf{seed}:hash", bigHash = $"cf{seed}:bighash",
            set = $"cf{seed}:set", intSet = $"cf{seed}:intset", bigSet = $"cf{seed}:bigset", dst = $"cf{seed}:dst", str = $"cf{seed}:str";
        string[] keys = [list, bigList, hash, bigHash, set, intSet, bigSet, dst, str];
        p.Both(["DEL", .. keys]);
        p.Both("SET", str, "plain");
        string[] smallValues = ["a", "b", "c", "1", "2", "-7", "", "bin\0\r\n", "ÿ", "12345678901234567890", "3.5"];
        string Value(string key) => key == bigList || key == bigHash || key == bigSet
            ? (rnd.Next(50) == 0 ? new string('v', 70) : "e" + rnd.Next(400))
            : key == intSet ? rnd.Next(-20, 40).ToString() : smallValues[rnd.Next(smallValues.Length)];
        string Number() => rnd.Next(10) switch { 0 => "x", 1 => "1.5", 2 => "-0", 3 => "9223372036854775807", _ => rnd.Next(-6, 8).ToString() };
        string AnyKey() => keys[rnd.Next(keys.Length)];

        var recorder = new CommandRecorder(p, []);
        var encodings = new HashSet<string>();
        for (int step = 0; step < 1500; step++)
        {
            string l = rnd.Next(3) == 0 ? bigList : list, h = rnd.Next(3) == 0 ? bigHash : hash;
            string s = rnd.Next(3) switch { 0 => bigSet, 1 => intSet, _ => set };
            if (rnd.Next(25) == 0) (l, h, s) = (AnyKey(), AnyKey(), AnyKey()); // wrong types
            switch (rnd.Next(30))
            {
                case 0: case 1: case 2:
                    recorder.Same([rnd.Next(2) == 0 ? "RPUSH" : "LPUSH", l, .. Enumerable.Range(0, rnd.Next(1, l == bigList ? 30 : 4)).Select(_ => Value(l))]);
                    break;
                case 3: recorder.Same(rnd.Next(2) == 0 ? "LPOP" : "RPOP", l, rnd.Next(4) == 0 ? Number() : rnd.Next(0, 4).ToString()); break;
                case 4: recorder.Same("LRANGE", l, Number(), Number()); break;
                case 5: recorder.Same("LINSERT", l, rnd.Next(2) == 0 ? "BEFORE" : "AFTER", Value(l), Value(l)); break;
                case 6: recorder.Same("LREM", l, Number(), Value(l)); break;
                case 7: recorder.Same("LPOS", l, Value(l), "RANK", rnd.Next(-2, 3).ToString(), "COUNT", rnd.Next(0, 3).ToString()); break;
                case 8: recorder.Same("LSET", l, Number(), Value(l)); break;
                case 9: recorder.Same("LTRIM", l, rnd.Next(-3, 3).ToString(), rnd.Next(-2, 200).ToString()); break;
                case 10: recorder.Same("LMOVE", l, rnd.Next(2) == 0 ? list : bigList, rnd.Next(2) == 0 ? "LEFT" : "RIGHT", rnd.Next(2) == 0 ? "LEFT" : "RIGHT"); break;
                case 11: case 12: case 13:
                {
                    int pairs = rnd.Next(1, h == bigHash ? 25 : 3);
                    recorder.Same(["HSET", h, .. Enumerable.Range(0, pairs).SelectMany(_ => new[] { Value(h), Value(h) })]);
                    break;
                }
                case 14: recorder.Same("HINCRBY", h, Value(h), Number()); break;
                case 15: recorder.Same("HINCRBYFLOAT", h, Value(h), rnd.Next(2) == 0 ? Number() : "0.1"); break;
                case 16: recorder.Same("HMGET", h, Value(h), Value(h)); break;
                case 17: recorder.Same("HDEL", h, Value(h), Value(h)); break;
                case 18:
                    recorder.Same(h == hash ? "HGETALL" : "HLEN", h); // a small hash keeps insertion order, as Redis' listpack
                    recorder.Same("HSTRLEN", h, Value(h));
                    recorder.Same("HSETNX", h, Value(h), "nx");
                    break;
                case 19: case 20: case 21:
                    recorder.Same(["SADD", s, .. Enumerable.Range(0, rnd.Next(1, s == bigSet ? 30 : 4)).Select(_ => Value(s))]);
                    break;
                case 22: recorder.Same("SREM", s, Value(s), Value(s)); break;
                case 23: recorder.Same("SMISMEMBER", s, Value(s), Value(s), Value(s)); break;
                case 24: recorder.Same("SORT", s, "ALPHA", "LIMIT", "0", "20"); break;
                case 25:
                    recorder.Same(rnd.Next(3) switch { 0 => "SINTERSTORE", 1 => "SUNIONSTORE", _ => "SDIFFSTORE" }, dst, s, rnd.Next(2) == 0 ? set : intSet);
                    recorder.Same("SORT", dst, "ALPHA");
                    break;
                case 26: recorder.Same("SINTERCARD", "2", s, bigSet, "LIMIT", rnd.Next(0, 5).ToString()); break;
                case 27: recorder.Same("SMOVE", s, rnd.Next(2) == 0 ? set : bigSet, Value(s)); break;
                case 28:
                    // malformed calls: wrong arity for a random command of the families
                    recorder.Same(new[] { "LPUSH", "HSET", "SADD", "LINSERT", "HINCRBY", "SMOVE", "LPOS" }[rnd.Next(7)], AnyKey());
                    break;
                default:
                {
                    string key = AnyKey();
                    recorder.Same("TYPE", key);
                    string encoding = recorder.Same("OBJECT", "ENCODING", key);
                    encodings.Add(DiffPair.Escape(encoding));
                    // Compact encodings keep Redis' element order, so their serialization is byte for byte the same.
                    if (encoding.Contains("listpack") || encoding.Contains("intset") || encoding.Contains("quicklist"))
                        recorder.Same("DUMP", key);
                    break;
                }
            }
        }
        // The sequence reached every encoding of the three types.
        foreach (var name in new[] { "listpack", "quicklist", "hashtable", "intset" })
            Assert.Contains(encodings, e => e.Contains(name));
    }
}
