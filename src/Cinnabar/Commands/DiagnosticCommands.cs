using System.Text;
using Cinnabar.DataTypes;

namespace Cinnabar.Commands;

/// <summary>
/// SLOWLOG, LATENCY and MEMORY: the server's own diagnostics, with Redis 7.0's replies, help texts and
/// errors. The data behind them lives in Server/SlowLog.cs, Server/LatencyMonitor.cs, the per-command
/// histograms of <see cref="CommandDef"/> and each value's MemoryUsage.
/// </summary>
public static class DiagnosticCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("monitor", Monitor);
        yield return new("slowlog|reset", SlowlogReset);
        yield return new("slowlog|help", c => ServerCommands.WriteHelp(c, "SLOWLOG", SlowlogHelp));
        yield return new("slowlog|len", c => c.Reply.Integer(c.Server.SlowLog.Count));
        yield return new("slowlog|get", SlowlogGet);
        yield return new("latency|doctor", LatencyDoctor);
        yield return new("latency|graph", LatencyGraph);
        yield return new("latency|help", c => ServerCommands.WriteHelp(c, "LATENCY", LatencyHelp));
        yield return new("latency|history", LatencyHistory);
        yield return new("latency|latest", LatencyLatest);
        yield return new("latency|reset", LatencyReset);
        yield return new("latency|histogram", LatencyHistogram);
        yield return new("memory|doctor", MemoryDoctor);
        yield return new("memory|malloc-stats", c => c.Reply.Bulk("Stats not supported for the current allocator"u8));
        yield return new("memory|stats", MemoryStats);
        yield return new("memory|help", c => ServerCommands.WriteHelp(c, "MEMORY", MemoryHelp));
        yield return new("memory|usage", MemoryUsage);
        yield return new("memory|purge", MemoryPurge);
    }

    /// <summary>MONITOR: from now on the client receives every command others execute (Redis' monitorCommand).</summary>
    private static void Monitor(Client c)
    {
        // Inside MULTI/EXEC (or a script) a client expects one reply per command, so it cannot start streaming.
        if (c.DenyBlocking) { c.Reply.Error("ERR MONITOR isn't allowed for DENY BLOCKING client"); return; }
        if ((c.Flags & ClientFlags.Replica) != 0) return; // a replica asking is ignored, as in Redis
        c.Server.Monitors.Add(c);
        c.Reply.Ok();
    }

    // ---- SLOWLOG ----

    /// <summary>The subcommand lines of SLOWLOG HELP (WriteHelp adds the header and HELP itself).</summary>
    private static readonly string[] SlowlogHelp =
    [
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
    ];

    private static void SlowlogReset(Client c)
    {
        c.Server.SlowLog.Reset();
        c.Reply.Ok();
    }

    private static void SlowlogGet(Client c)
    {
        long count = 10;
        if (c.ArgCount > 3)
        {
            c.Reply.Error($"ERR unknown subcommand or wrong number of arguments for '{c.ArgString(1)}'. Try SLOWLOG HELP.");
            return;
        }
        if (c.ArgCount == 3 && (!Protocol.RespNumbers.TryParseInt64(c.Arg(2), out count) || count < -1))
        {
            c.Reply.Error("ERR count should be greater than or equal to -1");
            return;
        }
        var log = c.Server.SlowLog;
        if (count == -1) count = log.Count;
        var entries = log.Newest(count).ToList();
        c.Reply.ArrayHeader(entries.Count);
        foreach (var e in entries)
        {
            c.Reply.ArrayHeader(6);
            c.Reply.Integer(e.Id);
            c.Reply.Integer(e.UnixSeconds);
            c.Reply.Integer(e.Microseconds);
            c.Reply.ArrayHeader(e.Args.Length);
            foreach (var arg in e.Args) c.Reply.Bulk(arg);
            c.Reply.Bulk(e.Peer);
            c.Reply.Bulk(e.ClientName);
        }
    }

    // ---- LATENCY ----

    private static readonly string[] LatencyHelp =
    [
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
        "    If no commands are specified then all histograms are replied.",
    ];

    private static void LatencyLatest(Client c)
    {
        var events = c.Server.Latency.Events;
        c.Reply.ArrayHeader(events.Count);
        foreach (var (name, series) in events)
        {
            var latest = series.Latest;
            c.Reply.ArrayHeader(4);
            c.Reply.Bulk(name);
            c.Reply.Integer(latest.Time);
            c.Reply.Integer(latest.Latency);
            c.Reply.Integer(series.Max);
        }
    }

    private static void LatencyHistory(Client c)
    {
        if (!c.Server.Latency.Events.TryGetValue(c.ArgString(2), out var series)) { c.Reply.ArrayHeader(0); return; }
        var samples = series.History().ToList();
        c.Reply.ArrayHeader(samples.Count);
        foreach (var (time, latency) in samples)
        {
            c.Reply.ArrayHeader(2);
            c.Reply.Integer(time);
            c.Reply.Integer(latency);
        }
    }

    private static void LatencyReset(Client c)
    {
        var names = new List<string>();
        for (int i = 2; i < c.ArgCount; i++) names.Add(c.ArgString(i));
        c.Reply.Integer(c.Server.Latency.Reset(names));
    }

    /// <summary>Redis' sparkline graph, simplified to one row of samples scaled to the event's maximum.</summary>
    private static void LatencyGraph(Client c)
    {
        string name = c.ArgString(2);
        if (!c.Server.Latency.Events.TryGetValue(name, out var series))
        {
            c.Reply.Error($"ERR No samples available for event '{name}'");
            return;
        }
        var samples = series.History().ToList();
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var sb = new StringBuilder();
        sb.Append($"{name} - high {samples.Max(s => s.Latency)} ms, low {samples.Min(s => s.Latency)} ms (all time high {series.Max} ms)\n");
        sb.Append(new string('-', 80)).Append('\n');
        const string levels = "_.-o#";
        foreach (var (_, latency) in samples)
            sb.Append(levels[(int)Math.Min(levels.Length - 1, latency * (levels.Length - 1) / Math.Max(1, series.Max))]);
        sb.Append('\n');
        foreach (var (time, _) in samples) sb.Append(Age(now - time)[0]);
        sb.Append('\n');
        c.Reply.Verbatim(sb.ToString());
    }

    private static string Age(long seconds) => seconds < 60 ? $"{seconds}s" : seconds < 3600 ? $"{seconds / 60}m" : $"{seconds / 3600}h";

    private static void LatencyDoctor(Client c)
    {
        var s = c.Server;
        string report;
        if (s.Config.LatencyMonitorThreshold == 0 && s.Latency.Events.Count == 0)
            report = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
        else if (s.Latency.Events.Count == 0)
            report = "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep better tonight.\n";
        else
        {
            var sb = new StringBuilder("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
            int i = 1;
            foreach (var (name, series) in s.Latency.Events)
            {
                var samples = series.History().ToList();
                sb.Append($"{i++}. {name}: {samples.Count} latency spikes (average {(long)samples.Average(x => x.Latency)}ms, mean deviation {(long)samples.Average(x => Math.Abs(x.Latency - samples.Average(y => y.Latency)))}ms, period {Period(samples)} sec). Worst all time event {series.Max}ms.\n");
            }
            sb.Append("\nI have a few advices for you:\n\n- Check your slow log with SLOWLOG GET: commands that take long block every other client.\n");
            report = sb.ToString();
        }
        c.Reply.Verbatim(report);
    }

    private static long Period(List<(long Time, long Latency)> samples) =>
        samples.Count < 2 ? 0 : (samples[^1].Time - samples[0].Time) / (samples.Count - 1);

    /// <summary>LATENCY HISTOGRAM [command ...]: calls and cumulative counts per bucket, for commands called since the last CONFIG RESETSTAT.</summary>
    private static void LatencyHistogram(Client c)
    {
        var selected = new List<CommandDef>();
        var table = c.Server.Commands;
        void AddWithSubcommands(CommandDef cmd)
        {
            if (cmd.LatencyBuckets is not null && !selected.Contains(cmd)) selected.Add(cmd);
            foreach (var sub in cmd.Subcommands ?? []) if (sub.LatencyBuckets is not null && !selected.Contains(sub)) selected.Add(sub);
        }
        if (c.ArgCount == 2)
        {
            foreach (var cmd in table.All) AddWithSubcommands(cmd);
        }
        else
        {
            for (int i = 2; i < c.ArgCount; i++)
            {
                var name = c.ArgString(i).ToLowerInvariant();
                int bar = name.IndexOf('|');
                var cmd = table.Find(Encoding.UTF8.GetBytes(bar < 0 ? name : name[..bar]));
                if (cmd is not null && bar >= 0) cmd = cmd.Subcommands?.FirstOrDefault(s => s.Name == name[(bar + 1)..]);
                if (cmd is null) continue;
                if (bar >= 0) { if (cmd.LatencyBuckets is not null && !selected.Contains(cmd)) selected.Add(cmd); }
                else AddWithSubcommands(cmd);
            }
        }
        c.Reply.MapHeader(selected.Count);
        foreach (var cmd in selected)
        {
            var buckets = cmd.LatencyBuckets!;
            c.Reply.Bulk(cmd.FullName);
            c.Reply.MapHeader(2);
            c.Reply.Bulk("calls"u8);
            c.Reply.Integer(buckets.Sum());
            c.Reply.Bulk("histogram_usec"u8);
            c.Reply.MapHeader(buckets.Count(b => b > 0));
            long cumulative = 0;
            for (int i = 0; i < buckets.Length; i++)
            {
                if (buckets[i] == 0) continue;
                cumulative += buckets[i];
                c.Reply.Integer(CommandDef.LatencyBucketMicros(i));
                c.Reply.Integer(cumulative);
            }
        }
    }

    // ---- MEMORY ----

    private static readonly string[] MemoryHelp =
    [
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
    ];

    /// <summary>Size of a key table entry (KeyEntry) that MEMORY USAGE adds to the key and value, as Redis adds its dictEntry.</summary>
    private const int KeyEntryBytes = 32;

    private static void MemoryUsage(Client c)
    {
        long samples = 5;
        for (int j = 3; j < c.ArgCount; j++)
        {
            if (c.ArgIs(j, "samples"u8) && j + 1 < c.ArgCount)
            {
                if (!c.TryGetLong(j + 1, out samples)) return;
                if (samples < 0) { c.SyntaxError(); return; }
                j++;
            }
            else { c.SyntaxError(); return; }
        }
        var key = c.Arg(2);
        int i = c.Db.Find(key, touch: false);
        if (i < 0) { c.Reply.Null(); return; }
        ref var entry = ref c.Db.EntryAt(i);
        int sampleCount = samples == 0 || samples > int.MaxValue ? 0 : (int)samples;
        c.Reply.Integer(MemorySize.Bytes(entry.Key) + KeyEntryBytes + RedisValue.MemoryUsage(entry.Value!, sampleCount));
    }

    /// <summary>Redis' getMemoryOverheadData, in the runtime's terms: the GC heap is the allocator.</summary>
    private sealed record Overheads(long Peak, long Total, long Startup, long Backlog, long Replicas, long Clients, long[] MainTables, long OverheadTotal, long Keys)
    {
        public long NetUsage => Math.Max(0, Total - Startup);
        public long Dataset => Math.Max(0, Total - OverheadTotal);
    }

    private static Overheads Measure(CinnabarServer s)
    {
        // Cinnabar's running total (docs/memory.md): the same figures as INFO memory.
        var mem = s.Memory;
        mem.RefreshClients();
        long total = mem.UsedMemory;
        long peak = s.TrackPeak(total);
        long backlog = mem.BacklogBytes, clients = mem.ClientsNormalBytes, replicas = mem.ClientsReplicaBytes;
        var tables = s.Databases.Select(db => db.Count == 0 ? 0 : db.Table.OverheadBytes).ToArray();
        long overhead = Math.Min(total, mem.StartupBytes + backlog + clients + replicas + mem.TablesOverhead());
        long keys = s.Databases.Sum(db => (long)db.Count);
        return new Overheads(peak, total, mem.StartupBytes, backlog, replicas, clients, tables, overhead, keys);
    }

    private static void MemoryStats(Client c)
    {
        var s = c.Server;
        var m = Measure(s);
        var gc = GC.GetGCMemoryInfo();
        long committed = Math.Max(m.Total, gc.TotalCommittedBytes);
        long rss = Environment.WorkingSet;
        int dbs = m.MainTables.Count(t => t > 0);
        var r = c.Reply;
        r.MapHeader(27 + dbs);
        void Field(string name, long value) { r.Bulk(name); r.Integer(value); }
        void Ratio(string name, double value) { r.Bulk(name); r.Double((float)value); }
        Field("peak.allocated", m.Peak);
        Field("total.allocated", m.Total);
        Field("startup.allocated", m.Startup);
        Field("replication.backlog", m.Backlog);
        Field("clients.slaves", m.Replicas);
        Field("clients.normal", m.Clients);
        Field("cluster.links", 0);
        Field("aof.buffer", 0);
        Field("lua.caches", 0);
        Field("functions.caches", 0);
        for (int i = 0; i < m.MainTables.Length; i++)
        {
            if (m.MainTables[i] == 0) continue;
            r.Bulk("db." + i);
            r.MapHeader(3);
            Field("overhead.hashtable.main", m.MainTables[i]);
            Field("overhead.hashtable.expires", 0); // expiry times live in the key entries
            Field("overhead.hashtable.slot-to-keys", 0);
        }
        Field("overhead.total", m.OverheadTotal);
        Field("keys.count", m.Keys);
        Field("keys.bytes-per-key", m.Keys == 0 ? 0 : m.NetUsage / m.Keys);
        Field("dataset.bytes", m.Dataset);
        Ratio("dataset.percentage", m.NetUsage == 0 ? 0 : 100.0 * m.Dataset / m.NetUsage);
        Ratio("peak.percentage", m.Peak == 0 ? 0 : 100.0 * m.Total / m.Peak);
        Field("allocator.allocated", m.Total);
        Field("allocator.active", committed);
        Field("allocator.resident", committed);
        Ratio("allocator-fragmentation.ratio", m.Total == 0 ? 0 : (double)committed / m.Total);
        Field("allocator-fragmentation.bytes", committed - m.Total);
        Ratio("allocator-rss.ratio", 1.0);
        Field("allocator-rss.bytes", 0);
        Ratio("rss-overhead.ratio", committed == 0 ? 0 : (double)rss / committed);
        Field("rss-overhead.bytes", rss - committed);
        Ratio("fragmentation", m.Total == 0 ? 0 : (double)rss / m.Total);
        Field("fragmentation.bytes", rss - m.Total);
    }

    private static void MemoryDoctor(Client c)
    {
        var m = Measure(c.Server);
        // Redis reports an instance under 5 MB as empty; here the measure is what was allocated since start-up.
        string report = m.NetUsage < 5 * 1024 * 1024
            ? "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
            : m.Peak > m.Total * 3 / 2
                ? "Sam, I detected a few issues in this Redis instance memory implants:\n\n * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\nI'm here to keep you safe, Sam. I want to help you.\n"
                : "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
        c.Reply.Verbatim(report);
    }

    /// <summary>The runtime's equivalent of purging dirty pages: a full, compacting collection that returns free memory to the system.</summary>
    private static void MemoryPurge(Client c)
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        c.Reply.Ok();
    }
}
