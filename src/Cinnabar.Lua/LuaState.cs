using System.Runtime.CompilerServices;

namespace Cinnabar.Lua;

/// <summary>An interpreter instance: value stack, call frames, globals, and the embedding API.</summary>
public sealed partial class LuaState
{
    internal LuaValue[] Stack = new LuaValue[1024];
    internal int Top;
    private const int MaxStack = 1_000_000;
    private const int MaxDepth = 7000;          // nested calls (Lua + native) before "stack overflow"
    private const int InterruptInterval = 10_000;

    private Frame?[] _frames = new Frame?[64];
    internal int Depth;             // index of the innermost Lua frame (0 = none)
    internal int Steps = InterruptInterval;
    private bool _curNative;        // the running function is a native
    private bool _callerNative;     // the running native was called by a native (luaL_where gives no position)
    private Expr? _nativeSite;      // call expression that invoked the running native (for argument error names)

    internal LuaTable? StringMeta;
    internal object? NextFn;
    private long _memory;

    public LuaTable Globals { get; }
    public Action? InterruptCheck { get; set; }

    public LuaState()
    {
        Globals = new LuaTable();
    }

    /// <summary>
    /// Rough size of what the state holds: 32 KB (what Redis reports for a fresh Lua state), plus the source of
    /// loaded chunks, plus what is reachable from the globals beyond the libraries (walked on each read).
    /// </summary>
    public long ApproximateMemoryBytes => 32768 + _memory + Math.Max(0, MeasureReachable() - _baselineReachable);

    private long _baselineReachable;

    private long MeasureReachable()
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var todo = new Stack<object>();
        long size = 0;
        todo.Push(Globals);
        if (StringMeta != null) todo.Push(StringMeta);
        void Visit(LuaValue v)
        {
            if (v.O != null && v.T != LuaType.Nil) todo.Push(v.O);
        }
        while (todo.Count > 0 && seen.Count < 1_000_000)
        {
            var o = todo.Pop();
            if (!seen.Add(o)) continue;
            switch (o)
            {
                case LuaString s:
                    size += 24 + s.Length;
                    break;
                case LuaTable t:
                    size += t.ApproximateBytes;
                    if (t.Metatable != null) todo.Push(t.Metatable);
                    var k = LuaValue.Nil;
                    while (t.Next(ref k, out var val))
                    {
                        Visit(k);
                        Visit(val);
                    }
                    break;
                case LuaClosure c:
                    size += 64 + 32L * c.Up.Length;
                    foreach (var u in c.Up) Visit(u.V);
                    todo.Push(c.Env);
                    break;
                default:
                    size += 40;
                    break;
            }
        }
        return size;
    }

    internal void AddMemory(long n) => _memory += n;

    // ---------------- stack ----------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Push(LuaValue v)
    {
        if (Top >= Stack.Length) GrowStack(Top + 1);
        Stack[Top++] = v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void EnsureStack(int size)
    {
        if (size > Stack.Length) GrowStack(size);
    }

    private void GrowStack(int size)
    {
        if (size > MaxStack) throw Error("stack overflow");
        int n = Stack.Length;
        while (n < size) n *= 2;
        Array.Resize(ref Stack, n);
    }

    internal void CheckInterrupt()
    {
        Steps = InterruptInterval;
        InterruptCheck?.Invoke();
    }

    /// <summary>Evaluates an expression list adjusted to exactly <paramref name="want"/> values pushed on the stack.</summary>
    internal void EvalList(Frame f, Expr[] exprs, int want)
    {
        int top = Top;
        int n = exprs.Length;
        for (int i = 0; i < n; i++)
        {
            if (i == n - 1 && exprs[i].IsMulti) exprs[i].EvalMulti(f);
            else
            {
                var v = exprs[i].Eval(f);
                Push(v);
            }
        }
        int got = Top - top;
        if (got < want)
        {
            EnsureStack(top + want);
            for (int i = got; i < want; i++) Stack[top + i] = default;
        }
        Top = top + want;
    }

    // ---------------- calls ----------------

    /// <summary>Calls <paramref name="fn"/> with args at stack[argBase..argBase+nargs); results replace them; returns their count.</summary>
    internal int CallValue(LuaValue fn, int argBase, int nargs, Expr? site)
    {
        if (fn.O is LuaClosure c && fn.T == LuaType.Function) return Invoke(c, argBase, nargs);
        if (fn.O is LuaNativeClosure nc && fn.T == LuaType.Function)
        {
            var savedSite = _nativeSite;
            _nativeSite = site;
            int r = InvokeNative(nc, argBase, nargs);
            _nativeSite = savedSite;
            return r;
        }
        var mm = GetMetamethod(fn, MM.Call);
        if (mm.T == LuaType.Nil)
        {
            string? desc = site switch
            {
                CallExpr ce => ce.DescribeCallee(),
                MethodCallExpr me => "method '" + me.Name.AsString.ToLatin1() + "'",
                _ => null,
            };
            throw TypeError(fn, "call", desc);
        }
        // insert the original object as first argument
        EnsureStack(argBase + nargs + 1);
        Array.Copy(Stack, argBase, Stack, argBase + 1, nargs);
        Stack[argBase] = fn;
        Top = argBase + nargs + 1;
        return CallValue(mm, argBase, nargs + 1, null);
    }

    internal int Invoke(LuaClosure c, int argBase, int nargs)
    {
        int depth = ++Depth;
        if (depth >= MaxDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            Depth--;
            throw StackOverflow();
        }
        if (--Steps <= 0) CheckInterrupt();
        if (depth >= _frames.Length) Array.Resize(ref _frames, _frames.Length * 2);
        var f = _frames[depth] ??= new Frame(this);
        bool savedNative = _curNative;
        f.CalledFromNative = savedNative;
        _curNative = false;
        while (true)
        {
            var p = c.P;
            f.Cl = c;
            f.Line = p.LineDefined;
            int b;
            int np = p.NumParams;
            if (p.IsVararg)
            {
                b = argBase + nargs;
                EnsureStack(b + p.MaxSlots + 8);
                var st = Stack;
                for (int i = 0; i < np; i++) st[b + i] = i < nargs ? st[argBase + i] : default;
                f.VarargBase = argBase + np;
                f.VarargCount = nargs > np ? nargs - np : 0;
            }
            else
            {
                b = argBase;
                EnsureStack(b + p.MaxSlots + 8);
                for (int i = nargs; i < np; i++) Stack[b + i] = default;
                f.VarargCount = 0;
            }
            f.Base = b;
            if (p.AnyParamCaptured)
            {
                foreach (var v in p.Params)
                    if (v.Captured) Stack[b + v.Slot] = LuaValue.FromBox(new UpBox(Stack[b + v.Slot]));
            }
            Top = b + p.MaxSlots;
            int n = 0;
            int sig = p.Body.Exec(f);
            if (sig == Sig.TailCall)
            {
                // proper tail call: the callee and its arguments were pushed at RetBase; reuse this frame
                var fn = Stack[f.RetBase];
                nargs = f.RetCount;
                Array.Copy(Stack, f.RetBase + 1, Stack, argBase, nargs);
                if (fn.O is LuaClosure next && fn.T == LuaType.Function)
                {
                    c = next;
                    if (--Steps <= 0) CheckInterrupt();
                    continue;
                }
                Top = argBase + nargs;
                n = CallValue(fn, argBase, nargs, f.TailSite);
            }
            else if (sig == Sig.Return)
            {
                n = f.RetCount;
                if (n == 1) Stack[argBase] = Stack[f.RetBase];
                else if (n > 0) Array.Copy(Stack, f.RetBase, Stack, argBase, n);
            }
            Top = argBase + n;
            _curNative = savedNative;
            Depth--;
            return n;
        }
    }

    internal int InvokeNative(LuaNativeClosure c, int argBase, int nargs)
    {
        bool savedCur = _curNative, savedCaller = _callerNative;
        _callerNative = savedCur;
        _curNative = true;
        Top = argBase + nargs;
        int n = c.Fn(new LuaCallContext(this, argBase, nargs));
        int src = Top - n;
        if (n == 1) Stack[argBase] = Stack[src];
        else if (n > 0 && src != argBase) Array.Copy(Stack, src, Stack, argBase, n);
        Top = argBase + n;
        _curNative = savedCur;
        _callerNative = savedCaller;
        return n;
    }

    /// <summary>Protected-call bookkeeping: what to restore when an error unwinds.</summary>
    internal readonly struct SavedState
    {
        public readonly int Top, Depth;
        public readonly bool Cur, Caller;
        public readonly Expr? Site;
        public SavedState(LuaState l) { Top = l.Top; Depth = l.Depth; Cur = l._curNative; Caller = l._callerNative; Site = l._nativeSite; }
    }

    internal SavedState Save() => new(this);

    internal void Restore(in SavedState s)
    {
        Top = s.Top;
        Depth = s.Depth;
        _curNative = s.Cur;
        _callerNative = s.Caller;
        _nativeSite = s.Site;
    }

    /// <summary>Calls a function from native code: args pushed by the caller at argBase; returns the result count (results at argBase).</summary>
    internal int CallFromNative(LuaValue fn, int argBase, int nargs)
    {
        if (Depth + 1 >= MaxDepth) throw StackOverflow();
        return CallValue(fn, argBase, nargs, null);
    }

    // ---------------- embedding API ----------------

    public LuaFunction Load(ReadOnlySpan<byte> source, string chunkName)
    {
        var p = new Parser(source, chunkName).ParseChunk();
        AddMemory(source.Length * 4L);
        return new LuaClosure(p, Array.Empty<UpBox>(), Globals);
    }

    internal LuaClosure LoadWithEnv(ReadOnlySpan<byte> source, string chunkName, LuaTable env)
    {
        var p = new Parser(source, chunkName).ParseChunk();
        return new LuaClosure(p, Array.Empty<UpBox>(), env);
    }

    public LuaValue Call(LuaFunction f, ReadOnlySpan<LuaValue> args)
    {
        var saved = Save();
        int argBase = Top;
        _hostCalls++;
        try
        {
            EnsureStack(argBase + args.Length + 1);
            args.CopyTo(Stack.AsSpan(argBase));
            Top = argBase + args.Length;
            int n = CallValue(LuaValue.FromFunction(f), argBase, args.Length, null);
            var r = n > 0 ? Stack[argBase] : default;
            return r;
        }
        catch (InsufficientExecutionStackException)
        {
            throw StackOverflow();
        }
        finally
        {
            Restore(saved);
            if (--_hostCalls == 0) EndHostCall();
        }
    }

    public LuaValue[] CallMulti(LuaFunction f, ReadOnlySpan<LuaValue> args)
    {
        var saved = Save();
        int argBase = Top;
        _hostCalls++;
        try
        {
            EnsureStack(argBase + args.Length + 1);
            args.CopyTo(Stack.AsSpan(argBase));
            Top = argBase + args.Length;
            int n = CallValue(LuaValue.FromFunction(f), argBase, args.Length, null);
            return Stack.AsSpan(argBase, n).ToArray();
        }
        catch (InsufficientExecutionStackException)
        {
            throw StackOverflow();
        }
        finally
        {
            Restore(saved);
            if (--_hostCalls == 0) EndHostCall();
        }
    }

    /// <summary>
    /// After the outermost host call: close suspended coroutines and drop references left in the value
    /// stack and pooled frames above the host's stack top, so a long-lived state does not keep a
    /// finished script's data alive.
    /// </summary>
    private void EndHostCall()
    {
        CloseCoroutines();
        if (Stack.Length > 64 * 1024 && Top < 1024) Array.Resize(ref Stack, 1024);
        Array.Clear(Stack, Top, Stack.Length - Top);
        for (int i = Depth + 1; i < _frames.Length; i++)
        {
            var fr = _frames[i];
            if (fr == null) break;
            fr.Cl = null!;
            fr.TailSite = null;
        }
    }

    // ---------------- errors ----------------

    private Frame? CurrentFrame => Depth > 0 ? _frames[Depth] : null;

    internal LuaRuntimeException RtError(Frame f, int line, string msg)
    {
        f.Line = line;
        var p = f.Cl.P;
        return new LuaRuntimeException(LuaValue.FromString(LuaString.FromUtf8(p.ChunkId + ":" + line + ": " + msg)), p.Source, line);
    }

    /// <summary>Position prefix of stack level (1 = the function that called the native raising the error).</summary>
    internal string Where(int level)
    {
        int d = Depth;
        bool atNative = _curNative && _callerNative; // is the level-1 function a native?
        for (int lv = 1; lv < level && d > 0; lv++)
        {
            if (atNative) atNative = false; // a native's caller: assume the Lua frame below it
            else
            {
                atNative = _frames[d]!.CalledFromNative;
                d--;
            }
        }
        if (atNative || d <= 0) return "";
        var f = _frames[d]!;
        return f.Cl.P.ChunkId + ":" + f.Line + ": ";
    }

    internal LuaRuntimeException MakeError(LuaValue value)
    {
        var f = CurrentFrame;
        return new LuaRuntimeException(value, f?.Cl.P.Source, f?.Line ?? 0);
    }

    /// <summary>luaL_error: the message prefixed with the calling Lua function's "chunk:line: ".</summary>
    public LuaRuntimeException Error(string message)
        => MakeError(LuaValue.FromString(LuaString.FromUtf8(Where(1) + message)));

    public LuaRuntimeException ArgError(int argIndex1Based, string functionName, string extraMessage)
    {
        // luaL_argerror names the function as the calling code did (5.1 getfuncname); '?' when called from a native
        if (_curNative)
        {
            switch (_nativeSite)
            {
                case null:
                    functionName = "?";
                    break;
                case MethodCallExpr me:
                    functionName = me.Name.AsString.ToLatin1();
                    argIndex1Based--;
                    if (argIndex1Based == 0) return Error("calling '" + functionName + "' on bad self (" + extraMessage + ")");
                    break;
                case CallExpr ce:
                    functionName = ce.Fn switch
                    {
                        GlobalExpr g => g.Key.AsString.ToLatin1(),
                        LocalExpr l => l.V.Name,
                        UpvalExpr u => u.Name,
                        IndexExpr ie => ie.FieldName,
                        _ => "?",
                    };
                    break;
            }
        }
        return Error("bad argument #" + argIndex1Based + " to '" + functionName + "' (" + extraMessage + ")");
    }

    internal LuaRuntimeException StackOverflow()
    {
        var f = CurrentFrame;
        string msg = (f != null ? f.Cl.P.ChunkId + ":" + f.Line + ": " : "") + "stack overflow";
        return new LuaRuntimeException(LuaValue.FromString(LuaString.FromUtf8(msg)), f?.Cl.P.Source, f?.Line ?? 0) { IsStackOverflow = true };
    }

    /// <summary>luaG_typeerror: "attempt to {op} {kind} '{name}' (a {type} value)".</summary>
    internal LuaRuntimeException TypeError(LuaValue v, string op, string? desc)
    {
        string msg = desc != null
            ? "attempt to " + op + " " + desc + " (a " + v.TypeName + " value)"
            : "attempt to " + op + " a " + v.TypeName + " value";
        return RuntimeErrorHere(msg);
    }

    /// <summary>luaG_runerror: message positioned at the current Lua frame's line.</summary>
    internal LuaRuntimeException RuntimeErrorHere(string msg)
    {
        var f = CurrentFrame;
        if (f == null) return new LuaRuntimeException(LuaValue.FromString(LuaString.FromUtf8(msg)), null, 0);
        if (_curNative) // raised while a native runs: no position (luaG_runerror on a C frame)
            return new LuaRuntimeException(LuaValue.FromString(LuaString.FromUtf8(msg)), f.Cl.P.Source, f.Line);
        return RtError(f, f.Line, msg);
    }

    // ---------------- number formatting ----------------

    public static string NumberToString(double n)
    {
        if (n == Math.Floor(n) && Math.Abs(n) < 1e14)
        {
            if (n == 0) return BitConverter.DoubleToInt64Bits(n) < 0 ? "-0" : "0";
            return ((long)n).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return Printf.FormatG(n, 14, false, false);
    }

    internal static LuaString NumberToLuaString(double n) => LuaString.FromAscii(NumberToString(n));
}
