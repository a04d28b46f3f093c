using Cinnabar.Keyspace;
using F = Cinnabar.Commands.CommandFlags;
using A = Cinnabar.Commands.AclCategories;

namespace Cinnabar.Commands;

/// <summary>Pub/sub commands (logic in PubSub/PubSub.cs).</summary>
public static class PubSubCommands
{
    private const F Sub = F.PubSub | F.NoScript | F.Loading | F.Stale | F.AllowedInPubSub;

    public static IEnumerable<CommandDef> Commands()
    {
        yield return new("subscribe", -2, Sub, A.PubSub | A.Slow, 0, 0, 0, c => Subscribe(c, shard: false), "pubsub");
        yield return new("ssubscribe", -2, Sub, A.PubSub | A.Slow, 1, -1, 1, c => Subscribe(c, shard: true), "pubsub");
        yield return new("psubscribe", -2, Sub, A.PubSub | A.Slow, 0, 0, 0, PSubscribe, "pubsub");
        yield return new("unsubscribe", -1, Sub, A.PubSub | A.Slow, 0, 0, 0, c => Unsubscribe(c, "channel"), "pubsub");
        yield return new("sunsubscribe", -1, Sub, A.PubSub | A.Slow, 1, -1, 1, c => Unsubscribe(c, "shard"), "pubsub");
        yield return new("punsubscribe", -1, Sub, A.PubSub | A.Slow, 0, 0, 0, c => Unsubscribe(c, "pattern"), "pubsub");
        yield return new("publish", 3, F.PubSub | F.Loading | F.Stale | F.Fast | F.MayReplicate, A.PubSub | A.Fast, 0, 0, 0, c => Publish(c, shard: false), "pubsub");
        yield return new("spublish", 3, F.PubSub | F.Loading | F.Stale | F.Fast | F.MayReplicate, A.PubSub | A.Fast, 1, 1, 1, c => Publish(c, shard: true), "pubsub");
        yield return new CommandDef("pubsub", -2, F.None, A.Slow, 0, 0, 0, null, "pubsub").WithSubcommands(
            new("channels", -2, F.PubSub | F.Loading | F.Stale, A.PubSub | A.Slow, 0, 0, 0, c => Channels(c, shard: false), "pubsub"),
            new("shardchannels", -2, F.PubSub | F.Loading | F.Stale, A.PubSub | A.Slow, 0, 0, 0, c => Channels(c, shard: true), "pubsub"),
            new("numsub", -2, F.PubSub | F.Loading | F.Stale, A.PubSub | A.Slow, 0, 0, 0, c => NumSub(c, shard: false), "pubsub"),
            new("shardnumsub", -2, F.PubSub | F.Loading | F.Stale, A.PubSub | A.Slow, 0, 0, 0, c => NumSub(c, shard: true), "pubsub"),
            new("numpat", 2, F.PubSub | F.Loading | F.Stale, A.PubSub | A.Slow, 0, 0, 0, c => c.Reply.Integer(c.Server.PubSub.PatternCount), "pubsub"),
            new("help", 2, F.Loading | F.Stale, A.Slow, 0, 0, 0, Help, "pubsub"));
    }

    private static void Subscribe(Client c, bool shard)
    {
        for (int i = 1; i < c.ArgCount; i++) c.Server.PubSub.Subscribe(c, c.ArgArray(i), shard);
    }

    private static void PSubscribe(Client c)
    {
        for (int i = 1; i < c.ArgCount; i++) c.Server.PubSub.PSubscribe(c, c.ArgArray(i));
    }

    private static void Unsubscribe(Client c, string kind)
    {
        if (c.ArgCount == 1)
        {
            c.Server.PubSub.UnsubscribeAllOfKind(c, kind);
            return;
        }
        for (int i = 1; i < c.ArgCount; i++)
        {
            if (kind == "pattern") c.Server.PubSub.PUnsubscribe(c, c.ArgArray(i), notify: true);
            else c.Server.PubSub.Unsubscribe(c, c.ArgArray(i), shard: kind == "shard", notify: true);
        }
    }

    private static void Publish(Client c, bool shard)
    {
        int receivers = c.Server.PubSub.Publish(c.Arg(1), c.Arg(2), shard);
        // Replicas' subscribers get the message too: PUBLISH always reaches the replication stream.
        c.PropagateVerbatim();
        c.Reply.Integer(receivers);
    }

    private static void Channels(Client c, bool shard)
    {
        if (c.ArgCount > 3) { c.Reply.Error(Errors.WrongArgs(c.CurrentCommand!.FullName)); return; }
        var map = shard ? c.Server.PubSub.ShardChannelSubscribers : c.Server.PubSub.ChannelSubscribers;
        var names = map.Keys.Where(ch => c.ArgCount == 2 || Glob.Match(c.Arg(2), ch)).ToList();
        c.Reply.ArrayHeader(names.Count);
        foreach (var n in names) c.Reply.Bulk(n);
    }

    private static void NumSub(Client c, bool shard)
    {
        var map = shard ? c.Server.PubSub.ShardChannelSubscribers : c.Server.PubSub.ChannelSubscribers;
        c.Reply.ArrayHeader((c.ArgCount - 2) * 2);
        for (int i = 2; i < c.ArgCount; i++)
        {
            c.Reply.Bulk(c.Arg(i));
            c.Reply.Integer(map.TryGetValue(c.ArgArray(i), out var subs) ? subs.Count : 0);
        }
    }

    private static void Help(Client c)
    {
        string[] lines =
        [
            "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
            "HELP",
            "    Prints this help.",
        ];
        c.Reply.ArrayHeader(lines.Length);
        foreach (var l in lines) c.Reply.SimpleString(l);
    }
}
