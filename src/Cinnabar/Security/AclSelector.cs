using System.Text;
using Cinnabar.Commands;
using Cinnabar.Keyspace;

namespace Cinnabar.Security;

/// <summary>Read/write permissions of a key pattern (%R~, %W~, %RW~ or ~).</summary>
[Flags]
public enum KeyPermission : byte { None = 0, Read = 1, Write = 2, All = 3 }

/// <summary>A key pattern of a selector and what it allows.</summary>
public sealed class KeyPattern(byte[] pattern, KeyPermission flags)
{
    public byte[] Pattern { get; } = pattern;
    public KeyPermission Flags { get; set; } = flags;
}

/// <summary>
/// A set of permissions: allowed commands (a bitmap by <see cref="CommandDef.AclId"/>, as Redis'
/// allowed_commands), key patterns and channel patterns. A user has a root selector and may have more
/// ("(...)" rules); a command is allowed when any selector allows it entirely (Redis 7.0's selectors).
/// </summary>
public sealed class AclSelector
{
    /// <summary>Bitmap size: Redis' USER_COMMAND_BITS_COUNT. The last bit means "commands added in the future", set only by +@all.</summary>
    public const int CommandBits = 1024;
    private const int FutureBit = CommandBits - 1;

    private readonly ulong[] _allowed = new ulong[CommandBits / 64];
    public bool AllKeys, AllChannels, AllCommands;
    public readonly List<KeyPattern> Keys = [];
    public readonly List<byte[]> Channels = [];
    /// <summary>Allowed first arguments of otherwise denied commands (+select|0), by command id.</summary>
    public Dictionary<int, List<string>>? FirstArgs;

    public AclSelector(bool allChannels) => AllChannels = allChannels;

    public AclSelector Clone()
    {
        var s = new AclSelector(AllChannels) { AllKeys = AllKeys, AllCommands = AllCommands };
        _allowed.CopyTo(s._allowed, 0);
        foreach (var k in Keys) s.Keys.Add(new KeyPattern(k.Pattern, k.Flags));
        s.Channels.AddRange(Channels);
        if (FirstArgs is not null)
        {
            s.FirstArgs = new Dictionary<int, List<string>>();
            foreach (var (id, list) in FirstArgs) s.FirstArgs[id] = [.. list];
        }
        return s;
    }

    public bool Unrestricted => AllCommands && AllKeys && AllChannels;

    public bool GetBit(int id) => (_allowed[id >> 6] & (1UL << (id & 63))) != 0;

    private void SetBit(int id, bool value)
    {
        if (value) _allowed[id >> 6] |= 1UL << (id & 63);
        else
        {
            _allowed[id >> 6] &= ~(1UL << (id & 63));
            AllCommands = false;
        }
    }

    public bool CanExecuteFutureCommands => GetBit(FutureBit);

    /// <summary>Redis' ACLChangeSelectorPerm: a container takes its subcommands with it.</summary>
    public void ChangePerm(CommandDef cmd, bool allow)
    {
        SetBit(cmd.AclId, allow);
        FirstArgs?.Remove(cmd.AclId);
        if (cmd.Subcommands is not null)
            foreach (var sub in cmd.Subcommands) SetBit(sub.AclId, allow);
    }

    private void SetCategory(CommandTable table, AclCategories cat, bool allow)
    {
        foreach (var cmd in table.All)
        {
            if ((cmd.Acl & cat) != 0) ChangePerm(cmd, allow);
            if (cmd.Subcommands is not null)
                foreach (var sub in cmd.Subcommands)
                    if ((sub.Acl & cat) != 0) ChangePerm(sub, allow);
        }
    }

    private void CountCategory(CommandTable table, AclCategories cat, out int on, out int off)
    {
        on = off = 0;
        foreach (var cmd in table.All)
        {
            if ((cmd.Acl & cat) != 0) { if (GetBit(cmd.AclId)) on++; else off++; }
            if (cmd.Subcommands is not null)
                foreach (var sub in cmd.Subcommands)
                    if ((sub.Acl & cat) != 0) { if (GetBit(sub.AclId)) on++; else off++; }
        }
    }

    public static AclCategories CategoryByName(string name)
    {
        foreach (var (cat, n) in CommandDef.AclNames)
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase)) return cat;
        return AclCategories.None;
    }

    /// <summary>
    /// Redis 7.0's ACLSetSelector: applies one rule. Returns null, or the reason (Redis' error text) when
    /// the rule is refused.
    /// </summary>
    public string? Apply(CommandTable table, string op)
    {
        if (Eq(op, "allkeys") || op == "~*")
        {
            AllKeys = true;
            Keys.Clear();
        }
        else if (Eq(op, "resetkeys"))
        {
            AllKeys = false;
            Keys.Clear();
        }
        else if (Eq(op, "allchannels") || op == "&*")
        {
            AllChannels = true;
            Channels.Clear();
        }
        else if (Eq(op, "resetchannels"))
        {
            AllChannels = false;
            Channels.Clear();
        }
        else if (Eq(op, "allcommands") || Eq(op, "+@all"))
        {
            Array.Fill(_allowed, ulong.MaxValue);
            AllCommands = true;
            FirstArgs = null;
        }
        else if (Eq(op, "nocommands") || Eq(op, "-@all"))
        {
            Array.Clear(_allowed);
            AllCommands = false;
            FirstArgs = null;
        }
        else if (op.Length > 0 && (op[0] == '~' || op[0] == '%'))
        {
            if (AllKeys) return AclErrors.KeyAfterAll;
            var flags = KeyPermission.None;
            int offset = 1;
            if (op[0] == '%')
            {
                for (; offset < op.Length; offset++)
                {
                    char ch = char.ToUpperInvariant(op[offset]);
                    if (ch == 'R' && (flags & KeyPermission.Read) == 0) flags |= KeyPermission.Read;
                    else if (ch == 'W' && (flags & KeyPermission.Write) == 0) flags |= KeyPermission.Write;
                    else if (op[offset] == '~') { offset++; break; }
                    else return AclErrors.Syntax;
                }
                // As Redis: "%~x" is refused, "%R" is the empty pattern.
                if (flags == KeyPermission.None) return AclErrors.Syntax;
            }
            else flags = KeyPermission.All;
            var pattern = op[offset..];
            if (HasSpaces(pattern)) return AclErrors.Syntax;
            var bytes = Latin1(pattern);
            var existing = Keys.Find(k => k.Pattern.AsSpan().SequenceEqual(bytes));
            if (existing is null) Keys.Add(new KeyPattern(bytes, flags));
            else existing.Flags |= flags;
            AllKeys = false;
        }
        else if (op.Length > 0 && op[0] == '&')
        {
            if (AllChannels) return AclErrors.ChannelAfterAll;
            var pattern = op[1..];
            if (HasSpaces(pattern)) return AclErrors.Syntax;
            var bytes = Latin1(pattern);
            if (!Channels.Exists(ch => ch.AsSpan().SequenceEqual(bytes))) Channels.Add(bytes);
            AllChannels = false;
        }
        else if (op.Length > 1 && op[0] == '+' && op[1] != '@')
        {
            int bar = op.LastIndexOf('|');
            if (bar < 0)
            {
                var cmd = Lookup(table, op[1..]);
                if (cmd is null) return AclErrors.UnknownCommand;
                ChangePerm(cmd, true);
            }
            else
            {
                var cmd = Lookup(table, op[1..bar]);
                if (cmd is null) return AclErrors.UnknownCommand;
                if (cmd.Parent is not null) return AclErrors.FirstArgOfSubcommand;
                var sub = op[(bar + 1)..];
                if (sub.Length == 0) return AclErrors.Syntax;
                if (cmd.Subcommands is not null)
                {
                    var subcmd = Lookup(table, op[1..]);
                    if (subcmd is null) return AclErrors.UnknownCommand;
                    ChangePerm(subcmd, true);
                }
                else
                {
                    // Redis' allowed_firstargs (+select|0): deprecated there too, kept for compatibility.
                    FirstArgs ??= new Dictionary<int, List<string>>();
                    if (!FirstArgs.TryGetValue(cmd.AclId, out var list)) FirstArgs[cmd.AclId] = list = [];
                    if (!list.Exists(x => string.Equals(x, sub, StringComparison.OrdinalIgnoreCase))) list.Add(sub);
                }
            }
        }
        else if (op.Length > 1 && op[0] == '-' && op[1] != '@')
        {
            var cmd = Lookup(table, op[1..]);
            if (cmd is null) return AclErrors.UnknownCommand;
            ChangePerm(cmd, false);
        }
        else if (op.Length > 1 && (op[0] == '+' || op[0] == '-') && op[1] == '@')
        {
            var cat = CategoryByName(op[2..]);
            if (cat == AclCategories.None) return AclErrors.UnknownCommand;
            SetCategory(table, cat, op[0] == '+');
        }
        else return AclErrors.Syntax;
        return null;
    }

    /// <summary>Redis' ACLLookupCommand: "name" or "container|sub", case-insensitive.</summary>
    public static CommandDef? Lookup(CommandTable table, string name)
    {
        int bar = name.IndexOf('|');
        if (bar < 0) return table.FindOriginal(Latin1(name));
        var parent = table.FindOriginal(Latin1(name[..bar]));
        if (parent?.Subcommands is null) return null;
        return CommandTable.FindSubcommand(parent, Latin1(name[(bar + 1)..]));
    }

    // ---- description (ACL LIST, GETUSER) -------------------------------------------------------------

    /// <summary>
    /// Redis 7.0's ACLDescribeSelectorCommandRules: +@all or -@all, then the categories that best explain the
    /// bitmap, then single commands for the remaining differences and the first-args.
    /// </summary>
    public string DescribeCommandRules(CommandTable table)
    {
        var sb = new StringBuilder();
        bool additive = !CanExecuteFutureCommands;
        var fake = new AclSelector(false);
        fake.Apply(table, additive ? "-@all" : "+@all");
        sb.Append(additive ? "-@all " : "+@all ");
        var temp = new AclSelector(false);
        _allowed.CopyTo(temp._allowed, 0);
        var applied = new bool[CommandDef.AclNames.Length];
        while (true)
        {
            int best = -1, minDiff = int.MaxValue, maxSame = 0;
            for (int j = 0; j < CommandDef.AclNames.Length; j++)
            {
                if (applied[j]) continue;
                temp.CountCategory(table, CommandDef.AclNames[j].Cat, out int on, out int off);
                int diff = additive ? off : on, same = additive ? on : off;
                if (same > diff && (diff < minDiff || (diff == minDiff && same > maxSame)))
                {
                    best = j;
                    minDiff = diff;
                    maxSame = same;
                }
            }
            if (best == -1) break;
            var name = CommandDef.AclNames[best].Name;
            fake.SetCategory(table, CommandDef.AclNames[best].Cat, additive);
            temp.SetCategory(table, CommandDef.AclNames[best].Cat, !additive);
            sb.Append(additive ? "+@" : "-@").Append(name).Append(' ');
            applied[best] = true;
        }
        foreach (var cmd in table.All) DescribeSingle(cmd, fake, sb);
        sb.Length--;
        return sb.ToString();
    }

    private void DescribeSingle(CommandDef cmd, AclSelector fake, StringBuilder sb)
    {
        bool userBit = GetBit(cmd.AclId);
        if (userBit != fake.GetBit(cmd.AclId))
        {
            sb.Append(userBit ? '+' : '-').Append(cmd.FullName).Append(' ');
            fake.ChangePerm(cmd, userBit);
        }
        if (cmd.Subcommands is not null)
            foreach (var sub in cmd.Subcommands) DescribeSingle(sub, fake, sb);
        if (!userBit && FirstArgs is not null && FirstArgs.TryGetValue(cmd.AclId, out var args))
            foreach (var a in args) sb.Append('+').Append(cmd.FullName).Append('|').Append(a).Append(' ');
    }

    public static string PatternString(KeyPattern p) => p.Flags switch
    {
        KeyPermission.All => "~" + Text(p.Pattern),
        KeyPermission.Read => "%R~" + Text(p.Pattern),
        _ => "%W~" + Text(p.Pattern),
    };

    public string DescribeKeys() => AllKeys ? "~*" : string.Join(' ', Keys.Select(PatternString));

    public string DescribeChannels() => AllChannels ? "&*" : string.Join(' ', Channels.Select(ch => "&" + Text(ch)));

    /// <summary>Redis' ACLDescribeSelector (ACL LIST form).</summary>
    public string Describe(CommandTable table)
    {
        var sb = new StringBuilder();
        if (AllKeys) sb.Append("~* ");
        else foreach (var k in Keys) sb.Append(PatternString(k)).Append(' ');
        if (AllChannels) sb.Append("&* ");
        else
        {
            sb.Append("resetchannels ");
            foreach (var ch in Channels) sb.Append('&').Append(Text(ch)).Append(' ');
        }
        sb.Append(DescribeCommandRules(table));
        return sb.ToString();
    }

    // ---- checks ---------------------------------------------------------------------------------------

    /// <summary>Redis' ACLSelectorCheckKey: a pattern with at least the permissions the key spec needs matches.</summary>
    public bool CheckKey(ReadOnlySpan<byte> key, KeyPermission needed)
    {
        if (AllKeys) return true;
        foreach (var p in Keys)
        {
            if ((p.Flags & needed) != needed) continue;
            if (Glob.Match(p.Pattern, key)) return true;
        }
        return false;
    }

    /// <summary>Redis' ACLCheckChannelAgainstList: a pattern subscription must equal an allowed pattern literally.</summary>
    public bool CheckChannel(ReadOnlySpan<byte> channel, bool isPattern)
    {
        if (AllChannels) return true;
        foreach (var p in Channels)
        {
            if (isPattern ? p.AsSpan().SequenceEqual(channel) : Glob.Match(p, channel)) return true;
        }
        return false;
    }

    /// <summary>Redis' ACLSelectorHasUnrestrictedKeyAccess (SORT BY/GET).</summary>
    public bool HasUnrestrictedKeyAccess(KeyPermission needed)
    {
        if (AllKeys) return true;
        foreach (var p in Keys)
            if ((p.Flags & needed) == needed && p.Pattern is [(byte)'*']) return true;
        return false;
    }

    public static KeyPermission Needed(KeySpecFlags flags)
    {
        var k = KeyPermission.None;
        if ((flags & KeySpecFlags.Access) != 0) k |= KeyPermission.Read;
        if ((flags & (KeySpecFlags.Insert | KeySpecFlags.Delete | KeySpecFlags.Update)) != 0) k |= KeyPermission.Write;
        return k;
    }

    private static bool Eq(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
    private static bool HasSpaces(string s) => s.AsSpan().IndexOfAny(' ', '\0') >= 0;
    internal static byte[] Latin1(string s) => Encoding.Latin1.GetBytes(s);
    internal static string Text(byte[] b) => Encoding.Latin1.GetString(b);
}

/// <summary>The reasons ACL SETUSER gives for a refused rule, as Redis 7.0's ACLSetUserStringError.</summary>
public static class AclErrors
{
    public const string Syntax = "Syntax error";
    public const string UnknownCommand = "Unknown command or category name in ACL";
    public const string KeyAfterAll = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    public const string ChannelAfterAll = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels";
    public const string NoSuchPassword = "The password you are trying to remove from the user does not exist";
    public const string BadHash = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters";
    public const string FirstArgOfSubcommand = "Allowing first-arg of a subcommand is not supported";
}
