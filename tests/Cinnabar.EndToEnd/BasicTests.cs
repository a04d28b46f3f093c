using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd;

public sealed class BasicTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private TestServer S => fixture.Server;

    [Fact]
    public void PingAndEchoAnswerLikeRedis()
    {
        using var c = S.Raw();
        Assert.Equal("+PONG\r\n", c.Call("PING"));
        Assert.Equal("$5\r\nhello\r\n", c.Call("PING", "hello"));
        Assert.Equal("$0\r\n\r\n", c.Call("ECHO", ""));
        Assert.Equal("-ERR wrong number of arguments for 'echo' command\r\n", c.Call("ECHO"));
    }

    [Fact]
    public void UnknownCommandErrorNamesItsArguments()
    {
        using var c = S.Raw();
        Assert.Equal("-ERR unknown command 'nosuch', with args beginning with: 'a' 'b' \r\n", c.Call("nosuch", "a", "b"));
    }

    [Fact]
    public void SetGetRoundTripsBinaryThroughStackExchangeRedis()
    {
        var db = S.Db();
        byte[] value = [0, 13, 10, 255, 254, (byte)'x', 0];
        byte[] key = [1, 13, 10, 0, 200];
        Assert.True(db.StringSet(key, value));
        Assert.Equal(value, (byte[]?)db.StringGet(key));
    }

    [Fact]
    public void InlineCommandsAreAccepted()
    {
        using var c = S.Raw();
        c.SendRaw("PING\r\n");
        Assert.Equal("+PONG\r\n", c.ReadReply());
        c.SendRaw("SET inline:k \"a b\\x41\"\r\nGET inline:k\r\n");
        Assert.Equal("+OK\r\n", c.ReadReply());
        Assert.Equal("$4\r\na bA\r\n", c.ReadReply());
    }

    [Fact]
    public void RedisCliTalksToTheServer()
    {
        if (!RedisCli.Available) return;
        Assert.Equal("PONG", S.Cli("PING"));
        Assert.Equal("OK", S.Cli("SET", "cli:k", "v"));
        Assert.Equal("v", S.Cli("GET", "cli:k"));
    }
}
