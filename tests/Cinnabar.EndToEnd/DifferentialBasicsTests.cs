using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd;

/// <summary>Byte-for-byte comparison with a real Redis 7 for the basics and malformed input.</summary>
public sealed class DifferentialBasicsTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Fact]
    public void SetOptionsMatchRedis()
    {
        using var p = f.Pair();
        p.Same("SET", "diff:set", "v");
        p.Same("SET", "diff:set", "v2", "NX");
        p.Same("SET", "diff:set", "v3", "XX", "GET");
        p.Same("SET", "diff:set", "v3", "NX", "XX");
        p.Same("SET", "diff:set", "v3", "EX", "0");
        p.Same("SET", "diff:set", "v3", "EX", "abc");
        p.Same("SET", "diff:set", "v3", "EX", "10", "PX", "100");
        p.Same("SET", "diff:set", "v3", "KEEPTTL", "EX", "10");
        p.Same("SET", "diff:set", "v3", "EX");
        p.Same("SET", "diff:set", "v3", "PX", "9223372036854775807");
        p.Same("SET", "diff:set", "v4", "EX", "100", "GET");
        p.Same("GET", "diff:set");
        p.Same("SET", "diff:nokey", "x", "XX", "GET");
        p.Same("SET");
        p.Same("GET", "diff:set", "extra");
    }

    [Theory]
    [InlineData("*1\r\n$x\r\n")]
    [InlineData("*abc\r\n")]
    [InlineData("*2\r\n$3\r\nGET\r\n:1\r\n")]
    [InlineData("*1\r\n$-5\r\n")]
    [InlineData("*1\r\n$999999999999\r\n")]
    [InlineData("SET k \"unbalanced\r\n")]
    [InlineData("SET k \"a\"b\r\n")]
    public void ProtocolErrorsMatchRedisAndClose(string raw)
    {
        using var p = f.Pair();
        p.SameRaw(raw);
        Assert.True(p.Ours.IsClosedByServer());
    }

    [Fact]
    public void EmptyAndInlineCommandsMatchRedis()
    {
        using var p = f.Pair();
        p.SameRaw("\r\n*0\r\n*-1\r\nPING\r\n");
        p.SameRaw("ECHO \"\\x41\\n\"\r\n");
        p.SameRaw("nosuchcommand  a   b\n");
        p.SameRaw("ECHO 'it''s'\r\n"); // unbalanced: both answer the protocol error and close
    }
}
