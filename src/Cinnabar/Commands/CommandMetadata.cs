using Cinnabar.Protocol;

namespace Cinnabar.Commands;

/// <summary>
/// Command tips and key specifications as Redis 7.0 reports them (COMMAND INFO elements 8 and 9), kept
/// apart from the declarations as a small tree: <see cref="Map"/> (a RESP map), <see cref="Seq"/> (an array,
/// a set in RESP3), <see cref="Status"/> (a status string), strings (bulk) and longs (integers).
/// </summary>
public static partial class CommandMetadata
{
    public sealed record Map(object[] Items);
    public sealed record Seq(object[] Items);
    public sealed record Status(string Text);
    /// <summary>An array in both protocols (COMMAND DOCS arguments, history).</summary>
    public sealed record Arr(object[] Items);

    private static Map M(params object[] kv) => new(kv);
    private static Seq S(params object[] items) => new(items);
    private static Status St(string s) => new(s);
    private static Arr A(params object[] items) => new(items);

    /// <summary>The COMMAND DOCS map of a command as Redis 7.0 documents it (without subcommands), or null.</summary>
    public static Map? DocsOf(CommandDef cmd) => DocsTable.Docs.GetValueOrDefault(cmd.FullName);

    /// <summary>Redis' doesCommandHaveKeys: a key finder or at least one key spec.</summary>
    public static bool HasKeys(CommandDef cmd) =>
        cmd.Keys is not null || (ByName.TryGetValue(cmd.FullName, out var m) ? m.KeySpecs is Seq { Items.Length: > 0 } : cmd.FirstKey > 0);

    public static string[] TipsOf(CommandDef cmd) => ByName.TryGetValue(cmd.FullName, out var m) ? m.Tips : [];

    /// <summary>Writes the key specs of <paramref name="cmd"/>: Redis' when known, else derived from first/last/step.</summary>
    public static void WriteKeySpecs(ReplyBuffer r, CommandDef cmd)
    {
        if (ByName.TryGetValue(cmd.FullName, out var m)) { Write(r, m.KeySpecs); return; }
        if (cmd.FirstKey <= 0) { r.SetHeader(0); return; }
        var flags = cmd.IsWrite ? S(St("RW"), St("update")) : S(St("RO"), St("access"));
        int last = cmd.LastKey < 0 ? cmd.LastKey : cmd.LastKey - cmd.FirstKey;
        Write(r, S(M("flags", flags,
            "begin_search", M("type", "index", "spec", M("index", (long)cmd.FirstKey)),
            "find_keys", M("type", "range", "spec", M("lastkey", (long)last, "keystep", (long)cmd.Step, "limit", 0L)))));
    }

    public static void Write(ReplyBuffer r, object node)
    {
        switch (node)
        {
            case Map m:
                r.MapHeader(m.Items.Length / 2);
                foreach (var x in m.Items) Write(r, x);
                break;
            case Seq s:
                r.SetHeader(s.Items.Length);
                foreach (var x in s.Items) Write(r, x);
                break;
            case Arr a:
                r.ArrayHeader(a.Items.Length);
                foreach (var x in a.Items) Write(r, x);
                break;
            case Status st: r.SimpleString(st.Text); break;
            case string str: r.Bulk(str); break;
            case long l: r.Integer(l); break;
        }
    }
}
