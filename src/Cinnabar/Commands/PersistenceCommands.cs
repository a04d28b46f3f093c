using System.Buffers.Binary;
using Cinnabar.Persistence;

namespace Cinnabar.Commands;

/// <summary>SAVE, BGSAVE, DUMP and RESTORE.</summary>
public static class PersistenceCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("save", Save);
        yield return new("bgsave", Bgsave);
        yield return new("bgrewriteaof", BgRewriteAof);
        yield return new("dump", Dump);
        yield return new("restore", Restore);
    }

    private static void Save(Client c)
    {
        var error = c.Server.Persistence.Save();
        if (error is null) c.Reply.Ok();
        else c.Reply.Error(error);
    }

    /// <summary>BGREWRITEAOF, with Redis 7.0's replies (scheduled while a BGSAVE runs or inside MULTI).</summary>
    private static void BgRewriteAof(Client c)
    {
        var aof = c.Server.Aof;
        if (aof.RewriteInProgress)
        {
            c.Reply.Error("ERR Background append only file rewriting already in progress");
            return;
        }
        if (c.Server.Persistence.BgsaveInProgress || c.DenyBlocking)
        {
            aof.RewriteScheduled = true;
            c.Reply.SimpleString("Background append only file rewriting scheduled"u8);
            return;
        }
        if (aof.StartRewrite() is null) c.Reply.SimpleString("Background append only file rewriting started"u8);
        else c.Reply.Error("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.");
    }

    private static void Bgsave(Client c)
    {
        if (c.ArgCount > 2 || (c.ArgCount == 2 && !c.ArgIs(1, "schedule"u8))) { c.SyntaxError(); return; }

        var p = c.Server.Persistence;
        if (p.BgsaveInProgress)
        {
            c.Reply.Error("ERR Background save already in progress");
            return;
        }
        // Redis runs one child at a time: while an AOF rewrite runs, BGSAVE SCHEDULE (or any BGSAVE inside
        // MULTI/EXEC) is scheduled for the cron once it ends, a plain BGSAVE is refused.
        bool rewriting = c.Server.Aof.RewriteInProgress;
        if (c.DenyBlocking || (rewriting && c.ArgCount == 2))
        {
            p.BgsaveScheduled = true;
            c.Reply.SimpleString("Background saving scheduled"u8);
            return;
        }
        if (rewriting)
        {
            c.Reply.Error("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
            return;
        }
        p.StartBackgroundSave();
        c.Reply.SimpleString("Background saving started"u8);
    }

    /// <summary>DUMP: the value in RDB encoding, then the RDB version and a CRC64, as Redis 7.0 produces.</summary>
    private static void Dump(Client c)
    {
        int i = c.Db.FindForRead(c.Arg(1));
        if (i < 0) { c.Reply.Null(); return; }
        c.Reply.Bulk(Serialize(c.Db.EntryAt(i).Value!));
    }

    public static byte[] Serialize(object value)
    {
        var ms = new MemoryStream();
        var o = new RdbOutput(ms);
        RdbValueCodec.Write(o, value);
        o.Flush();
        Span<byte> version = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(version, RdbFormat.Version);
        ms.Write(version);
        ulong crc = Crc64.Compute(ms.GetBuffer().AsSpan(0, (int)ms.Length));
        Span<byte> footer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(footer, crc);
        ms.Write(footer);
        return ms.ToArray();
    }

    /// <summary>RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f].</summary>
    private static void Restore(Client c)
    {
        bool replace = false, absTtl = false;
        long idle = -1, freq = -1;
        for (int j = 4; j < c.ArgCount; j++)
        {
            int more = c.ArgCount - j - 1;
            if (c.ArgIs(j, "replace"u8)) replace = true;
            else if (c.ArgIs(j, "absttl"u8)) absTtl = true;
            else if (c.ArgIs(j, "idletime"u8) && more >= 1 && freq == -1)
            {
                if (!c.TryGetLong(j + 1, out idle)) return;
                if (idle < 0) { c.Reply.Error("ERR Invalid IDLETIME value, must be >= 0"); return; }
                j++;
            }
            else if (c.ArgIs(j, "freq"u8) && more >= 1 && idle == -1)
            {
                if (!c.TryGetLong(j + 1, out freq)) return;
                if (freq < 0 || freq > 255) { c.Reply.Error("ERR Invalid FREQ value, must be >= 0 and <= 255"); return; }
                j++;
            }
            else { c.SyntaxError(); return; }
        }
        var db = c.Db;
        var key = c.Arg(1);
        if (!replace && db.Find(key) >= 0)
        {
            c.Reply.Error("BUSYKEY Target key name already exists.");
            return;
        }
        if (!c.TryGetLong(2, out long ttl)) return;
        if (ttl < 0) { c.Reply.Error("ERR Invalid TTL value, must be >= 0"); return; }

        var payload = c.Arg(3);
        if (!VerifyPayload(payload, c.Server.Config.SkipChecksumValidation))
        {
            c.Reply.Error("ERR DUMP payload version or checksum are wrong");
            return;
        }
        object value;
        try
        {
            var input = new RdbInput(new MemoryStream(payload[..^10].ToArray()));
            byte type = input.ReadByte();
            if (!RdbValueCodec.IsValueType(type)) throw new RdbFormatException("bad type");
            value = RdbValueCodec.Read(input, type, c.Server.Config);
            if (input.Offset != payload.Length - 10) throw new RdbFormatException("trailing bytes");
        }
        catch (RdbFormatException)
        {
            c.Reply.Error("ERR Bad data format");
            return;
        }

        bool deleted = replace && db.Delete(key);
        long now = c.Server.KeyspaceState.NowMs;
        if (ttl != 0 && !absTtl) ttl += now;
        if (ttl != 0 && ttl <= now)
        {
            // Already expired: nothing is created (a replaced key is just deleted).
            if (deleted)
            {
                if (c.ReplicationWanted) c.Propagate("DEL"u8.ToArray(), key.ToArray()); // DEL whatever lazyfree says, as Redis 7.0
                c.KeyModified(key);
                c.Notify(NotifyFlags.Generic, "del", key);
                c.Dirty();
            }
            c.Reply.Ok();
            return;
        }
        int index = db.Add(key, value);
        if (ttl != 0) db.SetExpire(index, ttl);
        db.SetAccess(index, freq, idle);
        if (ttl != 0 && !absTtl && c.ReplicationWanted)
        {
            // Replicas get the absolute time, as Redis propagates it: TTL rewritten, ABSTTL appended.
            var argv = new byte[c.ArgCount + 1][];
            for (int j = 0; j < c.ArgCount; j++) argv[j] = c.ArgArray(j);
            argv[2] = System.Text.Encoding.ASCII.GetBytes(ttl.ToString(System.Globalization.CultureInfo.InvariantCulture));
            argv[^1] = "ABSTTL"u8.ToArray();
            c.Propagate(argv);
        }
        c.KeyModified(key);
        c.Notify(NotifyFlags.Generic, "restore", key);
        c.Dirty();
        c.Reply.Ok();
    }

    /// <summary>Redis' verifyDumpPayload: footer version not newer than ours, CRC64 over everything before the CRC.</summary>
    public static bool VerifyPayload(ReadOnlySpan<byte> payload, bool skipChecksum = false)
    {
        if (payload.Length < 10) return false;
        int version = BinaryPrimitives.ReadUInt16LittleEndian(payload[^10..]);
        if (version > RdbFormat.Version) return false;
        if (skipChecksum) return true;
        ulong crc = BinaryPrimitives.ReadUInt64LittleEndian(payload[^8..]);
        return crc == Crc64.Compute(payload[..^8]);
    }
}
