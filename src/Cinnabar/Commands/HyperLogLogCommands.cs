using Cinnabar.DataTypes;
using Cinnabar.Keyspace;
using Hll = Cinnabar.DataTypes.HyperLogLog;

namespace Cinnabar.Commands;

/// <summary>
/// PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST over HLLs stored as plain strings in Redis' format
/// (<see cref="HyperLogLog"/>), so GET, DUMP/RESTORE and RDB files carry them unchanged.
/// </summary>
public static class HyperLogLogCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("pfadd", PfAdd);
        yield return new("pfcount", PfCount);
        yield return new("pfmerge", PfMerge);
        yield return new("pfdebug", PfDebug);
        yield return new("pfselftest", PfSelfTest);
    }

    // Sparse edits work in a scratch buffer: the stored array is the string, so its length is the
    // string's length, and one command's edits end in a single copy (or one new array when it grew).
    [ThreadStatic] private static byte[]? t_scratch;
    [ThreadStatic] private static byte[]? t_max;

    private static byte[] Scratch(int min)
    {
        var s = t_scratch;
        if (s is null || s.Length < min) t_scratch = s = new byte[Math.Max(min, 4096)];
        return s;
    }

    private static byte[] MaxRegisters()
    {
        var m = t_max ??= new byte[Hll.Registers];
        m.AsSpan().Clear();
        return m;
    }

    /// <summary>The string under an entry when it is an HLL; false after WRONGTYPE or the not-an-HLL error.</summary>
    private static bool TryHllAt(Client c, int index, out byte[]? hll)
    {
        if (!c.TryTypedAt(index, out hll)) return false;
        if (hll is null || Hll.IsValid(hll)) return true;
        c.Reply.Error(Hll.NotHllError);
        return false;
    }

    /// <summary>Raises one register of the HLL being edited; the working copy switches to dense on promotion.</summary>
    private struct Editor(Client c, byte[] value)
    {
        public byte[] Dense = value[4] == Hll.Dense ? value : null!;
        public byte[]? Buf;
        public int Len;

        public void OpenSparse()
        {
            Len = value.Length;
            Buf = Scratch(Len + 3);
            value.CopyTo(Buf, 0);
        }

        public Hll.SetResult Set(int index, int count)
        {
            if (Dense is not null) return Hll.DenseSet(Dense.AsSpan(Hll.HeaderSize), index, count) ? Hll.SetResult.Updated : Hll.SetResult.Unchanged;
            if (Buf!.Length < Len + 3) { var b = Scratch(Len * 2 + 3); Buf.AsSpan(0, Len).CopyTo(b); Buf = b; }
            var r = Hll.SparseSet(Buf, ref Len, index, count, c.Server.Config.HllSparseMaxBytes);
            if (r != Hll.SetResult.Promote) return r;
            var dense = Hll.SparseToDense(Buf.AsSpan(0, Len));
            if (dense is null) return Hll.SetResult.Invalid;
            Dense = dense;
            Buf = null;
            Hll.DenseSet(dense.AsSpan(Hll.HeaderSize), index, count);
            return Hll.SetResult.Updated;
        }

        /// <summary>The value to store: the dense array, the original array rewritten, or a new one of the new length.</summary>
        public readonly byte[] Result()
        {
            if (Dense is not null) return Dense;
            if (Len == value.Length) { Buf.AsSpan(0, Len).CopyTo(value); return value; }
            return Buf.AsSpan(0, Len).ToArray();
        }
    }

    private static void PfAdd(Client c)
    {
        var db = c.Db;
        var key = c.Arg(1);
        int i = db.Find(key);
        bool updated = false;
        byte[] value;
        if (i < 0)
        {
            value = Hll.CreateSparse();
            i = db.Add(key, value);
            updated = true;
        }
        else if (!TryHllAt(c, i, out value!)) return;
        db.EntryAt(i).StringHint = StringHint.Raw;

        var ed = new Editor(c, value);
        if (ed.Dense is null) ed.OpenSparse();
        bool invalid = false;
        int changes = updated ? 1 : 0;
        for (int j = 2; j < c.ArgCount; j++)
        {
            int count = Hll.PatLen(c.Arg(j), out int index);
            var r = ed.Set(index, count);
            if (r == Hll.SetResult.Updated) changes++;
            else if (r == Hll.SetResult.Invalid) { invalid = true; break; }
        }
        // Redis edits in place: a corrupt HLL found midway keeps the registers already raised.
        var result = ed.Result();
        db.ReplaceValue(i, result);
        if (invalid) { c.Reply.Error(Hll.InvalidError); return; }
        if (changes > 0)
        {
            Hll.InvalidateCache(result);
            c.KeyModified(key);
            c.Notify(NotifyFlags.String, "pfadd", key);
            c.Dirty(changes);
        }
        c.Reply.Integer(changes > 0 ? 1 : 0);
    }

    private static void PfCount(Client c)
    {
        var db = c.Db;
        if (c.ArgCount > 2)
        {
            // The union's registers, one byte each; the keys are only read.
            var max = MaxRegisters();
            for (int j = 1; j < c.ArgCount; j++)
            {
                if (!TryHllAt(c, db.FindForRead(c.Arg(j)), out var hll)) return;
                if (hll is null) continue;
                if (!Hll.MergeInto(max, hll)) { c.Reply.Error(Hll.InvalidError); return; }
            }
            Span<int> histo = stackalloc int[64];
            histo.Clear();
            Hll.RawHistogram(max, histo);
            c.Reply.Integer(Hll.Estimate(histo));
            return;
        }

        var key = c.Arg(1);
        int i = db.FindForRead(key);
        if (!TryHllAt(c, i, out var value)) return;
        if (value is null) { c.Reply.Integer(0); return; }
        db.EntryAt(i).StringHint = StringHint.Raw;
        if (Hll.TryGetCachedCount(value, out long card)) { c.Reply.Integer(card); return; }
        card = Hll.Count(value);
        if (card < 0) { c.Reply.Error(Hll.InvalidError); return; }
        // Storing the count changes the string: a write, which Redis propagates (PFCOUNT is "may-replicate"),
        // and which must not reach a snapshot being saved (PFCOUNT is not a write command for the dispatcher).
        c.Server.Persistence.BeforeWriteKey(db, key);
        value = (byte[])db.EntryAt(i).Value!;
        Hll.SetCachedCount(value, card);
        c.KeyModified(key);
        c.Dirty();
        c.Reply.Integer(card);
    }

    private static void PfMerge(Client c)
    {
        var db = c.Db;
        var max = MaxRegisters();
        bool useDense = false;
        // The destination is a source too (argument 1 onwards).
        for (int j = 1; j < c.ArgCount; j++)
        {
            if (!TryHllAt(c, db.FindForRead(c.Arg(j)), out var hll)) return;
            if (hll is null) continue;
            if (hll[4] == Hll.Dense) useDense = true;
            if (!Hll.MergeInto(max, hll)) { c.Reply.Error(Hll.InvalidError); return; }
        }

        var key = c.Arg(1);
        int i = db.Find(key);
        byte[] value;
        if (i < 0) i = db.Add(key, value = Hll.CreateSparse());
        else value = (byte[])db.EntryAt(i).Value!;
        db.EntryAt(i).StringHint = StringHint.Raw;
        if (useDense && value[4] == Hll.Sparse)
        {
            var dense = Hll.SparseToDense(value);
            if (dense is null) { c.Reply.Error(Hll.InvalidError); return; }
            db.ReplaceValue(i, value = dense);
        }

        var ed = new Editor(c, value);
        if (ed.Dense is null) ed.OpenSparse();
        for (int j = 0; j < Hll.Registers; j++)
            if (max[j] != 0) ed.Set(j, max[j]); // Redis ignores a failed sparse set here
        var result = ed.Result();
        Hll.InvalidateCache(result);
        db.ReplaceValue(i, result);
        c.KeyModified(key);
        // A merge is a mass add: Redis raises "pfadd".
        c.Notify(NotifyFlags.String, "pfadd", key);
        c.Dirty();
        c.Reply.Ok();
    }

    private static void PfDebug(Client c)
    {
        var db = c.Db;
        var key = c.Arg(2);
        int i = db.Find(key);
        if (i < 0) { c.Reply.Error("ERR The specified key does not exist"); return; }
        if (!TryHllAt(c, i, out var value)) return;
        db.EntryAt(i).StringHint = StringHint.Raw;
        var sub = c.Arg(1);
        // Arity is exactly 3 (the command table): Redis' per-subcommand arity error cannot happen.
        if (RespEquals(sub, "getreg"u8))
        {
            if (!ToDense(c, i, ref value!)) return;
            var regs = value.AsSpan(Hll.HeaderSize);
            c.Reply.ArrayHeader(Hll.Registers);
            for (int j = 0; j < Hll.Registers; j++) c.Reply.Integer(Hll.GetDense(regs, j));
        }
        else if (RespEquals(sub, "decode"u8))
        {
            if (value![4] != Hll.Sparse) { c.Reply.Error("ERR HLL encoding is not sparse"); return; }
            c.Reply.Bulk(Hll.Decode(value));
        }
        else if (RespEquals(sub, "encoding"u8))
        {
            c.Reply.SimpleString(value![4] == Hll.Dense ? "dense"u8 : "sparse"u8);
        }
        else if (RespEquals(sub, "todense"u8))
        {
            bool sparse = value![4] == Hll.Sparse;
            if (!ToDense(c, i, ref value)) return;
            c.Reply.Integer(sparse ? 1 : 0);
        }
        else c.Reply.Error(Concat("ERR Unknown PFDEBUG subcommand '"u8, sub, "'"u8));
    }

    private static bool RespEquals(ReadOnlySpan<byte> arg, ReadOnlySpan<byte> lower) => Protocol.RespNumbers.EqualsIgnoreCase(arg, lower);

    /// <summary>Converts a sparse HLL to dense in the keyspace; counted as a change so that it propagates, as in Redis.</summary>
    private static bool ToDense(Client c, int i, ref byte[] value)
    {
        if (value[4] == Hll.Dense) return true;
        var dense = Hll.SparseToDense(value);
        if (dense is null) { c.Reply.Error(Hll.InvalidError); return false; }
        c.Db.ReplaceValue(i, value = dense);
        c.Dirty();
        return true;
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> d)
    {
        var r = new byte[a.Length + b.Length + d.Length];
        a.CopyTo(r);
        b.CopyTo(r.AsSpan(a.Length));
        d.CopyTo(r.AsSpan(a.Length + b.Length));
        return r;
    }

    /// <summary>
    /// Redis' PFSELFTEST: dense registers keep random values without disturbing neighbours, and sparse and
    /// dense HLLs fed the same 10M elements agree and stay within six standard errors.
    /// </summary>
    private static void PfSelfTest(Client c)
    {
        var rnd = Random.Shared;
        var dense = new byte[Hll.DenseSize];
        var regs = dense.AsSpan(Hll.HeaderSize);
        var bytes = new byte[Hll.Registers];
        for (int cycle = 0; cycle < 1000; cycle++)
        {
            for (int j = 0; j < Hll.Registers; j++)
            {
                int r = rnd.Next() & 63;
                bytes[j] = (byte)r;
                Hll.SetDense(regs, j, r);
            }
            for (int j = 0; j < Hll.Registers; j++)
            {
                int v = Hll.GetDense(regs, j);
                if (v != bytes[j]) { c.Reply.Error($"TESTFAILED Register {j} should be {bytes[j]} but is {v}"); return; }
            }
        }

        regs.Clear();
        dense[4] = Hll.Dense;
        "HYLL"u8.CopyTo(dense);
        var ed = new Editor(c, Hll.CreateSparse());
        ed.OpenSparse();
        double relerr = 1.04 / Math.Sqrt(Hll.Registers);
        long checkpoint = 1;
        ulong seed = (ulong)rnd.NextInt64();
        Span<byte> ele = stackalloc byte[8];
        for (long j = 1; j <= 10_000_000; j++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(ele, (ulong)j ^ seed);
            int count = Hll.PatLen(ele, out int index);
            Hll.DenseSet(regs, index, count);
            ed.Set(index, count);
            if (j != checkpoint) continue;
            if (j < c.Server.Config.HllSparseMaxBytes / 2 && ed.Dense is not null)
            {
                c.Reply.Error("TESTFAILED sparse encoding not used");
                return;
            }
            long denseCount = Hll.Count(dense);
            long other = ed.Dense is not null ? Hll.Count(ed.Dense) : Hll.Count(ed.Buf.AsSpan(0, ed.Len));
            if (denseCount != other) { c.Reply.Error("TESTFAILED dense/sparse disagree"); return; }
            long abserr = Math.Abs(checkpoint - denseCount);
            long maxerr = j == 10 ? 1 : (long)Math.Ceiling(relerr * 6 * checkpoint);
            if (abserr > maxerr) { c.Reply.Error($"TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"); return; }
            checkpoint *= 10;
        }
        c.Reply.Ok();
    }
}
