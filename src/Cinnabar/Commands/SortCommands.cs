using System.Globalization;
using System.Text;
using Cinnabar.Keyspace;
using Cinnabar.Protocol;

namespace Cinnabar.Commands;

/// <summary>
/// SORT and SORT_RO: sort a list, set or sorted set numerically or lexically, optionally by external keys
/// (BY pattern, hash fields with "->"), with LIMIT, GET patterns ("#" is the element) and STORE into a list.
/// Access to the collection types goes through <see cref="SortSources"/>.
/// </summary>
public static class SortCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("sort", Sort) { Keys = SortKeys };
        yield return new("sort_ro", SortReadOnly) { Keys = (c, keys) => keys.Add(new(1, KeySpecFlags.RO | KeySpecFlags.Access)) };
    }

    /// <summary>
    /// Redis' sortGetKeys: the sorted key, plus the key after the last STORE. Like Redis it does not skip
    /// a STORE's argument, so in "STORE a STORE b" both STOREs are seen and the last one counts.
    /// </summary>
    private static void SortKeys(Client c, List<KeyReference> keys)
    {
        keys.Add(new(1, KeySpecFlags.RO | KeySpecFlags.Access));
        int store = 0;
        for (int i = 2; i < c.ArgCount; i++)
        {
            if (c.ArgIs(i, "limit"u8)) i += 2;
            else if (c.ArgIs(i, "get"u8) || c.ArgIs(i, "by"u8)) i++;
            else if (c.ArgIs(i, "store"u8) && i + 1 < c.ArgCount) store = i + 1;
        }
        if (store != 0) keys.Add(new(store, KeySpecFlags.OW | KeySpecFlags.Update));
    }

    private static void Sort(Client c) => SortGeneric(c, readOnly: false);
    private static void SortReadOnly(Client c) => SortGeneric(c, readOnly: true);

    private struct Item
    {
        public byte[] Element;
        public double Score;
        public byte[]? CompareBy;
    }

    /// <summary>Redis' ACLUserCheckCmdWithUnrestrictedKeyAccess for reads (SORT's BY and GET patterns).</summary>
    private static bool FullKeyAccess(Client c) =>
        !c.SecurityCheck || c.Server.Acl.HasUnrestrictedKeyAccess(c, c.CurrentCommand!, Security.KeyPermission.Read);

    private static void SortGeneric(Client c, bool readOnly)
    {
        bool desc = false, alpha = false, dontSort = false;
        long limitStart = 0, limitCount = -1;
        int byArg = -1, storeArg = -1;
        var getArgs = new List<int>();

        for (int j = 2; j < c.ArgCount; j++)
        {
            int left = c.ArgCount - j - 1;
            if (c.ArgIs(j, "asc"u8)) desc = false;
            else if (c.ArgIs(j, "desc"u8)) desc = true;
            else if (c.ArgIs(j, "alpha"u8)) alpha = true;
            else if (c.ArgIs(j, "limit"u8) && left >= 2)
            {
                if (!c.TryGetLong(j + 1, out limitStart) || !c.TryGetLong(j + 2, out limitCount)) return;
                j += 2;
            }
            else if (!readOnly && c.ArgIs(j, "store"u8) && left >= 1) storeArg = ++j;
            else if (c.ArgIs(j, "by"u8) && left >= 1)
            {
                byArg = ++j;
                // A constant BY pattern (no '*') means "don't sort": weights would all be missing.
                if (CString(c.Arg(byArg)).IndexOf((byte)'*') < 0) dontSort = true;
                // A real pattern reads keys the key specs do not name: only for users allowed to read every key.
                else if (!FullKeyAccess(c))
                {
                    c.Reply.Error("ERR BY option of SORT denied due to insufficient ACL permissions.");
                    return;
                }
            }
            else if (c.ArgIs(j, "get"u8) && left >= 1)
            {
                if (!FullKeyAccess(c))
                {
                    c.Reply.Error("ERR GET option of SORT denied due to insufficient ACL permissions.");
                    return;
                }
                getArgs.Add(++j);
            }
            else { c.SyntaxError(); return; }
        }

        var db = c.Db;
        var keyIndex = db.FindForRead(c.Arg(1)); // a read lookup with STORE too, as in Redis 7.0
        object? source = keyIndex >= 0 ? db.EntryAt(keyIndex).Value : null;
        var kind = source is null ? SortSources.Kind.None : SortSources.KindOf(source);
        if (kind == SortSources.Kind.Other) { c.WrongType(); return; }

        // Sets have no natural order: when the result is stored, sort them so replicas agree.
        if (dontSort && kind == SortSources.Kind.Set && storeArg >= 0)
        {
            dontSort = false;
            alpha = true;
            byArg = -1;
        }

        long length = source is null ? 0 : SortSources.Count(source);
        long start = limitStart < 0 ? 0 : limitStart;
        long end = limitCount < 0 ? length - 1 : start + limitCount - 1;
        if (start >= length) { start = length - 1; end = length - 2; }
        if (end >= length) end = length - 1;

        List<byte[]> elements;
        if ((kind == SortSources.Kind.List || kind == SortSources.Kind.SortedSet) && dontSort && (start != 0 || end != length - 1))
        {
            // Only the requested range, in natural order (reversed for a sorted set with DESC).
            elements = end >= start ? SortSources.Range(source!, start, end - start + 1, reverse: kind == SortSources.Kind.SortedSet && desc) : [];
            end -= start;
            start = 0;
        }
        else if (kind == SortSources.Kind.SortedSet && dontSort)
        {
            elements = SortSources.Range(source!, 0, length, reverse: desc);
        }
        else elements = source is null ? [] : SortSources.Elements(source);

        var items = new Item[elements.Count];
        for (int i = 0; i < items.Length; i++) items[i].Element = elements[i];

        bool conversionError = false;
        if (!dontSort)
        {
            for (int i = 0; i < items.Length; i++)
            {
                byte[]? by;
                if (byArg >= 0)
                {
                    by = LookupByPattern(db, c.Arg(byArg), items[i].Element);
                    if (by is null) continue;
                }
                else by = items[i].Element;

                if (alpha)
                {
                    if (byArg >= 0) items[i].CompareBy = by;
                }
                else if (!TryStrtod(by, out items[i].Score)) conversionError = true;
            }
            var comparer = new ItemComparer(alpha, byArg >= 0, storeArg >= 0, desc);
            Array.Sort(items, comparer);
        }

        long outputLength = end >= start ? (getArgs.Count > 0 ? getArgs.Count : 1) * (end - start + 1) : 0;
        if (conversionError)
        {
            c.Reply.Error("ERR One or more scores can't be converted into double");
            return;
        }

        if (storeArg < 0)
        {
            c.Reply.ArrayHeader(outputLength);
            for (long j = start; j <= end; j++)
            {
                if (getArgs.Count == 0) c.Reply.Bulk(items[j].Element);
                foreach (int g in getArgs)
                {
                    var v = LookupByPattern(db, c.Arg(g), items[j].Element);
                    if (v is null) c.Reply.Null(); else c.Reply.Bulk(v);
                }
            }
            return;
        }

        var stored = new List<byte[]>();
        for (long j = start; j <= end; j++)
        {
            if (getArgs.Count == 0) stored.Add(items[j].Element);
            foreach (int g in getArgs) stored.Add(LookupByPattern(db, c.Arg(g), items[j].Element) ?? []);
        }
        var dest = c.Arg(storeArg);
        if (outputLength > 0)
        {
            db.Set(dest, SortSources.CreateList(stored, c.Server.Config));
            c.KeyModified(dest);
            c.Notify(NotifyFlags.List, "sortstore", dest);
            c.Dirty(outputLength);
        }
        else c.DeleteStoreDestination(dest);
        c.Reply.Integer(outputLength);
    }

    /// <summary>
    /// Redis' lookupKeyByPattern: "#" is the element itself; otherwise the first '*' is replaced by the
    /// element, and "key->field" reads a hash field. Patterns without '*' find nothing.
    /// </summary>
    internal static byte[]? LookupByPattern(Database db, ReadOnlySpan<byte> pattern, byte[] element)
    {
        var pat = CString(pattern);
        if (pat.Length == 1 && pat[0] == '#') return element;
        int star = pat.IndexOf((byte)'*');
        if (star < 0) return null;
        var subst = CString(element);
        int arrow = pat[(star + 1)..].IndexOf("->"u8);
        ReadOnlySpan<byte> field = default;
        bool isField = false;
        if (arrow >= 0)
        {
            arrow += star + 1;
            if (arrow + 2 < pat.Length)
            {
                field = pat[(arrow + 2)..];
                isField = true;
            }
        }
        int postfixLen = pattern.Length - star - 1 - (isField ? field.Length + 2 : 0);
        var key = new byte[star + subst.Length + postfixLen];
        pattern[..star].CopyTo(key);
        subst.CopyTo(key.AsSpan(star));
        pattern.Slice(star + 1, postfixLen).CopyTo(key.AsSpan(star + subst.Length));

        int i = db.FindForRead(key);
        if (i < 0) return null;
        var value = db.EntryAt(i).Value;
        if (isField) return SortSources.HashField(value!, field);
        return value as byte[];
    }

    /// <summary>C string view: Redis treats patterns and elements here as NUL-terminated.</summary>
    private static ReadOnlySpan<byte> CString(ReadOnlySpan<byte> s)
    {
        int nul = s.IndexOf((byte)0);
        return nul < 0 ? s : s[..nul];
    }

    /// <summary>strtod as SORT uses it: leading spaces allowed, the whole C string must be consumed, NaN rejected.</summary>
    private static bool TryStrtod(byte[] value, out double score)
    {
        var s = Encoding.Latin1.GetString(CString(value)).TrimStart(' ', '\t', '\n', '\v', '\f', '\r');
        score = 0;
        if (s.Length == 0) return false;
        if (RespNumbers.TryParseDouble(Encoding.Latin1.GetBytes(s), out score)) return true;
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || s.StartsWith("-0x", StringComparison.OrdinalIgnoreCase))
        {
            bool neg = s[0] == '-';
            if (long.TryParse(s[(neg ? 3 : 2)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long hex))
            {
                score = neg ? -hex : hex;
                return true;
            }
        }
        return false;
    }

    private sealed class ItemComparer(bool alpha, bool byPattern, bool store, bool desc) : IComparer<Item>
    {
        public int Compare(Item a, Item b)
        {
            int cmp;
            if (!alpha)
            {
                cmp = a.Score > b.Score ? 1 : a.Score < b.Score ? -1 : Bytes(a.Element, b.Element, binary: true);
            }
            else if (byPattern)
            {
                if (a.CompareBy is null || b.CompareBy is null)
                    cmp = a.CompareBy == b.CompareBy ? 0 : a.CompareBy is null ? -1 : 1;
                else cmp = Bytes(a.CompareBy, b.CompareBy, store);
            }
            else cmp = Bytes(a.Element, b.Element, store);
            return desc ? -cmp : cmp;
        }

        // With STORE Redis compares binary-safely (memcmp); otherwise strcoll on C strings (the C locale).
        private static int Bytes(byte[] x, byte[] y, bool binary) =>
            binary ? Math.Sign(x.AsSpan().SequenceCompareTo(y)) : Math.Sign(CString(x).SequenceCompareTo(CString(y)));
    }
}
