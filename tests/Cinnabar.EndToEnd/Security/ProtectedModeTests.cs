using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Security;

/// <summary>Protected mode, bind addresses, rename-command and protected configs.</summary>
public sealed class ProtectedModeTests
{
    /// <summary>An IPv4 address of this host that is not loopback: connecting to it comes from outside the loopback interface.</summary>
    private static IPAddress ExternalAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .First(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));

    private static string ReadUntilClosed(string host, int port)
    {
        using var tcp = new TcpClient(host, port);
        using var stream = tcp.GetStream();
        stream.ReadTimeout = 5000;
        var ms = new MemoryStream();
        stream.CopyTo(ms);
        return System.Text.Encoding.ASCII.GetString(ms.ToArray());
    }

    [Fact]
    public async Task WithoutAPasswordOnlyLoopbackClientsAreServedAsRedisDeniesTheOthers()
    {
        var external = ExternalAddress().ToString();
        using var redis = new RealRedis("--bind", "*", "-::*");
        await using var s = new TestServer(c => c.Bind = ["*", "-::*"]);
        var expected = ReadUntilClosed(external, redis.Port);
        Assert.StartsWith("-DENIED Redis is running in protected mode", expected);
        Assert.Equal(expected, ReadUntilClosed(external, s.Port));
        Assert.Contains("rejected_connections:1", s.Cli("INFO", "stats"));
        // Loopback, IPv4 and IPv6, is served.
        using (var local = s.Raw()) Assert.Equal("+PONG\r\n", local.Call("PING"));
        using (var v6 = new RespClient("::1", s.Port)) Assert.Equal("+PONG\r\n", v6.Call("PING"));
        // A password for the default user, or protected-mode no, opens the other interfaces.
        s.Cli("CONFIG", "SET", "requirepass", "pw");
        using (var outside = new RespClient(external, s.Port)) Assert.Equal("-NOAUTH Authentication required.\r\n", outside.Call("PING"));
        s.Cli("-a", "pw", "--no-auth-warning", "CONFIG", "SET", "requirepass", "");
        s.Cli("CONFIG", "SET", "protected-mode", "no");
        using (var outside = new RespClient(external, s.Port)) Assert.Equal("+PONG\r\n", outside.Call("PING"));
    }

    [Fact]
    public async Task BindTakesSeveralAddressesIpv6AndOptionalOnes()
    {
        // 192.0.2.77 is TEST-NET: not an address of this host, so the optional form is skipped.
        await using var s = new TestServer(c => c.Bind = ["127.0.0.1", "::1", "-192.0.2.77"]);
        using (var v4 = new RespClient("127.0.0.1", s.Port)) Assert.Equal("+PONG\r\n", v4.Call("PING"));
        using (var v6 = new RespClient("::1", s.Port)) Assert.Equal("+PONG\r\n", v6.Call("PING"));
        Assert.Equal("bind\n127.0.0.1 ::1 -192.0.2.77", s.Cli("CONFIG", "GET", "bind"));
        // The same address without "-" is required: start-up fails as redis-server's does.
        Assert.ThrowsAny<SocketException>(() => new TestServer(c => c.Bind = ["127.0.0.1", "192.0.2.77"]));
    }

    [Fact]
    public void TheServerProcessStartsWithRedisDefaultBind()
    {
        int port = RealRedis.FreePort();
        using var p = new ServerProcesses.ServerProcess("--port", port.ToString(), "--bind", "*", "-::*", "--save", "");
        using var c = p.Connect(port);
        Assert.Equal("+PONG\r\n", c.Call("PING"));
        Assert.Equal("*2\r\n$4\r\nbind\r\n$6\r\n* -::*\r\n", c.Call("CONFIG", "GET", "bind"));
    }

    [Fact]
    public async Task RenameCommandRenamesOrDisablesButAclRulesKeepTheOriginalNames()
    {
        await using var s = new TestServer(c =>
        {
            c.RenamedCommands.Add(("config", "cfg"));
            c.RenamedCommands.Add(("flushall", ""));
        });
        using var c = s.Raw();
        Assert.Equal("*2\r\n$2\r\nhz\r\n$2\r\n10\r\n", c.Call("CFG", "GET", "hz"));
        // Right after the new name (dispatch tries the last command first), the old one is still unknown.
        Assert.StartsWith("-ERR unknown command 'CONFIG'", c.Call("CONFIG", "GET", "hz"));
        Assert.StartsWith("-ERR unknown command 'FLUSHALL'", c.Call("FLUSHALL"));
        Assert.Equal("+OK\r\n", c.Call("ACL", "SETUSER", "r", "on", "nopass", "+config|get", "-flushall"));
        Assert.Equal("+OK\r\n", c.Call("AUTH", "r", "x"));
        Assert.Equal("*2\r\n$2\r\nhz\r\n$2\r\n10\r\n", c.Call("CFG", "GET", "hz"));
        Assert.Equal("-NOPERM this user has no permissions to run the 'config|set' command\r\n", c.Call("CFG", "SET", "hz", "11"));
    }

    [Fact]
    public async Task ProtectedConfigsNeedEnableProtectedConfigs()
    {
        using var redis = new RealRedis();
        await using var s = new TestServer();
        using var p = new DiffPair(redis.Connect(), s.Raw());
        p.Same("CONFIG", "SET", "dir", "/tmp");
        p.Same("CONFIG", "SET", "dbfilename", "x.rdb");
        p.Same("CONFIG", "SET", "hz", "11", "dbfilename", "x.rdb");
        p.Same("CONFIG", "GET", "hz");
        p.Same("CONFIG", "SET", "enable-protected-configs", "yes");
        p.Same("CONFIG", "GET", "enable-protected-configs");
        await using var open = new TestServer(c => c.EnableProtectedConfigs = Cinnabar.Config.ProtectedAction.Local);
        Assert.Equal("OK", open.Cli("CONFIG", "SET", "dbfilename", "x.rdb"));
        Assert.Equal("dbfilename\nx.rdb", open.Cli("CONFIG", "GET", "dbfilename"));
    }
}
