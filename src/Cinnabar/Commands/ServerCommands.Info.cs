using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Cinnabar.Config;

namespace Cinnabar.Commands;

/// <summary>INFO: the sections, field names and order of Redis 7.0 (fields we cannot know are reported as Redis' idle values).</summary>
public static partial class ServerCommands
{
    /// <summary>Sections of INFO / INFO default, in output order.</summary>
    private static readonly string[] DefaultSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"];
    /// <summary>INFO all / everything add commandstats and latencystats (7.0 order).</summary>
    private static readonly string[] AllSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"];

    private static void Info(Client c)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        if (c.ArgCount == 1) wanted.UnionWith(DefaultSections);
        for (int i = 1; i < c.ArgCount; i++)
        {
            var s = c.ArgString(i).ToLowerInvariant();
            if (s == "default") wanted.UnionWith(DefaultSections);
            else if (s is "all" or "everything") wanted.UnionWith(AllSections);
            else wanted.Add(s);
        }
        c.Reply.Verbatim(BuildInfo(c.Server, wanted));
    }

    /// <summary>The INFO text for the requested sections (lower-case names).</summary>
    public static string BuildInfo(CinnabarServer server, ISet<string> wanted)
    {
        var sb = new StringBuilder();
        foreach (var name in AllSections)
        {
            if (!wanted.Contains(name)) continue;
            if (sb.Length > 0) sb.Append("\r\n");
            AppendSection(server, name, sb);
        }
        return sb.ToString();
    }

    private static void AppendSection(CinnabarServer s, string name, StringBuilder sb)
    {
        var inv = CultureInfo.InvariantCulture;
        void F(string key, object value) => sb.Append(key).Append(':').Append(Convert.ToString(value, inv)).Append("\r\n");
        long now = Keyspace.KeyspaceState.WallClockMs();
        switch (name)
        {
            case "server":
            {
                sb.Append("# Server\r\n");
                long uptime = (now - s.StartTimeMs) / 1000;
                F("redis_version", CinnabarServer.RedisVersion);
                F("redis_git_sha1", "00000000");
                F("redis_git_dirty", 0);
                F("redis_build_id", "0");
                F("redis_mode", "standalone");
                F("os", OsDescription);
                F("arch_bits", IntPtr.Size * 8);
                F("monotonic_clock", "POSIX clock_gettime");
                F("multiplexing_api", "epoll");
                F("atomicvar_api", "c11-builtin");
                F("gcc_version", "0.0.0");
                F("process_id", Environment.ProcessId);
                F("process_supervised", "no");
                F("run_id", s.RunId);
                F("tcp_port", s.Port);
                F("server_time_usec", now * 1000);
                F("uptime_in_seconds", uptime);
                F("uptime_in_days", uptime / 86400);
                F("hz", s.Config.Hz);
                F("configured_hz", s.Config.Hz);
                F("lru_clock", now / 1000 & ((1 << 24) - 1));
                F("executable", Environment.ProcessPath ?? "");
                F("config_file", s.Config.ConfigFile ?? "");
                F("io_threads_active", 0);
                break;
            }
            case "clients":
            {
                int blocked = 0, pubsub = 0;
                foreach (var cl in s.Clients)
                {
                    if ((cl.Flags & ClientFlags.Blocked) != 0) blocked++;
                    if (cl.IsSubscribed) pubsub++;
                }
                sb.Append("# Clients\r\n");
                F("connected_clients", s.Clients.Count(x => (x.Flags & ClientFlags.Replica) == 0));
                F("cluster_connections", 0);
                F("maxclients", s.Config.MaxClients);
                F("client_recent_max_input_buffer", 0);
                F("client_recent_max_output_buffer", 0);
                F("blocked_clients", blocked);
                F("tracking_clients", s.Tracking.TrackingClients);
                F("clients_in_timeout_table", blocked);
                break;
            }
            case "memory":
            {
                // used_memory is Cinnabar's own running total (docs/memory.md), not the managed heap.
                var mem = s.Memory;
                mem.RefreshClients();
                long used = mem.UsedMemory;
                long rss = Environment.WorkingSet;
                long peak = s.TrackPeak(used);
                long startup = mem.StartupBytes, backlog = mem.BacklogBytes;
                long overhead = Math.Min(used, startup + backlog + mem.ClientsNormalBytes + mem.ClientsReplicaBytes + mem.TablesOverhead());
                long dataset = used - overhead;
                sb.Append("# Memory\r\n");
                F("used_memory", used);
                F("used_memory_human", HumanBytes(used));
                F("used_memory_rss", rss);
                F("used_memory_rss_human", HumanBytes(rss));
                F("used_memory_peak", peak);
                F("used_memory_peak_human", HumanBytes(peak));
                F("used_memory_peak_perc", (peak == 0 ? 0 : used * 100.0 / peak).ToString("0.00", inv) + "%");
                F("used_memory_overhead", overhead);
                F("used_memory_startup", startup);
                F("used_memory_dataset", dataset);
                F("used_memory_dataset_perc", (used - startup <= 0 ? 0 : dataset * 100.0 / (used - startup)).ToString("0.00", inv) + "%");
                F("allocator_allocated", used);
                F("allocator_active", used);
                F("allocator_resident", rss);
                long total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
                F("total_system_memory", total);
                F("total_system_memory_human", HumanBytes(total));
                var scripting = s.Scripting;
                long vmEval = scripting.EvalMemory, vmFunctions = scripting.Functions.Lua.ApproximateMemoryBytes;
                long scriptsEval = scripting.ScriptBodiesBytes, functionsBytes = scripting.Functions.CodeBytes;
                F("used_memory_lua", vmEval);
                F("used_memory_vm_eval", vmEval);
                F("used_memory_lua_human", HumanBytes(vmEval));
                F("used_memory_scripts_eval", scriptsEval);
                F("number_of_cached_scripts", scripting.CachedScripts);
                F("number_of_functions", scripting.Functions.FunctionCount);
                F("number_of_libraries", scripting.Functions.LibraryCount);
                F("used_memory_vm_functions", vmFunctions);
                F("used_memory_vm_total", vmEval + vmFunctions);
                F("used_memory_vm_total_human", HumanBytes(vmEval + vmFunctions));
                F("used_memory_functions", functionsBytes);
                F("used_memory_scripts", scriptsEval + functionsBytes);
                F("used_memory_scripts_human", HumanBytes(scriptsEval + functionsBytes));
                F("maxmemory", s.Config.MaxMemory);
                F("maxmemory_human", HumanBytes(s.Config.MaxMemory));
                F("maxmemory_policy", s.Config.MaxMemoryPolicy.Name());
                F("allocator_frag_ratio", "1.00");
                F("allocator_frag_bytes", 0);
                F("allocator_rss_ratio", "1.00");
                F("allocator_rss_bytes", 0);
                F("rss_overhead_ratio", "1.00");
                F("rss_overhead_bytes", 0);
                F("mem_fragmentation_ratio", (used == 0 ? 0 : (double)rss / used).ToString("0.00", inv));
                F("mem_fragmentation_bytes", rss - used);
                F("mem_not_counted_for_evict", mem.NotCountedForEvict);
                F("mem_replication_backlog", backlog);
                F("mem_total_replication_buffers", backlog + mem.ClientsReplicaBytes);
                F("mem_clients_slaves", mem.ClientsReplicaBytes);
                F("mem_clients_normal", mem.ClientsNormalBytes);
                F("mem_cluster_links", 0);
                F("mem_aof_buffer", 0);
                F("mem_allocator", "libc");
                F("active_defrag_running", 0);
                // Nothing waits: a dropped value is the collector's, reclaimed concurrently.
                F("lazyfree_pending_objects", 0);
                F("lazyfreed_objects", s.KeyspaceState.LazyfreedObjects);
                break;
            }
            case "persistence":
            {
                var p = s.Persistence;
                sb.Append("# Persistence\r\n");
                F("loading", 0);
                F("async_loading", 0);
                F("current_cow_peak", 0);
                F("current_cow_size", 0);
                F("current_cow_size_age", 0);
                F("current_fork_perc", "0.00");
                F("current_save_keys_processed", 0);
                F("current_save_keys_total", p.BgsaveInProgress ? p.CurrentSaveKeysTotal : 0);
                F("rdb_changes_since_last_save", s.Persistence.Dirty);
                F("rdb_bgsave_in_progress", p.BgsaveInProgress ? 1 : 0);
                F("rdb_last_save_time", s.Persistence.LastSaveTimeMs / 1000);
                F("rdb_last_bgsave_status", p.LastBgsaveOk ? "ok" : "err");
                F("rdb_last_bgsave_time_sec", p.LastBgsaveDurationSec);
                F("rdb_current_bgsave_time_sec", p.BgsaveInProgress ? (now - p.CurrentBgsaveStartMs) / 1000 : -1);
                F("rdb_saves", p.Saves);
                F("rdb_last_cow_size", 0);
                F("rdb_last_load_keys_expired", p.LastLoadKeysExpired);
                F("rdb_last_load_keys_loaded", p.LastLoadKeysLoaded);
                var aof = s.Aof;
                F("aof_enabled", aof.State != Persistence.AofState.Off ? 1 : 0);
                F("aof_rewrite_in_progress", aof.RewriteInProgress ? 1 : 0);
                F("aof_rewrite_scheduled", aof.RewriteScheduled ? 1 : 0);
                F("aof_last_rewrite_time_sec", aof.LastRewriteSeconds);
                F("aof_current_rewrite_time_sec", aof.RewriteInProgress ? (now - aof.RewriteStartMs) / 1000 : -1);
                F("aof_last_bgrewrite_status", aof.LastBgrewriteOk ? "ok" : "err");
                F("aof_rewrites", aof.Rewrites);
                F("aof_rewrites_consecutive_failures", aof.ConsecutiveRewriteFailures);
                F("aof_last_write_status", aof.LastWriteOk && aof.LastFsyncOk ? "ok" : "err");
                F("aof_last_cow_size", 0);
                F("module_fork_in_progress", 0);
                F("module_fork_last_cow_size", 0);
                if (aof.State == Persistence.AofState.On)
                {
                    F("aof_current_size", aof.CurrentSize);
                    F("aof_base_size", aof.BaseSize);
                    F("aof_pending_rewrite", aof.RewriteScheduled ? 1 : 0);
                    F("aof_buffer_length", aof.BufferLength);
                    F("aof_pending_bio_fsync", 0);
                    F("aof_delayed_fsync", aof.DelayedFsyncs);
                }
                break;
            }
            case "stats":
            {
                var st = s.Stats;
                var ks = s.KeyspaceState;
                sb.Append("# Stats\r\n");
                F("total_connections_received", st.TotalConnectionsReceived);
                F("total_commands_processed", st.TotalCommandsProcessed);
                F("instantaneous_ops_per_sec", st.InstantaneousOps);
                F("total_net_input_bytes", Interlocked.Read(ref st.NetInputBytes));
                F("total_net_output_bytes", Interlocked.Read(ref st.NetOutputBytes));
                F("total_net_repl_input_bytes", 0);
                F("total_net_repl_output_bytes", 0);
                F("instantaneous_input_kbps", "0.00");
                F("instantaneous_output_kbps", "0.00");
                F("instantaneous_input_repl_kbps", "0.00");
                F("instantaneous_output_repl_kbps", "0.00");
                F("rejected_connections", st.RejectedConnections);
                F("sync_full", st.SyncFull);
                F("sync_partial_ok", st.SyncPartialOk);
                F("sync_partial_err", st.SyncPartialErr);
                F("expired_keys", ks.ExpiredKeys);
                F("expired_stale_perc", "0.00");
                F("expired_time_cap_reached_count", 0);
                F("expire_cycle_cpu_milliseconds", st.ExpireCycleCpuMilliseconds);
                F("evicted_keys", st.EvictedKeys);
                F("evicted_clients", s.Memory.EvictedClients);
                F("total_eviction_exceeded_time", s.Memory.TotalExceededMs);
                F("current_eviction_exceeded_time", s.Memory.CurrentExceededMs);
                F("keyspace_hits", ks.Hits);
                F("keyspace_misses", ks.Misses);
                F("pubsub_channels", s.PubSub.ChannelCount);
                F("pubsub_patterns", s.PubSub.PatternCount);
                F("pubsubshard_channels", 0);
                F("latest_fork_usec", 0);
                F("total_forks", 0);
                F("migrate_cached_sockets", 0);
                F("slave_expires_tracked_keys", 0);
                F("active_defrag_hits", 0);
                F("active_defrag_misses", 0);
                F("active_defrag_key_hits", 0);
                F("active_defrag_key_misses", 0);
                F("total_active_defrag_time", 0);
                F("current_active_defrag_time", 0);
                F("tracking_total_keys", s.Tracking.TotalKeys);
                F("tracking_total_items", s.Tracking.TotalItems);
                F("tracking_total_prefixes", s.Tracking.TotalPrefixes);
                F("unexpected_error_replies", 0);
                F("total_error_replies", st.TotalErrorReplies);
                F("dump_payload_sanitizations", 0);
                F("total_reads_processed", st.TotalCommandsProcessed);
                F("total_writes_processed", st.TotalCommandsProcessed);
                F("io_threaded_reads_processed", 0);
                F("io_threaded_writes_processed", 0);
                F("reply_buffer_shrinks", 0);
                F("reply_buffer_expands", 0);
                break;
            }
            case "replication":
                sb.Append("# Replication\r\n").Append(s.Replication.InfoSection());
                break;
            case "cpu":
            {
                var proc = Process.GetCurrentProcess();
                sb.Append("# CPU\r\n");
                F("used_cpu_sys", proc.PrivilegedProcessorTime.TotalSeconds.ToString("0.000000", inv));
                F("used_cpu_user", proc.UserProcessorTime.TotalSeconds.ToString("0.000000", inv));
                F("used_cpu_sys_children", "0.000000");
                F("used_cpu_user_children", "0.000000");
                F("used_cpu_sys_main_thread", proc.PrivilegedProcessorTime.TotalSeconds.ToString("0.000000", inv));
                F("used_cpu_user_main_thread", proc.UserProcessorTime.TotalSeconds.ToString("0.000000", inv));
                break;
            }
            case "modules":
                sb.Append("# Modules\r\n");
                break;
            case "commandstats":
                sb.Append("# Commandstats\r\n");
                foreach (var cmd in s.Commands.All)
                {
                    AppendCommandStats(cmd, sb);
                    if (cmd.Subcommands is not null)
                        foreach (var sub in cmd.Subcommands) AppendCommandStats(sub, sb);
                }
                break;
            case "errorstats":
                sb.Append("# Errorstats\r\n");
                foreach (var (code, count) in s.Stats.ErrorCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    sb.Append("errorstat_").Append(code).Append(":count=").Append(count).Append("\r\n");
                break;
            case "latencystats":
                sb.Append("# Latencystats\r\n");
                if (!s.Config.LatencyTracking) break;
                foreach (var cmd in s.Commands.All)
                {
                    AppendLatencyPercentiles(cmd, s.Config.LatencyTrackingInfoPercentiles, sb);
                    if (cmd.Subcommands is not null)
                        foreach (var sub in cmd.Subcommands) AppendLatencyPercentiles(sub, s.Config.LatencyTrackingInfoPercentiles, sb);
                }
                break;
            case "cluster":
                sb.Append("# Cluster\r\n");
                F("cluster_enabled", 0);
                break;
            case "keyspace":
                sb.Append("# Keyspace\r\n");
                foreach (var db in s.Databases)
                {
                    if (db.Count == 0) continue;
                    sb.Append("db").Append(db.Id).Append(":keys=").Append(db.Count).Append(",expires=").Append(db.ExpiresCount).Append(",avg_ttl=0\r\n");
                }
                break;
        }
    }

    /// <summary>uname's "sysname release machine", as Redis prints it ("Linux 6.1.0-13-amd64 x86_64").</summary>
    private static readonly string OsDescription = DescribeOs();

    private static string DescribeOs()
    {
        string arch = RuntimeInformation.OSArchitecture switch { Architecture.X64 => "x86_64", Architecture.Arm64 => "aarch64", var a => a.ToString().ToLowerInvariant() };
        string release = Environment.OSVersion.Version.ToString();
        try { if (OperatingSystem.IsLinux()) release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(); } catch (IOException) { }
        string name = OperatingSystem.IsLinux() ? "Linux" : OperatingSystem.IsMacOS() ? "Darwin" : RuntimeInformation.OSDescription.Split(' ')[0];
        return $"{name} {release} {arch}";
    }

    /// <summary>
    /// latency_percentiles_usec_&lt;command&gt;:p50=..,p99=..,p99.9=.. from the command's histogram, for the
    /// percentiles of latency-tracking-info-percentiles, each the upper bound of the bucket it falls in.
    /// </summary>
    private static void AppendLatencyPercentiles(CommandDef cmd, double[] percentiles, StringBuilder sb)
    {
        if (cmd.LatencyBuckets is not { } buckets) return;
        long total = buckets.Sum();
        if (total == 0) return;
        sb.Append("latency_percentiles_usec_").Append(cmd.FullName).Append(':');
        var wanted = percentiles.Select(p => (Label: p.ToString(System.Globalization.CultureInfo.InvariantCulture), Percent: p)).ToArray();
        for (int j = 0; j < wanted.Length; j++)
        {
            long rank = Math.Max(1, (long)Math.Ceiling(wanted[j].Percent / 100 * total));
            long cumulative = 0;
            int bucket = 0;
            for (; bucket < buckets.Length - 1; bucket++)
            {
                cumulative += buckets[bucket];
                if (cumulative >= rank) break;
            }
            double micros = ((1032L << bucket) - 1) / 1000.0;
            sb.Append('p').Append(wanted[j].Label).Append('=').Append(micros.ToString("F3", System.Globalization.CultureInfo.InvariantCulture));
            if (j < wanted.Length - 1) sb.Append(',');
        }
        sb.Append("\r\n");
    }

    private static void AppendCommandStats(CommandDef cmd, StringBuilder sb)
    {
        if (cmd.Calls == 0 && cmd.FailedCalls == 0 && cmd.RejectedCalls == 0) return;
        double perCall = cmd.Calls == 0 ? 0 : (double)cmd.Microseconds / cmd.Calls;
        sb.Append("cmdstat_").Append(cmd.FullName).Append(":calls=").Append(cmd.Calls)
          .Append(",usec=").Append(cmd.Microseconds)
          .Append(",usec_per_call=").Append(perCall.ToString("0.00", CultureInfo.InvariantCulture))
          .Append(",rejected_calls=").Append(cmd.RejectedCalls)
          .Append(",failed_calls=").Append(cmd.FailedCalls).Append("\r\n");
    }

    /// <summary>Redis' bytesToHuman: B, K, M, G... with two decimals.</summary>
    public static string HumanBytes(long n)
    {
        var inv = CultureInfo.InvariantCulture;
        double d = n;
        if (n < 1024) return n.ToString(inv) + "B";
        string[] units = ["K", "M", "G", "T", "P", "E"];
        int u = -1;
        while (d >= 1024 && u < units.Length - 1) { d /= 1024; u++; }
        return d.ToString("0.00", inv) + units[u];
    }
}
