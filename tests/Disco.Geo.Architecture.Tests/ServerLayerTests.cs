using Disco.Geo.Architecture.Tests.ServerLayers;

namespace Disco.Geo.Architecture.Tests;

/// <summary>The server's folders follow the target layering (see <see cref="ServerLayerRules"/>).</summary>
public sealed class ServerLayerTests
{
    [Fact]
    public void Server_folders_use_only_the_layers_below_them_and_no_wire_types_below_the_api()
    {
        IReadOnlyList<SourceFile> files = SourceFile.LoadAll(Path.Combine(RepositoryRoot.Path, ServerLayerChecker.ServerDirectory));
        Assert.NotEmpty(files);
        Violations.AssertNone(ServerLayerChecker.Check(files, ServerLayerRules.Target));
    }
}
