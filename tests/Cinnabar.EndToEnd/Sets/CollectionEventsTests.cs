using System.Text;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Sets;

/// <summary>
/// Keyspace notifications of hash and set commands: names, classes and order as Redis 7.0.15 emits them
/// (the expected sequence was recorded from a real server with notify-keyspace-events KEA).
/// </summary>
public sealed class CollectionEventsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public void CommandsEmitRedisKeyspaceEvents()
    {
        var server = fixture.Server.Server;
        var events = new List<string>();
        Notifications.KeyspaceNotifier.EventObserver handler = (type, name, key, db) =>
        {
            var k = Encoding.Latin1.GetString(key);
            if (k.StartsWith("ev:")) lock (events) events.Add($"{type}:{name} {k}");
        };
        server.Notifications.Observed += handler;
        try
        {
            using var c = fixture.Server.Raw();
            string[][] script =
            [
                ["SADD", "ev:1", "1", "2", "3"], ["SPOP", "ev:1", "5"],
                ["SADD", "ev:2", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"], ["SPOP", "ev:2", "2"], ["SPOP", "ev:2", "8"],
                ["SADD", "ev:3", "1"], ["SPOP", "ev:3"],
                ["SADD", "ev:4", "a"], ["SMOVE", "ev:4", "ev:5", "a"],
                ["SADD", "ev:6", "1"], ["SINTERSTORE", "ev:7", "ev:6"], ["SINTERSTORE", "ev:7", "ev:nokey"],
                ["SUNIONSTORE", "ev:7", "ev:6"], ["SDIFFSTORE", "ev:7", "ev:6", "ev:6"],
                ["HSET", "ev:h", "a", "1"], ["HINCRBY", "ev:h", "a", "1"], ["HINCRBYFLOAT", "ev:h", "a", "1"], ["HDEL", "ev:h", "a"],
                ["HSET", "ev:h", "a", "1"], ["HSET", "ev:h", "a", "1"], ["HSETNX", "ev:h", "a", "1"], ["HMSET", "ev:h", "b", "2"],
                ["SREM", "ev:6", "1"], ["SADD", "ev:8", "1"], ["SADD", "ev:8", "1"], ["SINTERSTORE", "ev:8", "ev:8", "ev:nokey"],
                ["SREM", "ev:nokey", "1"], ["HDEL", "ev:h", "zz"], ["SMOVE", "ev:5", "ev:5", "a"],
            ];
            foreach (var cmd in script) c.Call(cmd);
        }
        finally
        {
            server.Notifications.Observed -= handler;
        }
        string[] expected =
        [
            "Set:sadd ev:1", "Set:spop ev:1", "Generic:del ev:1",
            "Set:sadd ev:2", "Set:spop ev:2", "Set:spop ev:2", "Generic:del ev:2",
            "Set:sadd ev:3", "Set:spop ev:3", "Generic:del ev:3",
            "Set:sadd ev:4", "Set:srem ev:4", "Generic:del ev:4", "Set:sadd ev:5",
            "Set:sadd ev:6", "Set:sinterstore ev:7", "Generic:del ev:7",
            "Set:sunionstore ev:7", "Generic:del ev:7",
            "Hash:hset ev:h", "Hash:hincrby ev:h", "Hash:hincrbyfloat ev:h", "Hash:hdel ev:h", "Generic:del ev:h",
            "Hash:hset ev:h", "Hash:hset ev:h", "Hash:hset ev:h",
            "Set:srem ev:6", "Generic:del ev:6", "Set:sadd ev:8", "Generic:del ev:8",
        ];
        Assert.Equal(expected, events);
    }
}
