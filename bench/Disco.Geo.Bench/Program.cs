using Disco.Geo.Bench;

// disco-bench <name> [options]   runs one benchmark and writes bench/results/<name>.md
// disco-bench --list             lists them
IBenchmark[] benchmarks = typeof(IBenchmark).Assembly.GetTypes()
    .Where(t => t is { IsAbstract: false, IsInterface: false } && typeof(IBenchmark).IsAssignableFrom(t))
    .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
    .OrderBy(b => b.Name, StringComparer.Ordinal)
    .ToArray();

if (args.Length == 0 || args[0] is "--list" or "-h" or "--help")
{
    Console.WriteLine("usage: disco-bench <benchmark> [--quick] [options]\n");
    foreach (IBenchmark benchmark in benchmarks)
    {
        Console.WriteLine($"  {benchmark.Name,-24} {benchmark.Description}");
    }

    return args.Length == 0 ? 2 : 0;
}

IBenchmark? selected = benchmarks.FirstOrDefault(b => b.Name == args[0]);
if (selected is null)
{
    Console.Error.WriteLine($"Unknown benchmark '{args[0]}'. Run with --list to see the benchmarks.");
    return 2;
}

string resultsDirectory = Path.Combine(FindRepositoryRoot(), "bench", "results");
using CancellationTokenSource cancellation = new();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};
return await selected.RunAsync(new BenchmarkContext(selected.Name, args[1..], resultsDirectory), cancellation.Token);

static string FindRepositoryRoot()
{
    for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "Disco.sln")))
        {
            return directory.FullName;
        }
    }

    return Directory.GetCurrentDirectory();
}

