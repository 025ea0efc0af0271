namespace Disco.Geo.Architecture.Tests.ServerLayers;

/// <summary>One layer of the server: the folders that form it, the layers it may use and whether it may see the wire.</summary>
/// <param name="Name">The layer's name in messages.</param>
/// <param name="Folders">Top-level folders of src/Disco.Geo.Server that belong to it.</param>
/// <param name="MayUse">Other layers it may use (its own layer is always allowed).</param>
/// <param name="MayUseWire">Whether it may use gRPC (Grpc.*) or wire (Disco.Geo.Protos) types.</param>
internal sealed record ServerLayer(string Name, IReadOnlyList<string> Folders, IReadOnlySet<string> MayUse, bool MayUseWire);
