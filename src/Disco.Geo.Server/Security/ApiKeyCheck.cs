using System.Security.Cryptography;
using System.Text;
using Disco.Geo.Server.Options;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Security;

/// <summary>
/// Compares presented API keys with the configured one in constant time: both are hashed first, so neither the
/// content nor the length of the key leaks through timing.
/// </summary>
internal sealed class ApiKeyCheck
{
    private readonly byte[]? _expectedHash;

    public ApiKeyCheck(IOptions<SecurityOptions> options)
    {
        string? key = options.Value.ApiKey;
        _expectedHash = string.IsNullOrEmpty(key) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(key));
    }

    public bool Enabled => _expectedHash is not null;

    /// <summary>True when no key is configured, or the presented key (x-api-key, or "Bearer key" in authorization) matches.</summary>
    public bool Accepts(string? apiKeyHeader, string? authorizationHeader)
    {
        if (_expectedHash is null)
        {
            return true;
        }

        string? presented = !string.IsNullOrEmpty(apiKeyHeader) ? apiKeyHeader
            : authorizationHeader is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null;
        if (presented is null)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _expectedHash);
    }

    public const string Explanation =
        "This server requires an API key: pass it with --api-key (or DISCO_API_KEY for the CLI), sent in the x-api-key header.";
}
