namespace Cinnabar.Lua;

/// <summary>
/// One-pass recursive-descent parser (lparser.c structure) that builds pre-resolved execution nodes:
/// locals are resolved to frame slots, upvalues to closure indices, everything else to globals.
/// </summary>
internal sealed class Parser
{
    private const int MaxLevels = 200; // LUAI_MAXCCALLS
    private readonly Lexer _lx;
    private FuncState _fs = null!;
    private int _level;
    private readonly string _source;

    private sealed class BlockScope
    {
        public BlockScope? Prev;
        public int ActiveCount;
        public int FreeSlot;
        public bool IsLoop;
    }

    private sealed class FuncState
    {
        public FuncState? Parent;
        public readonly Proto P = new();
        public readonly List<VarInfo> Actives = new();
        public readonly List<UpvalDesc> Upvals = new();
        public int FreeSlot;
        public BlockScope? Block;
    }

    public Parser(ReadOnlySpan<byte> src, string chunkName)
    {
        _source = chunkName;
        _lx = new Lexer(src, ChunkId(chunkName));
    }

    /// <summary>luaO_chunkid.</summary>
    public static string ChunkId(string source)
    {
        const int bufflen = 60; // LUA_IDSIZE
        if (source.StartsWith('=')) return source.Length - 1 > bufflen - 1 ? source.Substring(1, bufflen - 1) : source[1..];
        if (source.StartsWith('@'))
        {
            var s = source[1..];
            int max = bufflen - 1;
            if (s.Length > max) s = "..." + s[(s.Length - max + 3)..];
            return s;
        }
        {
            int len = source.IndexOfAny(new[] { '\n', '\r' });
            int max = bufflen - 15; // room for [string "..."]
            bool truncated = false;
            string s = source;
            if (len >= 0) { s = source[..len]; truncated = true; }
            if (s.Length > max) { s = s[..max]; truncated = true; }
            return "[string \"" + s + (truncated ? "...\"]" : "\"]");
        }
    }

    public Proto ParseChunk()
    {
        var fs = OpenFunction();
        fs.P.IsVararg = true;
        fs.P.Name = "main chunk";
        _lx.Advance();
        var body = ParseBlockBody();
        if (_lx.Token != Tk.Eos) throw _lx.SyntaxError("'<eof>' expected");
        return CloseFunction(body);
    }

    private FuncState OpenFunction()
    {
        var fs = new FuncState { Parent = _fs };
        fs.P.Source = _source;
        fs.P.ChunkId = _lx.ChunkId;
        _fs = fs;
        return fs;
    }

    private Proto CloseFunction(Block body)
    {
        var fs = _fs;
        fs.P.Body = body;
        fs.P.Upvals = fs.Upvals.ToArray();
        fs.P.MaxSlots = Math.Max(fs.P.MaxSlots, fs.P.NumParams);
        foreach (var p in fs.P.Params) if (p.Captured) fs.P.AnyParamCaptured = true;
        _fs = fs.Parent!;
        return fs.P;
    }

    // ---------- helpers ----------

    private int Tok => _lx.Token;

    private bool TestNext(int t)
    {
        if (_lx.Token != t) return false;
        _lx.Advance();
        return true;
    }

    private void Check(int t)
    {
        if (_lx.Token != t) throw _lx.SyntaxError("'" + Tk.ToStr(t) + "' expected");
    }

    private void CheckNext(int t)
    {
        Check(t);
        _lx.Advance();
    }

    private void CheckMatch(int what, int who, int line)
    {
        if (!TestNext(what))
        {
            if (line == _lx.Line) throw _lx.SyntaxError("'" + Tk.ToStr(what) + "' expected");
            throw _lx.SyntaxError("'" + Tk.ToStr(what) + "' expected (to close '" + Tk.ToStr(who) + "' at line " + line + ")");
        }
    }

    private string CheckName()
    {
        Check(Tk.Name);
        var n = _lx.NameVal!;
        _lx.Advance();
        return n;
    }

    private void EnterLevel()
    {
        if (++_level > MaxLevels) throw _lx.Error("chunk has too many syntax levels", 0);
    }

    private void LeaveLevel() => _level--;

    private VarInfo DeclareLocal(string name)
    {
        var fs = _fs;
        var v = new VarInfo(name, fs.FreeSlot++);
        if (fs.FreeSlot > fs.P.MaxSlots) fs.P.MaxSlots = fs.FreeSlot;
        if (fs.Actives.Count >= 200) throw _lx.SyntaxError((fs.Parent == null ? "main function" : "function at line " + fs.P.LineDefined) + " has more than 200 local variables");
        return v;
    }

    private void Activate(VarInfo v) => _fs.Actives.Add(v);

    private void EnterBlock(bool isLoop)
    {
        _fs.Block = new BlockScope { Prev = _fs.Block, ActiveCount = _fs.Actives.Count, FreeSlot = _fs.FreeSlot, IsLoop = isLoop };
    }

    private void LeaveBlock()
    {
        var b = _fs.Block!;
        _fs.Actives.RemoveRange(b.ActiveCount, _fs.Actives.Count - b.ActiveCount);
        _fs.FreeSlot = b.FreeSlot;
        _fs.Block = b.Prev;
    }

    // ---------- name resolution ----------

    private Expr ResolveName(string name)
    {
        var e = Resolve(_fs, name);
        if (e != null) return e;
        return new GlobalExpr(LuaString.FromUtf8(name)) { Line = _lx.LastLine };
    }

    private static Expr? Resolve(FuncState fs, string name)
    {
        for (int i = fs.Actives.Count - 1; i >= 0; i--)
            if (fs.Actives[i].Name == name) return new LocalExpr(fs.Actives[i]);
        int u = ResolveUpval(fs, name);
        return u >= 0 ? new UpvalExpr(u, name) : null;
    }

    private static int ResolveUpval(FuncState fs, string name)
    {
        for (int i = 0; i < fs.Upvals.Count; i++)
            if (fs.Upvals[i].Name == name) return i;
        var parent = fs.Parent;
        if (parent == null) return -1;
        for (int i = parent.Actives.Count - 1; i >= 0; i--)
        {
            if (parent.Actives[i].Name == name)
            {
                parent.Actives[i].Captured = true;
                fs.Upvals.Add(new UpvalDesc(name, true, parent.Actives[i].Slot));
                return fs.Upvals.Count - 1;
            }
        }
        int pu = ResolveUpval(parent, name);
        if (pu < 0) return -1;
        fs.Upvals.Add(new UpvalDesc(name, false, pu));
        return fs.Upvals.Count - 1;
    }

    // ---------- blocks & statements ----------

    private static bool BlockFollow(int t) => t == Tk.Else || t == Tk.Elseif || t == Tk.End || t == Tk.Until || t == Tk.Eos;

    /// <summary>chunk: statements until a block follower; 'return'/'break' must be last.</summary>
    private Block ParseBlockBody()
    {
        EnterLevel();
        var list = new List<Stmt>();
        while (!BlockFollow(Tok))
        {
            if (Tok == Tk.Return)
            {
                _lx.Advance();
                list.Add(ParseReturn());
                TestNext(';');
                break;
            }
            if (Tok == Tk.Break)
            {
                int line = _lx.Line;
                _lx.Advance();
                var bl = _fs.Block;
                while (bl != null && !bl.IsLoop) bl = bl.Prev;
                if (bl == null) throw NoLoop();
                list.Add(new BreakStmt());
                TestNext(';');
                break;
            }
            var s = ParseStatement();
            if (s != null) list.Add(s);
            TestNext(';');
        }
        LeaveLevel();
        return new Block(list.ToArray());
    }

    private LuaSyntaxException NoLoop() => _lx.SyntaxError("no loop to break");

    private Block ParseScopedBlock(bool isLoop = false)
    {
        EnterBlock(isLoop);
        var b = ParseBlockBody();
        LeaveBlock();
        return b;
    }

    private Stmt? ParseStatement()
    {
        int line = _lx.Line;
        switch (Tok)
        {
            case Tk.If: return ParseIf(line);
            case Tk.While:
            {
                _lx.Advance();
                var cond = ParseExpr();
                CheckNext(Tk.Do);
                var body = ParseScopedBlock(true);
                CheckMatch(Tk.End, Tk.While, line);
                return new WhileStmt(cond, body) { Line = line };
            }
            case Tk.Do:
            {
                _lx.Advance();
                var b = ParseScopedBlock();
                CheckMatch(Tk.End, Tk.Do, line);
                return new DoStmt(b);
            }
            case Tk.For: return ParseFor(line);
            case Tk.Repeat:
            {
                _lx.Advance();
                EnterBlock(true);
                var body = ParseBlockBody();
                CheckMatch(Tk.Until, Tk.Repeat, line);
                var cond = ParseExpr(); // sees the block's locals
                LeaveBlock();
                return new RepeatStmt(body, cond) { Line = line };
            }
            case Tk.Function: return ParseFunctionStat(line);
            case Tk.Local:
                _lx.Advance();
                if (TestNext(Tk.Function)) return ParseLocalFunction(line);
                return ParseLocal();
            default:
                return ParseExprStat();
        }
    }

    private Stmt ParseIf(int line)
    {
        var conds = new List<Expr>();
        var blocks = new List<Block>();
        Block? elseBlock = null;
        _lx.Advance();
        conds.Add(ParseExpr());
        CheckNext(Tk.Then);
        blocks.Add(ParseScopedBlock());
        while (Tok == Tk.Elseif)
        {
            _lx.Advance();
            conds.Add(ParseExpr());
            CheckNext(Tk.Then);
            blocks.Add(ParseScopedBlock());
        }
        if (TestNext(Tk.Else)) elseBlock = ParseScopedBlock();
        CheckMatch(Tk.End, Tk.If, line);
        return new IfStmt(conds.ToArray(), blocks.ToArray(), elseBlock);
    }

    private Stmt ParseFor(int line)
    {
        _lx.Advance();
        var name1 = CheckName();
        switch (Tok)
        {
            case '=':
            {
                _lx.Advance();
                var start = ParseExpr();
                CheckNext(',');
                var limit = ParseExpr();
                Expr? step = null;
                if (TestNext(',')) step = ParseExpr();
                CheckNext(Tk.Do);
                EnterBlock(true);
                var v = DeclareLocal(name1);
                Activate(v);
                var body = ParseBlockBody();
                LeaveBlock();
                CheckMatch(Tk.End, Tk.For, line);
                return new NumForStmt(v, start, limit, step, body, line);
            }
            case ',':
            case Tk.In:
            {
                var names = new List<string> { name1 };
                while (TestNext(',')) names.Add(CheckName());
                CheckNext(Tk.In);
                int eline = _lx.Line;
                var exprs = ParseExprList();
                CheckNext(Tk.Do);
                EnterBlock(true);
                var vars = new VarInfo[names.Count];
                for (int i = 0; i < vars.Length; i++) vars[i] = DeclareLocal(names[i]);
                foreach (var v in vars) Activate(v);
                var body = ParseBlockBody();
                LeaveBlock();
                CheckMatch(Tk.End, Tk.For, line);
                return new GenForStmt(vars, exprs.ToArray(), body, eline);
            }
            default:
                throw _lx.SyntaxError("'=' or 'in' expected");
        }
    }

    private Stmt ParseFunctionStat(int line)
    {
        _lx.Advance();
        // funcname: NAME {'.' NAME} [':' NAME]
        Expr target = ResolveName(CheckName());
        bool isMethod = false;
        Expr? obj = null;
        Expr? key = null;
        while (Tok == '.')
        {
            _lx.Advance();
            var k = new ConstExpr(LuaValue.FromString(LuaString.FromUtf8(CheckName())));
            if (obj != null) target = new IndexExpr(obj, key!) { Line = _lx.LastLine };
            obj = target; key = k;
        }
        if (Tok == ':')
        {
            _lx.Advance();
            var k = new ConstExpr(LuaValue.FromString(LuaString.FromUtf8(CheckName())));
            if (obj != null) target = new IndexExpr(obj, key!) { Line = _lx.LastLine };
            obj = target; key = k;
            isMethod = true;
        }
        var fn = ParseBody(isMethod, line, key is ConstExpr ck ? ck.V.AsString.ToString() : null);
        if (obj != null) return new AssignIndex(obj, key!, fn, line);
        return MakeAssign(target, fn, line);
    }

    private Stmt MakeAssign(Expr target, Expr value, int line) => target switch
    {
        LocalExpr l => new AssignLocal(l.V, value),
        UpvalExpr u => new AssignUpval(u.Index, value),
        GlobalExpr g => new AssignGlobal(g.Key, value, line),
        IndexExpr i => new AssignIndex(i.Obj, i.Key, value, line),
        _ => throw _lx.SyntaxError("syntax error"),
    };

    private Stmt ParseLocalFunction(int line)
    {
        var name = CheckName();
        var v = DeclareLocal(name);
        Activate(v);
        var fn = ParseBody(false, line, name);
        return new LocalFunctionStmt(v, fn);
    }

    private Stmt ParseLocal()
    {
        var names = new List<string>();
        do names.Add(CheckName()); while (TestNext(','));
        List<Expr> exprs = TestNext('=') ? ParseExprList() : new List<Expr>();
        var vars = new VarInfo[names.Count];
        for (int i = 0; i < vars.Length; i++) vars[i] = DeclareLocal(names[i]);
        foreach (var v in vars) Activate(v);
        if (vars.Length == 1 && exprs.Count <= 1 && (exprs.Count == 0 || !exprs[0].IsMulti))
            return new LocalStmt1(vars[0], exprs.Count == 0 ? null : exprs[0]);
        return new LocalStmt(vars, exprs.ToArray());
    }

    private Stmt ParseExprStat()
    {
        var e = StackGuardExpr.Unwrap(ParseSuffixedExpr());
        if (e is CallExpr or MethodCallExpr) return new CallStmt(e);
        if (Tok == '=' || Tok == ',')
        {
            var targets = new List<Expr> { e };
            CheckTarget(e);
            while (TestNext(','))
            {
                var t = StackGuardExpr.Unwrap(ParseSuffixedExpr());
                CheckTarget(t);
                targets.Add(t);
            }
            CheckNext('=');
            var exprs = ParseExprList();
            int line = _lx.LastLine;
            if (targets.Count == 1 && exprs.Count == 1) return MakeAssign(targets[0], exprs[0], line);
            return new MultiAssign(targets.ToArray(), exprs.ToArray(), line);
        }
        CheckTarget(e);
        CheckNext('=');
        return null!;
    }

    private void CheckTarget(Expr e)
    {
        if (e is not (LocalExpr or UpvalExpr or GlobalExpr or IndexExpr)) throw _lx.SyntaxError("syntax error");
    }

    private Stmt ParseReturn()
    {
        if (BlockFollow(Tok) || Tok == ';') return new ReturnStmt(Array.Empty<Expr>());
        var list = ParseExprList();
        if (list.Count == 1 && StackGuardExpr.Unwrap(list[0]) is CallExpr or MethodCallExpr)
            return new TailCallStmt(StackGuardExpr.Unwrap(list[0]));
        return new ReturnStmt(list.ToArray());
    }

    // ---------- functions ----------

    private FunctionExpr ParseBody(bool isMethod, int line, string? name)
    {
        var fs = OpenFunction();
        fs.P.LineDefined = line;
        fs.P.Name = name ?? "?";
        var pars = new List<VarInfo>();
        if (isMethod)
        {
            var self = DeclareLocal("self");
            pars.Add(self);
        }
        CheckNext('(');
        if (Tok != ')')
        {
            do
            {
                if (Tok == Tk.Name)
                {
                    pars.Add(DeclareLocal(CheckName()));
                }
                else if (Tok == Tk.Dots)
                {
                    _lx.Advance();
                    fs.P.IsVararg = true;
                    break;
                }
                else throw _lx.SyntaxError("<name> or '...' expected");
            } while (TestNext(','));
        }
        foreach (var p in pars) Activate(p);
        fs.P.Params = pars.ToArray();
        fs.P.NumParams = pars.Count;
        CheckNext(')');
        var body = ParseBlockBody();
        CheckMatch(Tk.End, Tk.Function, line);
        var proto = CloseFunction(body);
        return new FunctionExpr(proto) { Line = line };
    }

    // ---------- expressions ----------

    private List<Expr> ParseExprList()
    {
        var list = new List<Expr> { ParseExpr() };
        while (TestNext(',')) list.Add(ParseExpr());
        return list;
    }

    private Expr ParseExpr() => Finish(ParseSubExpr(0));

    private static (int left, int right) BinPriority(int t) => t switch
    {
        '+' or '-' => (6, 6),
        '*' or '/' or '%' => (7, 7),
        '^' => (10, 9),
        Tk.Concat => (5, 4),
        Tk.Ne or Tk.Eq or '<' or Tk.Le or '>' or Tk.Ge => (3, 3),
        Tk.And => (2, 2),
        Tk.Or => (1, 1),
        _ => (-1, -1),
    };

    private const int UnaryPriority = 8;

    private Expr ParseSubExpr(int limit)
    {
        EnterLevel();
        Expr left;
        int t = Tok;
        if (t == Tk.Not || t == '-' || t == '#')
        {
            _lx.Advance();
            var operand = ParseSubExpr(UnaryPriority);
            int line = _lx.LastLine;
            left = t switch
            {
                Tk.Not => new NotExpr(operand),
                '-' => operand is ConstExpr c && c.V.T == LuaType.Number
                    ? new ConstExpr(LuaValue.FromNumber(-c.V.N))
                    : new NegExpr(operand, line),
                _ => new LenExpr(operand, line),
            };
        }
        else left = ParseSimpleExpr();
        while (true)
        {
            int op = Tok;
            var (lp, rp) = BinPriority(op);
            if (lp < 0 || lp <= limit) break;
            _lx.Advance();
            var right = ParseSubExpr(rp);
            int line = _lx.LastLine;
            left = Guard(MakeBinary(op, left, right, line), left, right);
        }
        LeaveLevel();
        return left;
    }

    private const int GuardEvery = 48;

    /// <summary>Sets the node's height from its children and adds a stack guard every <see cref="GuardEvery"/> levels.</summary>
    private static Expr Guard(Expr e, Expr a, Expr? b = null)
    {
        int h = Math.Max(a.Height, b?.Height ?? 0) + 1;
        if (e is ConcatChain) return e; // flattened into one node; its parts are guarded on their own
        e.Height = h;
        return h % GuardEvery == 0 ? new StackGuardExpr(e) : e;
    }

    private static Expr MakeBinary(int op, Expr a, Expr b, int line)
    {
        a = Finish(a);
        if (op != Tk.Concat) b = Finish(b);
        switch (op)
        {
            case '+': return new AddExpr(a, b, line);
            case '-': return new SubExpr(a, b, line);
            case '*': return new MulExpr(a, b, line);
            case '/': return new ArithExpr(ArithOp.Div, a, b, line);
            case '%': return new ArithExpr(ArithOp.Mod, a, b, line);
            case '^': return new ArithExpr(ArithOp.Pow, a, b, line);
            case Tk.Concat:
            {
                // right associative: merge chains into one n-ary node
                var parts = new List<Expr> { a };
                if (b is ConcatChain cc) parts.AddRange(cc.Parts); else parts.Add(b);
                return new ConcatChain(parts, line);
            }
            case Tk.Eq: return new EqExpr(a, b, false, line);
            case Tk.Ne: return new EqExpr(a, b, true, line);
            case '<': return new LtExpr(a, b, false, line);
            case '>': return new LtExpr(a, b, true, line);
            case Tk.Le: return new LeExpr(a, b, false, line);
            case Tk.Ge: return new LeExpr(a, b, true, line);
            case Tk.And: return new AndExpr(a, b);
            case Tk.Or: return new OrExpr(a, b);
        }
        throw new InvalidOperationException();
    }

    private Expr ParseSimpleExpr()
    {
        Expr e;
        switch (Tok)
        {
            case Tk.Number: e = new ConstExpr(LuaValue.FromNumber(_lx.NumVal)); break;
            case Tk.String: e = new ConstExpr(LuaValue.FromString(_lx.StrVal!)); break;
            case Tk.Nil: e = new ConstExpr(LuaValue.Nil); break;
            case Tk.True: e = new ConstExpr(LuaValue.True); break;
            case Tk.False: e = new ConstExpr(LuaValue.False); break;
            case Tk.Dots:
                if (!_fs.P.IsVararg) throw _lx.SyntaxError("cannot use '...' outside a vararg function");
                e = new VarargExpr();
                break;
            case '{': return Finish(ParseTable());
            case Tk.Function:
            {
                int line = _lx.Line;
                _lx.Advance();
                return ParseBody(false, line, null);
            }
            default:
                return Finish(ParseSuffixedExpr());
        }
        _lx.Advance();
        return e;
    }

    private static Expr Finish(Expr e) => e is ConcatChain c ? c.Build() : e;

    private Expr ParsePrimaryExpr()
    {
        switch (Tok)
        {
            case Tk.Name:
            {
                var n = CheckName();
                return ResolveName(n);
            }
            case '(':
            {
                int line = _lx.Line;
                _lx.Advance();
                var e = ParseExpr();
                CheckMatch(')', '(', line);
                return new ParenExpr(Finish(e));
            }
            default:
                throw _lx.SyntaxError("unexpected symbol");
        }
    }

    private Expr ParseSuffixedExpr()
    {
        var e = ParsePrimaryExpr();
        while (true)
        {
            switch (Tok)
            {
                case '.':
                {
                    _lx.Advance();
                    var k = new ConstExpr(LuaValue.FromString(LuaString.FromUtf8(CheckName())));
                    e = Guard(new IndexExpr(e, k) { Line = _lx.LastLine }, e);
                    break;
                }
                case '[':
                {
                    _lx.Advance();
                    var k = Finish(ParseExpr());
                    CheckNext(']');
                    e = Guard(new IndexExpr(e, k) { Line = _lx.LastLine }, e, k);
                    break;
                }
                case ':':
                {
                    _lx.Advance();
                    var name = CheckName();
                    int line = _lx.Line;
                    var args = ParseArgs(line);
                    e = Guard(new MethodCallExpr(e, LuaValue.FromString(LuaString.FromUtf8(name)), args, line), e);
                    break;
                }
                case '(':
                case Tk.String:
                case '{':
                {
                    int line = _lx.Line;
                    var args = ParseArgs(line);
                    e = Guard(new CallExpr(e, args, line), e);
                    break;
                }
                default:
                    return e;
            }
        }
    }

    private Expr[] ParseArgs(int line)
    {
        switch (Tok)
        {
            case '(':
            {
                if (line != _lx.LastLine) throw _lx.SyntaxError("ambiguous syntax (function call x new statement)");
                _lx.Advance();
                if (Tok == ')')
                {
                    _lx.Advance();
                    return Array.Empty<Expr>();
                }
                var list = ParseExprList();
                CheckMatch(')', '(', line);
                for (int i = 0; i < list.Count; i++) list[i] = Finish(list[i]);
                return list.ToArray();
            }
            case '{':
                return new[] { ParseTable() };
            case Tk.String:
            {
                var s = new ConstExpr(LuaValue.FromString(_lx.StrVal!));
                _lx.Advance();
                return new Expr[] { s };
            }
            default:
                throw _lx.SyntaxError("function arguments expected");
        }
    }

    private Expr ParseTable()
    {
        int line = _lx.Line;
        CheckNext('{');
        var keys = new List<Expr?>();
        var values = new List<Expr>();
        while (Tok != '}')
        {
            if (Tok == Tk.Name && _lx.LookAhead() == '=')
            {
                var k = new ConstExpr(LuaValue.FromString(LuaString.FromUtf8(CheckName())));
                CheckNext('=');
                keys.Add(k);
                values.Add(Finish(ParseExpr()));
            }
            else if (Tok == '[')
            {
                _lx.Advance();
                var k = Finish(ParseExpr());
                CheckNext(']');
                CheckNext('=');
                keys.Add(k);
                values.Add(Finish(ParseExpr()));
            }
            else
            {
                keys.Add(null);
                values.Add(Finish(ParseExpr()));
            }
            if (!TestNext(',') && !TestNext(';')) break;
        }
        CheckMatch('}', '{', line);
        return new TableExpr(keys.ToArray(), values.ToArray(), line);
    }
}

/// <summary>Parse-time accumulator for a..b..c chains, turned into a <see cref="ConcatExpr"/>.</summary>
internal sealed class ConcatChain : Expr
{
    public readonly List<Expr> Parts;
    private ConcatExpr? _built;
    public ConcatChain(List<Expr> parts, int line) { Parts = parts; Line = line; }
    public Expr Build() => _built ??= new ConcatExpr(Parts.ToArray(), Line);
    public override LuaValue Eval(Frame f) => Build().Eval(f);
}
