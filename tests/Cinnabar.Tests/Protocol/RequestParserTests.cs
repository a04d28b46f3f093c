using System.Text;
using Cinnabar.Protocol;

namespace Cinnabar.Tests.Protocol;

public class RequestParserTests
{
    private static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    private static List<string[]> ParseAll(RequestParser parser, byte[] buffer, out ParseStatus last, out int consumed)
    {
        var result = new List<string[]>();
        int pos = 0;
        while (true)
        {
            last = parser.Parse(buffer, ref pos, buffer.Length);
            if (last == ParseStatus.Complete)
                result.Add(parser.Args.ToArray().Select(a => Encoding.Latin1.GetString(buffer, a.Offset, a.Length)).ToArray());
            else if (last != ParseStatus.Empty) break;
        }
        consumed = pos;
        return result;
    }

    [Fact]
    public void ParsesMultibulkCommand()
    {
        var cmds = ParseAll(new RequestParser(), B("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"), out var last, out _);
        Assert.Equal(ParseStatus.Incomplete, last);
        Assert.Equal(new[] { "SET", "k", "hello" }, Assert.Single(cmds));
    }

    [Fact]
    public void ParsesManyPipelinedCommandsInOneBuffer()
    {
        var text = string.Concat(Enumerable.Range(0, 100).Select(i => $"*2\r\n$3\r\nGET\r\n${i.ToString().Length}\r\n{i}\r\n"));
        var cmds = ParseAll(new RequestParser(), B(text), out _, out int consumed);
        Assert.Equal(100, cmds.Count);
        Assert.Equal("99", cmds[99][1]);
        Assert.Equal(text.Length, consumed);
    }

    [Fact]
    public void BinaryPayloadWithCrLfAndNulIsKeptIntact()
    {
        var value = "a\r\nb\0c\xff";
        var cmds = ParseAll(new RequestParser(), B($"*2\r\n$4\r\nECHO\r\n${value.Length}\r\n{value}\r\n"), out _, out _);
        Assert.Equal(value, cmds[0][1]);
    }

    [Fact]
    public void ResumesAcrossEveryPossibleSplitPoint()
    {
        var full = B("*3\r\n$3\r\nSET\r\n$10\r\nkey\r\nwith\0\r\n$0\r\n\r\nPING\r\n*1\r\n$4\r\nPING\r\n");
        for (int split = 0; split <= full.Length; split++)
        {
            var parser = new RequestParser();
            var buffer = new byte[full.Length];
            var seen = new List<string[]>();
            int pos = 0, cmdStart = 0;
            Array.Copy(full, buffer, split);
            foreach (int end in new[] { split, full.Length })
            {
                if (end == full.Length) Array.Copy(full, split, buffer, split, full.Length - split);
                while (true)
                {
                    var st = parser.Parse(buffer, ref pos, end);
                    if (st == ParseStatus.Complete)
                    {
                        seen.Add(parser.Args.ToArray().Select(a => Encoding.Latin1.GetString(buffer, a.Offset, a.Length)).ToArray());
                        cmdStart = pos;
                    }
                    else if (st == ParseStatus.Empty) cmdStart = pos;
                    else
                    {
                        Assert.Equal(ParseStatus.Incomplete, st);
                        break;
                    }
                }
            }
            Assert.Equal(3, seen.Count);
            Assert.Equal(new[] { "SET", "key\r\nwith\0", "" }, seen[0]);
            Assert.Equal(new[] { "PING" }, seen[1]);
            Assert.Equal(new[] { "PING" }, seen[2]);
            Assert.Equal(full.Length, cmdStart);
        }
    }

    [Fact]
    public void ArgumentOffsetsFollowBufferCompaction()
    {
        var parser = new RequestParser();
        var buf = B("XXXX*2\r\n$4\r\nECHO\r\n$5\r\nhel");
        int pos = 4;
        Assert.Equal(ParseStatus.Incomplete, parser.Parse(buf, ref pos, buf.Length));
        // Move the partial command to the front, as the connection does, then deliver the rest.
        var moved = new byte[64];
        Array.Copy(buf, 4, moved, 0, buf.Length - 4);
        parser.Shift(-4);
        pos -= 4;
        int end = buf.Length - 4;
        foreach (var b in B("lo\r\n")) moved[end++] = b;
        Assert.Equal(ParseStatus.Complete, parser.Parse(moved, ref pos, end));
        var a = parser.Args[1];
        Assert.Equal("hello", Encoding.ASCII.GetString(moved, a.Offset, a.Length));
    }

    [Theory]
    [InlineData("PING\r\n", new[] { "PING" })]
    [InlineData("PING\n", new[] { "PING" })]
    [InlineData("  SET   a    b  \r\n", new[] { "SET", "a", "b" })]
    [InlineData("SET k \"a b\\x41\\n\"\r\n", new[] { "SET", "k", "a bA\n" })]
    [InlineData("SET k 'it\\'s'\r\n", new[] { "SET", "k", "it's" })]
    [InlineData("SET k \"\"\r\n", new[] { "SET", "k", "" })]
    [InlineData("SET k a\"b c\"\r\n", new[] { "SET", "k", "ab c" })]
    public void ParsesInlineCommandsLikeSdssplitargs(string input, string[] expected)
    {
        var cmds = ParseAll(new RequestParser(), B(input), out _, out _);
        Assert.Equal(expected, Assert.Single(cmds));
    }

    [Theory]
    [InlineData("*abc\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*3000000000\r\n", "Protocol error: invalid multibulk length")]
    [InlineData("*1\r\n:5\r\n", "Protocol error: expected '$', got ':'")]
    [InlineData("*1\r\n$-1\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$01\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$+1\r\n", "Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$536870913\r\n", "Protocol error: invalid bulk length")]
    [InlineData("SET k \"open\r\n", "Protocol error: unbalanced quotes in request")]
    [InlineData("SET k \"a\"b\r\n", "Protocol error: unbalanced quotes in request")]
    public void RejectsMalformedInputWithRedisErrors(string input, string error)
    {
        var parser = new RequestParser();
        ParseAll(parser, B(input), out var last, out _);
        Assert.Equal(ParseStatus.Error, last);
        Assert.Equal(error, parser.Error);
    }

    [Fact]
    public void EmptyCommandsAreSkipped()
    {
        var cmds = ParseAll(new RequestParser(), B("*0\r\n*-1\r\n\r\n   \r\n*1\r\n$4\r\nPING\r\n"), out _, out _);
        Assert.Equal(new[] { "PING" }, Assert.Single(cmds));
    }

    [Fact]
    public void OverlongHeaderWithoutNewlineIsAnError()
    {
        var parser = new RequestParser();
        ParseAll(parser, B("*1\r\n$" + new string('1', 70000)), out var last, out _);
        Assert.Equal(ParseStatus.Error, last);
        Assert.Equal("Protocol error: too big bulk count string", parser.Error);

        parser = new RequestParser();
        ParseAll(parser, B(new string('a', 70000)), out last, out _);
        Assert.Equal("Protocol error: too big inline request", parser.Error);
    }

    [Fact]
    public void ReportsPendingBulkBytesSoTheBufferCanGrowOnce()
    {
        var parser = new RequestParser();
        var buf = B("*2\r\n$3\r\nSET\r\n$1000000\r\nabc");
        int pos = 0;
        Assert.Equal(ParseStatus.Incomplete, parser.Parse(buf, ref pos, buf.Length));
        Assert.Equal(1000002, parser.PendingBulkBytes);
    }

    [Fact]
    public void RandomGarbageNeverThrows()
    {
        var rng = new Random(42);
        var alphabet = B("*$\r\n0123456789-+abc\" '\\x");
        for (int i = 0; i < 20000; i++)
        {
            var buf = new byte[rng.Next(1, 40)];
            for (int j = 0; j < buf.Length; j++) buf[j] = alphabet[rng.Next(alphabet.Length)];
            var parser = new RequestParser();
            int pos = 0;
            for (int k = 0; k < 50; k++)
            {
                var st = parser.Parse(buf, ref pos, buf.Length);
                if (st is ParseStatus.Incomplete or ParseStatus.Error) break;
                Assert.InRange(pos, 0, buf.Length);
            }
        }
    }
}
