using System.Xml.Linq;

namespace Disco.Geo.Architecture.Tests.Projects;

/// <summary>One project file as the rules see it: its name, the projects it references and the packages it references.</summary>
/// <param name="FlowingPackages">Packages that reach the projects referencing this one (everything but PrivateAssets="All").</param>
internal sealed record ProjectNode(
    string Name,
    IReadOnlyList<string> ProjectReferences,
    IReadOnlyList<string> Packages,
    IReadOnlyList<string> FlowingPackages)
{
    /// <summary>Reads a project file's text; the project's name is its file name without ".csproj".</summary>
    public static ProjectNode Parse(string name, string projectFileText)
    {
        XDocument document = XDocument.Parse(projectFileText);
        List<string> projects = document.Descendants("ProjectReference")
            .Select(reference => Path.GetFileNameWithoutExtension(((string?)reference.Attribute("Include") ?? "").Replace('\\', '/')))
            .ToList();
        List<XElement> packages = document.Descendants("PackageReference").ToList();
        return new ProjectNode(
            name,
            projects,
            packages.Select(PackageName).ToList(),
            packages.Where(package => !IsPrivate(package)).Select(PackageName).ToList());
    }

    private static string PackageName(XElement package) => (string?)package.Attribute("Include") ?? "";

    private static bool IsPrivate(XElement package) =>
        string.Equals((string?)package.Attribute("PrivateAssets") ?? (string?)package.Element("PrivateAssets"), "All", StringComparison.OrdinalIgnoreCase);
}
