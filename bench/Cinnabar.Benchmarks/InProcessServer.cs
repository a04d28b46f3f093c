using System.Text;
using Cinnabar;
using Cinnabar.Config;
using Cinnabar.Protocol;

namespace Cinnabar.Benchmarks;

/// <summary>A server and one client without sockets: parse a request and run it through the dispatcher, as a connection does.</summary>
internal sealed class InProcessServer
{
    private readonly RequestParser _parser = new();
    private readonly ArgSlice[] _slices = new ArgSlice[4096];

    public InProcessServer()
    {
        Server = new CinnabarServer(new ServerConfig { LogLevel = LogVerbosity.Nothing });
        Client = new Client(Server, new ReplyBuffer());
    }

    public CinnabarServer Server { get; }
    public Client Client { get; }

    /// <summary>Parses and executes one request; returns the length of its reply.</summary>
    public int Run(byte[] request)
    {
        int pos = 0;
        _parser.Parse(request, ref pos, request.Length);
        var args = _parser.Args;
        args.CopyTo(_slices);
        Client.SetArgs(request, _slices, 0, args.Length);
        Client.Reply.Clear();
        lock (Server.ExecLock) Server.Dispatcher.Execute(Client);
        return Client.Reply.Length;
    }

    /// <summary>A RESP multibulk request of <paramref name="args"/>.</summary>
    public static byte[] Request(params byte[][] args)
    {
        var ms = new MemoryStream();
        ms.Write(Encoding.ASCII.GetBytes($"*{args.Length}\r\n"));
        foreach (var a in args)
        {
            ms.Write(Encoding.ASCII.GetBytes($"${a.Length}\r\n"));
            ms.Write(a);
            ms.Write("\r\n"u8);
        }
        return ms.ToArray();
    }
}
