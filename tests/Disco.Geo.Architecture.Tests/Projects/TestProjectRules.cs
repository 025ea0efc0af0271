namespace Disco.Geo.Architecture.Tests.Projects;

/// <summary>
/// Issue 11's "one test project per source project": src/X has tests/X.Tests, which references X, so a library's tests
/// run against it directly rather than through the server.
/// </summary>
internal static class TestProjectRules
{
    /// <summary>Source projects without a test project of their own, and why.</summary>
    public static IReadOnlyDictionary<string, string> Untested { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [ProjectRules.Protos] = "generated from protos/ with no code of its own; the client and server tests exercise the wire",
    };

    /// <summary>Test projects that belong to no source project, and why.</summary>
    public static IReadOnlyDictionary<string, string> Standalone { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Disco.Geo.Architecture.Tests"] = "checks the repository's structure rather than one project",
    };

    /// <summary>Every missing, misnamed or orphaned test project, given the source and test project files by name.</summary>
    public static IReadOnlyList<Violation> Check(IReadOnlyCollection<string> sourceProjects, IReadOnlyCollection<ProjectNode> testProjects)
    {
        List<Violation> violations = [];
        Dictionary<string, ProjectNode> tests = testProjects.ToDictionary(node => node.Name, StringComparer.Ordinal);
        foreach (string source in sourceProjects.Order(StringComparer.Ordinal))
        {
            if (Untested.ContainsKey(source))
            {
                continue;
            }

            string name = source + ".Tests";
            if (!tests.TryGetValue(name, out ProjectNode? test))
            {
                violations.Add(new Violation(source, $"has no test project: add tests/{name}/{name}.csproj (one test project per source project)"));
            }
            else if (!test.ProjectReferences.Contains(source, StringComparer.Ordinal))
            {
                violations.Add(new Violation(name, $"does not reference {source}, the project it tests"));
            }
        }

        foreach (ProjectNode test in testProjects.OrderBy(node => node.Name, StringComparer.Ordinal))
        {
            string source = test.Name.EndsWith(".Tests", StringComparison.Ordinal) ? test.Name[..^".Tests".Length] : test.Name;
            if (!Standalone.ContainsKey(test.Name) && !sourceProjects.Contains(source, StringComparer.Ordinal))
            {
                violations.Add(new Violation(test.Name, $"tests no source project: name it after the project under src/ it tests"));
            }
        }

        return violations;
    }

    /// <summary>Reads the project files of a checkout: src/*/*.csproj names and tests/*/*.csproj nodes.</summary>
    public static IReadOnlyList<Violation> Check(string repositoryRoot)
    {
        string[] sources = [.. ProjectFiles(Path.Combine(repositoryRoot, "src")).Select(Path.GetFileNameWithoutExtension).OfType<string>()];
        ProjectNode[] tests = [.. ProjectFiles(Path.Combine(repositoryRoot, "tests"))
            .Select(file => ProjectNode.Parse(Path.GetFileNameWithoutExtension(file), File.ReadAllText(file)))];
        return Check(sources, tests);
    }

    private static IEnumerable<string> ProjectFiles(string directory) =>
        Directory.GetDirectories(directory).SelectMany(project => Directory.GetFiles(project, "*.csproj"));
}
