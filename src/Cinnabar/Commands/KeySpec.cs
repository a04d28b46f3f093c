using System.Text;
using Cinnabar.Protocol;

namespace Cinnabar.Commands;

/// <summary>Key-spec flags (Redis' CMD_KEY_*), in the order COMMAND INFO and GETKEYSANDFLAGS list them.</summary>
[Flags]
public enum KeySpecFlags : ushort
{
    None = 0,
    RO = 1 << 0,
    RW = 1 << 1,
    OW = 1 << 2,
    RM = 1 << 3,
    Access = 1 << 4,
    Update = 1 << 5,
    Insert = 1 << 6,
    Delete = 1 << 7,
    NotKey = 1 << 8,
    Incomplete = 1 << 9,
    VariableFlags = 1 << 10,
}

/// <summary>A key argument found by <see cref="CommandDef.GetKeys"/>: its index in the command and its flags.</summary>
public readonly record struct KeyReference(int Position, KeySpecFlags Flags);

/// <summary>
/// Finds the keys of a call where Redis has a getkeys procedure (SORT's STORE, SET's flags, numkeys
/// commands when the key spec cannot be applied). Redis consults it only when the key specs fail.
/// </summary>
public delegate void KeyFinder(Client client, List<KeyReference> keys);

public enum BeginSearchType : byte { Unknown, Index, Keyword }
public enum FindKeysType : byte { Unknown, Range, Keynum }

/// <summary>
/// One key specification of a command, as Redis 7.0 declares it (begin_search, then find_keys), from
/// commands.json. COMMAND INFO reports it and COMMAND GETKEYS applies it (<see cref="Find"/>).
/// </summary>
public sealed class KeySpec
{
    public string? Notes { get; init; }
    public KeySpecFlags Flags { get; init; }
    public BeginSearchType BeginSearch { get; init; }
    /// <summary>begin_search index: the argument index of the first key.</summary>
    public int Index { get; init; }
    /// <summary>begin_search keyword: the keys follow this word, searched from <see cref="StartFrom"/> (negative: from the end, backwards).</summary>
    public string Keyword { get; init; } = "";
    public byte[] KeywordBytes { get; init; } = [];
    public int StartFrom { get; init; }
    public FindKeysType FindKeys { get; init; }
    /// <summary>range: last key relative to the first (negative: from the end), step, and limit (1/limit of the rest).</summary>
    public int LastKey { get; init; }
    public int KeyStep { get; init; }
    public int Limit { get; init; }
    /// <summary>keynum: where the key count is (relative to the begin_search position) and the first key after it.</summary>
    public int KeyNumIdx { get; init; }
    public int FirstKey { get; init; }

    public static readonly (KeySpecFlags Flag, string Name)[] FlagNames =
    [
        (KeySpecFlags.RO, "RO"), (KeySpecFlags.RW, "RW"), (KeySpecFlags.OW, "OW"), (KeySpecFlags.RM, "RM"),
        (KeySpecFlags.Access, "access"), (KeySpecFlags.Update, "update"), (KeySpecFlags.Insert, "insert"),
        (KeySpecFlags.Delete, "delete"), (KeySpecFlags.NotKey, "not_key"), (KeySpecFlags.Incomplete, "incomplete"),
        (KeySpecFlags.VariableFlags, "variable_flags"),
    ];

    /// <summary>Redis' addReplyFlagsForKeyArgs: a set of status strings.</summary>
    public static void WriteFlags(ReplyBuffer r, KeySpecFlags flags)
    {
        int n = 0;
        foreach (var (f, _) in FlagNames) if ((flags & f) != 0) n++;
        r.SetHeader(n);
        foreach (var (f, name) in FlagNames) if ((flags & f) != 0) r.SimpleString(name);
    }

    /// <summary>This spec as COMMAND INFO reports it (Redis' addReplyCommandKeySpecs).</summary>
    public void Write(ReplyBuffer r)
    {
        r.MapHeader(Notes is null ? 3 : 4);
        if (Notes is not null) { r.Bulk("notes"u8); r.Bulk(Notes); }
        r.Bulk("flags"u8);
        WriteFlags(r, Flags);
        r.Bulk("begin_search"u8);
        r.MapHeader(2);
        r.Bulk("type"u8);
        switch (BeginSearch)
        {
            case BeginSearchType.Index:
                r.Bulk("index"u8); r.Bulk("spec"u8); r.MapHeader(1);
                r.Bulk("index"u8); r.Integer(Index);
                break;
            case BeginSearchType.Keyword:
                r.Bulk("keyword"u8); r.Bulk("spec"u8); r.MapHeader(2);
                r.Bulk("keyword"u8); r.Bulk(KeywordBytes);
                r.Bulk("startfrom"u8); r.Integer(StartFrom);
                break;
            default:
                r.Bulk("unknown"u8); r.Bulk("spec"u8); r.MapHeader(0);
                break;
        }
        r.Bulk("find_keys"u8);
        r.MapHeader(2);
        r.Bulk("type"u8);
        switch (FindKeys)
        {
            case FindKeysType.Range:
                r.Bulk("range"u8); r.Bulk("spec"u8); r.MapHeader(3);
                r.Bulk("lastkey"u8); r.Integer(LastKey);
                r.Bulk("keystep"u8); r.Integer(KeyStep);
                r.Bulk("limit"u8); r.Integer(Limit);
                break;
            case FindKeysType.Keynum:
                r.Bulk("keynum"u8); r.Bulk("spec"u8); r.MapHeader(3);
                r.Bulk("keynumidx"u8); r.Integer(KeyNumIdx);
                r.Bulk("firstkey"u8); r.Integer(FirstKey);
                r.Bulk("keystep"u8); r.Integer(KeyStep);
                break;
            default:
                r.Bulk("unknown"u8); r.Bulk("spec"u8); r.MapHeader(0);
                break;
        }
    }

    /// <summary>
    /// Redis' getKeysUsingKeySpecs: adds the keys every spec finds in the client's current arguments.
    /// False when a spec cannot be applied (unknown search, bad key count, out of range): the caller then
    /// falls back to the command's key finder, as Redis falls back to its getkeys procedure.
    /// </summary>
    public static bool Find(KeySpec[] specs, Client c, List<KeyReference> result)
    {
        int argc = c.ArgCount;
        foreach (var spec in specs)
        {
            // Channels of SSUBSCRIBE and the like are declared as keys only for cluster routing.
            if ((spec.Flags & KeySpecFlags.NotKey) != 0) continue;
            int first = 0;
            if (spec.BeginSearch == BeginSearchType.Index) first = spec.Index;
            else if (spec.BeginSearch == BeginSearchType.Keyword)
            {
                int start = spec.StartFrom > 0 ? spec.StartFrom : argc + spec.StartFrom;
                int end = spec.StartFrom > 0 ? argc - 1 : 1;
                for (int i = start; i != end; i = start <= end ? i + 1 : i - 1)
                {
                    if (i >= argc || i < 1) break;
                    if (Ascii.EqualsIgnoreCase(c.Arg(i), spec.KeywordBytes)) { first = i + 1; break; }
                }
                if (first == 0) continue; // keyword absent: no keys from this spec
            }
            else return false;

            int last, step;
            if (spec.FindKeys == FindKeysType.Range)
            {
                step = spec.KeyStep;
                if (spec.LastKey >= 0) last = first + spec.LastKey;
                else if (spec.Limit == 0) last = argc + spec.LastKey;
                else last = first + ((argc - first) / spec.Limit + spec.LastKey);
            }
            else if (spec.FindKeys == FindKeysType.Keynum)
            {
                step = spec.KeyStep;
                if (spec.KeyNumIdx >= argc || first + spec.KeyNumIdx >= argc) return false;
                if (!RespNumbers.TryParseInt64(c.Arg(first + spec.KeyNumIdx), out long numKeys) || numKeys < 0 || numKeys > int.MaxValue)
                    return false;
                first += spec.FirstKey;
                last = first + (int)numKeys - 1;
            }
            else return false;

            // First or last out of bounds: a syntax error the command itself will report.
            if (last >= argc || last < first || first >= argc) return false;
            for (int i = first; i <= last; i += step)
            {
                // Only possible for commands of variable arity; the command reports the error.
                if (i >= argc || i < first) continue;
                result.Add(new KeyReference(i, spec.Flags));
            }
        }
        return true;
    }

    /// <summary>
    /// Redis' populateCommandLegacyRangeSpec: the (first, last, step) that COMMAND INFO still reports,
    /// the smallest plain range covering the index/range specs.
    /// </summary>
    public static (int First, int Last, int Step) LegacyRange(KeySpec[] specs)
    {
        if (specs.Length == 0) return (0, 0, 0);
        KeySpec? only = specs.Length == 1 && specs[0] is { BeginSearch: BeginSearchType.Index, FindKeys: FindKeysType.Range } s ? s : null;
        if (only is not null)
            return (only.Index, only.LastKey >= 0 ? only.LastKey + only.Index : only.LastKey, only.KeyStep);
        int firstKey = int.MaxValue;
        uint lastKey = 0, prevLastKey = 0;
        foreach (var spec in specs)
        {
            if (spec.BeginSearch != BeginSearchType.Index || spec.FindKeys != FindKeysType.Range) continue;
            if (spec.KeyStep != 1 || (prevLastKey != 0 && prevLastKey != spec.Index - 1)) continue;
            firstKey = Math.Min(firstKey, spec.Index);
            int abs = spec.LastKey >= 0 ? spec.LastKey + spec.Index : spec.LastKey;
            // Redis compares unsigned, so a negative (from the end) last key wins.
            lastKey = Math.Max(lastKey, (uint)abs);
            prevLastKey = lastKey;
        }
        if (firstKey == int.MaxValue) return (0, 0, 0);
        int last = (int)lastKey;
        return (firstKey, last, 1);
    }

    // ---- Redis' getkeys procedures, for the commands that have one ------------------------------------

    /// <summary>
    /// Redis' genericGetKeys: "numkeys key [key ...]" at <paramref name="keyCountOfs"/>, plus a store key;
    /// no keys when the count is out of range. Keys found this way carry no flags, as in Redis.
    /// </summary>
    public static KeyFinder NumKeys(int storeKeyOfs, int keyCountOfs, int firstKeyOfs) => (c, keys) =>
    {
        long num = Atoi(c.Arg(keyCountOfs));
        if (num < 1 || num > c.ArgCount - firstKeyOfs) return;
        for (int i = 0; i < num; i++) keys.Add(new KeyReference(firstKeyOfs + i, KeySpecFlags.None));
        if (storeKeyOfs != 0) keys.Add(new KeyReference(storeKeyOfs, KeySpecFlags.None));
    };

    /// <summary>C's atoi: leading blanks, a sign, then digits up to the first non-digit; 0 if none.</summary>
    public static long Atoi(ReadOnlySpan<byte> s)
    {
        int i = 0;
        while (i < s.Length && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) i++;
        bool negative = false;
        if (i < s.Length && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
        long n = 0;
        for (; i < s.Length && s[i] >= '0' && s[i] <= '9' && n < int.MaxValue; i++) n = n * 10 + (s[i] - '0');
        return negative ? -n : n;
    }
}
