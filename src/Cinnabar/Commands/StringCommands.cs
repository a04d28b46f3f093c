using Cinnabar.Keyspace;
using F = Cinnabar.Commands.CommandFlags;
using A = Cinnabar.Commands.AclCategories;

namespace Cinnabar.Commands;

/// <summary>String commands. Values are byte[]; counters are stored as their decimal text, as Redis replies.</summary>
public static class StringCommands
{
    public static IEnumerable<CommandDef> Commands()
    {
        yield return new("get", 2, F.ReadOnly | F.Fast, A.Read | A.String | A.Fast, 1, 1, 1, Get, "string");
        yield return new("set", -3, F.Write | F.DenyOom, A.Write | A.String | A.Slow, 1, 1, 1, Set, "string");
    }

    private static void Get(Client c)
    {
        int i = c.Db.FindForRead(c.Arg(1));
        if (i < 0) { c.Reply.Null(); return; }
        if (c.Db.EntryAt(i).Value is byte[] v) c.Reply.Bulk(v);
        else c.WrongType();
    }

    private static void Set(Client c)
    {
        if (!ExtendedStringArgs.TryParse(c, 3, ExtendedStringArgs.CommandType.Set, out var opts)) return;
        long expireAt = 0;
        if (opts.ExpireArg >= 0 && !ExtendedStringArgs.TryGetExpireAt(c, opts, out expireAt)) return;

        var db = c.Db;
        var key = c.Arg(1);
        if (opts.Get)
        {
            int old = db.FindForRead(key);
            if (old >= 0)
            {
                if (db.EntryAt(old).Value is not byte[] oldValue) { c.WrongType(); return; }
                c.Reply.Bulk(oldValue);
            }
            else c.Reply.Null();
        }
        int existing = db.Find(key);
        if ((opts.Nx && existing >= 0) || (opts.Xx && existing < 0))
        {
            if (!opts.Get) c.Reply.Null();
            return;
        }
        int index = db.Set(key, c.ArgArray(2), keepTtl: opts.KeepTtl);
        if (expireAt != 0) db.SetExpire(index, expireAt);
        c.KeyModified(key);
        c.Dirty();
        c.Notify(NotifyFlags.String, "set", key);
        if (expireAt != 0) c.Notify(NotifyFlags.Generic, "expire", key);
        if (!opts.Get) c.Reply.Ok();
    }
}

/// <summary>The option grammar shared by SET and GETEX (Redis' parseExtendedStringArgumentsOrReply).</summary>
public static class ExtendedStringArgs
{
    public enum CommandType { Set, Get }
    public enum Unit { None, Ex, Px, ExAt, PxAt }

    public struct Options
    {
        public bool Nx, Xx, Get, KeepTtl, Persist;
        public Unit Unit;
        public int ExpireArg;
    }

    /// <summary>Parses options from argument <paramref name="start"/>; writes "ERR syntax error" and returns false on a bad combination.</summary>
    public static bool TryParse(Client c, int start, CommandType type, out Options o)
    {
        o = new Options { ExpireArg = -1 };
        for (int j = start; j < c.ArgCount; j++)
        {
            var opt = c.Arg(j);
            bool hasNext = j < c.ArgCount - 1;
            bool anyExpire = o.Unit != Unit.None;
            if (Is(opt, "nx"u8) && !o.Xx && type == CommandType.Set) o.Nx = true;
            else if (Is(opt, "xx"u8) && !o.Nx && type == CommandType.Set) o.Xx = true;
            else if (Is(opt, "get"u8) && type == CommandType.Set) o.Get = true;
            else if (Is(opt, "keepttl"u8) && !o.Persist && !anyExpire && type == CommandType.Set) o.KeepTtl = true;
            else if (Is(opt, "persist"u8) && type == CommandType.Get && !anyExpire && !o.KeepTtl) o.Persist = true;
            else if (Is(opt, "ex"u8) && !o.KeepTtl && !o.Persist && o.Unit is Unit.None or Unit.Ex && hasNext) { o.Unit = Unit.Ex; o.ExpireArg = ++j; }
            else if (Is(opt, "px"u8) && !o.KeepTtl && !o.Persist && o.Unit is Unit.None or Unit.Px && hasNext) { o.Unit = Unit.Px; o.ExpireArg = ++j; }
            else if (Is(opt, "exat"u8) && !o.KeepTtl && !o.Persist && o.Unit is Unit.None or Unit.ExAt && hasNext) { o.Unit = Unit.ExAt; o.ExpireArg = ++j; }
            else if (Is(opt, "pxat"u8) && !o.KeepTtl && !o.Persist && o.Unit is Unit.None or Unit.PxAt && hasNext) { o.Unit = Unit.PxAt; o.ExpireArg = ++j; }
            else
            {
                c.SyntaxError();
                return false;
            }
        }
        return true;
    }

    /// <summary>Converts the expiry argument to absolute Unix ms; writes Redis' error and returns false when invalid.</summary>
    public static bool TryGetExpireAt(Client c, in Options o, out long expireAt)
    {
        expireAt = 0;
        if (!c.TryGetLong(o.ExpireArg, out long ms)) return false;
        bool seconds = o.Unit is Unit.Ex or Unit.ExAt;
        if (ms <= 0 || (seconds && ms > long.MaxValue / 1000))
        {
            c.Reply.Error($"ERR invalid expire time in '{c.CurrentCommand!.FullName}' command");
            return false;
        }
        if (seconds) ms *= 1000;
        if (o.Unit is Unit.Ex or Unit.Px) ms = unchecked(ms + c.Server.KeyspaceState.NowMs);
        if (ms <= 0)
        {
            c.Reply.Error($"ERR invalid expire time in '{c.CurrentCommand!.FullName}' command");
            return false;
        }
        expireAt = ms;
        return true;
    }

    private static bool Is(ReadOnlySpan<byte> arg, ReadOnlySpan<byte> lower) => Protocol.RespNumbers.EqualsIgnoreCase(arg, lower);
}
