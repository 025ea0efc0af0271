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

    /// <summary>Default of <see cref="MaxAttempts"/>: one call and four retries, grpc-dotnet's own cap.</summary>
    public const int DefaultMaxAttempts = 5;

    /// <summary>Growth of the back-off per retry (grpc-dotnet's RetryPolicy.BackoffMultiplier).</summary>
    public const double BackoffMultiplier = 2;

    /// <summary>Default of <see cref="InitialBackoff"/>.</summary>
    public static readonly TimeSpan DefaultInitialBackoff = TimeSpan.FromMilliseconds(250);

    /// <summary>Default of <see cref="MaxBackoff"/>.</summary>
    public static readonly TimeSpan DefaultMaxBackoff = TimeSpan.FromSeconds(5);

    /// <summary>Default of <see cref="CallTimeout"/>.</summary>
    public static readonly TimeSpan DefaultCallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Server address: http://host:port (HTTP/2 cleartext; host:port alone means the same) or https://host:port (TLS).
    /// Replicas: several such addresses separated by commas (all http or all https), or dns:///host:port for every
    /// address a DNS name resolves to (plaintext); calls are then spread round robin over the replicas that answer.
    /// </summary>
    public string Address { get; set; } = DefaultAddress;

    /// <summary>API key sent in the x-api-key header with every call, or null.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Client certificate for servers that require one (TLS only).</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>CAs that sign the server's certificate when it is not in the system store (TLS only).</summary>
    public X509Certificate2Collection? TrustedAuthorities { get; set; }

    /// <summary>Deadline of each unary call, its retries included.</summary>
    public TimeSpan CallTimeout { get; set; } = DefaultCallTimeout;

    /// <summary>
    /// Attempts per idempotent call while the answer is UNAVAILABLE (grpc-dotnet's retry policy; 1 = no retries), and
    /// per resumed stream without progress. Calls that are not idempotent (deletes, cancel, resume, verify) are sent
    /// once whatever this says.
    /// </summary>
    public int MaxAttempts { get; set; } = DefaultMaxAttempts;

    /// <summary>First back-off delay; multiplied by <see cref="BackoffMultiplier"/> per attempt up to <see cref="MaxBackoff"/>, with jitter.</summary>
    public TimeSpan InitialBackoff { get; set; } = DefaultInitialBackoff;

    /// <summary>Longest back-off delay.</summary>
    public TimeSpan MaxBackoff { get; set; } = DefaultMaxBackoff;

    /// <summary>Chunk size of uploads and model imports: <see cref="MinTransferChunkBytes"/> to <see cref="TransferChunkBytes"/>.</summary>
    public int ChunkBytes { get; set; } = TransferChunkBytes;

    /// <summary>Largest message the client accepts (tiles are sent in messages of about 1 MiB).</summary>
    public int MaxReceiveMessageBytes { get; set; } = 64 * 1024 * 1024;
}
