using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Cinnabar.EndToEnd.Infrastructure;

/// <summary>
/// Certificates for TLS tests, generated when the test runs (never committed): a test CA, a server
/// certificate for localhost/127.0.0.1 signed by it, client certificates (valid, expired, and one from
/// another CA), each as PEM files in a temporary directory, as redis-server, redis-cli and Cinnabar read them.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    public TestCertificates()
    {
        Dir = Directory.CreateTempSubdirectory("cinnabar-tls-").FullName;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = CreateCa("Cinnabar Test CA", caKey);
        Ca = ca.ExportCertificatePem();
        CaFile = Write("ca.crt", Ca);
        (ServerCertFile, ServerKeyFile) = Issue("server", ca, caKey, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        (ClientCertFile, ClientKeyFile) = Issue("client", ca, caKey, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        (ExpiredCertFile, ExpiredKeyFile) = Issue("expired", ca, caKey, DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-2));
        (SecondServerCertFile, SecondServerKeyFile) = Issue("server2", ca, caKey, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        (ServerOnlyCertFile, ServerOnlyKeyFile) = Issue("serveronly", ca, caKey, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2), clientAuth: false);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = CreateCa("Some Other CA", otherKey);
        (UntrustedCertFile, UntrustedKeyFile) = Issue("untrusted", other, otherKey, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        // The server key again, encrypted (tls-key-file-pass).
        using var serverKey = ECDsa.Create();
        serverKey.ImportFromPem(File.ReadAllText(ServerKeyFile));
        EncryptedServerKeyFile = Write("server-encrypted.key", serverKey.ExportEncryptedPkcs8PrivateKeyPem(KeyPassword,
            new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10000)));
    }

    public const string KeyPassword = "s3cret";

    public string Dir { get; }
    public string Ca { get; }
    public string CaFile { get; }
    public string ServerCertFile { get; }
    public string ServerKeyFile { get; }
    public string EncryptedServerKeyFile { get; }
    public string SecondServerCertFile { get; }
    public string SecondServerKeyFile { get; }
    public string ClientCertFile { get; }
    public string ClientKeyFile { get; }
    /// <summary>A certificate of the test CA whose extended key usage is server authentication only.</summary>
    public string ServerOnlyCertFile { get; }
    public string ServerOnlyKeyFile { get; }
    public string ExpiredCertFile { get; }
    public string ExpiredKeyFile { get; }
    public string UntrustedCertFile { get; }
    public string UntrustedKeyFile { get; }

    public X509Certificate2 CaCertificate => X509Certificate2.CreateFromPem(Ca);

    /// <summary>Whether a certificate presented by a server chains to the test CA (for client-side validation).</summary>
    public bool Trusts(X509Certificate? cert)
    {
        if (cert is null) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(CaCertificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(cert as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(cert.GetRawCertData()));
    }

    /// <summary>
    /// ServerConfig settings of a TLS server on <paramref name="tlsPort"/> with the test certificates, and a
    /// plain port too (port 0 with a tls-port means TLS only, as in Redis).
    /// </summary>
    public void Configure(Config.ServerConfig c, int tlsPort, Config.TlsAuthClients auth = Config.TlsAuthClients.No)
    {
        if (c.Port == 0) c.Port = RealRedis.FreePort();
        c.TlsPort = tlsPort;
        c.TlsCertFile = ServerCertFile;
        c.TlsKeyFile = ServerKeyFile;
        c.TlsCaCertFile = CaFile;
        c.TlsAuthClients = auth;
    }

    /// <summary>redis-server arguments of the same TLS setup.</summary>
    public string[] RedisArgs(int tlsPort, string auth = "no") =>
        ["--tls-port", tlsPort.ToString(), "--tls-cert-file", ServerCertFile, "--tls-key-file", ServerKeyFile, "--tls-ca-cert-file", CaFile, "--tls-auth-clients", auth];

    private static X509Certificate2 CreateCa(string name, ECDsa key)
    {
        var req = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        return req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(30));
    }

    private (string Cert, string Key) Issue(string name, X509Certificate2 issuer, ECDsa issuerKey, DateTimeOffset from, DateTimeOffset to, bool clientAuth = true)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={(name.StartsWith("server") ? "localhost" : name)}", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, false));
        // Both purposes, as Redis' test certificates: a server certificate is also its replication client certificate.
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            clientAuth ? [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")] : [new Oid("1.3.6.1.5.5.7.3.1")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var cert = req.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), from, to, serial);
        return (Write(name + ".crt", cert.ExportCertificatePem()), Write(name + ".key", key.ExportPkcs8PrivateKeyPem()));
    }

    private string Write(string file, string pem)
    {
        var path = Path.Combine(Dir, file);
        File.WriteAllText(path, pem + "\n");
        return path;
    }

    /// <summary>Runs redis-cli with <paramref name="args"/>; returns stdout and stderr together (trailing newline removed).</summary>
    public static string Cli(params string[] args)
    {
        var psi = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit(30000);
        return (output + stderr.Result).TrimEnd('\n');
    }

    /// <summary>redis-cli over TLS to 127.0.0.1:<paramref name="port"/>, trusting the test CA, with an optional client certificate.</summary>
    public string TlsCli(int port, (string Cert, string Key)? client, params string[] args)
    {
        var all = new List<string> { "-h", "127.0.0.1", "-p", port.ToString(), "--tls", "--cacert", CaFile };
        if (client is { } c) all.AddRange(["--cert", c.Cert, "--key", c.Key]);
        all.AddRange(args);
        return Cli(all.ToArray());
    }

    public (string, string) Client => (ClientCertFile, ClientKeyFile);
    public (string, string) Expired => (ExpiredCertFile, ExpiredKeyFile);
    public (string, string) ServerOnly => (ServerOnlyCertFile, ServerOnlyKeyFile);
    public (string, string) Untrusted => (UntrustedCertFile, UntrustedKeyFile);

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
