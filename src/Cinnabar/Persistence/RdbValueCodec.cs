using Cinnabar.DataTypes;

namespace Cinnabar.Persistence;

/// <summary>
/// Serialises stored values in RDB encoding (used by RDB files, DUMP/RESTORE and replication) and reads
/// back every encoding Redis 6.x to 7.4 writes for the types Cinnabar has.
/// </summary>
public static partial class RdbValueCodec
{
    /// <summary>Writes the type byte and the value (the layout of a DUMP payload body).</summary>
    public static void Write(RdbOutput output, object value)
    {
        output.WriteByte(TypeByte(value));
        WriteBody(output, value);
    }

    /// <summary>The RDB type byte this server writes for <paramref name="value"/>.</summary>
    public static byte TypeByte(object value) => value switch
    {
        byte[] => RdbFormat.TypeString,
        IRedisObject o => ObjectTypeByte(o),
        _ => throw new InvalidOperationException($"cannot serialise a {value.GetType().Name}"),
    };

    /// <summary>Writes the value without its type byte (RDB files put the key between the two).</summary>
    public static void WriteBody(RdbOutput output, object value)
    {
        if (value is byte[] s) output.WriteString(s);
        else WriteObject(output, (IRedisObject)value);
    }

    /// <summary>Reads a value of RDB type <paramref name="type"/>.</summary>
    public static object Read(RdbInput input, byte type, Config.ServerConfig config)
    {
        if (type == RdbFormat.TypeString) return input.ReadString();
        return ReadObject(input, type, config);
    }

    /// <summary>True for the value-type bytes this server can load.</summary>
    public static bool IsValueType(byte type) => type <= RdbFormat.TypeStreamListpacks3 && type is not (RdbFormat.TypeModulePreGa or RdbFormat.TypeModule2 or 8);

    private static partial byte ObjectTypeByte(IRedisObject value);
    private static partial void WriteObject(RdbOutput output, IRedisObject value);
    private static partial object ReadObject(RdbInput input, byte type, Config.ServerConfig config);
}
