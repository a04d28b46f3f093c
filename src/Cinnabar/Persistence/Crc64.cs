namespace Cinnabar.Persistence;

/// <summary>
/// CRC-64/Jones (reflected, polynomial 0xad93d23594c935a9, init 0, no final xor), the checksum Redis puts
/// at the end of RDB files and DUMP payloads. Table-driven, eight bytes at a time.
/// </summary>
public static class Crc64
{
    private const ulong Polynomial = 0x95ac9329ac4bc9b5UL; // 0xad93d23594c935a9 bit-reversed
    private static readonly ulong[][] Tables = BuildTables();

    private static ulong[][] BuildTables()
    {
        var t = new ulong[8][];
        for (int k = 0; k < 8; k++) t[k] = new ulong[256];
        for (int n = 0; n < 256; n++)
        {
            ulong crc = (ulong)n;
            for (int b = 0; b < 8; b++) crc = (crc & 1) != 0 ? (crc >> 1) ^ Polynomial : crc >> 1;
            t[0][n] = crc;
        }
        for (int n = 0; n < 256; n++)
        {
            ulong crc = t[0][n];
            for (int k = 1; k < 8; k++)
            {
                crc = t[0][crc & 0xff] ^ (crc >> 8);
                t[k][n] = crc;
            }
        }
        return t;
    }

    public static ulong Update(ulong crc, ReadOnlySpan<byte> data)
    {
        var t = Tables;
        while (data.Length >= 8)
        {
            crc ^= System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(data);
            crc = t[7][crc & 0xff] ^ t[6][(crc >> 8) & 0xff] ^ t[5][(crc >> 16) & 0xff] ^ t[4][(crc >> 24) & 0xff]
                ^ t[3][(crc >> 32) & 0xff] ^ t[2][(crc >> 40) & 0xff] ^ t[1][(crc >> 48) & 0xff] ^ t[0][crc >> 56];
            data = data[8..];
        }
        foreach (byte b in data) crc = t[0][(crc ^ b) & 0xff] ^ (crc >> 8);
        return crc;
    }

    public static ulong Compute(ReadOnlySpan<byte> data) => Update(0, data);
}
