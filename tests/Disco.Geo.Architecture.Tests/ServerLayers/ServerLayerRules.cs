namespace Disco.Geo.Architecture.Tests.ServerLayers;

/// <summary>
/// The target layering inside src/Disco.Geo.Server (issue 11), read from folders: Api → Application → Jobs and Storage →
/// the engines (another project). Layers point down only; Options, Domain and Problems are shared by all; Hosting is the
/// composition root and may use everything. Tiles, Security and Observability sit at the edge beside Api. Nothing below
/// the edge sees gRPC or proto types, so the wire can change without touching the application, and the application
/// can be driven without a gRPC server.
/// </summary>
internal static class ServerLayerRules
{
    public const string Hosting = "Hosting";
    public const string Api = "Api";
    public const string Tiles = "Tiles";
    public const string Security = "Security";
    public const string Observability = "Observability";
    public const string Application = "Application";
    public const string Jobs = "Jobs";
    public const string Storage = "Storage";
    public const string Shared = "Options/Domain/Problems";

    /// <summary>The layer of files directly in the project folder (Program.cs): they compose the host.</summary>
    public const string RootLayer = Hosting;

    private static readonly string[] Below = [Application, Jobs, Storage, Shared];

    public static IReadOnlyList<ServerLayer> Target { get; } =
    [
        new(Hosting, [Hosting], Set(Api, Tiles, Security, Observability, Application, Jobs, Storage, Shared), MayUseWire: true),
        // The gRPC services are still in Services/ until they move to Api/: both names are the Api layer.
        new(Api, [Api, "Services"], Set(Below), MayUseWire: true),
        new(Tiles, [Tiles], Set(Below), MayUseWire: true),
        new(Security, [Security], Set(Below), MayUseWire: true),
        new(Observability, [Observability], Set(Below), MayUseWire: true),
        new(Application, [Application], Set(Jobs, Storage, Shared), MayUseWire: false),
        new(Jobs, [Jobs], Set(Storage, Shared), MayUseWire: false),
        new(Storage, [Storage], Set(Shared), MayUseWire: false),
        new(Shared, ["Options", "Domain", "Problems"], Set(), MayUseWire: false),
    ];

    private static HashSet<string> Set(params string[] layers) => new(layers, StringComparer.Ordinal);
}
