namespace Disco.Geo.Bench;

/// <summary>
/// One runnable benchmark. Implementations are discovered by reflection, so adding a benchmark means adding a class.
/// A benchmark prints progress to the console and writes its results as a Markdown section through
/// <see cref="BenchmarkContext.WriteSection"/>; bench/compose-results.sh assembles bench/RESULTS.md from those sections.
/// </summary>
internal interface IBenchmark
{
    /// <summary>Command-line name, e.g. "disco-speed".</summary>
    string Name { get; }

    /// <summary>One line shown by --list.</summary>
    string Description { get; }

    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    Task<int> RunAsync(BenchmarkContext context, CancellationToken cancellationToken);
}
