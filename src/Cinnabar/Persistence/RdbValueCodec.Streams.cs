using Cinnabar.Config;
using Cinnabar.DataTypes;

namespace Cinnabar.Persistence;

public static partial class RdbValueCodec
{
    // Streams are added with that type.
    private static byte StreamTypeByte(IRedisObject value)
        => throw new NotSupportedException($"RDB encoding of {value.TypeName} values is not available yet");

    private static void WriteStream(RdbOutput output, IRedisObject value)
        => throw new NotSupportedException($"RDB encoding of {value.TypeName} values is not available yet");

    private static object ReadStream(RdbInput input, byte type, ServerConfig config)
        => throw new RdbFormatException($"unsupported value type {type} at offset {input.Offset}");
}
