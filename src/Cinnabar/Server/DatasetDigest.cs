using System.Buffers.Binary;
using System.Security.Cryptography;
using Cinnabar.DataTypes;
using Cinnabar.Keyspace;
using Cinnabar.Protocol;

namespace Cinnabar.Server;

/// <summary>
/// Redis' DEBUG DIGEST and DIGEST-VALUE (debug.c): SHA1-based signatures of the dataset and of single
/// values, computed the same way so a Cinnabar replica or restore can be checked against a real Redis.
/// Unordered collections (sets, hashes, sorted sets, the keys of a database) are combined with XOR, so the
/// order of iteration does not matter; lists and streams are mixed in order.
/// </summary>
public static class DatasetDigest
{
    public const int Size = 20;

    /// <summary>computeDatasetDigest: every non-empty database's id, then each key and its value.</summary>
    public static void OfDataset(IReadOnlyList<Database> databases, Span<byte> result)
    {
        result.Clear();
        Span<byte> entry = stackalloc byte[Size];
        Span<byte> aux = stackalloc byte[4];
        foreach (var db in databases)
        {
            if (db.Count == 0) continue;
            BinaryPrimitives.WriteInt32BigEndian(aux, db.Id);
            Mix(result, aux);
            var table = db.Table;
            for (int i = 0; i < table.SlotCount; i++)
            {
                ref KeyEntry e = ref table.EntryAt(i);
                if (e.Key is null) continue;
                entry.Clear();
                Mix(entry, e.Key);
                OfValue(e.Value!, e.ExpireAt != 0, entry);
                Xor(result, entry);
            }
        }
    }

    /// <summary>xorObjectDigest: the value's type, its elements, and a marker when the key has a TTL.</summary>
    public static void OfValue(object value, bool hasExpire, Span<byte> digest)
    {
        Span<byte> aux = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(aux, TypeCode(value));
        Mix(digest, aux);
        Span<byte> scratch = stackalloc byte[ListpackEntry.ScratchSize];
        Span<byte> scratch2 = stackalloc byte[ListpackEntry.ScratchSize];
        Span<byte> element = stackalloc byte[Size];
        Span<byte> text = stackalloc byte[32];
        switch (value)
        {
            case byte[] s:
                Mix(digest, s);
                break;
            case ListValue list:
                var cursor = list.From(0, forward: true, scratch);
                while (cursor.MoveNext()) Mix(digest, cursor.Current);
                break;
            case SetValue set:
                for (int p = 0; p < set.PositionEnd; p++)
                    if (set.TryGetMember(p, scratch, out var member)) Xor(digest, member);
                break;
            case SortedSetValue zset:
                for (var p = zset.First; p.Exists; p = zset.Next(p))
                {
                    element.Clear();
                    Mix(element, zset.MemberAt(p, scratch));
                    Mix(element, text[..RespNumbers.FormatDouble(zset.ScoreAt(p), text)]); // "%.17g"
                    Xor(digest, element);
                }
                break;
            case HashValue hash:
                var pairs = hash.GetCursor(scratch, scratch2);
                while (pairs.MoveNext())
                {
                    element.Clear();
                    Mix(element, pairs.Field);
                    Mix(element, pairs.Value);
                    Xor(digest, element);
                }
                break;
            case StreamValue stream:
                Span<byte> id = stackalloc byte[2 * RespNumbers.MaxInt64Chars + 2];
                var it = stream.Iterate(StreamId.Min, StreamId.Max, reverse: false);
                while (it.MoveNext())
                {
                    // "%U.%U": the ID with a dot, not the dash of replies.
                    ulong ms = it.Id.Ms, seq = it.Id.Seq;
                    ms.TryFormat(id, out int n);
                    id[n++] = (byte)'.';
                    seq.TryFormat(id[n..], out int m);
                    Mix(digest, id[..(n + m)]);
                    var fields = it.Node.Fields(it.Index);
                    while (fields.MoveNext())
                    {
                        Mix(digest, fields.Field);
                        Mix(digest, fields.Value);
                    }
                }
                break;
        }
        if (hasExpire) Xor(digest, "!!expire!!"u8);
    }

    /// <summary>Lower-case hex, as DEBUG DIGEST replies it.</summary>
    public static string Hex(ReadOnlySpan<byte> digest) => Convert.ToHexStringLower(digest);

    /// <summary>Redis' OBJ_* type numbers.</summary>
    private static int TypeCode(object value) => value switch
    {
        byte[] => 0,
        ListValue => 1,
        SetValue => 2,
        SortedSetValue => 3,
        HashValue => 4,
        StreamValue => 6,
        _ => throw new InvalidOperationException("unknown value type"),
    };

    /// <summary>xorDigest: XORs SHA1(data) into the digest.</summary>
    private static void Xor(Span<byte> digest, ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[Size];
        SHA1.HashData(data, hash);
        for (int j = 0; j < Size; j++) digest[j] ^= hash[j];
    }

    /// <summary>mixDigest: XORs SHA1(data) in, then replaces the digest by its own SHA1 (order matters).</summary>
    private static void Mix(Span<byte> digest, ReadOnlySpan<byte> data)
    {
        Xor(digest, data);
        Span<byte> copy = stackalloc byte[Size];
        digest.CopyTo(copy);
        SHA1.HashData(copy, digest);
    }
}
