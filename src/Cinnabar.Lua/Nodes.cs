using System.Runtime.CompilerServices;

namespace Cinnabar.Lua;

/// <summary>Activation record of a Lua function; pooled per call depth by <see cref="LuaState"/>.</summary>
internal sealed class Frame
{
    public readonly LuaState L;
    public LuaClosure Cl = null!;
    public int Base;
    public int VarargBase;
    public int VarargCount;
    public int RetBase;
    public int RetCount;
    public int Line;
    public bool CalledFromNative;
    public Expr? TailSite;
    public Frame(LuaState l) { L = l; }
}

internal sealed class VarInfo
{
    public readonly string Name;
    public readonly int Slot;
    public bool Captured;
    public VarInfo(string name, int slot) { Name = name; Slot = slot; }
}

internal readonly record struct UpvalDesc(string Name, bool FromLocal, int Index);

internal sealed class Proto
{
    public string Source = "";
    public string ChunkId = "";
    public string Name = "?";
    public int LineDefined;
    public int NumParams;
    public bool IsVararg;
    public int MaxSlots;
    public VarInfo[] Params = Array.Empty<VarInfo>();
    public bool AnyParamCaptured;
    public UpvalDesc[] Upvals = Array.Empty<UpvalDesc>();
    public Block Body = null!;
}

internal static class Sig
{
    public const int Normal = 0, Break = 1, Return = 2, TailCall = 3;
}

// ===================== expressions =====================

internal abstract class Expr
{
    public int Line;
    /// <summary>Nesting height of this expression tree (for stack guards on very deep trees).</summary>
    public int Height;
    public abstract LuaValue Eval(Frame f);
    /// <summary>Pushes all values on the stack, returns their count.</summary>
    public virtual int EvalMulti(Frame f)
    {
        var v = Eval(f);
        f.L.Push(v);
        return 1;
    }
    public virtual bool IsMulti => false;
    /// <summary>5.1 variable naming for error messages: "local 'x'", "global 'x'", "field 'x'", "upvalue 'x'".</summary>
    public virtual string? Describe() => null;
}

/// <summary>Inserted every few dozen levels of a deep expression tree (e.g. x+x+...+x with thousands of terms):
/// raises Lua's "stack overflow" before evaluation could exhaust the .NET stack.</summary>
internal sealed class StackGuardExpr : Expr
{
    private readonly Expr _e;
    public Expr Inner => _e;
    public static Expr Unwrap(Expr e) => e is StackGuardExpr g ? g._e : e;
    public StackGuardExpr(Expr e) { _e = e; Line = e.Line; Height = e.Height; }
    public override bool IsMulti => _e.IsMulti;
    public override LuaValue Eval(Frame f)
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) throw f.L.StackOverflow();
        return _e.Eval(f);
    }
    public override int EvalMulti(Frame f)
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) throw f.L.StackOverflow();
        return _e.EvalMulti(f);
    }
    public override string? Describe() => _e.Describe();
}

internal sealed class ConstExpr : Expr
{
    public readonly LuaValue V;
    public ConstExpr(LuaValue v) { V = v; }
    public override LuaValue Eval(Frame f) => V;
}

internal sealed class VarargExpr : Expr
{
    public override bool IsMulti => true;
    public override LuaValue Eval(Frame f) => f.VarargCount > 0 ? f.L.Stack[f.VarargBase] : default;
    public override int EvalMulti(Frame f)
    {
        var L = f.L;
        int n = f.VarargCount;
        L.EnsureStack(L.Top + n + 1);
        Array.Copy(L.Stack, f.VarargBase, L.Stack, L.Top, n);
        L.Top += n;
        return n;
    }
}

internal sealed class ParenExpr : Expr
{
    public readonly Expr E;
    public ParenExpr(Expr e) { E = e; Line = e.Line; }
    public override LuaValue Eval(Frame f) => E.Eval(f);
    public override string? Describe() => E.Describe();
}

internal sealed class LocalExpr : Expr
{
    public readonly VarInfo V;
    private readonly int _slot;
    public LocalExpr(VarInfo v) { V = v; _slot = v.Slot; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override LuaValue Eval(Frame f)
    {
        var v = f.L.Stack[f.Base + _slot];
        if (v.T == LuaValue.BoxTag) return ((UpBox)v.O!).V;
        return v;
    }
    public override string? Describe() => "local '" + V.Name + "'";

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Set(Frame f, int slot, LuaValue val)
    {
        ref var s = ref f.L.Stack[f.Base + slot];
        if (s.T == LuaValue.BoxTag) ((UpBox)s.O!).V = val;
        else s = val;
    }

    /// <summary>Initializes a newly declared local (a fresh box when captured by a closure).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Init(Frame f, VarInfo v, LuaValue val)
    {
        f.L.Stack[f.Base + v.Slot] = v.Captured ? LuaValue.FromBox(new UpBox(val)) : val;
    }
}

internal sealed class UpvalExpr : Expr
{
    public readonly int Index;
    public readonly string Name;
    public UpvalExpr(int index, string name) { Index = index; Name = name; }
    public override LuaValue Eval(Frame f) => f.Cl.Up[Index].V;
    public override string? Describe() => "upvalue '" + Name + "'";
}

internal sealed class GlobalExpr : Expr
{
    public readonly LuaValue Key;
    private readonly LuaString _key;
    public GlobalExpr(LuaString name) { _key = name; Key = LuaValue.FromString(name); }
    public override LuaValue Eval(Frame f)
    {
        var env = f.Cl.Env;
        var v = env.RawGetStr(_key);
        if (v.T != LuaType.Nil || env.Metatable == null) return v;
        // The environment's __index may raise (Redis' protected globals): errors name this line.
        f.Line = Line;
        return f.L.GetIndexSlow(LuaValue.FromTable(env), Key, this, Line);
    }
    public override string? Describe() => "global '" + _key.ToLatin1() + "'";
}

internal sealed class IndexExpr : Expr
{
    public readonly Expr Obj;
    public readonly Expr Key;
    public IndexExpr(Expr obj, Expr key) { Obj = obj; Key = key; }
    public override LuaValue Eval(Frame f)
    {
        var o = Obj.Eval(f);
        var k = Key.Eval(f);
        if (o.T == LuaType.Table)
        {
            var t = (LuaTable)o.O!;
            var v = t.RawGet(k);
            if (v.T != LuaType.Nil || t.Metatable == null) return v;
        }
        f.Line = Line;
        return f.L.GetIndexSlow(o, k, Obj, Line);
    }
    public override string? Describe()
        => "field '" + FieldName + "'";
    /// <summary>5.1 kname: the constant string key, else "?".</summary>
    public string FieldName => Key is ConstExpr c && c.V.T == LuaType.String ? c.V.AsString.ToLatin1() : "?";
}

internal sealed class CallExpr : Expr
{
    public readonly Expr Fn;
    public readonly Expr[] Args;
    private readonly bool _lastMulti;
    public CallExpr(Expr fn, Expr[] args, int line)
    {
        Fn = fn; Args = args; Line = line;
        _lastMulti = args.Length > 0 && args[^1].IsMulti;
    }
    public override bool IsMulti => true;

    public override int EvalMulti(Frame f)
    {
        var L = f.L;
        var fn = Fn.Eval(f);
        int argBase = L.Top;
        var args = Args;
        int n = _lastMulti ? args.Length - 1 : args.Length;
        for (int i = 0; i < n; i++)
        {
            var v = args[i].Eval(f);
            L.Push(v);
        }
        if (_lastMulti) args[^1].EvalMulti(f);
        f.Line = Line;
        return L.CallValue(fn, argBase, L.Top - argBase, this);
    }

    public override LuaValue Eval(Frame f)
    {
        var L = f.L;
        int top = L.Top;
        int n = EvalMulti(f);
        var v = n > 0 ? L.Stack[top] : default;
        L.Top = top;
        return v;
    }

    public string? DescribeCallee() => Fn.Describe();

    /// <summary>For 'return f(...)': pushes the callee then the arguments, for the caller's frame to tail-call.</summary>
    public void PushForTail(Frame f)
    {
        var L = f.L;
        var fn = Fn.Eval(f);
        L.Push(fn);
        var args = Args;
        int n = _lastMulti ? args.Length - 1 : args.Length;
        for (int i = 0; i < n; i++)
        {
            var v = args[i].Eval(f);
            L.Push(v);
        }
        if (_lastMulti) args[^1].EvalMulti(f);
    }
}

internal sealed class MethodCallExpr : Expr
{
    public readonly Expr Obj;
    public readonly LuaValue Name;
    public readonly Expr[] Args;
    private readonly bool _lastMulti;
    public MethodCallExpr(Expr obj, LuaValue name, Expr[] args, int line)
    {
        Obj = obj; Name = name; Args = args; Line = line;
        _lastMulti = args.Length > 0 && args[^1].IsMulti;
    }
    public override bool IsMulti => true;

    public override int EvalMulti(Frame f)
    {
        var L = f.L;
        var o = Obj.Eval(f);
        LuaValue fn;
        if (o.T == LuaType.Table)
        {
            var t = (LuaTable)o.O!;
            fn = t.RawGet(Name);
            if (fn.T == LuaType.Nil && t.Metatable != null) { f.Line = Line; fn = L.GetIndexSlow(o, Name, Obj, Line); }
        }
        else
        {
            f.Line = Line;
            fn = L.GetIndexSlow(o, Name, Obj, Line);
        }
        int argBase = L.Top;
        L.Push(o);
        var args = Args;
        int n = _lastMulti ? args.Length - 1 : args.Length;
        for (int i = 0; i < n; i++)
        {
            var v = args[i].Eval(f);
            L.Push(v);
        }
        if (_lastMulti) args[^1].EvalMulti(f);
        f.Line = Line;
        return L.CallValue(fn, argBase, L.Top - argBase, this);
    }

    public override LuaValue Eval(Frame f)
    {
        var L = f.L;
        int top = L.Top;
        int n = EvalMulti(f);
        var v = n > 0 ? L.Stack[top] : default;
        L.Top = top;
        return v;
    }

    /// <summary>For 'return o:m(...)': pushes the method then self and the arguments.</summary>
    public void PushForTail(Frame f)
    {
        var L = f.L;
        var o = Obj.Eval(f);
        f.Line = Line;
        var fn = L.GetIndex(o, Name, Obj);
        L.Push(fn);
        L.Push(o);
        var args = Args;
        int n = _lastMulti ? args.Length - 1 : args.Length;
        for (int i = 0; i < n; i++)
        {
            var v = args[i].Eval(f);
            L.Push(v);
        }
        if (_lastMulti) args[^1].EvalMulti(f);
    }
}

internal sealed class FunctionExpr : Expr
{
    public readonly Proto P;
    public FunctionExpr(Proto p) { P = p; }
    public override LuaValue Eval(Frame f)
    {
        var descs = P.Upvals;
        var ups = descs.Length == 0 ? Array.Empty<UpBox>() : new UpBox[descs.Length];
        for (int i = 0; i < descs.Length; i++)
        {
            var d = descs[i];
            if (d.FromLocal)
            {
                ref var s = ref f.L.Stack[f.Base + d.Index];
                if (s.T != LuaValue.BoxTag) s = LuaValue.FromBox(new UpBox(s)); // defensive
                ups[i] = (UpBox)s.O!;
            }
            else ups[i] = f.Cl.Up[d.Index];
        }
        return LuaValue.FromFunction(new LuaClosure(P, ups, f.Cl.Env));
    }
}

internal enum ArithOp { Add, Sub, Mul, Div, Mod, Pow }

internal sealed class AddExpr : Expr
{
    private readonly Expr _a, _b;
    public AddExpr(Expr a, Expr b, int line) { _a = a; _b = b; Line = line; }
    public override LuaValue Eval(Frame f)
    {
        var a = _a.Eval(f);
        var b = _b.Eval(f);
        if (a.T == LuaType.Number && b.T == LuaType.Number) return LuaValue.FromNumber(a.N + b.N);
        return f.L.ArithSlow(f, ArithOp.Add, a, b, _a, _b, Line);
    }
}

internal sealed class SubExpr : Expr
{
    private readonly Expr _a, _b;
    public SubExpr(Expr a, Expr b, int line) { _a = a; _b = b; Line = line; }
    public override LuaValue Eval(Frame f)
    {
        var a = _a.Eval(f);
        var b = _b.Eval(f);
        if (a.T == LuaType.Number && b.T == LuaType.Number) return LuaValue.FromNumber(a.N - b.N);
        return f.L.ArithSlow(f, ArithOp.Sub, a, b, _a, _b, Line);
    }
}

internal sealed class MulExpr : Expr
{
    private readonly Expr _a, _b;
    public MulExpr(Expr a, Expr b, int line) { _a = a; _b = b; Line = line; }
    public override LuaValue Eval(Frame f)
    {
        var a = _a.Eval(f);
        var b = _b.Eval(f);
        if (a.T == LuaType.Number && b.T == LuaType.Number) return LuaValue.FromNumber(a.N * b.N);
        return f.L.ArithSlow(f, ArithOp.Mul, a, b, _a, _b, Line);
    }
}

internal sealed class ArithExpr : Expr
{
    private readonly Expr _a, _b;
    private readonly ArithOp _op;
    public ArithExpr(ArithOp op, Expr a, Expr b, int line) { _op = op; _a = a; _b = b; Line = line; }
    public override LuaValue Eval(Frame f)
    {
        var a = _a.Eval(f);
        var b = _b.Eval(f);
        if (a.T == LuaType.Number && b.T == LuaType.Number) return LuaValue.FromNumber(LuaState.Arith(_op, a.N, b.N));
        return f.L.ArithSlow(f, _op, a, b, _a, _b, Line);
    }
}

internal sealed class NegExpr : Expr
{
    private readonly Expr _a;
    public NegExpr(Expr a, int line) { _a = a; Line = line; }
    public override LuaValue Eval(Frame f)
    {
        var a = _a.Eval(f);
        if (a.T == LuaType.Number) return LuaValue.FromNumber(-a.N);
        return f.L.UnmSlow(f, a, _a, Line);
    }
}

internal sealed class NotExpr : Expr
{
    private readonly Expr _a;
    public NotExpr(Expr a) { _a = a; }
    public override LuaValue Eval(Frame f) => _a.Eval(f).IsFalsy ? LuaValue.True : LuaValue.False;
}

internal sealed class LenExpr : Expr
{
    private readonly Expr _a;
    public LenExpr(Expr a, int line) { _a = a; Line = line; }
    public override LuaValue Eval(Frame f)
    {
        var a = _a.Eval(f);
        if (a.T == LuaType.String) return LuaValue.FromNumber(((LuaString)a.O!).Length);
        if (a.T == LuaType.Table) return LuaValue.FromNumber(((LuaTable)a.O!).Length);
        return f.L.LenSlow(f, a, _a, Line);
    }
}

internal sealed class AndExpr : Expr
{
    private readonly Expr _a, _b;
    public AndExpr(Expr a, Expr b) { _a = a; _b = b; }
    public override LuaValue Eval(Frame f)
    {
        var a = _a.Eval(f);
        return a.IsFalsy ? a : _b.Eval(f);
    }
}

internal sealed class OrExpr : Expr
{
    private readonly Expr _a, _b;
    public OrExpr(Expr a, Expr b) { _a = a; _b = b; }
    public override LuaValue Eval(Frame f)
    {
        var a = _a.Eval(f);
        return a.IsFalsy ? _b.Eval(f) : a;
    }
}

internal sealed class EqExpr : Expr
{
    private readonly Expr _a, _b;
    private readonly bool _neg;
    public EqExpr(Expr a, Expr b, bool neg, int line) { _a = a; _b = b; _neg = neg; Line = line; }
    public override LuaValue Eval(Frame f)
    {
        var a = _a.Eval(f);
        var b = _b.Eval(f);
        bool eq;
        if (a.T != b.T) eq = false;
        else if (a.T == LuaType.Number) eq = a.N == b.N;
        else if (a.Equals(b)) eq = true;
        else if (a.T == LuaType.Table || a.T == LuaType.UserData) { f.Line = Line; eq = f.L.EqualsMeta(a, b); }
        else eq = false;
        return (eq != _neg) ? LuaValue.True : LuaValue.False;
    }
}

internal sealed class LtExpr : Expr
{
    private readonly Expr _a, _b;
    private readonly bool _swap;
    public LtExpr(Expr a, Expr b, bool swap, int line) { _a = a; _b = b; _swap = swap; Line = line; }
    public override LuaValue Eval(Frame f)
    {
        var a = _a.Eval(f);
        var b = _b.Eval(f);
        if (_swap) (a, b) = (b, a);
        if (a.T == LuaType.Number && b.T == LuaType.Number) return a.N < b.N ? LuaValue.True : LuaValue.False;
        f.Line = Line;
        return f.L.LessThan(f, a, b, Line) ? LuaValue.True : LuaValue.False;
    }
}

internal sealed class LeExpr : Expr
{
    private readonly Expr _a, _b;
    private readonly bool _swap;
    public LeExpr(Expr a, Expr b, bool swap, int line) { _a = a; _b = b; _swap = swap; Line = line; }
    public override LuaValue Eval(Frame f)
    {
        var a = _a.Eval(f);
        var b = _b.Eval(f);
        if (_swap) (a, b) = (b, a);
        if (a.T == LuaType.Number && b.T == LuaType.Number) return a.N <= b.N ? LuaValue.True : LuaValue.False;
        f.Line = Line;
        return f.L.LessEqual(f, a, b, Line) ? LuaValue.True : LuaValue.False;
    }
}

internal sealed class ConcatExpr : Expr
{
    private readonly Expr[] _parts;
    public ConcatExpr(Expr[] parts, int line) { _parts = parts; Line = line; }
    public override LuaValue Eval(Frame f)
    {
        var L = f.L;
        int top = L.Top;
        foreach (var p in _parts)
        {
            var v = p.Eval(f);
            L.Push(v);
        }
        f.Line = Line;
        var r = L.Concat(f, top, _parts.Length, _parts, Line);
        L.Top = top;
        return r;
    }
}

internal sealed class TableExpr : Expr
{
    private readonly Expr?[] _keys; // null = positional
    private readonly Expr[] _values;
    private readonly int _npos;
    private readonly int _nhash;
    public TableExpr(Expr?[] keys, Expr[] values, int line)
    {
        _keys = keys; _values = values; Line = line;
        foreach (var k in keys) if (k == null) _npos++; else _nhash++;
    }

    public override LuaValue Eval(Frame f)
    {
        var L = f.L;
        // Presized as Lua's OP_NEWTABLE: positional items (but a trailing multi-value one) and hash items,
        // each rounded as the opcode's "floating point byte" stores them.
        int npos = _npos > 0 && _values.Length > 0 && _keys[^1] == null && _values[^1].IsMulti ? _npos - 1 : _npos;
        var t = new LuaTable(FloatingByte.Round(npos), FloatingByte.Round(_nhash));
        int top = L.Top;
        for (int i = 0; i < _values.Length; i++)
        {
            var k = _keys[i];
            if (k == null)
            {
                if (i == _values.Length - 1 && _values[i].IsMulti) _values[i].EvalMulti(f);
                else
                {
                    var v = _values[i].Eval(f);
                    L.Push(v);
                }
            }
            else
            {
                var kv = k.Eval(f);
                var v = _values[i].Eval(f);
                if (kv.T == LuaType.Nil) throw L.RtError(f, Line, "table index is nil");
                if (kv.T == LuaType.Number && double.IsNaN(kv.N)) throw L.RtError(f, Line, "table index is NaN");
                t.RawSet(kv, v);
            }
        }
        int n = L.Top - top;
        if (n > 0) t.InitArray(new ReadOnlySpan<LuaValue>(L.Stack, top, n));
        L.Top = top;
        return LuaValue.FromTable(t);
    }
}

/// <summary>Lua 5.1's luaO_int2fb/luaO_fb2int: table size hints are stored as eeeeexxx, rounding up.</summary>
internal static class FloatingByte
{
    public static int Round(int x)
    {
        int e = 0;
        if (x < 8) return x;
        while (x >= 16)
        {
            x = (x + 1) >> 1;
            e++;
        }
        return (x & 7 | 8) << e;
    }
}

// ===================== statements =====================

internal abstract class Stmt
{
    public int Line;
    public abstract int Exec(Frame f);
}

internal sealed class Block : Stmt
{
    public readonly Stmt[] Stmts;
    public Block(Stmt[] s) { Stmts = s; }
    /// <summary>The block itself, or its only statement (saves a dispatch per loop iteration).</summary>
    public Stmt Simplest => Stmts.Length == 1 ? Stmts[0] : this;
    public override int Exec(Frame f)
    {
        var s = Stmts;
        for (int i = 0; i < s.Length; i++)
        {
            int r = s[i].Exec(f);
            if (r != Sig.Normal) return r;
        }
        return Sig.Normal;
    }
}

internal sealed class CallStmt : Stmt
{
    private readonly Expr _call;
    public CallStmt(Expr call) { _call = call; }
    public override int Exec(Frame f)
    {
        var L = f.L;
        int top = L.Top;
        _call.EvalMulti(f);
        L.Top = top;
        return Sig.Normal;
    }
}

internal sealed class LocalStmt1 : Stmt
{
    private readonly VarInfo _v;
    private readonly Expr? _e;
    public LocalStmt1(VarInfo v, Expr? e) { _v = v; _e = e; }
    public override int Exec(Frame f)
    {
        var val = _e == null ? default : _e.Eval(f);
        LocalExpr.Init(f, _v, val);
        return Sig.Normal;
    }
}

internal sealed class LocalStmt : Stmt
{
    private readonly VarInfo[] _vars;
    private readonly Expr[] _exprs;
    public LocalStmt(VarInfo[] vars, Expr[] exprs) { _vars = vars; _exprs = exprs; }
    public override int Exec(Frame f)
    {
        var L = f.L;
        int top = L.Top;
        L.EvalList(f, _exprs, _vars.Length);
        for (int i = 0; i < _vars.Length; i++) LocalExpr.Init(f, _vars[i], L.Stack[top + i]);
        L.Top = top;
        return Sig.Normal;
    }
}

internal sealed class LocalFunctionStmt : Stmt
{
    private readonly VarInfo _v;
    private readonly FunctionExpr _fn;
    public LocalFunctionStmt(VarInfo v, FunctionExpr fn) { _v = v; _fn = fn; }
    public override int Exec(Frame f)
    {
        LocalExpr.Init(f, _v, default);
        var c = _fn.Eval(f);
        LocalExpr.Set(f, _v.Slot, c);
        return Sig.Normal;
    }
}

internal sealed class AssignLocal : Stmt
{
    private readonly int _slot;
    private readonly Expr _e;
    public AssignLocal(VarInfo v, Expr e) { _slot = v.Slot; _e = e; }
    public override int Exec(Frame f)
    {
        var val = _e.Eval(f);
        LocalExpr.Set(f, _slot, val);
        return Sig.Normal;
    }
}

internal sealed class AssignUpval : Stmt
{
    private readonly int _idx;
    private readonly Expr _e;
    public AssignUpval(int idx, Expr e) { _idx = idx; _e = e; }
    public override int Exec(Frame f)
    {
        var val = _e.Eval(f);
        f.Cl.Up[_idx].V = val;
        return Sig.Normal;
    }
}

internal sealed class AssignGlobal : Stmt
{
    private readonly LuaValue _key;
    private readonly Expr _e;
    public AssignGlobal(LuaValue key, Expr e, int line) { _key = key; _e = e; Line = line; }
    public override int Exec(Frame f)
    {
        var val = _e.Eval(f);
        f.Line = Line;
        f.L.SetIndex(f, LuaValue.FromTable(f.Cl.Env), _key, val, null, Line);
        return Sig.Normal;
    }
}

internal sealed class AssignIndex : Stmt
{
    private readonly Expr _obj, _key, _e;
    public AssignIndex(Expr obj, Expr key, Expr e, int line) { _obj = obj; _key = key; _e = e; Line = line; }
    public override int Exec(Frame f)
    {
        var o = _obj.Eval(f);
        var k = _key.Eval(f);
        var val = _e.Eval(f);
        if (o.T == LuaType.Table)
        {
            var t = (LuaTable)o.O!;
            if (t.Metatable == null && !t.ReadOnly && k.T == LuaType.String)
            {
                t.RawSet(k, val);
                return Sig.Normal;
            }
        }
        f.Line = Line;
        f.L.SetIndex(f, o, k, val, _obj, Line);
        return Sig.Normal;
    }
}

internal sealed class MultiAssign : Stmt
{
    private readonly Expr[] _targets;
    private readonly Expr[] _exprs;
    public MultiAssign(Expr[] targets, Expr[] exprs, int line) { _targets = targets; _exprs = exprs; Line = line; }
    public override int Exec(Frame f)
    {
        var L = f.L;
        int top = L.Top;
        // evaluate table and key of indexed targets first
        foreach (var t in _targets)
        {
            if (t is IndexExpr ie)
            {
                var o = ie.Obj.Eval(f);
                L.Push(o);
                var k = ie.Key.Eval(f);
                L.Push(k);
            }
        }
        int vals = L.Top;
        L.EvalList(f, _exprs, _targets.Length);
        int slot = vals - top;
        f.Line = Line;
        for (int i = _targets.Length - 1; i >= 0; i--)
        {
            var val = L.Stack[vals + i];
            switch (_targets[i])
            {
                case LocalExpr le: LocalExpr.Set(f, le.V.Slot, val); break;
                case UpvalExpr ue: f.Cl.Up[ue.Index].V = val; break;
                case GlobalExpr ge: L.SetIndex(f, LuaValue.FromTable(f.Cl.Env), ge.Key, val, null, Line); break;
                case IndexExpr ie:
                    slot -= 2;
                    L.SetIndex(f, L.Stack[top + slot], L.Stack[top + slot + 1], val, ie.Obj, Line);
                    break;
            }
        }
        L.Top = top;
        return Sig.Normal;
    }
}

internal sealed class DoStmt : Stmt
{
    private readonly Block _b;
    public DoStmt(Block b) { _b = b; }
    public override int Exec(Frame f) => _b.Exec(f);
}

internal sealed class WhileStmt : Stmt
{
    private readonly Expr _cond;
    private readonly Block _body;
    public WhileStmt(Expr cond, Block body) { _cond = cond; _body = body; }
    public override int Exec(Frame f)
    {
        var L = f.L;
        while (!_cond.Eval(f).IsFalsy)
        {
            int r = _body.Exec(f);
            if (r != Sig.Normal)
            {
                if (r == Sig.Break) break;
                return r;
            }
            if (--L.Steps <= 0) { if (f.Line == 0) f.Line = Line; L.CheckInterrupt(); }
        }
        return Sig.Normal;
    }
}

internal sealed class RepeatStmt : Stmt
{
    private readonly Expr _cond;
    private readonly Block _body;
    public RepeatStmt(Block body, Expr cond) { _cond = cond; _body = body; }
    public override int Exec(Frame f)
    {
        var L = f.L;
        while (true)
        {
            int r = _body.Exec(f);
            if (r != Sig.Normal)
            {
                if (r == Sig.Break) break;
                return r;
            }
            if (!_cond.Eval(f).IsFalsy) break;
            if (--L.Steps <= 0) { if (f.Line == 0) f.Line = Line; L.CheckInterrupt(); }
        }
        return Sig.Normal;
    }
}

internal sealed class IfStmt : Stmt
{
    private readonly Expr[] _conds;
    private readonly Block[] _blocks;
    private readonly Block? _else;
    public IfStmt(Expr[] conds, Block[] blocks, Block? @else) { _conds = conds; _blocks = blocks; _else = @else; }
    public override int Exec(Frame f)
    {
        for (int i = 0; i < _conds.Length; i++)
            if (!_conds[i].Eval(f).IsFalsy) return _blocks[i].Exec(f);
        return _else != null ? _else.Exec(f) : Sig.Normal;
    }
}

internal sealed class NumForStmt : Stmt
{
    private readonly VarInfo _v;
    private readonly Expr _start, _limit;
    private readonly Expr? _step;
    private readonly Block _body;
    public NumForStmt(VarInfo v, Expr start, Expr limit, Expr? step, Block body, int line)
    { _v = v; _start = start; _limit = limit; _step = step; _body = body; Line = line; }

    public override int Exec(Frame f)
    {
        var L = f.L;
        var a = _start.Eval(f);
        var b = _limit.Eval(f);
        var c = _step == null ? LuaValue.FromNumber(1) : _step.Eval(f);
        if (!a.TryGetNumber(out double i)) throw L.RtError(f, Line, "'for' initial value must be a number");
        if (!b.TryGetNumber(out double lim)) throw L.RtError(f, Line, "'for' limit must be a number");
        if (!c.TryGetNumber(out double step)) throw L.RtError(f, Line, "'for' step must be a number");
        int slot = f.Base + _v.Slot;
        bool captured = _v.Captured;
        var body = _body.Simplest;
        for (; step > 0 ? i <= lim : i >= lim; i += step)
        {
            L.Stack[slot] = captured ? LuaValue.FromBox(new UpBox(LuaValue.FromNumber(i))) : LuaValue.FromNumber(i);
            int r = body.Exec(f);
            if (r != Sig.Normal)
            {
                if (r == Sig.Break) break;
                return r;
            }
            if (--L.Steps <= 0) { if (f.Line == 0) f.Line = Line; L.CheckInterrupt(); }
        }
        return Sig.Normal;
    }
}

internal sealed class GenForStmt : Stmt
{
    private readonly VarInfo[] _vars;
    private readonly Expr[] _exprs;
    private readonly Block _body;
    public GenForStmt(VarInfo[] vars, Expr[] exprs, Block body, int line) { _vars = vars; _exprs = exprs; _body = body; Line = line; }

    public override int Exec(Frame f)
    {
        var L = f.L;
        int top = L.Top;
        L.EvalList(f, _exprs, 3);
        var fn = L.Stack[top];
        var state = L.Stack[top + 1];
        var ctl = L.Stack[top + 2];
        L.Top = top;
        var vars = _vars;
        int nv = vars.Length;
        // fast path: pairs/next over a table
        if (L.NextFn != null && fn.O == L.NextFn && state.T == LuaType.Table)
        {
            var t = (LuaTable)state.O!;
            var key = ctl;
            while (true)
            {
                bool ok;
                LuaValue val;
                try { ok = t.Next(ref key, out val); }
                catch (KeyNotFoundException) { throw new LuaRuntimeException(LuaValue.FromString(LuaString.FromUtf8("invalid key to 'next'")), f.Cl.P.Source, Line); }
                if (!ok) break;
                LocalExpr.Init(f, vars[0], key);
                if (nv > 1)
                {
                    LocalExpr.Init(f, vars[1], val);
                    for (int i = 2; i < nv; i++) LocalExpr.Init(f, vars[i], default);
                }
                int r = _body.Exec(f);
                if (r != Sig.Normal)
                {
                    if (r == Sig.Break) break;
                    return r;
                }
                if (--L.Steps <= 0) { if (f.Line == 0) f.Line = Line; L.CheckInterrupt(); }
            }
            return Sig.Normal;
        }
        while (true)
        {
            int b = L.Top;
            L.Push(state);
            L.Push(ctl);
            f.Line = Line;
            int n = L.CallValue(fn, b, 2, null);
            for (int i = n; i < nv; i++) L.Push(default);
            var first = L.Stack[b];
            if (first.T == LuaType.Nil) { L.Top = top; break; }
            ctl = first;
            for (int i = 0; i < nv; i++) LocalExpr.Init(f, vars[i], L.Stack[b + i]);
            L.Top = top;
            int r = _body.Exec(f);
            if (r != Sig.Normal)
            {
                if (r == Sig.Break) break;
                return r;
            }
            if (--L.Steps <= 0) { if (f.Line == 0) f.Line = Line; L.CheckInterrupt(); }
        }
        return Sig.Normal;
    }
}

internal sealed class ReturnStmt : Stmt
{
    private readonly Expr[] _exprs;
    public ReturnStmt(Expr[] exprs) { _exprs = exprs; }
    public override int Exec(Frame f)
    {
        var L = f.L;
        int top = L.Top;
        var ex = _exprs;
        if (ex.Length == 1 && !ex[0].IsMulti)
        {
            var v = ex[0].Eval(f);
            L.Push(v);
        }
        else
        {
            int n = ex.Length;
            for (int i = 0; i < n; i++)
            {
                if (i == n - 1 && ex[i].IsMulti) ex[i].EvalMulti(f);
                else
                {
                    var v = ex[i].Eval(f);
                    L.Push(v);
                }
            }
        }
        f.RetBase = top;
        f.RetCount = L.Top - top;
        return Sig.Return;
    }
}

/// <summary>'return f(...)' / 'return o:m(...)': a proper tail call, performed by the caller's Invoke loop.</summary>
internal sealed class TailCallStmt : Stmt
{
    private readonly Expr _call;
    public TailCallStmt(Expr call) { _call = call; }
    public override int Exec(Frame f)
    {
        var L = f.L;
        int top = L.Top;
        if (_call is CallExpr ce) ce.PushForTail(f);
        else ((MethodCallExpr)_call).PushForTail(f);
        f.RetBase = top;
        f.RetCount = L.Top - top - 1;
        f.TailSite = _call;
        f.Line = _call.Line;
        return Sig.TailCall;
    }
}

internal sealed class BreakStmt : Stmt
{
    public override int Exec(Frame f) => Sig.Break;
}
