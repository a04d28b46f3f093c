using Cinnabar.Keyspace;

namespace Cinnabar.Commands;

/// <summary>Pub/sub commands (logic in PubSub/PubSub.cs).</summary>
public static class PubSubCommands
{
    public static IEnumerable<CommandBinding> Commands()
    {
        yield return new("subscribe", c => Subscribe(c, shard: false));
        yield return new("ssubscribe", c => Subscribe(c, shard: true));
        yield return new("psubscribe", PSubscribe);
        yield return new("unsubscribe", c => Unsubscribe(c, "channel"));
        yield return new("sunsubscribe", c => Unsubscribe(c, "shard"));
        yield return new("punsubscribe", c => Unsubscribe(c, "pattern"));
        yield return new("publish", c => Publish(c, shard: false));
        yield return new("spublish", c => Publish(c, shard: true));
        yield return new("pubsub|channels", c => Channels(c, shard: false));
        yield return new("pubsub|shardchannels", c => Channels(c, shard: true));
        yield return new("pubsub|numsub", c => NumSub(c, shard: false));
        yield return new("pubsub|shardnumsub", c => NumSub(c, shard: true));
        yield return new("pubsub|numpat", c => c.Reply.Integer(c.Server.PubSub.PatternCount));
        yield return new("pubsub|help", Help);
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
        // Replicas' subscribers get the message too: PUBLISH always reaches the replication stream (not the AOF).
        c.PropagateVerbatim(replicasOnly: true);
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
