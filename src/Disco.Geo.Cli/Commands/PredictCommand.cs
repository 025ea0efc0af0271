using System.Collections.Concurrent;
using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Microsoft.Extensions.FileSystemGlobbing;

namespace Disco.Geo.Cli.Commands;

/// <summary>
/// `disco predict`: runs a model over many inputs. Outputs are written as OUT/&lt;input stem&gt;.&lt;ext&gt; through a
/// temporary file, so an existing output means that input is done; a rerun skips finished inputs, re-uses uploads
/// the server already has (same name and checksum), and re-uses finished predictions through a request id derived
/// from model, input and options.
/// </summary>
internal static class PredictCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static Command Build(CommandFactory factory)
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Input files or globs (* **); dataset names with --input-kind dataset", Arity = ArgumentArity.ZeroOrMore };
        var model = new Option<string>("--model", "-m") { Description = "Model id or name", Required = true };
        var manifest = new Option<string?>("--manifest") { Description = "File listing one input per line (relative to the manifest; # comments)" };
        var output = new Option<string>("--out", "-o") { Description = "Output directory", Required = true };
        var format = new Option<string>("--format") { Description = "geotiff, cog, geojson or png; several comma-separated (cog,geojson,png) export one prediction several ways", DefaultValueFactory = _ => "cog" };
        var compare = new Option<bool>("--compare") { Description = "With --input-kind dataset: also write <name>-vs-labels.png, the class map beside the dataset's labels and their disagreement" };
        var kind = new Option<string>("--input-kind") { Description = "raster (default), panorama, or dataset (inputs are gridded dataset names)", DefaultValueFactory = _ => "raster" };
        var parallel = new Option<int>("--parallel", "-j") { Description = "Inputs processed at once", DefaultValueFactory = _ => 2 };
        var rotationAveraging = new Option<int>("--rotation-averaging")
        {
            Description = "Average the model's output over N test-time rotations of the sphere: exact ones first (longitude rolls, then north-south flips), random ones beyond (0 or 1 = none; the server allows up to 64)",
        };
        var yaw = new Option<double>("--yaw") { Description = "With --input-kind panorama: camera yaw in degrees, applied as a rotation" };
        var pitch = new Option<double>("--pitch") { Description = "With --input-kind panorama: camera pitch in degrees" };
        var roll = new Option<double>("--roll") { Description = "With --input-kind panorama: camera roll in degrees" };
        var levelWith = new Option<string?>("--level-with")
        {
            Description = "Panoramas with unknown camera orientation: an isotropic DISCO segmentation model (id or name, classes 'ceiling' and 'floor') that turns each input upright before the model runs and the output back",
        };
        var levelRefinements = new Option<int>("--level-refinements")
        {
            Description = "With --level-with: extra passes (0..3) that re-estimate up from the model's own ceiling and floor (segmentation models with the leveller's classes)",
        };
        var probabilities = new Option<bool>("--probabilities") { Description = "Segmentation models: one probability band per class instead of the class map" };
        var exportSize = new Option<string?>("--export-size") { Description = "Size WIDTHxHEIGHT in pixels of geotiff, cog and png outputs, e.g. 1440x720 (default: one pixel per grid node)" };
        var bounds = new Option<string?>("--bounds")
        {
            Description = "WEST,SOUTH,EAST,NORTH in degrees: where input images without georeferencing lie, e.g. 0,0,90,45 (default: 2:1 images cover the globe)",
        };
        var command = new Command("predict", "Predict with a model over many inputs, skipping what is done; a rerun resumes a half-finished batch.")
        {
            inputs, model, manifest, output, format, kind, parallel, compare, rotationAveraging, yaw, pitch, roll, levelWith, levelRefinements, probabilities, exportSize, bounds,
        };
        factory.SetAction(command, async (context, cancellationToken) =>
        {
            ParseResult p = context.Parse;
            ExportFormat[] exportFormats = [.. p.GetValue(format)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(f => Parsing.Enum<ExportFormat>("format", f)).Distinct()];
            if (exportFormats.Length == 0)
            {
                throw new UsageException("--format needs at least one of geotiff, cog, geojson, png.");
            }

            if (exportFormats.Contains(ExportFormat.Geotiff) && exportFormats.Contains(ExportFormat.Cog))
            {
                throw new UsageException("--format: geotiff and cog would both write <name>.tif; choose one.");
            }

            string inputKind = p.GetValue(kind)!.ToLowerInvariant();
            if (inputKind is not ("raster" or "panorama" or "dataset"))
            {
                throw new UsageException("--input-kind must be raster, panorama or dataset.");
            }

            bool comparePicture = p.GetValue(compare);
            if (comparePicture && inputKind != "dataset")
            {
                throw new UsageException("--compare needs --input-kind dataset: only gridded datasets carry labels to compare with.");
            }

            if (p.GetValue(rotationAveraging) < 0)
            {
                throw new UsageException($"--rotation-averaging must be 0 or more (0 or 1 = none), not {p.GetValue(rotationAveraging)}.");
            }

            string? leveller = p.GetValue(levelWith);
            if (leveller is not null && p.GetValue(rotationAveraging) > 1)
            {
                throw new UsageException("--level-with and --rotation-averaging do not combine: a levelled model already follows the camera; use one of them.");
            }

            if (p.GetResult(levelRefinements) is not null && leveller is null)
            {
                throw new UsageException("--level-refinements refines a levelling: add --level-with MODEL.");
            }

            var orientation = (Yaw: p.GetValue(yaw), Pitch: p.GetValue(pitch), Roll: p.GetValue(roll));
            foreach ((string flag, Option<double> option) in new[] { ("--yaw", yaw), ("--pitch", pitch), ("--roll", roll) })
            {
                if (p.GetResult(option) is not null && inputKind != "panorama")
                {
                    throw new UsageException($"{flag} orients a 360° camera image: use it with --input-kind panorama.");
                }

                if (!double.IsFinite(p.GetValue(option)))
                {
                    throw new UsageException($"{flag} must be a finite number of degrees.");
                }
            }

            bool probabilityMaps = p.GetValue(probabilities);
            if (probabilityMaps && comparePicture)
            {
                throw new UsageException("--compare draws the class map beside the labels; it cannot be combined with --probabilities.");
            }

            (int Width, int Height) size = (0, 0);
            if (p.GetValue(exportSize) is { } sizeText)
            {
                if (exportFormats.All(f => f == ExportFormat.Geojson))
                {
                    throw new UsageException("--export-size applies to geotiff, cog and png outputs; GeoJSON polygons have no pixel size.");
                }

                size = Parsing.Size("--export-size", sizeText);
            }

            GeographicBounds? placed = null;
            if (p.GetValue(bounds) is { } boundsText)
            {
                if (inputKind != "raster")
                {
                    throw new UsageException("--bounds places raster images without georeferencing: use it with --input-kind raster.");
                }

                placed = Parsing.Bounds("--bounds", boundsText);
            }

            PredictSettings settings = new(
                probabilityMaps ? PredictionOutput.Probabilities : PredictionOutput.Values, p.GetValue(rotationAveraging),
                orientation.Yaw, orientation.Pitch, orientation.Roll, size.Width, size.Height)
            { Bounds = placed };

            int degree = p.GetValue(parallel);
            if (degree is < 1 or > 64)
            {
                throw new UsageException("--parallel must be between 1 and 64.");
            }

            List<string> items = inputKind == "dataset"
                ? [.. p.GetValue(inputs) ?? []]
                : InputExpansion.Expand(p.GetValue(inputs) ?? [], p.GetValue(manifest));
            if (items.Count == 0)
            {
                throw new UsageException("No inputs: pass files or globs, or --manifest FILE.");
            }

            string outDirectory = p.GetValue(output)!;
            Directory.CreateDirectory(outDirectory);
            using DiscoClient client = context.Connect();
            Model found = await client.Models.GetAsync(p.GetValue(model)!, cancellationToken);
            if (leveller is not null)
            {
                // By id, so that the request ids of a rerun stay the same when the name later points elsewhere.
                settings = settings with { LevelWith = (await client.Models.GetAsync(leveller, cancellationToken)).Id, LevelRefinements = p.GetValue(levelRefinements) };
            }

            var results = new ConcurrentBag<BatchResult>();
            var running = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
            using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            DiscoException? fatal = null;
            try
            {
                await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = degree, CancellationToken = abort.Token }, async (item, token) =>
                {
                    BatchResult result = await RunOneAsync(client, found, item, inputKind, settings, exportFormats, comparePicture, outDirectory, running,
                        (input, job) => context.Say($"{"started",-8} {input} (job {job})"), token);
                    results.Add(result);
                    context.Say($"{result.Status,-8} {result.Input}{(result.Output is null ? "" : " -> " + result.Output)}{(result.Error is null ? "" : ": " + result.Error)}{Scores(result.Metrics)}");
                    if (result.Code is Grpc.Core.StatusCode.Unimplemented or Grpc.Core.StatusCode.Unauthenticated or Grpc.Core.StatusCode.Unavailable)
                    {
                        // The same answer awaits every other input: stop instead of repeating it.
                        fatal ??= result.Exception;
                        await abort.CancelAsync();
                    }
                });
            }
            catch (OperationCanceledException) when (fatal is not null && !cancellationToken.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !running.IsEmpty)
            {
                // A prediction whose stream the CLI drops goes on as a job on the server: name them, like a followed job.
                string jobs = string.Join(", ", running.OrderBy(r => r.Value, StringComparer.Ordinal).Select(r => $"{r.Key} ({r.Value})"));
                string message = $"Interrupted. These predictions keep running on the server: {jobs}. Watch one with `disco jobs watch ID`, " +
                                 "or stop it with `disco jobs cancel ID`; rerun this command to finish the batch (finished outputs are skipped).";
                await context.Error.WriteLineAsync(message);
                JsonErrors.Write(context, "CANCELLED", ExitCodes.Cancelled, message);
                return ExitCodes.Cancelled;
            }

            if (context.JsonOutput)
            {
                context.WriteJsonText(JsonSerializer.Serialize(results.OrderBy(r => r.Input, StringComparer.Ordinal).Select(r => new { r.Input, r.Output, r.Outputs, r.Status, r.PredictionId, r.Metrics, r.Error }), JsonOptions));
            }

            if (fatal is not null)
            {
                throw fatal;
            }

            int failed = results.Count(r => r.Status == "failed");
            context.Say($"{results.Count(r => r.Status == "done")} done, {results.Count(r => r.Status == "skipped")} skipped, {failed} failed.");
            return failed > 0 ? ExitCodes.JobUnsuccessful : ExitCodes.Success;
        });
        return command;
    }

    private static async Task<BatchResult> RunOneAsync(
        DiscoClient client, Model model, string item, string inputKind, PredictSettings settings, ExportFormat[] formats, bool comparePicture, string outDirectory,
        ConcurrentDictionary<string, string> running, Action<string, string> started, CancellationToken cancellationToken)
    {
        string stem = DatasetsClient.SuggestName(Path.GetFileName(item));
        List<string> outputs = [.. formats.Select(f => Path.Combine(outDirectory, stem + Extension(f)))];
        if (comparePicture)
        {
            outputs.Add(Path.Combine(outDirectory, stem + "-vs-labels.png"));
        }

        if (outputs.All(File.Exists))
        {
            return new BatchResult(item, outputs[0], outputs, "skipped", null, null, null, null, null);
        }

        string? jobId = null;
        try
        {
            var request = new PredictRequest
            {
                Model = model.Id,
                Output = settings.Output,
                RotationAveraging = settings.RotationAveraging,
                LevelWith = settings.LevelWith,
                LevelRefinements = settings.LevelRefinements,
                StreamTiles = comparePicture,
            };
            string inputIdentity;
            if (inputKind == "dataset")
            {
                request.Dataset = item;
                inputIdentity = "dataset:" + item;
            }
            else
            {
                string sha256 = await DiscoClient.HashAsync(new FileInfo(item), null, cancellationToken);
                UploadFileResponse upload = await client.Datasets.UploadFileAsync(item, $"{stem}-{sha256[..12]}", sha256, null, cancellationToken);
                if (inputKind == "panorama")
                {
                    request.Panorama = new PanoramaSource
                    {
                        DatasetId = upload.Dataset.Id,
                        YawDegrees = settings.Yaw,
                        PitchDegrees = settings.Pitch,
                        RollDegrees = settings.Roll,
                    };
                }
                else
                {
                    request.Raster = new RasterSource { DatasetId = upload.Dataset.Id, Bounds = settings.Bounds };
                }

                // The uploaded dataset, not only its content: the server refuses a request id reused for another
                // input, and two files with the same bytes under different names are two datasets. A rerun finds the
                // same upload (same name and checksum), so the id, and with it the finished prediction, is re-used.
                inputIdentity = inputKind + ":" + upload.Dataset.Id;
            }

            request.RequestId = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{model.Blob.Sha256}|{inputIdentity}|{request.Output}{settings.Identity}")))[..32];
            string? predictionId = null;
            PredictionSummary? summary = null;
            var map = new TileAssembler();
            await foreach (PredictResponse message in client.Predictions.PredictAsync(request, cancellationToken))
            {
                predictionId ??= message.Prediction?.Id;
                if (jobId is null && message.Prediction is { JobId.Length: > 0, State: not PredictionState.Succeeded } queued)
                {
                    jobId = queued.JobId;
                    running[jobId] = item;
                    started(item, jobId);
                }

                summary = message.Summary ?? summary;
                if (message.Tile is { } tile)
                {
                    map.Add(tile);
                }
            }

            // The stream ends with the prediction: from here on, an interruption leaves nothing running.
            running.TryRemove(jobId ?? "", out _);

            if (predictionId is null)
            {
                return new BatchResult(item, null, null, "failed", null, null, "the server ended the prediction without a record", null, null);
            }

            summary ??= (await client.Predictions.GetAsync(predictionId, cancellationToken)).Summary;
            Dictionary<string, double>? metrics = summary?.Metrics.Count > 0 ? new Dictionary<string, double>(summary.Metrics) : null;
            for (int i = 0; i < formats.Length; i++)
            {
                var export = new ExportPredictionRequest { Prediction = predictionId, Format = formats[i] };
                if (formats[i] != ExportFormat.Geojson)
                {
                    (export.Width, export.Height) = (settings.Width, settings.Height);
                }

                await client.Predictions.ExportAsync(export, outputs[i], null, cancellationToken);
            }

            if (comparePicture)
            {
                await WriteComparisonAsync(client, model, item, map, metrics, outputs[^1], cancellationToken);
            }

            return new BatchResult(item, outputs[0], outputs, "done", predictionId, metrics, null, null, null);
        }
        catch (DiscoException e)
        {
            return new BatchResult(item, null, null, "failed", null, null, e.Message, e.StatusCode, e);
        }
        catch (Exception e) when (e is IOException or ComparisonException)
        {
            return new BatchResult(item, null, null, "failed", null, null, e.Message, null, null);
        }
        finally
        {
            // Interrupted, the prediction goes on as a job on the server and stays listed; otherwise it has ended.
            if (jobId is not null && !cancellationToken.IsCancellationRequested)
            {
                running.TryRemove(jobId, out _);
            }
        }
    }

    private static string Extension(ExportFormat format) => format switch { ExportFormat.Geojson => ".geojson", ExportFormat.Png => ".png", _ => ".tif" };

    /// <summary>Draws the streamed class map beside the dataset's label band; written through a temporary file like the exports.</summary>
    private static async Task WriteComparisonAsync(
        DiscoClient client, Model model, string dataset, TileAssembler map, IReadOnlyDictionary<string, double>? metrics, string path, CancellationToken cancellationToken)
    {
        if (model.Classes.Count == 0)
        {
            throw new ComparisonException($"--compare draws class maps, but model {model.Name} is a {model.Task} model without classes.");
        }

        Dataset record = await client.Datasets.GetAsync(dataset, cancellationToken);
        int labelBand = record.Bands.ToList().FindIndex(b => b.Role == BandRole.Label);
        if (labelBand < 0)
        {
            throw new ComparisonException($"--compare: dataset {dataset} has no label band to compare with; ingest one with --band N:label:mode:NAME.");
        }

        var labels = new TileAssembler(map.Rows, map.Columns);
        await foreach (Tile tile in client.Datasets.DownloadTilesAsync(record.Id, 0, cancellationToken))
        {
            labels.Add(tile);
        }

        int nodes = map.Rows * map.Columns;
        if (labels.Rows != map.Rows || labels.Columns != map.Columns)
        {
            throw new ComparisonException($"--compare: dataset {dataset} is {labels.Rows}x{labels.Columns} but the prediction is {map.Rows}x{map.Columns}.");
        }

        string scores = metrics is null ? "" : "  " + string.Join("  ", metrics.Where(m => m.Key is "miou" or "accuracy").Select(m => $"{m.Key} {m.Value:F3}"));
        Disco.Geo.Pictures.Canvas picture = Pictures.ComparisonPicture.Draw(
            $"{model.Name} on {record.Name}{scores}", map.Rows, map.Columns, map.Values.AsSpan(0, nodes), labels.Values.AsSpan(labelBand * nodes, nodes), map.Mask,
            [.. model.Classes.OrderBy(c => c.Id).Select(c => c.Color)]);
        string temporary = path + ".part";
        await File.WriteAllBytesAsync(temporary, picture.EncodePng(), cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }

    private static string Scores(IReadOnlyDictionary<string, double>? metrics) =>
        metrics is null ? "" : "  (" + string.Join(", ", metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{m.Key} {m.Value:F4}"))) + ")";

    /// <summary>The comparison picture cannot be drawn for this input.</summary>
    private sealed class ComparisonException(string message) : Exception(message);

    /// <summary>What the prediction flags ask of every input.</summary>
    private sealed record PredictSettings(PredictionOutput Output, int RotationAveraging, double Yaw, double Pitch, double Roll, int Width, int Height)
    {
        /// <summary>Where inputs without georeferencing lie (--bounds), or null.</summary>
        public GeographicBounds? Bounds { get; init; }

        /// <summary>The leveller's model id (--level-with), or empty.</summary>
        public string LevelWith { get; init; } = "";

        /// <summary>Refinement passes of the levelling (--level-refinements).</summary>
        public int LevelRefinements { get; init; }

        /// <summary>
        /// The part of the request id beyond model, input and output. Empty for the defaults, so request ids of batches
        /// run before these flags existed stay the same and their finished predictions are re-used.
        /// </summary>
        public string Identity =>
            (Math.Max(1, RotationAveraging) > 1 ? $"|rotations={RotationAveraging}" : "")
            + (LevelWith.Length > 0 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"|level={LevelWith},{LevelRefinements}") : "")
            + (Bounds is { } b ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"|bounds={b.West:R},{b.South:R},{b.East:R},{b.North:R}") : "")
            + (Yaw != 0 || Pitch != 0 || Roll != 0 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"|ypr={Yaw:R},{Pitch:R},{Roll:R}") : "");
    }

    private sealed record BatchResult(
        string Input, string? Output, IReadOnlyList<string>? Outputs, string Status, string? PredictionId, IReadOnlyDictionary<string, double>? Metrics, string? Error,
        Grpc.Core.StatusCode? Code, DiscoException? Exception);
}

/// <summary>Expands globs and manifests into a sorted, de-duplicated list of existing files.</summary>
internal static class InputExpansion
{
    public static List<string> Expand(IEnumerable<string> patterns, string? manifest)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string pattern in patterns)
        {
            AddPattern(files, pattern);
        }

        if (manifest is not null)
        {
            if (!File.Exists(manifest))
            {
                throw new UsageException($"No manifest at {manifest}.");
            }

            string baseDirectory = Path.GetDirectoryName(Path.GetFullPath(manifest))!;
            foreach (string raw in File.ReadLines(manifest))
            {
                string line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#'))
                {
                    continue;
                }

                AddPattern(files, Path.IsPathRooted(line) ? line : Path.Combine(baseDirectory, line));
            }
        }

        return [.. files];
    }

    private static void AddPattern(SortedSet<string> files, string pattern)
    {
        if (pattern.IndexOfAny(Wildcards) < 0)
        {
            if (!File.Exists(pattern))
            {
                throw new UsageException($"No file at {pattern}.");
            }

            files.Add(pattern);
            return;
        }

        if (pattern.Contains('?', StringComparison.Ordinal))
        {
            // The globbing library matches * and ** only; refusing beats silently matching something else.
            throw new UsageException($"'?' is not a supported wildcard in {pattern}; use * (any characters in a name) or ** (any directories).");
        }

        // The directory part before the first wildcard is the root; the rest is matched below it, ordinally (file
        // names are case-sensitive here like everywhere else on the server's platforms).
        string full = Path.GetFullPath(pattern);
        string[] segments = full.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        int firstWild = Array.FindIndex(segments, s => s.IndexOfAny(Wildcards) >= 0);
        string root = Path.DirectorySeparatorChar + string.Join(Path.DirectorySeparatorChar, segments[..firstWild]);
        if (!Directory.Exists(root))
        {
            return;
        }

        var matcher = new Matcher(StringComparison.Ordinal);
        matcher.AddInclude(string.Join('/', segments[firstWild..]));
        foreach (string file in matcher.GetResultsInFullPath(root))
        {
            files.Add(Path.GetFullPath(file));
        }
    }

    private static readonly char[] Wildcards = ['*', '?'];
}
