using System.Text;
using System.Text.Json;
using Cinnabar.Commands;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Server;

/// <summary>
/// The whole command table against Redis 7.0: COMMAND INFO and COMMAND DOCS of every command Cinnabar
/// implements, byte for byte in RESP2 and RESP3, and COMMAND GETKEYS / GETKEYSANDFLAGS over argument lists
/// built from each command's documented arguments. Deliberate differences, and only these:
/// <list type="bullet">
/// <item>a container (CONFIG, CLIENT...) lists only the subcommands Cinnabar implements, so its reply is
/// compared with Redis' after dropping the others;</item>
/// <item>Redis lists subcommands in its hash table's order, which a random seed changes with every start,
/// so both sides' subcommands are sorted by name before comparing.</item>
/// </list>
/// </summary>
public sealed class CommandTableDifferentialTests(ServerDiffFixture f) : IClassFixture<ServerDiffFixture>
{
    private static List<string> OurCommandNames(RespClient ours)
    {
        var list = Resp.Parse(ours.Call("COMMAND", "LIST"));
        return list.Kids.Select(k => k.Text).ToList();
    }

    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    public void InfoAndDocsOfEveryCommandMatchRedis(string protocol)
    {
        using var p = f.Pair();
        p.Both("HELLO", protocol);
        var names = OurCommandNames(p.Ours);
        var implemented = names.ToHashSet();
        Assert.True(names.Count > 200, $"only {names.Count} commands listed");
        var failures = new List<string>();
        foreach (var name in names)
        {
            foreach (var what in new[] { "INFO", "DOCS" })
            {
                var expected = p.Redis.Call("COMMAND", what, name);
                var actual = p.Ours.Call("COMMAND", what, name);
                if (expected == actual) continue;
                // Containers: compare Redis' reply restricted to our subcommands, both sorted by name.
                var e = Resp.Serialize(Normalize(Resp.Parse(expected), what, implemented));
                var a = Resp.Serialize(Normalize(Resp.Parse(actual), what, implemented));
                if (e != a) failures.Add($"COMMAND {what} {name} (RESP{protocol}):\n{Resp.Difference(e, a)}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} differences:\n" + string.Join("\n", failures.Take(20)));
    }

    /// <summary>Drops the subcommands Cinnabar does not implement and sorts the rest by name.</summary>
    private static Resp.Node Normalize(Resp.Node reply, string what, HashSet<string> implemented)
    {
        if (what == "INFO")
        {
            // *1 [ *10 [name, arity, ..., subcommands] ]
            var info = reply.Kids[0];
            if (info.Kids.Count == 10 && info.Kids[9].Kids.Count > 0)
            {
                var subs = info.Kids[9];
                subs.Kids.RemoveAll(s => !implemented.Contains(s.Kids[0].Text));
                subs.Kids.Sort((x, y) => string.CompareOrdinal(x.Kids[0].Text, y.Kids[0].Text));
            }
            return reply;
        }
        // {name: {field: value, ..., "subcommands": {name: docs, ...}}}: a map, or a flat array in RESP2.
        var docs = reply.Kids[1];
        for (int i = 0; i + 1 < docs.Kids.Count; i += 2)
        {
            if (docs.Kids[i].Text != "subcommands") continue;
            var map = docs.Kids[i + 1];
            var pairs = new List<(Resp.Node Name, Resp.Node Docs)>();
            for (int j = 0; j + 1 < map.Kids.Count; j += 2)
                if (implemented.Contains(map.Kids[j].Text)) pairs.Add((map.Kids[j], map.Kids[j + 1]));
            pairs.Sort((x, y) => string.CompareOrdinal(x.Name.Text, y.Name.Text));
            map.Kids.Clear();
            foreach (var (n, d) in pairs) { map.Kids.Add(n); map.Kids.Add(d); }
        }
        return reply;
    }

    [Fact]
    public void CommandListIsASubsetOfRedisAndCountMatchesIt()
    {
        using var p = f.Pair();
        var ours = OurCommandNames(p.Ours);
        var redis = OurCommandNames(p.Redis).ToHashSet();
        Assert.Empty(ours.Where(n => !redis.Contains(n)));
        Assert.Equal($":{ours.Count(n => !n.Contains('|'))}\r\n", p.Ours.Call("COMMAND", "COUNT"));
    }

    // ---- GETKEYS / GETKEYSANDFLAGS ---------------------------------------------------------------------------

    [Fact]
    public void GetKeysCasesFromTheIssuesMatchRedis()
    {
        using var p = f.Pair();
        // The last STORE counts, and a STORE's argument is not skipped (sortGetKeys).
        Assert.Equal("*2\r\n$3\r\nabc\r\n$3\r\ndef\r\n", p.Same("COMMAND", "GETKEYS", "sort", "abc", "store", "invalid", "store", "stillbad", "store", "def"));
        p.Same("COMMAND", "GETKEYSANDFLAGS", "sort", "abc", "store", "invalid", "store", "stillbad", "store", "def");
        // LMOVE's destination is inserted into, its source read and deleted from.
        Assert.Contains("$3\r\ndst\r\n*2\r\n+RW\r\n+insert\r\n", p.Same("COMMAND", "GETKEYSANDFLAGS", "LMOVE", "src", "dst", "LEFT", "RIGHT"));
    }

    /// <summary>Argument lists that documentation-built lists miss: bad key counts, keywords in odd places, fallbacks to getkeys procedures.</summary>
    public static readonly string[][] HandWrittenCases =
    [
        ["sort", "k", "limit", "0", "1", "store", "d"], ["sort", "k", "store"], ["sort", "k", "get", "store", "store", "d"],
        ["sort", "k", "by", "store", "limit", "store", "1", "store", "d2"], ["sort", "k", "store", "a", "store", "b"],
        ["sort", "k", "store", "store", "x"], ["sort", "k", "STORE", "a", "limit", "1"], ["sort_ro", "k", "by", "x", "store", "d"],
        ["set", "k", "v"], ["set", "k", "v", "get"], ["set", "k", "v", "GET", "ex", "1"], ["set", "k", "v", "getx"], ["set", "k", "get"],
        ["zunionstore", "d", "2", "a", "b"], ["zunionstore", "d", "x", "a", "b"], ["zunionstore", "d", "3", "a", "b"],
        ["zunionstore", "d", "0", "a"], ["zunionstore", "d", "-1", "a"], ["zinterstore", "d", "1", "a", "weights", "2"],
        ["zdiffstore", "d", "2abc", "a", "b"], ["zunion", "2", "a", "b", "withscores"], ["zinter", "5", "a"], ["zintercard", "1", "a", "limit", "2"],
        ["zdiff", " 1", "a"], ["sintercard", "2", "a", "b"], ["sintercard", "0", "a"], ["sintercard", "x", "a"],
        ["lmpop", "2", "a", "b", "left"], ["lmpop", "9", "a", "left"], ["lmpop", "0", "a", "left"], ["blmpop", "0", "2", "a", "b", "left"],
        ["blmpop", "0", "x", "a", "left"], ["zmpop", "1", "a", "min"], ["bzmpop", "1", "3", "a", "b", "c", "max"], ["bzmpop", "1", "-3", "a", "max"],
        ["xread", "streams", "a", "b", "0", "0"], ["xread", "count", "2", "streams", "a", "0"], ["xread", "streams", "a", "b", "0"],
        ["xread", "count", "streams", "streams", "a", "0"], ["xread", "block", "0", "streams", "s"], ["xread", "a", "b", "c"],
        ["xreadgroup", "group", "streams", "c", "streams", "a", "0"], ["xreadgroup", "group", "g", "c", "noack", "streams", "a", "b", "0", "0"],
        ["xreadgroup", "group", "g", "c", "streams", "a"],
        ["lmove", "a", "b", "left", "right"], ["rpoplpush", "a", "b"], ["blmove", "a", "b", "left", "left", "0"], ["brpoplpush", "a", "b", "0"],
        ["mset", "a", "1", "b", "2"], ["mset", "a", "1", "b"], ["msetnx", "a", "1"], ["mget", "a"], ["del", "a", "b", "c"],
        ["blpop", "a", "b", "0"], ["bzpopmin", "a", "0"], ["rename", "a", "b"], ["copy", "a", "b", "db", "1", "replace"],
        ["smove", "a", "b", "m"], ["sdiffstore", "d", "a", "b"], ["zrangestore", "d", "s", "0", "-1"], ["lcs", "a", "b"],
        ["object", "encoding", "k"], ["memory", "usage", "k", "samples", "5"], ["xgroup", "create", "s", "g", "$", "mkstream"],
        ["xinfo", "stream", "s", "full"], ["watch", "a", "b"], ["ssubscribe", "a"], ["spublish", "a", "m"], ["sunsubscribe"],
        ["get"], ["get", "a", "b"], ["nosuchcommand", "a"], ["ping"], ["config", "get", "x"], ["config", "nosuch", "x"], ["object"],
        ["restore", "k", "0", "payload", "replace"], ["dump", "k"], ["migrate"], ["expire", "k", "10", "nx"],
    ];

    [Fact]
    public void GetKeysOfHandWrittenArgumentListsMatchesRedis()
    {
        using var p = f.Pair();
        var failures = new List<string>();
        foreach (var args in HandWrittenCases) CompareGetKeys(p, args, failures);
        Assert.True(failures.Count == 0, $"{failures.Count} differences:\n" + string.Join("\n", failures.Take(20)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void GetKeysOfDocumentedArgumentListsMatchesRedis(int variant)
    {
        using var p = f.Pair();
        var failures = new List<string>();
        int lists = 0;
        foreach (var d in CommandDescription.All)
        {
            var docs = d.Subcommands.Length == 0 ? [d] : d.Subcommands;
            foreach (var cmd in docs)
            {
                var args = new List<string>(cmd.FullName.Split('|'));
                var counter = new int[1];
                using var docsJson = JsonDocument.Parse(cmd.DocsJson);
                if (docsJson.RootElement.TryGetProperty("arguments", out var arguments))
                    foreach (var a in arguments.EnumerateArray()) Render(a, (Variant)variant, args, counter);
                CompareGetKeys(p, args.ToArray(), failures);
                lists++;
            }
        }
        Assert.True(lists > 250, $"only {lists} argument lists");
        Assert.True(failures.Count == 0, $"{failures.Count} differences:\n" + string.Join("\n", failures.Take(20)));
    }

    private static void CompareGetKeys(DiffPair p, string[] args, List<string> failures)
    {
        foreach (var sub in new[] { "GETKEYS", "GETKEYSANDFLAGS" })
        {
            var call = new[] { "COMMAND", sub }.Concat(args).ToArray();
            var expected = p.Redis.Call(call);
            var actual = p.Ours.Call(call);
            if (expected != actual)
                failures.Add($"COMMAND {sub} {string.Join(' ', args)}\n  redis:    {DiffPair.Escape(expected)}\n  cinnabar: {DiffPair.Escape(actual)}");
        }
    }

    /// <summary>Minimal: required arguments, each once, first alternative. Full: optional ones too, repeated twice. Last: full with the last alternative.</summary>
    private enum Variant { Minimal, Full, LastAlternative }

    /// <summary>
    /// Appends a plausible value for one documented argument: distinct key names, tokens, and for integers
    /// the repetition count, so that a "numkeys" argument agrees with the keys that follow it.
    /// </summary>
    private static void Render(JsonElement arg, Variant v, List<string> args, int[] counter)
    {
        var flags = arg.TryGetProperty("flags", out var fl) ? fl.EnumerateArray().Select(x => x.GetString()).ToHashSet() : [];
        if (flags.Contains("optional") && v == Variant.Minimal) return;
        int times = flags.Contains("multiple") && v != Variant.Minimal ? 2 : 1;
        string? token = arg.TryGetProperty("token", out var t) ? t.GetString() : null;
        string type = arg.GetProperty("type").GetString()!;
        for (int i = 0; i < times; i++)
        {
            if (token is not null && (i == 0 || flags.Contains("multiple_token"))) args.Add(token);
            switch (type)
            {
                case "pure-token": break;
                case "key": args.Add($"key{++counter[0]}"); break;
                case "integer": args.Add(v == Variant.Minimal ? "1" : "2"); break;
                case "double": args.Add("1.5"); break;
                case "unix-time": args.Add("100"); break;
                case "pattern": args.Add("*"); break;
                case "oneof":
                    {
                        var alternatives = arg.GetProperty("arguments").EnumerateArray().ToList();
                        Render(v == Variant.LastAlternative ? alternatives[^1] : alternatives[0], v, args, counter);
                        break;
                    }
                case "block":
                    foreach (var a in arg.GetProperty("arguments").EnumerateArray()) Render(a, v, args, counter);
                    break;
                default: args.Add($"{arg.GetProperty("name").GetString()}{++counter[0]}"); break;
            }
        }
    }
}

/// <summary>A parsed RESP2/RESP3 reply, to compare replies after normalising (sorting, filtering).</summary>
internal static class Resp
{
    public sealed class Node
    {
        public char Type;
        /// <summary>Simple types: the whole line; bulk strings: the content.</summary>
        public string Text = "";
        public List<Node> Kids = [];
    }

    public static Node Parse(string raw)
    {
        int pos = 0;
        return Read(raw, ref pos);
    }

    private static Node Read(string s, ref int pos)
    {
        int eol = s.IndexOf("\r\n", pos, StringComparison.Ordinal);
        var line = s[pos..eol];
        pos = eol + 2;
        var n = new Node { Type = line[0] };
        switch (n.Type)
        {
            case '$' or '=' or '!':
                int len = int.Parse(line[1..]);
                if (len >= 0) { n.Text = s.Substring(pos, len); pos += len + 2; }
                else n.Text = line;
                break;
            case '*' or '~' or '>' or '%':
                int count = int.Parse(line[1..]) * (n.Type == '%' ? 2 : 1);
                for (int i = 0; i < count; i++) n.Kids.Add(Read(s, ref pos));
                break;
            default:
                n.Text = line[1..];
                break;
        }
        return n;
    }

    public static string Serialize(Node n)
    {
        var sb = new StringBuilder();
        Write(sb, n);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, Node n)
    {
        switch (n.Type)
        {
            case '$' or '=' or '!':
                if (n.Text.StartsWith('$') && n.Text == "$-1") sb.Append("$-1\r\n");
                else sb.Append(n.Type).Append(n.Text.Length).Append("\r\n").Append(n.Text).Append("\r\n");
                break;
            case '*' or '~' or '>' or '%':
                sb.Append(n.Type).Append(n.Type == '%' ? n.Kids.Count / 2 : n.Kids.Count).Append("\r\n");
                foreach (var k in n.Kids) Write(sb, k);
                break;
            default:
                sb.Append(n.Type).Append(n.Text).Append("\r\n");
                break;
        }
    }

    /// <summary>The first difference of two replies, with some context.</summary>
    public static string Difference(string expected, string actual)
    {
        int i = 0;
        while (i < expected.Length && i < actual.Length && expected[i] == actual[i]) i++;
        int from = Math.Max(0, i - 120);
        string Cut(string s) => DiffPair.Escape(s[from..Math.Min(s.Length, i + 160)]);
        return $"  at byte {i}\n  redis:    ...{Cut(expected)}\n  cinnabar: ...{Cut(actual)}";
    }
}
