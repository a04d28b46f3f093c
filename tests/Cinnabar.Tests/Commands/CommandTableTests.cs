using System.Text;
using Cinnabar.Commands;

namespace Cinnabar.Tests.Commands;

/// <summary>The command table: commands.json and the families' handlers agree, and the pieces derived from key specs.</summary>
public class CommandTableTests
{
    private static readonly byte[] Json = Encoding.UTF8.GetBytes("""
        // a comment, as the generated file has
        {
         "get": {"arity": 2, "flags": ["readonly", "fast"], "acl_categories": ["read", "string", "fast"], "tips": [],
                 "key_specs": [{"flags": ["RO", "access"], "begin_search": {"type": "index", "spec": {"index": 1}},
                                "find_keys": {"type": "range", "spec": {"lastkey": 0, "keystep": 1, "limit": 0}}}],
                 "docs": {"summary": "s", "since": "1.0.0", "group": "string"}},
         "config": {"arity": -2, "flags": [], "acl_categories": ["slow"], "tips": [], "key_specs": [],
                    "docs": {"summary": "c", "since": "2.0.0", "group": "server"},
                    "subcommands": {"config|get": {"arity": -3, "flags": ["admin"], "acl_categories": ["admin"], "tips": [], "key_specs": [],
                                                   "docs": {"summary": "g", "since": "2.0.0", "group": "server"}}}}
        }
        """);

    private static readonly CommandHandler Nop = _ => { };

    [Fact]
    public void TheRealTableBuildsWithEveryHandlerDescribedAndEveryDescriptionBound()
    {
        var commands = CommandRegistry.AllCommands().ToList();
        Assert.True(commands.Count > 190);
        var get = commands.Single(c => c.Name == "get");
        Assert.Equal((2, 1, 1, 1), (get.Arity, get.FirstKey, get.LastKey, get.Step));
        Assert.True(get.HasFlag(CommandFlags.ReadOnly | CommandFlags.Fast));
        Assert.True(commands.Single(c => c.Name == "debug").HasFlag(CommandFlags.Protected));
        Assert.True(commands.Single(c => c.Name == "ping").HasFlag(CommandFlags.AllowedInPubSub));
        Assert.False(get.HasFlag(CommandFlags.AllowedInPubSub));
        Assert.All(CommandRegistry.CinnabarFlags.Keys, name => Assert.Contains(commands, c => c.FullName == name));
        var config = commands.Single(c => c.Name == "config");
        Assert.Null(config.Handler);
        Assert.All(config.Subcommands!, s => Assert.NotNull(s.Handler));
        Assert.Equal("config|get", config.Subcommands!.Single(s => s.Name == "get").FullName);
    }

    [Fact]
    public void AHandlerWithoutADescriptionIsRefused()
    {
        var d = CommandDescription.Parse(Json);
        var e = Assert.Throws<InvalidOperationException>(() =>
            CommandRegistry.Build(d, [new("get", Nop), new("config|get", Nop), new("getx", Nop), new("config|set", Nop)]));
        Assert.Contains("'getx' has a handler but no description", e.Message);
        Assert.Contains("'config|set' has a handler but no description", e.Message);
    }

    [Fact]
    public void ADescriptionWithoutAHandlerIsRefused()
    {
        var d = CommandDescription.Parse(Json);
        var e = Assert.Throws<InvalidOperationException>(() => CommandRegistry.Build(d, [new("get", Nop)]));
        Assert.Contains("'config|get' is described in commands.json but no family binds a handler", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => CommandRegistry.Build(d, [new("config|get", Nop)]));
        Assert.Contains("'get' is described", e.Message);
        Assert.Throws<InvalidOperationException>(() => CommandRegistry.Build(d, [new("get", Nop), new("get", Nop), new("config|get", Nop)]));
        // A container needs no handler of its own.
        Assert.Equal(2, CommandRegistry.Build(d, [new("get", Nop), new("config|get", Nop)]).Count);
    }

    private static KeySpec Range(int index, int last, int step = 1, int limit = 0, KeySpecFlags flags = KeySpecFlags.RW) =>
        new() { Flags = flags, BeginSearch = BeginSearchType.Index, Index = index, FindKeys = FindKeysType.Range, LastKey = last, KeyStep = step, Limit = limit };

    [Fact]
    public void LegacyRangeIsDerivedFromKeySpecsAsRedisDoes()
    {
        Assert.Equal((0, 0, 0), KeySpec.LegacyRange([]));
        Assert.Equal((1, -1, 2), KeySpec.LegacyRange([Range(1, -1, 2)])); // MSET: one spec, copied
        Assert.Equal((1, 2, 1), KeySpec.LegacyRange([Range(1, 0), Range(2, 0)])); // LMOVE: consecutive ranges
        Assert.Equal((1, -2, 1), KeySpec.LegacyRange([Range(1, -2)]));
        // SMOVE-like gaps and steps other than 1 are skipped; keynum specs do not count.
        Assert.Equal((1, 1, 1), KeySpec.LegacyRange([Range(1, 0), Range(3, 0)]));
        var keynum = new KeySpec { BeginSearch = BeginSearchType.Index, Index = 2, FindKeys = FindKeysType.Keynum, KeyNumIdx = 0, FirstKey = 1, KeyStep = 1 };
        Assert.Equal((1, 1, 1), KeySpec.LegacyRange([Range(1, 0), keynum])); // ZUNIONSTORE
        Assert.Equal((0, 0, 0), KeySpec.LegacyRange([keynum, keynum]));
        // A negative (from the end) last key wins the unsigned comparison, as in Redis.
        Assert.Equal((1, -1, 1), KeySpec.LegacyRange([Range(1, 0), Range(2, -1)]));
    }

    [Theory]
    [InlineData("12", 12)]
    [InlineData("  -3x", -3)]
    [InlineData("+7", 7)]
    [InlineData("abc", 0)]
    [InlineData("", 0)]
    [InlineData("2abc", 2)]
    public void AtoiReadsAsC(string text, long expected) => Assert.Equal(expected, KeySpec.Atoi(Encoding.ASCII.GetBytes(text)));
}

/// <summary>The small JSON reader behind commands.json.</summary>
public class MiniJsonTests
{
    [Fact]
    public void ReadsObjectsInOrderArraysNumbersAndEscapes()
    {
        var text = Encoding.UTF8.GetBytes("""
            // notice
            {"b": [1, -20, "x"], "a": {"q": "say \"hi\"\\n\u00e9 [}", "z": []}, "e": {}}
            """);
        var o = (MiniJson.JsonObject)MiniJson.Parse(text);
        Assert.Equal(["b", "a", "e"], o.Select(p => p.Key));
        Assert.Equal(new object[] { 1L, -20L, "x" }, (List<object>)o["b"]!);
        var a = (MiniJson.JsonObject)o["a"]!;
        Assert.Equal("say \"hi\"\\n\u00e9 [}", a["q"]);
        Assert.Empty((List<object>)a["z"]!);
        Assert.Empty((MiniJson.JsonObject)o["e"]!);
        Assert.Null(o["missing"]);
    }

    [Fact]
    public void SkipsAValueWithBracketsAndQuotesInsideStrings()
    {
        var text = Encoding.UTF8.GetBytes("""{"docs": {"s": "a } ] \" { [", "n": [[1], {"x": "\\"}]}, "next": 7}""");
        var r = new MiniJson(text);
        var names = new List<string>();
        int start = 0, end = 0;
        foreach (var name in r.Members())
        {
            names.Add(name);
            if (name == "docs") { start = r.Skip(); end = r.Position; }
            else Assert.Equal(7L, r.Value());
        }
        Assert.Equal(["docs", "next"], names);
        var docs = (MiniJson.JsonObject)MiniJson.Parse(text[start..end]);
        Assert.Equal("a } ] \" { [", docs["s"]);
    }

    [Fact]
    public void MalformedInputFailsWithThePosition()
    {
        var e = Assert.Throws<InvalidOperationException>(() => MiniJson.Parse(Encoding.UTF8.GetBytes("{\"a\" 1}")));
        Assert.Contains("expected ':' at byte 5", e.Message);
    }
}
