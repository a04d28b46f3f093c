using System.Net.Security;
using System.Security.Authentication;
using Cinnabar.Networking;

namespace Cinnabar.Tests.Networking;

/// <summary>tls-protocols, tls-ciphers and tls-ciphersuites parsing (Redis' parseProtocolsConfig, OpenSSL's cipher names).</summary>
public sealed class TlsSettingsTests
{
#pragma warning disable SYSLIB0039
    [Theory]
    [InlineData("", SslProtocols.Tls12 | SslProtocols.Tls13)]
    [InlineData("TLSv1.2", SslProtocols.Tls12)]
    [InlineData("tlsv1.3", SslProtocols.Tls13)]
    [InlineData("TLSv1.2 TLSv1.3", SslProtocols.Tls12 | SslProtocols.Tls13)]
    [InlineData("TLSv1 TLSv1.1", SslProtocols.Tls | SslProtocols.Tls11)]
    [InlineData("TLSV1.3 tlsv1.2 TLSv1.2", SslProtocols.Tls12 | SslProtocols.Tls13)]
    public void ValidProtocolLists(string value, SslProtocols expected)
    {
        Assert.True(TlsContext.TryParseProtocols(value, out var protocols));
        Assert.Equal(expected, protocols);
    }
#pragma warning restore SYSLIB0039

    [Theory]
    [InlineData("SSLv3")]
    [InlineData("TLSv1.2  TLSv1.3")] // a doubled space is an empty word, as sdssplitlen reads it
    [InlineData(" TLSv1.2")]
    [InlineData("TLSv1.2,TLSv1.3")]
    [InlineData("TLSv1.4")]
    [InlineData("tls1.2")]
    public void InvalidProtocolLists(string value) => Assert.False(TlsContext.TryParseProtocols(value, out _));

    [Fact]
    public void CipherPolicies()
    {
        Assert.Null(TlsContext.ParseCipherPolicy("", ""));
        var policy = TlsContext.ParseCipherPolicy("ECDHE-RSA-AES128-GCM-SHA256:TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "");
        Assert.NotNull(policy);
        Assert.Contains(TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, policy!.AllowedCipherSuites!);
        Assert.Contains(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, policy.AllowedCipherSuites!);
        // TLS 1.3 keeps its defaults when only tls-ciphers is given.
        Assert.Contains(TlsCipherSuite.TLS_AES_256_GCM_SHA384, policy.AllowedCipherSuites!);
        Assert.DoesNotContain(TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, policy.AllowedCipherSuites!);

        var suites = TlsContext.ParseCipherPolicy("", "TLS_CHACHA20_POLY1305_SHA256");
        Assert.Contains(TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256, suites!.AllowedCipherSuites!);
        Assert.DoesNotContain(TlsCipherSuite.TLS_AES_256_GCM_SHA384, suites.AllowedCipherSuites!);
        Assert.Contains(TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, suites.AllowedCipherSuites!);
    }

    [Theory]
    [InlineData("DEFAULT", "")]          // OpenSSL cipher-string keywords have no .NET equivalent: refused
    [InlineData("HIGH:!aNULL", "")]
    [InlineData("NOT-A-CIPHER", "")]
    [InlineData("", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")] // a TLS 1.2 cipher is not a TLS 1.3 suite
    [InlineData("", "TLS_AES_999")]
    [InlineData("TLS_AES_128_GCM_SHA256", "")] // and the other way round
    public void RefusedCipherLists(string ciphers, string suites) =>
        Assert.Throws<TlsConfigException>(() => TlsContext.ParseCipherPolicy(ciphers, suites));
}
