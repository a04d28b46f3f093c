using System.Reflection;
using System.Text.Json;
using Cinnabar.Protocol;

namespace Cinnabar.Commands;

/// <summary>
/// One command or subcommand as commands.json describes it: Redis 7.0.15's COMMAND INFO (arity, flags,
/// ACL categories, tips, key specs) and COMMAND DOCS, written by tools/command-table/generate.py.
/// The file is embedded and parsed once per process; the documentation stays a JSON element until
/// COMMAND DOCS asks for it.
/// </summary>
internal sealed class CommandDescription
{
    public required string FullName { get; init; }
    public int Arity { get; init; }
    public CommandFlags Flags { get; init; }
    public AclCategories Acl { get; init; }
    public string[] Tips { get; init; } = [];
    public KeySpec[] KeySpecs { get; init; } = [];
    /// <summary>The COMMAND DOCS map without "subcommands", in Redis' field order.</summary>
    public JsonElement Docs { get; init; }
    public CommandDescription[] Subcommands { get; init; } = [];

    private static readonly Lazy<CommandDescription[]> _all = new(() => Parse(ReadEmbedded()));

    /// <summary>Every described top-level command, in the file's (alphabetical) order.</summary>
    public static CommandDescription[] All => _all.Value;

    private static byte[] ReadEmbedded()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Cinnabar.Commands.commands.json")
            ?? throw new InvalidOperationException("commands.json is not embedded in Cinnabar.dll");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    public static CommandDescription[] Parse(byte[] json)
    {
        var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        return doc.RootElement.EnumerateObject().Select(p => ParseCommand(p.Name, p.Value)).ToArray();
    }

    private static CommandDescription ParseCommand(string fullName, JsonElement e)
    {
        CommandFlags flags = 0;
        foreach (var f in e.GetProperty("flags").EnumerateArray())
            flags |= Lookup(CommandDef.FlagNames, f.GetString()!, fullName);
        AclCategories acl = 0;
        foreach (var a in e.GetProperty("acl_categories").EnumerateArray())
            acl |= Lookup(CommandDef.AclNames, a.GetString()!, fullName);
        return new CommandDescription
        {
            FullName = fullName,
            Arity = e.GetProperty("arity").GetInt32(),
            Flags = flags,
            Acl = acl,
            Tips = e.GetProperty("tips").EnumerateArray().Select(t => t.GetString()!).ToArray(),
            KeySpecs = e.GetProperty("key_specs").EnumerateArray().Select(k => ParseKeySpec(k, fullName)).ToArray(),
            Docs = e.GetProperty("docs"),
            Subcommands = e.TryGetProperty("subcommands", out var subs)
                ? subs.EnumerateObject().Select(p => ParseCommand(p.Name, p.Value)).ToArray()
                : [],
        };
    }

    private static KeySpec ParseKeySpec(JsonElement e, string command)
    {
        KeySpecFlags flags = 0;
        foreach (var f in e.GetProperty("flags").EnumerateArray())
            flags |= Lookup(KeySpec.FlagNames, f.GetString()!, command);
        var bs = e.GetProperty("begin_search");
        var bsSpec = bs.GetProperty("spec");
        var fk = e.GetProperty("find_keys");
        var fkSpec = fk.GetProperty("spec");
        int Int(JsonElement spec, string name) => spec.TryGetProperty(name, out var v) ? v.GetInt32() : 0;
        string keyword = bsSpec.TryGetProperty("keyword", out var kw) ? kw.GetString()! : "";
        return new KeySpec
        {
            Notes = e.TryGetProperty("notes", out var notes) ? notes.GetString() : null,
            Flags = flags,
            BeginSearch = bs.GetProperty("type").GetString() switch
            {
                "index" => BeginSearchType.Index,
                "keyword" => BeginSearchType.Keyword,
                _ => BeginSearchType.Unknown,
            },
            Index = Int(bsSpec, "index"),
            Keyword = keyword,
            KeywordBytes = System.Text.Encoding.ASCII.GetBytes(keyword),
            StartFrom = Int(bsSpec, "startfrom"),
            FindKeys = fk.GetProperty("type").GetString() switch
            {
                "range" => FindKeysType.Range,
                "keynum" => FindKeysType.Keynum,
                _ => FindKeysType.Unknown,
            },
            LastKey = Int(fkSpec, "lastkey"),
            KeyStep = Int(fkSpec, "keystep"),
            Limit = Int(fkSpec, "limit"),
            KeyNumIdx = Int(fkSpec, "keynumidx"),
            FirstKey = Int(fkSpec, "firstkey"),
        };
    }

    private static T Lookup<T>((T Value, string Name)[] names, string name, string command)
    {
        foreach (var (v, n) in names) if (n == name) return v;
        throw new InvalidOperationException($"commands.json: {command} has an unknown flag or category '{name}'");
    }

    // ---- COMMAND DOCS ------------------------------------------------------------------------------------

    /// <summary>Writes the docs map, with room for <paramref name="extraPairs"/> more pairs (the subcommands).</summary>
    public void WriteDocs(ReplyBuffer r, int extraPairs)
    {
        int pairs = 0;
        foreach (var _ in Docs.EnumerateObject()) pairs++;
        r.MapHeader(pairs + extraPairs);
        WriteFields(r, Docs);
    }

    /// <summary>
    /// A docs map (or an argument's map) in the JSON's order, which is Redis'. JSON does not say which
    /// arrays are sets and which strings are status replies: the field names do, as in Redis'
    /// addReplyCommandDocs and addReplyCommandArgList (the generator checks every field against this).
    /// </summary>
    private static void WriteFields(ReplyBuffer r, JsonElement map)
    {
        foreach (var p in map.EnumerateObject())
        {
            r.Bulk(p.Name);
            switch (p.Name)
            {
                case "doc_flags" or "flags":
                    r.SetHeader(p.Value.GetArrayLength());
                    foreach (var f in p.Value.EnumerateArray()) r.SimpleString(f.GetString()!);
                    break;
                case "history":
                    r.SetHeader(p.Value.GetArrayLength());
                    foreach (var h in p.Value.EnumerateArray())
                    {
                        r.ArrayHeader(h.GetArrayLength());
                        foreach (var x in h.EnumerateArray()) r.Bulk(x.GetString()!);
                    }
                    break;
                case "arguments":
                    r.ArrayHeader(p.Value.GetArrayLength());
                    foreach (var arg in p.Value.EnumerateArray())
                    {
                        int n = 0;
                        foreach (var _ in arg.EnumerateObject()) n++;
                        r.MapHeader(n);
                        WriteFields(r, arg);
                    }
                    break;
                default:
                    if (p.Value.ValueKind == JsonValueKind.Number) r.Integer(p.Value.GetInt64());
                    else r.Bulk(p.Value.GetString()!);
                    break;
            }
        }
    }
}
