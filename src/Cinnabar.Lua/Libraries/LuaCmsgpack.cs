using System.Buffers.Binary;

namespace Cinnabar.Lua;

/// <summary>
/// lua-cmsgpack 0.4.0 as Redis bundles it: pack(...) encodes its arguments one after the other; unpack,
/// unpack_one and unpack_limit decode a stream of objects. Numbers that are whole encode as the smallest
/// integer type, others as float32 when exact, else float64; tables whose keys are exactly 1..n as arrays.
/// </summary>
internal static class LuaCmsgpack
{
    private const int MaxNesting = 16;

    public static LuaTable Create()
    {
        var t = new LuaTable(0, 8);
        RedisLuaLibraries.Register(t, "pack", Pack);
        RedisLuaLibraries.Register(t, "unpack", c => UnpackFull(c, 0, 0));
        RedisLuaLibraries.Register(t, "unpack_one", c => UnpackFull(c, 1, c.ArgCount > 1 && !c[1].IsNil ? (long)RedisLuaLibraries.CheckNumber(c, 1, "unpack_one") : 0));
        RedisLuaLibraries.Register(t, "unpack_limit", c => UnpackFull(c, (long)RedisLuaLibraries.CheckNumber(c, 1, "unpack_limit"),
            c.ArgCount > 2 && !c[2].IsNil ? (long)RedisLuaLibraries.CheckNumber(c, 2, "unpack_limit") : 0));
        t.RawSet("_NAME", LuaValue.FromString(LuaString.FromUtf8("lua-cmsgpack")));
        t.RawSet("_VERSION", LuaValue.FromString(LuaString.FromUtf8("lua-cmsgpack 0.4.0")));
        t.RawSet("_COPYRIGHT", LuaValue.FromString(LuaString.FromUtf8("Copyright (C) 2012, Salvatore Sanfilippo")));
        t.RawSet("_DESCRIPTION", LuaValue.FromString(LuaString.FromUtf8("MessagePack C implementation for Lua")));
        return t;
    }

    // ---- encoding -------------------------------------------------------------------------------------

    private static int Pack(LuaCallContext call)
    {
        if (call.ArgCount == 0) throw call.State.ArgError(0, "pack", "MessagePack pack needs input.");
        var b = new MemoryStream();
        for (int i = 0; i < call.ArgCount; i++) Encode(b, call[i], 0);
        return call.Return(LuaValue.FromString(new LuaString(b.ToArray())));
    }

    private static void Encode(MemoryStream b, LuaValue v, int level)
    {
        var type = v.Type;
        if (type == LuaType.Table && level == MaxNesting) type = LuaType.Nil;
        switch (type)
        {
            case LuaType.String: EncodeBytes(b, v.AsString.Span); break;
            case LuaType.Boolean: b.WriteByte(v.AsBoolean ? (byte)0xc3 : (byte)0xc2); break;
            case LuaType.Number: EncodeNumber(b, v.AsNumber); break;
            case LuaType.Table: EncodeTable(b, v.AsTable, level); break;
            default: b.WriteByte(0xc0); break;
        }
    }

    private static void EncodeNumber(MemoryStream b, double n)
    {
        if (!double.IsInfinity(n) && !double.IsNaN(n) && n >= -9.2233720368547758e18 && n < 9.2233720368547758e18 && (long)n == n) EncodeInt(b, (long)n);
        else
        {
            float f = (float)n;
            Span<byte> buf = stackalloc byte[9];
            if (n == f || double.IsNaN(n))
            {
                buf[0] = 0xca;
                BinaryPrimitives.WriteSingleBigEndian(buf[1..], f);
                b.Write(buf[..5]);
            }
            else
            {
                buf[0] = 0xcb;
                BinaryPrimitives.WriteDoubleBigEndian(buf[1..], n);
                b.Write(buf);
            }
        }
    }

    private static void EncodeInt(MemoryStream b, long n)
    {
        Span<byte> buf = stackalloc byte[9];
        int len;
        if (n >= 0)
        {
            if (n <= 127) { buf[0] = (byte)n; len = 1; }
            else if (n <= 0xff) { buf[0] = 0xcc; buf[1] = (byte)n; len = 2; }
            else if (n <= 0xffff) { buf[0] = 0xcd; BinaryPrimitives.WriteUInt16BigEndian(buf[1..], (ushort)n); len = 3; }
            else if (n <= 0xffffffffL) { buf[0] = 0xce; BinaryPrimitives.WriteUInt32BigEndian(buf[1..], (uint)n); len = 5; }
            else { buf[0] = 0xcf; BinaryPrimitives.WriteUInt64BigEndian(buf[1..], (ulong)n); len = 9; }
        }
        else
        {
            if (n >= -32) { buf[0] = (byte)(sbyte)n; len = 1; }
            else if (n >= -128) { buf[0] = 0xd0; buf[1] = (byte)(sbyte)n; len = 2; }
            else if (n >= -32768) { buf[0] = 0xd1; BinaryPrimitives.WriteInt16BigEndian(buf[1..], (short)n); len = 3; }
            else if (n >= -2147483648L) { buf[0] = 0xd2; BinaryPrimitives.WriteInt32BigEndian(buf[1..], (int)n); len = 5; }
            else { buf[0] = 0xd3; BinaryPrimitives.WriteInt64BigEndian(buf[1..], n); len = 9; }
        }
        b.Write(buf[..len]);
    }

    private static void EncodeBytes(MemoryStream b, ReadOnlySpan<byte> s)
    {
        Span<byte> hdr = stackalloc byte[5];
        int len;
        if (s.Length < 32) { hdr[0] = (byte)(0xa0 | s.Length); len = 1; }
        else if (s.Length <= 0xff) { hdr[0] = 0xd9; hdr[1] = (byte)s.Length; len = 2; }
        else if (s.Length <= 0xffff) { hdr[0] = 0xda; BinaryPrimitives.WriteUInt16BigEndian(hdr[1..], (ushort)s.Length); len = 3; }
        else { hdr[0] = 0xdb; BinaryPrimitives.WriteUInt32BigEndian(hdr[1..], (uint)s.Length); len = 5; }
        b.Write(hdr[..len]);
        b.Write(s);
    }

    private static void EncodeTable(MemoryStream b, LuaTable t, int level)
    {
        if (IsArray(t))
        {
            int len = t.Length;
            Header(b, len, 0x90, 0xdc, 0xdd);
            for (int i = 1; i <= len; i++) Encode(b, t.RawGet(i), level + 1);
        }
        else
        {
            Header(b, t.PairCount, 0x80, 0xde, 0xdf);
            var key = LuaValue.Nil;
            while (t.Next(ref key, out var value))
            {
                Encode(b, key, level + 1);
                Encode(b, value, level + 1);
            }
        }
    }

    private static void Header(MemoryStream b, int n, byte fix, byte b16, byte b32)
    {
        Span<byte> hdr = stackalloc byte[5];
        if (n <= 15) { b.WriteByte((byte)(fix | n)); return; }
        if (n <= 0xffff) { hdr[0] = b16; BinaryPrimitives.WriteUInt16BigEndian(hdr[1..], (ushort)n); b.Write(hdr[..3]); return; }
        hdr[0] = b32;
        BinaryPrimitives.WriteUInt32BigEndian(hdr[1..], (uint)n);
        b.Write(hdr);
    }

    /// <summary>table_is_an_array: every key a positive whole number and the largest equal to the count.</summary>
    private static bool IsArray(LuaTable t)
    {
        long count = 0;
        double max = 0;
        var key = LuaValue.Nil;
        while (t.Next(ref key, out _))
        {
            if (key.Type != LuaType.Number) return false;
            double n = key.AsNumber;
            if (n <= 0 || (int)n != n) return false;
            if (n > max) max = n;
            count++;
        }
        return max == count;
    }

    // ---- decoding -------------------------------------------------------------------------------------

    private sealed class Cursor(byte[] data, int start)
    {
        public readonly byte[] Data = data;
        public int Pos = start;
        public int Left => Data.Length - Pos;
        /// <summary>0: fine, 1: missing bytes, 2: bad format.</summary>
        public int Error;

        public bool Need(int n)
        {
            if (Left >= n) return true;
            Error = 1;
            return false;
        }
    }

    private static int UnpackFull(LuaCallContext call, long limit, long offset)
    {
        var s = RedisLuaLibraries.CheckString(call, 0, "unpack");
        bool decodeAll = limit == 0 && offset == 0;
        if (offset < 0 || limit < 0) throw call.State.Error($"Invalid request to unpack with offset of {offset} and limit of {s.Length}.");
        if (offset > s.Length) throw call.State.Error($"Start offset {offset} greater than input length {s.Length}.");
        if (decodeAll) limit = int.MaxValue;
        var c = new Cursor(s, (int)offset);
        var results = new List<LuaValue>();
        for (int count = 0; c.Left > 0 && count < limit; count++)
        {
            var v = Decode(c, 0);
            if (c.Error == 1) throw call.State.Error("Missing bytes in input.");
            if (c.Error == 2) throw call.State.Error("Bad data format in input.");
            results.Add(v);
        }
        int returned = 0;
        if (!decodeAll) returned = call.Return(LuaValue.FromNumber(c.Left == 0 ? -1 : s.Length - c.Left));
        foreach (var r in results) returned = call.Return(r);
        return returned;
    }

    private static LuaValue Decode(Cursor c, int depth)
    {
        if (!c.Need(1)) return LuaValue.Nil;
        var d = c.Data;
        byte tag = d[c.Pos];
        switch (tag)
        {
            case 0xcc: return c.Need(2) ? Num(c, 2, d[c.Pos + 1]) : LuaValue.Nil;
            case 0xcd: return c.Need(3) ? Num(c, 3, BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(c.Pos + 1))) : LuaValue.Nil;
            case 0xce: return c.Need(5) ? Num(c, 5, BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(c.Pos + 1))) : LuaValue.Nil;
            case 0xcf: return c.Need(9) ? Num(c, 9, BinaryPrimitives.ReadUInt64BigEndian(d.AsSpan(c.Pos + 1))) : LuaValue.Nil;
            case 0xd0: return c.Need(2) ? Num(c, 2, (sbyte)d[c.Pos + 1]) : LuaValue.Nil;
            case 0xd1: return c.Need(3) ? Num(c, 3, BinaryPrimitives.ReadInt16BigEndian(d.AsSpan(c.Pos + 1))) : LuaValue.Nil;
            case 0xd2: return c.Need(5) ? Num(c, 5, BinaryPrimitives.ReadInt32BigEndian(d.AsSpan(c.Pos + 1))) : LuaValue.Nil;
            case 0xd3: return c.Need(9) ? Num(c, 9, BinaryPrimitives.ReadInt64BigEndian(d.AsSpan(c.Pos + 1))) : LuaValue.Nil;
            case 0xc0: c.Pos++; return LuaValue.Nil;
            case 0xc3: c.Pos++; return LuaValue.True;
            case 0xc2: c.Pos++; return LuaValue.False;
            case 0xca: return c.Need(5) ? Num(c, 5, BinaryPrimitives.ReadSingleBigEndian(d.AsSpan(c.Pos + 1))) : LuaValue.Nil;
            case 0xcb: return c.Need(9) ? Num(c, 9, BinaryPrimitives.ReadDoubleBigEndian(d.AsSpan(c.Pos + 1))) : LuaValue.Nil;
            case 0xc4:
            case 0xd9: return c.Need(2) ? Str(c, 2, d[c.Pos + 1]) : LuaValue.Nil;
            case 0xc5:
            case 0xda: return c.Need(3) ? Str(c, 3, BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(c.Pos + 1))) : LuaValue.Nil;
            case 0xc6:
            case 0xdb: return c.Need(5) ? Str(c, 5, BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(c.Pos + 1))) : LuaValue.Nil;
            case 0xdc: return c.Need(3) ? Array(c, 3, BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(c.Pos + 1)), depth) : LuaValue.Nil;
            case 0xdd: return c.Need(5) ? Array(c, 5, BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(c.Pos + 1)), depth) : LuaValue.Nil;
            case 0xde: return c.Need(3) ? Map(c, 3, BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(c.Pos + 1)), depth) : LuaValue.Nil;
            case 0xdf: return c.Need(5) ? Map(c, 5, BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(c.Pos + 1)), depth) : LuaValue.Nil;
        }
        if ((tag & 0x80) == 0) return Num(c, 1, tag);
        if ((tag & 0xe0) == 0xe0) return Num(c, 1, (sbyte)tag);
        if ((tag & 0xe0) == 0xa0) return Str(c, 1, (uint)(tag & 0x1f));
        if ((tag & 0xf0) == 0x90) return Array(c, 1, (uint)(tag & 0x0f), depth);
        if ((tag & 0xf0) == 0x80) return Map(c, 1, (uint)(tag & 0x0f), depth);
        c.Error = 2;
        return LuaValue.Nil;
    }

    private static LuaValue Num(Cursor c, int consumed, double n)
    {
        c.Pos += consumed;
        return LuaValue.FromNumber(n);
    }

    private static LuaValue Str(Cursor c, int header, uint length)
    {
        if (!c.Need(header + (int)Math.Min(length, int.MaxValue - header))) return LuaValue.Nil;
        var s = c.Data.AsSpan(c.Pos + header, (int)length).ToArray();
        c.Pos += header + (int)length;
        return LuaValue.FromString(new LuaString(s));
    }

    private static LuaValue Array(Cursor c, int header, uint count, int depth)
    {
        c.Pos += header;
        var t = new LuaTable((int)Math.Min(count, 1024), 0);
        for (uint i = 1; i <= count; i++)
        {
            var v = Decode(c, depth + 1);
            if (c.Error != 0) return LuaValue.Nil;
            t.RawSet((int)i, v);
        }
        return LuaValue.FromTable(t);
    }

    private static LuaValue Map(Cursor c, int header, uint count, int depth)
    {
        c.Pos += header;
        var t = new LuaTable(0, (int)Math.Min(count, 1024));
        for (uint i = 0; i < count; i++)
        {
            var k = Decode(c, depth + 1);
            if (c.Error != 0) return LuaValue.Nil;
            var v = Decode(c, depth + 1);
            if (c.Error != 0) return LuaValue.Nil;
            if (!k.IsNil && !(k.Type == LuaType.Number && double.IsNaN(k.AsNumber))) t.RawSet(k, v);
        }
        return LuaValue.FromTable(t);
    }
}
