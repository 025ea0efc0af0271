using Disco.Geo.Cli.Commands;

namespace Disco.Geo.Cli.Tests;

/// <summary>The CLI's input globs: * within a name, ** across directories, ordinal, sorted and de-duplicated.</summary>
public sealed class InputExpansionTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("disco-globs-").FullName;

    public InputExpansionTests()
    {
        foreach (string relative in new[] { "a.tif", "b.TIF", "notes.txt", "2004/c.tif", "2004/deep/d.tif", "2005/e.tif" })
        {
            string path = Path.Combine(_root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, relative);
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Double_star_matches_any_depth_including_none()
    {
        Assert.Equal(Paths("2004/c.tif", "2004/deep/d.tif", "2005/e.tif", "a.tif"), InputExpansion.Expand([Path.Combine(_root, "**", "*.tif")], null));
    }

    [Fact]
    public void Star_stays_within_one_name_and_is_case_sensitive()
    {
        Assert.Equal(Paths("a.tif"), InputExpansion.Expand([Path.Combine(_root, "*.tif")], null));
        Assert.Equal(Paths("2004/c.tif"), InputExpansion.Expand([Path.Combine(_root, "2004", "*")], null));
        Assert.Equal(Paths("2004/c.tif", "2005/e.tif"), InputExpansion.Expand([Path.Combine(_root, "200*", "*.tif")], null));
    }

    [Fact]
    public void Overlapping_patterns_and_plain_files_are_sorted_and_de_duplicated()
    {
        string a = Path.Combine(_root, "a.tif");
        Assert.Equal(Paths("2005/e.tif", "a.tif"), InputExpansion.Expand([a, Path.Combine(_root, "2005", "*.tif"), Path.Combine(_root, "a.*")], null));
    }

    [Fact]
    public void A_missing_plain_file_or_a_question_mark_is_a_usage_error_and_a_missing_root_matches_nothing()
    {
        Assert.Throws<UsageException>(() => InputExpansion.Expand([Path.Combine(_root, "missing.tif")], null));
        Assert.Throws<UsageException>(() => InputExpansion.Expand([Path.Combine(_root, "?.tif")], null));
        Assert.Empty(InputExpansion.Expand([Path.Combine(_root, "nowhere", "*.tif")], null));
    }

    private string[] Paths(params string[] relative) =>
        [.. relative.Select(r => Path.Combine(_root, r.Replace('/', Path.DirectorySeparatorChar))).Order(StringComparer.Ordinal)];
}
