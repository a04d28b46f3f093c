namespace Cinnabar.Keyspace;

/// <summary>
/// Redis' glob-style matching (stringmatchlen, ported index for index) over bytes: <c>*</c>, <c>?</c>,
/// <c>[abc]</c>, <c>[^a-z]</c>, <c>\</c> escapes. Used by KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET and
/// the collection SCANs.
/// </summary>
public static class Glob
{
    public static bool Match(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, bool ignoreCase = false)
    {
        bool skipLongerMatches = false;
        return Match(pattern, 0, text, 0, ignoreCase, ref skipLongerMatches, 0);
    }

    /// <summary>True when the pattern is "*", so callers can skip matching entirely.</summary>
    public static bool MatchesEverything(ReadOnlySpan<byte> pattern) => pattern.Length == 1 && pattern[0] == '*';

    // C reads the NUL terminator past the end of the pattern; At() reproduces that.
    private static int At(ReadOnlySpan<byte> p, int i) => i >= 0 && i < p.Length ? p[i] : 0;

    private static bool Match(ReadOnlySpan<byte> p, int pi, ReadOnlySpan<byte> s, int si, bool nocase, ref bool skipLongerMatches, int nesting)
    {
        if (nesting > 1000) return false; // protection against abusive patterns
        int plen = p.Length - pi, slen = s.Length - si;
        while (plen > 0 && slen > 0)
        {
            switch (At(p, pi))
            {
                case '*':
                    while (plen > 0 && At(p, pi + 1) == '*') { pi++; plen--; }
                    if (plen == 1) return true;
                    while (slen > 0)
                    {
                        if (Match(p[..(pi + plen)], pi + 1, s, si, nocase, ref skipLongerMatches, nesting + 1)) return true;
                        if (skipLongerMatches) return false;
                        si++; slen--;
                    }
                    // The rest of the pattern matches nowhere in the rest of the text: longer matches of
                    // earlier stars cannot help either.
                    skipLongerMatches = true;
                    return false;
                case '?':
                    si++; slen--;
                    break;
                case '[':
                    {
                        pi++; plen--;
                        bool not = At(p, pi) == '^';
                        if (not) { pi++; plen--; }
                        bool match = false;
                        while (true)
                        {
                            if (At(p, pi) == '\\' && plen >= 2)
                            {
                                pi++; plen--;
                                if (At(p, pi) == s[si]) match = true;
                            }
                            else if (At(p, pi) == ']') break;
                            else if (plen == 0) { pi--; plen++; break; }
                            else if (plen >= 3 && At(p, pi + 1) == '-')
                            {
                                int start = At(p, pi), end = At(p, pi + 2), c = s[si];
                                if (start > end) (start, end) = (end, start);
                                if (nocase) { start = Lower(start); end = Lower(end); c = Lower(c); }
                                pi += 2; plen -= 2;
                                if (c >= start && c <= end) match = true;
                            }
                            else if (!nocase ? At(p, pi) == s[si] : Lower(At(p, pi)) == Lower(s[si])) match = true;
                            pi++; plen--;
                        }
                        if (not) match = !match;
                        if (!match) return false;
                        si++; slen--;
                        break;
                    }
                case '\\':
                    if (plen >= 2) { pi++; plen--; }
                    goto default;
                default:
                    if (!nocase ? At(p, pi) != s[si] : Lower(At(p, pi)) != Lower(s[si])) return false;
                    si++; slen--;
                    break;
            }
            pi++; plen--;
            if (slen == 0)
            {
                while (At(p, pi) == '*') { pi++; plen--; }
                break;
            }
        }
        return plen == 0 && slen == 0;
    }

    private static int Lower(int c) => c is >= 'A' and <= 'Z' ? c | 0x20 : c;
}
