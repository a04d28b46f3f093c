using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Cinnabar.Config;
using Cinnabar.EndToEnd.Infrastructure;
using StackExchange.Redis;

namespace Cinnabar.EndToEnd.Security;

/// <summary>TLS clients: redis-cli --tls, StackExchange.Redis with ssl=true, client certificates, bad peers.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    private TestServer Start(TlsAuthClients auth = TlsAuthClients.No, Action<ServerConfig>? more = null)
    {
        int tlsPort = RealRedis.FreePort();
        return new TestServer(c =>
        {
            _certs.Configure(c, tlsPort, auth);
            more?.Invoke(c);
        });
    }

    [Fact]
    public async Task RedisCliTalksToTheTlsPort()
    {
        await using var server = Start();
        int tls = server.Server.TlsPort;
        Assert.NotEqual(0, tls);
        Assert.Equal("PONG", _certs.TlsCli(tls, null, "PING"));
        Assert.Equal("OK", _certs.TlsCli(tls, null, "SET", "tls:k", "hello"));
        Assert.Equal("hello", _certs.TlsCli(tls, null, "GET", "tls:k"));
        // The plain port serves the same data, unchanged.
        Assert.Equal("hello", server.Cli("GET", "tls:k"));
        // A larger value, a pipeline of many commands and a pub/sub push all cross the TLS stream.
        var part = new string('x', 100_000);
        for (int i = 0; i < 3; i++) _certs.TlsCli(tls, null, "APPEND", "tls:big", part);
        Assert.Equal("300000", _certs.TlsCli(tls, null, "STRLEN", "tls:big"));
        Assert.Equal(part + part + part, _certs.TlsCli(tls, null, "GET", "tls:big"));
        Assert.Equal("100", RepeatIncr(tls, 100));
        Assert.Contains("connected_clients:", _certs.TlsCli(tls, null, "INFO", "clients"));
    }

    /// <summary>INCR 100 times in one redis-cli pipe (-r), over TLS; returns the final value.</summary>
    private string RepeatIncr(int port, int times)
    {
        _certs.TlsCli(port, null, "-r", times.ToString(), "INCR", "tls:counter");
        return _certs.TlsCli(port, null, "GET", "tls:counter");
    }

    [Fact]
    public async Task StackExchangeRedisConnectsWithSsl()
    {
        await using var server = Start();
        var options = new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", server.Server.TlsPort } },
            Ssl = true,
            SslHost = "localhost",
            AbortOnConnectFail = true,
            ConnectTimeout = 5000,
            AllowAdmin = true,
        };
        options.CertificateValidation += (_, cert, _, _) => _certs.Trusts(cert);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(options);
        var db = mux.GetDatabase();
        Assert.True(await db.StringSetAsync("se:k", "v1"));
        Assert.Equal("v1", (string?)await db.StringGetAsync("se:k"));
        var tasks = Enumerable.Range(0, 500).Select(i => db.StringIncrementAsync("se:n")).ToArray();
        await Task.WhenAll(tasks);
        Assert.Equal(500, (long)await db.StringGetAsync("se:n"));
        // Pub/sub over the same TLS connections.
        var got = new TaskCompletionSource<string>();
        await mux.GetSubscriber().SubscribeAsync(RedisChannel.Literal("se:ch"), (_, m) => got.TrySetResult(m!));
        await db.PublishAsync(RedisChannel.Literal("se:ch"), "hi");
        Assert.Equal("hi", await got.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task AuthClientsYesRequiresATrustedCertificate()
    {
        await using var server = Start(TlsAuthClients.Yes);
        int tls = server.Server.TlsPort;
        Assert.Equal("PONG", _certs.TlsCli(tls, _certs.Client, "PING"));
        Assert.DoesNotContain("PONG", _certs.TlsCli(tls, null, "PING"));
        Assert.DoesNotContain("PONG", _certs.TlsCli(tls, _certs.Expired, "PING"));
        Assert.DoesNotContain("PONG", _certs.TlsCli(tls, _certs.Untrusted, "PING"));
        // The server carries on.
        Assert.Equal("PONG", _certs.TlsCli(tls, _certs.Client, "PING"));
        Assert.Equal("PONG", server.Cli("PING"));

        // StackExchange.Redis with a client certificate.
        var options = new ConfigurationOptions { EndPoints = { { "127.0.0.1", tls } }, Ssl = true, SslHost = "localhost", AbortOnConnectFail = true, ConnectTimeout = 5000 };
        options.CertificateValidation += (_, cert, _, _) => _certs.Trusts(cert);
        options.CertificateSelection += (_, _, _, _, _) => X509Certificate2.CreateFromPemFile(_certs.ClientCertFile, _certs.ClientKeyFile);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(options);
        Assert.Equal("pong", (string?)await mux.GetDatabase().ExecuteAsync("ECHO", "pong"));
    }

    [Fact]
    public async Task ClientCertificatesAreJudgedAsRedisJudgesThem()
    {
        int redisTls = RealRedis.FreePort();
        using var redis = new RealRedis(_certs.RedisArgs(redisTls, "yes"));
        await using var server = Start(TlsAuthClients.Yes);
        foreach (var (name, cert) in new (string, (string, string)?)[] { ("none", null), ("valid", _certs.Client), ("expired", _certs.Expired),
                     ("untrusted", _certs.Untrusted), ("server-auth only", _certs.ServerOnly) })
        {
            bool redisServes = _certs.TlsCli(redisTls, cert, "PING") == "PONG";
            bool weServe = _certs.TlsCli(server.Server.TlsPort, cert, "PING") == "PONG";
            Assert.True(redisServes == weServe, $"{name}: redis {(redisServes ? "serves" : "refuses")} it, Cinnabar {(weServe ? "serves" : "refuses")} it");
        }
    }

    [Fact]
    public async Task AuthClientsOptionalAcceptsNoCertificateButNotABadOne()
    {
        await using var server = Start(TlsAuthClients.Optional);
        int tls = server.Server.TlsPort;
        Assert.Equal("PONG", _certs.TlsCli(tls, null, "PING"));
        Assert.Equal("PONG", _certs.TlsCli(tls, _certs.Client, "PING"));
        Assert.DoesNotContain("PONG", _certs.TlsCli(tls, _certs.Untrusted, "PING"));
        // tls-auth-clients applies to the next connection, without a reload (as Redis).
        Assert.Equal("OK", server.Cli("CONFIG", "SET", "tls-auth-clients", "yes"));
        Assert.DoesNotContain("PONG", _certs.TlsCli(tls, null, "PING"));
        Assert.Equal("PONG", _certs.TlsCli(tls, _certs.Client, "PING"));
    }

    [Fact]
    public async Task PlainTextOnTheTlsPortIsClosed()
    {
        await using var server = Start();
        int tls = server.Server.TlsPort;
        for (int i = 0; i < 3; i++)
        {
            using var tcp = new TcpClient();
            tcp.Connect("127.0.0.1", tls);
            var s = tcp.GetStream();
            s.ReadTimeout = 10000;
            s.Write("*1\r\n$4\r\nPING\r\n"u8);
            var buf = new byte[256];
            int n;
            try { n = s.Read(buf); }
            catch (IOException) { n = 0; } // reset
            // Nothing a plain client could read as a reply: at most a TLS alert, then the close.
            Assert.DoesNotContain("PONG", Encoding.Latin1.GetString(buf, 0, n));
            try { while (n > 0) n = s.Read(buf); } catch (IOException) { }
        }
        // redis-cli without --tls too.
        Assert.DoesNotContain("PONG", TestCertificates.Cli("-h", "127.0.0.1", "-p", tls.ToString(), "PING"));
        Assert.Equal("PONG", _certs.TlsCli(tls, null, "PING"));
        Assert.Equal("PONG", server.Cli("PING"));
    }

    [Fact]
    public async Task AHandshakeThatNeverCompletesIsClosed()
    {
        await using var server = Start(more: c => c.TlsHandshakeTimeoutMs = 500);
        int tls = server.Server.TlsPort;
        using var tcp = new TcpClient();
        tcp.Connect("127.0.0.1", tls);
        var s = tcp.GetStream();
        s.ReadTimeout = 10000;
        var sw = Stopwatch.StartNew();
        int n;
        try { n = s.Read(new byte[16]); } catch (IOException) { n = 0; }
        Assert.Equal(0, n);
        Assert.InRange(sw.ElapsedMilliseconds, 300, 8000);
        // A handshake that stops half way (a ClientHello cut short) too.
        using var tcp2 = new TcpClient();
        tcp2.Connect("127.0.0.1", tls);
        tcp2.GetStream().Write(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 });
        tcp2.GetStream().ReadTimeout = 10000;
        try { n = tcp2.GetStream().Read(new byte[16]); } catch (IOException) { n = 0; }
        Assert.Equal(0, n);
        Assert.Equal("PONG", _certs.TlsCli(tls, null, "PING"));
    }

    [Fact]
    public async Task ATlsOnlyServerHasNoPlainPort()
    {
        await using var server = Start(more: c => c.Port = 0);
        Assert.Empty(server.Server.BoundPorts);
        Assert.Equal("PONG", _certs.TlsCli(server.Server.TlsPort, null, "PING"));
        Assert.Equal("0", _certs.TlsCli(server.Server.TlsPort, null, "CONFIG", "GET", "port").Split('\n')[1]);
    }

    [Fact]
    public async Task AnEncryptedKeyWithItsPassword()
    {
        await using var server = Start(more: c =>
        {
            c.TlsKeyFile = _certs.EncryptedServerKeyFile;
            c.TlsKeyFilePass = TestCertificates.KeyPassword;
        });
        Assert.Equal("PONG", _certs.TlsCli(server.Server.TlsPort, null, "PING"));

        // OpenSSL's traditional encrypted PEM ("Proc-Type: 4,ENCRYPTED"), which redis-server reads too.
        var legacy = Path.Combine(_certs.Dir, "legacy.key");
        var openssl = System.Diagnostics.Process.Start(new ProcessStartInfo("openssl", ["ec", "-in", _certs.ServerKeyFile, "-aes256", "-passout", "pass:" + TestCertificates.KeyPassword, "-out", legacy])
            { RedirectStandardError = true })!;
        openssl.WaitForExit();
        Assert.Contains("Proc-Type: 4,ENCRYPTED", File.ReadAllText(legacy));
        int redisTls = RealRedis.FreePort();
        using (var redis = new RealRedis([.. _certs.RedisArgs(redisTls), "--tls-key-file", legacy, "--tls-key-file-pass", TestCertificates.KeyPassword]))
            Assert.Equal("PONG", _certs.TlsCli(redisTls, null, "PING"));
        Assert.Equal("OK", server.Cli("CONFIG", "SET", "tls-key-file", legacy));
        Assert.Equal("PONG", _certs.TlsCli(server.Server.TlsPort, null, "PING"));
        Assert.StartsWith("ERR CONFIG SET failed", server.Cli("CONFIG", "SET", "tls-key-file-pass", "wrong"));
        Assert.Equal("PONG", _certs.TlsCli(server.Server.TlsPort, null, "PING"));
    }

    [Fact]
    public async Task StartingWithoutCertificatesFails()
    {
        var ex = Assert.Throws<ConfigException>(() => new TestServer(c => c.TlsPort = RealRedis.FreePort()));
        Assert.Contains("No tls-cert-file configured!", ex.Message);
        ex = Assert.Throws<ConfigException>(() => new TestServer(c =>
        {
            _certs.Configure(c, RealRedis.FreePort(), TlsAuthClients.Yes);
            c.TlsCaCertFile = "";
        }));
        Assert.Contains("Either tls-ca-cert-file or tls-ca-cert-dir must be specified", ex.Message);
        ex = Assert.Throws<ConfigException>(() => new TestServer(c =>
        {
            _certs.Configure(c, RealRedis.FreePort());
            c.TlsKeyFile = _certs.EncryptedServerKeyFile;
            c.TlsKeyFilePass = "wrong";
        }));
        Assert.Contains("Failed to load private key", ex.Message);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task CaCertDirTrustsTheCertificatesInIt()
    {
        var caDir = Directory.CreateDirectory(Path.Combine(_certs.Dir, "cadir")).FullName;
        File.Copy(_certs.CaFile, Path.Combine(caDir, "ca.pem"));
        await using var server = Start(TlsAuthClients.Yes, c =>
        {
            c.TlsCaCertFile = "";
            c.TlsCaCertDir = caDir;
        });
        Assert.Equal("PONG", _certs.TlsCli(server.Server.TlsPort, _certs.Client, "PING"));
        Assert.DoesNotContain("PONG", _certs.TlsCli(server.Server.TlsPort, _certs.Untrusted, "PING"));
    }

    [Fact]
    public async Task ProtocolsAndCipherSuitesAreEnforced()
    {
        await using var server = Start(more: c =>
        {
            c.TlsProtocols = "TLSv1.2";
            c.TlsCiphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
        });
        int tls = server.Server.TlsPort;
        Assert.Equal("PONG", _certs.TlsCli(tls, null, "PING"));
        Assert.Equal(System.Security.Authentication.SslProtocols.Tls12, Handshake(tls).Protocol);
        Assert.Equal(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, Handshake(tls).Cipher);
        Assert.Equal("OK", server.Cli("CONFIG", "SET", "tls-protocols", "TLSv1.3", "tls-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"));
        Assert.Equal(System.Security.Authentication.SslProtocols.Tls13, Handshake(tls).Protocol);
        Assert.Equal(TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256, Handshake(tls).Cipher);
        Assert.Equal("PONG", _certs.TlsCli(tls, null, "PING"));
    }

    /// <summary>A .NET TLS handshake with the server: the negotiated protocol and cipher suite, and the server's certificate.</summary>
    private (System.Security.Authentication.SslProtocols Protocol, TlsCipherSuite Cipher, X509Certificate2 Certificate) Handshake(int port)
    {
        using var tcp = new TcpClient();
        tcp.Connect("127.0.0.1", port);
        using var ssl = new SslStream(tcp.GetStream());
        ssl.AuthenticateAsClient(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, cert, _, _) => _certs.Trusts(cert),
        });
        return (ssl.SslProtocol, ssl.NegotiatedCipherSuite, X509CertificateLoader.LoadCertificate(ssl.RemoteCertificate!.GetRawCertData()));
    }

    [Fact]
    public async Task ConfigSetReloadsCertificatesAndMovesTheTlsPort()
    {
        await using var server = Start();
        int tls = server.Server.TlsPort;
        var first = Handshake(tls).Certificate.Thumbprint;
        // Rotation: new files (or the same names with new content) are read on CONFIG SET.
        Assert.Equal("OK", server.Cli("CONFIG", "SET", "tls-cert-file", _certs.SecondServerCertFile, "tls-key-file", _certs.SecondServerKeyFile));
        var second = Handshake(tls).Certificate.Thumbprint;
        Assert.NotEqual(first, second);
        // A refused change keeps everything as it was.
        Assert.Equal("ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS configuration. Check server logs.",
            server.Cli("CONFIG", "SET", "tls-cert-file", "/nonexistent/cert.pem"));
        Assert.Equal(_certs.SecondServerCertFile, server.Cli("CONFIG", "GET", "tls-cert-file").Split('\n')[1]);
        Assert.Equal(second, Handshake(tls).Certificate.Thumbprint);
        // A new port: the old one closes, the new one serves TLS.
        int moved = RealRedis.FreePort();
        Assert.Equal("OK", server.Cli("CONFIG", "SET", "tls-port", moved.ToString()));
        Assert.Equal(moved, server.Server.TlsPort);
        Assert.Equal("PONG", _certs.TlsCli(moved, null, "PING"));
        Assert.Throws<SocketException>(() => new TcpClient().Connect("127.0.0.1", tls));
        // A port in use is refused and the listener stays where it was.
        using var squatter = new TcpListener(System.Net.IPAddress.Parse("127.0.0.1"), 0);
        squatter.Start();
        int busy = ((System.Net.IPEndPoint)squatter.LocalEndpoint).Port;
        Assert.Equal("ERR CONFIG SET failed (possibly related to argument 'tls-port') - Unable to listen on this port. Check server logs.",
            server.Cli("CONFIG", "SET", "tls-port", busy.ToString()));
        Assert.Equal(moved.ToString(), server.Cli("CONFIG", "GET", "tls-port").Split('\n')[1]);
        Assert.Equal("PONG", _certs.TlsCli(moved, null, "PING"));
        // tls-port 0 closes the TLS listener.
        Assert.Equal("OK", server.Cli("CONFIG", "SET", "tls-port", "0"));
        Assert.Equal(0, server.Server.TlsPort);
    }

    [Fact]
    public async Task TlsParametersMatchRedis()
    {
        int redisTls = RealRedis.FreePort();
        using var redis = new RealRedis(_certs.RedisArgs(redisTls));
        await using var server = Start();
        using var r = redis.Connect();
        using var ours = server.Raw();
        // The values set at start-up, as Redis shows them (the port aside).
        foreach (var name in new[] { "tls-cert-file", "tls-key-file", "tls-ca-cert-file", "tls-ca-cert-dir", "tls-auth-clients", "tls-protocols",
                     "tls-ciphers", "tls-ciphersuites", "tls-replication", "tls-cluster", "tls-key-file-pass", "tls-client-cert-file",
                     "tls-client-key-file", "tls-client-key-file-pass", "tls-dh-params-file", "tls-prefer-server-ciphers", "tls-session-caching",
                     "tls-session-cache-size", "tls-session-cache-timeout" })
            Assert.Equal(r.Call("CONFIG", "GET", name), ours.Call("CONFIG", "GET", name));
        Assert.Equal($"*2\r\n$8\r\ntls-port\r\n${server.Server.TlsPort.ToString().Length}\r\n{server.Server.TlsPort}\r\n", ours.Call("CONFIG", "GET", "tls-port"));
        // Errors of CONFIG SET, byte for byte.
        string[][] cases =
        [
            ["tls-protocols", "TLSv1.2 bogus"],
            ["tls-protocols", "TLSv1.2  TLSv1.3"],
            ["tls-cert-file", "/nonexistent"],
            ["tls-key-file", "/nonexistent"],
            ["tls-ca-cert-file", "/nonexistent"],
            ["tls-auth-clients", "maybe"],
            ["tls-replication", "perhaps"],
            ["tls-port", "70000"],
            ["tls-port", "abc"],
            ["tls-ciphersuites", "NOT_A_SUITE"],
            ["tls-ciphers", "NOT-A-CIPHER"],
        ];
        foreach (var c in cases)
            Assert.Equal(r.Call("CONFIG", "SET", c[0], c[1]), ours.Call("CONFIG", "SET", c[0], c[1]));
        // Accepted changes, shown back the same.
        foreach (var c in new[] { new[] { "tls-protocols", "tlsv1.2 TLSv1.3" }, ["tls-auth-clients", "optional"], ["tls-replication", "yes"], ["tls-ciphersuites", "TLS_AES_128_GCM_SHA256"] })
        {
            Assert.Equal(r.Call("CONFIG", "SET", c[0], c[1]), ours.Call("CONFIG", "SET", c[0], c[1]));
            Assert.Equal(r.Call("CONFIG", "GET", c[0]), ours.Call("CONFIG", "GET", c[0]));
        }
        // Not built: refused unless the default, never accepted and ignored.
        Assert.Contains("not supported by Cinnabar yet", ours.Call("CONFIG", "SET", "tls-session-caching", "no"));
        Assert.Contains("not supported by Cinnabar yet", ours.Call("CONFIG", "SET", "tls-dh-params-file", _certs.CaFile));
        Assert.Equal("+OK\r\n", ours.Call("CONFIG", "SET", "tls-session-caching", "yes"));
    }

    /// <summary>Everything a TLS client reads until the server closes (the handshake done, nothing sent).</summary>
    private string ReadOverTlsUntilClosed(string host, int port)
    {
        using var tcp = new TcpClient(host, port);
        using var ssl = new SslStream(tcp.GetStream());
        ssl.ReadTimeout = 5000;
        ssl.AuthenticateAsClient(new SslClientAuthenticationOptions { TargetHost = "localhost", RemoteCertificateValidationCallback = (_, c, _, _) => _certs.Trusts(c) });
        var ms = new MemoryStream();
        try { ssl.CopyTo(ms); } catch (IOException) { }
        return Encoding.ASCII.GetString(ms.ToArray());
    }

    [Fact]
    public async Task ProtectedModeDeniesOverTlsAsRedis()
    {
        // An address of this host outside the loopback interface.
        var external = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up && n.NetworkInterfaceType != System.Net.NetworkInformation.NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .First(a => a.AddressFamily == AddressFamily.InterNetwork && !System.Net.IPAddress.IsLoopback(a)).ToString();
        int redisTls = RealRedis.FreePort();
        using var redis = new RealRedis([.. _certs.RedisArgs(redisTls), "--bind", "*"]);
        await using var server = Start(more: c => c.Bind = ["*"]);
        var expected = ReadOverTlsUntilClosed(external, redisTls);
        Assert.StartsWith("-DENIED Redis is running in protected mode", expected);
        Assert.Equal(expected, ReadOverTlsUntilClosed(external, server.Server.TlsPort));
        Assert.Equal("PONG", _certs.TlsCli(server.Server.TlsPort, null, "PING"));
    }

    [Fact]
    public async Task TheTlsPortSurvivesManyClientsComingAndGoing()
    {
        await using var server = Start();
        int tls = server.Server.TlsPort;
        var tasks = Enumerable.Range(0, 20).Select(i => Task.Run(() =>
        {
            using var tcp = new TcpClient();
            tcp.Connect("127.0.0.1", tls);
            using var ssl = new SslStream(tcp.GetStream());
            ssl.AuthenticateAsClient(new SslClientAuthenticationOptions { TargetHost = "localhost", RemoteCertificateValidationCallback = (_, c, _, _) => _certs.Trusts(c) });
            ssl.Write(Encoding.ASCII.GetBytes($"SET c:{i} {i}\r\nGET c:{i}\r\n"));
            var buf = new byte[64];
            var got = new StringBuilder();
            while (!got.ToString().EndsWith($"{i}\r\n", StringComparison.Ordinal) || !got.ToString().StartsWith("+OK"))
            {
                int n = ssl.Read(buf);
                if (n == 0) break;
                got.Append(Encoding.ASCII.GetString(buf, 0, n));
            }
            if (i % 2 == 0) ssl.ShutdownAsync().Wait(); // half of them say goodbye, the others just drop
            return got.ToString();
        })).ToArray();
        var replies = await Task.WhenAll(tasks);
        for (int i = 0; i < replies.Length; i++) Assert.Equal($"+OK\r\n${i.ToString().Length}\r\n{i}\r\n", replies[i]);
        Assert.Equal("PONG", server.Cli("PING"));
    }
}
