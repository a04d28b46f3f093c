using System.Text;

namespace Cinnabar.Config;

/// <summary>A start-up configuration error, reported like redis-server's "FATAL CONFIG FILE ERROR".</summary>
public sealed class ConfigException(string message) : Exception(message);

/// <summary>
/// Builds a <see cref="ServerConfig"/> from redis-server style arguments: an optional config file path
/// first, then <c>--name value...</c> directives, which are applied after the file as Redis does.
/// </summary>
public static class ConfigLoader
{
    public static ServerConfig FromArguments(string[] args)
    {
        var config = new ServerConfig();
        int i = 0;
        var text = new StringBuilder();
        if (args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
        {
            var path = args[0];
            if (!File.Exists(path)) throw new ConfigException($"Fatal error, can't open config file '{path}': No such file or directory");
            config.ConfigFile = Path.GetFullPath(path);
            text.Append(File.ReadAllText(path));
            text.Append('\n');
            i = 1;
        }

        // Each --name starts a new directive line; the words after it are its arguments (quoted as needed).
        var line = new StringBuilder();
        for (; i < args.Length; i++)
        {
            var a = args[i];
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                if (line.Length > 0) text.Append(line).Append('\n');
                line.Clear().Append(a[2..]);
                if (a.Equals("--save", StringComparison.OrdinalIgnoreCase) && (i == args.Length - 1 || args[i + 1].StartsWith("--", StringComparison.Ordinal)))
                    line.Append(" \"\"");
            }
            else
            {
                if (line.Length == 0) throw new ConfigException($"Invalid argument '{a}': options must start with --");
                line.Append(' ').Append(Quote(a));
            }
        }
        if (line.Length > 0) text.Append(line).Append('\n');

        LoadFromString(config, text.ToString(), config.ConfigFile is null ? null : Path.GetDirectoryName(config.ConfigFile));
        return config;
    }

    /// <summary>Applies redis.conf text; stops at the first bad line with Redis' message naming it.</summary>
    public static void LoadFromString(ServerConfig config, string text, string? baseDir, int depth = 0)
    {
        var lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            var raw = lines[n].Trim();
            if (raw.Length == 0 || raw[0] == '#') continue;
            var argv = SplitArgs(raw);
            if (argv is null) throw Fatal(n + 1, raw, "Unbalanced quotes in configuration line");
            if (argv.Count == 0) continue;
            var name = argv[0].ToLowerInvariant();
            var rest = argv.GetRange(1, argv.Count - 1);
            if (name == "include")
            {
                if (rest.Count != 1) throw Fatal(n + 1, raw, "Bad directive or wrong number of arguments");
                var path = baseDir is null || Path.IsPathRooted(rest[0]) ? rest[0] : Path.Combine(baseDir, rest[0]);
                if (!File.Exists(path) || depth > 10) throw Fatal(n + 1, raw, $"Can't open include file '{rest[0]}'");
                LoadFromString(config, File.ReadAllText(path), Path.GetDirectoryName(Path.GetFullPath(path)), depth + 1);
                continue;
            }
            if (name == "rename-command")
            {
                if (rest.Count != 2) throw Fatal(n + 1, raw, "Bad directive or wrong number of arguments");
                var error2 = CheckRename(config, rest[0], rest[1]);
                if (error2 is not null) throw Fatal(n + 1, raw, error2);
                config.RenamedCommands.Add((rest[0], rest[1]));
                continue;
            }
            if (name == "user")
            {
                // Checked when the server starts, with the command table (Redis' ACLAppendUserForLoading).
                if (rest.Count < 1) throw Fatal(n + 1, raw, "Bad directive or wrong number of arguments");
                if (rest[0].AsSpan().IndexOfAny(' ', '\0') >= 0) throw new ConfigException("Spaces not allowed in ACL usernames");
                config.UserDirectives.Add(rest);
                continue;
            }
            var error = config.Apply(name, rest, atStartup: true);
            if (error is not null) throw Fatal(n + 1, raw, error);
        }
    }

    /// <summary>Redis' checks of rename-command, applied in order to the names the table will have.</summary>
    private static string? CheckRename(ServerConfig config, string from, string to)
    {
        var names = new HashSet<string>(Commands.CommandDescription.All.Select(d => d.FullName), StringComparer.OrdinalIgnoreCase);
        foreach (var (f, t) in config.RenamedCommands)
        {
            names.Remove(f);
            if (t.Length > 0) names.Add(t);
        }
        if (from.Contains('|') || !names.Remove(from)) return "No such command in rename-command";
        if (to.Length > 0 && names.Contains(to)) return "Target command name already exists";
        return null;
    }

    private static ConfigException Fatal(int lineNo, string line, string reason) =>
        new($"\n*** FATAL CONFIG FILE ERROR (Cinnabar) ***\nReading the configuration file, at line {lineNo}\n>>> '{line}'\n{reason}");

    private static string Quote(string s)
    {
        if (s.Length > 0 && s.IndexOfAny([' ', '"', '\'', '\\', '\t']) < 0) return s;
        var sb = new StringBuilder("\"");
        foreach (var ch in s)
        {
            if (ch is '"' or '\\') sb.Append('\\');
            sb.Append(ch);
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Redis' sdssplitargs over a config line: words, "double quotes" with escapes, 'single quotes'.</summary>
    public static List<string>? SplitArgs(string line)
    {
        var result = new List<string>();
        int p = 0;
        while (true)
        {
            while (p < line.Length && char.IsWhiteSpace(line[p])) p++;
            if (p >= line.Length) return result;
            var cur = new StringBuilder();
            bool inq = false, insq = false, done = false;
            while (!done)
            {
                if (inq)
                {
                    if (p >= line.Length) return null;
                    char c = line[p];
                    if (c == '\\' && p + 3 < line.Length && line[p + 1] == 'x' && Uri.IsHexDigit(line[p + 2]) && Uri.IsHexDigit(line[p + 3]))
                    {
                        cur.Append((char)Convert.ToByte(line.Substring(p + 2, 2), 16));
                        p += 3;
                    }
                    else if (c == '\\' && p + 1 < line.Length)
                    {
                        p++;
                        cur.Append(line[p] switch { 'n' => '\n', 'r' => '\r', 't' => '\t', 'b' => '\b', 'a' => '\a', var o => o });
                    }
                    else if (c == '"')
                    {
                        if (p + 1 < line.Length && !char.IsWhiteSpace(line[p + 1])) return null;
                        done = true;
                    }
                    else cur.Append(c);
                }
                else if (insq)
                {
                    if (p >= line.Length) return null;
                    char c = line[p];
                    if (c == '\\' && p + 1 < line.Length && line[p + 1] == '\'') { p++; cur.Append('\''); }
                    else if (c == '\'')
                    {
                        if (p + 1 < line.Length && !char.IsWhiteSpace(line[p + 1])) return null;
                        done = true;
                    }
                    else cur.Append(c);
                }
                else
                {
                    if (p >= line.Length) break;
                    char c = line[p];
                    if (c is ' ' or '\n' or '\r' or '\t' or '\0') done = true;
                    else if (c == '"') inq = true;
                    else if (c == '\'') insq = true;
                    else cur.Append(c);
                }
                if (p < line.Length) p++;
            }
            result.Add(cur.ToString());
        }
    }
}
