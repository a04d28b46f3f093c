namespace Cinnabar.Persistence;

/// <summary>
/// Strings: one RDB string. RdbOutput.WriteString chooses the encoding Redis would (an integer encoding
/// for short decimal text, LZF when it pays and rdbcompression allows), and RdbInput.ReadString reads all of them.
/// </summary>
public static partial class RdbValueCodec
{
    private static void WriteStringValue(RdbOutput o, byte[] value) => o.WriteString(value);

    private static byte[] ReadStringValue(RdbInput input) => input.ReadString();
}
