using System.CommandLine;
using System.Text.Json;
using Disco.Geo.Samples;

namespace Disco.Geo.Cli.Commands;

/// <summary>
/// `disco samples list|fetch`: the real sample data (Disco.Geo.Samples) on this machine, without a server. Fetched
/// paths are printed one per line (or as JSON) so scripts can hand them to `disco datasets ingest --path`.
/// </summary>
internal static class SamplesCommands
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public static Command Build(CommandFactory factory)
    {
        var command = new Command("samples",
            "Real sample data from Debian packages (NASA Blue Marble, Natural Earth land, ETOPO5, HDR panoramas), verified by SHA-256. " +
            "Works locally; no server needed.");
        command.Subcommands.Add(List(factory));
        command.Subcommands.Add(Fetch(factory));
        return command;
    }

    private static Option<string?> CacheDirectory() => new("--cache-dir")
    {
        Description = $"Cache directory (env {SampleDataOptions.CacheVariable}; default ~/.cache/disco-geo)",
    };

    private static Argument<string[]> Names(string description) => new("names") { Description = description, Arity = ArgumentArity.ZeroOrMore };

    private static Command List(CommandFactory factory)
    {
        Argument<string[]> names = Names("Sample keys to show (default: all)");
        Option<string?> cache = CacheDirectory();
        var command = new Command("list", "List the catalogued samples and where they are on this machine, if anywhere.") { names, cache };
        factory.SetAction(command, (context, _) =>
        {
            IReadOnlyList<SampleFile> files = Select(context.Parse.GetValue(names));
            var samples = new SampleData(new SampleDataOptions { CacheDirectory = context.Parse.GetValue(cache) });
            var rows = files.Select(f => (File: f, Local: samples.FindLocal(f))).ToList();
            if (context.JsonOutput)
            {
                context.WriteJsonText(JsonSerializer.Serialize(rows.Select(r => Describe(r.File, r.Local is null ? null : Path.GetFullPath(r.Local))), JsonOptions));
            }
            else
            {
                Display.Table(context, ["KEY", "SIZE", "PACKAGE", "LOCAL COPY", "WHAT"],
                    rows.Select(r => new[] { r.File.Key, Display.Bytes(r.File.Size), $"{r.File.Package} {r.File.Version}", r.Local ?? "(not fetched)", SampleCatalog.Describe(r.File) }));
                context.Say($"Cache: {samples.CacheDirectory}. Fetch with `disco samples fetch KEY...`.");
            }

            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static Command Fetch(CommandFactory factory)
    {
        Argument<string[]> names = Names("Sample keys to fetch, e.g. bmng-07 ne-50m-land (default: all)");
        Option<string?> cache = CacheDirectory();
        var command = new Command("fetch",
            "Fetch samples (apt-get download + dpkg-deb -x, no root), verify their SHA-256 and print their absolute paths, one per line. " +
            "Companion files (.shx, .dbf, .prj of a shapefile) sit next to the printed path.") { names, cache };
        factory.SetAction(command, async (context, cancellationToken) =>
        {
            IReadOnlyList<SampleFile> files = Select(context.Parse.GetValue(names));
            var samples = new SampleData(new SampleDataOptions { CacheDirectory = context.Parse.GetValue(cache) });
            var fetched = new List<(SampleFile File, string Path)>();
            foreach (SampleFile file in files)
            {
                if (samples.FindLocal(file) is null)
                {
                    // Progress goes to stderr so stdout stays a clean list of paths.
                    await context.Error.WriteLineAsync($"Fetching {file.Key} from Debian package {file.Package} {file.Version} into {samples.CacheDirectory} ...");
                }

                try
                {
                    fetched.Add((file, Path.GetFullPath(await samples.GetAsync(file, cancellationToken))));
                }
                catch (SampleDataException e)
                {
                    await context.Error.WriteLineAsync($"error: {file.Key}: {e.Message}");
                    JsonErrors.Write(context, "SAMPLE_DATA_UNAVAILABLE", ExitCodes.SampleDataUnavailable, $"{file.Key}: {e.Message}");
                    return ExitCodes.SampleDataUnavailable;
                }
            }

            if (context.JsonOutput)
            {
                context.WriteJsonText(JsonSerializer.Serialize(fetched.Select(f => Describe(f.File, f.Path)), JsonOptions));
            }
            else
            {
                foreach ((_, string path) in fetched)
                {
                    await context.Output.WriteLineAsync(path);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static IReadOnlyList<SampleFile> Select(string[]? names)
    {
        if (names is null || names.Length == 0 || names.Any(n => n.Equals("all", StringComparison.OrdinalIgnoreCase)))
        {
            return SampleCatalog.All;
        }

        var files = new List<SampleFile>();
        foreach (string name in names)
        {
            SampleFile file = SampleCatalog.All.FirstOrDefault(f => f.Key.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase))
                ?? throw new UsageException($"No sample is called '{name}'. The samples are: {string.Join(", ", SampleCatalog.All.Select(f => f.Key))} (or all).");
            if (!files.Contains(file))
            {
                files.Add(file);
            }
        }

        return files;
    }

    private static Dictionary<string, object?> Describe(SampleFile file, string? path) => new()
    {
        ["key"] = file.Key,
        ["path"] = path,
        ["companions"] = path is null || file.Companions is null
            ? Array.Empty<string>()
            : file.Companions.Select(c => Path.Combine(Path.GetDirectoryName(path)!, Path.GetFileName(c.PathInPackage))).ToArray(),
        ["description"] = SampleCatalog.Describe(file),
        ["package"] = file.Package,
        ["version"] = file.Version,
        ["pathInPackage"] = file.PathInPackage,
        ["sha256"] = file.Sha256,
        ["sizeBytes"] = file.Size,
    };
}
