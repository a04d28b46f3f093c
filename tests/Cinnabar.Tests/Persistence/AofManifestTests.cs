using Cinnabar.Persistence;

namespace Cinnabar.Tests.Persistence;

/// <summary>The multi-part AOF manifest, against what Redis 7.0.15 writes and refuses.</summary>
public class AofManifestTests
{
    [Fact]
    public void ParsesAndWritesRedisManifest()
    {
        // As written by redis-server 7.0.15 after a rewrite that left history behind.
        const string text = "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.base.rdb seq 1 type h\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.3.incr.aof seq 3 type i\n";
        var m = AofManifest.Parse(text);
        Assert.Equal(new AofFileInfo("appendonly.aof.2.base.rdb", 2, AofFileType.Base), m.Base);
        Assert.Equal(2, m.History.Count);
        Assert.Equal(["appendonly.aof.2.incr.aof", "appendonly.aof.3.incr.aof"], m.Incrs.Select(i => i.Name));
        Assert.Equal(2, m.CurrentBaseSeq);
        Assert.Equal(3, m.CurrentIncrSeq);
        Assert.Equal(text, m.Format());
    }

    [Fact]
    public void QuotesFileNamesAsRedisDoes()
    {
        // redis-server --appendfilename 'my "odd" file.aof' writes exactly these lines.
        const string text = "file \"my \\\"odd\\\" file.aof.1.base.rdb\" seq 1 type b\nfile \"my \\\"odd\\\" file.aof.1.incr.aof\" seq 1 type i\n";
        var m = AofManifest.Parse(text);
        Assert.Equal("my \"odd\" file.aof.1.base.rdb", m.Base!.Name);
        Assert.Equal(text, m.Format());
        Assert.Equal("\"a\\tb\\x01\"", AofManifest.Repr("a\tb\x01"));
        Assert.False(AofManifest.NeedsRepr("appendonly.aof.1.incr.aof"));
    }

    [Fact]
    public void SkipsCommentsAndUnknownKeysAndAcceptsAnyKeyOrder()
    {
        var m = AofManifest.Parse("# comment\nseq 1 type b file base.rdb\nfile x.aof seq 4 type i future yes\n");
        Assert.Equal("base.rdb", m.Base!.Name);
        Assert.Equal(4, m.Incrs.Single().Seq);
    }

    [Theory]
    [InlineData("file a seq 1\n", "Invalid AOF manifest file format")]
    [InlineData("file a seq x type b\n", "Invalid AOF manifest file format")]
    [InlineData("file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information")]
    [InlineData("file a seq 2 type i\nfile b seq 2 type i\n", "Found a non-monotonic sequence number")]
    [InlineData("file a seq 1 type z\n", "Unknown AOF file type")]
    [InlineData("# nothing\n", "Found an empty AOF manifest")]
    public void RefusesBadManifests(string text, string error)
    {
        var ex = Assert.Throws<FormatException>(() => AofManifest.Parse(text));
        Assert.Equal(error, ex.Message);
    }
}
