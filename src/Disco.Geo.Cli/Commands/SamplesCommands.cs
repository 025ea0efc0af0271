using System.CommandLine;
using System.Text.Json;
using Disco.Geo.Samples;
using Disco.Geo.Scenes.Generation;
using Disco.Geo.Scenes.IO;

namespace Disco.Geo.Cli.Commands;

/// <summary>
/// `disco samples list|fetch`: the real sample data (Disco.Geo.Samples) on this machine, without a server. Fetched
/// paths are printed one per line (or as JSON) so scripts can hand them to `disco datasets ingest --path`.
/// `disco samples scenes` renders synthetic indoor panoramas (Disco.Geo.Scenes) as files the server ingests.
/// </summary>
internal static class SamplesCommands
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public static Command Build(CommandFactory factory)
    {
        var command = new Command("samples",
            "Real sample data from Debian packages (NASA Blue Marble, Natural Earth land, ETOPO5, HDR panoramas), verified by SHA-256, " +
            "and synthetic indoor panoramas with labels and depth. Works locally; no server needed.");
        command.Subcommands.Add(List(factory));
        command.Subcommands.Add(Fetch(factory));
        command.Subcommands.Add(Scenes(factory));
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
            IReadOnlyList<SampleFile> files = Select(context.Parse.GetValue(names), listing: true);
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

    private static Command Scenes(CommandFactory factory)
    {
        var output = new Option<string>("--out", "-o") { Description = "Directory to write into (created when missing)", Required = true };
        var count = new Option<int>("--count", "-n") { Description = "Number of panoramas", DefaultValueFactory = _ => 16 };
        var seed = new Option<ulong>("--seed") { Description = "Dataset seed; use different seeds for training and held-out scenes", DefaultValueFactory = _ => 1 };
        var height = new Option<int>("--height") { Description = "Rows of each panorama; the width is twice this", DefaultValueFactory = _ => 64 };
        var prefix = new Option<string>("--prefix") { Description = "File stem prefix: PREFIX-0000.png, PREFIX-0000-labels.png, PREFIX-0000-depth.tif", DefaultValueFactory = _ => "scene" };
        var cameras = new Option<string>("--cameras") { Description = "upright (level cameras, random heading) or random (uniformly random orientations)", DefaultValueFactory = _ => "upright" };
        var command = new Command("scenes",
            "Render synthetic 360° indoor panoramas (deterministic ray-cast rooms) as files the server ingests: per scene an RGB PNG, a label PNG " +
            "(pixel values = class ids 0 floor, 1 ceiling, 2 wall, 3 object; its palette = the class colours) and a Float32 depth TIFF in metres, " +
            $"all 2:1 equirectangular (the server reads them as the whole sphere), plus {PanoramaSampleSet.ManifestName} with the classes and files.")
            { output, count, seed, height, prefix, cameras };
        factory.SetAction(command, (context, cancellationToken) =>
        {
            ParseResult p = context.Parse;
            int n = p.GetValue(count);
            if (n is < 1 or > 100_000)
            {
                throw new UsageException($"--count must be between 1 and 100000, not {n}.");
            }

            int rows = p.GetValue(height);
            if (rows is < 4 or > 4096)
            {
                throw new UsageException($"--height must be between 4 and 4096 rows, not {rows}.");
            }

            CameraRotationMode mode = p.GetValue(cameras)!.ToLowerInvariant() switch
            {
                "upright" => CameraRotationMode.Upright,
                "random" => CameraRotationMode.Random,
                string other => throw new UsageException($"--cameras must be upright or random, not '{other}'."),
            };
            string stem = p.GetValue(prefix)!;
            if (stem.Length == 0 || stem.IndexOfAny([.. Path.GetInvalidFileNameChars(), ' ', ':']) >= 0)
            {
                throw new UsageException($"--prefix '{stem}' must be a plain file name without spaces or colons (it becomes the dataset names).");
            }

            string directory = Path.GetFullPath(p.GetValue(output)!);
            IReadOnlyList<PanoramaSampleFiles> files = PanoramaSampleSet.Write(
                directory, n, p.GetValue(seed), rows, stem, new DatasetOptions { Rotation = mode }, cancellationToken: cancellationToken);
            if (context.JsonOutput)
            {
                context.WriteJsonText(File.ReadAllText(Path.Combine(directory, PanoramaSampleSet.ManifestName)));
            }
            else
            {
                context.Say($"Wrote {files.Count} panoramas of {2 * rows}x{rows} into {directory} ({PanoramaSampleSet.ManifestName} lists classes and files).");
                context.Say($"Classes: {string.Join(", ", Disco.Geo.Scenes.SceneLabels.Names.Select((name, id) => $"{id} {name}"))}.");
                // Column 0 of the grid on the centre of the images' first pixel column, so every node reads one pixel.
                string grid = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"equirectangular:{rows}x{2 * rows}:{-180 + (90.0 / rows)}");
                context.Say($"Ingest one: disco datasets upload {files[0].Rgb} {files[0].Labels} && disco datasets ingest --name {files[0].Stem} --from {files[0].Stem} " +
                            $"--extra {Path.GetFileNameWithoutExtension(files[0].Labels)} --grid {grid} " +
                            "--band 1:input::red --band 2:input::green --band 3:input::blue --band 1.1:label:nearest:class");
            }

            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    /// <summary>The named samples; none or "all" = every sample except those of large packages, which a listing includes.</summary>
    private static IReadOnlyList<SampleFile> Select(string[]? names, bool listing = false)
    {
        if (names is null || names.Length == 0 || names.Any(n => n.Equals("all", StringComparison.OrdinalIgnoreCase)))
        {
            return listing ? [.. SampleCatalog.All, .. SampleCatalog.OnRequest] : SampleCatalog.All;
        }

        var files = new List<SampleFile>();
        foreach (string name in names)
        {
            SampleFile file = SampleCatalog.All.Concat(SampleCatalog.OnRequest).FirstOrDefault(f => f.Key.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase))
                ?? throw new UsageException(
                    $"No sample is called '{name}'. The samples are: {string.Join(", ", SampleCatalog.All.Select(f => f.Key))} (or all), " +
                    $"and by name only: {string.Join(", ", SampleCatalog.OnRequest.Select(f => f.Key))}.");
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
