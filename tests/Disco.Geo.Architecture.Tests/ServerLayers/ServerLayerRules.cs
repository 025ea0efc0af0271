namespace Disco.Geo.Architecture.Tests.ServerLayers;

/// <summary>
/// The target layering inside src/Disco.Geo.Server (issue 11), read from folders: Api → Application → Jobs and Storage →
/// the engines (another project). Layers point down only; Options, Domain and Problems are shared by all; Hosting is the
/// composition root and may use everything. Tiles, Stac, Security and Observability sit at the edge beside Api. Nothing below
/// the edge sees gRPC or proto types, so the wire can change without touching the application, and the application
/// can be driven without a gRPC server.
/// Edge holds the gRPC plumbing every edge layer needs and none may take from another (the call interceptor base and the
/// one mapping of problems to statuses), so Api, Tiles, Security and Observability stay side by side. Diagnostics (the
/// in-memory counters) is shared like Options: every layer records into it and it sees no wire types.
/// </summary>
internal static class ServerLayerRules
{
    public const string Hosting = "Hosting";
    public const string Api = "Api";
    public const string Tiles = "Tiles";
    public const string Stac = "Stac";
    public const string Security = "Security";
    public const string Observability = "Observability";
    public const string Application = "Application";
    public const string Jobs = "Jobs";
    public const string Storage = "Storage";
    public const string Shared = "Options/Domain/Problems";
    public const string Edge = "Edge";

    /// <summary>The layer of files directly in the project folder (Program.cs): they compose the host.</summary>
    public const string RootLayer = Hosting;

    private static readonly string[] Below = [Application, Jobs, Storage, Shared];

    private static readonly string[] EdgeAndBelow = [.. Below, Edge];

    public static IReadOnlyList<ServerLayer> Target { get; } =
    [
        new(Hosting, [Hosting], Set(Api, Tiles, Stac, Security, Observability, Edge, Application, Jobs, Storage, Shared), MayUseWire: true),
        // The gRPC services are still in Services/ until they move to Api/: both names are the Api layer.
        new(Api, [Api, "Services"], Set(EdgeAndBelow), MayUseWire: true),
        new(Tiles, [Tiles], Set(EdgeAndBelow), MayUseWire: true),
        new(Stac, [Stac], Set(EdgeAndBelow), MayUseWire: true),
        new(Security, [Security], Set(EdgeAndBelow), MayUseWire: true),
        new(Observability, [Observability], Set(EdgeAndBelow), MayUseWire: true),
        new(Application, [Application], Set(Jobs, Storage, Shared), MayUseWire: false),
        new(Jobs, [Jobs], Set(Storage, Shared), MayUseWire: false),
        new(Storage, [Storage], Set(Shared), MayUseWire: false),
        new(Edge, [Edge], Set(Shared), MayUseWire: true),
        new(Shared, ["Options", "Domain", "Problems", "Diagnostics"], Set(), MayUseWire: false),
    ];

    private static HashSet<string> Set(params string[] layers) => new(layers, StringComparer.Ordinal);
}
