namespace Cinnabar.Persistence;

/// <summary>
/// The LZF compression format used for long strings in RDB files. Written from the format description:
/// a control byte below 32 starts a literal run of (ctrl + 1) bytes; otherwise its top three bits are a
/// match length (7 = read one more length byte) and the low five bits plus the next byte an offset back.
/// </summary>
public static class Lzf
{
    private const int MaxLiteral = 32;
    private const int MaxOffset = 1 << 13;

    /// <summary>Decompresses into <paramref name="output"/>, which must be exactly the original length.</summary>
    public static bool TryDecompress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int ip = 0, op = 0;
        while (ip < input.Length)
        {
            int ctrl = input[ip++];
            if (ctrl < 32)
            {
                int len = ctrl + 1;
                if (op + len > output.Length || ip + len > input.Length) return false;
                input.Slice(ip, len).CopyTo(output[op..]);
                ip += len;
                op += len;
            }
            else
            {
                int len = ctrl >> 5;
                if (len == 7)
                {
                    if (ip >= input.Length) return false;
                    len += input[ip++];
                }
                if (ip >= input.Length) return false;
                int reference = op - ((ctrl & 0x1f) << 8) - input[ip++] - 1;
                len += 2;
                if (reference < 0 || op + len > output.Length) return false;
                // Overlapping copies are allowed (runs), so copy byte by byte.
                for (int i = 0; i < len; i++) output[op++] = output[reference++];
            }
        }
        return op == output.Length;
    }

    /// <summary>
    /// Compresses <paramref name="input"/> into <paramref name="output"/>; returns the compressed length, or 0
    /// when the result would not fit (the caller then stores the string uncompressed).
    /// Follows liblzf's "very fast" strategy as Redis builds it (64K-entry hash table of 3-byte prefixes,
    /// starting empty), so the bytes match what Redis writes for the same string.
    /// </summary>
    public static int Compress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int inLen = input.Length, outLen = output.Length;
        if (inLen == 0 || outLen == 0) return 0;
        var table = System.Buffers.ArrayPool<int>.Shared.Rent(HashSize);
        try
        {
            Array.Clear(table, 0, HashSize);
            int ip = 0, op = 0, lit = 0;
            op++; // start a literal run
            uint hval = First(input, ip);
            while (ip < inLen - 2)
            {
                hval = Next(hval, input, ip);
                int slot = Index(hval);
                int reference = table[slot];
                table[slot] = ip;
                int off = ip - reference - 1;
                if (off < MaxOffset && reference > 0 && reference < ip
                    && input[reference + 2] == input[ip + 2] && input[reference] == input[ip] && input[reference + 1] == input[ip + 1])
                {
                    int len = 2;
                    int maxLen = inLen - ip - len;
                    if (maxLen > MaxRef) maxLen = MaxRef;
                    if (op + 3 + 1 >= outLen && op - (lit == 0 ? 1 : 0) + 3 + 1 >= outLen) return 0;

                    output[op - lit - 1] = (byte)(lit - 1); // stop the literal run
                    if (lit == 0) op--;                     // undo it if empty

                    do len++; while (len < maxLen && input[reference + len] == input[ip + len]);

                    len -= 2; // now the number of octets - 1
                    ip++;
                    if (len < 7) output[op++] = (byte)((off >> 8) + (len << 5));
                    else
                    {
                        output[op++] = (byte)((off >> 8) + (7 << 5));
                        output[op++] = (byte)(len - 7);
                    }
                    output[op++] = (byte)off;

                    lit = 0;
                    op++; // start a literal run
                    ip += len + 1;
                    if (ip >= inLen - 2) break;

                    // Re-seed the hash for the two positions before ip, as the "very fast" variant does.
                    ip -= 2;
                    hval = First(input, ip);
                    hval = Next(hval, input, ip);
                    table[Index(hval)] = ip;
                    ip++;
                    hval = Next(hval, input, ip);
                    table[Index(hval)] = ip;
                    ip++;
                }
                else
                {
                    if (op >= outLen) return 0;
                    lit++;
                    output[op++] = input[ip++];
                    if (lit == MaxLiteral)
                    {
                        output[op - lit - 1] = (byte)(lit - 1);
                        lit = 0;
                        op++;
                    }
                }
            }
            if (op + 3 > outLen) return 0;
            while (ip < inLen)
            {
                lit++;
                output[op++] = input[ip++];
                if (lit == MaxLiteral)
                {
                    output[op - lit - 1] = (byte)(lit - 1);
                    lit = 0;
                    op++;
                }
            }
            output[op - lit - 1] = (byte)(lit - 1); // end the run
            if (lit == 0) op--;
            return op;
        }
        finally
        {
            System.Buffers.ArrayPool<int>.Shared.Return(table);
        }
    }

    private const int HashLogBits = 16;
    private const int HashSize = 1 << HashLogBits;
    private const int MaxRef = (1 << 8) + (1 << 3);

    private static uint First(ReadOnlySpan<byte> s, int i) => (uint)((s[i] << 8) | (i + 1 < s.Length ? s[i + 1] : 0));
    private static uint Next(uint v, ReadOnlySpan<byte> s, int i) => (v << 8) | s[i + 2];
    private static int Index(uint h) => (int)(((h >> (3 * 8 - HashLogBits)) - h * 5) & (HashSize - 1));

}
