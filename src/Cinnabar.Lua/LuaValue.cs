using System.Runtime.CompilerServices;
using System.Text;

namespace Cinnabar.Lua;

public enum LuaType { Nil, Boolean, Number, String, Table, Function, Thread, UserData }

/// <summary>A Lua value: a tagged union of a double (numbers, booleans) and an object reference.</summary>
public readonly struct LuaValue : IEquatable<LuaValue>
{
    internal readonly object? O;
    internal readonly double N;
    internal readonly LuaType T;

    /// <summary>Internal tag for a stack slot holding a captured local's box (never visible to Lua code).</summary>
    internal const LuaType BoxTag = (LuaType)100;

    internal LuaValue(LuaType t, double n, object? o) { T = t; N = n; O = o; }

    public LuaType Type => T;
    public static readonly LuaValue Nil = default;
    public static readonly LuaValue True = new(LuaType.Boolean, 1, null);
    public static readonly LuaValue False = new(LuaType.Boolean, 0, null);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LuaValue FromNumber(double n) => new(LuaType.Number, n, null);
    public static LuaValue FromBoolean(bool b) => b ? True : False;
    public static LuaValue FromString(LuaString s) => new(LuaType.String, 0, s);
    public static LuaValue FromString(string s) => new(LuaType.String, 0, LuaString.FromUtf8(s));
    public static LuaValue FromTable(LuaTable t) => new(LuaType.Table, 0, t);
    public static LuaValue FromFunction(LuaFunction f) => new(LuaType.Function, 0, f);
    public static LuaValue FromUserData(object o) => new(LuaType.UserData, 0, o);
    internal static LuaValue FromBox(UpBox b) => new(BoxTag, 0, b);

    public static implicit operator LuaValue(double n) => FromNumber(n);
    public static implicit operator LuaValue(bool b) => FromBoolean(b);
    public static implicit operator LuaValue(LuaString s) => FromString(s);
    public static implicit operator LuaValue(LuaTable t) => FromTable(t);
    public static implicit operator LuaValue(LuaFunction f) => FromFunction(f);

    public bool IsNil => T == LuaType.Nil;
    public bool IsFalsy => T == LuaType.Nil || (T == LuaType.Boolean && N == 0);
    public bool IsNumber => T == LuaType.Number;
    public bool IsString => T == LuaType.String;
    public bool IsTable => T == LuaType.Table;
    public bool IsFunction => T == LuaType.Function;
    public double AsNumber => N;
    public bool AsBoolean => N != 0;
    public LuaString AsString => (LuaString)O!;
    public LuaTable AsTable => (LuaTable)O!;
    public LuaFunction AsFunction => (LuaFunction)O!;
    public object? AsObject => O;

    /// <summary>Number, or a string convertible to a number (5.1 coercion).</summary>
    public bool TryGetNumber(out double n)
    {
        if (T == LuaType.Number) { n = N; return true; }
        if (T == LuaType.String) return NumberParser.TryParse(((LuaString)O!).Span, out n);
        n = 0;
        return false;
    }

    public string TypeName => TypeNameOf(T);

    internal static string TypeNameOf(LuaType t) => t switch
    {
        LuaType.Nil => "nil",
        LuaType.Boolean => "boolean",
        LuaType.Number => "number",
        LuaType.String => "string",
        LuaType.Table => "table",
        LuaType.Function => "function",
        LuaType.Thread => "thread",
        LuaType.UserData => "userdata",
        _ => "?",
    };

    /// <summary>Raw equality (no metamethods).</summary>
    public bool Equals(LuaValue other)
    {
        if (T != other.T) return false;
        switch (T)
        {
            case LuaType.Nil: return true;
            case LuaType.Number:
            case LuaType.Boolean: return N == other.N;
            case LuaType.String: return ReferenceEquals(O, other.O) || ((LuaString)O!).Equals((LuaString)other.O!);
            default: return ReferenceEquals(O, other.O);
        }
    }

    public override bool Equals(object? obj) => obj is LuaValue v && Equals(v);
    public static bool operator ==(LuaValue a, LuaValue b) => a.Equals(b);
    public static bool operator !=(LuaValue a, LuaValue b) => !a.Equals(b);

    public override int GetHashCode() => T switch
    {
        LuaType.Nil => 0,
        LuaType.Number => N == 0 ? 0 : N.GetHashCode(),
        LuaType.Boolean => N == 0 ? 1 : 2,
        LuaType.String => O!.GetHashCode(),
        _ => RuntimeHelpers.GetHashCode(O),
    };

    public override string ToString() => T switch
    {
        LuaType.Nil => "nil",
        LuaType.Boolean => N != 0 ? "true" : "false",
        LuaType.Number => LuaState.NumberToString(N),
        LuaType.String => O!.ToString()!,
        _ => TypeName + ": " + RuntimeHelpers.GetHashCode(O).ToString("x8"),
    };
}

/// <summary>Immutable, binary-safe byte string.</summary>
public sealed class LuaString : IEquatable<LuaString>, IComparable<LuaString>
{
    internal readonly byte[] Bytes;
    private int _hash;

    public static readonly LuaString Empty = new(Array.Empty<byte>());

    public LuaString(byte[] bytes) { Bytes = bytes; }
    public static LuaString FromUtf8(string s) => new(Encoding.UTF8.GetBytes(s));
    /// <summary>Latin-1 style: each char is one byte (for internal strings built from bytes).</summary>
    internal static LuaString FromAscii(string s)
    {
        var b = new byte[s.Length];
        for (int i = 0; i < s.Length; i++) b[i] = (byte)s[i];
        return new LuaString(b);
    }
    public static LuaString FromSpan(ReadOnlySpan<byte> s) => new(s.ToArray());

    public ReadOnlySpan<byte> Span => Bytes;
    public int Length => Bytes.Length;
    public byte this[int i] => Bytes[i];

    public bool Equals(LuaString? other)
    {
        if (other is null) return false;
        if (ReferenceEquals(this, other)) return true;
        if (Bytes.Length != other.Bytes.Length) return false;
        if (_hash != 0 && other._hash != 0 && _hash != other._hash) return false;
        return Bytes.AsSpan().SequenceEqual(other.Bytes);
    }

    public override bool Equals(object? obj) => obj is LuaString s && Equals(s);

    public override int GetHashCode()
    {
        int h = _hash;
        if (h == 0)
        {
            // FNV-1a; cached.
            uint x = 2166136261;
            foreach (var b in Bytes) x = (x ^ b) * 16777619;
            h = (int)x;
            if (h == 0) h = 1;
            _hash = h;
        }
        return h;
    }

    private uint _luaHash;
    private bool _luaHashed;

    /// <summary>
    /// Lua 5.1's string hash (lstring.c): seeded with the length, over at most 32 bytes taken from the end
    /// at a stride. Tables place string keys by it, which decides pairs() order.
    /// </summary>
    internal uint LuaHash
    {
        get
        {
            if (_luaHashed) return _luaHash;
            var str = Bytes;
            int l = str.Length;
            uint h = (uint)l;
            int step = (l >> 5) + 1;
            for (int l1 = l; l1 >= step; l1 -= step)
                h ^= (h << 5) + (h >> 2) + str[l1 - 1];
            _luaHash = h;
            _luaHashed = true;
            return h;
        }
    }

    public int CompareTo(LuaString? other) => Bytes.AsSpan().SequenceCompareTo(other!.Bytes);

    public override string ToString() => Encoding.UTF8.GetString(Bytes);

    /// <summary>Each byte as one char (lossless, used for error messages containing source bytes).</summary>
    internal string ToLatin1()
    {
        var c = new char[Bytes.Length];
        for (int i = 0; i < c.Length; i++) c[i] = (char)Bytes[i];
        return new string(c);
    }
}

public abstract class LuaFunction
{
    public abstract string Name { get; }
}

public delegate int LuaNativeFunction(LuaCallContext call);

public sealed class LuaNativeClosure : LuaFunction
{
    internal readonly LuaNativeFunction Fn;
    private readonly string _name;
    public LuaNativeClosure(string name, LuaNativeFunction fn) { _name = name; Fn = fn; }
    public override string Name => _name;
}

/// <summary>A Lua function value: a prototype plus captured upvalues and environment.</summary>
internal sealed class LuaClosure : LuaFunction
{
    internal readonly Proto P;
    internal readonly UpBox[] Up;
    internal LuaTable Env;
    internal LuaClosure(Proto p, UpBox[] up, LuaTable env) { P = p; Up = up; Env = env; }
    public override string Name => P.Name;
}

/// <summary>Heap cell of a local captured by a closure.</summary>
internal sealed class UpBox
{
    public LuaValue V;
    public UpBox(LuaValue v) { V = v; }
}

/// <summary>Arguments and results of a native call; valid only during the call.</summary>
public ref struct LuaCallContext
{
    private readonly LuaState _l;
    private readonly int _base;
    private readonly int _argc;
    private int _ret;

    internal LuaCallContext(LuaState l, int @base, int argc) { _l = l; _base = @base; _argc = argc; _ret = 0; }

    public LuaState State => _l;
    public int ArgCount => _argc;
    internal int Base => _base;

    public LuaValue this[int index] => (uint)index < (uint)_argc ? _l.Stack[_base + index] : default;

    public int Return(LuaValue value)
    {
        _l.Push(value);
        return ++_ret;
    }
}

public class LuaException : Exception
{
    public LuaException(string message) : base(message) { }
}

public sealed class LuaSyntaxException : LuaException
{
    public LuaSyntaxException(string message) : base(message) { }
}

public sealed class LuaRuntimeException : LuaException
{
    public LuaValue Value { get; }
    public new string? Source { get; }
    public int Line { get; }
    /// <summary>Set when the error is the engine's own stack overflow.</summary>
    internal bool IsStackOverflow { get; init; }

    public LuaRuntimeException(LuaValue value, string? source, int line)
        : base(value.T == LuaType.String ? value.AsString.ToString()
              : value.T == LuaType.Number ? LuaState.NumberToString(value.N)
              : "(error object is a " + value.TypeName + " value)")
    {
        Value = value;
        Source = source;
        Line = line;
    }
}
