using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;

namespace Cinnabar.Benchmarks;

/// <summary>
/// The bulk commands of issue 16 without sockets: BITCOUNT of a 64 MB string, BITOP over four 1 MB
/// strings, and GEOSEARCH BYRADIUS 5 km in a 1,000,000-member set (whose cost must follow the members
/// of the nine cells searched, not the set's size). Ratios against Redis are measured over the network
/// with both servers side by side (see docs/commands/bitmaps.md and geo.md).
/// </summary>
[MemoryDiagnoser]
public class BitmapGeoBenchmarks
{
    private InProcessServer _server = null!;
    private byte[] _bitCount = null!, _bitOpAnd = null!, _geoSearch = null!;

    private static byte[] A(string s) => Encoding.ASCII.GetBytes(s);

    [GlobalSetup]
    public void Setup()
    {
        _server = new InProcessServer();
        var rnd = new Random(1);
        Run(Request(A("SETBIT"), A("big"), A((64L * 8 * 1024 * 1024 - 1).ToString(CultureInfo.InvariantCulture)), A("1")));
        for (int i = 0; i < 4; i++)
        {
            var v = new byte[1 << 20];
            rnd.NextBytes(v);
            Run(Request(A("SET"), A("src" + i), v));
        }
        for (int b = 0; b < 1_000_000; b += 1000)
        {
            var args = new List<byte[]> { A("GEOADD"), A("geo") };
            for (int i = b; i < b + 1000; i++)
            {
                args.Add(A((rnd.NextDouble() * 40 - 10).ToString("R", CultureInfo.InvariantCulture)));
                args.Add(A((rnd.NextDouble() * 25 + 35).ToString("R", CultureInfo.InvariantCulture)));
                args.Add(A("m" + i));
            }
            Run(Request([.. args]));
        }
        _bitCount = Request(A("BITCOUNT"), A("big"));
        _bitOpAnd = Request(A("BITOP"), A("AND"), A("dst"), A("src0"), A("src1"), A("src2"), A("src3"));
        _geoSearch = Request(A("GEOSEARCH"), A("geo"), A("FROMLONLAT"), A("10.5"), A("47.25"), A("BYRADIUS"), A("5"), A("km"), A("ASC"));
    }

    [Benchmark]
    public int BitCount64MB() => Run(_bitCount);

    [Benchmark]
    public int BitOpAnd4x1MB() => Run(_bitOpAnd);

    [Benchmark]
    public int GeoSearch5kmIn1M() => Run(_geoSearch);

    private int Run(byte[] request) => _server.Run(request);

    private static byte[] Request(params byte[][] args) => InProcessServer.Request(args);
}
