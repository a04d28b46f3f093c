using Cinnabar.Config;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Security;

/// <summary>Authentication and users seen from clients: redis-cli, the dispatch flag, CLIENT LIST/KILL, users from the config and the aclfile.</summary>
public sealed class AuthClientTests
{
    [Fact]
    public async Task OnlyClientsThatNeedAChecksPayForIt()
    {
        await using var s = new TestServer();
        using var open = s.Raw();
        Assert.Equal("+PONG\r\n", open.Call("PING"));
        // The default user, no password, all permissions: dispatch tests one flag and nothing else.
        Assert.All(s.Server.Clients, c => Assert.False(c.SecurityCheck));
        open.Call("ACL", "SETUSER", "limited", "on", ">p", "~k*", "+get");
        open.Call("CONFIG", "SET", "requirepass", "pw");
        using var late = s.Raw();
        Assert.Equal("-NOAUTH Authentication required.\r\n", late.Call("GET", "k"));
        Assert.True(s.Server.Clients.Single(c => c.Id == ClientId(open)).SecurityCheck == false);
        Assert.Equal("+OK\r\n", late.Call("AUTH", "pw"));
        Assert.Equal("$-1\r\n", late.Call("GET", "k"));
        Assert.Equal("+OK\r\n", late.Call("AUTH", "limited", "p"));
        Assert.Equal("-NOPERM this user has no permissions to run the 'set' command\r\n", late.Call("SET", "k", "v"));
        // Giving the user every permission clears its clients' flag at once.
        open.Call("ACL", "SETUSER", "limited", "allkeys", "allchannels", "allcommands");
        Assert.Equal("+OK\r\n", late.Call("SET", "k", "v"));
        Assert.All(s.Server.Clients, c => Assert.False(c.SecurityCheck));
    }

    private static long ClientId(RespClient c) => long.Parse(c.Call("CLIENT", "ID")[1..^2]);

    [Fact]
    public async Task RedisCliAuthenticatesWithDashAUserPassAndInteractiveAuth()
    {
        Assert.True(RedisCli.Available);
        await using var s = new TestServer(c => c.RequirePass = "s3cret");
        using (var admin = s.Raw())
        {
            admin.Call("AUTH", "s3cret");
            admin.Call("ACL", "SETUSER", "cli", "on", ">cp", "~*", "+@all");
        }
        Assert.Equal("NOAUTH Authentication required.", s.Cli("PING"));
        Assert.Equal("PONG", s.Cli("-a", "s3cret", "--no-auth-warning", "PING"));
        Assert.Equal("cli", s.Cli("--user", "cli", "--pass", "cp", "--no-auth-warning", "ACL", "WHOAMI"));
        // A refused AUTH is reported on stderr; the command then meets NOAUTH.
        Assert.Equal("NOAUTH Authentication required.", s.Cli("--user", "cli", "--pass", "bad", "--no-auth-warning", "PING"));
        var interactive = RedisCli.RunWithInput(s.Port, "AUTH cli cp\nACL WHOAMI\n");
        Assert.Equal("OK\ncli", interactive.Trim());
    }

    [Fact]
    public async Task ClientListShowsTheUserAndClientKillUserClosesItsConnections()
    {
        await using var s = new TestServer();
        using var admin = s.Raw();
        admin.Call("ACL", "SETUSER", "k-user", "on", ">p", "~*", "+@all");
        using var a = s.Raw();
        using var b = s.Raw();
        a.Call("AUTH", "k-user", "p");
        b.Call("AUTH", "k-user", "p");
        Assert.Contains("user=k-user", a.Call("CLIENT", "INFO"));
        Assert.Contains("user=default", admin.Call("CLIENT", "INFO"));
        Assert.Equal(2, admin.Call("CLIENT", "LIST").Split('\n').Count(l => l.Contains("user=k-user")));
        Assert.Equal("-ERR No such user 'nobody'\r\n", admin.Call("CLIENT", "KILL", "USER", "nobody"));
        Assert.Equal(":2\r\n", admin.Call("CLIENT", "KILL", "USER", "k-user"));
        Assert.True(a.IsClosedByServer());
        Assert.True(b.IsClosedByServer());
        Assert.Equal("+PONG\r\n", admin.Call("PING"));
    }

    [Fact]
    public async Task ResetReturnsToTheDefaultUserAndToNoauth()
    {
        await using var s = new TestServer(c => c.RequirePass = "pw");
        using var c = s.Raw();
        Assert.Equal("+OK\r\n", c.Call("AUTH", "pw"));
        c.Call("ACL", "SETUSER", "r-user", "on", ">p", "~*", "+@all");
        Assert.Equal("+OK\r\n", c.Call("AUTH", "r-user", "p"));
        Assert.Equal("+RESET\r\n", c.Call("RESET"));
        Assert.Equal("-NOAUTH Authentication required.\r\n", c.Call("ACL", "WHOAMI"));
        Assert.Equal("+OK\r\n", c.Call("AUTH", "pw"));
        Assert.Equal("$7\r\ndefault\r\n", c.Call("ACL", "WHOAMI"));
    }

    [Fact]
    public async Task BlockingCommandsAreCheckedBeforeTheyBlock()
    {
        await using var s = new TestServer();
        using var admin = s.Raw();
        admin.Call("ACL", "SETUSER", "b-user", "on", ">p", "~mine*", "+blpop", "+brpop");
        using var c = s.Raw();
        c.Call("AUTH", "b-user", "p");
        Assert.Equal("-NOPERM this user has no permissions to access one of the keys used as arguments\r\n", c.Call("BLPOP", "mine", "other", "0"));
        Assert.Equal("-NOPERM this user has no permissions to run the 'blmove' command\r\n", c.Call("BLMOVE", "mine", "mine2", "LEFT", "LEFT", "0"));
        c.Send("BRPOP", "mine", "0");
        admin.Call("RPUSH", "mine", "x");
        Assert.Equal("*2\r\n$4\r\nmine\r\n$1\r\nx\r\n", c.ReadReply());
    }

    [Fact]
    public async Task UserDirectivesOfTheConfigFileCreateUsers()
    {
        await using var s = new TestServer(c =>
        {
            c.UserDirectives.Add(["alice", "on", ">apw", "~a*", "+get", "(", "~b*", "+set", ")"]);
            c.UserDirectives.Add(["default", "on", "nopass", "~*", "&*", "+@all", "-flushall"]);
        });
        using var c = s.Raw();
        Assert.Equal("-NOPERM this user has no permissions to run the 'flushall' command\r\n", c.Call("FLUSHALL"));
        Assert.Equal("+OK\r\n", c.Call("AUTH", "alice", "apw"));
        Assert.Equal("$-1\r\n", c.Call("GET", "a1"));
        Assert.Equal("+OK\r\n", c.Call("SET", "b1", "v"));
        Assert.StartsWith("-NOPERM", c.Call("SET", "a1", "v"));

        var e = Assert.Throws<ConfigException>(() => new TestServer(c => c.UserDirectives.Add(["bob", "on", "+nosuch"])));
        Assert.StartsWith("Error loading ACL rule '+nosuch' for the user named 'bob': Unknown command or category name in ACL", e.Message);
    }

    [Fact]
    public void UserDirectivesAndAnAclFileCannotBeCombined()
    {
        var file = Path.GetTempFileName();
        try
        {
            var e = Assert.Throws<ConfigException>(() => new TestServer(c =>
            {
                c.AclFile = file;
                c.UserDirectives.Add(["bob", "on"]);
            }));
            Assert.StartsWith("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid.", e.Message);
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public async Task AclFileLoadAndSaveAsRedis()
    {
        var dir = Directory.CreateTempSubdirectory("cinnabar-acl-").FullName;
        try
        {
            var ours = Path.Combine(dir, "ours.acl");
            var theirs = Path.Combine(dir, "theirs.acl");
            const string initial = "user alice on >pw ~* +@all\nuser default on nopass ~* &* +@all\n";
            File.WriteAllText(ours, initial);
            File.WriteAllText(theirs, initial);
            using var redis = new RealRedis("--aclfile", theirs);
            await using var s = new TestServer(c => c.AclFile = ours);
            using var p = new DiffPair(redis.Connect(), s.Raw());
            p.Same("ACL", "LIST");
            using var alice = new DiffPair(redis.Connect(), s.Raw());
            alice.Same("AUTH", "alice", "pw");
            // A file with errors is refused whole; every error is named with its line, as Redis.
            const string bad = "user bob on >x +nosuch\nfoo bar\n# comment\nuser alice on\nuser alice off\nuser  (~x\n";
            File.WriteAllText(ours, bad);
            File.WriteAllText(theirs, bad);
            Assert.Equal(p.Redis.Call("ACL", "LOAD").Replace(theirs, "PATH"), p.Ours.Call("ACL", "LOAD").Replace(ours, "PATH"));
            p.Same("ACL", "LIST");
            alice.Same("ACL", "WHOAMI");
            // A good file replaces the users; alice's connection goes with her old user.
            File.WriteAllText(ours, "user bob on >x\n");
            File.WriteAllText(theirs, "user bob on >x\n");
            p.Same("ACL", "LOAD");
            p.Same("ACL", "LIST");
            Assert.True(alice.Ours.IsClosedByServer());
            Assert.True(alice.Redis.IsClosedByServer());
            p.Same("ACL", "SETUSER", "zed", "on", "~a", "(+get ~b)");
            p.Same("ACL", "SAVE");
            Assert.Equal(File.ReadAllText(theirs), File.ReadAllText(ours));
            File.Delete(ours);
            File.Delete(theirs);
            Assert.Equal(p.Redis.Call("ACL", "LOAD").Replace(theirs, "PATH"), p.Ours.Call("ACL", "LOAD").Replace(ours, "PATH"));
        }
        finally { Directory.Delete(dir, true); }
    }
}
