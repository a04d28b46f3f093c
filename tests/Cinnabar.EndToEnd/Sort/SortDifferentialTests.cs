using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Sort;

/// <summary>SORT and SORT_RO compared byte for byte with Redis 7.0.</summary>
public sealed class SortDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    [Fact]
    public void SortsListsAndSetsWithEveryOption()
    {
        using var p = f.Pair();
        p.Both("DEL", "so:l", "so:s", "so:t", "so:dst", "so:str");
        p.Same("RPUSH", "so:l", "3", "1", "2", "10", "-5", "2.5");
        p.Same("SADD", "so:s", "5", "3", "9", "1");
        p.Same("RPUSH", "so:t", "banana", "apple", "cherry", "Apple");
        p.Same("SORT", "so:l");
        p.Same("SORT", "so:l", "DESC");
        p.Same("SORT", "so:l", "LIMIT", "1", "3");
        p.Same("SORT", "so:l", "LIMIT", "-1", "2");
        p.Same("SORT", "so:l", "LIMIT", "10", "2");
        p.Same("SORT", "so:l", "LIMIT", "0", "-1");
        p.Same("SORT", "so:l", "LIMIT", "x", "1");
        p.Same("SORT", "so:s");
        p.Same("SORT", "so:s", "DESC", "LIMIT", "0", "2");
        p.Same("SORT", "so:t");
        p.Same("SORT", "so:t", "ALPHA");
        p.Same("SORT", "so:t", "ALPHA", "DESC");
        // Weights and values from other keys.
        foreach (var (k, w) in new[] { ("3", "30"), ("1", "10"), ("2", "5"), ("10", "1") })
        {
            p.Both("SET", $"so:w_{k}", w);
            p.Both("HSET", $"so:h_{k}", "name", "n" + k, "rank", w);
        }
        p.Same("SORT", "so:l", "BY", "so:w_*");
        p.Same("SORT", "so:l", "BY", "so:w_*", "GET", "#", "GET", "so:w_*");
        p.Same("SORT", "so:l", "BY", "so:h_*->rank", "GET", "so:h_*->name");
        p.Same("SORT", "so:l", "BY", "nosort", "GET", "#");
        p.Same("SORT", "so:l", "BY", "nosort", "LIMIT", "1", "2");
        p.Same("SORT", "so:l", "GET", "so:w_*", "GET", "nostar");
        p.Same("SORT", "so:l", "BY", "so:w_*", "ALPHA");
        p.Same("SORT", "so:l", "STORE", "so:dst");
        p.Same("LRANGE", "so:dst", "0", "-1");
        p.Same("SORT", "so:s", "BY", "nosort", "STORE", "so:dst");
        p.Same("LRANGE", "so:dst", "0", "-1");
        p.Same("SORT", "so:missing", "STORE", "so:dst");
        p.Same("EXISTS", "so:dst");
        p.Same("SORT", "so:t");
        p.Same("SORT_RO", "so:l", "DESC");
        p.Same("SORT_RO", "so:l", "STORE", "so:dst");
        p.Same("SORT", "so:l", "BOGUS");
        p.Same("SORT", "so:missing");
        p.Both("SET", "so:str", "x");
        p.Same("SORT", "so:str");
    }
}
