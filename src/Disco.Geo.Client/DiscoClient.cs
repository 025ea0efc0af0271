using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Disco.Geo.Protos.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Disco.Geo.Client;

/// <summary>
/// Typed async client of a Disco.Geo server. Unary calls get a deadline and are retried with exponential back-off
/// while the server is UNAVAILABLE; uploads, downloads and job watches resume where they stopped. Failures surface as
/// <see cref="DiscoException"/>. Thread-safe; dispose it to close the connection.
/// </summary>
public sealed partial class DiscoClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly DiscoClientOptions _options;
    private readonly Metadata _headers = [];

    private DiscoClient(DiscoClientOptions options)
    {
        _options = options;
        var address = new Uri(options.Address.Contains("://", StringComparison.Ordinal) ? options.Address : "http://" + options.Address);
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            // A larger initial HTTP/2 window lets tile streams reach full speed without waiting for window growth.
            InitialHttp2StreamWindowSize = 4 * 1024 * 1024,
        };
        if (address.Scheme == Uri.UriSchemeHttps)
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

        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = options.MaxReceiveMessageBytes,
            MaxSendMessageSize = 4 * 1024 * 1024,
            DisposeHttpClient = true,
        });
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            _headers.Add("x-api-key", options.ApiKey);
        }

        Datasets = new DatasetService.DatasetServiceClient(_channel);
        Training = new TrainingService.TrainingServiceClient(_channel);
        Jobs = new JobService.JobServiceClient(_channel);
        Predictions = new PredictionService.PredictionServiceClient(_channel);
        Models = new ModelService.ModelServiceClient(_channel);
        Health = new Health.HealthClient(_channel);
    }

    /// <summary>The generated DatasetService stub, for calls this class does not wrap.</summary>
    public DatasetService.DatasetServiceClient Datasets { get; }

    /// <summary>The generated TrainingService stub.</summary>
    public TrainingService.TrainingServiceClient Training { get; }

    /// <summary>The generated JobService stub: the life cycle of jobs of every kind.</summary>
    internal JobService.JobServiceClient Jobs { get; }

    /// <summary>The generated PredictionService stub.</summary>
    public PredictionService.PredictionServiceClient Predictions { get; }

    /// <summary>The generated ModelService stub.</summary>
    public ModelService.ModelServiceClient Models { get; }

    /// <summary>The standard grpc.health.v1 stub.</summary>
    public Health.HealthClient Health { get; }

    /// <summary>The options this client was made with.</summary>
    public DiscoClientOptions Options => _options;

    /// <summary>Creates a client; the connection opens on the first call.</summary>
    /// <param name="options">Address, credentials and retry policy.</param>
    public static DiscoClient Connect(DiscoClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ChunkBytes is < 64 * 1024 or > 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "ChunkBytes must be between 64 KiB and 1 MiB.");
        }

        return new DiscoClient(options);
    }

    /// <summary>Call options with the API key, a deadline and cancellation; usable with the generated stubs.</summary>
    /// <param name="deadline">Absolute UTC deadline, or null for none (streams).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public CallOptions CallOptions(DateTime? deadline, CancellationToken cancellationToken) =>
        new(_headers, deadline, cancellationToken);

    /// <summary>The server's health: SERVING, or NOT_SERVING while it shuts down.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<HealthCheckResponse.Types.ServingStatus> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        HealthCheckResponse response = await UnaryAsync(o => Health.CheckAsync(new HealthCheckRequest(), o), cancellationToken);
        return response.Status;
    }

    /// <inheritdoc />
    public void Dispose() => _channel.Dispose();

    /// <summary>Runs a unary call with a deadline per attempt, retrying UNAVAILABLE with exponential back-off.</summary>
    internal async Task<T> UnaryAsync<T>(Func<CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                using AsyncUnaryCall<T> pending = call(CallOptions(DateTime.UtcNow + _options.CallTimeout, cancellationToken));
                return await pending.ResponseAsync;
            }
            catch (RpcException e) when (IsTransient(e) && attempt < _options.MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Backoff(attempt), cancellationToken);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("The call was cancelled.", e, cancellationToken);
            }
            catch (RpcException e)
            {
                throw new DiscoException(e);
            }
        }
    }

    /// <summary>Pages through a list call.</summary>
    internal async IAsyncEnumerable<TItem> PagesAsync<TResponse, TItem>(
        Func<string, CallOptions, AsyncUnaryCall<TResponse>> call, Func<TResponse, (IEnumerable<TItem> Items, string Next)> read,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string token = "";
        do
        {
            TResponse response = await UnaryAsync(o => call(token, o), cancellationToken);
            (IEnumerable<TItem> items, string next) = read(response);
            foreach (TItem item in items)
            {
                yield return item;
            }

            token = next;
        }
        while (token.Length > 0);
    }

    /// <summary>UNAVAILABLE (server down or restarting), or a stream torn down by a broken connection.</summary>
    internal static bool IsTransient(RpcException e) =>
        e.StatusCode == StatusCode.Unavailable
        || (e.StatusCode == StatusCode.Internal && e.InnerException is HttpRequestException or IOException)
        || (e.StatusCode == StatusCode.Unknown && e.InnerException is HttpRequestException or IOException);

    /// <summary>Exponential back-off with full jitter.</summary>
    internal TimeSpan Backoff(int attempt)
    {
        double ceiling = Math.Min(_options.MaxBackoff.TotalMilliseconds, _options.InitialBackoff.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
    }

    private static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
