namespace Disco.Geo.Architecture.Tests.Projects;

/// <summary>
/// The target project graph (issue 11): Grids ← Sphere ← Engine → Raster → Gdal, Raster → Grids; Server → Engine, Protos;
/// Client → Protos; Cli → Client, Grids, Samples, Scenes. A project missing from the checkout is fine; a project missing from this
/// table is a violation, so a new project has to say where it sits.
/// </summary>
internal static class ProjectRules
{
    public const string Grids = "Disco.Geo.Grids";
    public const string Gdal = "Disco.Geo.Gdal";
    public const string Sphere = "Disco.Geo.Sphere";
    public const string Raster = "Disco.Geo.Raster";
    public const string Engine = "Disco.Geo.Engine";
    public const string Samples = "Disco.Geo.Samples";
    public const string Scenes = "Disco.Geo.Scenes";
    public const string Protos = "Disco.Geo.Protos";
    public const string Server = "Disco.Geo.Server";
    public const string Client = "Disco.Geo.Client";
    public const string Cli = "Disco.Geo.Cli";

    /// <summary>What the client side must never pull: the tensor and GIS stacks and their native libraries.</summary>
    private static readonly string[] HeavyProjects = [Gdal, Raster, Sphere, Engine, Server];

    public static IReadOnlyList<ProjectRule> Target { get; } =
    [
        new(Grids, Set(), Set(), [PackageFamily.Torch, PackageFamily.Grpc, PackageFamily.GdalNatives],
            "grids are dependency-free so the CLI and the raster ingest use them without libtorch or GDAL"),
        new(Gdal, Set(), Set(), [PackageFamily.Torch, PackageFamily.Grpc],
            "the GDAL binding depends on nothing but the system libgdal"),
        new(Sphere, Set(Grids), Set(Gdal, Raster), [PackageFamily.Grpc, PackageFamily.GdalNatives],
            "the DISCO library knows grids and tensors, not GIS files or the wire"),
        new(Raster, Set(Gdal, Grids), Set(Sphere, Engine), [PackageFamily.Torch, PackageFamily.Grpc],
            "raster ingest and GIS outputs need GDAL and grids, never libtorch or the wire"),
        new(Engine, Set(Sphere, Raster, Grids), Set(Protos, Server), [PackageFamily.Grpc],
            "engines work on library types, never on protos, so the wire can change without touching them"),
        new(Samples, Set(), Set(), [PackageFamily.Torch, PackageFamily.Grpc, PackageFamily.GdalNatives],
            "sample data is fetched without GDAL or tensors so the CLI can use it"),
        new(Scenes, Set(), Set(), [PackageFamily.Torch, PackageFamily.Grpc, PackageFamily.GdalNatives],
            "scene generation stands alone"),
        new(Protos, Set(), Set(), [PackageFamily.Torch, PackageFamily.GdalNatives],
            "the wire contract depends on nothing of ours"),
        new(Server, Set(Engine, Protos), Set(Client, Cli), [],
            "the host maps the wire (Protos) onto the engines (Engine); Sphere, Raster and Grids come through Engine")
        {
            // Until the engines leave the server for Disco.Geo.Engine, the server reaches the libraries directly.
            UntilProjectExists = Engine,
            TransitionalReferences = Set(Sphere, Raster),
        },
        new(Client, Set(Protos), Set(HeavyProjects), [PackageFamily.Torch, PackageFamily.GdalNatives],
            "the client is the wire only: callers must not pull libtorch or GDAL natives"),
        new(Cli, Set(Client, Grids, Samples, Scenes), Set(HeavyProjects), [PackageFamily.Torch, PackageFamily.GdalNatives],
            "the CLI ships small: no libtorch, no GDAL (Scenes is dependency-free: `disco samples scenes` renders locally)"),
    ];

    private static HashSet<string> Set(params string[] projects) => new(projects, StringComparer.Ordinal);
}
