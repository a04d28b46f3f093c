using System.Numerics;
using System.Runtime.InteropServices;
using Cinnabar.Keyspace;

namespace Cinnabar.Commands;

/// <summary>BITOP and BITFIELD / BITFIELD_RO over string values (Redis' bitops.c semantics).</summary>
public static partial class StringCommands
{
    private enum BitOpKind { And, Or, Xor, Not }

    private static void BitOp(Client c)
    {
        BitOpKind op;
        if (c.ArgIs(1, "and"u8)) op = BitOpKind.And;
        else if (c.ArgIs(1, "or"u8)) op = BitOpKind.Or;
        else if (c.ArgIs(1, "xor"u8)) op = BitOpKind.Xor;
        else if (c.ArgIs(1, "not"u8)) op = BitOpKind.Not;
        else { c.SyntaxError(); return; }
        if (op == BitOpKind.Not && c.ArgCount != 4) { c.Reply.Error("ERR BITOP NOT must be called with a single source key."); return; }

        // Every source is looked up (and type-checked) before anything is computed; a missing key is empty.
        int n = c.ArgCount - 3;
        byte[]?[] sources = n <= 16 ? (_bitOpSources ??= new byte[16][]) : new byte[n][];
        int maxLen = 0;
        for (int j = 0; j < n; j++)
        {
            if (!c.TryReadKey(c.Arg(3 + j), out byte[]? v)) { Array.Clear(sources); return; }
            sources[j] = v;
            if (v is not null && v.Length > maxLen) maxLen = v.Length;
        }

        var dst = c.Arg(2);
        if (maxLen == 0)
        {
            Array.Clear(sources, 0, n);
            c.DeleteStoreDestination(dst);
            c.Reply.Integer(0);
            return;
        }
        // A destination string of the right length that is not a source is overwritten in place (values
        // are owned, as SET does); otherwise an uninitialised array, since every byte is written below.
        int di = c.Db.Find(dst);
        var res = di >= 0 && c.Db.EntryAt(di).Value is byte[] old && old.Length == maxLen && Array.IndexOf(sources, old, 0, n) < 0
            ? old
            : GC.AllocateUninitializedArray<byte>(maxLen);
        var first = sources[0] ?? [];
        if (op == BitOpKind.Not) Bitwise.Not(res, first);
        else
        {
            // Block by block, so the result block stays in the L1 cache while every source is applied to it.
            const int block = 16 * 1024;
            for (int off = 0; off < maxLen; off += block)
            {
                int len = Math.Min(block, maxLen - off);
                var r = res.AsSpan(off, len);
                int avail = Math.Clamp(first.Length - off, 0, len);
                if (avail > 0) first.AsSpan(off, avail).CopyTo(r);
                r[avail..].Clear(); // bytes past a source's end count as zero
                for (int j = 1; j < n; j++)
                {
                    var src = sources[j] ?? [];
                    avail = Math.Clamp(src.Length - off, 0, len);
                    var s = avail > 0 ? src.AsSpan(off, avail) : default;
                    switch (op)
                    {
                        case BitOpKind.And:
                            Bitwise.And(r[..avail], s);
                            r[avail..].Clear();
                            break;
                        case BitOpKind.Or: Bitwise.Or(r[..avail], s); break;
                        default: Bitwise.Xor(r[..avail], s); break;
                    }
                }
            }
        }
        Array.Clear(sources, 0, n);

        int i = c.Db.Set(dst, res); // also clears a TTL, as Redis' setKey
        c.Db.EntryAt(i).StringHint = StringHint.Raw;
        c.KeyModified(dst);
        c.Notify(NotifyFlags.String, "set", dst);
        c.Dirty();
        c.Reply.Integer(maxLen);
    }

    [ThreadStatic] private static byte[]?[]? _bitOpSources;

    private enum BitFieldOp : byte { Get, Set, IncrBy }
    private enum Overflow : byte { Wrap, Sat, Fail }

    private struct BitFieldCommand
    {
        public long Offset;
        public long Value;
        public BitFieldOp Op;
        public Overflow Overflow;
        public byte Bits;
        public bool Signed;
    }

    /// <summary>Redis' bitfieldGetKeys: the key is read-only when the operations before the first non-GET are all GETs.</summary>
    private static void BitFieldKeys(Client c, List<KeyReference> keys)
    {
        bool readOnly = true;
        for (int i = 2; i < c.ArgCount; i++)
        {
            int remaining = c.ArgCount - i - 1;
            if (c.ArgIs(i, "get"u8) && remaining >= 2) i += 2;
            else if (c.ArgIs(i, "overflow"u8) && remaining >= 1) i += 1;
            else
            {
                readOnly = false; // SET/INCRBY, or a syntax error: safer to assume a write, as Redis does
                break;
            }
        }
        keys.Add(new(1, readOnly ? KeySpecFlags.RO | KeySpecFlags.Access : KeySpecFlags.RW | KeySpecFlags.Access | KeySpecFlags.Update));
    }

    private static void BitField(Client c) => BitFieldGeneric(c, readOnlyCommand: false);
    private static void BitFieldRo(Client c) => BitFieldGeneric(c, readOnlyCommand: true);

    private static void BitFieldGeneric(Client c, bool readOnlyCommand)
    {
        // Operations are parsed (and every argument error answered) before the key is looked at.
        int max = (c.ArgCount - 2) / 2;
        Span<BitFieldCommand> ops = max <= 32 ? stackalloc BitFieldCommand[32] : new BitFieldCommand[max];
        int count = 0;
        var overflow = Overflow.Wrap;
        bool readOnly = true;
        long highestWrite = 0;
        for (int j = 2; j < c.ArgCount; j++)
        {
            int remaining = c.ArgCount - j - 1;
            BitFieldOp op;
            if (c.ArgIs(j, "get"u8) && remaining >= 2) op = BitFieldOp.Get;
            else if (c.ArgIs(j, "set"u8) && remaining >= 3) op = BitFieldOp.Set;
            else if (c.ArgIs(j, "incrby"u8) && remaining >= 3) op = BitFieldOp.IncrBy;
            else if (c.ArgIs(j, "overflow"u8) && remaining >= 1)
            {
                j++;
                if (c.ArgIs(j, "wrap"u8)) overflow = Overflow.Wrap;
                else if (c.ArgIs(j, "sat"u8)) overflow = Overflow.Sat;
                else if (c.ArgIs(j, "fail"u8)) overflow = Overflow.Fail;
                else { c.Reply.Error("ERR Invalid OVERFLOW type specified"); return; }
                continue;
            }
            else { c.SyntaxError(); return; }

            if (!TryParseBitFieldType(c.Arg(j + 1), out bool signed, out int bits))
            {
                c.Reply.Error("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
                return;
            }
            if (!TryParseBitFieldOffset(c, c.Arg(j + 2), bits, out long offset)) { c.Reply.Error(BitOffsetError); return; }
            long value = 0;
            if (op != BitFieldOp.Get)
            {
                readOnly = false;
                highestWrite = Math.Max(highestWrite, offset + bits - 1);
                if (!c.TryGetLong(j + 3, out value)) return;
            }
            ops[count++] = new BitFieldCommand { Offset = offset, Value = value, Op = op, Overflow = overflow, Bits = (byte)bits, Signed = signed };
            j += op == BitFieldOp.Get ? 2 : 3;
        }

        var key = c.Arg(1);
        byte[]? bytes;
        if (readOnly)
        {
            if (!c.TryReadKey(key, out bytes)) return;
        }
        else
        {
            if (readOnlyCommand) { c.Reply.Error("ERR BITFIELD_RO only supports the GET subcommand"); return; }
            // Redis' lookupStringForBitCommand: created or zero-extended up to the highest written bit.
            var db = c.Db;
            int need = (int)(highestWrite >> 3) + 1;
            int i = db.Find(key);
            if (i < 0)
            {
                bytes = new byte[need];
                i = db.Add(key, bytes);
            }
            else
            {
                ref KeyEntry e = ref db.EntryAt(i);
                if (e.Value is not byte[] old) { c.WrongType(); return; }
                bytes = old;
                if (old.Length < need)
                {
                    bytes = new byte[need];
                    old.CopyTo(bytes, 0);
                    db.ReplaceValue(i, bytes);
                }
            }
            db.EntryAt(i).StringHint = StringHint.Raw; // unshared into a raw string, as Redis does
        }

        c.Reply.ArrayHeader(count);
        long changes = 0;
        for (int k = 0; k < count; k++)
        {
            ref var op = ref ops[k];
            if (op.Op == BitFieldOp.Get)
            {
                ulong raw = BitFieldCodec.Get(bytes, op.Offset, op.Bits);
                c.Reply.Integer(op.Signed ? BitFieldCodec.SignExtend(raw, op.Bits) : (long)raw);
                continue;
            }
            bool write;
            long reply, newValue;
            if (op.Signed)
            {
                long old = BitFieldCodec.SignExtend(BitFieldCodec.Get(bytes, op.Offset, op.Bits), op.Bits);
                if (op.Op == BitFieldOp.IncrBy)
                {
                    bool over = BitFieldCodec.SignedOverflow(old, op.Value, op.Bits, op.Overflow == Overflow.Wrap, out long limited);
                    newValue = over ? limited : old + op.Value;
                    reply = newValue;
                    write = !(over && op.Overflow == Overflow.Fail);
                }
                else
                {
                    bool over = BitFieldCodec.SignedOverflow(op.Value, 0, op.Bits, op.Overflow == Overflow.Wrap, out long limited);
                    newValue = over ? limited : op.Value;
                    reply = old;
                    write = !(over && op.Overflow == Overflow.Fail);
                }
            }
            else
            {
                ulong old = BitFieldCodec.Get(bytes, op.Offset, op.Bits);
                ulong nv;
                bool over;
                if (op.Op == BitFieldOp.IncrBy)
                {
                    over = BitFieldCodec.UnsignedOverflow(old, op.Value, op.Bits, op.Overflow == Overflow.Wrap, out ulong limited);
                    nv = over ? limited : old + (ulong)op.Value;
                    reply = (long)nv;
                }
                else
                {
                    over = BitFieldCodec.UnsignedOverflow((ulong)op.Value, 0, op.Bits, op.Overflow == Overflow.Wrap, out ulong limited);
                    nv = over ? limited : (ulong)op.Value;
                    reply = (long)old;
                }
                newValue = (long)nv;
                write = !(over && op.Overflow == Overflow.Fail);
            }
            if (write)
            {
                // Only a write counts: a FAIL leaves the key unsignalled and unpropagated even when it was
                // just created or grown, as in Redis.
                changes++;
                c.Reply.Integer(reply);
                BitFieldCodec.Set(bytes!, op.Offset, op.Bits, (ulong)newValue);
            }
            else c.Reply.Null();
        }
        if (changes > 0)
        {
            c.KeyModified(key);
            c.Notify(NotifyFlags.String, "setbit", key);
            c.Dirty(changes);
        }
    }

    /// <summary>Redis' getBitfieldTypeFromArgument: i1..i64 or u1..u63.</summary>
    private static bool TryParseBitFieldType(ReadOnlySpan<byte> arg, out bool signed, out int bits)
    {
        signed = false;
        bits = 0;
        if (arg.Length < 2) return false;
        if (arg[0] == (byte)'i') signed = true; // lower case only, as Redis
        else if (arg[0] != (byte)'u') return false;
        if (!Protocol.RespNumbers.TryParseInt64(arg[1..], out long n) || n < 1 || n > (signed ? 64 : 63)) return false;
        bits = (int)n;
        return true;
    }

    /// <summary>Redis' getBitOffsetFromArgument with '#N' (N times the field width) allowed.</summary>
    private static bool TryParseBitFieldOffset(Client c, ReadOnlySpan<byte> arg, int bits, out long offset)
    {
        bool hash = arg.Length > 0 && arg[0] == (byte)'#';
        if (!Protocol.RespNumbers.TryParseInt64(hash ? arg[1..] : arg, out offset)) return false;
        if (hash) offset = unchecked(offset * bits); // wraps as in C; a wrapped value fails the checks below
        return offset >= 0
            && ((c.Flags & ClientFlags.Master) != 0 || (offset >> 3) < c.Server.Config.ProtoMaxBulkLen)
            && ((offset + bits - 1) >> 3) < Array.MaxLength;
    }
}

/// <summary>Bulk bitwise operations a vector at a time, then a ulong at a time, then bytes.</summary>
public static class Bitwise
{
    public static void And(Span<byte> dst, ReadOnlySpan<byte> src)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<byte>.Count <= dst.Length; i += Vector<byte>.Count)
                (new Vector<byte>(dst[i..]) & new Vector<byte>(src[i..])).CopyTo(dst[i..]);
        var d = MemoryMarshal.Cast<byte, ulong>(dst[i..]);
        var s = MemoryMarshal.Cast<byte, ulong>(src[i..]);
        for (int k = 0; k < d.Length; k++) d[k] &= s[k];
        for (i += d.Length * 8; i < dst.Length; i++) dst[i] &= src[i];
    }

    public static void Or(Span<byte> dst, ReadOnlySpan<byte> src)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<byte>.Count <= dst.Length; i += Vector<byte>.Count)
                (new Vector<byte>(dst[i..]) | new Vector<byte>(src[i..])).CopyTo(dst[i..]);
        var d = MemoryMarshal.Cast<byte, ulong>(dst[i..]);
        var s = MemoryMarshal.Cast<byte, ulong>(src[i..]);
        for (int k = 0; k < d.Length; k++) d[k] |= s[k];
        for (i += d.Length * 8; i < dst.Length; i++) dst[i] |= src[i];
    }

    public static void Xor(Span<byte> dst, ReadOnlySpan<byte> src)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<byte>.Count <= dst.Length; i += Vector<byte>.Count)
                (new Vector<byte>(dst[i..]) ^ new Vector<byte>(src[i..])).CopyTo(dst[i..]);
        var d = MemoryMarshal.Cast<byte, ulong>(dst[i..]);
        var s = MemoryMarshal.Cast<byte, ulong>(src[i..]);
        for (int k = 0; k < d.Length; k++) d[k] ^= s[k];
        for (i += d.Length * 8; i < dst.Length; i++) dst[i] ^= src[i];
    }

    public static void Not(Span<byte> dst, ReadOnlySpan<byte> src)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<byte>.Count <= src.Length; i += Vector<byte>.Count)
                (~new Vector<byte>(src[i..])).CopyTo(dst[i..]);
        for (; i < src.Length; i++) dst[i] = (byte)~src[i];
    }

    /// <summary>Set bits in <paramref name="v"/>: hardware popcount over ulongs, four at a time.</summary>
    public static long PopCount(ReadOnlySpan<byte> v)
    {
        var w = MemoryMarshal.Cast<byte, ulong>(v);
        long a = 0, b = 0, c = 0, d = 0;
        int k = 0;
        for (; k + 4 <= w.Length; k += 4)
        {
            a += BitOperations.PopCount(w[k]);
            b += BitOperations.PopCount(w[k + 1]);
            c += BitOperations.PopCount(w[k + 2]);
            d += BitOperations.PopCount(w[k + 3]);
        }
        for (; k < w.Length; k++) a += BitOperations.PopCount(w[k]);
        for (int i = w.Length * 8; i < v.Length; i++) a += BitOperations.PopCount(v[i]);
        return a + b + c + d;
    }
}

/// <summary>
/// Bit fields of 1..64 bits at any bit offset, most significant bit first (Redis' getUnsignedBitfield and
/// setUnsignedBitfield), read and written through a 72-bit window: a field spans at most 9 bytes.
/// Bytes past the end of the string read as zero.
/// </summary>
public static class BitFieldCodec
{
    public static ulong Get(ReadOnlySpan<byte> s, long offset, int bits)
    {
        UInt128 window = Load(s, offset >> 3);
        int shift = (int)(offset & 7);
        return (ulong)(window >> (72 - shift - bits)) & Mask(bits);
    }

    public static void Set(Span<byte> s, long offset, int bits, ulong value)
    {
        long first = offset >> 3;
        UInt128 window = Load(s, first);
        int low = 72 - (int)(offset & 7) - bits;
        UInt128 mask = (UInt128)Mask(bits) << low;
        window = (window & ~mask) | (((UInt128)(value & Mask(bits))) << low);
        for (int k = 0; k < 9 && first + k < s.Length; k++)
            s[(int)(first + k)] = (byte)(window >> (64 - 8 * k));
    }

    private static UInt128 Load(ReadOnlySpan<byte> s, long first)
    {
        UInt128 w = 0;
        for (int k = 0; k < 9; k++)
        {
            long i = first + k;
            w = (w << 8) | (i < s.Length ? s[(int)i] : 0u);
        }
        return w;
    }

    private static ulong Mask(int bits) => bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;

    public static long SignExtend(ulong v, int bits) =>
        bits < 64 && ((v >> (bits - 1)) & 1) != 0 ? (long)(v | (ulong.MaxValue << bits)) : (long)v;

    /// <summary>Redis' checkUnsignedBitfieldOverflow: true on overflow, with the wrapped or saturated value.</summary>
    public static bool UnsignedOverflow(ulong value, long incr, int bits, bool wrap, out ulong limit)
    {
        ulong max = Mask(bits);
        long maxIncr = unchecked((long)(max - value));
        long minIncr = unchecked(-(long)value);
        limit = 0;
        if (value > max || (incr > 0 && incr > maxIncr))
        {
            limit = wrap ? unchecked(value + (ulong)incr) & max : max;
            return true;
        }
        if (incr < 0 && incr < minIncr)
        {
            limit = wrap ? unchecked(value + (ulong)incr) & max : 0;
            return true;
        }
        return false;
    }

    /// <summary>Redis' checkSignedBitfieldOverflow: true on overflow, with the wrapped or saturated value.</summary>
    public static bool SignedOverflow(long value, long incr, int bits, bool wrap, out long limit)
    {
        long max = bits == 64 ? long.MaxValue : (1L << (bits - 1)) - 1;
        long min = -max - 1;
        long maxIncr = unchecked((long)((ulong)max - (ulong)value));
        long minIncr = unchecked(min - value);
        limit = 0;
        bool high = value > max || (bits != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr);
        bool low = !high && (value < min || (bits != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr));
        if (!high && !low) return false;
        if (wrap)
        {
            ulong sum = unchecked((ulong)value + (ulong)incr);
            if (bits < 64)
            {
                ulong m = ulong.MaxValue << bits;
                sum = (sum & (1UL << (bits - 1))) != 0 ? sum | m : sum & ~m;
            }
            limit = (long)sum;
        }
        else limit = high ? max : min;
        return true;
    }
}
