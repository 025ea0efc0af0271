using System.Security.Cryptography.X509Certificates;
using Disco.Geo.Engine;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Application.Exports;
using Disco.Geo.Server.Application.Predictions;
using Disco.Geo.Server.Application.Stac;
using Disco.Geo.Server.Application.Transfers;
using Disco.Geo.Server.Application.Uploads;
using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Edge;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Jobs.Handlers;
using Disco.Geo.Server.Jobs.Sources;
using Disco.Geo.Server.Observability;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Security;
using Disco.Geo.Server.Services;
using Disco.Geo.Server.Stac;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Postgres;
using Disco.Geo.Server.Tiles;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Disco.Geo.Server.Hosting;

/// <summary>
/// Builds and runs the server: configuration (appsettings.json, DISCO_* environment variables, command-line flags, in
/// that order of precedence from low to high), Kestrel endpoints, storage, the job runner, the gRPC services, health,
/// reflection, /metrics and /tiles.
/// </summary>
internal static class DiscoServer
{
    /// <summary>Short command-line flags that set one value, and the configuration keys they set.</summary>
    public static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--data-dir"] = "Storage:DataDirectory",
        ["--postgres"] = "Storage:PostgreSql",
        ["--blob-root"] = "Storage:BlobRoot",
        ["--api-key"] = "Security:ApiKey",
        ["--tls-cert"] = "Security:CertificatePath",
        ["--tls-key"] = "Security:CertificateKeyOrPassword",
        ["--client-ca"] = "Security:ClientCaPath",
        ["--cors-origins"] = "Server:CorsOrigins",
        ["--leaflet-dir"] = "Server:LeafletDirectory",
        ["--path-base"] = "Server:PathBase",
        ["--replica-id"] = "Cluster:ReplicaId",
    };

    /// <summary>
    /// Short flags that may be repeated, and the list they fill: each occurrence becomes the next element. A switch
    /// mapping names one key, so every repetition would overwrite the same element and only the last would count.
    /// </summary>
    public static readonly Dictionary<string, string> RepeatableSwitches = new(StringComparer.Ordinal)
    {
        ["--listen"] = "Server:Listen",
        ["--http-listen"] = "Server:HttpListen",
        ["--import-root"] = "Storage:ImportRoots",
    };

    public const string Usage = $"""
        disco-server: the Disco.Geo gRPC server.

        Options (each also settable in appsettings.json or as DISCO_<SECTION>__<KEY> environment variables):
          --listen HOST:PORT       gRPC endpoint (Server:Listen; default {OptionDefaults.GrpcListen})
          --http-listen HOST:PORT  /metrics, /tiles, /healthz over HTTP/1.1 (Server:HttpListen; default {OptionDefaults.HttpListen}; "off" disables)
          --cors-origins LIST      origins whose web pages may read /tiles, comma-separated, or "none" (Server:CorsOrigins; default "{OptionDefaults.CorsOrigins}")
          --leaflet-dir PATH       Leaflet (leaflet.js, leaflet.css) for the map viewer page, served under /tiles/leaflet/ (Server:LeafletDirectory; default {OptionDefaults.LeafletDirectory}, Debian's libjs-leaflet)
          --path-base /PREFIX      serve the HTTP endpoints under this path prefix, e.g. behind a proxy (Server:PathBase; default none)
          --data-dir PATH          data directory (Storage:DataDirectory; default ~/.local/share/disco)
          --postgres CONNECTION    cluster mode: catalog, jobs and uploads in PostgreSQL, an Npgsql connection string (Storage:PostgreSql)
          --blob-root PATH         cluster mode: blob directory every replica mounts; required with --postgres (Storage:BlobRoot)
          --import-root PATH       directory whose files may be ingested by server-side path (Storage:ImportRoots)
          --api-key KEY            required x-api-key for every call (Security:ApiKey; needed to bind a non-loopback address)
          --tls-cert PATH          TLS certificate, PKCS#12 or PEM (Security:CertificatePath)
          --tls-key PATH|PASSWORD  PEM key file or PKCS#12 password (Security:CertificateKeyOrPassword)
          --client-ca PATH         require client certificates signed by these CAs (Security:ClientCaPath)
          --replica-id NAME        this replica's name in a cluster (Cluster:ReplicaId; default the host name)
          --Section:Key=value      any other setting, e.g. --Limits:MaxUploadBytes=1000000000
        --listen, --http-listen and --import-root may be given more than once; each one adds an element.
        """;

    /// <summary>
    /// Builds the application; <paramref name="configure"/> lets tests add settings or services before the server's own
    /// registrations, <paramref name="replaceServices"/> registrations that take the place of the server's (the last
    /// registration of a service wins), e.g. a real store wrapped to hold a write at a chosen moment.
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null, Action<IServiceCollection>? replaceServices = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables("DISCO_");
        builder.Configuration.AddCommandLine(ExpandRepeatableSwitches(args), SwitchMappings);
        configure?.Invoke(builder);

        IServiceCollection services = builder.Services;
        services.Configure<ServerOptions>(builder.Configuration.GetSection(ServerOptions.Section));
        services.Configure<StorageOptions>(builder.Configuration.GetSection(StorageOptions.Section));
        services.Configure<LimitsOptions>(builder.Configuration.GetSection(LimitsOptions.Section));
        services.Configure<JobsOptions>(builder.Configuration.GetSection(JobsOptions.Section));
        services.Configure<SecurityOptions>(builder.Configuration.GetSection(SecurityOptions.Section));
        services.Configure<ClusterOptions>(builder.Configuration.GetSection(ClusterOptions.Section));
        // A shared PostgreSQL store means other replicas: cluster mode follows from it without a second switch.
        string? sharedStore = builder.Configuration[StorageOptions.Section + ":PostgreSql"];
        services.PostConfigure<ClusterOptions>(options => options.Enabled |= !string.IsNullOrWhiteSpace(sharedStore));
        services.PostConfigure<ServerOptions>(options =>
        {
            // Defaults applied after binding: binding appends to lists, so defaults in the class would never go away.
            if (options.Listen.Count == 0)
            {
                options.Listen.Add(OptionDefaults.GrpcListen);
            }

            if (options.HttpListen.Count == 0)
            {
                options.HttpListen.Add(OptionDefaults.HttpListen);
            }

            options.HttpListen.RemoveAll(a => a.Equals("off", StringComparison.OrdinalIgnoreCase));
        });
        services.PostConfigure<StorageOptions>(options =>
        {
            if (string.IsNullOrWhiteSpace(options.DataDirectory))
            {
                options.DataDirectory = DataDirectory.DefaultPath();
            }
        });

        var serverOptions = new ServerOptions();
        builder.Configuration.GetSection(ServerOptions.Section).Bind(serverOptions);
        var securityOptions = new SecurityOptions();
        builder.Configuration.GetSection(SecurityOptions.Section).Bind(securityOptions);
        var limits = new LimitsOptions();
        builder.Configuration.GetSection(LimitsOptions.Section).Bind(limits);
        List<ListenAddress> grpcAddresses = (serverOptions.Listen.Count == 0 ? [OptionDefaults.GrpcListen] : serverOptions.Listen).Select(ListenAddress.Parse).ToList();
        List<ListenAddress> httpAddresses = (serverOptions.HttpListen.Count == 0 ? [OptionDefaults.HttpListen] : serverOptions.HttpListen)
            .Where(a => !a.Equals("off", StringComparison.OrdinalIgnoreCase)).Select(ListenAddress.Parse).ToList();
        // Kestrel:Endpoints (from any configuration source) adds endpoints beside ours: refuse them early here, and
        // BoundAddressGuard checks whatever was bound in the end.
        List<ListenAddress> kestrelEndpoints = builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren()
            .Select(endpoint => endpoint["Url"]).OfType<string>().Where(url => url.Length > 0).Select(BoundAddressGuard.ParseBound).ToList();
        BindingPolicy.Validate([.. grpcAddresses, .. httpAddresses, .. kestrelEndpoints], securityOptions);
        ConfigureKestrel(builder, grpcAddresses, httpAddresses, securityOptions);

        // Storage behind its interfaces: SQLite and the data directory, or PostgreSQL and a shared blob root.
        StorageRegistration.AddDiscoStorage(services, builder.Configuration);
        services.AddSingleton<JobHub>();
        // Cluster mode: one live process per replica id on the shared root (the blob root every replica mounts, else
        // the data directory). Taken in InitializeAsync, before any job is claimed.
        services.AddSingleton(provider =>
        {
            string? blobRoot = builder.Configuration[StorageOptions.Section + ":BlobRoot"];
            string root = string.IsNullOrWhiteSpace(blobRoot) ? provider.GetRequiredService<DataDirectory>().Root : blobRoot;
            return new ReplicaIdentityLock(root, provider.GetRequiredService<IOptions<ClusterOptions>>().Value.EffectiveReplicaId);
        });
        services.AddSingleton<LocalJobChanges>();
        // Local writes wake watchers at once; writes by other replicas are seen by polling (a database notification
        // feed joins this list where the store has one).
        bool notified = !string.IsNullOrWhiteSpace(sharedStore);
        if (notified)
        {
            // PostgreSQL announces every job change (LISTEN/NOTIFY): watchers of that job wake, and the runner looks
            // for claimable jobs at once instead of at its next poll.
            services.AddSingleton(provider =>
            {
                PostgresJobNotifications notifications = provider.GetRequiredService<PostgresJobNotifications>();
                var feed = new NotifiedJobChanges(notifications.ListenAsync, provider.GetRequiredService<ILogger<NotifiedJobChanges>>());
                notifications.Listening += feed.AnnounceAll;
                feed.Changed += _ => provider.GetRequiredService<JobRunner>().Wake();
                return feed;
            });
            services.AddHostedService(provider => provider.GetRequiredService<NotifiedJobChanges>());
        }

        services.AddSingleton<IJobChangeFeed>(provider => new AnyJobChanges([
            provider.GetRequiredService<LocalJobChanges>(),
            .. notified ? [provider.GetRequiredService<NotifiedJobChanges>()] : Array.Empty<IJobChangeFeed>(),
            new PollingJobChanges(provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<IOptions<ClusterOptions>>().Value.PollInterval),
        ]));
        services.AddSingleton<JobWatch>();
        services.AddSingleton<ActiveJobs>();
        services.AddSingleton<PredictionStreams>();
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton<PredictionMaps>();
        services.AddSingleton<LivePredictionTiles>();
        services.AddSingleton<PredictionRequests>();
        services.AddSingleton<UploadReceiver>();
        services.AddSingleton<FileTransfers>();
        services.AddSingleton<FileExports>();
        services.AddSingleton<PredictionStac>();
        services.AddSingleton<LeafletFiles>();
        services.AddSingleton<IPredictionMaps>(provider => provider.GetRequiredService<PredictionMaps>());
        services.AddSingleton<IJobSpecReader, JobSpecReader>();
        services.AddSingleton<ImportRoots>();
        services.AddSingleton<SourceSandboxes>();
        services.AddSingleton<ApiKeyCheck>();
        services.AddSingleton<BoundAddressGuard>();
        services.AddHostedService(provider => provider.GetRequiredService<BoundAddressGuard>());
        services.AddSingleton<IJobHandler, VerifyJobHandler>();
        services.AddSingleton<IJobHandler, IngestJobHandler>();
        services.AddSingleton<IJobHandler, TrainingJobHandler>();
        services.AddSingleton<IJobHandler, PredictionJobHandler>();
        services.AddSingleton<JobRunner>();
        services.AddHostedService(provider => provider.GetRequiredService<JobRunner>());
        // Tests register a fake clock in `configure` (which ran above); TryAdd keeps theirs.
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ShutdownDrain>();
        services.AddHostedService(provider => provider.GetRequiredService<ShutdownDrain>());
        services.AddSingleton(provider => new EngineOptions
        {
            MaxRasterPixels = provider.GetRequiredService<IOptions<LimitsOptions>>().Value.MaxRasterPixels,
            DefaultDevice = provider.GetRequiredService<IOptions<JobsOptions>>().Value.DefaultDevice,
        });
        services.AddHostedService<GdalLogForwarding>();
        services.AddDiscoEngines();

        services.AddGrpc(options =>
        {
            options.MaxReceiveMessageSize = limits.MaxReceiveMessageBytes;
            options.MaxSendMessageSize = limits.MaxSendMessageBytes;
            options.EnableDetailedErrors = false;
            options.Interceptors.Add<RequestStreamDrainInterceptor>();
            options.Interceptors.Add<MetricsInterceptor>();
            options.Interceptors.Add<ApiKeyInterceptor>();
            options.Interceptors.Add<ErrorInterceptor>();
            options.Interceptors.Add<RequestLimitsInterceptor>();
        });
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks().AddCheck<ShutdownDrain>("shutdown");
        services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(30));

        services.AddTileCors(serverOptions.CorsOrigins);

        replaceServices?.Invoke(builder.Services);
        WebApplication app = builder.Build();
        app.Services.GetRequiredService<IOptions<ClusterOptions>>().Value.Validate();
        BoundAddressGuard guard = app.Services.GetRequiredService<BoundAddressGuard>();
        app.Use(guard.GateAsync);
        if (serverOptions.PathBase.Length > 0)
        {
            if (!serverOptions.PathBase.StartsWith('/') || serverOptions.PathBase.EndsWith('/'))
            {
                throw new ServerConfigurationException($"Server:PathBase '{serverOptions.PathBase}' must start with '/' and not end with one, e.g. /disco.");
            }

            app.UsePathBase(serverOptions.PathBase);
        }

        // Routing first, so the API key middleware sees which endpoint a request is for. CORS before the key check:
        // a browser's preflight never carries the key, and a refusal must carry CORS headers for the page to read it.
        app.UseRouting();
        app.UseCors();
        app.UseMiddleware<HttpApiKeyMiddleware>();
        app.MapGrpcService<DatasetGrpcService>();
        app.MapGrpcService<TrainingGrpcService>();
        app.MapGrpcService<JobGrpcService>();
        app.MapGrpcService<PredictionGrpcService>();
        app.MapGrpcService<ModelGrpcService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        ServerMetrics metrics = app.Services.GetRequiredService<ServerMetrics>();
        ScrapeTimeGauges.Register(metrics, app.Services.GetRequiredService<JobRunner>(), app.Services.GetRequiredService<IJobStore>());
        app.MapMetrics("/metrics", metrics.Registry);
        app.MapGet("/healthz", (ShutdownDrain drain) => drain.IsDraining
            ? Results.Text("NOT_SERVING\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("SERVING\n"));
        app.MapTileEndpoints();
        StacEndpoints.Map(app);
        return app;
    }

    /// <summary>Prepares storage and recovers jobs; call after <see cref="Build"/> and before the server starts listening.</summary>
    public static async Task InitializeAsync(WebApplication app, CancellationToken cancellationToken)
    {
        IServiceProvider services = app.Services;
        ILogger logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Disco.Geo.Server");
        DataDirectory directory = services.GetRequiredService<DataDirectory>();
        if (services.GetRequiredService<IOptions<ClusterOptions>>().Value.Enabled)
        {
            services.GetRequiredService<ReplicaIdentityLock>();
        }

        await services.GetRequiredService<IMetadataSchema>().InitializeAsync(cancellationToken);
        int orphans = await services.GetRequiredService<IBlobStore>().CollectGarbageAsync(cancellationToken);
        int staleUploads = await services.GetRequiredService<IUploadStore>().CleanUpAsync(services.GetRequiredService<IOptions<StorageOptions>>().Value.StaleUploadAge, cancellationToken);
        await services.GetRequiredService<JobRunner>().RecoverAsync(cancellationToken);
        logger.LogInformation("Data directory {Directory}: removed {Orphans} unreferenced blobs and {Stale} stale uploads", directory.Root, orphans, staleUploads);
    }

    /// <summary>The addresses Kestrel actually bound (port 0 resolved), gRPC first.</summary>
    public static IReadOnlyList<string> BoundAddresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(Usage);
            return 0;
        }

        WebApplication app;
        try
        {
            app = Build(args);
            await InitializeAsync(app, CancellationToken.None);
        }
        catch (ServerConfigurationException e)
        {
            await Console.Error.WriteLineAsync("disco-server: " + e.Message);
            return 2;
        }

        await using (app)
        {
            try
            {
                await app.StartAsync();
            }
            catch (ServerConfigurationException e)
            {
                // BoundAddressGuard refused what was bound; it held every request, so nothing was served.
                await app.StopAsync();
                await Console.Error.WriteLineAsync("disco-server: " + e.Message);
                return 2;
            }

            // One machine-readable line so scripts (and the tests) can find ports chosen with port 0.
            Console.WriteLine("disco-server listening: " + string.Join(" ", BoundAddresses(app)));
            await app.WaitForShutdownAsync();
        }

        return 0;
    }

    /// <summary>
    /// Rewrites each occurrence of a <see cref="RepeatableSwitches"/> flag ("--import-root a", "--import-root=b") into
    /// the next element of its list ("--Storage:ImportRoots:0=a", "--Storage:ImportRoots:1=b").
    /// </summary>
    public static string[] ExpandRepeatableSwitches(string[] args)
    {
        var expanded = new List<string>(args.Length);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            string argument = args[i];
            int equals = argument.IndexOf('=', StringComparison.Ordinal);
            string flag = equals < 0 ? argument : argument[..equals];
            if (!RepeatableSwitches.TryGetValue(flag, out string? key))
            {
                expanded.Add(argument);
                continue;
            }

            string? value = equals >= 0 ? argument[(equals + 1)..] : i + 1 < args.Length ? args[++i] : null;
            if (value is null)
            {
                throw new ServerConfigurationException($"{flag} needs a value.");
            }

            int index = counts.GetValueOrDefault(flag);
            counts[flag] = index + 1;
            expanded.Add($"--{key}:{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}={value}");
        }

        return [.. expanded];
    }

    private static void ConfigureKestrel(WebApplicationBuilder builder, List<ListenAddress> grpcAddresses, List<ListenAddress> httpAddresses, SecurityOptions security)
    {
        X509Certificate2? certificate = string.IsNullOrEmpty(security.CertificatePath) ? null : BindingPolicy.LoadServerCertificate(security);
        X509Certificate2Collection? authorities = null;
        if (!string.IsNullOrEmpty(security.ClientCaPath))
        {
            authorities = [];
            authorities.ImportFromPemFile(security.ClientCaPath);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Larger HTTP/2 windows let one upload stream fill a loopback or LAN link.
            kestrel.Limits.Http2.InitialConnectionWindowSize = 16 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 8 * 1024 * 1024;
            kestrel.Limits.Http2.MaxStreamsPerConnection = 256;
            foreach (ListenAddress address in grpcAddresses)
            {
                kestrel.Listen(address.Address, address.Port, listen => Configure(listen, certificate is null ? HttpProtocols.Http2 : HttpProtocols.Http1AndHttp2));
            }

            foreach (ListenAddress address in httpAddresses)
            {
                kestrel.Listen(address.Address, address.Port, listen => Configure(listen, certificate is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2));
            }
        });

        void Configure(ListenOptions listen, HttpProtocols protocols)
        {
            listen.Protocols = protocols;
            if (certificate is null)
            {
                return;
            }

            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = certificate,
                ClientCertificateMode = authorities is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = authorities is null ? null : (clientCertificate, _, _) => BindingPolicy.ValidateClientCertificate(clientCertificate, authorities),
            });
        }
    }
}
