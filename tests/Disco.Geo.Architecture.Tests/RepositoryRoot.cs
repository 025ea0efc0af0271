namespace Disco.Geo.Architecture.Tests;

/// <summary>The checkout the tests run from: the nearest directory above the test binaries that holds Disco.sln.</summary>
internal static class RepositoryRoot
{
    private const string SolutionFile = "Disco.sln";

    public static string Path { get; } = Find();

    private static string Find()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, SolutionFile)))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No {SolutionFile} above {AppContext.BaseDirectory}.");
    }
}
