using System.Buffers.Binary;
using System.Numerics;

namespace Cinnabar.DataTypes;

/// <summary>
/// Redis' HyperLogLog representation, byte for byte, over a plain string value:
/// a 16-byte header ("HYLL", encoding, 3 unused bytes, 8-byte little-endian cached cardinality whose top bit
/// marks it stale), then either 16384 six-bit registers packed LSB first (dense, 12304 bytes in all) or a
/// run-length opcode stream (sparse): ZERO 00xxxxxx (1-64 zero registers), XZERO 01xxxxxx xxxxxxxx
/// (1-16384 zeros), VAL 1vvvvvxx (1-4 registers of value 1-32). The same adds must give the same bytes as
/// Redis 7.0, so the sparse edits (split, then merge of equal neighbours) follow its order exactly.
/// </summary>
public static class HyperLogLog
{
    public const int P = 14;
    public const int Q = 64 - P;
    public const int Registers = 1 << P;
    public const int HeaderSize = 16;
    public const int DenseSize = HeaderSize + (Registers * 6 + 7) / 8;
    public const byte Dense = 0, Sparse = 1;
    public const string InvalidError = "INVALIDOBJ Corrupted HLL object detected";
    public const string NotHllError = "WRONGTYPE Key is not a valid HyperLogLog string value.";

    private const int ZeroMaxLen = 64, XZeroMaxLen = 16384, ValMaxValue = 32, ValMaxLen = 4;

    /// <summary>What a sparse edit asks of its caller.</summary>
    public enum SetResult { Invalid = -1, Unchanged = 0, Updated = 1, Promote = 2 }

    // ---- hashing ---------------------------------------------------------------------------------

    /// <summary>MurmurHash64A (Austin Appleby) with 8-byte blocks read little-endian, as Redis reads them.</summary>
    public static ulong MurmurHash64A(ReadOnlySpan<byte> data, ulong seed)
    {
        const ulong m = 0xc6a4a7935bd1e995UL;
        const int r = 47;
        ulong h = seed ^ ((ulong)data.Length * m);
        int blocks = data.Length & ~7;
        for (int i = 0; i < blocks; i += 8)
        {
            ulong k = BinaryPrimitives.ReadUInt64LittleEndian(data[i..]);
            k *= m;
            k ^= k >> r;
            k *= m;
            h ^= k;
            h *= m;
        }
        int rest = data.Length & 7;
        if (rest != 0)
        {
            for (int i = rest - 1; i >= 0; i--) h ^= (ulong)data[blocks + i] << (8 * i);
            h *= m;
        }
        h ^= h >> r;
        h *= m;
        h ^= h >> r;
        return h;
    }

    /// <summary>The register an element maps to and the length of its 000..1 run (1 to Q+1).</summary>
    public static int PatLen(ReadOnlySpan<byte> element, out int index)
    {
        ulong hash = MurmurHash64A(element, 0xadc83b19UL);
        index = (int)(hash & (Registers - 1));
        // A sentinel bit at Q keeps the run finite when the remaining bits are all zero.
        ulong rest = (hash >> P) | (1UL << Q);
        return BitOperations.TrailingZeroCount(rest) + 1;
    }

    // ---- header ------------------------------------------------------------------------------------

    /// <summary>Redis' isHLLObjectOrReply test of a string's bytes.</summary>
    public static bool IsValid(ReadOnlySpan<byte> v) =>
        v.Length >= HeaderSize && v[0] == 'H' && v[1] == 'Y' && v[2] == 'L' && v[3] == 'L'
        && v[4] <= Sparse && (v[4] != Dense || v.Length == DenseSize);

    public static void InvalidateCache(Span<byte> v) => v[15] |= 0x80;

    public static bool TryGetCachedCount(ReadOnlySpan<byte> v, out long card)
    {
        card = (long)BinaryPrimitives.ReadUInt64LittleEndian(v[8..]);
        return (v[15] & 0x80) == 0;
    }

    public static void SetCachedCount(Span<byte> v, long card) => BinaryPrimitives.WriteUInt64LittleEndian(v[8..], (ulong)card);

    /// <summary>A new, empty HLL: sparse, all registers in XZERO opcodes, cache 0 (valid).</summary>
    public static byte[] CreateSparse()
    {
        int opcodes = (Registers + XZeroMaxLen - 1) / XZeroMaxLen;
        var s = new byte[HeaderSize + opcodes * 2];
        "HYLL"u8.CopyTo(s);
        s[4] = Sparse;
        int p = HeaderSize;
        for (int left = Registers; left > 0; left -= XZeroMaxLen, p += 2) SetXZero(s, p, Math.Min(left, XZeroMaxLen));
        return s;
    }

    // ---- dense registers ---------------------------------------------------------------------------

    /// <summary>Register <paramref name="j"/> of dense registers (the span after the header).</summary>
    public static int GetDense(ReadOnlySpan<byte> regs, int j)
    {
        int bit = j * 6, b = bit >> 3, fb = bit & 7;
        // With fb <= 2 the six bits lie in one byte: the last register never reads past the end.
        int v = regs[b] >> fb;
        if (fb > 2) v |= regs[b + 1] << (8 - fb);
        return v & 63;
    }

    public static void SetDense(Span<byte> regs, int j, int val)
    {
        int bit = j * 6, b = bit >> 3, fb = bit & 7;
        regs[b] = (byte)((regs[b] & ~(63 << fb)) | (val << fb));
        if (fb > 2) regs[b + 1] = (byte)((regs[b + 1] & ~(63 >> (8 - fb))) | (val >> (8 - fb)));
    }

    /// <summary>Raises a dense register to <paramref name="count"/>: true when it was lower.</summary>
    public static bool DenseSet(Span<byte> regs, int index, int count)
    {
        if (count <= GetDense(regs, index)) return false;
        SetDense(regs, index, count);
        return true;
    }

    // ---- sparse opcodes ----------------------------------------------------------------------------

    private static bool IsZero(byte b) => (b & 0xc0) == 0;
    private static bool IsXZero(byte b) => (b & 0xc0) == 0x40;
    private static bool IsVal(byte b) => (b & 0x80) != 0;
    private static int ZeroLen(byte b) => (b & 0x3f) + 1;
    /// <summary>A truncated XZERO reads the byte after the string, as Redis does: its sds terminator, 0.</summary>
    private static int XZeroLen(ReadOnlySpan<byte> s, int p) => (((s[p] & 0x3f) << 8) | (p + 1 < s.Length ? s[p + 1] : 0)) + 1;
    private static int ValValue(byte b) => ((b >> 2) & 0x1f) + 1;
    private static int ValLen(byte b) => (b & 3) + 1;
    private static byte Val(int value, int len) => (byte)(0x80 | ((value - 1) << 2) | (len - 1));
    private static byte Zero(int len) => (byte)(len - 1);

    private static void SetXZero(Span<byte> s, int p, int len)
    {
        len--;
        s[p] = (byte)((len >> 8) | 0x40);
        s[p + 1] = (byte)len;
    }

    /// <summary>
    /// Raises register <paramref name="index"/> of the sparse HLL in <c>buf[..len]</c> (header included) to
    /// <paramref name="count"/>. <paramref name="buf"/> needs 3 spare bytes past <paramref name="len"/> (an
    /// XZERO split into XZERO VAL XZERO). <see cref="SetResult.Promote"/>: the value does not fit a VAL
    /// opcode, or the string would outgrow <paramref name="maxBytes"/>; nothing was changed.
    /// </summary>
    public static SetResult SparseSet(byte[] buf, ref int len, int index, int count, long maxBytes)
    {
        if (count > ValMaxValue) return SetResult.Promote;
        int p = HeaderSize, end = len, first = 0, span = 0, prev = -1;
        while (p < end)
        {
            int oplen = 1;
            byte b = buf[p];
            if (IsZero(b)) span = ZeroLen(b);
            else if (IsVal(b)) span = ValLen(b);
            else
            {
                span = XZeroLen(buf.AsSpan(0, end), p);
                oplen = 2;
            }
            if (index <= first + span - 1) break;
            prev = p;
            p += oplen;
            first += span;
        }
        if (span == 0 || p >= end) return SetResult.Invalid;

        byte op = buf[p];
        bool isXZero = IsXZero(op);
        int next = p + (isXZero ? 2 : 1);
        if (IsVal(op))
        {
            if (ValValue(op) >= count) return SetResult.Unchanged;
            if (ValLen(op) == 1) { buf[p] = Val(count, 1); goto updated; }
        }
        else if (!isXZero && ZeroLen(op) == 1) { buf[p] = Val(count, 1); goto updated; }

        // Split the opcode around the register: at most XZERO VAL XZERO, five bytes.
        Span<byte> seq = stackalloc byte[5];
        int n = 0, last = first + span - 1;
        if (!IsVal(op))
        {
            if (index != first) n += PutZeros(seq, n, index - first);
            seq[n++] = Val(count, 1);
            if (index != last) n += PutZeros(seq, n, last - index);
        }
        else
        {
            int cur = ValValue(op);
            if (index != first) seq[n++] = Val(cur, index - first);
            seq[n++] = Val(count, 1);
            if (index != last) seq[n++] = Val(cur, last - index);
        }
        int delta = n - (isXZero ? 2 : 1);
        if (delta > 0 && len + delta > maxBytes) return SetResult.Promote;
        if (delta != 0 && next < end) Buffer.BlockCopy(buf, next, buf, next + delta, end - next);
        len += delta;
        end += delta;
        seq[..n].CopyTo(buf.AsSpan(p));

    updated:
        // Merge equal adjacent VALs, scanning up to five opcodes from the one before the change.
        p = prev >= 0 ? prev : HeaderSize;
        for (int scan = 5; p < end && scan-- > 0;)
        {
            byte b = buf[p];
            if (IsXZero(b)) { p += 2; continue; }
            if (IsZero(b)) { p++; continue; }
            if (p + 1 < end && IsVal(buf[p + 1]) && ValValue(b) == ValValue(buf[p + 1]))
            {
                int merged = ValLen(b) + ValLen(buf[p + 1]);
                if (merged <= ValMaxLen)
                {
                    buf[p + 1] = Val(ValValue(b), merged);
                    Buffer.BlockCopy(buf, p + 1, buf, p, end - p - 1);
                    len--;
                    end--;
                    continue; // the merged opcode may merge again with the next one
                }
            }
            p++;
        }
        InvalidateCache(buf);
        return SetResult.Updated;
    }

    private static int PutZeros(Span<byte> seq, int n, int len)
    {
        if (len > ZeroMaxLen)
        {
            SetXZero(seq, n, len);
            return 2;
        }
        seq[n] = Zero(len);
        return 1;
    }

    /// <summary>The dense form of a sparse HLL (header copied, encoding dense), or null when it is corrupt.</summary>
    public static byte[]? SparseToDense(ReadOnlySpan<byte> sparse)
    {
        var dense = new byte[DenseSize];
        sparse[..HeaderSize].CopyTo(dense);
        dense[4] = Dense;
        var regs = dense.AsSpan(HeaderSize);
        int idx = 0, p = HeaderSize;
        while (p < sparse.Length)
        {
            byte b = sparse[p];
            if (IsZero(b)) { idx += ZeroLen(b); p++; }
            else if (IsXZero(b)) { idx += XZeroLen(sparse, p); p += 2; }
            else
            {
                int run = ValLen(b), val = ValValue(b);
                if (idx + run > Registers) return null; // a run past the last register: corrupt
                for (; run > 0; run--) SetDense(regs, idx++, val);
                p++;
            }
        }
        return idx == Registers ? dense : null;
    }

    // ---- counting and merging ----------------------------------------------------------------------

    /// <summary>Adds the register histogram of a valid-headed HLL; false when a sparse one is corrupt.</summary>
    public static bool Histogram(ReadOnlySpan<byte> hll, Span<int> histo)
    {
        if (hll[4] == Dense)
        {
            var regs = hll[HeaderSize..];
            for (int j = 0; j < Registers; j++) histo[GetDense(regs, j)]++;
            return true;
        }
        int idx = 0, p = HeaderSize;
        while (p < hll.Length)
        {
            byte b = hll[p];
            if (IsZero(b)) { int run = ZeroLen(b); idx += run; histo[0] += run; p++; }
            else if (IsXZero(b)) { int run = XZeroLen(hll, p); idx += run; histo[0] += run; p += 2; }
            else { int run = ValLen(b); idx += run; histo[ValValue(b)] += run; p++; }
        }
        return idx == Registers;
    }

    /// <summary>Histogram of one byte per register (the union that multi-key PFCOUNT builds).</summary>
    public static void RawHistogram(ReadOnlySpan<byte> raw, Span<int> histo)
    {
        for (int j = 0; j < Registers; j++) histo[raw[j]]++;
    }

    /// <summary>Redis 7.0's estimator (Ertl, "New cardinality estimation algorithms for HyperLogLog sketches").</summary>
    public static long Estimate(ReadOnlySpan<int> histo)
    {
        const double m = Registers;
        double z = m * Tau((m - histo[Q + 1]) / m);
        for (int j = Q; j >= 1; j--)
        {
            z += histo[j];
            z *= 0.5;
        }
        z += m * Sigma(histo[0] / m);
        // llroundl: halves away from zero.
        return (long)Math.Round(0.721347520444481703680 * m * m / z, MidpointRounding.AwayFromZero);
    }

    private static double Sigma(double x)
    {
        if (x == 1.0) return double.PositiveInfinity;
        double y = 1, z = x, prev;
        do
        {
            x *= x;
            prev = z;
            z += x * y;
            y += y;
        } while (prev != z);
        return z;
    }

    private static double Tau(double x)
    {
        if (x == 0.0 || x == 1.0) return 0.0;
        double y = 1.0, z = 1 - x, prev;
        do
        {
            x = Math.Sqrt(x);
            prev = z;
            y *= 0.5;
            z -= Math.Pow(1 - x, 2) * y; // pow as in C: the same libm result
        } while (prev != z);
        return z / 3;
    }

    /// <summary>The cardinality of one HLL, or -1 when it is corrupt.</summary>
    public static long Count(ReadOnlySpan<byte> hll)
    {
        Span<int> histo = stackalloc int[64];
        histo.Clear();
        return Histogram(hll, histo) ? Estimate(histo) : -1;
    }

    /// <summary>max[i] = MAX(max[i], register i): false when a sparse HLL is corrupt.</summary>
    public static bool MergeInto(Span<byte> max, ReadOnlySpan<byte> hll)
    {
        if (hll[4] == Dense)
        {
            var regs = hll[HeaderSize..];
            for (int j = 0; j < Registers; j++)
            {
                int v = GetDense(regs, j);
                if (v > max[j]) max[j] = (byte)v;
            }
            return true;
        }
        int i = 0, p = HeaderSize;
        while (p < hll.Length)
        {
            byte b = hll[p];
            if (IsZero(b)) { i += ZeroLen(b); p++; }
            else if (IsXZero(b)) { i += XZeroLen(hll, p); p += 2; }
            else
            {
                int run = ValLen(b), val = ValValue(b);
                if (i + run > Registers) return false; // a run past the last register: corrupt
                for (; run > 0; run--, i++) if (val > max[i]) max[i] = (byte)val;
                p++;
            }
        }
        return i == Registers;
    }

    /// <summary>PFDEBUG DECODE's text: "z:len", "Z:len", "v:value,len" separated by spaces.</summary>
    public static string Decode(ReadOnlySpan<byte> sparse)
    {
        var sb = new System.Text.StringBuilder();
        int p = HeaderSize;
        while (p < sparse.Length)
        {
            byte b = sparse[p];
            if (sb.Length > 0) sb.Append(' ');
            if (IsZero(b)) { sb.Append("z:").Append(ZeroLen(b)); p++; }
            else if (IsXZero(b)) { sb.Append("Z:").Append(XZeroLen(sparse, p)); p += 2; }
            else { sb.Append("v:").Append(ValValue(b)).Append(',').Append(ValLen(b)); p++; }
        }
        return sb.ToString();
    }
}
