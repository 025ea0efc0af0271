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
            using var certificates = new TestCertificates();
            X509Certificate2 ca = certificates.Authority;
            using X509Certificate2 client = certificates.Issue("CN=disco client", serverAuth: false);
            (string caPath, string certPath, string keyPath) = await certificates.WriteServerFilesAsync(directory);

            await using TestServer host = await TestServer.StartAsync(["--tls-cert", certPath, "--tls-key", keyPath, "--client-ca", caPath], listen: "0.0.0.0:0");
            int port = new Uri(host.GrpcAddress.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)).Port;
            string address = $"https://127.0.0.1:{port}";
            Assert.StartsWith("https://", host.GrpcAddress, StringComparison.Ordinal);

            using DiscoClient trusted = DiscoClient.Connect(new DiscoClientOptions { Address = address, ClientCertificate = client, TrustedAuthorities = [ca], MaxAttempts = 1 });
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await trusted.CheckHealthAsync());
            await Expect.StatusAsync(StatusCode.NotFound, () => trusted.GetDatasetAsync("nothing"));

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
}
