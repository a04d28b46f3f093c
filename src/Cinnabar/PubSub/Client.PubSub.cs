namespace Cinnabar;

public partial class Client
{
    /// <summary>True while subscribed to any channel, pattern or shard channel (RESP2 subscribe mode).</summary>
    public bool IsSubscribed => false;
}
