using System.Buffers.Binary;
using System.Text;
using Cinnabar.Persistence;

namespace Cinnabar.Tests.Persistence;

/// <summary>
/// The RDB building blocks, checked against payloads produced by a real Redis 7.0.15 (DUMP output:
/// type byte, RDB-encoded value, RDB version, CRC64).
/// </summary>
public class RdbPrimitivesTests
{
    private static string S(byte[] b) => Encoding.Latin1.GetString(b);

    /// <summary>Splits a DUMP payload and verifies its footer (version 10, CRC64 of everything before it).</summary>
    private static RdbInput OpenDump(string hex, out byte type)
    {
        var payload = Convert.FromHexString(hex);
        var body = payload.AsSpan(0, payload.Length - 10);
        Assert.Equal(10, BinaryPrimitives.ReadUInt16LittleEndian(payload.AsSpan(payload.Length - 10)));
        Assert.Equal(BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan(payload.Length - 8)), Crc64.Compute(payload.AsSpan(0, payload.Length - 8)));
        var input = new RdbInput(new MemoryStream(body.ToArray()));
        type = input.ReadByte();
        return input;
    }

    [Fact]
    public void Crc64MatchesTheJonesCheckValue()
    {
        Assert.Equal(0xe9c6d914c4b8d9caUL, Crc64.Compute("123456789"u8));
        var data = new byte[1000];
        new Random(3).NextBytes(data);
        Assert.Equal(Crc64.Compute(data), Crc64.Update(Crc64.Compute(data.AsSpan(0, 333)), data.AsSpan(333)));
    }

    [Theory]
    [InlineData("000568656c6c6f0a006372df766534200a", "hello")]
    [InlineData("00c139300a009d94ea2793fc08b9", "12345")]
    [InlineData("00c290eefeff0a002875de7b13eb2800", "-70000")]
    public void ReadsStringsInEveryEncoding(string dump, string expected)
    {
        var input = OpenDump(dump, out byte type);
        Assert.Equal(RdbFormat.TypeString, type);
        Assert.Equal(expected, S(input.ReadString()));
    }

    [Fact]
    public void ReadsLzfCompressedStrings()
    {
        var input = OpenDump("00c30940c8016161e0bb000161610a001f99f72e01b20de3", out _);
        Assert.Equal(new string('a', 200), S(input.ReadString()));
    }

    [Fact]
    public void ReadsListpackHashesAndSortedSets()
    {
        var input = OpenDump("10151500000004008266310382763103826632037b01ff0a004ac585b69f9c1e83", out byte type);
        Assert.Equal(RdbFormat.TypeHashListpack, type);
        Assert.Equal(new[] { "f1", "v1", "f2", "123" }, Listpack.Decode(input.ReadString()).Select(S));

        input = OpenDump("111414000000040081610283312e35048162020201ff0a00fa02b425af188763", out type);
        Assert.Equal(RdbFormat.TypeZSetListpack, type);
        Assert.Equal(new[] { "a", "1.5", "b", "2" }, Listpack.Decode(input.ReadString()).Select(S));
    }

    [Fact]
    public void ReadsIntsetsAndQuicklists()
    {
        var input = OpenDump("0b18040000000400000001000000020000002c010000701101000a001440c9b9e6eb5e6a", out byte type);
        Assert.Equal(RdbFormat.TypeSetIntset, type);
        Assert.Equal(new long[] { 1, 2, 300, 70000 }, Intset.Decode(input.ReadString()));

        input = OpenDump("120102121200000004008161028162027b01dffb02ff0a000cd7b0070da6abea", out type);
        Assert.Equal(RdbFormat.TypeListQuicklist2, type);
        Assert.Equal(1, input.ReadLength()); // nodes
        Assert.Equal(RdbFormat.QuicklistNodePacked, input.ReadLength());
        Assert.Equal(new[] { "a", "b", "123", "-5" }, Listpack.Decode(input.ReadString()).Select(S));
    }

    [Fact]
    public void ListpackRoundTripsStringsAndIntegersOfEveryWidth()
    {
        var values = new List<byte[]>();
        foreach (var v in new long[] { 0, 127, 128, -1, -4096, 4095, 4096, -32768, 32767, 40000, -8388608, 8388607, 9000000, int.MinValue, int.MaxValue, long.MinValue, long.MaxValue })
            values.Add(Encoding.ASCII.GetBytes(v.ToString()));
        values.Add([]);
        values.Add(Encoding.ASCII.GetBytes(new string('x', 63)));
        values.Add(Encoding.ASCII.GetBytes(new string('y', 64)));
        values.Add(Encoding.ASCII.GetBytes(new string('z', 5000)));
        values.Add("007"u8.ToArray()); // not canonical: stays a string
        values.Add([0, 13, 10, 255]);
        var blob = Listpack.Encode(values);
        Assert.Equal(values.Select(S), Listpack.Decode(blob).Select(S));
    }

    [Fact]
    public void IntsetRoundTrips()
    {
        long[] values = [-5, 1, 70000, 5_000_000_000];
        Assert.Equal(values, Intset.Decode(Intset.Encode(values)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(100)]
    [InlineData(100_000)]
    public void LzfRoundTripsCompressibleAndRandomData(int size)
    {
        var rng = new Random(size);
        var text = new byte[size];
        for (int i = 0; i < size; i++) text[i] = (byte)"abcab"[rng.Next(5)];
        var noise = new byte[size];
        rng.NextBytes(noise);
        foreach (var input in new[] { text, noise })
        {
            var compressed = new byte[size + 64];
            int n = Lzf.Compress(input, compressed);
            if (n == 0) continue; // incompressible: the caller stores it raw
            var back = new byte[size];
            Assert.True(Lzf.TryDecompress(compressed.AsSpan(0, n), back));
            Assert.Equal(input, back);
        }
        if (size >= 100)
        {
            var repetitive = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("hello world ", size / 12 + 1)))[..size];
            var compressed = new byte[size];
            int n = Lzf.Compress(repetitive, compressed);
            Assert.InRange(n, 1, size / 4);
            var back = new byte[size];
            Assert.True(Lzf.TryDecompress(compressed.AsSpan(0, n), back));
            Assert.Equal(repetitive, back);
        }
    }

    [Fact]
    public void StringsWrittenByUsReadBackInEveryEncoding()
    {
        var ms = new MemoryStream();
        var output = new RdbOutput(ms);
        string[] values = ["", "0", "-1", "127", "-128", "32767", "40000", "-2147483648", "2147483648", "012", new string('q', 500), "plain text"];
        foreach (var v in values) output.WriteString(Encoding.Latin1.GetBytes(v));
        foreach (var len in new ulong[] { 0, 63, 64, 16383, 16384, uint.MaxValue, (ulong)uint.MaxValue + 1 }) output.WriteLength(len);
        output.Flush();
        var input = new RdbInput(new MemoryStream(ms.ToArray()));
        foreach (var v in values) Assert.Equal(v, S(input.ReadString()));
        foreach (var len in new long[] { 0, 63, 64, 16383, 16384, uint.MaxValue, (long)uint.MaxValue + 1 }) Assert.Equal(len, input.ReadLength());
        Assert.Equal(output.Crc, input.CurrentCrc());
    }

    // Redis 7.0.15: XADD s 1-1 name ann age 30; XADD s 1-2 name bob age 31; XADD s 2-0 other x; XDEL s 1-2;
    // XGROUP CREATE s g 0; XREADGROUP GROUP g alice COUNT 1 STREAMS s >; DUMP s
    private const string StreamDump =
        "13011000000000000000010000000000000001404d4d0000001900020101010201846e616d65058361676504000102010001000183616e6e041e0105" +
        "0103010001010183626f62041f01050100010101dfff020101856f74686572068178020601ff0202000101010203010167010181ffffffffffffffff01" +
        "000000000000000100000000000000014c300612a2010000010105616c6963654c300612a201000001000000000000000100000000000000010a0087" +
        "4e4dc2a94a9b65";

    [Fact]
    public void ReadsAndRewritesARedisStreamByteForByte()
    {
        var input = OpenDump(StreamDump, out byte type);
        Assert.Equal(RdbFormat.TypeStreamListpacks2, type);
        var stream = Assert.IsType<Cinnabar.DataTypes.StreamValue>(RdbValueCodec.Read(input, type, new Cinnabar.Config.ServerConfig()));
        Assert.Equal(2, stream.Length);
        Assert.Equal(new Cinnabar.DataTypes.StreamId(2, 0), stream.LastId);
        Assert.Equal(new Cinnabar.DataTypes.StreamId(1, 2), stream.MaxDeletedId);
        Assert.Equal(3UL, stream.EntriesAdded);
        var ids = new List<string>();
        var it = stream.Iterate(Cinnabar.DataTypes.StreamId.Min, Cinnabar.DataTypes.StreamId.Max, false);
        while (it.MoveNext())
        {
            var fields = it.Node.Fields(it.Index);
            var text = it.Id.Ms + "-" + it.Id.Seq;
            while (fields.MoveNext()) text += " " + S(fields.Field.ToArray()) + "=" + S(fields.Value.ToArray());
            ids.Add(text);
        }
        Assert.Equal(["1-1 name=ann age=30", "2-0 other=x"], ids);
        var group = stream.FindGroup("g"u8)!;
        Assert.Equal(-1, group.EntriesRead); // unknown after a deletion, saved as 2^64-1
        var pending = Assert.Single(group.Pending);
        Assert.Equal(new Cinnabar.DataTypes.StreamId(1, 1), pending.Id);
        Assert.Equal("alice", S(pending.Consumer!.Name));
        Assert.Equal(1, pending.DeliveryCount);

        var ms = new MemoryStream();
        var output = new RdbOutput(ms);
        RdbValueCodec.Write(output, stream);
        output.Flush();
        var original = Convert.FromHexString(StreamDump);
        Assert.Equal(Convert.ToHexString(original.AsSpan(0, original.Length - 10)), Convert.ToHexString(ms.ToArray()));
    }

    [Fact]
    public void MalformedStreamsAreRejected()
    {
        var body = Convert.FromHexString(StreamDump)[..^10];
        // Truncations anywhere and a corrupted listpack byte all give a format error, never a crash.
        for (int cut = 1; cut < body.Length; cut += 7)
        {
            var input = new RdbInput(new MemoryStream(body[..cut]));
            Assert.ThrowsAny<Exception>(() => RdbValueCodec.Read(input, input.ReadByte(), new Cinnabar.Config.ServerConfig()));
        }
        var corrupt = (byte[])body.Clone();
        corrupt[27] = 0x05; // the master entry claims 5 live entries; the node holds 1
        var bad = new RdbInput(new MemoryStream(corrupt));
        Assert.Throws<RdbFormatException>(() => RdbValueCodec.Read(bad, bad.ReadByte(), new Cinnabar.Config.ServerConfig()));
    }

    [Fact]
    public void MalformedBlobsAreRejectedNotCrashed()
    {
        Assert.Throws<RdbFormatException>(() => Listpack.Decode([1, 2, 3]));
        Assert.Throws<RdbFormatException>(() => Listpack.Decode([7, 0, 0, 0, 1, 0, 0xF4]));
        Assert.Throws<RdbFormatException>(() => Intset.Decode([3, 0, 0, 0, 1, 0, 0, 0, 1]));
        Assert.Throws<RdbFormatException>(() => new RdbInput(new MemoryStream([0xC3, 5, 10, 1, 2])).ReadString());
    }

    /// <summary>
    /// Loaded list nodes and hash listpacks are kept as they are, so validation is all that stands between a
    /// damaged file and a crash later: every corruption either validates (and then decodes in full) or is
    /// refused with <see cref="RdbFormatException"/>.
    /// </summary>
    [Fact]
    public void EveryBackLengthByteOfAnEntryIsChecked()
    {
        foreach (int length in new[] { 1, 60, 126, 200, 5000, 20_000 })
        {
            var value = Encoding.ASCII.GetBytes(new string('x', length));
            var entry = new byte[Cinnabar.DataTypes.ListpackEntry.SizeOf(value)];
            Cinnabar.DataTypes.ListpackEntry.Write(entry, value);
            Assert.Equal(entry.Length, Cinnabar.DataTypes.ListpackEntry.Validate(entry, 0, entry.Length));
            int body = (length < 64 ? 1 : length < 4096 ? 2 : 5) + length; // encoding header and data
            int backlen = Cinnabar.DataTypes.ListpackEntry.BacklenSize(body);
            for (int i = entry.Length - backlen; i < entry.Length; i++)
            {
                var damaged = (byte[])entry.Clone();
                damaged[i] ^= 0x01;
                Assert.Equal(-1, Cinnabar.DataTypes.ListpackEntry.Validate(damaged, 0, damaged.Length));
            }
        }
    }

    [Fact]
    public void CorruptedListpacksAreRefusedOrDecodeCompletely()
    {
        var rng = new Random(17);
        var builder = new ListpackBuilder();
        foreach (var e in new[] { "a", "12", "-4000", "70000", "9223372036854775807", new string('x', 100), new string('y', 5000), "007" })
            builder.AddString(Encoding.ASCII.GetBytes(e));
        var good = builder.ToArray();
        Assert.Equal(8, Listpack.Validate(good));
        int refused = 0;
        for (int trial = 0; trial < 20_000; trial++)
        {
            var blob = (byte[])good.Clone();
            for (int flips = rng.Next(1, 4); flips > 0; flips--) blob[rng.Next(blob.Length)] = (byte)rng.Next(256);
            if (rng.Next(4) == 0) blob = blob[..rng.Next(blob.Length)];
            try
            {
                int count = Listpack.Validate(blob);
                Assert.Equal(count, Listpack.Decode(blob).Count);
            }
            catch (RdbFormatException)
            {
                refused++;
            }
        }
        Assert.True(refused > 3_000, $"only {refused} refused");
    }

    [Fact]
    public void ResizeDbSizesTheKeyTableBeforeTheKeysArrive()
    {
        var source = new Cinnabar.Keyspace.KeyTable();
        for (int i = 0; i < 5000; i++)
        {
            var key = Encoding.ASCII.GetBytes("key:" + i);
            source.Add(key, Cinnabar.Keyspace.KeyTable.HashOf(key), Encoding.ASCII.GetBytes("v" + i), i % 2 == 0 ? 4_000_000_000_000 : 0);
        }
        var file = new MemoryStream();
        RdbFile.Write(file, [new DatabaseImage(3, source.CopyEntries(), source.Count, 2500)], new RdbSaveOptions { NowMs = 1 });

        var loaded = new Cinnabar.Keyspace.KeyTable();
        var sizes = new List<(int Db, long Keys)>();
        bool growthWhileLoading = false;
        RdbFile.Read(new MemoryStream(file.ToArray()), new Cinnabar.Config.ServerConfig(),
            (db, key, value, expireAt) =>
            {
                loaded.Add(key, Cinnabar.Keyspace.KeyTable.HashOf(key), value, expireAt);
                growthWhileLoading |= loaded.IsRehashing;
            },
            (db, keys) =>
            {
                sizes.Add((db, keys));
                loaded.Reserve(keys);
            });
        Assert.Equal([(3, 5000L)], sizes);
        Assert.False(growthWhileLoading);
        Assert.Equal(8192, loaded.BucketCount);
        Assert.Equal(5000, loaded.Count);
    }
    /// <summary>
    /// The codec's single type switch: every value family in each of its encodings is written with the type byte
    /// Redis 7.0 uses and read back as the same family; type bytes of values this server does not have are refused.
    /// </summary>
    [Fact]
    public void EveryValueFamilyRoundTripsThroughItsTypeByte()
    {
        var config = new Cinnabar.Config.ServerConfig { HashMaxListpackEntries = 2, SetMaxIntsetEntries = 2, ZSetMaxListpackEntries = 2 };
        var list = new Cinnabar.DataTypes.ListValue();
        list.PushTail("a"u8);
        var smallHash = new Cinnabar.DataTypes.HashValue();
        smallHash.Set("f"u8, "v"u8, config);
        var bigHash = new Cinnabar.DataTypes.HashValue();
        for (int i = 0; i < 3; i++) bigHash.Set(Encoding.ASCII.GetBytes("f" + i), "v"u8, config);
        var intset = Cinnabar.DataTypes.SetValue.CreateIntset();
        intset.Add("1"u8, config);
        var set = Cinnabar.DataTypes.SetValue.CreateFor("x"u8);
        set.Add("x"u8, config);
        var smallZ = new Cinnabar.DataTypes.SortedSetValue();
        smallZ.Add("m"u8, 1, config);
        var bigZ = new Cinnabar.DataTypes.SortedSetValue();
        for (int i = 0; i < 3; i++) bigZ.Add(Encoding.ASCII.GetBytes("m" + i), i, config);
        var stream = new Cinnabar.DataTypes.StreamValue();
        stream.Append(new Cinnabar.DataTypes.StreamId(1, 1), new Cinnabar.DataTypes.ArrayFields(["f"u8.ToArray(), "v"u8.ToArray()]), 100, 4096);

        (object Value, byte Type)[] cases =
        [
            ("s"u8.ToArray(), RdbFormat.TypeString),
            (list, RdbFormat.TypeListQuicklist2),
            (smallHash, RdbFormat.TypeHashListpack),
            (bigHash, RdbFormat.TypeHash),
            (intset, RdbFormat.TypeSetIntset),
            (set, RdbFormat.TypeSet),
            (smallZ, RdbFormat.TypeZSetListpack),
            (bigZ, RdbFormat.TypeZSet2),
            (stream, RdbFormat.TypeStreamListpacks2),
        ];
        string EncodingOf(object v) => v is Cinnabar.DataTypes.IRedisObject o ? o.GetEncoding(config) : Cinnabar.DataTypes.RedisValue.StringEncoding((byte[])v);
        foreach (var (value, type) in cases)
        {
            var buffer = new MemoryStream();
            var output = new RdbOutput(buffer);
            RdbValueCodec.Write(output, value);
            output.Flush();
            var input = new RdbInput(new MemoryStream(buffer.ToArray()));
            Assert.Equal(type, input.ReadByte());
            var back = RdbValueCodec.Read(input, type, config);
            Assert.Equal(Cinnabar.DataTypes.RedisValue.TypeName(value), Cinnabar.DataTypes.RedisValue.TypeName(back));
            Assert.Equal(EncodingOf(value), EncodingOf(back));
        }

        Assert.False(RdbValueCodec.IsValueType(RdbFormat.TypeModule2));
        Assert.True(RdbValueCodec.IsValueType(RdbFormat.TypeHashZipmap)); // a zipmap is a value type, just not one loaded here
        var zipmap = Assert.Throws<RdbFormatException>(() => RdbValueCodec.Read(new RdbInput(new MemoryStream([0])), RdbFormat.TypeHashZipmap, config));
        Assert.Equal("unsupported value type 9 at offset 0", zipmap.Message);
    }
}
