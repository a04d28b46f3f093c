using System.Buffers.Binary;

namespace Cinnabar.Lua;

/// <summary>
/// Roberto Ierusalimschy's struct library as Redis bundles it: pack, unpack and size of binary records.
/// Formats: &gt; &lt; = endianness, ![n] alignment, x padding, b/B h/H l/L T i/I[n] integers, f d floats,
/// c[n] fixed strings (c0: the whole string, or when unpacking the length read just before), s zero-terminated.
/// </summary>
internal static class LuaStruct
{
    private const int MaxIntSize = 32;
    private const int MaxAlign = 8;

    public static LuaTable Create()
    {
        var t = new LuaTable(0, 3);
        RedisLuaLibraries.Register(t, "pack", Pack);
        RedisLuaLibraries.Register(t, "unpack", Unpack);
        RedisLuaLibraries.Register(t, "size", Size);
        return t;
    }

    private struct Header
    {
        public bool Little;
        public int Align;
    }

    private static Header DefaultHeader() => new() { Little = BitConverter.IsLittleEndian, Align = 1 };

    private static int GetNumber(LuaCallContext call, byte[] fmt, ref int i, int defaultValue)
    {
        if (i >= fmt.Length || !char.IsAsciiDigit((char)fmt[i])) return defaultValue;
        int a = 0;
        do
        {
            if (a > int.MaxValue / 10 || a * 10 > int.MaxValue - (fmt[i] - '0')) throw call.State.Error("integral size overflow");
            a = a * 10 + (fmt[i++] - '0');
        } while (i < fmt.Length && char.IsAsciiDigit((char)fmt[i]));
        return a;
    }

    private static int OptionSize(LuaCallContext call, byte opt, byte[] fmt, ref int i)
    {
        switch ((char)opt)
        {
            case 'B': case 'b': return 1;
            case 'H': case 'h': return 2;
            case 'L': case 'l': return 8;
            case 'T': return 8;
            case 'f': return 4;
            case 'd': return 8;
            case 'x': return 1;
            case 'c': return GetNumber(call, fmt, ref i, 1);
            case 'i':
            case 'I':
                {
                    int size = GetNumber(call, fmt, ref i, 4);
                    if (size > MaxIntSize) throw call.State.Error($"integral size {size} is larger than limit of {MaxIntSize}");
                    return size;
                }
            default: return 0;
        }
    }

    private static int ToAlign(long length, Header h, byte opt, int size)
    {
        if (size == 0 || opt == 'c') return 0;
        if (size > h.Align) size = h.Align;
        return (int)((size - (length & (size - 1))) & (size - 1));
    }

    private static void ControlOption(LuaCallContext call, string function, byte opt, byte[] fmt, ref int i, ref Header h)
    {
        switch ((char)opt)
        {
            case ' ': return;
            case '>': h.Little = false; return;
            case '<': h.Little = true; return;
            case '=': h.Little = BitConverter.IsLittleEndian; return;
            case '!':
                {
                    int a = GetNumber(call, fmt, ref i, MaxAlign);
                    if (a <= 0 || (a & (a - 1)) != 0) throw call.State.Error($"alignment {a} is not a power of 2");
                    h.Align = a;
                    return;
                }
            default:
                throw call.State.ArgError(1, function, $"invalid format option '{(char)opt}'");
        }
    }

    private static int Pack(LuaCallContext call)
    {
        var fmt = RedisLuaLibraries.CheckString(call, 0, "pack");
        var h = DefaultHeader();
        int arg = 1;
        var b = new MemoryStream();
        long total = 0;
        int i = 0;
        while (i < fmt.Length)
        {
            byte opt = fmt[i++];
            int size = OptionSize(call, opt, fmt, ref i);
            int align = ToAlign(total, h, opt, size);
            total += align;
            while (align-- > 0) b.WriteByte(0);
            switch ((char)opt)
            {
                case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I':
                    {
                        double n = RedisLuaLibraries.CheckNumber(call, arg++, "pack");
                        ulong value = n < 0 ? (ulong)(long)n : (ulong)n;
                        var buf = new byte[size];
                        if (h.Little)
                            for (int j = 0; j < size; j++) { buf[j] = (byte)value; value >>= 8; }
                        else
                            for (int j = size - 1; j >= 0; j--) { buf[j] = (byte)value; value >>= 8; }
                        b.Write(buf);
                        break;
                    }
                case 'x':
                    b.WriteByte(0);
                    break;
                case 'f':
                    {
                        Span<byte> buf = stackalloc byte[4];
                        float f = (float)RedisLuaLibraries.CheckNumber(call, arg++, "pack");
                        if (h.Little) BinaryPrimitives.WriteSingleLittleEndian(buf, f);
                        else BinaryPrimitives.WriteSingleBigEndian(buf, f);
                        b.Write(buf);
                        break;
                    }
                case 'd':
                    {
                        Span<byte> buf = stackalloc byte[8];
                        double d = RedisLuaLibraries.CheckNumber(call, arg++, "pack");
                        if (h.Little) BinaryPrimitives.WriteDoubleLittleEndian(buf, d);
                        else BinaryPrimitives.WriteDoubleBigEndian(buf, d);
                        b.Write(buf);
                        break;
                    }
                case 'c':
                case 's':
                    {
                        var s = RedisLuaLibraries.CheckString(call, arg++, "pack");
                        if (size == 0) size = s.Length;
                        if (s.Length < size) throw call.State.ArgError(arg, "pack", "string too short");
                        b.Write(s, 0, size);
                        if (opt == 's')
                        {
                            b.WriteByte(0);
                            size++;
                        }
                        break;
                    }
                default:
                    ControlOption(call, "pack", opt, fmt, ref i, ref h);
                    break;
            }
            total += size;
        }
        return call.Return(LuaValue.FromString(new LuaString(b.ToArray())));
    }

    private static int Unpack(LuaCallContext call)
    {
        var fmt = RedisLuaLibraries.CheckString(call, 0, "unpack");
        var data = RedisLuaLibraries.CheckString(call, 1, "unpack");
        long ld = data.Length;
        long pos = (call.ArgCount > 2 && !call[2].IsNil ? (long)RedisLuaLibraries.CheckNumber(call, 2, "unpack") : 1) - 1;
        if (pos < 0 || pos > ld) throw call.State.ArgError(3, "unpack", "offset must be 1 or greater");
        var h = DefaultHeader();
        var results = new List<LuaValue>();
        int i = 0;
        while (i < fmt.Length)
        {
            byte opt = fmt[i++];
            long size = OptionSize(call, opt, fmt, ref i);
            pos += ToAlign(pos, h, opt, (int)size);
            if (!(size <= ld && pos <= ld - size)) throw call.State.ArgError(2, "unpack", "data string too short");
            switch ((char)opt)
            {
                case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I':
                    {
                        bool signed = char.IsAsciiLetterLower((char)opt);
                        ulong l = 0;
                        if (!h.Little)
                            for (int j = 0; j < size; j++) l = (l << 8) | data[pos + j];
                        else
                            for (long j = size - 1; j >= 0; j--) l = (l << 8) | data[pos + j];
                        double res;
                        if (!signed) res = l;
                        else
                        {
                            int bits = (int)Math.Min(size * 8 - 1, 63);
                            ulong mask = ulong.MaxValue << bits;
                            if ((l & mask) != 0) l |= mask;
                            res = (long)l;
                        }
                        results.Add(LuaValue.FromNumber(res));
                        break;
                    }
                case 'x':
                    break;
                case 'f':
                    {
                        var span = data.AsSpan((int)pos, 4);
                        results.Add(LuaValue.FromNumber(h.Little ? BinaryPrimitives.ReadSingleLittleEndian(span) : BinaryPrimitives.ReadSingleBigEndian(span)));
                        break;
                    }
                case 'd':
                    {
                        var span = data.AsSpan((int)pos, 8);
                        results.Add(LuaValue.FromNumber(h.Little ? BinaryPrimitives.ReadDoubleLittleEndian(span) : BinaryPrimitives.ReadDoubleBigEndian(span)));
                        break;
                    }
                case 'c':
                    {
                        if (size == 0)
                        {
                            if (results.Count == 0 || results[^1].Type != LuaType.Number) throw call.State.Error("format 'c0' needs a previous size");
                            size = (long)results[^1].AsNumber;
                            results.RemoveAt(results.Count - 1);
                            if (!(size <= ld && pos <= ld - size)) throw call.State.ArgError(2, "unpack", "data string too short");
                        }
                        results.Add(LuaValue.FromString(new LuaString(data.AsSpan((int)pos, (int)size).ToArray())));
                        break;
                    }
                case 's':
                    {
                        int e = Array.IndexOf(data, (byte)0, (int)pos);
                        if (e < 0) throw call.State.Error("unfinished string in data");
                        size = e - pos + 1;
                        results.Add(LuaValue.FromString(new LuaString(data.AsSpan((int)pos, (int)size - 1).ToArray())));
                        break;
                    }
                default:
                    ControlOption(call, "unpack", opt, fmt, ref i, ref h);
                    break;
            }
            pos += size;
        }
        foreach (var r in results) call.Return(r);
        return call.Return(LuaValue.FromNumber(pos + 1));
    }

    private static int Size(LuaCallContext call)
    {
        var fmt = RedisLuaLibraries.CheckString(call, 0, "size");
        var h = DefaultHeader();
        long pos = 0;
        int i = 0;
        while (i < fmt.Length)
        {
            byte opt = fmt[i++];
            int size = OptionSize(call, opt, fmt, ref i);
            pos += ToAlign(pos, h, opt, size);
            if (opt == 's') throw call.State.ArgError(1, "size", "options 'c0' and 's' have variable size");
            if (opt == 'c' && size == 0) throw call.State.ArgError(1, "size", "options 'c0' and 's' have variable size");
            if (!char.IsAsciiLetterOrDigit((char)opt)) ControlOption(call, "size", opt, fmt, ref i, ref h);
            pos += size;
        }
        return call.Return(LuaValue.FromNumber(pos));
    }
}
