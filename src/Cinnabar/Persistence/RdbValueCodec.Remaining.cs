using Cinnabar.Config;
using Cinnabar.DataTypes;

namespace Cinnabar.Persistence;

public static partial class RdbValueCodec
{
    // Sorted sets and streams are added as those types land.
    private static byte EvenMoreObjectTypeByte(IRedisObject value)
        => throw new NotSupportedException($"RDB encoding of {value.TypeName} values is not available yet");

    private static void WriteEvenMoreObject(RdbOutput output, IRedisObject value)
        => throw new NotSupportedException($"RDB encoding of {value.TypeName} values is not available yet");

    private static object ReadEvenMoreObject(RdbInput input, byte type, ServerConfig config)
        => throw new RdbFormatException($"unsupported value type {type} at offset {input.Offset}");
}
