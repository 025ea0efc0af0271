namespace Disco.Geo.Architecture.Tests.ServerLayers;

/// <summary>One C# file of the server: its path relative to the project folder ('/'-separated) and its text.</summary>
internal sealed record SourceFile(string Path, string Text)
{
    /// <summary>Every .cs file of a project folder, build output left out.</summary>
    public static IReadOnlyList<SourceFile> LoadAll(string projectDirectory) =>
        Directory.GetFiles(projectDirectory, "*.cs", SearchOption.AllDirectories)
            .Select(file => System.IO.Path.GetRelativePath(projectDirectory, file).Replace('\\', '/'))
            .Where(path => !path.StartsWith("obj/", StringComparison.Ordinal) && !path.StartsWith("bin/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(path => new SourceFile(path, File.ReadAllText(System.IO.Path.Combine(projectDirectory, path))))
            .ToList();
}
