using System.Security.Cryptography;

namespace Cinnabar.Scripting;

/// <summary>
/// The sha1 of a script body, as the key of the script cache: 20 bytes held by value, so EVALSHA looks a
/// script up without turning its argument into a string. Hex digits are accepted in either case, as Redis
/// lowercases them.
/// </summary>
public readonly record struct ScriptSha(ulong A, ulong B, uint C)
{
    public static ScriptSha Of(ReadOnlySpan<byte> body)
    {
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(body, hash);
        return FromBytes(hash);
    }

    private static ScriptSha FromBytes(ReadOnlySpan<byte> h) =>
        new(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(h),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(h[8..]),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(h[16..]));

    public static bool TryParseHex(ReadOnlySpan<byte> hex, out ScriptSha sha)
    {
        sha = default;
        if (hex.Length != 40) return false;
        Span<byte> h = stackalloc byte[20];
        for (int i = 0; i < 20; i++)
        {
            int hi = Digit(hex[2 * i]), lo = Digit(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) return false;
            h[i] = (byte)(hi << 4 | lo);
        }
        sha = FromBytes(h);
        return true;
    }

    private static int Digit(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    public string ToHex() => $"{A:x16}{B:x16}{C:x8}";

    /// <summary>The sha1 of <paramref name="data"/> in lowercase hex (redis.sha1hex, SCRIPT LOAD).</summary>
    public static string HexOf(ReadOnlySpan<byte> data) => Of(data).ToHex();
}
