namespace Cinnabar.Persistence;

/// <summary>
/// The LZF compression format used for long strings in RDB files. Written from the format description:
/// a control byte below 32 starts a literal run of (ctrl + 1) bytes; otherwise its top three bits are a
/// match length (7 = read one more length byte) and the low five bits plus the next byte an offset back.
/// </summary>
public static class Lzf
{
    private const int HashLog = 14;
    private const int MaxLiteral = 32;
    private const int MaxOffset = 1 << 13;
    private const int MaxMatch = 264; // (7 + 255) + 2

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
    /// </summary>
    public static int Compress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (input.Length < 4) return 0;
        Span<int> table = stackalloc int[1 << HashLog];
        table.Fill(-1);
        int ip = 0, op = 0;
        int literalStart = op++; // reserve the first literal control byte
        int literalLength = 0;
        if (op >= output.Length) return 0;

        while (ip < input.Length - 2)
        {
            int h = Hash(input, ip);
            int candidate = table[h];
            table[h] = ip;
            int offset = ip - candidate - 1;
            if (candidate >= 0 && offset < MaxOffset && input[candidate] == input[ip] && input[candidate + 1] == input[ip + 1] && input[candidate + 2] == input[ip + 2])
            {
                int maxLen = Math.Min(MaxMatch, input.Length - ip);
                int len = 3;
                while (len < maxLen && input[candidate + len] == input[ip + len]) len++;

                // Close the pending literal run (drop its control byte if it is empty).
                if (literalLength == 0) op--;
                else output[literalStart] = (byte)(literalLength - 1);

                int encLen = len - 2;
                if (op + 3 + 1 > output.Length) return 0;
                if (encLen < 7) output[op++] = (byte)((encLen << 5) | (offset >> 8));
                else
                {
                    output[op++] = (byte)((7 << 5) | (offset >> 8));
                    output[op++] = (byte)(encLen - 7);
                }
                output[op++] = (byte)offset;

                for (int k = 1; k < len && ip + k < input.Length - 2; k++) table[Hash(input, ip + k)] = ip + k;
                ip += len;

                literalStart = op++;
                literalLength = 0;
                if (op > output.Length) return 0;
            }
            else
            {
                if (op >= output.Length) return 0;
                output[op++] = input[ip++];
                if (++literalLength == MaxLiteral)
                {
                    output[literalStart] = MaxLiteral - 1;
                    literalLength = 0;
                    literalStart = op++;
                    if (op > output.Length) return 0;
                }
            }
        }
        while (ip < input.Length)
        {
            if (op >= output.Length) return 0;
            output[op++] = input[ip++];
            if (++literalLength == MaxLiteral)
            {
                output[literalStart] = MaxLiteral - 1;
                literalLength = 0;
                literalStart = op++;
                if (op > output.Length) return 0;
            }
        }
        if (literalLength == 0) op--; // trailing empty literal control byte
        else output[literalStart] = (byte)(literalLength - 1);
        return op;
    }

    private static int Hash(ReadOnlySpan<byte> s, int i)
    {
        uint v = (uint)(s[i] << 16 | s[i + 1] << 8 | s[i + 2]);
        return (int)((v * 2654435761u) >> (32 - HashLog));
    }
}
