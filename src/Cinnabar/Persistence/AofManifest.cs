using System.Globalization;
using System.Text;
using Cinnabar.Config;

namespace Cinnabar.Persistence;

/// <summary>The kind of a file listed in the AOF manifest (Redis 7.0's aof_file_type).</summary>
public enum AofFileType : byte
{
    Base = (byte)'b',
    History = (byte)'h',
    Incr = (byte)'i',
}

/// <summary>One line of the manifest: <c>file &lt;name&gt; seq &lt;n&gt; type &lt;b|h|i&gt;</c>.</summary>
public sealed record AofFileInfo(string Name, long Seq, AofFileType Type);

/// <summary>
/// Redis 7.0's multi-part AOF manifest (aof.c: aofLoadManifestFromFile, getAofManifestAsString): at most
/// one base file, history files waiting to be deleted, and the incremental files in the order they are
/// replayed. File names that need it are quoted as sdscatrepr does, so either server reads the other's.
/// </summary>
public sealed class AofManifest
{
    public AofFileInfo? Base;
    public readonly List<AofFileInfo> Incrs = new();
    public readonly List<AofFileInfo> History = new();
    public long CurrentBaseSeq;
    public long CurrentIncrSeq;

    public AofManifest Clone()
    {
        var m = new AofManifest { Base = Base, CurrentBaseSeq = CurrentBaseSeq, CurrentIncrSeq = CurrentIncrSeq };
        m.Incrs.AddRange(Incrs);
        m.History.AddRange(History);
        return m;
    }

    /// <summary>Parses a manifest; throws <see cref="FormatException"/> with Redis' message on a bad one.</summary>
    public static AofManifest Parse(string text)
    {
        var m = new AofManifest();
        int lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            // Redis stops at lines longer than its buffer; it never writes them.
            if (line.Length >= 1024) throw new FormatException("The AOF manifest file contains too long line");
            var words = ConfigLoader.SplitArgs(line);
            if (words is null || words.Count < 6 || words.Count % 2 != 0) throw new FormatException("Invalid AOF manifest file format");
            string? name = null, seq = null, type = null;
            for (int i = 0; i < words.Count; i += 2)
            {
                switch (words[i])
                {
                    case "file": name = words[i + 1]; break;
                    case "seq": seq = words[i + 1]; break;
                    case "type": type = words[i + 1]; break;
                    // Unknown keys are skipped, as Redis does (forward compatibility).
                }
            }
            if (name is null || seq is null || type is null || type.Length != 1 ||
                !long.TryParse(seq, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n <= 0)
                throw new FormatException("Invalid AOF manifest file format");
            var info = new AofFileInfo(name, n, (AofFileType)type[0]);
            switch (info.Type)
            {
                case AofFileType.Base:
                    if (m.Base is not null) throw new FormatException("Found duplicate base file information");
                    m.Base = info;
                    m.CurrentBaseSeq = n;
                    break;
                case AofFileType.History:
                    m.History.Add(info);
                    break;
                case AofFileType.Incr:
                    if (n <= m.CurrentIncrSeq) throw new FormatException("Found a non-monotonic sequence number");
                    m.Incrs.Add(info);
                    m.CurrentIncrSeq = n;
                    break;
                default:
                    throw new FormatException("Unknown AOF file type");
            }
        }
        if (m.Base is null && m.Incrs.Count == 0 && m.History.Count == 0) throw new FormatException("Found an empty AOF manifest");
        return m;
    }

    /// <summary>The manifest's text: base, history, then incremental files, as Redis writes it.</summary>
    public string Format()
    {
        var sb = new StringBuilder();
        if (Base is not null) Line(sb, Base);
        foreach (var h in History) Line(sb, h);
        foreach (var i in Incrs) Line(sb, i);
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, AofFileInfo f) =>
        sb.Append("file ").Append(NeedsRepr(f.Name) ? Repr(f.Name) : f.Name)
          .Append(" seq ").Append(f.Seq.ToString(CultureInfo.InvariantCulture))
          .Append(" type ").Append((char)f.Type).Append('\n');

    /// <summary>Redis' sdsneedsrepr: quotes, backslashes, spaces and control characters.</summary>
    internal static bool NeedsRepr(string s)
    {
        foreach (char ch in s)
            if (ch is '\\' or '"' or '\n' or '\r' or '\t' or '\a' or '\b' or ' ' or '\v' or '\f' || ch < 32 || ch >= 127) return true;
        return false;
    }

    /// <summary>Redis' sdscatrepr: a double-quoted string with C escapes and \xHH for other bytes.</summary>
    internal static string Repr(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (byte b in Encoding.UTF8.GetBytes(s))
        {
            switch (b)
            {
                case (byte)'\\': sb.Append("\\\\"); break;
                case (byte)'"': sb.Append("\\\""); break;
                case (byte)'\n': sb.Append("\\n"); break;
                case (byte)'\r': sb.Append("\\r"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                case 7: sb.Append("\\a"); break;
                case 8: sb.Append("\\b"); break;
                default:
                    if (b >= 32 && b < 127) sb.Append((char)b);
                    else sb.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    // ---- file names, as Redis 7.0 builds them ----

    /// <summary>A base's name: <c>.base.rdb</c> with an RDB preamble, <c>.base.aof</c> when written as commands (Redis' RDB/AOF_FORMAT_SUFFIX).</summary>
    public static string BaseName(string appendFilename, long seq, bool rdb = true) => $"{appendFilename}.{seq}.base.{(rdb ? "rdb" : "aof")}";
    public static string IncrName(string appendFilename, long seq) => $"{appendFilename}.{seq}.incr.aof";
    public static string ManifestName(string appendFilename) => appendFilename + ".manifest";
}
