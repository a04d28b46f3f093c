using System.Text;
using Cinnabar.Protocol;

namespace Cinnabar.Tests.Protocol;

public class ReplyBufferTests
{
    private static string Write(int protocol, Action<ReplyBuffer> write)
    {
        var r = new ReplyBuffer { Protocol = protocol };
        write(r);
        return Encoding.Latin1.GetString(r.WrittenSpan);
    }

    [Fact]
    public void NullsDependOnProtocol()
    {
        Assert.Equal("$-1\r\n", Write(2, r => r.Null()));
        Assert.Equal("*-1\r\n", Write(2, r => r.NullArray()));
        Assert.Equal("_\r\n", Write(3, r => r.Null()));
        Assert.Equal("_\r\n", Write(3, r => r.NullArray()));
    }

    [Fact]
    public void AggregatesDependOnProtocol()
    {
        Assert.Equal("*4\r\n", Write(2, r => r.MapHeader(2)));
        Assert.Equal("%2\r\n", Write(3, r => r.MapHeader(2)));
        Assert.Equal("*3\r\n", Write(2, r => r.SetHeader(3)));
        Assert.Equal("~3\r\n", Write(3, r => r.SetHeader(3)));
        Assert.Equal(">3\r\n", Write(3, r => r.PushHeader(3)));
    }

    [Fact]
    public void ScalarsAreEncodedExactly()
    {
        Assert.Equal(":0\r\n:-42\r\n:9223372036854775807\r\n", Write(2, r => { r.Integer(0); r.Integer(-42); r.Integer(long.MaxValue); }));
        Assert.Equal("$4\r\n1.5\0\r\n", Write(2, r => r.Bulk("1.5\0"u8)));
        Assert.Equal("$3\r\n1.5\r\n", Write(2, r => r.Double(1.5)));
        Assert.Equal(",1.5\r\n", Write(3, r => r.Double(1.5)));
        Assert.Equal("#t\r\n", Write(3, r => r.Boolean(true)));
        Assert.Equal(":1\r\n", Write(2, r => r.Boolean(true)));
        Assert.Equal("=9\r\ntxt:hello\r\n", Write(3, r => r.Verbatim("hello"u8)));
        Assert.Equal("$5\r\nhello\r\n", Write(2, r => r.Verbatim("hello"u8)));
    }

    [Fact]
    public void ErrorsStayOnOneLine()
    {
        Assert.Equal("-ERR bad\r\nthing\r\n".Replace("\r\nthing", "  thing"), Write(2, r => r.Error("ERR bad\r\nthing")));
    }

    [Fact]
    public void GrowsForLargeValuesAndSwapsStorage()
    {
        var big = new byte[1 << 20];
        new Random(1).NextBytes(big);
        var a = new ReplyBuffer();
        a.Bulk(big);
        var b = new ReplyBuffer();
        a.SwapStorage(b);
        Assert.Equal(0, a.Length);
        int header = "$1048576\r\n".Length;
        Assert.Equal(header + big.Length + 2, b.Length);
        Assert.True(b.WrittenSpan.Slice(header, big.Length).SequenceEqual(big));
    }
}
