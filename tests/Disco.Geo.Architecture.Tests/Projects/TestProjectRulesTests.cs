namespace Disco.Geo.Architecture.Tests.Projects;

/// <summary>The test-project rule on small synthetic checkouts: it must name what is missing and pass a complete one.</summary>
public sealed class TestProjectRulesTests
{
    private static readonly string[] Sources = [ProjectRules.Grids, ProjectRules.Engine, ProjectRules.Protos];

    [Fact]
    public void One_test_project_per_source_project_passes()
    {
        Assert.Empty(TestProjectRules.Check(Sources, [Test(ProjectRules.Grids), Test(ProjectRules.Engine), Project("Disco.Geo.Architecture.Tests", [])]));
    }

    [Fact]
    public void A_source_project_without_tests_is_named()
    {
        Violation violation = Assert.Single(TestProjectRules.Check(Sources, [Test(ProjectRules.Grids)]));
        Assert.Equal(ProjectRules.Engine, violation.Where);
    }

    [Fact]
    public void Engine_tests_that_reach_the_engine_only_through_the_server_are_named()
    {
        Violation violation = Assert.Single(TestProjectRules.Check(Sources, [Test(ProjectRules.Grids), Project(ProjectRules.Engine + ".Tests", [ProjectRules.Server])]));
        Assert.Equal(ProjectRules.Engine + ".Tests", violation.Where);
    }

    [Fact]
    public void A_test_project_of_no_source_project_is_named()
    {
        Violation violation = Assert.Single(TestProjectRules.Check(Sources, [Test(ProjectRules.Grids), Test(ProjectRules.Engine), Test("Disco.Geo.Jobs")]));
        Assert.Equal("Disco.Geo.Jobs.Tests", violation.Where);
    }

    private static ProjectNode Test(string source) => Project(source + ".Tests", [source]);

    private static ProjectNode Project(string name, string[] references) => new(name, references, [], []);
}
