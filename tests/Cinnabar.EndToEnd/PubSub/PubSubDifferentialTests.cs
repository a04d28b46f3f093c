using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.PubSub;

public sealed class PubSubDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    private DiffPair NewPair() => new(f.Redis.Connect(), f.Cinnabar.Raw());

    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    public void SubscribePublishAndFrames(string protocol)
    {
        using var sub = NewPair();
        using var pub = NewPair();
        sub.Both("HELLO", protocol);
        string ch = "ps:ch" + protocol, bin = "ps:\0\r\n\xff" + protocol;
        sub.Same("UNSUBSCRIBE");
        sub.Same("PUNSUBSCRIBE");
        sub.Same("SUNSUBSCRIBE");
        sub.Same("SUBSCRIBE", ch);
        sub.Same("SUBSCRIBE", ch);
        sub.Same("PSUBSCRIBE", "ps:p*" + protocol);
        sub.Same("SUBSCRIBE", bin);
        pub.Same("PUBLISH", ch, "hello");
        sub.SameNext();
        pub.Same("PUBLISH", bin, "payload\0\r\n");
        sub.SameNext();
        pub.Same("PUBLISH", "ps:pattern" + protocol, "via pattern");
        pub.Same("PUBLISH", "ps:p-match" + protocol, "p");
        sub.SameNext();
        pub.Same("PUBLISH", "ps:nobody", "x");
        pub.Same("PUBSUB", "NUMSUB", ch, "ps:nobody");
        pub.Same("PUBSUB", "CHANNELS", ch);
        pub.Same("PUBSUB", "CHANNELS", "ps:nothing*");
        pub.Same("PUBSUB", "NUMSUB");
        if (protocol == "2")
        {
            sub.Same("GET", "x");
            sub.Same("PING");
            sub.Same("PING", "arg");
        }
        else
        {
            // RESP3: normal commands are allowed and pushes interleave with replies.
            sub.Same("ECHO", "in between");
            sub.Same("PING");
        }
        sub.Same("UNSUBSCRIBE", ch, "ps:never");
        sub.Same("PUNSUBSCRIBE", "ps:p*" + protocol);
        sub.Same("UNSUBSCRIBE", bin);
        sub.Same("PING");
        sub.Same("SSUBSCRIBE", "ps:shard" + protocol);
        pub.Same("SPUBLISH", "ps:shard" + protocol, "sharded");
        sub.SameNext();
        pub.Same("PUBLISH", "ps:shard" + protocol, "not sharded");
        pub.Same("PUBSUB", "SHARDNUMSUB", "ps:shard" + protocol);
        pub.Same("PUBSUB", "SHARDCHANNELS", "ps:shard" + protocol);
        sub.Same("SUNSUBSCRIBE", "ps:shard" + protocol);
        pub.Same("PUBSUB", "NOSUCH");
        pub.Same("PUBSUB");
        pub.Same("PUBLISH", "only-channel");
    }
}
