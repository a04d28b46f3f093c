using Cinnabar.Commands;
using Cinnabar.Security;

namespace Cinnabar.Tests.Security;

/// <summary>The pure parts of ACL: selector merging, rules on a user, the command bitmap and its description, the log.</summary>
public sealed class AclRulesTests
{
    private static readonly CommandTable Table = new(CommandRegistry.AllCommands());

    [Fact]
    public void SelectorArgumentsAreMergedUntilTheClosingParenthesis()
    {
        var (args, bad) = AclManager.MergeSelectorArguments(["on", "(~a", "+get", "&c)", "(+set)", "off"]);
        Assert.Null(bad);
        Assert.Equal(["on", "(~a +get &c)", "(+set)", "off"], args);
        (args, bad) = AclManager.MergeSelectorArguments(["on", "(~a", "+get"]);
        Assert.Null(args);
        Assert.Equal("(~a", bad);
    }

    [Fact]
    public void PasswordsAreKeptOnlyAsSha256AndCheckedWhenTheUserIsOn()
    {
        var u = new AclUser("u", false);
        Assert.Null(u.Apply(Table, ">secret", false));
        Assert.Equal("2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b", Assert.Single(u.Passwords));
        Assert.False(u.CheckPassword("secret"u8)); // off
        u.Apply(Table, "on", false);
        Assert.True(u.CheckPassword("secret"u8));
        Assert.False(u.CheckPassword("Secret"u8));
        Assert.Equal(AclErrors.NoSuchPassword, u.Apply(Table, "<other", false));
        Assert.Null(u.Apply(Table, "<secret", false));
        Assert.False(u.CheckPassword("secret"u8));
        u.Apply(Table, "nopass", false);
        Assert.True(u.CheckPassword("anything"u8));
    }

    [Fact]
    public void ContainersTakeTheirSubcommandsAndCategoriesComeFromTheTable()
    {
        var s = new AclSelector(false);
        s.Apply(Table, "+config");
        var config = Table.Find("config")!;
        Assert.All(config.Subcommands!, sub => Assert.True(s.GetBit(sub.AclId)));
        s.Apply(Table, "-config|set");
        Assert.False(s.GetBit(AclSelector.Lookup(Table, "config|set")!.AclId));
        Assert.True(s.GetBit(AclSelector.Lookup(Table, "config|get")!.AclId));
        Assert.Equal("-@all +config -config|set", s.DescribeCommandRules(Table));

        var r = new AclSelector(false);
        r.Apply(Table, "+@read");
        foreach (var cmd in Table.All.Where(c => c.Subcommands is null))
            Assert.Equal((cmd.Acl & AclCategories.Read) != 0, r.GetBit(cmd.AclId));
        Assert.Equal("-@all +@read", r.DescribeCommandRules(Table));
        r.Apply(Table, "+@all");
        r.Apply(Table, "-@dangerous");
        Assert.Equal("+@all -@dangerous", r.DescribeCommandRules(Table));
        Assert.True(r.CanExecuteFutureCommands);
    }

    [Fact]
    public void KeyPatternsCheckReadAndWriteSeparately()
    {
        var s = new AclSelector(false);
        s.Apply(Table, "%R~r*");
        s.Apply(Table, "%W~w*");
        s.Apply(Table, "~rw*");
        Assert.True(s.CheckKey("r1"u8, KeyPermission.Read));
        Assert.False(s.CheckKey("r1"u8, KeyPermission.Write));
        Assert.True(s.CheckKey("w1"u8, KeyPermission.Write));
        Assert.False(s.CheckKey("w1"u8, KeyPermission.Read | KeyPermission.Write));
        Assert.True(s.CheckKey("rw1"u8, KeyPermission.Read | KeyPermission.Write));
        Assert.Equal("%R~r* %W~w* ~rw*", s.DescribeKeys());
        s.Apply(Table, "&news.*");
        Assert.True(s.CheckChannel("news.1"u8, isPattern: false));
        Assert.False(s.CheckChannel("news.1*"u8, isPattern: true)); // a pattern must equal an allowed one
        Assert.True(s.CheckChannel("news.*"u8, isPattern: true));
    }

    [Fact]
    public void TheLogMergesRepeatsAndKeepsTheNewestFirst()
    {
        var log = new AclLog();
        log.Add("auth", "toplevel", "AUTH"u8.ToArray(), "a", "info1", 2);
        log.Add("auth", "toplevel", "AUTH"u8.ToArray(), "b", "info2", 2);
        log.Add("auth", "toplevel", "AUTH"u8.ToArray(), "a", "info3", 2);
        Assert.Equal(["a", "b"], log.Entries.Select(e => e.Username));
        Assert.Equal(2, log.Entries.First!.Value.Count);
        Assert.Equal("info3", log.Entries.First.Value.ClientInfo);
        log.Add("key", "multi", "k"u8.ToArray(), "a", "info4", 2);
        Assert.Equal(["key", "auth"], log.Entries.Select(e => e.Reason));
    }
}
