using Cinnabar.EndToEnd.Infrastructure;
using static Cinnabar.EndToEnd.Infrastructure.ServerProcesses;

namespace Cinnabar.EndToEnd.Security;

/// <summary>The cinnabar-server executable with users, requirepass and rename-command in its config file.</summary>
public sealed class ConfigFileSecurityTests
{
    [Fact]
    public void UsersOfTheConfigFileAreRewrittenFromTheAclAsRedis()
    {
        var dir = TempDir();
        var conf = Path.Combine(dir, "redis.conf");
        int port = RealRedis.FreePort();
        File.WriteAllText(conf, $"port {port}\nsave \"\"\ndir {dir}\nrequirepass pw\n# users\nuser bob on\nuser carl off\nrename-command flushall \"\"\n");
        using (var p = new ServerProcess(conf))
        {
            using var c = p.Connect(port);
            Assert.Equal("-NOAUTH Authentication required.\r\n", c.Call("PING"));
            Assert.Equal("+OK\r\n", c.Call("AUTH", "pw"));
            Assert.StartsWith("-ERR unknown command 'FLUSHALL'", c.Call("FLUSHALL"));
            Assert.Equal("+OK\r\n", c.Call("ACL", "SETUSER", "zed", "on", ">z", "~*", "+@read"));
            Assert.Equal("+OK\r\n", c.Call("CONFIG", "REWRITE"));
            var lines = File.ReadAllLines(conf);
            // As redis-server 7.0.15 rewrites it: the file's user lines replaced in name order, the rest appended.
            Assert.Equal("user bob on resetchannels -@all", lines[5]);
            Assert.Equal("user carl off resetchannels -@all", lines[6]);
            Assert.Equal("rename-command flushall \"\"", lines[7]);
            Assert.Contains("user default on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~* &* +@all", lines);
            Assert.Contains("user zed on #594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06 ~* resetchannels -@all +@read", lines);
            c.Send("SHUTDOWN", "NOSAVE");
            Assert.Equal(0, p.WaitExit());
        }
        // The rewritten file starts the same users.
        using (var p = new ServerProcess(conf))
        {
            using var c = p.Connect(port);
            Assert.Equal("+OK\r\n", c.Call("AUTH", "zed", "z"));
            Assert.StartsWith("-NOPERM", c.Call("SET", "k", "v"));
            Assert.Equal("+OK\r\n", c.Call("AUTH", "pw"));
            c.Send("SHUTDOWN", "NOSAVE");
            Assert.Equal(0, p.WaitExit());
        }
    }

    [Fact]
    public void AnInvalidUserStopsStartUpAsRedis()
    {
        var dir = TempDir();
        var conf = Path.Combine(dir, "bad.conf");
        File.WriteAllText(conf, "port 0\nuser alice on +nosuch\n");
        using var p = new ServerProcess(conf);
        Assert.Equal(1, p.WaitExit());
        Assert.Contains("Error loading ACL rule '+nosuch' for the user named 'alice': Unknown command or category name in ACL", p.Output);
    }
}
