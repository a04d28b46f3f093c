namespace Cinnabar.DataTypes;

/// <summary>
/// The field/value strings of an entry being appended (field, value, field, value...). Commands pass
/// their arguments straight from the receive buffer, so an XADD copies its data once, into the node.
/// </summary>
public interface IStreamFields
{
    int Count { get; }
    ReadOnlySpan<byte> this[int index] { get; }
}

/// <summary>Fields held in arrays (tests, loading).</summary>
public readonly struct ArrayFields(byte[][] items) : IStreamFields
{
    public int Count => items.Length;
    public ReadOnlySpan<byte> this[int index] => items[index];
}
