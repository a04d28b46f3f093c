using System.Text;

namespace Cinnabar.Commands;

/// <summary>
/// All commands by name. Lookup takes the raw argument bytes and folds case on the fly, so dispatch
/// allocates nothing and never builds a string.
/// </summary>
public sealed class CommandTable
{
    private readonly Dictionary<byte[], CommandDef> _byName;
    private readonly Dictionary<byte[], CommandDef>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    /// <summary>The names before rename-command: ACL rules and categories always use them, as Redis' orig_commands.</summary>
    private readonly Dictionary<byte[], CommandDef>.AlternateLookup<ReadOnlySpan<byte>> _originalLookup;

    public CommandTable(IEnumerable<CommandDef> commands)
    {
        _byName = new Dictionary<byte[], CommandDef>(AsciiCaseInsensitiveComparer.Instance);
        foreach (var c in commands)
        {
            if (!_byName.TryAdd(Encoding.ASCII.GetBytes(c.Name), c))
                throw new InvalidOperationException($"command '{c.Name}' declared twice");
        }
        _lookup = _byName.GetAlternateLookup<ReadOnlySpan<byte>>();
        _originalLookup = new Dictionary<byte[], CommandDef>(_byName, AsciiCaseInsensitiveComparer.Instance).GetAlternateLookup<ReadOnlySpan<byte>>();
        All = _byName.Values.OrderBy(c => c.Name, StringComparer.Ordinal).ToArray();
        // ACL bitmap ids, subcommands included; the bitmap's last bit is kept for future commands.
        int id = 0;
        foreach (var c in All)
        {
            c.AclId = id++;
            if (c.Subcommands is not null) foreach (var sub in c.Subcommands) sub.AclId = id++;
        }
        if (id >= Security.AclSelector.CommandBits) throw new InvalidOperationException("too many commands for the ACL bitmap");
    }

    /// <summary>Every top-level command, sorted by name.</summary>
    public IReadOnlyList<CommandDef> All { get; }

    public int Count => _byName.Count;

    public CommandDef? Find(ReadOnlySpan<byte> name) => _lookup.TryGetValue(name, out var c) ? c : null;

    public CommandDef? Find(string name) => Find(Encoding.UTF8.GetBytes(name));

    /// <summary>A command by its original name, whatever rename-command did (ACL rules).</summary>
    public CommandDef? FindOriginal(ReadOnlySpan<byte> name) => _originalLookup.TryGetValue(name, out var c) ? c : null;

    /// <summary>
    /// rename-command: the command answers to <paramref name="to"/> instead, or to nothing when it is empty.
    /// The config loader has checked the names (Redis' errors, with the line).
    /// </summary>
    public void Rename(string from, string to)
    {
        var key = Encoding.Latin1.GetBytes(from);
        if (!_byName.Remove(key, out var cmd)) throw new InvalidOperationException($"no command '{from}' to rename");
        cmd.DispatchName = null;
        if (to.Length == 0) return;
        var newKey = Encoding.Latin1.GetBytes(to);
        if (!_byName.TryAdd(newKey, cmd)) throw new InvalidOperationException($"command '{to}' exists");
        cmd.DispatchName = newKey;
    }

    /// <summary>The subcommand of <paramref name="container"/> named <paramref name="name"/>, or null.</summary>
    public static CommandDef? FindSubcommand(CommandDef container, ReadOnlySpan<byte> name)
    {
        foreach (var s in container.Subcommands!)
            if (Ascii.EqualsIgnoreCase(name, s.NameBytes)) return s;
        return null;
    }
}

/// <summary>Byte-string equality ignoring ASCII case, with span lookups (command names).</summary>
public sealed class AsciiCaseInsensitiveComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static readonly AsciiCaseInsensitiveComparer Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => x is not null && y is not null && Equals((ReadOnlySpan<byte>)x, y);
    public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => Ascii.EqualsIgnoreCase(alternate, other);

    public int GetHashCode(ReadOnlySpan<byte> alternate)
    {
        uint h = 2166136261;
        foreach (byte b in alternate)
        {
            byte c = b is >= (byte)'a' and <= (byte)'z' ? (byte)(b - 32) : b;
            h = (h ^ c) * 16777619;
        }
        return (int)h;
    }

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
