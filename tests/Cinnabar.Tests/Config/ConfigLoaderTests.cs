using Cinnabar.Config;

namespace Cinnabar.Tests.Config;

public sealed class ConfigLoaderTests
{
    private static ServerConfig Load(string text)
    {
        var c = new ServerConfig();
        ConfigLoader.LoadFromString(c, text, Path.GetTempPath());
        return c;
    }

    [Fact]
    public void SplitArgsHandlesQuotesAndEscapes()
    {
        Assert.Equal(["a", "b c", "d\"e", "x\ny", "A"], ConfigLoader.SplitArgs("a \"b c\" \"d\\\"e\" \"x\\ny\" \"\\x41\""));
        Assert.Equal(["it's", ""], ConfigLoader.SplitArgs("'it\\'s' ''"));
        Assert.Equal(["save", ""], ConfigLoader.SplitArgs("save \"\""));
        Assert.Null(ConfigLoader.SplitArgs("a \"unterminated"));
        Assert.Null(ConfigLoader.SplitArgs("\"closed\"glued"));
        Assert.Empty(ConfigLoader.SplitArgs("   ")!);
    }

    [Fact]
    public void MemoryUnitsFollowRedis()
    {
        Assert.Equal(1L << 30, Load("repl-backlog-size 1gb").ReplBacklogSize);
        Assert.Equal(100L << 20, Load("repl-backlog-size 100mb").ReplBacklogSize);
        Assert.Equal(100_000_000, Load("repl-backlog-size 100m").ReplBacklogSize);
        Assert.Equal(1024, Load("repl-backlog-size 1KB").ReplBacklogSize);
        Assert.Equal(1000, Load("repl-backlog-size 1k").ReplBacklogSize);
        Assert.Equal(12345, Load("repl-backlog-size 12345").ReplBacklogSize);
    }

    [Fact]
    public void CommentsBlankLinesAndCaseInsensitiveNames()
    {
        var c = Load("# comment\n\n   \nHZ 20\r\nMaxMemory-Policy allkeys-lru\n");
        Assert.Equal(20, c.Hz);
        Assert.Equal(MaxMemoryPolicy.AllKeysLru, c.MaxMemoryPolicy);
    }

    [Fact]
    public void BadLineNamesTheLineAndReason()
    {
        var ex = Assert.Throws<ConfigException>(() => Load("hz 10\nmaxmemory lots\n"));
        Assert.Contains("*** FATAL CONFIG FILE ERROR", ex.Message);
        Assert.Contains("at line 2", ex.Message);
        Assert.Contains(">>> 'maxmemory lots'", ex.Message);
        Assert.Contains("argument must be a memory value", ex.Message);
        Assert.Contains("Bad directive or wrong number of arguments", Assert.Throws<ConfigException>(() => Load("nosuchthing 1")).Message);
        Assert.Contains("Unbalanced quotes", Assert.Throws<ConfigException>(() => Load("dir \"/tmp")).Message);
    }

    /// <summary>Enumerated and yes/no parameters: Redis' words in any case, Redis' errors (from redis-server 7.0.15).</summary>
    [Fact]
    public void EnumeratedParametersTakeRedisWordsAndGiveRedisErrors()
    {
        var c = Load("daemonize YES\nsyslog-enabled NO\nsupervised Systemd\nenable-debug-command local\nloglevel nothing\nappendfsync always\n");
        Assert.True(c.Daemonize);
        Assert.False(c.Syslog);
        Assert.Equal(SupervisedMode.Systemd, c.SupervisedMode);
        Assert.Equal(ProtectedAction.Local, c.EnableDebugCommand);
        Assert.Equal(LogVerbosity.Nothing, c.LogLevel);
        Assert.Equal(AppendFsyncMode.Always, c.AppendFsync);
        Assert.Equal("nothing", ServerConfig.Find("loglevel")!.Get(c));
        Assert.Equal("local", ServerConfig.Find("enable-debug-command")!.Get(c));
        Assert.Equal("yes", ServerConfig.Find("daemonize")!.Get(c));
        Assert.Contains("argument must be 'yes' or 'no'", Assert.Throws<ConfigException>(() => Load("daemonize maybe")).Message);
        Assert.Contains("argument must be 'yes' or 'no'", Assert.Throws<ConfigException>(() => Load("syslog-enabled maybe")).Message);
        Assert.Contains("argument(s) must be one of the following: upstart, systemd, auto, no", Assert.Throws<ConfigException>(() => Load("supervised maybe")).Message);
        Assert.Contains("argument(s) must be one of the following: no, yes, local", Assert.Throws<ConfigException>(() => Load("enable-debug-command maybe")).Message);
        Assert.Contains("argument(s) must be one of the following: debug, verbose, notice, warning", Assert.Throws<ConfigException>(() => Load("loglevel maybe")).Message);
    }

    [Fact]
    public void IncludeReadsAnotherFileRelativeToTheFirst()
    {
        var dir = Directory.CreateTempSubdirectory("cinnabar-cfg").FullName;
        File.WriteAllText(Path.Combine(dir, "extra.conf"), "hz 33\n");
        File.WriteAllText(Path.Combine(dir, "main.conf"), "include extra.conf\nmaxclients 77\n");
        var c = ConfigLoader.FromArguments([Path.Combine(dir, "main.conf")]);
        Assert.Equal(33, c.Hz);
        Assert.Equal(77, c.MaxClients);
        Assert.Equal(Path.Combine(dir, "main.conf"), c.ConfigFile);
        Assert.Contains("Can't open include file", Assert.Throws<ConfigException>(() => Load("include /no/such/file.conf")).Message);
    }

    [Fact]
    public void CommandLineOverridesFileAndEmptySaveDisablesSnapshots()
    {
        var dir = Directory.CreateTempSubdirectory("cinnabar-cfg").FullName;
        var path = Path.Combine(dir, "r.conf");
        File.WriteAllText(path, "port 7000\nsave 900 1\n");
        var c = ConfigLoader.FromArguments([path, "--port", "7001", "--save", ""]);
        Assert.Equal(7001, c.Port);
        Assert.Empty(c.SavePoints);
        Assert.Empty(ConfigLoader.FromArguments(["--save"]).SavePoints);
        Assert.Equal([900L, 1, 300, 10], ConfigLoader.FromArguments(["--save", "900", "1", "300", "10"]).SavePoints);
        Assert.Equal(["127.0.0.1", "::1"], ConfigLoader.FromArguments(["--bind", "127.0.0.1", "::1"]).Bind);
        Assert.Throws<ConfigException>(() => ConfigLoader.FromArguments(["/no/such/redis.conf"]));
    }

    [Fact]
    public void RewriteKeepsCommentsOrderAndUnknownLines()
    {
        var c = new ServerConfig { Hz = 25, MaxMemory = 1 << 20, SavePoints = [] };
        var text = ConfigRewriter.RewriteText(c, ["# top", "hz 10", "rename-command FOO BAR", "hz 11", "", "port 6379"]);
        var lines = text.Split('\n');
        Assert.Equal("# top", lines[0]);
        Assert.Equal("hz 25", lines[1]);
        Assert.Equal("rename-command FOO BAR", lines[2]);
        Assert.Equal("", lines[3]); // the duplicate hz line is gone
        Assert.Equal("port 6379", lines[4]);
        Assert.Equal("# Generated by CONFIG REWRITE", lines[5]);
        Assert.Contains("maxmemory 1048576", lines);
        Assert.Contains("save \"\"", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("maxclients"));
        // Rewriting again keeps the values; as in Redis the marker only precedes newly appended lines.
        var again = ConfigRewriter.RewriteText(c, text.TrimEnd('\n').Split('\n'));
        Assert.Equal(text.Replace("# Generated by CONFIG REWRITE\n", ""), again);
    }
}

public sealed class ProcessSettingsConfigTests
{
    private static ServerConfig Load(string text)
    {
        var c = new ServerConfig();
        ConfigLoader.LoadFromString(c, text, Path.GetTempPath());
        return c;
    }

    [Fact]
    public void SyslogIsRefusedRatherThanIgnored()
    {
        Assert.False(Load("syslog-enabled no").Syslog);
        var ex = Assert.Throws<ConfigException>(() => Load("syslog-enabled yes"));
        Assert.Contains("syslog is not supported", ex.Message);
    }

    [Fact]
    public void UnixSocketPermissionsAreOctal()
    {
        var c = Load("unixsocket /tmp/x.sock\nunixsocketperm 770");
        Assert.Equal("/tmp/x.sock", c.UnixSocket);
        Assert.Equal(0x1F8, c.UnixSocketPerm); // 0770
        Assert.Equal("770", ServerConfig.Find("unixsocketperm")!.Get(c));
        Assert.Throws<ConfigException>(() => Load("unixsocketperm 800"));
    }

    [Fact]
    public void LatencyPercentilesAreParsedAndValidated()
    {
        var c = Load("latency-tracking-info-percentiles \"1 50.5 100\"");
        Assert.Equal([1, 50.5, 100], c.LatencyTrackingInfoPercentiles);
        Assert.Equal("1 50.5 100", ServerConfig.Find("latency-tracking-info-percentiles")!.Get(c));
        Assert.Equal("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]", c.Apply("latency-tracking-info-percentiles", ["101"], false));
        Assert.Equal("Invalid latency-tracking-info-percentiles parameters", c.Apply("latency-tracking-info-percentiles", ["abc"], false));
        Assert.Null(c.Apply("latency-tracking-info-percentiles", [""], false));
        Assert.Empty(c.LatencyTrackingInfoPercentiles);
    }
}

public sealed class UnsupportedParameterTests
{
    [Fact]
    public void ANonDefaultValueOfAFeatureNotBuiltIsRefused()
    {
        var c = new ServerConfig();
        foreach (var (name, value) in new[] { ("tls-session-caching", "no"), ("cluster-enabled", "yes"), ("min-replicas-to-write", "1"), ("list-compress-depth", "2"), ("supervised", "upstart") })
            Assert.Contains("is not supported by Cinnabar yet", c.Apply(name, [value], atStartup: true));
        foreach (var (name, value) in new[] { ("tls-session-caching", "yes"), ("cluster-enabled", "no"), ("min-replicas-to-write", "0"), ("list-compress-depth", "0"), ("supervised", "systemd") })
            Assert.Null(c.Apply(name, [value], atStartup: true));
    }

    [Fact]
    public void ATunableOfAMechanismThatDoesNotExistIsAcceptedAndListedForTheWarning()
    {
        var c = new ServerConfig();
        Assert.Null(c.Apply("activedefrag", ["yes"], atStartup: true));
        Assert.Null(c.Apply("jemalloc-bg-thread", ["yes"], atStartup: true)); // its default: nothing to warn about
        Assert.Equal(["activedefrag"], ConfigParameters.WithoutEffect(c));
    }

    /// <summary>The redis.conf Debian's redis-server package installs loads unchanged (it sets only defaults or what Cinnabar acts on).</summary>
    [Fact]
    public void DebiansRedisConfLoads()
    {
        const string path = "/etc/redis/redis.conf";
        Assert.True(File.Exists(path), "redis-server must be installed (.ci/run installs it)");
        var c = new ServerConfig();
        ConfigLoader.LoadFromString(c, File.ReadAllText(path), "/etc/redis");
        Assert.True(c.Daemonize);
        Assert.Equal("/var/log/redis/redis-server.log", c.LogFile);
    }
}

public sealed class RenameCommandDirectiveTests
{
    [Fact]
    public void RenamesAreCheckedInOrderWithRedisErrors()
    {
        var c = new ServerConfig();
        ConfigLoader.LoadFromString(c, "rename-command config cfg\nrename-command cfg c2\nrename-command flushall \"\"\n", null);
        Assert.Equal([("config", "cfg"), ("cfg", "c2"), ("flushall", "")], c.RenamedCommands);
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.LoadFromString(new ServerConfig(), "rename-command nosuch x\n", null));
        Assert.Contains("No such command in rename-command", e.Message);
        e = Assert.Throws<ConfigException>(() => ConfigLoader.LoadFromString(new ServerConfig(), "rename-command get set\n", null));
        Assert.Contains("Target command name already exists", e.Message);
        e = Assert.Throws<ConfigException>(() => ConfigLoader.LoadFromString(new ServerConfig(), "rename-command get\n", null));
        Assert.Contains("at line 1", e.Message);
    }

    [Fact]
    public void UserDirectivesAreKeptForStartUp()
    {
        var c = new ServerConfig();
        ConfigLoader.LoadFromString(c, "user alice on >pw ~* +@all\n", null);
        Assert.Equal(["alice", "on", ">pw", "~*", "+@all"], Assert.Single(c.UserDirectives));
        Assert.Equal("Spaces not allowed in ACL usernames", Assert.Throws<ConfigException>(() => ConfigLoader.LoadFromString(new ServerConfig(), "user \"a b\" on\n", null)).Message);
    }
}
