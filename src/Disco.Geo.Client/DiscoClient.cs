using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.DependencyInjection;

namespace Disco.Geo.Client;

/// <summary>
/// Typed async client of a Disco.Geo server, one connection shared by the sub-clients <see cref="Datasets"/>,
/// <see cref="Jobs"/>, <see cref="Predictions"/> and <see cref="Models"/>. Given several replicas (see
/// <see cref="DiscoClientOptions.Address"/>) it spreads calls over them round robin. Unary calls get a deadline;
/// idempotent calls are retried by grpc-dotnet's retry policy with exponential back-off while the answer is
/// UNAVAILABLE, on the next replica when there are several, and other calls are sent once; uploads, downloads and job
/// watches resume where they stopped. Failures surface as <see cref="DiscoException"/>. Thread-safe; dispose it to
/// close the connection.
/// </summary>
public sealed partial class DiscoClient : IDisposable
{
    // HTTP/2 flow-control window and largest request: a few transfer chunks in flight, so tile streams and uploads
    // reach full speed without waiting for window growth.
    private const int StreamWindowBytes = 4 * DiscoClientOptions.TransferChunkBytes;

    private readonly GrpcChannel _channel;
    private readonly DiscoCalls _calls;
    private readonly ServiceProvider? _services;

    private DiscoClient(DiscoClientOptions options, ServerAddresses addresses)
    {
        Addresses = addresses;
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            InitialHttp2StreamWindowSize = StreamWindowBytes,
        };
        if (addresses.Tls)
        {
            if (options.ClientCertificate is not null)
            {
                handler.SslOptions.ClientCertificates = [options.ClientCertificate];
            }

            if (options.TrustedAuthorities is { Count: > 0 } authorities)
            {
                handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    errors == SslPolicyErrors.None || (certificate is not null && ChainsTo(new X509Certificate2(certificate), authorities));
            }
        }

        var channelOptions = new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = options.MaxReceiveMessageBytes,
            MaxSendMessageSize = StreamWindowBytes,
            DisposeHttpClient = true,
            // grpc-dotnet caps attempts at 5 unless told otherwise; the option is the one limit.
            MaxRetryAttempts = Math.Max(options.MaxAttempts, 1),
            ServiceConfig = RetryPolicies.ServiceConfig(options, balance: addresses.Kind != AddressKind.Single),
        };
        Uri target = addresses.Endpoints[0];
        if (addresses.Kind == AddressKind.List)
        {
            // The static resolver hands the balancer every replica; the channel's own address is only a name.
            BalancerAddress[] replicas = [.. addresses.Endpoints.Select(e => new BalancerAddress(e.IdnHost, e.Port))];
            var services = new ServiceCollection();
            services.AddSingleton<ResolverFactory>(new StaticResolverFactory(_ => replicas));
            _services = services.BuildServiceProvider();
            channelOptions.ServiceProvider = _services;
            target = new Uri("static:///disco");
        }

        if (addresses.Kind != AddressKind.Single)
        {
            // Without an http(s) address the channel learns the scheme from its credentials.
            channelOptions.Credentials = addresses.Tls ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure;
        }

        _channel = GrpcChannel.ForAddress(target, channelOptions);
        _calls = new DiscoCalls(options, () => _channel.State);
        Stubs = new DiscoStubs(_channel.CreateCallInvoker());
        Datasets = new DatasetsClient(_calls, Stubs.Datasets);
        Jobs = new JobsClient(_calls, Stubs.Jobs, Stubs.Training);
        Models = new ModelsClient(_calls, Stubs.Models);
        Predictions = new PredictionsClient(_calls, Stubs.Predictions, Models);
    }

    /// <summary>Datasets: uploads, ingest, downloads, exports and tiles.</summary>
    public DatasetsClient Datasets { get; }

    /// <summary>Jobs: training, and watching, cancelling and resuming jobs of every kind.</summary>
    public JobsClient Jobs { get; }

    /// <summary>Predictions: running, listing and exporting them.</summary>
    public PredictionsClient Predictions { get; }

    /// <summary>Models: cards, verification, package export and import.</summary>
    public ModelsClient Models { get; }

    /// <summary>The server address or addresses, parsed from <see cref="DiscoClientOptions.Address"/>.</summary>
    internal ServerAddresses Addresses { get; }

    /// <summary>The options this client was made with.</summary>
    public DiscoClientOptions Options => _calls.Options;

    /// <summary>
    /// The raw generated stubs over this client's connection, for tests that must send what the typed calls never
    /// would (malformed requests, half-finished streams); use with <see cref="CallOptions"/>.
    /// </summary>
    internal DiscoStubs Stubs { get; }

    /// <summary>Creates a client; the connection opens on the first call.</summary>
    /// <param name="options">Address, credentials and retry policy.</param>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="DiscoClientOptions.ChunkBytes"/>, <see cref="DiscoClientOptions.MaxAttempts"/> or a back-off is out of range.</exception>
    /// <exception cref="ArgumentException"><see cref="DiscoClientOptions.Address"/> is malformed; the message names the bad entry.</exception>
    public static DiscoClient Connect(DiscoClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ChunkBytes is < DiscoClientOptions.MinTransferChunkBytes or > DiscoClientOptions.TransferChunkBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "ChunkBytes must be between 64 KiB and 1 MiB.");
        }

        if (options.MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxAttempts must be at least 1 (1 = no retries).");
        }

        if (options.InitialBackoff <= TimeSpan.Zero || options.MaxBackoff < options.InitialBackoff)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "InitialBackoff must be positive and MaxBackoff at least InitialBackoff.");
        }

        return new DiscoClient(options, ServerAddresses.Parse(options.Address));
    }

    /// <summary>Call options with the API key, a deadline and cancellation, as every call of this client sends them.</summary>
    /// <param name="deadline">Absolute UTC deadline, or null for none (streams).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public CallOptions CallOptions(DateTime? deadline, CancellationToken cancellationToken) => _calls.CallOptions(deadline, cancellationToken);

    /// <summary>The server's health: SERVING, or NOT_SERVING while it shuts down.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<HealthCheckResponse.Types.ServingStatus> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        HealthCheckResponse response = await _calls.UnaryAsync(o => Stubs.Health.CheckAsync(new HealthCheckRequest(), o), cancellationToken);
        return response.Status;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _channel.Dispose();
        _services?.Dispose();
    }

    /// <summary>Runs a unary call with this client's deadline, retry and error mapping (for calls on <see cref="Stubs"/>).</summary>
    internal Task<T> UnaryAsync<T>(Func<CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken) =>
        _calls.UnaryAsync(call, cancellationToken);

    private static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
