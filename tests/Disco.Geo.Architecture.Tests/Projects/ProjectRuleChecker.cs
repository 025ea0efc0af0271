namespace Disco.Geo.Architecture.Tests.Projects;

/// <summary>Checks a project graph against a rule table: direct references, transitive reach, packages and cycles.</summary>
internal static class ProjectRuleChecker
{
    public static IReadOnlyList<Violation> Check(ProjectGraph graph, IReadOnlyList<ProjectRule> rules)
    {
        Dictionary<string, ProjectRule> byProject = rules.ToDictionary(rule => rule.Project, StringComparer.Ordinal);
        List<Violation> violations = [];
        foreach (ProjectNode node in graph.Nodes)
        {
            if (!byProject.TryGetValue(node.Name, out ProjectRule? rule))
            {
                violations.Add(new Violation(node.Name, "has no row in the project rule table: say what it may reference"));
                continue;
            }

            IReadOnlySet<string> allowed = rule.AllowedReferences(graph);
            foreach (string reference in node.ProjectReferences.Where(reference => !allowed.Contains(reference)))
            {
                string may = allowed.Count == 0 ? "no project" : string.Join(", ", allowed.Order(StringComparer.Ordinal));
                violations.Add(new Violation($"{node.Name} → {reference}", $"forbidden reference; {node.Name} may reference {may} ({rule.Why})"));
            }

            IReadOnlySet<string> reached = graph.ReachableProjects(node.Name);
            foreach (string forbidden in rule.NeverReaches.Where(reached.Contains).Order(StringComparer.Ordinal))
            {
                violations.Add(new Violation($"{node.Name} ⇒ {forbidden}", $"must never reach {forbidden}, even transitively ({rule.Why})"));
            }

            foreach ((string package, string from) in graph.ReachablePackages(node.Name))
            {
                foreach (PackageFamily family in rule.NeverGets.Where(family => family.Matches(package)))
                {
                    string via = from == node.Name ? "directly" : $"through {from}";
                    violations.Add(new Violation($"{node.Name} ⇒ package {package}", $"gets {family.Name} {via}; it must never ({rule.Why})"));
                }
            }
        }

        foreach (IReadOnlyList<string> cycle in graph.Cycles())
        {
            violations.Add(new Violation(string.Join(" → ", cycle), "reference cycle: project references must point one way"));
        }

        return violations;
    }
}
