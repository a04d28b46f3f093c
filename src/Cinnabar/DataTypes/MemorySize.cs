namespace Cinnabar.DataTypes;

/// <summary>
/// Heap sizes of the runtime's objects on 64-bit .NET, for MEMORY USAGE: an object carries a 16-byte
/// header (sync block and method table), an array 24 (with its length), and sizes round up to 8 bytes.
/// </summary>
public static class MemorySize
{
    public const int ObjectHeader = 16;
    public const int Reference = 8;

    public static long Array(long length, int elementBytes) => Align(24 + length * elementBytes);

    public static long Bytes(byte[]? array) => array is null ? 0 : Array(array.Length, 1);

    public static long Object(int fieldBytes) => Align(ObjectHeader + fieldBytes);

    private static long Align(long size) => (size + 7) & ~7L;

    /// <summary>
    /// Redis' sampling rule for MEMORY USAGE: the average of the first <paramref name="samples"/> elements
    /// (all when 0), times the element count.
    /// </summary>
    public static long Extrapolate(long sampledBytes, long sampled, long count) =>
        sampled == 0 ? 0 : (long)((double)sampledBytes / sampled * count);
}
