using Cinnabar.DataTypes;

namespace Cinnabar.Persistence;

public static partial class RdbValueCodec
{
    // Encodings of lists, hashes, sets, sorted sets and streams are added with those types.
    private static partial byte ObjectTypeByte(IRedisObject value)
        => throw new NotSupportedException($"RDB encoding of {value.TypeName} values is not available yet");

    private static partial void WriteObject(RdbOutput output, IRedisObject value)
        => throw new NotSupportedException($"RDB encoding of {value.TypeName} values is not available yet");

    private static partial object ReadObject(RdbInput input, byte type, Config.ServerConfig config)
        => throw new RdbFormatException($"unsupported value type {type} at offset {input.Offset}");
}
