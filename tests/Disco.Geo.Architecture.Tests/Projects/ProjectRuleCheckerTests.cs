namespace Disco.Geo.Architecture.Tests.Projects;

/// <summary>The project checker itself, on small synthetic graphs: it must catch what the rules forbid and pass a clean graph.</summary>
public sealed class ProjectRuleCheckerTests
{
    [Fact]
    public void The_target_graph_passes()
    {
        Assert.Empty(ProjectRuleChecker.Check(TargetGraph(), ProjectRules.Target));
    }

    [Fact]
    public void The_graph_without_the_engine_project_passes_with_the_transitional_server_references()
    {
        ProjectGraph graph = Graph(TargetNodes()
            .Where(node => node.Name != ProjectRules.Engine)
            .Select(node => node.Name == ProjectRules.Server ? Project(ProjectRules.Server, [ProjectRules.Sphere, ProjectRules.Raster, ProjectRules.Protos]) : node));
        Assert.Empty(ProjectRuleChecker.Check(graph, ProjectRules.Target));
    }

    [Fact]
    public void Once_the_engine_exists_the_server_may_not_reference_the_libraries_directly()
    {
        ProjectGraph graph = Graph(TargetNodes()
            .Select(node => node.Name == ProjectRules.Server ? Project(ProjectRules.Server, [ProjectRules.Engine, ProjectRules.Sphere, ProjectRules.Protos]) : node));
        Violation violation = Assert.Single(ProjectRuleChecker.Check(graph, ProjectRules.Target));
        Assert.Equal($"{ProjectRules.Server} → {ProjectRules.Sphere}", violation.Where);
    }

    [Fact]
    public void A_forbidden_direct_reference_is_reported()
    {
        ProjectGraph graph = Graph(TargetNodes()
            .Select(node => node.Name == ProjectRules.Engine ? Project(ProjectRules.Engine, [ProjectRules.Sphere, ProjectRules.Raster, ProjectRules.Protos]) : node));
        IReadOnlyList<Violation> violations = ProjectRuleChecker.Check(graph, ProjectRules.Target);
        Assert.Contains(violations, v => v.Where == $"{ProjectRules.Engine} → {ProjectRules.Protos}" && v.Rule.Contains("forbidden reference", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Where == $"{ProjectRules.Engine} ⇒ {ProjectRules.Protos}");
        Assert.Contains(violations, v => v.Where == $"{ProjectRules.Engine} ⇒ package Grpc.Core.Api");
    }

    [Fact]
    public void TorchSharp_reaching_the_client_through_another_project_is_reported()
    {
        ProjectGraph graph = Graph(TargetNodes()
            .Select(node => node.Name == ProjectRules.Protos ? Project(ProjectRules.Protos, [], "Google.Protobuf", "TorchSharp") : node));
        IReadOnlyList<Violation> violations = ProjectRuleChecker.Check(graph, ProjectRules.Target);
        Assert.Contains(violations, v => v.Where == $"{ProjectRules.Client} ⇒ package TorchSharp" && v.Rule.Contains($"through {ProjectRules.Protos}", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Where == $"{ProjectRules.Cli} ⇒ package TorchSharp");
    }

    [Fact]
    public void A_private_package_does_not_flow_to_referencing_projects()
    {
        ProjectNode protos = ProjectNode.Parse(ProjectRules.Protos, """
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <PackageReference Include="Google.Protobuf" />
                <PackageReference Include="TorchSharp" PrivateAssets="All" />
              </ItemGroup>
            </Project>
            """);
        ProjectGraph graph = Graph(TargetNodes().Select(node => node.Name == ProjectRules.Protos ? protos : node));
        Violation violation = Assert.Single(ProjectRuleChecker.Check(graph, ProjectRules.Target));
        Assert.Equal($"{ProjectRules.Protos} ⇒ package TorchSharp", violation.Where);
    }

    [Fact]
    public void The_cli_reaching_gdal_through_the_client_is_reported()
    {
        ProjectGraph graph = Graph(TargetNodes()
            .Select(node => node.Name == ProjectRules.Client ? Project(ProjectRules.Client, [ProjectRules.Protos, ProjectRules.Gdal]) : node));
        IReadOnlyList<Violation> violations = ProjectRuleChecker.Check(graph, ProjectRules.Target);
        Assert.Contains(violations, v => v.Where == $"{ProjectRules.Client} → {ProjectRules.Gdal}");
        Assert.Contains(violations, v => v.Where == $"{ProjectRules.Cli} ⇒ {ProjectRules.Gdal}" && v.Rule.Contains("even transitively", StringComparison.Ordinal));
    }

    [Fact]
    public void A_cycle_is_reported()
    {
        ProjectGraph graph = Graph(TargetNodes()
            .Select(node => node.Name == ProjectRules.Grids ? Project(ProjectRules.Grids, [ProjectRules.Sphere]) : node));
        IReadOnlyList<Violation> violations = ProjectRuleChecker.Check(graph, ProjectRules.Target);
        Assert.Contains(violations, v => v.Where == $"{ProjectRules.Grids} → {ProjectRules.Sphere} → {ProjectRules.Grids}" && v.Rule.Contains("cycle", StringComparison.Ordinal));
    }

    [Fact]
    public void A_project_without_a_rule_is_reported()
    {
        ProjectGraph graph = Graph([.. TargetNodes(), Project("Disco.Geo.Extras", [ProjectRules.Grids])]);
        Violation violation = Assert.Single(ProjectRuleChecker.Check(graph, ProjectRules.Target));
        Assert.Equal("Disco.Geo.Extras", violation.Where);
    }

    [Fact]
    public void Project_files_are_read_for_project_and_package_references()
    {
        ProjectNode node = ProjectNode.Parse("Disco.Geo.Cli", """
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <ProjectReference Include="../Disco.Geo.Client/Disco.Geo.Client.csproj" />
                <ProjectReference Include="..\Disco.Geo.Grids\Disco.Geo.Grids.csproj" />
                <PackageReference Include="Spectre.Console" />
                <PackageReference Include="Grpc.Tools" PrivateAssets="All" />
              </ItemGroup>
            </Project>
            """);
        Assert.Equal(["Disco.Geo.Client", "Disco.Geo.Grids"], node.ProjectReferences);
        Assert.Equal(["Spectre.Console", "Grpc.Tools"], node.Packages);
        Assert.Equal(["Spectre.Console"], node.FlowingPackages);
    }

    private static ProjectGraph TargetGraph() => Graph(TargetNodes());

    /// <summary>The target graph with the packages the projects have today.</summary>
    private static IEnumerable<ProjectNode> TargetNodes() =>
    [
        Project(ProjectRules.Grids, []),
        Project(ProjectRules.Gdal, []),
        Project(ProjectRules.Sphere, [ProjectRules.Grids], "TorchSharp", "libtorch-cpu-linux-x64"),
        Project(ProjectRules.Raster, [ProjectRules.Gdal, ProjectRules.Grids], "NetTopologySuite"),
        Project(ProjectRules.Engine, [ProjectRules.Sphere, ProjectRules.Raster]),
        Project(ProjectRules.Samples, []),
        Project(ProjectRules.Scenes, []),
        Project(ProjectRules.Protos, [], "Google.Protobuf", "Grpc.Core.Api"),
        Project(ProjectRules.Server, [ProjectRules.Engine, ProjectRules.Protos], "Grpc.AspNetCore", "Microsoft.Data.Sqlite"),
        Project(ProjectRules.Client, [ProjectRules.Protos], "Grpc.Net.Client"),
        Project(ProjectRules.Cli, [ProjectRules.Client, ProjectRules.Grids, ProjectRules.Samples], "Spectre.Console"),
    ];

    private static ProjectNode Project(string name, string[] references, params string[] packages) =>
        new(name, references, packages, packages);

    private static ProjectGraph Graph(IEnumerable<ProjectNode> nodes) => new(nodes);
}
