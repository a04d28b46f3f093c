using System.Text;
using BenchmarkDotNet.Attributes;
using Cinnabar.Protocol;

namespace Cinnabar.Benchmarks;

/// <summary>
/// The per-command hot path without sockets: parse a request, dispatch it through the command table,
/// execute against the keyspace and encode the reply. Allocated bytes must stay 0 for GET and for
/// SET-overwrite beyond the stored value itself.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private readonly RequestParser _parser = new();
    private InProcessServer _server = null!;
    private byte[] _getRequest = null!, _setRequest = null!, _incrRequest = null!, _pipeline = null!;

    [GlobalSetup]
    public void Setup()
    {
        _server = new InProcessServer();
        _getRequest = Encoding.ASCII.GetBytes("*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000042\r\n");
        _setRequest = Encoding.ASCII.GetBytes("*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000042\r\n$3\r\nxyz\r\n");
        _incrRequest = Encoding.ASCII.GetBytes("*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n");
        _pipeline = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000042\r\n", 16)));
        Run(_setRequest);
    }

    [Benchmark]
    public int ParseGet()
    {
        int pos = 0;
        _parser.Parse(_getRequest, ref pos, _getRequest.Length);
        return pos;
    }

    [Benchmark]
    public int ParsePipelineOf16()
    {
        int pos = 0, n = 0;
        while (_parser.Parse(_pipeline, ref pos, _pipeline.Length) == ParseStatus.Complete) n++;
        return n;
    }

    [Benchmark]
    public int ExecuteGet() => Run(_getRequest);

    [Benchmark]
    public int ExecuteSet() => Run(_setRequest);

    [Benchmark]
    public int ExecuteIncr() => Run(_incrRequest);

    private int Run(byte[] request) => _server.Run(request);
}
