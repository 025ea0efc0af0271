using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>A throw-away certificate authority and certificates it signs, for TLS tests on the loopback address.</summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestCertificates()
    {
        var request = new CertificateRequest("CN=disco test CA", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    public X509Certificate2 Authority { get; }

    /// <summary>
    /// A certificate signed by <see cref="Authority"/>: for a server (valid for 127.0.0.1) or for a client, with its
    /// private key.
    /// </summary>
    public X509Certificate2 Issue(string subject, bool serverAuth)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        byte[] serial = RandomNumberGenerator.GetBytes(8);
        using X509Certificate2 issued = request.Create(Authority.SubjectName, X509SignatureGenerator.CreateForECDsa(_caKey), DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), serial);
        // Kestrel and SslStream need the key in a form the platform can use for the handshake.
        return X509CertificateLoader.LoadPkcs12(issued.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>
    /// Writes ca.pem, and server.pem with server.key for 127.0.0.1, into <paramref name="directory"/>; returns their paths.
    /// </summary>
    public async Task<(string Ca, string Certificate, string Key)> WriteServerFilesAsync(string directory)
    {
        using X509Certificate2 server = Issue("CN=127.0.0.1", serverAuth: true);
        string ca = Path.Combine(directory, "ca.pem");
        string certificate = Path.Combine(directory, "server.pem");
        string key = Path.Combine(directory, "server.key");
        await File.WriteAllTextAsync(ca, Authority.ExportCertificatePem());
        await File.WriteAllTextAsync(certificate, server.ExportCertificatePem());
        await File.WriteAllTextAsync(key, server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (ca, certificate, key);
    }

    public void Dispose()
    {
        Authority.Dispose();
        _caKey.Dispose();
    }
}
