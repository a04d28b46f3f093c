using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cinnabar.Config;

namespace Cinnabar.Networking;

/// <summary>
/// What Redis' tlsConfigure builds from the tls-* parameters, loaded once and replaced as a whole (at
/// start-up, and on CONFIG SET of a tls-* parameter, which reloads the files): the server certificate and
/// key, the certificate this server presents when it connects to its master, the trusted CAs, the
/// protocols and cipher suites. Connections take the current context when they start; a reload never
/// touches established ones.
/// </summary>
public sealed class TlsContext
{
    private readonly X509Certificate2Collection _trusted;

    private TlsContext(SslStreamCertificateContext server, SslStreamCertificateContext client, X509Certificate2Collection trusted,
        SslProtocols protocols, CipherSuitesPolicy? ciphers)
    {
        ServerCertificate = server;
        ClientCertificate = client;
        _trusted = trusted;
        Protocols = protocols;
        CipherSuites = ciphers;
    }

    /// <summary>The certificate (with its chain) presented to TLS clients.</summary>
    public SslStreamCertificateContext ServerCertificate { get; }
    /// <summary>The certificate presented to our master with tls-replication: tls-client-cert-file, else the server's.</summary>
    public SslStreamCertificateContext ClientCertificate { get; }
    public SslProtocols Protocols { get; }
    /// <summary>tls-ciphers / tls-ciphersuites, or null for the system's defaults.</summary>
    public CipherSuitesPolicy? CipherSuites { get; }

    /// <summary>
    /// Loads the context from <paramref name="c"/>. Throws <see cref="TlsConfigException"/> with the reason
    /// Redis would log (its tlsConfigure wording where it has one).
    /// </summary>
    public static TlsContext Load(ServerConfig c)
    {
        if (c.TlsCertFile == "") throw new TlsConfigException("No tls-cert-file configured!");
        if (c.TlsKeyFile == "") throw new TlsConfigException("No tls-key-file configured!");
        if ((c.TlsAuthClients != TlsAuthClients.No || c.TlsCluster || c.TlsReplication) && c.TlsCaCertFile == "" && c.TlsCaCertDir == "")
            throw new TlsConfigException("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!");
        if (!TryParseProtocols(c.TlsProtocols, out var protocols))
            throw new TlsConfigException("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.");
        var ciphers = ParseCipherPolicy(c.TlsCiphers, c.TlsCipherSuites);

        var server = LoadCertificate(c.TlsCertFile, c.TlsKeyFile, c.TlsKeyFilePass, "certificate");
        var client = c.TlsClientCertFile != ""
            ? LoadCertificate(c.TlsClientCertFile, c.TlsClientKeyFile != "" ? c.TlsClientKeyFile : c.TlsClientCertFile, c.TlsClientKeyFilePass, "client certificate")
            : server;

        var trusted = new X509Certificate2Collection();
        if (c.TlsCaCertFile != "" || c.TlsCaCertDir != "")
        {
            try
            {
                if (c.TlsCaCertFile != "") trusted.ImportFromPemFile(c.TlsCaCertFile);
                if (c.TlsCaCertDir != "")
                {
                    // OpenSSL's CA directory holds one PEM certificate per file (hashed names, or *.pem).
                    foreach (var file in Directory.EnumerateFiles(c.TlsCaCertDir))
                    {
                        try { trusted.ImportFromPemFile(file); }
                        catch (CryptographicException) { }
                    }
                }
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new TlsConfigException($"Failed to configure CA certificate(s) file/directory: {ex.Message}");
            }
            if (trusted.Count == 0)
                throw new TlsConfigException("Failed to configure CA certificate(s) file/directory: no certificate found");
        }
        return new TlsContext(server, client, trusted, protocols, ciphers);
    }

    private static SslStreamCertificateContext LoadCertificate(string certFile, string keyFile, string password, string what)
    {
        // The certificate, then the rest of the file as the chain presented with it (SSL_CTX_use_certificate_chain_file).
        string certPem;
        var all = new X509Certificate2Collection();
        try
        {
            certPem = File.ReadAllText(certFile);
            all.ImportFromPem(certPem);
            if (all.Count == 0) throw new CryptographicException("no certificate in the file");
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new TlsConfigException($"Failed to load {what}: {certFile}: {ex.Message}");
        }
        X509Certificate2 leaf;
        try
        {
            var keyPem = File.ReadAllText(keyFile);
            if (password != "" && keyPem.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
            {
                keyPem = DecryptLegacyPem(keyPem, password);
                password = "";
            }
            leaf = password != "" ? X509Certificate2.CreateFromEncryptedPem(certPem, keyPem, password) : X509Certificate2.CreateFromPem(certPem, keyPem);
            if (!leaf.HasPrivateKey) throw new CryptographicException("no private key");
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException or FormatException)
        {
            throw new TlsConfigException($"Failed to load private key: {keyFile}: {ex.Message}");
        }
        var chain = new X509Certificate2Collection();
        foreach (var cert in all)
            if (cert.Thumbprint != leaf.Thumbprint) chain.Add(cert);
        return SslStreamCertificateContext.Create(leaf, chain, offline: true);
    }

    /// <summary>
    /// A key in OpenSSL's traditional encrypted PEM ("Proc-Type: 4,ENCRYPTED" and "DEK-Info: AES-256-CBC,iv",
    /// as `openssl rsa -aes256 -traditional` writes), which .NET does not read, decrypted to its plain PEM:
    /// the key is OpenSSL's EVP_BytesToKey (MD5, one round, the IV's first 8 bytes as salt).
    /// </summary>
    internal static string DecryptLegacyPem(string pem, string password)
    {
        var lines = pem.Split('\n').Select(l => l.Trim()).ToList();
        int begin = lines.FindIndex(l => l.StartsWith("-----BEGIN ", StringComparison.Ordinal) && l.EndsWith("PRIVATE KEY-----", StringComparison.Ordinal));
        if (begin < 0) throw new CryptographicException("no private key in the file");
        var label = lines[begin]["-----BEGIN ".Length..^"-----".Length];
        string? dekInfo = null;
        int i = begin + 1;
        for (; i < lines.Count && lines[i] != ""; i++)
            if (lines[i].StartsWith("DEK-Info:", StringComparison.Ordinal)) dekInfo = lines[i]["DEK-Info:".Length..].Trim();
        if (dekInfo is null) throw new CryptographicException("encrypted PEM without DEK-Info");
        var body = new System.Text.StringBuilder();
        for (i++; i < lines.Count && !lines[i].StartsWith("-----END ", StringComparison.Ordinal); i++) body.Append(lines[i]);
        var data = Convert.FromBase64String(body.ToString());
        var parts = dekInfo.Split(',');
        var iv = Convert.FromHexString(parts[1]);
        SymmetricAlgorithm cipher = parts[0].ToUpperInvariant() switch
        {
            "AES-128-CBC" or "AES-192-CBC" or "AES-256-CBC" => Aes.Create(),
            "DES-EDE3-CBC" => TripleDES.Create(),
            _ => throw new CryptographicException($"unsupported PEM encryption {parts[0]}"),
        };
        using (cipher)
        {
            int keyLength = parts[0].ToUpperInvariant() switch { "AES-128-CBC" => 16, "AES-192-CBC" => 24, _ => parts[0].StartsWith("DES", StringComparison.OrdinalIgnoreCase) ? 24 : 32 };
            var pass = System.Text.Encoding.UTF8.GetBytes(password);
            var key = new List<byte>();
            byte[] previous = [];
            while (key.Count < keyLength)
            {
                previous = MD5.HashData([.. previous, .. pass, .. iv.AsSpan(0, 8)]);
                key.AddRange(previous);
            }
            cipher.Key = key.Take(keyLength).ToArray();
            byte[] der;
            try { der = cipher.DecryptCbc(data, iv, PaddingMode.PKCS7); }
            catch (CryptographicException) { throw new CryptographicException("bad decrypt (wrong tls-key-file-pass?)"); }
            return PemEncoding.WriteString(label, der);
        }
    }

    // ---- peers' certificates ----------------------------------------------------------------------

    /// <summary>
    /// Whether <paramref name="cert"/> chains up to one of the trusted CAs (tls-ca-cert-file/dir), is valid
    /// now and, when it lists extended key usages, allows <paramref name="purpose"/> (client authentication for
    /// a client, server authentication for our master), as OpenSSL's default purpose check. As Redis
    /// (SSL_VERIFY_PEER), the host name is not checked.
    /// </summary>
    public bool IsTrusted(X509Certificate cert, X509Chain? presented, Oid purpose, out string reason)
    {
        using var copy = cert is X509Certificate2 ? null : X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
        var leaf = cert as X509Certificate2 ?? copy!;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.ApplicationPolicy.Add(purpose);
        // Intermediates the peer sent along.
        if (presented is not null)
            foreach (var element in presented.ChainElements)
                if (element.Certificate.Thumbprint != leaf.Thumbprint) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        if (chain.Build(leaf))
        {
            reason = "";
            return true;
        }
        reason = string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s != "").Distinct());
        if (reason == "") reason = "certificate verify failed";
        return false;
    }

    /// <summary>The options of an accepted TLS connection under <paramref name="mode"/> (tls-auth-clients, read per connection as Redis).</summary>
    public SslServerAuthenticationOptions ServerOptions(TlsAuthClients mode, Action<string>? rejected = null) => new()
    {
        ServerCertificateContext = ServerCertificate,
        // "optional" asks for a certificate too, and accepts its absence.
        ClientCertificateRequired = mode != TlsAuthClients.No,
        EnabledSslProtocols = Protocols,
        CipherSuitesPolicy = CipherSuites,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        AllowRenegotiation = false,
        RemoteCertificateValidationCallback = (_, cert, chain, _) =>
        {
            if (mode == TlsAuthClients.No) return true;
            if (cert is null)
            {
                if (mode == TlsAuthClients.Optional) return true;
                rejected?.Invoke("peer did not return a certificate");
                return false;
            }
            if (IsTrusted(cert, chain, ClientAuthentication, out var reason)) return true;
            rejected?.Invoke($"certificate verify failed ({reason})");
            return false;
        },
    };

    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    /// <summary>The options of our connection to a master with tls-replication: its certificate must chain to our CAs.</summary>
    public SslClientAuthenticationOptions ClientOptions(string host, Action<string>? rejected = null) => new()
    {
        TargetHost = host,
        ClientCertificateContext = ClientCertificate,
        EnabledSslProtocols = Protocols,
        CipherSuitesPolicy = CipherSuites,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (_, cert, chain, _) =>
        {
            if (cert is null) { rejected?.Invoke("the master presented no certificate"); return false; }
            if (IsTrusted(cert, chain, ServerAuthentication, out var reason)) return true;
            rejected?.Invoke($"certificate verify failed ({reason})");
            return false;
        },
    };

    // ---- tls-protocols, tls-ciphers, tls-ciphersuites ---------------------------------------------

    /// <summary>
    /// Redis' parseProtocolsConfig: space-separated, case-insensitive TLSv1, TLSv1.1, TLSv1.2, TLSv1.3; empty
    /// means TLSv1.2 and TLSv1.3. Any other word (an empty one from a doubled space included) is invalid.
    /// </summary>
    public static bool TryParseProtocols(string value, out SslProtocols protocols)
    {
        protocols = SslProtocols.None;
        if (value == "")
        {
            protocols = SslProtocols.Tls12 | SslProtocols.Tls13;
            return true;
        }
#pragma warning disable SYSLIB0039 // TLS 1.0 and 1.1 are obsolete, but Redis accepts them when asked explicitly
        foreach (var token in value.Split(' '))
        {
            if (token.Equals("tlsv1", StringComparison.OrdinalIgnoreCase)) protocols |= SslProtocols.Tls;
            else if (token.Equals("tlsv1.1", StringComparison.OrdinalIgnoreCase)) protocols |= SslProtocols.Tls11;
            else if (token.Equals("tlsv1.2", StringComparison.OrdinalIgnoreCase)) protocols |= SslProtocols.Tls12;
            else if (token.Equals("tlsv1.3", StringComparison.OrdinalIgnoreCase)) protocols |= SslProtocols.Tls13;
            else
            {
                protocols = SslProtocols.None;
                return false;
            }
        }
#pragma warning restore SYSLIB0039
        return true;
    }

    /// <summary>TLS 1.3 suites when tls-ciphersuites is empty (OpenSSL's default list).</summary>
    private static readonly TlsCipherSuite[] DefaultTls13 =
        [TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256, TlsCipherSuite.TLS_AES_128_GCM_SHA256];

    /// <summary>TLS 1.2 ciphers when only tls-ciphersuites is given: the forward-secret AEAD ones.</summary>
    private static readonly TlsCipherSuite[] DefaultTls12 =
    [
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384, TlsCipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
    ];

    /// <summary>OpenSSL's names of the TLS 1.2 ciphers tls-ciphers accepts (IANA names are accepted as well).</summary>
    private static readonly Dictionary<string, TlsCipherSuite> OpenSslNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ECDHE-ECDSA-AES256-GCM-SHA384"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        ["ECDHE-RSA-AES256-GCM-SHA384"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        ["ECDHE-ECDSA-AES128-GCM-SHA256"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        ["ECDHE-RSA-AES128-GCM-SHA256"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ["ECDHE-ECDSA-CHACHA20-POLY1305"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        ["ECDHE-RSA-CHACHA20-POLY1305"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ["DHE-RSA-AES256-GCM-SHA384"] = TlsCipherSuite.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
        ["DHE-RSA-AES128-GCM-SHA256"] = TlsCipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
        ["DHE-RSA-CHACHA20-POLY1305"] = TlsCipherSuite.TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ["ECDHE-ECDSA-AES256-SHA384"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
        ["ECDHE-RSA-AES256-SHA384"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
        ["ECDHE-ECDSA-AES128-SHA256"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
        ["ECDHE-RSA-AES128-SHA256"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
        ["ECDHE-ECDSA-AES256-SHA"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        ["ECDHE-RSA-AES256-SHA"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        ["ECDHE-ECDSA-AES128-SHA"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        ["ECDHE-RSA-AES128-SHA"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        ["AES256-GCM-SHA384"] = TlsCipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384,
        ["AES128-GCM-SHA256"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
        ["AES256-SHA256"] = TlsCipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA256,
        ["AES128-SHA256"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA256,
        ["AES256-SHA"] = TlsCipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA,
        ["AES128-SHA"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA,
    };

    /// <summary>
    /// tls-ciphers (TLS 1.2 and below) and tls-ciphersuites (TLS 1.3), colon-separated, as one .NET cipher
    /// policy; null when both are empty (the system's defaults). tls-ciphers takes cipher names (OpenSSL's or
    /// IANA's); OpenSSL's cipher-string keywords (DEFAULT, HIGH, !aNULL, @STRENGTH...) have no .NET
    /// equivalent and are refused rather than approximated.
    /// </summary>
    public static CipherSuitesPolicy? ParseCipherPolicy(string ciphers, string suites)
    {
        if (ciphers == "" && suites == "") return null;
        var list = new List<TlsCipherSuite>();
        if (suites == "") list.AddRange(DefaultTls13);
        else
        {
            foreach (var name in suites.Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!name.StartsWith("TLS_", StringComparison.Ordinal) || name.Contains("_WITH_", StringComparison.Ordinal)
                    || !System.Enum.TryParse<TlsCipherSuite>(name, out var s))
                    throw new TlsConfigException($"Failed to configure ciphersuites: {suites}");
                list.Add(s);
            }
        }
        if (ciphers == "") list.AddRange(DefaultTls12);
        else
        {
            foreach (var name in ciphers.Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                if (OpenSslNames.TryGetValue(name, out var s)) list.Add(s);
                else if (name.StartsWith("TLS_", StringComparison.Ordinal) && name.Contains("_WITH_", StringComparison.Ordinal)
                         && System.Enum.TryParse<TlsCipherSuite>(name, out s)) list.Add(s);
                else throw new TlsConfigException($"Failed to configure ciphers: {ciphers} (Cinnabar takes a list of cipher names; '{name}' is not one it knows)");
            }
        }
        if (OperatingSystem.IsWindows()) throw new TlsConfigException("Failed to configure ciphers: not supported on Windows");
        try { return new CipherSuitesPolicy(list.Distinct()); }
        catch (PlatformNotSupportedException ex) { throw new TlsConfigException($"Failed to configure ciphers: {ex.Message}"); }
    }
}

/// <summary>A TLS context that cannot be built from the configuration; the message is what is logged.</summary>
public sealed class TlsConfigException(string message) : Exception(message);
