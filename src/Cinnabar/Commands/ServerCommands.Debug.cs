using System.Globalization;
using System.Text;
using Cinnabar.DataTypes;
using Cinnabar.Keyspace;
using Cinnabar.Server;

namespace Cinnabar.Commands;

/// <summary>
/// DEBUG: the subcommands client libraries, operators and Redis' own tests use, answered as Redis 7.0
/// answers them. Those that poke at C internals Cinnabar does not have (allocator, AOF, plain quicklist
/// nodes, reply-buffer resizing, crashes) are refused with an error that says why.
/// </summary>
public static partial class ServerCommands
{
    private static readonly string[] DebugHelpLines =
    [
        "CHANGE-REPL-ID",
        "    Change the replication IDs of the instance.",
        "    Dangerous: should be used only for testing the replication subsystem.",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "JMAP",
        "    Cinnabar only: a summary of the managed heap (what a Java jmap would show).",
        "LISTPACK <key>",
        "    Show low level info about the listpack encoding of <key>.",
        "LOADAOF",
        "    Flush the AOF buffers on disk and reload the AOF in memory.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. These are not propagated to",
        "    replicas. Cluster slots are not respected so keys not belonging to the",
        "    current node can be created in cluster mode.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "RELOAD [option ...]",
        "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
        "    * MERGE: conflicting keys will be loaded from RDB.",
        "    * NOFLUSH: the existing database will not be removed before load, but",
        "      conflicting keys will make the load fail.",
        "    * NOSAVE: the database will be loaded from an existing RDB file.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
        "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "STRINGMATCH-TEST",
        "    Run a fuzz tester against the stringmatchlen() function.",
        "Not available in Cinnabar: QUICKLIST-PACKED-THRESHOLD",
        "(list nodes have no plain encoding), REPLYBUFFER, MALLCTL, crash and leak subcommands.",
    ];

    private static void Debug(Client c)
    {
        int n = c.ArgCount;
        if (c.ArgIs(1, "help"u8)) WriteHelp(c, "DEBUG", DebugHelpLines);
        else if (c.ArgIs(1, "error"u8) && n == 3) DebugError(c);
        else if (c.ArgIs(1, "sleep"u8) && n == 3) DebugSleep(c);
        else if (c.ArgIs(1, "set-active-expire"u8) && n == 3)
        {
            c.Server.Config.ActiveExpireEnabled = Atoi(c.Arg(2)) != 0;
            c.Reply.Ok();
        }
        else if (c.ArgIs(1, "set-skip-checksum-validation"u8) && n == 3)
        {
            c.Server.Config.SkipChecksumValidation = Atoi(c.Arg(2)) != 0;
            c.Reply.Ok();
        }
        else if (c.ArgIs(1, "reload"u8)) DebugReload(c);
        else if (c.ArgIs(1, "object"u8) && n == 3) DebugObject(c);
        else if (c.ArgIs(1, "digest"u8) && n == 2)
        {
            Span<byte> digest = stackalloc byte[DatasetDigest.Size];
            DatasetDigest.OfDataset(c.Server.Databases, digest);
            c.Reply.SimpleString(DatasetDigest.Hex(digest));
        }
        else if (c.ArgIs(1, "digest-value"u8) && n >= 2)
        {
            Span<byte> digest = stackalloc byte[DatasetDigest.Size];
            c.Reply.ArrayHeader(n - 2);
            for (int j = 2; j < n; j++)
            {
                digest.Clear();
                int i = c.Db.Find(c.Arg(j), touch: false);
                if (i >= 0)
                {
                    ref KeyEntry e = ref c.Db.EntryAt(i);
                    DatasetDigest.OfValue(e.Value!, e.ExpireAt != 0, digest);
                }
                c.Reply.SimpleString(DatasetDigest.Hex(digest));
            }
        }
        else if (c.ArgIs(1, "populate"u8) && n is >= 3 and <= 5) DebugPopulate(c);
        else if (c.ArgIs(1, "protocol"u8) && n == 3) DebugProtocol(c);
        else if (c.ArgIs(1, "change-repl-id"u8) && n == 2)
        {
            c.Server.Replication.ResetReplicationIds();
            c.Reply.Ok();
        }
        else if (c.ArgIs(1, "listpack"u8) && n == 3) DebugListpack(c);
        else if (c.ArgIs(1, "stringmatch-test"u8) && n == 2) DebugStringMatchTest(c);
        else if (c.ArgIs(1, "jmap"u8) && n == 2) c.Reply.Verbatim(HeapSummary());
        else if (c.ArgIs(1, "loadaof"u8) && n == 2) DebugLoadAof(c);
        else if (c.ArgIs(1, "quicklist-packed-threshold"u8))
            c.Reply.Error("ERR DEBUG QUICKLIST-PACKED-THRESHOLD is not supported: Cinnabar's list nodes have no plain encoding");
        else if (c.ArgIs(1, "replybuffer"u8))
            c.Reply.Error("ERR DEBUG REPLYBUFFER is not supported: Cinnabar's reply buffers are pooled per connection, not resized by a cron");
        else c.Reply.Error($"ERR unknown subcommand or wrong number of arguments for '{Truncate128(c.ArgString(1))}'. Try DEBUG HELP.");
    }

    /// <summary>C's atoi: the leading digits (after an optional sign), 0 when there are none.</summary>
    private static long Atoi(ReadOnlySpan<byte> s)
    {
        int i = 0;
        bool negative = false;
        if (i < s.Length && s[i] is (byte)'-' or (byte)'+') negative = s[i++] == '-';
        long v = 0;
        for (; i < s.Length && s[i] is >= (byte)'0' and <= (byte)'9' && v < int.MaxValue; i++) v = v * 10 + (s[i] - '0');
        return negative ? -v : v;
    }

    /// <summary>DEBUG LOADAOF: flush the AOF, empty the dataset and load the files again; exits when they cannot be, as Redis.</summary>
    private static void DebugLoadAof(Client c)
    {
        try
        {
            c.Server.Aof.DebugLoad();
        }
        catch (Persistence.AofLoadException ex)
        {
            c.Server.Log.Warning($"Fatal error loading the append only file: {ex.Message}. Exiting.");
            Environment.Exit(1);
        }
        c.Server.Log.Warning("Append Only File loaded by DEBUG LOADAOF");
        c.Reply.Ok();
    }

    /// <summary>DEBUG ERROR: "-" and the text as given (a code of the caller's choice: LOADING, READONLY...).</summary>
    private static void DebugError(Client c)
    {
        var text = c.Arg(2);
        Span<byte> line = text.Length <= 256 ? stackalloc byte[text.Length + 3] : new byte[text.Length + 3];
        line[0] = (byte)'-';
        text.CopyTo(line[1..]);
        // No newlines inside an error line, as Redis maps them to spaces.
        for (int i = 1; i <= text.Length; i++) if (line[i] is (byte)'\r' or (byte)'\n') line[i] = (byte)' ';
        line[^2] = (byte)'\r';
        line[^1] = (byte)'\n';
        c.Reply.WriteRaw(line);
        // Written raw, as Redis' addReplySds: not an error reply to INFO errorstats or failed_calls.
        c.ErrorReplyUncounted = true;
    }

    private static void DebugSleep(Client c)
    {
        // strtod semantics: text that is not a number sleeps 0 seconds.
        if (!Protocol.RespNumbers.TryParseDouble(c.Arg(2), out double secs) || double.IsNaN(secs)) secs = 0;
        // Holds the execution lock, as Redis' single thread would be stuck.
        if (secs > 0) Thread.Sleep(TimeSpan.FromSeconds(Math.Min(secs, int.MaxValue / 1000.0)));
        c.Reply.Ok();
    }

    /// <summary>DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save (unless NOSAVE), flush (unless NOFLUSH), load.</summary>
    private static void DebugReload(Client c)
    {
        bool merge = false, flush = true, save = true;
        for (int j = 2; j < c.ArgCount; j++)
        {
            if (c.ArgIs(j, "merge"u8)) merge = true;
            else if (c.ArgIs(j, "noflush"u8)) flush = false;
            else if (c.ArgIs(j, "nosave"u8)) save = false;
            else
            {
                c.Reply.Error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
                return;
            }
        }
        var s = c.Server;
        if (save && s.Persistence.Save() is not null)
        {
            c.Reply.Error("ERR"); // Redis' shared.err
            return;
        }
        if (flush)
        {
            foreach (var db in s.Databases) db.Clear();
            s.SignalFlushed();
        }
        const string loadError = "ERR Error trying to load the RDB dump";
        if (!File.Exists(s.Persistence.RdbPath))
        {
            s.Log.Warning($"Fatal error loading the DB: no such file {s.Persistence.RdbPath}");
            c.Reply.Error(loadError);
            return;
        }
        try
        {
            s.Persistence.LoadAtStartup(refuseDuplicates: !flush && !merge);
        }
        catch (Persistence.RdbLoadException ex)
        {
            s.Log.Warning(ex.Message);
            c.Reply.Error(loadError);
            return;
        }
        s.Log.Warning("DB reloaded by DEBUG RELOAD");
        c.Reply.Ok();
    }

    /// <summary>DEBUG OBJECT: Redis' one-line summary (the address is the value's identity hash).</summary>
    private static void DebugObject(Client c)
    {
        int i = c.Db.Find(c.Arg(2), touch: false);
        if (i < 0) { c.Reply.Error("ERR no such key"); return; }
        ref KeyEntry e = ref c.Db.EntryAt(i);
        var value = e.Value!;
        var config = c.Server.Config;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture,
            $"Value at:0x{System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(value):x} refcount:{(KeyCommands.IsSharedInteger(c, e) ? int.MaxValue : 1)} ");
        // serializedlength: the value's RDB encoding, as DUMP writes it without its type byte and footer.
        sb.Append(CultureInfo.InvariantCulture,
            $"encoding:{RedisValue.Encoding(e, config)} serializedlength:{PersistenceCommands.Serialize(value).Length - 11} ");
        sb.Append(CultureInfo.InvariantCulture, $"lru:{e.LruSeconds} lru_seconds_idle:{c.Db.IdleSeconds(e)}");
        if (value is ListValue list)
        {
            long bytes = 0;
            for (int node = 0; node < list.NodeCount; node++)
                bytes += list.NodeEntries(node, out _).Length + Persistence.Listpack.HeaderSize + 1; // lpBytes
            double avg = list.NodeCount == 0 ? 0 : (double)list.Count / list.NodeCount;
            sb.Append(CultureInfo.InvariantCulture,
                $" ql_nodes:{list.NodeCount} ql_avg_node:{avg:F2} ql_listpack_max:{list.Fill} ql_compressed:{(config.ListCompressDepth != 0 ? 1 : 0)} ql_uncompressed_size:{bytes}");
        }
        c.Reply.SimpleString(sb.ToString());
    }

    /// <summary>
    /// DEBUG POPULATE count [prefix] [size]: keys prefix:0.. with values "value:N" (zero-padded or cut to
    /// size); existing keys are skipped. Nothing is propagated, as in Redis.
    /// </summary>
    private static void DebugPopulate(Client c)
    {
        const string positive = "ERR value is out of range, must be positive";
        if (!Protocol.RespNumbers.TryParseInt64(c.Arg(2), out long count) || count < 0) { c.Reply.Error(positive); return; }
        long size = 0;
        if (c.ArgCount == 5 && (!Protocol.RespNumbers.TryParseInt64(c.Arg(4), out size) || size < 0)) { c.Reply.Error(positive); return; }
        var db = c.Db;
        var prefix = c.ArgCount >= 4 ? c.Arg(3) : "key"u8;
        // Redis formats the key into a 128-byte buffer: a longer prefix is cut to 127 bytes in all.
        Span<byte> key = stackalloc byte[127];
        Span<byte> text = stackalloc byte[32];
        int prefixLength = Math.Min(prefix.Length, key.Length);
        prefix[..prefixLength].CopyTo(key);
        db.Reserve(db.Count + count);
        for (long j = 0; j < count; j++)
        {
            int k = prefixLength;
            if (k < key.Length) key[k++] = (byte)':';
            j.TryFormat(text, out int digits, default, CultureInfo.InvariantCulture);
            int take = Math.Min(digits, key.Length - k);
            text[..take].CopyTo(key[k..]);
            k += take;
            if (db.Find(key[..k]) >= 0) continue;
            "value:"u8.CopyTo(text);
            j.TryFormat(text[6..], out digits, default, CultureInfo.InvariantCulture);
            int valueLength = 6 + digits;
            byte[] value = size == 0 ? text[..valueLength].ToArray() : new byte[size];
            if (size != 0) text[..(int)Math.Min(valueLength, size)].CopyTo(value);
            db.Add(key[..k], value);
            c.Server.SignalModifiedKey(db, key[..k]);
        }
        c.Reply.Ok();
    }

    /// <summary>DEBUG PROTOCOL type: a sample reply of each RESP3 type (and its RESP2 downgrade).</summary>
    private static void DebugProtocol(Client c)
    {
        var r = c.Reply;
        bool resp3 = r.Resp3;
        if (c.ArgIs(2, "string"u8)) r.Bulk("Hello World"u8);
        else if (c.ArgIs(2, "integer"u8)) r.Integer(12345);
        else if (c.ArgIs(2, "double"u8)) r.Double(3.141);
        else if (c.ArgIs(2, "bignum"u8))
        {
            const string big = "1234567999999999999999999999999999999";
            if (resp3) r.WriteRaw(Encoding.ASCII.GetBytes($"({big}\r\n"));
            else r.Bulk(big);
        }
        else if (c.ArgIs(2, "null"u8)) r.Null();
        else if (c.ArgIs(2, "array"u8) || c.ArgIs(2, "set"u8))
        {
            if (c.ArgIs(2, "set"u8)) r.SetHeader(3); else r.ArrayHeader(3);
            for (int j = 0; j < 3; j++) r.Integer(j);
        }
        else if (c.ArgIs(2, "map"u8))
        {
            r.MapHeader(3);
            for (int j = 0; j < 3; j++)
            {
                r.Integer(j);
                r.Boolean(j == 1);
            }
        }
        else if (c.ArgIs(2, "attrib"u8))
        {
            if (resp3)
            {
                r.WriteRaw("|1\r\n"u8);
                r.Bulk("key-popularity"u8);
                r.ArrayHeader(2);
                r.Bulk("key:123"u8);
                r.Integer(90);
            }
            // An attribute is not a reply: a real one follows it.
            r.Bulk("Some real reply following the attribute"u8);
        }
        else if (c.ArgIs(2, "push"u8))
        {
            if (!resp3) { r.Error("ERR RESP2 is not supported by this command"); return; }
            r.PushHeader(2);
            r.Bulk("server-cpu-usage"u8);
            r.Integer(42);
            r.Bulk("Some real reply following the push reply"u8);
        }
        else if (c.ArgIs(2, "true"u8)) r.Boolean(true);
        else if (c.ArgIs(2, "false"u8)) r.Boolean(false);
        else if (c.ArgIs(2, "verbatim"u8)) r.Verbatim("This is a verbatim\nstring"u8);
        else r.Error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
    }

    /// <summary>DEBUG LISTPACK: the entries of a listpack-encoded hash or sorted set, written to the log (Redis: stdout).</summary>
    private static void DebugListpack(Client c)
    {
        int i = c.Db.Find(c.Arg(2), touch: false);
        if (i < 0) { c.Reply.Error("ERR no such key"); return; }
        ReadOnlySpan<byte> entries;
        switch (c.Db.EntryAt(i).Value)
        {
            case HashValue { IsListpack: true } h: entries = h.PackedEntries; break;
            case SortedSetValue { IsListpack: true } z: entries = z.PackedEntries; break;
            default: c.Reply.Error("ERR Not a listpack encoded object."); return;
        }
        var sb = new StringBuilder();
        int count = 0;
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        for (int p = 0; p < entries.Length; p += ListpackEntry.SizeAt(entries, p)) count++;
        sb.Append(CultureInfo.InvariantCulture,
            $"{{total bytes {entries.Length + Persistence.Listpack.HeaderSize + 1}}} {{num entries {count}}}\n");
        int index = 0;
        for (int p = 0; p < entries.Length; p += ListpackEntry.SizeAt(entries, p), index++)
        {
            var v = ListpackEntry.Read(entries, p, scratch);
            sb.Append(CultureInfo.InvariantCulture,
                $"{{\n\tindex: {index},\n\toffset: {p + Persistence.Listpack.HeaderSize},\n\thdr+entrylen+backlen: {ListpackEntry.SizeAt(entries, p)},\n\tpayload: \"{Encoding.UTF8.GetString(v)}\"\n}}\n");
        }
        sb.Append("{end}");
        c.Server.Log.Info(sb.ToString());
        c.Reply.SimpleString("Listpack structure printed on stdout"u8);
    }

    /// <summary>DEBUG STRINGMATCH-TEST: random patterns against random strings, as Redis' stringmatchlen fuzzer.</summary>
    private static void DebugStringMatchTest(Client c)
    {
        var rng = new Random();
        Span<byte> str = stackalloc byte[32];
        Span<byte> pat = stackalloc byte[32];
        long matches = 0;
        for (int cycle = 0; cycle < 1_000_000; cycle++)
        {
            int strLen = rng.Next(str.Length), patLen = rng.Next(pat.Length);
            for (int j = 0; j < strLen; j++) str[j] = (byte)rng.Next(128);
            for (int j = 0; j < patLen; j++) pat[j] = (byte)rng.Next(128);
            if (Glob.Match(pat[..patLen], str[..strLen])) matches++;
        }
        c.Server.Log.Info($"Total matches: {matches}");
        c.Reply.SimpleString("Apparently Redis did not crash: test passed"u8);
    }

    /// <summary>DEBUG JMAP: what the collector holds, per generation, instead of a Java heap histogram.</summary>
    private static string HeapSummary()
    {
        var info = GC.GetGCMemoryInfo();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"heap_size_bytes:{info.HeapSizeBytes}\r\n");
        sb.Append(CultureInfo.InvariantCulture, $"committed_bytes:{info.TotalCommittedBytes}\r\n");
        sb.Append(CultureInfo.InvariantCulture, $"fragmented_bytes:{info.FragmentedBytes}\r\n");
        sb.Append(CultureInfo.InvariantCulture, $"total_allocated_bytes:{GC.GetTotalAllocatedBytes()}\r\n");
        string[] names = ["gen0", "gen1", "gen2", "loh", "poh"];
        var generations = info.GenerationInfo;
        for (int g = 0; g < generations.Length && g < names.Length; g++)
            sb.Append(CultureInfo.InvariantCulture,
                $"{names[g]}_size_after_bytes:{generations[g].SizeAfterBytes} {names[g]}_fragmentation_after_bytes:{generations[g].FragmentationAfterBytes}\r\n");
        for (int g = 0; g <= GC.MaxGeneration; g++)
            sb.Append(CultureInfo.InvariantCulture, $"gen{g}_collections:{GC.CollectionCount(g)}\r\n");
        sb.Append(CultureInfo.InvariantCulture, $"pause_time_percentage:{info.PauseTimePercentage:F2}\r\n");
        return sb.ToString();
    }
}
