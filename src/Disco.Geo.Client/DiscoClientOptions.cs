using System.Security.Cryptography.X509Certificates;

namespace Disco.Geo.Client;

/// <summary>How to reach a Disco.Geo server and how patient to be with it.</summary>
public sealed class DiscoClientOptions
{
    /// <summary>The default server address.</summary>
    public const string DefaultAddress = "http://127.0.0.1:50051";

    /// <summary>
    /// Default bytes per chunk of a file transfer, and the largest allowed: 1 MiB keeps each message well under the
    /// 4 MiB gRPC default while a chunk's per-message overhead stays negligible.
    /// </summary>
    public const int TransferChunkBytes = 1 << 20;

    /// <summary>Smallest allowed <see cref="ChunkBytes"/>; smaller chunks spend more on messages than on data.</summary>
    public const int MinTransferChunkBytes = 64 * 1024;

    /// <summary>Server address: http://host:port (HTTP/2 cleartext) or https://host:port (TLS).</summary>
    public string Address { get; set; } = DefaultAddress;

    /// <summary>API key sent in the x-api-key header with every call, or null.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Client certificate for servers that require one (TLS only).</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>CAs that sign the server's certificate when it is not in the system store (TLS only).</summary>
    public X509Certificate2Collection? TrustedAuthorities { get; set; }

    /// <summary>Deadline of each unary call attempt.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts per call (and per stream without progress) before UNAVAILABLE is given up on.</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>First back-off delay; doubled per attempt up to <see cref="MaxBackoff"/>, with jitter.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest back-off delay.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Chunk size of uploads and model imports: <see cref="MinTransferChunkBytes"/> to <see cref="TransferChunkBytes"/>.</summary>
    public int ChunkBytes { get; set; } = TransferChunkBytes;

    /// <summary>Largest message the client accepts (tiles are sent in messages of about 1 MiB).</summary>
    public int MaxReceiveMessageBytes { get; set; } = 64 * 1024 * 1024;
}
