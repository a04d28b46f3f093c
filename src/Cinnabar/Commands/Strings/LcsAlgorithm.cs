namespace Cinnabar.Commands.Strings;

/// <summary>
/// Longest common subsequence for the LCS command: the classic dynamic-programming table, then a walk
/// back from the end that yields the same string and the same match ranges, in the same order, as Redis.
/// </summary>
public static class LcsAlgorithm
{
    /// <summary>One contiguous match: inclusive ranges in a and b.</summary>
    public readonly record struct Match(int AStart, int AEnd, int BStart, int BEnd)
    {
        public int Length => AEnd - AStart + 1;
    }

    /// <summary>Builds the table where cell (i, j) is the LCS length of a[..i] and b[..j]; null when too large.</summary>
    public static int[]? BuildTable(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        long cells = (long)(a.Length + 1) * (b.Length + 1);
        if (cells > Array.MaxLength) return null;
        int[] t;
        try { t = new int[cells]; }
        catch (OutOfMemoryException) { return null; }
        int w = b.Length + 1;
        for (int i = 1; i <= a.Length; i++)
        {
            int row = i * w, prev = (i - 1) * w;
            byte ai = a[i - 1];
            for (int j = 1; j <= b.Length; j++)
            {
                if (ai == b[j - 1]) t[row + j] = t[prev + j - 1] + 1;
                else
                {
                    int up = t[prev + j], left = t[row + j - 1];
                    t[row + j] = up > left ? up : left;
                }
            }
        }
        return t;
    }

    /// <summary>
    /// Walks the table back from (alen, blen), filling <paramref name="lcs"/> (length = table's last cell) and
    /// reporting ranges from the end of the strings towards the start, as Redis emits them.
    /// </summary>
    public static void Walk(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int[] t, Span<byte> lcs, List<Match>? matches)
    {
        int w = b.Length + 1;
        int i = a.Length, j = b.Length, idx = lcs.Length;
        bool open = false;
        int aStart = 0, aEnd = 0, bStart = 0, bEnd = 0;
        while (i > 0 && j > 0)
        {
            bool emit = false;
            if (a[i - 1] == b[j - 1])
            {
                lcs[--idx] = a[i - 1];
                if (!open)
                {
                    open = true;
                    aStart = aEnd = i - 1;
                    bStart = bEnd = j - 1;
                }
                else
                {
                    // A match right after a match always extends the range backwards.
                    aStart--;
                    bStart--;
                }
                if (aStart == 0 || bStart == 0) emit = true;
                i--; j--;
            }
            else
            {
                if (t[(i - 1) * w + j] > t[i * w + j - 1]) i--; else j--;
                if (open) emit = true;
            }
            if (emit)
            {
                matches?.Add(new Match(aStart, aEnd, bStart, bEnd));
                open = false;
            }
        }
    }

    /// <summary>Computes and writes the LCS reply in the shape the options ask for.</summary>
    public static void Reply(Client c, byte[] a, byte[] b, bool getLen, bool getIdx, bool withMatchLen, long minMatchLen)
    {
        var t = BuildTable(a, b);
        if (t is null)
        {
            c.Reply.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
            return;
        }
        int total = t[^1];
        if (getLen && !getIdx) { c.Reply.Integer(total); return; }
        var lcs = new byte[total];
        List<Match>? matches = getIdx ? new List<Match>() : null;
        Walk(a, b, t, lcs, matches);
        if (!getIdx) { c.Reply.Bulk(lcs); return; }

        int shown = 0;
        foreach (var m in matches!) if (minMatchLen == 0 || m.Length >= minMatchLen) shown++;
        c.Reply.MapHeader(2);
        c.Reply.Bulk("matches"u8);
        c.Reply.ArrayHeader(shown);
        foreach (var m in matches)
        {
            if (minMatchLen != 0 && m.Length < minMatchLen) continue;
            c.Reply.ArrayHeader(withMatchLen ? 3 : 2);
            c.Reply.ArrayHeader(2);
            c.Reply.Integer(m.AStart);
            c.Reply.Integer(m.AEnd);
            c.Reply.ArrayHeader(2);
            c.Reply.Integer(m.BStart);
            c.Reply.Integer(m.BEnd);
            if (withMatchLen) c.Reply.Integer(m.Length);
        }
        c.Reply.Bulk("len"u8);
        c.Reply.Integer(total);
    }
}
