using System.Text;
using Cinnabar.DataTypes;

namespace Cinnabar.Tests.DataTypes;

public class ListValueTests
{
    [Fact]
    public void RandomOperationsMatchAReferenceList()
    {
        var rng = new Random(5);
        var list = new ListValue();
        var model = new List<string>();
        for (int step = 0; step < 50_000; step++)
        {
            string v = rng.Next(1000).ToString();
            switch (rng.Next(9))
            {
                case 0: list.PushHead(B(v)); model.Insert(0, v); break;
                case 1: list.PushTail(B(v)); model.Add(v); break;
                case 2 when model.Count > 0: Assert.Equal(model[0], S(list.PopHead())); model.RemoveAt(0); break;
                case 3 when model.Count > 0: Assert.Equal(model[^1], S(list.PopTail())); model.RemoveAt(model.Count - 1); break;
                case 4:
                    {
                        int at = rng.Next(model.Count + 1);
                        list.InsertAt(at, B(v));
                        model.Insert(at, v);
                        break;
                    }
                case 5 when model.Count > 0:
                    {
                        int at = rng.Next(model.Count);
                        list[at] = B(v);
                        model[at] = v;
                        break;
                    }
                case 6 when model.Count > 0:
                    {
                        string target = model[rng.Next(model.Count)];
                        list.RemoveWhere(i => S(list[i]) == target);
                        model.RemoveAll(x => x == target);
                        break;
                    }
                case 7 when model.Count > 2 && rng.Next(20) == 0:
                    {
                        int head = rng.Next(model.Count / 2), tail = rng.Next(model.Count / 2);
                        list.Trim(head, tail);
                        model.RemoveRange(model.Count - tail, tail);
                        model.RemoveRange(0, head);
                        break;
                    }
                default:
                    if (model.Count > 0)
                    {
                        int at = rng.Next(model.Count);
                        Assert.Equal(model[at], S(list[at]));
                    }
                    break;
            }
            Assert.Equal(model.Count, list.Count);
        }
        Assert.Equal(model, list.Elements().Select(S));
    }

    [Fact]
    public void CloneIsIndependent()
    {
        var list = new ListValue();
        list.PushTail(B("a"));
        list.PushTail(B("b"));
        var clone = (ListValue)list.DeepClone();
        list.PopHead();
        clone.PushTail(B("c"));
        Assert.Equal(new[] { "b" }, list.Elements().Select(S));
        Assert.Equal(new[] { "a", "b", "c" }, clone.Elements().Select(S));
    }

    private static byte[] B(string s) => Encoding.ASCII.GetBytes(s);
    private static string S(byte[] b) => Encoding.ASCII.GetString(b);
}
