using System.Runtime.ExceptionServices;

namespace Cinnabar.Lua;

/// <summary>
/// A coroutine ("thread" value). The interpreter is a recursive tree walker, so a coroutine runs
/// on its own OS thread with its own value stack and frames; control is handed over strictly
/// (the resumer blocks while the coroutine runs), so the shared <see cref="LuaState"/> is never
/// used by two threads at once: resume installs the coroutine's execution context in the state
/// and restores its own when the coroutine yields, returns or fails.
/// </summary>
internal sealed class LuaCoroutine
{
    public enum CoStatus { Suspended, Running, Normal, Dead }

    internal readonly LuaState L;
    internal readonly LuaValue Fn;
    internal CoStatus Status = CoStatus.Suspended;
    internal LuaState.ExecContext Ctx;
    private Thread? _thread;
    private readonly SemaphoreSlim _toCo = new(0), _toCaller = new(0);
    internal LuaValue[] Transfer = Array.Empty<LuaValue>();
    private Exception? _error;
    private bool _killed;

    private sealed class KilledException : Exception { }

    public LuaCoroutine(LuaState l, LuaValue fn)
    {
        L = l;
        Fn = fn;
        Ctx = LuaState.ExecContext.Fresh();
    }

    /// <summary>Runs the coroutine until it yields or ends. Returns false with the error value on a Lua error.</summary>
    public bool Resume(LuaValue[] args, out LuaValue[] results)
    {
        Transfer = args;
        _error = null;
        SwitchIn();
        if (_thread == null)
        {
            _thread = new Thread(Body, 16 * 1024 * 1024) { IsBackground = true, Name = "lua-coroutine" };
            _thread.Start();
        }
        else _toCo.Release();
        _toCaller.Wait();
        SwitchOut();
        if (_error != null)
        {
            Status = CoStatus.Dead;
            if (_error is LuaRuntimeException lre)
            {
                results = new[] { lre.Value };
                return false;
            }
            ExceptionDispatchInfo.Capture(_error).Throw();
        }
        results = Transfer;
        return true;
    }

    private LuaState.ExecContext _callerCtx;
    private LuaCoroutine? _prevCurrent;

    private void SwitchIn()
    {
        _callerCtx = L.SaveContext();
        L.LoadContext(Ctx);
        _prevCurrent = L.CurrentCoroutine;
        if (_prevCurrent != null) _prevCurrent.Status = CoStatus.Normal;
        L.CurrentCoroutine = this;
        Status = CoStatus.Running;
    }

    private void SwitchOut()
    {
        Ctx = L.SaveContext();
        L.LoadContext(_callerCtx);
        L.CurrentCoroutine = _prevCurrent;
        if (_prevCurrent != null) _prevCurrent.Status = CoStatus.Running;
        if (Status == CoStatus.Running) Status = CoStatus.Suspended;
    }

    private void Body()
    {
        try
        {
            var args = Transfer;
            int b = L.Top;
            foreach (var a in args) L.Push(a);
            int n = L.CallFromNative(Fn, b, args.Length);
            Transfer = L.Stack.AsSpan(b, n).ToArray();
            Status = CoStatus.Dead;
        }
        catch (KilledException)
        {
            Status = CoStatus.Dead;
        }
        catch (InsufficientExecutionStackException)
        {
            _error = L.StackOverflow();
        }
        catch (Exception ex)
        {
            _error = ex;
        }
        _toCaller.Release();
    }

    /// <summary>Called on the coroutine's thread: hands values to the resumer and waits to be resumed.</summary>
    public LuaValue[] Yield(LuaValue[] values)
    {
        Transfer = values;
        Status = CoStatus.Suspended;
        _toCaller.Release();
        _toCo.Wait();
        if (_killed) throw new KilledException();
        return Transfer;
    }

    /// <summary>Unwinds a suspended coroutine's thread (its context installed while it unwinds).</summary>
    public void Kill()
    {
        if (Status != CoStatus.Suspended || _thread == null) return;
        _killed = true;
        SwitchIn();
        _toCo.Release();
        _toCaller.Wait();
        SwitchOut();
        Status = CoStatus.Dead;
    }
}

public sealed partial class LuaState
{
    internal struct ExecContext
    {
        public LuaValue[] Stack;
        public int Top, Depth;
        public Frame?[] Frames;
        public bool Cur, Caller;
        public Expr? Site;

        public static ExecContext Fresh() => new() { Stack = new LuaValue[256], Frames = new Frame?[16] };
    }

    internal LuaCoroutine? CurrentCoroutine;
    private readonly List<WeakReference<LuaCoroutine>> _coroutines = new();
    private int _hostCalls;

    internal ExecContext SaveContext() => new()
    {
        Stack = Stack, Top = Top, Depth = Depth, Frames = _frames, Cur = _curNative, Caller = _callerNative, Site = _nativeSite,
    };

    internal void LoadContext(in ExecContext c)
    {
        Stack = c.Stack;
        Top = c.Top;
        Depth = c.Depth;
        _frames = c.Frames;
        _curNative = c.Cur;
        _callerNative = c.Caller;
        _nativeSite = c.Site;
    }

    /// <summary>Suspended coroutines do not outlive the host call that created them (their threads are unwound).</summary>
    private void CloseCoroutines()
    {
        if (_coroutines.Count == 0) return;
        var list = _coroutines.ToArray();
        _coroutines.Clear();
        foreach (var w in list)
            if (w.TryGetTarget(out var co)) co.Kill();
    }

    private void OpenCoroutine()
    {
        var co = new LuaTable();
        co.Reg("create", c =>
        {
            if (c[0].T != LuaType.Function || c[0].O is not LuaClosure) throw c.State.ArgError(1, "create", "Lua function expected");
            var L = c.State;
            var cr = new LuaCoroutine(L, c[0]);
            L._coroutines.Add(new WeakReference<LuaCoroutine>(cr));
            return c.Return(new LuaValue(LuaType.Thread, 0, cr));
        });
        co.Reg("resume", c =>
        {
            if (c[0].T != LuaType.Thread) throw c.State.ArgError(1, "resume", "coroutine expected");
            var cr = (LuaCoroutine)c[0].O!;
            var L = c.State;
            if (cr.Status != LuaCoroutine.CoStatus.Suspended)
            {
                c.Return(LuaValue.False);
                return c.Return(Aux.Str("cannot resume " + StatusName(cr.Status) + " coroutine"));
            }
            var args = new LuaValue[Math.Max(0, c.ArgCount - 1)];
            for (int i = 1; i < c.ArgCount; i++) args[i - 1] = c[i];
            bool ok = cr.Resume(args, out var results);
            L.Push(ok ? LuaValue.True : LuaValue.False);
            foreach (var r in results) L.Push(r);
            return results.Length + 1;
        });
        co.Reg("yield", c =>
        {
            var L = c.State;
            var cr = L.CurrentCoroutine;
            if (cr == null) throw L.RuntimeErrorHere("attempt to yield across metamethod/C-call boundary");
            var vals = new LuaValue[c.ArgCount];
            for (int i = 0; i < vals.Length; i++) vals[i] = c[i];
            var back = cr.Yield(vals);
            foreach (var v in back) L.Push(v);
            return back.Length;
        });
        co.Reg("status", c =>
        {
            if (c[0].T != LuaType.Thread) throw c.State.ArgError(1, "status", "coroutine expected");
            return c.Return(Aux.Str(StatusName(((LuaCoroutine)c[0].O!).Status)));
        });
        co.Reg("running", c =>
        {
            var cr = c.State.CurrentCoroutine;
            return c.Return(cr == null ? default : new LuaValue(LuaType.Thread, 0, cr));
        });
        co.Reg("wrap", c =>
        {
            if (c[0].T != LuaType.Function || c[0].O is not LuaClosure) throw c.State.ArgError(1, "wrap", "Lua function expected");
            var L0 = c.State;
            var cr = new LuaCoroutine(L0, c[0]);
            L0._coroutines.Add(new WeakReference<LuaCoroutine>(cr));
            return c.Return(LuaValue.FromFunction(new LuaNativeClosure("wrap", cc =>
            {
                var L = cc.State;
                if (cr.Status != LuaCoroutine.CoStatus.Suspended)
                    throw L.Error("cannot resume " + StatusName(cr.Status) + " coroutine");
                var args = new LuaValue[cc.ArgCount];
                for (int i = 0; i < args.Length; i++) args[i] = cc[i];
                if (!cr.Resume(args, out var results))
                {
                    var err = results[0];
                    if (err.T == LuaType.String || err.T == LuaType.Number)
                        err = LuaValue.FromString(LuaString.FromUtf8(L.Where(1) + LuaState.ToDisplay(err)));
                    throw L.MakeError(err);
                }
                foreach (var r in results) L.Push(r);
                return results.Length;
            })));
        });
        Globals.RawSet("coroutine", LuaValue.FromTable(co));
    }

    private static string StatusName(LuaCoroutine.CoStatus s) => s switch
    {
        LuaCoroutine.CoStatus.Running => "running",
        LuaCoroutine.CoStatus.Suspended => "suspended",
        LuaCoroutine.CoStatus.Normal => "normal",
        _ => "dead",
    };
}
