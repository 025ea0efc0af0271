using System.Security.Cryptography.X509Certificates;
using Disco.Geo.Server.Options;

namespace Disco.Geo.Server.Security;

/// <summary>
/// The rule for exposing the server: loopback binds need nothing; any other address needs an API key or TLS with
/// required client certificates, otherwise the server refuses to start.
/// </summary>
internal static class BindingPolicy
{
    public const int MinimumApiKeyLength = 16;

    public static void Validate(IReadOnlyList<ListenAddress> addresses, SecurityOptions security)
    {
        bool hasKey = !string.IsNullOrEmpty(security.ApiKey);
        bool hasClientCertificates = !string.IsNullOrEmpty(security.ClientCaPath);
        // Whitespace adds nothing an attacker has to guess: sixteen spaces are a key anyone can type.
        int significant = security.ApiKey?.Trim().Length ?? 0;
        if (hasKey && significant < MinimumApiKeyLength)
        {
            throw new ServerConfigurationException(significant == 0
                ? $"Security:ApiKey is blank; use at least {MinimumApiKeyLength} random characters (e.g. `openssl rand -hex 32`)."
                : $"Security:ApiKey has {significant} characters besides leading and trailing whitespace; use at least {MinimumApiKeyLength} random characters (e.g. `openssl rand -hex 32`).");
        }

        if (hasClientCertificates && string.IsNullOrEmpty(security.CertificatePath))
        {
            throw new ServerConfigurationException("Security:ClientCaPath requires TLS: set Security:CertificatePath (and Security:CertificateKeyOrPassword) too.");
        }

        ListenAddress? exposed = addresses.FirstOrDefault(a => !a.IsLoopback);
        if (exposed is not null && !hasKey && !hasClientCertificates)
        {
            throw new ServerConfigurationException(
                $"Refusing to listen on {exposed.Text}: it is reachable from other machines and no authentication is configured. " +
                "Set an API key (--api-key, DISCO_SECURITY__APIKEY or Security:ApiKey; clients send it in the x-api-key header), " +
                "or require TLS client certificates (Security:CertificatePath and Security:ClientCaPath), or bind 127.0.0.1.");
        }
    }

    public static X509Certificate2 LoadServerCertificate(SecurityOptions security)
    {
        string path = security.CertificatePath!;
        if (!File.Exists(path))
        {
            throw new ServerConfigurationException($"Security:CertificatePath '{path}' does not exist.");
        }

        try
        {
            return path.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".crt", StringComparison.OrdinalIgnoreCase)
                ? X509Certificate2.CreateFromPemFile(path, security.CertificateKeyOrPassword)
                : X509CertificateLoader.LoadPkcs12FromFile(path, security.CertificateKeyOrPassword);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new ServerConfigurationException($"Cannot load the server certificate '{path}': {e.Message}. PEM needs Security:CertificateKeyOrPassword = the key file; PKCS#12 its password.");
        }
    }

    /// <summary>True when the client certificate chains to one of the configured CAs.</summary>
    public static bool ValidateClientCertificate(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(certificate);
    }
}
