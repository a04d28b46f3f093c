using System.Text;
using Cinnabar.DataTypes;
using Cinnabar.Keyspace;
using Cinnabar.Persistence;

namespace Cinnabar.Tests.Persistence;

/// <summary>
/// The streaming AOF reader: commands split across reads at every possible point, truncated and corrupt
/// input, and a buffer that stays bounded whatever the file's size. Also the command form of a base
/// (aof-use-rdb-preamble no), read back through the reader.
/// </summary>
public class AofCommandReaderTests
{
    /// <summary>A stream that returns at most <c>step</c> bytes per read, as a slow disk or pipe can.</summary>
    private sealed class TrickleStream(byte[] data, int step) : MemoryStream(data, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, step));
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, step)]);
    }

    private static byte[] Encode(params string[] args)
    {
        var sb = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
        foreach (var a in args) sb.Append('$').Append(Encoding.Latin1.GetByteCount(a)).Append("\r\n").Append(a).Append("\r\n");
        return Encoding.Latin1.GetBytes(sb.ToString());
    }

    private static readonly string[][] Commands =
    [
        ["SELECT", "0"],
        ["SET", "key", "v\r\n\0binary"],
        ["RPUSH", "list", "a", "", "c"],
        ["SET", "big", new string('x', 300)],
        ["MULTI"],
        ["INCR", "n"],
        ["EXEC"],
    ];

    private static (byte[] File, List<long> Ends) Build()
    {
        var ms = new MemoryStream();
        var ends = new List<long>();
        ms.Write("#TS:1700000000\r\n"u8);
        ends.Add(ms.Length);
        foreach (var c in Commands)
        {
            ms.Write(Encode(c));
            ends.Add(ms.Length);
        }
        return (ms.ToArray(), ends);
    }

    private static List<string[]> ReadAll(AofCommandReader r, out AofReadResult last)
    {
        var result = new List<string[]>();
        while (true)
        {
            last = r.Next();
            if (last == AofReadResult.Annotation) { result.Add(["#"]); continue; }
            if (last != AofReadResult.Command) return result;
            result.Add(Enumerable.Range(0, r.Argc).Select(i => Encoding.Latin1.GetString(r.Buffer, r.Args[i].Offset, r.Args[i].Length)).ToArray());
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(7, 16)]
    [InlineData(64, 5)]
    [InlineData(4096, 4096)]
    [InlineData(13, 64)]
    public void CommandsSplitAcrossReadsAreCompleted(int step, int chunk)
    {
        var (file, _) = Build();
        var r = new AofCommandReader(new TrickleStream(file, step), 0, chunk);
        var read = ReadAll(r, out var last);
        Assert.Equal(AofReadResult.End, last);
        Assert.Equal(new[] { new[] { "#" } }.Concat(Commands), read);
        Assert.Equal(file.Length, r.Position);
    }

    [Fact]
    public void EveryPrefixReadsTheWholeCommandsThenReportsTheShortRead()
    {
        var (file, ends) = Build();
        for (int len = 1; len < file.Length; len++)
        {
            foreach (int chunk in new[] { 4, 1024 })
            {
                var r = new AofCommandReader(new TrickleStream(file[..len], 5), 0, chunk);
                var read = ReadAll(r, out var last);
                int whole = ends.Count(e => e <= len);
                Assert.Equal(whole, read.Count);
                long boundary = whole == 0 ? 0 : ends[whole - 1];
                Assert.Equal(boundary == len ? AofReadResult.End : AofReadResult.Truncated, last);
                Assert.Equal(boundary, r.Position); // where a truncated file is cut back to
            }
        }
    }

    [Theory]
    [InlineData("*2\r\n$3\r\nSET\r\n$1\r\nxy\r\n", 0)]        // bulk not followed by CRLF
    [InlineData("*1\r\n$4\r\nPING\r\n+OK\r\n", 14)]            // not a multibulk
    [InlineData("*1\r\n$4\r\nPING\r\n*x\r\n", 14)]             // bad count
    [InlineData("*1\r\n$-4\r\n", 0)]                           // negative length
    public void CorruptionIsReportedWithItsOffset(string text, long offset)
    {
        var r = new AofCommandReader(new TrickleStream(Encoding.Latin1.GetBytes(text), 3), 0, 4);
        ReadAll(r, out var last);
        Assert.Equal(AofReadResult.Corrupt, last);
        Assert.Equal(offset, r.CommandOffset);
    }

    [Fact]
    public void TheBufferStaysBoundedAndShrinksAfterALargeCommand()
    {
        var ms = new MemoryStream();
        for (int i = 0; i < 20_000; i++) ms.Write(Encode("SET", "key:" + i, "value:" + i));
        ms.Write(Encode("SET", "huge", new string('h', 200_000)));
        for (int i = 0; i < 50_000; i++) ms.Write(Encode("INCR", "n")); // 1.2 MB: the large buffer is left behind
        ms.Position = 0;
        var r = new AofCommandReader(ms, 0, 4096);
        int commands = 0, maxBuffer = 0, largest = 0;
        while (r.Next() == AofReadResult.Command)
        {
            commands++;
            if (commands < 20_000) maxBuffer = Math.Max(maxBuffer, r.BufferSize);
            largest = Math.Max(largest, r.BufferSize);
        }
        Assert.Equal(70_001, commands);
        Assert.Equal(4096, maxBuffer);
        Assert.InRange(largest, 200_000, 1 << 19); // grown for the large command only
        Assert.Equal(4096, r.BufferSize);
    }

    [Fact]
    public void ALengthLargerThanTheFileDoesNotAllocateIt()
    {
        var file = Encoding.ASCII.GetBytes("*1\r\n$2000000000\r\nabc");
        var r = new AofCommandReader(new MemoryStream(file), 0, 16);
        Assert.Equal(AofReadResult.Truncated, r.Next());
        Assert.True(r.BufferSize < 1024, $"buffer grew to {r.BufferSize}");
    }

    [Fact]
    public void ARewrittenBaseIsRedisCommandsInBatchesOf64()
    {
        var list = new ListValue();
        for (int i = 0; i < 150; i++) list.PushTail(Encoding.ASCII.GetBytes(i.ToString()));
        var hash = new HashValue();
        var config = new Cinnabar.Config.ServerConfig();
        for (int i = 0; i < 70; i++) hash.Set(Encoding.ASCII.GetBytes("f" + i), Encoding.ASCII.GetBytes("v" + i), config);
        var zset = new SortedSetValue(listpack: true);
        zset.Add("m"u8, 1.5, config);
        zset.Add("inf"u8, double.PositiveInfinity, config);
        var images = new List<DatabaseImage>
        {
            new(0, [], 0, 0), // empty databases get no SELECT
            new(3, [
                new KeyEntry { Key = "s"u8.ToArray(), Value = "v"u8.ToArray(), ExpireAt = 4_000_000_000_000 },
                new KeyEntry { Key = "l"u8.ToArray(), Value = list },
                new KeyEntry { Key = "h"u8.ToArray(), Value = hash },
                new KeyEntry { Key = "z"u8.ToArray(), Value = zset },
                new KeyEntry { Key = "gone"u8.ToArray(), Value = "x"u8.ToArray(), ExpireAt = 1000 },
            ], 5, 2),
        };
        var ms = new MemoryStream();
        Assert.Equal(4, AofRewriter.Write(ms, images, nowMs: 2000, timestamp: true));
        var r = new AofCommandReader(new MemoryStream(ms.ToArray()), 0, 64);
        var read = ReadAll(r, out var last);
        Assert.Equal(AofReadResult.End, last);
        Assert.StartsWith("#TS:", Encoding.ASCII.GetString(ms.ToArray(), 0, 4));
        var shapes = read.Select(c => c[0] == "#" ? "#" : c[0] + "/" + (c.Length - 2)).ToList();
        Assert.Equal(["#", "SELECT/0", "SET/1", "PEXPIREAT/1", "RPUSH/64", "RPUSH/64", "RPUSH/22", "HMSET/128", "HMSET/12", "ZADD/4"], shapes);
        Assert.Equal(["SELECT", "3"], read[1]);
        Assert.Equal(["PEXPIREAT", "s", "4000000000000"], read[3]);
        Assert.Equal(Enumerable.Range(0, 150).Select(i => i.ToString()), read.Where(c => c[0] == "RPUSH").SelectMany(c => c.Skip(2)));
        Assert.Equal(["ZADD", "z", "1.5", "m", "inf", "inf"], read[9]);
    }
}
