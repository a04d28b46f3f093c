using System.Numerics;
using Cinnabar.Keyspace;

namespace Cinnabar.Commands;

/// <summary>The bitmap commands over string values: SETBIT, GETBIT, BITCOUNT, BITPOS. Bit 0 is the MSB of byte 0.</summary>
public static partial class StringCommands
{
    private const string BitOffsetError = "ERR bit offset is not an integer or out of range";

    /// <summary>Redis' getBitOffsetFromArgument: a non-negative integer whose byte index is below proto-max-bulk-len.</summary>
    private static bool TryGetBitOffset(Client c, int arg, out long offset)
    {
        if (!Protocol.RespNumbers.TryParseInt64(c.Arg(arg), out offset) || offset < 0
            || ((c.Flags & ClientFlags.Master) == 0 && (offset >> 3) >= c.Server.Config.ProtoMaxBulkLen)
            || (offset >> 3) >= Array.MaxLength)
        {
            c.Reply.Error(BitOffsetError);
            return false;
        }
        return true;
    }

    private static void SetBit(Client c)
    {
        if (!TryGetBitOffset(c, 2, out long offset)) return;
        const string bitError = "ERR bit is not an integer or out of range";
        if (!c.TryGetLong(3, out long on, bitError)) return;
        if ((on & ~1L) != 0) { c.Reply.Error(bitError); return; }

        var db = c.Db;
        var key = c.Arg(1);
        int byteIndex = (int)(offset >> 3);
        int i = db.Find(key);
        byte[] bytes;
        bool grown = false; // created or extended: a write even when the bit keeps its value
        if (i < 0)
        {
            grown = true;
            bytes = new byte[byteIndex + 1];
            db.EntryAt(db.Add(key, bytes)).StringHint = StringHint.Raw;
        }
        else
        {
            ref KeyEntry e = ref db.EntryAt(i);
            if (e.Value is not byte[] old) { c.WrongType(); return; }
            e.StringHint = StringHint.Raw; // unshared into a raw string, as Redis' SETBIT does
            bytes = old;
            if (old.Length <= byteIndex)
            {
                bytes = new byte[byteIndex + 1];
                old.CopyTo(bytes, 0);
                db.ReplaceValue(i, bytes);
                grown = true;
            }
        }
        int mask = 1 << (7 - (int)(offset & 7));
        bool was = (bytes[byteIndex] & mask) != 0;
        if (grown || was != (on != 0))
        {
            bytes[byteIndex] = (byte)(on != 0 ? bytes[byteIndex] | mask : bytes[byteIndex] & ~mask);
            c.KeyModified(key);
            c.Notify(NotifyFlags.String, "setbit", key);
            c.Dirty();
        }
        c.Reply.Integer(was ? 1 : 0);
    }

    private static void GetBit(Client c)
    {
        if (!TryGetBitOffset(c, 2, out long offset)) return;
        if (!c.TryReadKey(c.Arg(1), out byte[]? v)) return;
        if (v is null) { c.Reply.Integer(0); return; }
        long byteIndex = offset >> 3;
        bool set = byteIndex < v.Length && (v[byteIndex] & (1 << (7 - (int)(offset & 7)))) != 0;
        c.Reply.Integer(set ? 1 : 0);
    }

    /// <summary>Parses the optional BYTE|BIT unit argument; false after a syntax error.</summary>
    private static bool TryGetBitUnit(Client c, int arg, out bool isBit)
    {
        isBit = false;
        if (arg >= c.ArgCount) return true;
        if (c.ArgIs(arg, "bit"u8)) isBit = true;
        else if (!c.ArgIs(arg, "byte"u8)) { c.SyntaxError(); return false; }
        return true;
    }

    private static void BitCount(Client c)
    {
        // A missing key answers 0 before the range is even looked at, as in Redis.
        if (!c.TryReadKey(c.Arg(1), out byte[]? v)) return;
        if (v is null) { c.Reply.Integer(0); return; }

        long startBit, endBit; // inclusive bit range
        if (c.ArgCount == 4 || c.ArgCount == 5)
        {
            if (!c.TryGetLong(2, out long start) || !c.TryGetLong(3, out long end)) return;
            // Redis answers 0 for an inverted negative range before looking at the unit argument.
            if (start < 0 && end < 0 && start > end) { c.Reply.Integer(0); return; }
            if (!TryGetBitUnit(c, 4, out bool isBit)) return;
            long total = isBit ? (long)v.Length << 3 : v.Length;
            if (!ClampRange(ref start, ref end, total)) { c.Reply.Integer(0); return; }
            (startBit, endBit) = isBit ? (start, end) : (start << 3, (end << 3) + 7);
        }
        else if (c.ArgCount == 2)
        {
            if (v.Length == 0) { c.Reply.Integer(0); return; }
            (startBit, endBit) = (0, ((long)v.Length << 3) - 1);
        }
        else { c.SyntaxError(); return; }
        c.Reply.Integer(CountBits(v, startBit, endBit));
    }

    /// <summary>Converts negative indexes and clamps to [0, total-1]; false when the range is empty.</summary>
    private static bool ClampRange(ref long start, ref long end, long total)
    {
        if (start < 0) start = total + start;
        if (end < 0) end = total + end;
        if (start < 0) start = 0;
        if (end < 0) end = 0;
        if (end >= total) end = total - 1;
        return start <= end;
    }

    /// <summary>Set bits in the inclusive bit range [startBit, endBit] of <paramref name="v"/>.</summary>
    internal static long CountBits(ReadOnlySpan<byte> v, long startBit, long endBit)
    {
        int first = (int)(startBit >> 3), last = (int)(endBit >> 3);
        long count = Bitwise.PopCount(v[first..(last + 1)]);
        // Remove the bits of the edge bytes that lie outside the range.
        int headBits = (int)(startBit & 7);
        if (headBits != 0) count -= BitOperations.PopCount((uint)(v[first] >> (8 - headBits)));
        int tailBits = 7 - (int)(endBit & 7);
        if (tailBits != 0) count -= BitOperations.PopCount((uint)(v[last] & ((1 << tailBits) - 1)));
        return count;
    }

    private static void BitPos(Client c)
    {
        if (!c.TryGetLong(2, out long bit)) return;
        if (bit != 0 && bit != 1) { c.Reply.Error("ERR The bit argument must be 1 or 0."); return; }
        // A missing key is an endless run of zeros: found at 0 for a clear bit, never for a set bit.
        if (!c.TryReadKey(c.Arg(1), out byte[]? v)) return;
        if (v is null) { c.Reply.Integer(bit == 1 ? -1 : 0); return; }

        long startBit, endBit;
        bool endGiven = false;
        if (c.ArgCount >= 4 && c.ArgCount <= 6)
        {
            if (!c.TryGetLong(3, out long start)) return;
            if (!TryGetBitUnit(c, 5, out bool isBit)) return;
            long end;
            if (c.ArgCount >= 5)
            {
                if (!c.TryGetLong(4, out end)) return;
                endGiven = true;
            }
            else end = isBit ? ((long)v.Length << 3) + 7 : v.Length - 1;
            long total = isBit ? (long)v.Length << 3 : v.Length;
            if (!ClampRange(ref start, ref end, total)) { c.Reply.Integer(-1); return; }
            (startBit, endBit) = isBit ? (start, end) : (start << 3, (end << 3) + 7);
        }
        else if (c.ArgCount == 3)
        {
            if (v.Length == 0) { c.Reply.Integer(-1); return; }
            (startBit, endBit) = (0, ((long)v.Length << 3) - 1);
        }
        else { c.SyntaxError(); return; }

        long pos = FindBit(v, startBit, endBit, bit == 1);
        if (pos < 0)
        {
            // No clear bit inside: without an explicit end the string is zero-padded on the right.
            pos = bit == 0 && !endGiven ? endBit + 1 : -1;
        }
        c.Reply.Integer(pos);
    }

    /// <summary>First bit equal to <paramref name="one"/> in the inclusive range, or -1.</summary>
    internal static long FindBit(ReadOnlySpan<byte> v, long startBit, long endBit, bool one)
    {
        long b = startBit;
        // Bit by bit up to a byte boundary, then whole bytes, then the tail.
        while (b <= endBit && (b & 7) != 0)
        {
            if (BitAt(v, b) == one) return b;
            b++;
        }
        // Whole bytes: a vectorised search for the first byte that is not all zeros (or all ones).
        long wholeBytes = (endBit + 1 - b) >> 3;
        if (wholeBytes > 0)
        {
            int firstByte = (int)(b >> 3);
            int at = v.Slice(firstByte, (int)wholeBytes).IndexOfAnyExcept(one ? (byte)0 : (byte)0xFF);
            if (at >= 0)
            {
                byte x = v[firstByte + at];
                return ((long)(firstByte + at) << 3) + BitOperations.LeadingZeroCount((uint)(one ? x : (byte)~x)) - 24;
            }
            b += wholeBytes << 3;
        }
        for (; b <= endBit; b++)
            if (BitAt(v, b) == one) return b;
        return -1;
    }

    private static bool BitAt(ReadOnlySpan<byte> v, long bit) => (v[(int)(bit >> 3)] & (1 << (7 - (int)(bit & 7)))) != 0;
}
