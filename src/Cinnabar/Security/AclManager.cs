using System.Text;
using Cinnabar.Commands;
using Cinnabar.Config;

namespace Cinnabar.Security;

/// <summary>Why a command was refused, in Redis' order of relevance (ACL_DENIED_*).</summary>
public enum AclDenial { None = 0, Command = 1, Key = 2, Auth = 3, Channel = 4 }

/// <summary>
/// The users, authentication and permission checks (Redis' acl.c). Clients point at their user; a client
/// of an unrestricted user that is authenticated has <see cref="Client.SecurityCheck"/> false, so dispatch
/// does nothing more for it than test that one flag.
/// </summary>
public sealed class AclManager
{
    private readonly CinnabarServer _server;
    private readonly SortedDictionary<string, AclUser> _users = new(StringComparer.Ordinal);

    public AclManager(CinnabarServer server)
    {
        _server = server;
        Default = CreateDefaultUser();
        _users[Default.Name] = Default;
        UpdateDefaultPassword(server.Config.RequirePass);
    }

    public AclUser Default { get; }
    public AclLog Log { get; } = new();
    private CommandTable Table => _server.Commands;
    public bool PubSubDefaultAll => _server.Config.AclPubSubDefault == AclPubSubDefault.AllChannels;

    /// <summary>Redis' authRequired: the default user has a password, or is off.</summary>
    public bool AuthRequired => !Default.NoPass || !Default.Enabled;

    public IEnumerable<AclUser> Users => _users.Values;

    public AclUser? Find(string name) => _users.GetValueOrDefault(name);

    private AclUser CreateDefaultUser()
    {
        var u = new AclUser("default", false);
        foreach (var op in new[] { "+@all", "~*", "&*", "on", "nopass" }) u.Apply(Table, op, false);
        return u;
    }

    /// <summary>Redis' ACLUpdateDefaultUserPassword (requirepass at start-up and by CONFIG SET).</summary>
    public void UpdateDefaultPassword(string password)
    {
        Default.Apply(Table, "resetpass", PubSubDefaultAll);
        Default.Apply(Table, password.Length > 0 ? ">" + password : "nopass", PubSubDefaultAll);
        RefreshClients(Default);
    }

    /// <summary>
    /// Applies the config file's <c>user</c> directives (Redis' ACLLoadConfiguredUsers), and the aclfile
    /// when one is configured. Throws <see cref="ConfigException"/> with Redis' message when one is invalid.
    /// </summary>
    public void LoadAtStartup()
    {
        var config = _server.Config;
        if (config.UserDirectives.Count > 0 && config.AclFile.Length > 0)
            throw new ConfigException("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.");
        foreach (var words in config.UserDirectives)
        {
            var error = SetUserFromDirective(words);
            if (error is not null) throw new ConfigException(error + "\nCritical error while loading ACLs. Exiting.");
        }
        if (config.AclFile.Length > 0)
        {
            var error = LoadFile(config.AclFile);
            if (error is not null) throw new ConfigException($"Aborting Redis startup because of ACL errors: {error}");
        }
    }

    private string? SetUserFromDirective(IReadOnlyList<string> words)
    {
        var name = words[0];
        var u = _users.TryGetValue(name, out var existing) ? existing.Clone() : new AclUser(name, PubSubDefaultAll);
        if (name == "default") u.Apply(Table, "reset", PubSubDefaultAll);
        var (args, bad) = MergeSelectorArguments(words.Skip(1).ToList());
        if (args is null) return $"Unmatched parenthesis in acl selector starting at '{bad}'.";
        foreach (var op in args)
        {
            var error = u.Apply(Table, op, PubSubDefaultAll);
            if (error is not null) return $"Error loading ACL rule '{op}' for the user named '{name}': {error}";
        }
        Store(u);
        return null;
    }

    /// <summary>Creates or replaces <paramref name="staged"/>'s user with its settings.</summary>
    public void Store(AclUser staged)
    {
        if (_users.TryGetValue(staged.Name, out var u)) u.CopyFrom(staged);
        else _users[staged.Name] = u = staged;
        RefreshClients(u);
    }

    /// <summary>Recomputes the dispatch flag of the clients of <paramref name="u"/> after its rules changed.</summary>
    public void RefreshClients(AclUser u)
    {
        foreach (var c in _server.Clients)
            if (c.User == u) c.UpdateSecurityCheck();
    }

    /// <summary>Redis' ACLMergeSelectorArguments: "(~x" "+get)" become one "(~x +get)" argument.</summary>
    public static (List<string>? Args, string? Unmatched) MergeSelectorArguments(IReadOnlyList<string> argv)
    {
        var result = new List<string>();
        StringBuilder? selector = null;
        string? open = null;
        foreach (var op in argv)
        {
            if (selector is null && op.Length > 0 && op[0] == '(' && op[^1] != ')')
            {
                selector = new StringBuilder(op);
                open = op;
                continue;
            }
            if (selector is not null)
            {
                selector.Append(' ').Append(op);
                if (op.Length > 0 && op[^1] == ')')
                {
                    result.Add(selector.ToString());
                    selector = null;
                }
                continue;
            }
            result.Add(op);
        }
        return selector is null ? (result, null) : (null, open);
    }

    /// <summary>
    /// Redis' ACLKillPubsubClientsIfNeeded: when SETUSER takes channels away from a user, its clients
    /// subscribed to a channel or pattern no longer allowed are disconnected.
    /// </summary>
    public void KillPubSubClientsIfNeeded(Client caller, AclUser staged, AclUser original)
    {
        if (staged.Selectors.Exists(s => s.AllChannels)) return;
        var allowed = new AclSelector(false);
        foreach (var s in staged.Selectors) foreach (var ch in s.Channels) if (!allowed.Channels.Exists(x => x.AsSpan().SequenceEqual(ch))) allowed.Channels.Add(ch);
        foreach (var c in _server.Clients.Snapshot())
        {
            if (c.User != original || c.Subscriptions is not { } subs || !c.IsSubscribed) continue;
            bool kill = subs.Patterns.Exists(p => !allowed.CheckChannel(p, isPattern: true))
                || subs.Channels.Any(ch => !allowed.CheckChannel(ch, isPattern: false))
                || subs.ShardChannels.Any(ch => !allowed.CheckChannel(ch, isPattern: false));
            if (!kill) continue;
            if (c == caller) c.Flags |= ClientFlags.CloseAfterReply;
            else (c as Networking.ClientConnection)?.Close();
        }
    }

    public bool Delete(string name)
    {
        if (!_users.Remove(name, out var u)) return false;
        KillClientsOf(u);
        return true;
    }

    /// <summary>Closes the connections authenticated as <paramref name="u"/>; the caller's own after its reply.</summary>
    private void KillClientsOf(AclUser u)
    {
        foreach (var c in _server.Clients.Snapshot())
        {
            if (c.User != u) continue;
            if (c == _current) c.Flags |= ClientFlags.CloseAfterReply;
            else (c as Networking.ClientConnection)?.Close();
        }
    }

    /// <summary>The client running the ACL command (it is closed after its reply rather than at once).</summary>
    [ThreadStatic] private static Client? _current;

    internal static void SetCurrent(Client? c) => _current = c;

    // ---- authentication ----------------------------------------------------------------------------

    /// <summary>Redis' ACLAuthenticateUser: on success the client becomes <paramref name="name"/>; on failure the attempt is logged.</summary>
    public bool Authenticate(Client c, string name, ReadOnlySpan<byte> password)
    {
        if (_users.TryGetValue(name, out var u) && u.CheckPassword(password))
        {
            c.User = u;
            c.Authenticated = true;
            c.UpdateSecurityCheck();
            return true;
        }
        AddLogEntry(c, AclDenial.Auth, (c.Flags & ClientFlags.Multi) != 0 ? "multi" : "toplevel", c.Arg(0).ToArray(), name);
        return false;
    }

    /// <summary>A new connection, or RESET: the default user, authenticated when it needs no password (clientSetDefaultAuth).</summary>
    public void SetDefaultAuth(Client c)
    {
        c.User = Default;
        c.Authenticated = Default.NoPass && Default.Enabled;
        c.UpdateSecurityCheck();
    }

    // ---- permission checks ---------------------------------------------------------------------------

    [ThreadStatic] private static List<KeyReference>? _keys;

    /// <summary>
    /// Redis' ACLCheckAllUserCommandPerm on the client's current arguments: OK when one selector allows the
    /// command, its keys and its channels; otherwise the most relevant denial and the argument it concerns.
    /// </summary>
    public AclDenial Check(AclUser? u, CommandDef cmd, Client args, out int position)
    {
        position = 0;
        if (u is null) return AclDenial.None;
        var relevant = AclDenial.Command;
        int lastIdx = 0;
        List<KeyReference>? keys = null;
        foreach (var s in u.Selectors)
        {
            var r = CheckSelector(s, cmd, args, ref keys, out int idx);
            if (r == AclDenial.None) return r;
            if (r > relevant || (r == relevant && idx > lastIdx))
            {
                relevant = r;
                lastIdx = idx;
            }
        }
        position = lastIdx;
        return relevant;
    }

    private static AclDenial CheckSelector(AclSelector s, CommandDef cmd, Client args, ref List<KeyReference>? keys, out int idx)
    {
        idx = 0;
        if (!s.AllCommands && !cmd.HasFlag(CommandFlags.NoAuth) && !s.GetBit(cmd.AclId))
        {
            // Allowed only with a listed first argument (+select|0)?
            if (args.ArgCount < 2 || s.FirstArgs is null || !s.FirstArgs.TryGetValue(cmd.AclId, out var firsts)) return AclDenial.Command;
            var first = Encoding.Latin1.GetString(args.Arg(cmd.Parent is not null ? 2 : 1));
            if (!firsts.Exists(f => string.Equals(f, first, StringComparison.OrdinalIgnoreCase))) return AclDenial.Command;
        }
        if (!s.AllKeys && cmd.HasKeys)
        {
            if (keys is null)
            {
                keys = _keys ??= new List<KeyReference>();
                keys.Clear();
                cmd.GetKeys(args, keys);
            }
            foreach (var k in keys)
            {
                if (!s.CheckKey(args.Arg(k.Position), AclSelector.Needed(k.Flags)))
                {
                    idx = k.Position;
                    return AclDenial.Key;
                }
            }
        }
        if (!s.AllChannels)
        {
            var kind = ChannelArgs(cmd);
            if (kind != ChannelKind.None)
            {
                int last = kind == ChannelKind.Publish ? 1 : args.ArgCount - 1;
                for (int i = 1; i <= last; i++)
                {
                    if (!s.CheckChannel(args.Arg(i), kind == ChannelKind.Pattern))
                    {
                        idx = i;
                        return AclDenial.Channel;
                    }
                }
            }
        }
        return AclDenial.None;
    }

    private enum ChannelKind { None, Publish, Subscribe, Pattern }

    /// <summary>Redis' getChannelsFromCommand for the channel flags ACL checks (publish and subscribe, not unsubscribe).</summary>
    private static ChannelKind ChannelArgs(CommandDef cmd) => cmd.FullName switch
    {
        "publish" or "spublish" => ChannelKind.Publish,
        "subscribe" or "ssubscribe" => ChannelKind.Subscribe,
        "psubscribe" => ChannelKind.Pattern,
        _ => ChannelKind.None,
    };

    /// <summary>Redis' ACLUserCheckCmdWithUnrestrictedKeyAccess (SORT's BY and GET patterns).</summary>
    public bool HasUnrestrictedKeyAccess(Client c, CommandDef cmd, KeyPermission needed)
    {
        var u = c.User;
        if (u is null) return true;
        foreach (var s in u.Selectors)
        {
            List<KeyReference>? keys = null;
            if (CheckSelector(s, cmd, c, ref keys, out _) == AclDenial.None && s.HasUnrestrictedKeyAccess(needed)) return true;
        }
        return false;
    }

    /// <summary>The -NOPERM text of processCommand.</summary>
    public static string DeniedError(AclDenial d, CommandDef cmd) => d switch
    {
        AclDenial.Command => $"NOPERM this user has no permissions to run the '{cmd.FullName}' command",
        AclDenial.Key => "NOPERM this user has no permissions to access one of the keys used as arguments",
        AclDenial.Channel => "NOPERM this user has no permissions to access one of the channels used as arguments",
        _ => "NOPERM no permission",
    };

    /// <summary>Redis' addACLLogEntry for a refused command (the object is the command, key or channel).</summary>
    public void LogDenied(Client c, AclDenial d, CommandDef cmd, int position, string context)
    {
        byte[] obj = d == AclDenial.Command ? Encoding.ASCII.GetBytes(cmd.FullName) : c.Arg(position).ToArray();
        AddLogEntry(c, d, context, obj, null);
    }

    private void AddLogEntry(Client c, AclDenial d, string context, byte[] obj, string? username)
    {
        var reason = d switch
        {
            AclDenial.Command => "command",
            AclDenial.Key => "key",
            AclDenial.Channel => "channel",
            _ => "auth",
        };
        Log.Add(reason, context, obj, username ?? c.User?.Name ?? "default", ConnectionCommands.DescribeClient(c), _server.Config.AclLogMaxLen);
    }

    // ---- ACL LOAD / SAVE ---------------------------------------------------------------------------------

    /// <summary>
    /// Redis' ACLLoadFromFile: every line is checked first, and nothing changes when one is wrong (the
    /// reason names the line). On success the users are replaced, and the clients of the old users other
    /// than default are disconnected, as Redis frees them.
    /// </summary>
    public string? LoadFile(string path)
    {
        string text;
        try { text = File.ReadAllText(path, Encoding.Latin1); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"Error loading ACLs, opening file '{path}': {(e is FileNotFoundException or DirectoryNotFoundException ? "No such file or directory" : e.Message)}";
        }
        var fresh = new SortedDictionary<string, AclUser>(StringComparer.Ordinal);
        var errors = new StringBuilder();
        var lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            // No comments: every non-empty line is a user, as Redis' ACLLoadFromFile.
            var line = lines[n].Trim(' ', '\t', '\r', '\n');
            if (line.Length == 0) continue;
            int lineNo = n + 1;
            var argv = ConfigLoader.SplitArgs(line);
            if (argv is null)
            {
                errors.Append($"{path}:{lineNo}: unbalanced quotes in acl line. ");
                continue;
            }
            if (argv.Count == 0) continue;
            if (argv.Count < 2 || argv[0] != "user")
            {
                errors.Append($"{path}:{lineNo} should start with user keyword followed by the username. ");
                continue;
            }
            // As Redis, the selector merge starts at the user name: "user (~x" is an unmatched parenthesis.
            var (merged, _) = MergeSelectorArguments(argv.Skip(1).ToList());
            if (merged is null)
            {
                errors.Append($"{path}:{lineNo}: Unmatched parenthesis in selector definition.");
                continue;
            }
            var name = merged[0];
            if (name.AsSpan().IndexOfAny(' ', '\0') >= 0)
            {
                errors.Append($"'{path}:{lineNo}: username '{name}' contains invalid characters. ");
                continue;
            }
            if (fresh.ContainsKey(name))
            {
                errors.Append($"WARNING: Duplicate user '{name}' found on line {lineNo}. ");
                continue;
            }
            var ops = merged.Skip(1);
            var u = new AclUser(name, PubSubDefaultAll);
            foreach (var op in ops)
            {
                var error = u.Apply(Table, op, PubSubDefaultAll);
                if (error is not null)
                {
                    errors.Append($"{path}:{lineNo}: Error in applying operation '{op}': {error}. ");
                    break;
                }
            }
            fresh[name] = u;
        }
        if (errors.Length > 0) return errors + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed";
        // The default user object stays (connections point at it); it takes the file's rules, or its defaults.
        var newDefault = fresh.GetValueOrDefault("default") ?? CreateDefaultUser();
        var old = _users.Values.Where(u => u != Default).ToList();
        _users.Clear();
        foreach (var (name, u) in fresh) if (name != "default") _users[name] = u;
        Default.CopyFrom(newDefault);
        _users[Default.Name] = Default;
        foreach (var u in old) KillClientsOf(u);
        RefreshClients(Default);
        return null;
    }

    /// <summary>Redis' ACLSaveToFile: one "user" line per user, written to a temporary file and renamed.</summary>
    public string? SaveFile(string path)
    {
        var sb = new StringBuilder();
        foreach (var u in _users.Values) sb.Append("user ").Append(u.Name).Append(' ').Append(u.Describe(Table)).Append('\n');
        var tmp = path + ".tmp-" + Environment.ProcessId;
        try
        {
            File.WriteAllText(tmp, sb.ToString(), Encoding.Latin1);
            File.Move(tmp, path, overwrite: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(tmp); } catch (IOException) { }
            return e.Message;
        }
    }
}

/// <summary>ACL LOG (Redis 7.0): entries newest first; a repeat of a recent entry only bumps its count.</summary>
public sealed class AclLog
{
    public sealed class Entry
    {
        public required string Reason, Context, Username;
        public required byte[] Object;
        public required string ClientInfo;
        public long Count = 1;
        public long CreatedMs;
    }

    public readonly LinkedList<Entry> Entries = new();

    public void Add(string reason, string context, byte[] obj, string username, string clientInfo, long maxLen)
    {
        long now = Keyspace.KeyspaceState.WallClockMs();
        // As ACLAddLogEntry: look at the 10 newest for the same event within a minute.
        int toScan = 10;
        for (var n = Entries.First; n is not null && toScan-- > 0; n = n.Next)
        {
            var e = n.Value;
            if (e.Reason == reason && e.Context == context && e.Username == username && e.Object.AsSpan().SequenceEqual(obj) && now - e.CreatedMs <= 60000)
            {
                Entries.Remove(n);
                Entries.AddFirst(n);
                e.ClientInfo = clientInfo;
                e.CreatedMs = now;
                e.Count++;
                return;
            }
        }
        Entries.AddFirst(new Entry { Reason = reason, Context = context, Object = obj, Username = username, ClientInfo = clientInfo, CreatedMs = now });
        Trim(maxLen);
    }

    public void Trim(long maxLen)
    {
        while (Entries.Count > Math.Max(maxLen, 0)) Entries.RemoveLast();
    }
}
