using System.Runtime.CompilerServices;

namespace Cinnabar.Keyspace;

/// <summary>
/// The typed key lookup every command family uses (Redis' lookupKeyRead/lookupKeyWrite followed by
/// checkType): the value under a key as the type the command works on, null when the key is missing, or
/// false after a WRONGTYPE error when it holds another type. Both expire lazily; reads also count a keyspace
/// hit or miss and raise the keymiss event (<see cref="Database.FindForRead"/>), writes do neither
/// (<see cref="Database.Find"/>), as in Redis.
/// </summary>
public static class TypedLookup
{
    /// <summary>Lookup for a read command.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryReadKey<T>(this Client c, ReadOnlySpan<byte> key, out T? value) where T : class
        => c.TryTypedAt(c.Db.FindForRead(key), out value);

    /// <summary>Lookup for a write command.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryWriteKey<T>(this Client c, ReadOnlySpan<byte> key, out T? value) where T : class
        => c.TryTypedAt(c.Db.Find(key), out value);

    /// <summary>
    /// The value at an entry index from <see cref="Database.Find"/> or <see cref="Database.FindForRead"/>
    /// (-1: missing), for commands that look several keys up before answering a type error.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryTypedAt<T>(this Client c, int index, out T? value) where T : class
    {
        value = null;
        if (index < 0) return true;
        if (c.Db.EntryAt(index).Value is T v)
        {
            value = v;
            return true;
        }
        c.WrongType();
        return false;
    }
}
