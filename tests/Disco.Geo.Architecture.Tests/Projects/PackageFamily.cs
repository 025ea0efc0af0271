namespace Disco.Geo.Architecture.Tests.Projects;

/// <summary>A group of packages that bring one heavy or layer-specific dependency, recognised by name prefix.</summary>
internal sealed record PackageFamily(string Name, IReadOnlyList<string> Prefixes)
{
    /// <summary>libtorch and its managed binding: hundreds of megabytes of natives.</summary>
    public static readonly PackageFamily Torch = new("TorchSharp/libtorch", ["TorchSharp", "libtorch"]);

    /// <summary>The wire: gRPC and protobuf runtime types belong to the API edge only.</summary>
    public static readonly PackageFamily Grpc = new("gRPC/protobuf", ["Grpc.", "Google.Protobuf"]);

    /// <summary>Packaged GDAL natives (the repository binds the system libgdal through Disco.Geo.Gdal instead).</summary>
    public static readonly PackageFamily GdalNatives = new("GDAL natives", ["Gdal.", "MaxRev.Gdal"]);

    public bool Matches(string package) =>
        Prefixes.Any(prefix => package.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
}
