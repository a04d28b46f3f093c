using System.Security.Cryptography;
using System.Text;
using Cinnabar.Commands;

namespace Cinnabar.Security;

/// <summary>
/// An ACL user (Redis 7.0): on/off, password hashes (SHA-256, hex; the clear text is never kept), and its
/// selectors, the first being the root one that the rules outside parentheses change.
/// </summary>
public sealed class AclUser
{
    public AclUser(string name, bool allChannels)
    {
        Name = name;
        Selectors.Add(new AclSelector(allChannels));
    }

    public string Name { get; }
    public bool Enabled;
    public bool NoPass;
    /// <summary>sanitize-payload / skip-sanitize-payload: shown as set, as Redis does (RESTORE does not read it).</summary>
    public bool SanitizePayload, SkipSanitizePayload;
    public readonly List<string> Passwords = [];
    public readonly List<AclSelector> Selectors = [];

    public AclSelector Root => Selectors[0];

    /// <summary>All commands, keys and channels from the root selector: no check is needed per command.</summary>
    public bool Unrestricted => Root.Unrestricted;

    /// <summary>Replaces this user's settings by <paramref name="other"/>'s (ACL SETUSER applies a staged copy).</summary>
    public void CopyFrom(AclUser other)
    {
        Enabled = other.Enabled;
        NoPass = other.NoPass;
        SanitizePayload = other.SanitizePayload;
        SkipSanitizePayload = other.SkipSanitizePayload;
        Passwords.Clear();
        Passwords.AddRange(other.Passwords);
        Selectors.Clear();
        foreach (var s in other.Selectors) Selectors.Add(s.Clone());
    }

    public AclUser Clone(string? name = null)
    {
        var u = new AclUser(name ?? Name, false);
        u.CopyFrom(this);
        return u;
    }

    public static string Hash(ReadOnlySpan<byte> password) => Convert.ToHexStringLower(SHA256.HashData(password));

    private static bool IsValidHash(string h)
    {
        if (h.Length != 64) return false;
        foreach (char ch in h) if (!(ch is >= '0' and <= '9' or >= 'a' and <= 'f')) return false;
        return true;
    }

    /// <summary>Redis' ACLSetUser: one rule. Returns null or the reason it is refused.</summary>
    public string? Apply(CommandTable table, string op, bool pubsubDefaultAll)
    {
        if (op.Length == 0) return null;
        if (Eq(op, "on")) Enabled = true;
        else if (Eq(op, "off")) Enabled = false;
        else if (Eq(op, "skip-sanitize-payload")) { SkipSanitizePayload = true; SanitizePayload = false; }
        else if (Eq(op, "sanitize-payload")) { SkipSanitizePayload = false; SanitizePayload = true; }
        else if (Eq(op, "nopass")) { NoPass = true; Passwords.Clear(); }
        else if (Eq(op, "resetpass")) { NoPass = false; Passwords.Clear(); }
        else if (op[0] is '>' or '#')
        {
            string hash;
            if (op[0] == '>') hash = Hash(AclSelector.Latin1(op[1..]));
            else
            {
                hash = op[1..];
                if (!IsValidHash(hash)) return AclErrors.BadHash;
            }
            if (!Passwords.Contains(hash)) Passwords.Add(hash);
            NoPass = false;
        }
        else if (op[0] is '<' or '!')
        {
            string hash;
            if (op[0] == '<') hash = Hash(AclSelector.Latin1(op[1..]));
            else
            {
                hash = op[1..];
                if (!IsValidHash(hash)) return AclErrors.BadHash;
            }
            if (!Passwords.Remove(hash)) return AclErrors.NoSuchPassword;
        }
        else if (op[0] == '(' && op[^1] == ')')
        {
            var s = new AclSelector(pubsubDefaultAll);
            foreach (var inner in ConfigSplit(op[1..^1]))
            {
                var error = s.Apply(table, inner);
                if (error is not null) return error;
            }
            Selectors.Add(s);
        }
        else if (Eq(op, "clearselectors")) Selectors.RemoveRange(1, Selectors.Count - 1);
        else if (Eq(op, "reset"))
        {
            Apply(table, "resetpass", pubsubDefaultAll);
            Apply(table, "resetkeys", pubsubDefaultAll);
            Apply(table, "resetchannels", pubsubDefaultAll);
            if (pubsubDefaultAll) Apply(table, "allchannels", pubsubDefaultAll);
            Apply(table, "off", pubsubDefaultAll);
            Apply(table, "sanitize-payload", pubsubDefaultAll);
            Apply(table, "clearselectors", pubsubDefaultAll);
            Apply(table, "-@all", pubsubDefaultAll);
        }
        else return Root.Apply(table, op);
        return null;
    }

    /// <summary>Redis' ACLDescribeUser: the rules that recreate the user (ACL LIST, ACL SAVE).</summary>
    public string Describe(CommandTable table)
    {
        var sb = new StringBuilder();
        foreach (var f in FlagNames()) sb.Append(f).Append(' ');
        foreach (var p in Passwords) sb.Append('#').Append(p).Append(' ');
        for (int i = 0; i < Selectors.Count; i++)
        {
            var d = Selectors[i].Describe(table);
            if (i == 0) sb.Append(d);
            else sb.Append(" (").Append(d).Append(')');
        }
        return sb.ToString();
    }

    /// <summary>The flags in Redis' ACLUserFlags order.</summary>
    public IEnumerable<string> FlagNames()
    {
        yield return Enabled ? "on" : "off";
        if (NoPass) yield return "nopass";
        if (SkipSanitizePayload) yield return "skip-sanitize-payload";
        if (SanitizePayload) yield return "sanitize-payload";
    }

    /// <summary>Redis' ACLCheckUserCredentials after the lookup: enabled, and nopass or a matching hash (compared in constant time).</summary>
    public bool CheckPassword(ReadOnlySpan<byte> password)
    {
        if (!Enabled) return false;
        if (NoPass) return true;
        var given = Encoding.ASCII.GetBytes(Hash(password));
        bool ok = false;
        foreach (var p in Passwords)
            ok |= CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(p));
        return ok;
    }

    private static bool Eq(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    /// <summary>Words of a selector's inside, split as Redis' sdssplitargs does (quotes allowed).</summary>
    internal static List<string> ConfigSplit(string s) => Config.ConfigLoader.SplitArgs(s) ?? [s];
}
