using System.Reflection;
using Cinnabar.Protocol;
using JsonObject = Cinnabar.Commands.MiniJson.JsonObject;

namespace Cinnabar.Commands;

/// <summary>
/// One command or subcommand as commands.json describes it: Redis 7.0.15's COMMAND INFO (arity, flags,
/// ACL categories, tips, key specs) and COMMAND DOCS, written by tools/command-table/generate.py.
/// The file is embedded and read once per process; each command's documentation is only located at
/// start-up and parsed when COMMAND DOCS first asks for it.
/// </summary>
internal sealed class CommandDescription
{
    public required string FullName { get; init; }
    public int Arity { get; init; }
    public CommandFlags Flags { get; init; }
    public AclCategories Acl { get; init; }
    public string[] Tips { get; init; } = [];
    public KeySpec[] KeySpecs { get; init; } = [];
    public CommandDescription[] Subcommands { get; init; } = [];

    private byte[] _source = [];
    private int _docsStart, _docsEnd;
    private JsonObject? _docs;

    /// <summary>The COMMAND DOCS map without "subcommands", in Redis' field order.</summary>
    public JsonObject Docs => _docs ??= (JsonObject)MiniJson.Parse(_source, _docsStart);

    /// <summary>The documentation's JSON text (for tests).</summary>
    public ReadOnlyMemory<byte> DocsJson => _source.AsMemory(_docsStart, _docsEnd - _docsStart);

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
        var reader = new MiniJson(json);
        var result = new List<CommandDescription>();
        foreach (var name in reader.Members()) result.Add(ParseCommand(name, reader, json));
        return result.ToArray();
    }

    private static CommandDescription ParseCommand(string fullName, MiniJson reader, byte[] json)
    {
        int arity = 0;
        CommandFlags flags = 0;
        AclCategories acl = 0;
        string[] tips = [];
        KeySpec[] keySpecs = [];
        CommandDescription[] subcommands = [];
        int docsStart = 0, docsEnd = 0;
        foreach (var field in reader.Members())
        {
            switch (field)
            {
                case "arity": arity = (int)(long)reader.Value(); break;
                case "flags":
                    foreach (string f in (List<object>)reader.Value()) flags |= Lookup(CommandDef.FlagNames, f, fullName);
                    break;
                case "acl_categories":
                    foreach (string a in (List<object>)reader.Value()) acl |= Lookup(CommandDef.AclNames, a, fullName);
                    break;
                case "tips": tips = ((List<object>)reader.Value()).Cast<string>().ToArray(); break;
                case "key_specs":
                    keySpecs = ((List<object>)reader.Value()).Select(k => ParseKeySpec((JsonObject)k, fullName)).ToArray();
                    break;
                case "docs":
                    docsStart = reader.Skip();
                    docsEnd = reader.Position;
                    break;
                case "subcommands":
                    var subs = new List<CommandDescription>();
                    foreach (var sub in reader.Members()) subs.Add(ParseCommand(sub, reader, json));
                    subcommands = subs.ToArray();
                    break;
                default: throw new InvalidOperationException($"commands.json: {fullName} has an unknown field '{field}'");
            }
        }
        return new CommandDescription
        {
            FullName = fullName,
            Arity = arity,
            Flags = flags,
            Acl = acl,
            Tips = tips,
            KeySpecs = keySpecs,
            Subcommands = subcommands,
            _source = json,
            _docsStart = docsStart,
            _docsEnd = docsEnd,
        };
    }

    private static KeySpec ParseKeySpec(JsonObject e, string command)
    {
        KeySpecFlags flags = 0;
        foreach (string f in (List<object>)e["flags"]!) flags |= Lookup(KeySpec.FlagNames, f, command);
        var bs = (JsonObject)e["begin_search"]!;
        var bsSpec = (JsonObject)bs["spec"]!;
        var fk = (JsonObject)e["find_keys"]!;
        var fkSpec = (JsonObject)fk["spec"]!;
        int Int(JsonObject spec, string name) => spec.Find(name, out var v) ? (int)(long)v : 0;
        string keyword = bsSpec["keyword"] as string ?? "";
        return new KeySpec
        {
            Notes = e["notes"] as string,
            Flags = flags,
            BeginSearch = (string)bs["type"]! switch
            {
                "index" => BeginSearchType.Index,
                "keyword" => BeginSearchType.Keyword,
                _ => BeginSearchType.Unknown,
            },
            Index = Int(bsSpec, "index"),
            Keyword = keyword,
            KeywordBytes = System.Text.Encoding.ASCII.GetBytes(keyword),
            StartFrom = Int(bsSpec, "startfrom"),
            FindKeys = (string)fk["type"]! switch
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
        r.MapHeader(Docs.Count + extraPairs);
        WriteFields(r, Docs);
    }

    /// <summary>
    /// A docs map (or an argument's map) in the JSON's order, which is Redis'. JSON does not say which
    /// arrays are sets and which strings are status replies: the field names do, as in Redis'
    /// addReplyCommandDocs and addReplyCommandArgList (the generator checks every field against this).
    /// </summary>
    private static void WriteFields(ReplyBuffer r, JsonObject map)
    {
        foreach (var (name, value) in map)
        {
            r.Bulk(name);
            switch (name)
            {
                case "doc_flags" or "flags":
                    var flags = (List<object>)value;
                    r.SetHeader(flags.Count);
                    foreach (string f in flags) r.SimpleString(f);
                    break;
                case "history":
                    var history = (List<object>)value;
                    r.SetHeader(history.Count);
                    foreach (List<object> entry in history)
                    {
                        r.ArrayHeader(entry.Count);
                        foreach (string x in entry) r.Bulk(x);
                    }
                    break;
                case "arguments":
                    var args = (List<object>)value;
                    r.ArrayHeader(args.Count);
                    foreach (JsonObject arg in args)
                    {
                        r.MapHeader(arg.Count);
                        WriteFields(r, arg);
                    }
                    break;
                default:
                    if (value is long n) r.Integer(n);
                    else r.Bulk((string)value);
                    break;
            }
        }
    }
}
