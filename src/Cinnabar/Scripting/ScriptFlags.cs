namespace Cinnabar.Scripting;

/// <summary>
/// What a script declares about itself (Redis 7.0's script flags): in an EVAL script's <c>#!lua flags=...</c>
/// shebang or a function's <c>flags</c> when it is registered. A script without a shebang runs in
/// compatibility mode: it may write, and the checks happen at its first write as before Redis 7.0.
/// </summary>
[Flags]
public enum ScriptFlags
{
    None = 0,
    NoWrites = 1 << 0,
    AllowOom = 1 << 1,
    AllowStale = 1 << 2,
    NoCluster = 1 << 3,
    AllowCrossSlotKeys = 1 << 4,
    /// <summary>An EVAL script without a shebang.</summary>
    EvalCompatMode = 1 << 5,
}

/// <summary>Parsing of script flags: the shebang line of EVAL scripts and the names FUNCTION accepts.</summary>
public static class ScriptFlagNames
{
    private static readonly (string Name, byte[] Bytes, ScriptFlags Flag)[] Names =
    [
        ("no-writes", "no-writes"u8.ToArray(), ScriptFlags.NoWrites),
        ("allow-oom", "allow-oom"u8.ToArray(), ScriptFlags.AllowOom),
        ("allow-stale", "allow-stale"u8.ToArray(), ScriptFlags.AllowStale),
        ("no-cluster", "no-cluster"u8.ToArray(), ScriptFlags.NoCluster),
        ("allow-cross-slot-keys", "allow-cross-slot-keys"u8.ToArray(), ScriptFlags.AllowCrossSlotKeys),
    ];

    /// <summary>A flag by name (EVAL's shebang runs this on every call: no allocation).</summary>
    public static bool TryParse(ReadOnlySpan<byte> name, out ScriptFlags flag)
    {
        foreach (var (_, bytes, f) in Names)
            if (name.SequenceEqual(bytes))
            {
                flag = f;
                return true;
            }
        flag = ScriptFlags.None;
        return false;
    }

    /// <summary>The names of <paramref name="flags"/> in Redis' order (FUNCTION LIST).</summary>
    public static IEnumerable<string> NamesOf(ScriptFlags flags)
    {
        foreach (var (n, _, f) in Names)
            if ((flags & f) != 0) yield return n;
    }

    /// <summary>
    /// Redis' evalExtractShebangFlags: a body starting with <c>#!</c> must name the lua engine on a first line of
    /// its own, optionally followed by <c>flags=a,b</c>. Returns the flags and the length of the shebang line
    /// (without its newline, so line numbers in errors still count it), or an error text.
    /// </summary>
    public static string? ParseShebang(ReadOnlySpan<byte> body, out ScriptFlags flags, out int shebangLength)
    {
        flags = ScriptFlags.EvalCompatMode;
        shebangLength = 0;
        if (body.Length < 2 || body[0] != '#' || body[1] != '!') return null;
        int end = body.IndexOf((byte)'\n');
        if (end < 0) return "Invalid script shebang";
        shebangLength = end;
        var parts = SplitWords(body[..end]);
        if (parts.Count == 0) return "Invalid engine in script shebang";
        if (!body[parts[0].Start..parts[0].End].SequenceEqual("#!lua"u8))
            return "Unexpected engine in script shebang: " + System.Text.Encoding.UTF8.GetString(body[parts[0].Start..parts[0].End]);
        flags = ScriptFlags.None;
        for (int i = 1; i < parts.Count; i++)
        {
            var part = body[parts[i].Start..parts[i].End];
            if (!part.StartsWith("flags="u8))
                return "Unknown lua shebang option: " + System.Text.Encoding.UTF8.GetString(part);
            var list = part[6..];
            while (list.Length > 0)
            {
                int comma = list.IndexOf((byte)',');
                var name = comma < 0 ? list : list[..comma];
                if (!TryParse(name, out var f))
                    return "Unexpected flag in script shebang: " + System.Text.Encoding.UTF8.GetString(name);
                flags |= f;
                if (comma < 0) break;
                list = list[(comma + 1)..];
                // "flags=a," splits into "a" and "": an empty name is unknown, as in Redis.
                if (list.Length == 0) return "Unexpected flag in script shebang: ";
            }
        }
        return null;
    }

    private static List<(int Start, int End)> SplitWords(ReadOnlySpan<byte> line)
    {
        var words = new List<(int, int)>();
        int i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
            int start = i;
            while (i < line.Length && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') i++;
            if (i > start) words.Add((start, i));
        }
        return words;
    }
}
