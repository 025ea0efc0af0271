namespace Disco.Geo.Server.Options;

/// <summary>Authentication ("Security" section).</summary>
public sealed class SecurityOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Security";

    /// <summary>Metadata header that carries the API key.</summary>
    public const string ApiKeyHeader = "x-api-key";

    /// <summary>When set, every call (except grpc.health.v1) must carry it in the x-api-key header. Required on non-loopback binds unless TLS client certificates are required.</summary>
    public string? ApiKey { get; set; }

    /// <summary>PKCS#12 or PEM server certificate; enables TLS on every endpoint.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of a PKCS#12 certificate, or the PEM private key file path.</summary>
    public string? CertificateKeyOrPassword { get; set; }

    /// <summary>PEM bundle of CAs that sign client certificates; when set, clients must present one.</summary>
    public string? ClientCaPath { get; set; }
}
