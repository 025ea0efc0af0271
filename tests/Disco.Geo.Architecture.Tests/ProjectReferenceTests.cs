using Disco.Geo.Architecture.Tests.Projects;

namespace Disco.Geo.Architecture.Tests;

/// <summary>
/// The repository's src/*/*.csproj files follow the target project graph (see <see cref="ProjectRules"/>), and each
/// has its test project under tests/ (see <see cref="TestProjectRules"/>).
/// </summary>
public sealed class ProjectReferenceTests
{
    [Fact]
    public void Source_projects_reference_only_what_the_rule_table_allows()
    {
        ProjectGraph graph = ProjectGraph.Load(RepositoryRoot.Path);
        Assert.Contains(graph.Nodes, node => node.Name == ProjectRules.Grids);
        Violations.AssertNone(ProjectRuleChecker.Check(graph, ProjectRules.Target));
    }

    [Fact]
    public void Every_source_project_has_one_test_project_that_references_it()
    {
        Violations.AssertNone(TestProjectRules.Check(RepositoryRoot.Path));
    }
}
