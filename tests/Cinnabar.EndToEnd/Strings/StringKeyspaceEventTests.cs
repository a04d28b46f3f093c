using System.Text;
using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Strings;

/// <summary>
/// The keyspace events each string command raises, recorded at the server hook. Expected sequences were
/// observed on redis-server 7.0.15 with notify-keyspace-events KEA and PSUBSCRIBE *.
/// </summary>
public sealed class StringKeyspaceEventTests : IAsyncLifetime
{
    private readonly TestServer _server = new();
    private readonly List<string> _events = [];
    private readonly List<string> _modified = [];

    public Task InitializeAsync()
    {
        _server.Server.Notifications.Observed += (type, ev, key, db) =>
        {
            lock (_events) _events.Add($"{ev}:{Encoding.Latin1.GetString(key)}");
        };
        _server.Server.KeyModifiedObserved += (db, key) =>
        {
            lock (_modified) _modified.Add(Encoding.Latin1.GetString(key));
        };
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private List<string> Run(params string[][] commands)
    {
        using var c = _server.Raw();
        lock (_events) _events.Clear();
        foreach (var cmd in commands) c.Call(cmd);
        lock (_events) return [.. _events];
    }

    [Fact]
    public void WritesRaiseRedisEventNames()
    {
        var events = Run(
            ["SET", "nk", "a"], ["GETEX", "nk", "PERSIST"], ["APPEND", "nk", ""], ["SETRANGE", "nk", "0", "a"],
            ["INCRBYFLOAT", "nk2", "1"], ["GETEX", "nk2", "EX", "10"], ["GETEX", "nk2", "PERSIST"], ["GETEX", "nk2", "PERSIST"],
            ["MSET", "m1", "1", "m1", "2"], ["GETDEL", "m1"], ["GETEX", "nk2", "EXAT", "1"]);
        Assert.Equal(["set:nk", "append:nk", "setrange:nk", "incrbyfloat:nk2", "expire:nk2", "persist:nk2", "set:m1", "set:m1",
            "del:m1", "del:nk2"], events);
    }

    [Fact]
    public void SetBitRaisesOnlyWhenSomethingChanged()
    {
        var events = Run(
            ["SET", "sb", "a"], ["SETBIT", "sb", "1", "1"], ["SETBIT", "sb", "0", "0"], ["SETBIT", "sb", "0", "1"],
            ["SETBIT", "sb", "100", "0"], ["SETBIT", "sb", "100", "0"], ["SETBIT", "sb2", "3", "0"]);
        Assert.Equal(["set:sb", "setbit:sb", "setbit:sb", "setbit:sb2"], events);
    }

    [Fact]
    public void CountersAndExpiringSetsRaiseTheirEvents()
    {
        var events = Run(
            ["INCR", "c"], ["DECR", "c"], ["INCRBY", "c", "5"], ["DECRBY", "c", "5"], ["SETEX", "c", "10", "v"],
            ["PSETEX", "c", "10000", "v"], ["SET", "c", "v", "PX", "10000"], ["SETNX", "c", "x"], ["SETNX", "c2", "x"],
            ["GETSET", "c2", "y"], ["MSETNX", "c3", "1", "c4", "2"], ["MSETNX", "c3", "1"], ["INCR", "c2"], ["SETRANGE", "c5", "0", ""]);
        Assert.Equal(["incrby:c", "incrby:c", "incrby:c", "incrby:c", "set:c", "expire:c", "set:c", "expire:c", "set:c", "expire:c",
            "set:c2", "set:c2", "set:c3", "set:c4"], events);
    }

    [Fact]
    public void FailedAndReadOnlyCommandsTouchNoWatchedKey()
    {
        using var c = _server.Raw();
        c.Call("SET", "w", "a");
        lock (_modified) _modified.Clear();
        c.Call("GET", "w");
        c.Call("SETNX", "w", "b");
        c.Call("INCR", "w");
        c.Call("SETRANGE", "w", "0", "");
        c.Call("SETBIT", "w", "1", "1"); // 'a' already has bit 1 set
        c.Call("GETEX", "w");
        c.Call("LCS", "w", "w");
        lock (_modified) Assert.Empty(_modified);
        c.Call("APPEND", "w", "b");
        lock (_modified) Assert.Equal(["w"], _modified);
    }
}
