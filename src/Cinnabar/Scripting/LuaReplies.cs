using Cinnabar.Lua;
using Cinnabar.Protocol;

namespace Cinnabar.Scripting;

/// <summary>
/// The two conversions of Redis' EVAL documentation: a command's RESP reply into Lua values for redis.call
/// (Redis' redisProtocolToLuaType), and a script's Lua return value into the caller's reply
/// (luaReplyToRedisReply), for RESP2 and RESP3.
/// </summary>
internal static class LuaReplies
{
    // Field names of the special tables, made once.
    internal static readonly LuaString Ok = LuaString.FromUtf8("ok");
    internal static readonly LuaString Err = LuaString.FromUtf8("err");
    internal static readonly LuaString DoubleField = LuaString.FromUtf8("double");
    internal static readonly LuaString BigNumber = LuaString.FromUtf8("big_number");
    internal static readonly LuaString VerbatimString = LuaString.FromUtf8("verbatim_string");
    internal static readonly LuaString Format = LuaString.FromUtf8("format");
    internal static readonly LuaString StringField = LuaString.FromUtf8("string");
    internal static readonly LuaString MapField = LuaString.FromUtf8("map");
    internal static readonly LuaString SetField = LuaString.FromUtf8("set");
    internal static readonly LuaString IgnoreErrorStats = LuaString.FromUtf8("ignore_error_stats_update");
    internal static readonly LuaString Source = LuaString.FromUtf8("source");
    internal static readonly LuaString Line = LuaString.FromUtf8("line");

    /// <summary>Nesting beyond this in a script's reply answers an error instead of recursing (Redis' "reached lua stack limit").</summary>
    private const int MaxReplyDepth = 1000;

    // ---- RESP -> Lua ------------------------------------------------------------------------------------

    /// <summary>Converts the reply at <paramref name="pos"/> (one complete RESP value written by a handler).</summary>
    public static LuaValue ToLua(ReadOnlySpan<byte> reply, ref int pos)
    {
        byte type = reply[pos];
        int lineEnd = reply[pos..].IndexOf("\r\n"u8) + pos;
        var line = reply[(pos + 1)..lineEnd];
        pos = lineEnd + 2;
        switch (type)
        {
            case (byte)'+':
                return Table(Ok, LuaValue.FromString(new LuaString(line.ToArray())));
            case (byte)'-':
                return Table(Err, LuaValue.FromString(new LuaString(line.ToArray())));
            case (byte)':':
                RespNumbers.TryParseInt64(line, out long n);
                return LuaValue.FromNumber(n);
            case (byte)'$':
            {
                RespNumbers.TryParseInt64(line, out long len);
                if (len < 0) return LuaValue.False;
                var s = new LuaString(reply.Slice(pos, (int)len).ToArray());
                pos += (int)len + 2;
                return LuaValue.FromString(s);
            }
            case (byte)'*':
            {
                RespNumbers.TryParseInt64(line, out long count);
                if (count < 0) return LuaValue.False;
                var t = new LuaTable((int)count, 0);
                for (int i = 1; i <= count; i++) t.RawSet(i, ToLua(reply, ref pos));
                return LuaValue.FromTable(t);
            }
            case (byte)'_':
                return LuaValue.Nil;
            case (byte)'#':
                return line.Length > 0 && line[0] == 't' ? LuaValue.True : LuaValue.False;
            case (byte)',':
                RespNumbers.TryParseDouble(line, out double d);
                if (line.SequenceEqual("inf"u8)) d = double.PositiveInfinity;
                else if (line.SequenceEqual("-inf"u8)) d = double.NegativeInfinity;
                else if (line.SequenceEqual("nan"u8)) d = double.NaN;
                return Table(DoubleField, LuaValue.FromNumber(d));
            case (byte)'(':
                return Table(BigNumber, LuaValue.FromString(new LuaString(line.ToArray())));
            case (byte)'=':
            {
                RespNumbers.TryParseInt64(line, out long len);
                var body = reply.Slice(pos, (int)len);
                pos += (int)len + 2;
                var inner = new LuaTable(0, 2);
                inner.RawSet(LuaValue.FromString(Format), LuaValue.FromString(new LuaString(body[..3].ToArray())));
                inner.RawSet(LuaValue.FromString(StringField), LuaValue.FromString(new LuaString(body[4..].ToArray())));
                return Table(VerbatimString, LuaValue.FromTable(inner));
            }
            case (byte)'%':
            {
                RespNumbers.TryParseInt64(line, out long pairs);
                var map = new LuaTable(0, (int)pairs);
                for (int i = 0; i < pairs; i++)
                {
                    var k = ToLua(reply, ref pos);
                    var v = ToLua(reply, ref pos);
                    if (!k.IsNil) map.RawSet(k, v);
                }
                return Table(MapField, LuaValue.FromTable(map));
            }
            case (byte)'~':
            {
                RespNumbers.TryParseInt64(line, out long count);
                var set = new LuaTable(0, (int)count);
                for (int i = 0; i < count; i++)
                {
                    var k = ToLua(reply, ref pos);
                    if (!k.IsNil) set.RawSet(k, LuaValue.True);
                }
                return Table(SetField, LuaValue.FromTable(set));
            }
            case (byte)'|':
            {
                // Attributes are not passed to scripts: skip them and return the value they annotate.
                RespNumbers.TryParseInt64(line, out long pairs);
                for (int i = 0; i < pairs * 2; i++) ToLua(reply, ref pos);
                return ToLua(reply, ref pos);
            }
            default:
                return LuaValue.Nil;
        }
    }

    /// <summary>A one-field table such as {ok="..."} or {err="..."}.</summary>
    public static LuaValue Table(LuaString field, LuaValue value)
    {
        var t = new LuaTable(0, 1);
        t.RawSet(LuaValue.FromString(field), value);
        return LuaValue.FromTable(t);
    }

    // ---- Lua -> RESP ------------------------------------------------------------------------------------

    /// <summary>
    /// Writes a script's return value as the caller's reply. <paramref name="scriptResp"/> is the protocol the
    /// script chose with redis.setresp (it decides how booleans are returned); the reply itself follows the
    /// caller's protocol. Returns true when the reply is an error returned (not raised) by the script.
    /// </summary>
    public static void WriteReply(ReplyBuffer reply, LuaValue value, int scriptResp, int depth = 0)
    {
        if (depth > MaxReplyDepth)
        {
            reply.Error("ERR reached lua stack limit");
            return;
        }
        switch (value.Type)
        {
            case LuaType.String:
                reply.Bulk(value.AsString.Span);
                return;
            case LuaType.Boolean:
                if (scriptResp == 2)
                {
                    if (value.AsBoolean) reply.Integer(1);
                    else reply.Null();
                }
                else reply.Boolean(value.AsBoolean);
                return;
            case LuaType.Number:
                reply.Integer(ToInteger(value.AsNumber));
                return;
            case LuaType.Table:
                WriteTable(reply, value.AsTable, scriptResp, depth);
                return;
            default:
                reply.Null();
                return;
        }
    }

    /// <summary>C's (long long) cast of a double: truncation, with the values x86-64 gives for NaN and overflow.</summary>
    public static long ToInteger(double d) => double.IsNaN(d) || d >= 9.2233720368547758e18 || d < -9.2233720368547758e18 ? long.MinValue : (long)d;

    private static void WriteTable(ReplyBuffer reply, LuaTable t, int scriptResp, int depth)
    {
        var err = t.RawGet(LuaValue.FromString(Err));
        if (err.Type == LuaType.String)
        {
            reply.Error(err.AsString.Span);
            return;
        }
        var ok = t.RawGet(LuaValue.FromString(Ok));
        if (ok.Type == LuaType.String)
        {
            reply.SimpleString(Sanitize(ok.AsString.Span));
            return;
        }
        var dbl = t.RawGet(LuaValue.FromString(DoubleField));
        if (dbl.Type == LuaType.Number)
        {
            reply.Double(dbl.AsNumber);
            return;
        }
        var big = t.RawGet(LuaValue.FromString(BigNumber));
        if (big.Type == LuaType.String)
        {
            var text = Sanitize(big.AsString.Span);
            if (reply.Resp3)
            {
                reply.WriteRaw("("u8);
                reply.WriteRaw(text);
                reply.WriteRaw("\r\n"u8);
            }
            else reply.Bulk(text);
            return;
        }
        var verbatim = t.RawGet(LuaValue.FromString(VerbatimString));
        if (verbatim.Type == LuaType.Table)
        {
            var format = verbatim.AsTable.RawGet(LuaValue.FromString(Format));
            var str = verbatim.AsTable.RawGet(LuaValue.FromString(StringField));
            if (format.Type == LuaType.String && format.AsString.Length == 3 && str.Type == LuaType.String)
            {
                reply.Verbatim(str.AsString.Span, System.Text.Encoding.UTF8.GetString(format.AsString.Span));
                return;
            }
        }
        var map = t.RawGet(LuaValue.FromString(MapField));
        if (map.Type == LuaType.Table)
        {
            var m = map.AsTable;
            reply.MapHeader(m.PairCount);
            var key = LuaValue.Nil;
            while (m.Next(ref key, out var v))
            {
                WriteReply(reply, key, scriptResp, depth + 1);
                WriteReply(reply, v, scriptResp, depth + 1);
            }
            return;
        }
        var set = t.RawGet(LuaValue.FromString(SetField));
        if (set.Type == LuaType.Table)
        {
            var s = set.AsTable;
            reply.SetHeader(s.PairCount);
            var key = LuaValue.Nil;
            while (s.Next(ref key, out _)) WriteReply(reply, key, scriptResp, depth + 1);
            return;
        }
        // An array: elements 1, 2, ... up to the first nil.
        int n = 0;
        while (!t.RawGet(n + 1).IsNil) n++;
        reply.ArrayHeader(n);
        for (int i = 1; i <= n; i++) WriteReply(reply, t.RawGet(i), scriptResp, depth + 1);
    }

    /// <summary>Status and error lines cannot hold CR or LF: Redis maps them to spaces.</summary>
    public static byte[] Sanitize(ReadOnlySpan<byte> text)
    {
        var copy = text.ToArray();
        for (int i = 0; i < copy.Length; i++)
            if (copy[i] == '\r' || copy[i] == '\n') copy[i] = (byte)' ';
        return copy;
    }
}
