using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Disco.Geo.Client;
using Disco.Geo.Server.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Health.V1;

namespace Disco.Geo.Server.Tests;

/// <summary>TLS with required client certificates, the alternative to an API key on non-loopback binds.</summary>
public sealed class TlsTests
{
    [Fact]
    public async Task With_client_certificates_required_only_clients_holding_one_signed_by_the_ca_get_in()
    {
        string directory = Temp.Directory("tls");
        try
        {
            using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caRequest = new CertificateRequest("CN=disco test CA", caKey, HashAlgorithmName.SHA256);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            using X509Certificate2 ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

            using X509Certificate2 server = Issue(ca, caKey, "CN=127.0.0.1", serverAuth: true);
            using X509Certificate2 client = Issue(ca, caKey, "CN=disco client", serverAuth: false);
            string caPath = Path.Combine(directory, "ca.pem");
            string certPath = Path.Combine(directory, "server.pem");
            string keyPath = Path.Combine(directory, "server.key");
            await File.WriteAllTextAsync(caPath, ca.ExportCertificatePem());
            await File.WriteAllTextAsync(certPath, server.ExportCertificatePem());
            await File.WriteAllTextAsync(keyPath, server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());

            await using TestServer host = await TestServer.StartAsync(["--tls-cert", certPath, "--tls-key", keyPath, "--client-ca", caPath], listen: "0.0.0.0:0");
            int port = new Uri(host.GrpcAddress.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)).Port;
            string address = $"https://127.0.0.1:{port}";
            Assert.StartsWith("https://", host.GrpcAddress, StringComparison.Ordinal);

            using DiscoClient trusted = DiscoClient.Connect(new DiscoClientOptions { Address = address, ClientCertificate = client, TrustedAuthorities = [ca], MaxAttempts = 1 });
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await trusted.CheckHealthAsync());
            await Expect.StatusAsync(StatusCode.NotFound, () => trusted.GetDatasetAsync("nothing"));

            // The same through a replica list (static resolver; TLS from the https:// scheme, the certificate checked
            // against each entry's host); the entry that refuses connections is skipped.
            using var refusing = new RefusingPort();
            using DiscoClient listed = DiscoClient.Connect(new DiscoClientOptions
            {
                Address = $"{address},https://127.0.0.1:{refusing.Port}",
                ClientCertificate = client,
                TrustedAuthorities = [ca],
            });
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await listed.CheckHealthAsync());
            await Expect.StatusAsync(StatusCode.NotFound, () => listed.GetDatasetAsync("nothing"));

            using DiscoClient anonymous = DiscoClient.Connect(new DiscoClientOptions { Address = address, TrustedAuthorities = [ca], MaxAttempts = 1 });
            await Assert.ThrowsAsync<DiscoException>(() => anonymous.GetDatasetAsync("nothing"));

            using ECDsa otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using X509Certificate2 stranger = new CertificateRequest("CN=stranger", otherKey, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            using DiscoClient untrusted = DiscoClient.Connect(new DiscoClientOptions { Address = address, ClientCertificate = stranger, TrustedAuthorities = [ca], MaxAttempts = 1 });
            await Assert.ThrowsAsync<DiscoException>(() => untrusted.GetDatasetAsync("nothing"));
        }
        finally
        {
            Temp.Delete(directory);
        }
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, ECDsa caKey, string subject, bool serverAuth)
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
        using X509Certificate2 issued = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), serial);
        // Kestrel and SslStream need the key in a form the platform can use for the handshake.
        return X509CertificateLoader.LoadPkcs12(issued.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);
    }
}
