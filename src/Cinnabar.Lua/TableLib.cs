namespace Cinnabar.Lua;

/// <summary>Lua 5.1 table library (ltablib.c semantics), with Redis' readonly-table checks.</summary>
internal static class TableLib
{
    public static void Open(LuaState L)
    {
        var t = new LuaTable();
        t.Reg("concat", Concat);
        t.Reg("insert", Insert);
        t.Reg("remove", Remove);
        t.Reg("maxn", c => c.Return(LuaValue.FromNumber(c.CheckTable(0, "maxn").MaxN())));
        t.Reg("getn", c => c.Return(LuaValue.FromNumber(c.CheckTable(0, "getn").Length)));
        t.Reg("setn", c =>
        {
            c.CheckTable(0, "setn");
            throw c.State.Error("'setn' is obsolete");
        });
        t.Reg("sort", Sort);
        t.Reg("foreach", ForEach);
        t.Reg("foreachi", ForEachI);
        L.Globals.RawSet("table", LuaValue.FromTable(t));
    }

    private static void CheckWritable(LuaCallContext c, LuaTable t)
    {
        if (t.ReadOnly) throw c.State.ReadOnlyError();
    }

    private static int Concat(LuaCallContext c)
    {
        var t = c.CheckTable(0, "concat");
        var sep = c.OptString(1, "concat") ?? LuaString.Empty;
        long i = c.OptInt(2, "concat", 1);
        long last = c[3].IsNil ? t.Length : c.CheckInt(3, "concat");
        var b = new List<byte>();
        for (; i <= last; i++)
        {
            var v = t.RawGet(LuaValue.FromNumber(i));
            LuaString s;
            if (v.T == LuaType.String) s = v.AsString;
            else if (v.T == LuaType.Number) s = LuaState.NumberToLuaString(v.N);
            else throw c.State.Error("invalid value (" + v.TypeName + ") at index " + i + " in table for 'concat'");
            b.AddRange(s.Bytes);
            if (i != last) b.AddRange(sep.Bytes);
        }
        return c.Return(new LuaString(b.ToArray()));
    }

    private static int Insert(LuaCallContext c)
    {
        var t = c.CheckTable(0, "insert");
        int e = t.Length + 1;
        int pos;
        switch (c.ArgCount)
        {
            case 2:
                pos = e;
                break;
            case 3:
            {
                pos = c.CheckInt(1, "insert");
                if (pos > e) e = pos;
                if (e > pos) CheckWritable(c, t);
                for (int i = e; i > pos; i--) t.RawSet(LuaValue.FromNumber(i), t.RawGet(LuaValue.FromNumber(i - 1)));
                break;
            }
            default:
                throw c.State.Error("wrong number of arguments to 'insert'");
        }
        CheckWritable(c, t);
        t.RawSet(LuaValue.FromNumber(pos), c[c.ArgCount - 1]);
        return 0;
    }

    private static int Remove(LuaCallContext c)
    {
        var t = c.CheckTable(0, "remove");
        int e = t.Length;
        if (e == 0) return 0;
        int pos = c.OptInt(1, "remove", e);
        if (!(1 <= pos && pos <= e)) return 0;
        CheckWritable(c, t);
        var result = t.RawGet(pos);
        for (; pos < e; pos++) t.RawSet(LuaValue.FromNumber(pos), t.RawGet(pos + 1));
        t.RawSet(LuaValue.FromNumber(e), default);
        return c.Return(result);
    }

    private static int ForEach(LuaCallContext c)
    {
        var t = c.CheckTable(0, "foreach");
        c.CheckType(1, "foreach", LuaType.Function);
        var L = c.State;
        var k = LuaValue.Nil;
        while (t.Next(ref k, out var v))
        {
            int top = L.Top;
            L.Push(k);
            L.Push(v);
            int n = L.CallFromNative(c[1], top, 2);
            if (n > 0 && !L.Stack[top].IsNil)
            {
                var r = L.Stack[top];
                L.Top = top;
                return c.Return(r);
            }
            L.Top = top;
        }
        return 0;
    }

    private static int ForEachI(LuaCallContext c)
    {
        var t = c.CheckTable(0, "foreachi");
        c.CheckType(1, "foreachi", LuaType.Function);
        var L = c.State;
        int n = t.Length;
        for (int i = 1; i <= n; i++)
        {
            int top = L.Top;
            L.Push(LuaValue.FromNumber(i));
            L.Push(t.RawGet(i));
            int r = L.CallFromNative(c[1], top, 2);
            if (r > 0 && !L.Stack[top].IsNil)
            {
                var v = L.Stack[top];
                L.Top = top;
                return c.Return(v);
            }
            L.Top = top;
        }
        return 0;
    }

    // ---------------- sort: a port of 5.1's auxsort so results and errors match ----------------

    private sealed class Sorter
    {
        public LuaState L = null!;
        public LuaTable T = null!;
        public LuaValue Cmp;

        public LuaValue Get(int i) => T.RawGet(i);
        public void Set(int i, LuaValue v)
        {
            if (T.ReadOnly) throw L.ReadOnlyError();
            T.RawSet(LuaValue.FromNumber(i), v);
        }

        public bool Less(LuaValue a, LuaValue b)
        {
            if (!Cmp.IsNil)
            {
                var L2 = L;
                int top = L2.Top;
                L2.Push(a);
                L2.Push(b);
                int n = L2.CallFromNative(Cmp, top, 2);
                bool r = n > 0 && !L2.Stack[top].IsFalsy;
                L2.Top = top;
                return r;
            }
            return L.LessThan(null, a, b, 0);
        }

        public void AuxSort(int l, int u)
        {
            while (l < u)
            {
                if (--L.Steps <= 0) L.CheckInterrupt();
                // sort elements a[l], a[(l+u)/2] and a[u]
                var al = Get(l);
                var au = Get(u);
                if (Less(au, al)) { Set(l, au); Set(u, al); }
                if (u - l == 1) break;
                int i = (l + u) / 2;
                var ai = Get(i);
                al = Get(l);
                if (Less(ai, al)) { Set(i, al); Set(l, ai); }
                else
                {
                    au = Get(u);
                    if (Less(au, ai)) { Set(i, au); Set(u, ai); }
                }
                if (u - l == 2) break;
                var P = Get(i);
                var x = Get(u - 1);
                Set(i, x);
                Set(u - 1, P);
                // a[l] <= P == a[u-1] <= a[u], only need to sort from l+1 to u-2
                i = l;
                int j = u - 1;
                for (;;)
                {
                    LuaValue a, b;
                    while (Less(a = Get(++i), P))
                    {
                        if (i > u) throw L.Error("invalid order function for sorting");
                    }
                    while (Less(P, b = Get(--j)))
                    {
                        if (j < l) throw L.Error("invalid order function for sorting");
                    }
                    if (j < i) break;
                    Set(i, b);
                    Set(j, a);
                }
                var t1 = Get(u - 1);
                var t2 = Get(i);
                Set(u - 1, t2);
                Set(i, t1);
                // a[l..i-1] <= a[i] == P <= a[i+1..u]
                if (i - l < u - i)
                {
                    j = l; i = i - 1; l = i + 2;
                }
                else
                {
                    j = i + 1; i = u; u = j - 2;
                }
                AuxSort(j, i);
            }
        }
    }

    private static int Sort(LuaCallContext c)
    {
        var t = c.CheckTable(0, "sort");
        int n = t.Length;
        if (!c[1].IsNil) c.CheckType(1, "sort", LuaType.Function);
        var s = new Sorter { L = c.State, T = t, Cmp = c[1] };
        s.AuxSort(1, n);
        return 0;
    }
}
