using System.Text;
using Cinnabar.DataTypes;
using Cinnabar.Persistence;

namespace Cinnabar.Tests.DataTypes;

public class ListValueTests
{
    /// <summary>Values of every listpack encoding: small and large integers, short, 12-bit and 32-bit-length strings.</summary>
    private static string RandomValue(Random rng) => rng.Next(10) switch
    {
        0 => rng.Next(-200, 200).ToString(),
        1 => rng.NextInt64(long.MinValue, long.MaxValue).ToString(),
        2 => rng.Next(-9000, 9000).ToString(),
        3 => new string('m', rng.Next(60, 200)) + rng.Next(5),
        4 when rng.Next(20) == 0 => new string('L', rng.Next(4000, 12000)),
        5 => "007", // looks numeric but is not canonical: must stay a string
        _ => "v" + rng.Next(50),
    };

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void RandomOperationsMatchAReferenceList(int seed)
    {
        var rng = new Random(seed);
        var list = new ListValue();
        var model = new List<string>();
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        for (int step = 0; step < 30_000; step++)
        {
            string v = RandomValue(rng);
            switch (rng.Next(11))
            {
                case 0: list.PushHead(B(v)); model.Insert(0, v); break;
                case 1: list.PushTail(B(v)); model.Add(v); break;
                case 2 when model.Count > 0: Assert.Equal(model[0], S(list.Pop(head: true))); model.RemoveAt(0); break;
                case 3 when model.Count > 0:
                    Assert.Equal(model[^1], S(list.Peek(head: false, scratch)));
                    list.RemoveEnd(head: false);
                    model.RemoveAt(model.Count - 1);
                    break;
                case 4 when model.Count > 0:
                    {
                        int pivot = rng.Next(model.Count);
                        bool after = rng.Next(2) == 0;
                        list.Insert(pivot, after, B(v));
                        model.Insert(after ? pivot + 1 : pivot, v);
                        break;
                    }
                case 5 when model.Count > 0:
                    {
                        int at = rng.Next(model.Count);
                        list.Set(at, B(v));
                        model[at] = v;
                        break;
                    }
                case 6 when model.Count > 0 && rng.Next(4) == 0:
                    {
                        string target = model[rng.Next(model.Count)];
                        int limit = rng.Next(3);
                        bool fromTail = rng.Next(2) == 0;
                        Assert.Equal(RemoveFromModel(model, target, limit, fromTail), list.RemoveMatches(B(target), limit, fromTail));
                        break;
                    }
                case 7 when model.Count > 2 && rng.Next(30) == 0:
                    {
                        int head = rng.Next(model.Count / 2), tail = rng.Next(model.Count / 2);
                        list.Trim(head, tail);
                        model.RemoveRange(model.Count - tail, tail);
                        model.RemoveRange(0, head);
                        break;
                    }
                case 8 when model.Count > 0:
                    {
                        int from = rng.Next(model.Count);
                        bool forward = rng.Next(2) == 0;
                        var cursor = list.From(from, forward, scratch);
                        for (int i = from, n = 0; n < 50 && i >= 0 && i < model.Count; i += forward ? 1 : -1, n++)
                        {
                            Assert.True(cursor.MoveNext());
                            Assert.Equal(model[i], S(cursor.Current));
                        }
                        break;
                    }
                default:
                    if (model.Count > 0)
                    {
                        int at = rng.Next(model.Count);
                        Assert.Equal(model[at], S(list.Get(at, scratch)));
                    }
                    break;
            }
            Assert.Equal(model.Count, list.Count);
        }
        Assert.Equal(model, list.Elements().Select(S));
        AssertNodesWellFormed(list, model, sizesChecked: false); // LSET may outgrow a node, as in Redis
        Assert.Equal(model, ((ListValue)list.DeepClone()).Elements().Select(S));
    }

    [Fact]
    public void OneSidedPushesFillWholeNodes()
    {
        foreach (bool head in new[] { true, false })
        {
            var list = new ListValue();
            for (int i = 0; i < 100_000; i++) list.Push(B("element:" + i), head);
            // element:NNNNN takes 13-14 bytes + 2 of header and back-length: about 520 per 8 KB node.
            Assert.InRange(list.NodeCount, 100_000 / 560, 100_000 / 480);
            // Every node but the one being filled (the head node for head pushes) is full.
            for (int i = head ? 1 : 0; i < list.NodeCount - (head ? 0 : 1); i++)
            {
                var entries = list.NodeEntries(i, out _);
                Assert.InRange(entries.Length + 7, ListValue.NodeBytes - 30, ListValue.NodeBytes);
            }
            Assert.Equal(head ? "element:99999" : "element:0", S(list.Elements()[0]));
        }
    }

    [Fact]
    public void IntegersArePackedAsListpackIntegers()
    {
        var list = new ListValue();
        list.PushTail(B("12"));
        list.PushTail(B("-4000"));
        list.PushTail(B("9223372036854775807"));
        var entries = list.NodeEntries(0, out int count);
        Assert.Equal(3, count);
        Assert.Equal(2 + 3 + 10, entries.Length); // 7-bit int, 13-bit int, 64-bit int, each with a 1-byte back-length
        Assert.Equal(new[] { "12", "-4000", "9223372036854775807" }, list.Elements().Select(S));
    }

    [Fact]
    public void NodesWrapIntoListpacksThatDecodeToTheElements()
    {
        var rng = new Random(3);
        var list = new ListValue();
        var model = new List<string>();
        for (int i = 0; i < 5000; i++)
        {
            string v = RandomValue(rng);
            list.PushTail(B(v));
            model.Add(v);
        }
        AssertNodesWellFormed(list, model);
    }

    [Fact]
    public void CloneIsIndependent()
    {
        var list = new ListValue();
        list.PushTail(B("a"));
        list.PushTail(B("b"));
        var clone = (ListValue)list.DeepClone();
        list.Pop(head: true);
        clone.PushTail(B("c"));
        Assert.Equal(new[] { "b" }, list.Elements().Select(S));
        Assert.Equal(new[] { "a", "b", "c" }, clone.Elements().Select(S));
    }

    /// <summary>Every node but single-element ones stays within the node size and wraps into a valid listpack.</summary>
    private static void AssertNodesWellFormed(ListValue list, List<string> model, bool sizesChecked = true)
    {
        var all = new List<string>();
        for (int i = 0; i < list.NodeCount; i++)
        {
            var entries = list.NodeEntries(i, out int count);
            Assert.True(count > 0);
            Assert.True(!sizesChecked || entries.Length + 7 <= ListValue.NodeBytes || count == 1);
            var blob = new byte[entries.Length + Listpack.HeaderSize + 1];
            Listpack.WrapEntries(entries, count, blob);
            Assert.Equal(count, Listpack.Validate(blob));
            all.AddRange(Listpack.Decode(blob).Select(S));
        }
        Assert.Equal(model, all);
    }

    private static long RemoveFromModel(List<string> model, string target, int limit, bool fromTail)
    {
        var matches = Enumerable.Range(0, model.Count).Where(i => model[i] == target);
        if (fromTail) matches = matches.Reverse();
        var chosen = (limit == 0 ? matches : matches.Take(limit)).OrderDescending().ToList();
        foreach (int i in chosen) model.RemoveAt(i);
        return chosen.Count;
    }

    private static byte[] B(string s) => Encoding.ASCII.GetBytes(s);
    private static string S(byte[] b) => Encoding.ASCII.GetString(b);
    private static string S(ReadOnlySpan<byte> b) => Encoding.ASCII.GetString(b);
}
