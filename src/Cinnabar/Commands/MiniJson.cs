using System.Text;

namespace Cinnabar.Commands;

/// <summary>
/// The small JSON reader behind commands.json. Start-up reads the table without loading
/// System.Text.Json (whose first use costs tens of milliseconds), and skips each command's
/// documentation, which is parsed when COMMAND DOCS asks for it.
/// Values: string, long, <see cref="List{T}"/> of values (arrays), <see cref="JsonObject"/> (objects, in file order).
/// </summary>
internal sealed class MiniJson(byte[] text, int position = 0)
{
    private int _p = position;

    public int Position => _p;

    /// <summary>An object's members in the file's order (the order Redis writes them in).</summary>
    public sealed class JsonObject : List<KeyValuePair<string, object>>
    {
        public object? this[string name] => Find(name, out var v) ? v : null;

        public bool Find(string name, out object value)
        {
            foreach (var (k, v) in this)
                if (k == name) { value = v; return true; }
            value = null!;
            return false;
        }
    }

    public static object Parse(byte[] text, int start = 0) => new MiniJson(text, start).Value();

    public object Value()
    {
        SkipBlank();
        return Peek() switch
        {
            (byte)'{' => Object(),
            (byte)'[' => Array(),
            (byte)'"' => String(),
            _ => Number(),
        };
    }

    private JsonObject Object()
    {
        var o = new JsonObject();
        foreach (var name in Members()) o.Add(new(name, Value()));
        return o;
    }

    /// <summary>Enumerates an object's member names; the caller reads (or skips) each value before the next.</summary>
    public IEnumerable<string> Members()
    {
        SkipBlank();
        Expect((byte)'{');
        SkipBlank();
        if (Peek() == '}') { _p++; yield break; }
        while (true)
        {
            SkipBlank();
            var name = String();
            SkipBlank();
            Expect((byte)':');
            yield return name;
            SkipBlank();
            if (Peek() == ',') { _p++; continue; }
            Expect((byte)'}');
            yield break;
        }
    }

    private List<object> Array()
    {
        var list = new List<object>();
        Expect((byte)'[');
        SkipBlank();
        if (Peek() == ']') { _p++; return list; }
        while (true)
        {
            list.Add(Value());
            SkipBlank();
            if (Peek() == ',') { _p++; continue; }
            Expect((byte)']');
            return list;
        }
    }

    public string String()
    {
        Expect((byte)'"');
        int start = _p;
        _p += text.AsSpan(_p).IndexOfAny((byte)'"', (byte)'\\');
        if (text[_p] == '"') return Encoding.UTF8.GetString(text, start, _p++ - start);
        // Escapes are rare (quotes and backslashes in documentation): build the string.
        var bytes = new List<byte>(text.AsSpan(start, _p - start).ToArray());
        while (text[_p] != '"')
        {
            byte b = text[_p++];
            if (b != '\\') { bytes.Add(b); continue; }
            byte e = text[_p++];
            switch (e)
            {
                case (byte)'n': bytes.Add((byte)'\n'); break;
                case (byte)'t': bytes.Add((byte)'\t'); break;
                case (byte)'r': bytes.Add((byte)'\r'); break;
                case (byte)'b': bytes.Add((byte)'\b'); break;
                case (byte)'f': bytes.Add((byte)'\f'); break;
                case (byte)'u':
                    var ch = (char)Convert.ToInt32(Encoding.ASCII.GetString(text, _p, 4), 16);
                    _p += 4;
                    bytes.AddRange(Encoding.UTF8.GetBytes(ch.ToString()));
                    break;
                default: bytes.Add(e); break;
            }
        }
        _p++;
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private long Number()
    {
        bool negative = Peek() == '-';
        if (negative) _p++;
        if (Peek() is < (byte)'0' or > (byte)'9') throw Error("a value");
        long n = 0;
        while (Peek() is >= (byte)'0' and <= (byte)'9') n = n * 10 + (text[_p++] - '0');
        return negative ? -n : n;
    }

    /// <summary>Moves past one value without building it; returns where the value starts.</summary>
    public int Skip()
    {
        SkipBlank();
        int start = _p;
        if (Peek() == '"') { SkipString(); return start; }
        if (Peek() is not ((byte)'{' or (byte)'[')) { Number(); return start; }
        int depth = 0;
        do
        {
            // Jump to the next bracket or quote: the documentation is most of the file.
            _p += text.AsSpan(_p).IndexOfAny("\"{}[]"u8);
            byte b = text[_p];
            if (b == '"') { SkipString(); continue; }
            if (b is (byte)'{' or (byte)'[') depth++;
            else depth--;
            _p++;
        } while (depth > 0);
        return start;
    }

    private void SkipString()
    {
        _p++;
        while (true)
        {
            _p += text.AsSpan(_p).IndexOfAny((byte)'"', (byte)'\\');
            if (text[_p] == '"') break;
            _p += 2;
        }
        _p++;
    }

    /// <summary>Whitespace and // comments (the generated file starts with a notice).</summary>
    private void SkipBlank()
    {
        while (_p < text.Length)
        {
            byte b = text[_p];
            if (b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') _p++;
            else if (b == '/' && _p + 1 < text.Length && text[_p + 1] == '/')
                while (_p < text.Length && text[_p] != '\n') _p++;
            else break;
        }
    }

    private byte Peek() => _p < text.Length ? text[_p] : throw Error("more");

    private void Expect(byte b)
    {
        if (Peek() != b) throw Error($"'{(char)b}'");
        _p++;
    }

    private InvalidOperationException Error(string expected) =>
        new($"commands.json: expected {expected} at byte {_p}");
}
