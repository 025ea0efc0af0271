namespace Disco.Geo.Architecture.Tests.Projects;

/// <summary>The source projects and their references, with the transitive closure the rules need.</summary>
internal sealed class ProjectGraph
{
    private readonly Dictionary<string, ProjectNode> _nodes;

    public ProjectGraph(IEnumerable<ProjectNode> nodes)
    {
        _nodes = nodes.ToDictionary(node => node.Name, StringComparer.Ordinal);
    }

    public IEnumerable<ProjectNode> Nodes => _nodes.Values.OrderBy(node => node.Name, StringComparer.Ordinal);

    /// <summary>Every src/*/*.csproj of a checkout.</summary>
    public static ProjectGraph Load(string repositoryRoot)
    {
        string source = Path.Combine(repositoryRoot, "src");
        return new ProjectGraph(Directory.GetDirectories(source)
            .SelectMany(directory => Directory.GetFiles(directory, "*.csproj"))
            .Select(file => ProjectNode.Parse(Path.GetFileNameWithoutExtension(file), File.ReadAllText(file))));
    }

    public bool Contains(string name) => _nodes.ContainsKey(name);

    /// <summary>The projects reachable from <paramref name="name"/> through project references (itself excluded).</summary>
    public IReadOnlySet<string> ReachableProjects(string name)
    {
        HashSet<string> reached = new(StringComparer.Ordinal);
        Stack<string> pending = new([name]);
        while (pending.TryPop(out string? current))
        {
            if (!_nodes.TryGetValue(current, out ProjectNode? node))
            {
                continue;
            }

            foreach (string reference in node.ProjectReferences)
            {
                if (reached.Add(reference))
                {
                    pending.Push(reference);
                }
            }
        }

        reached.Remove(name);
        return reached;
    }

    /// <summary>The packages a project gets: its own, plus those that flow to it from every project it reaches.</summary>
    public IReadOnlyList<(string Package, string From)> ReachablePackages(string name)
    {
        List<(string, string)> packages = [];
        if (_nodes.TryGetValue(name, out ProjectNode? self))
        {
            packages.AddRange(self.Packages.Select(package => (package, name)));
        }

        foreach (string reached in ReachableProjects(name).Order(StringComparer.Ordinal))
        {
            if (_nodes.TryGetValue(reached, out ProjectNode? node))
            {
                packages.AddRange(node.FlowingPackages.Select(package => (package, reached)));
            }
        }

        return packages;
    }

    /// <summary>Each reference cycle once, as the list of projects along it (the first repeated at the end).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        List<IReadOnlyList<string>> cycles = [];
        HashSet<string> done = new(StringComparer.Ordinal);
        List<string> path = [];
        foreach (string start in _nodes.Keys.Order(StringComparer.Ordinal))
        {
            Visit(start);
        }

        return cycles;

        void Visit(string name)
        {
            int onPath = path.IndexOf(name);
            if (onPath >= 0)
            {
                cycles.Add([.. path.Skip(onPath), name]);
                return;
            }

            if (done.Contains(name) || !_nodes.TryGetValue(name, out ProjectNode? node))
            {
                return;
            }

            path.Add(name);
            foreach (string reference in node.ProjectReferences)
            {
                Visit(reference);
            }

            path.RemoveAt(path.Count - 1);
            done.Add(name);
        }
    }
}
