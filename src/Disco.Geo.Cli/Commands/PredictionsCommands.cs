using System.CommandLine;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;

namespace Disco.Geo.Cli.Commands;

/// <summary>`disco predictions list|show|export|rm|tiles`: the predictions the server keeps, one at a time.</summary>
internal static class PredictionsCommands
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>The tile matrix sets the server's /tiles endpoint serves (Tiles/TileMatrixSets.cs on the server).</summary>
    public static readonly string[] TileMatrixSets = ["WebMercatorQuad", "WorldCRS84Quad"];

    public static Command Build(CommandFactory factory)
    {
        var command = new Command("predictions", "List, show, export and remove stored predictions, and print their map tile URLs.");
        command.Subcommands.Add(List(factory));
        command.Subcommands.Add(Show(factory));
        command.Subcommands.Add(Export(factory));
        command.Subcommands.Add(Remove(factory));
        command.Subcommands.Add(Tiles(factory));
        return command;
    }

    private static Command List(CommandFactory factory)
    {
        var model = new Option<string?>("--model", "-m") { Description = "Only predictions of this model (id or name)" };
        var requestId = new Option<string?>("--request-id") { Description = "Only the prediction made with this request id" };
        return ListCommand.Create(factory, "predictions", "List predictions, oldest first.", [model, requestId],
            (context, client, cancellationToken) => ListAsync(client, context.Parse.GetValue(model), context.Parse.GetValue(requestId), cancellationToken),
            (["ID", "NAME", "MODEL", "STATE", "GRID", "BANDS", "SIZE", "CREATED", "INPUT"], p =>
            [
                p.Id, p.Name, p.ModelId, Display.Lower(p.State), Display.Grid(p.Grid), p.Bands.Count.ToString(CultureInfo.InvariantCulture),
                Display.Bytes(p.Blob?.SizeBytes ?? 0), Display.Time(p.CreateTime), p.InputDescription,
            ]),
            p => p.Id);
    }

    private static async IAsyncEnumerable<Prediction> ListAsync(
        DiscoClient client, string? model, string? requestId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The API filters by model id; a name is resolved first, so a wrong one is NOT_FOUND rather than an empty list.
        string? modelId = model is null ? null : (await client.Models.GetAsync(model, cancellationToken)).Id;
        await foreach (Prediction prediction in client.Predictions.ListAsync(modelId, requestId, cancellationToken))
        {
            yield return prediction;
        }
    }

    private static Command Show(CommandFactory factory)
    {
        var prediction = new Argument<string>("prediction") { Description = "Prediction id (prd_...) or name" };
        var command = new Command("show", "Show one prediction: input, model, grid, bands, class areas, statistics and scores.") { prediction };
        factory.SetAction(command, async (context, cancellationToken) =>
        {
            using DiscoClient client = context.Connect();
            Prediction found = await client.Predictions.GetAsync(context.Parse.GetValue(prediction)!, cancellationToken);
            if (context.JsonOutput)
            {
                context.WriteJson(found);
                return ExitCodes.Success;
            }

            List<string[]> rows =
            [
                ["id", found.Id],
                ["name", found.Name],
                ["model", found.ModelId],
                ["input", found.InputDescription],
                ["state", Display.Lower(found.State)],
                ["job", found.JobId],
                ["grid", Display.Grid(found.Grid)],
                ["bands", string.Join(", ", found.Bands.Select(b => b.Name))],
                ["size", Display.Bytes(found.Blob?.SizeBytes ?? 0)],
                ["request id", found.RequestId],
                ["created", Display.Time(found.CreateTime)],
            ];
            if (found.Summary is { } summary)
            {
                rows.AddRange(summary.ClassAreas.Select(a => new[]
                {
                    $"area {a.ClassName}", string.Create(CultureInfo.InvariantCulture, $"{a.AreaKm2:N0} km² ({a.Fraction:P1})"),
                }));
                rows.AddRange(summary.Statistics.Select(s => new[]
                {
                    $"band {s.Band}", string.Create(CultureInfo.InvariantCulture, $"min {s.Min:G6} max {s.Max:G6} mean {s.Mean:G6} sd {s.Stddev:G6}"),
                }));
                rows.AddRange(summary.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new[]
                {
                    $"score {m.Key}", m.Value.ToString("F4", CultureInfo.InvariantCulture),
                }));
            }

            Display.Table(context, ["FIELD", "VALUE"], rows);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Export(CommandFactory factory)
    {
        var prediction = new Argument<string>("prediction") { Description = "Prediction id (prd_...) or name" };
        var output = new Argument<string>("output") { Description = "File to write (through OUTPUT.part, then renamed)" };
        var format = new Option<string?>("--format") { Description = "geotiff, cog, geojson or png (default from the file's extension: .tif cog, .geojson/.json geojson, .png png)" };
        var size = new Option<string?>("--size") { Description = "Output size WIDTHxHEIGHT in pixels for geotiff, cog and png, e.g. 1440x720 (default: one pixel per grid node)" };
        var timeStep = new Option<int?>("--time-step") { Description = "Time-stack predictions: export only this step (0-based), with a STAC Item dated at the step" };
        var everyStep = new Option<bool>("--every-step")
        {
            Description = "Time-stack predictions: one file and STAC Item per step, named OUTPUT with the step's timestamp before the extension (e.g. sst-0001-01-16T060000Z.tif)",
        };
        var command = new Command("export", "Export a finished prediction to a GeoTIFF, Cloud-Optimized GeoTIFF, GeoJSON or PNG file.") { prediction, output, format, size, timeStep, everyStep };
        factory.SetAction(command, async (context, cancellationToken) =>
        {
            string path = context.Parse.GetValue(output)!;
            ExportFormat exportFormat = context.Parse.GetValue(format) is { } f ? Parsing.Enum<ExportFormat>("format", f) : FormatOf(path);
            var request = new ExportPredictionRequest { Prediction = context.Parse.GetValue(prediction)!, Format = exportFormat };
            if (context.Parse.GetValue(size) is { } sizeText)
            {
                (request.Width, request.Height) = ExportSize("--size", sizeText, exportFormat);
            }

            bool every = context.Parse.GetValue(everyStep);
            if (context.Parse.GetValue(timeStep) is int step)
            {
                if (every)
                {
                    throw new UsageException("Give --time-step or --every-step, not both.");
                }

                request.TimeStep = step;
            }

            using DiscoClient client = context.Connect();
            var targets = new List<(ExportPredictionRequest Request, string Path)>();
            if (every)
            {
                Prediction found = await client.Predictions.GetAsync(request.Prediction, cancellationToken);
                if (found.TimeSteps.Count == 0)
                {
                    throw new UsageException($"Prediction {found.Name} is one map, not a time stack; drop --every-step.");
                }

                for (int t = 0; t < found.TimeSteps.Count; t++)
                {
                    ExportPredictionRequest one = request.Clone();
                    one.TimeStep = t;
                    string stamp = found.TimeSteps[t].ToDateTime().ToString("yyyy-MM-dd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
                    targets.Add((one, Path.Combine(Path.GetDirectoryName(path) ?? "", $"{Path.GetFileNameWithoutExtension(path)}-{stamp}{Path.GetExtension(path)}")));
                }
            }
            else
            {
                targets.Add((request, path));
            }

            var written = new List<FileMetadata>();
            foreach ((ExportPredictionRequest one, string target) in targets)
            {
                FileMetadata info = await Display.WithTransferProgressAsync(context, Path.GetFileName(target),
                    progress => client.Predictions.ExportAsync(one, target, progress, cancellationToken));
                context.Say($"Wrote {target} ({Display.Bytes(info.SizeBytes)}, sha256 {info.Sha256})");
                written.Add(info);
            }

            if (context.JsonOutput)
            {
                if (every)
                {
                    context.WriteJson(written);
                }
                else
                {
                    context.WriteJson(written[0]);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Remove(CommandFactory factory) => RemoveCommand.Create(
        factory, ("predictions", "Prediction ids or names"), "Remove predictions (and their stored maps when nothing else uses them).",
        (client, prediction, cancellationToken) => client.Predictions.DeleteAsync(prediction, cancellationToken),
        response => (response.PredictionId, response.FreedBytes));

    private static Command Tiles(CommandFactory factory)
    {
        var prediction = new Argument<string>("prediction") { Description = "Prediction id (prd_...) or name" };
        var http = new Option<string?>("--http")
        {
            Description = "The server's HTTP address, where /tiles is served (env DISCO_HTTP; default: the --server host with the next port, " +
                          "as the server's defaults 50051 for gRPC and 50052 for HTTP)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DISCO_HTTP") is { Length: > 0 } value ? value : null,
        };
        var command = new Command("tiles",
            "Print a finished prediction's map tile URLs: XYZ templates (QGIS XYZ layer, MapLibre, Leaflet) per tile matrix set, " +
            "TileJSON documents and the WMTS capabilities document (QGIS \"Add WMTS layer\", GDAL's WMTS driver).") { prediction, http };
        factory.SetAction(command, async (context, cancellationToken) =>
        {
            string server = context.Parse.GetValue(GlobalOptions.Server) ?? DiscoClientOptions.DefaultAddress;
            string baseUrl = HttpBase(context.Parse.GetValue(http), server);
            using DiscoClient client = context.Connect();
            Prediction found = await client.Predictions.GetAsync(context.Parse.GetValue(prediction)!, cancellationToken);
            if (found.State != PredictionState.Succeeded)
            {
                string message = $"Prediction {found.Id} is {Display.Lower(found.State)}: tiles are served for finished predictions only." +
                                 (found.JobId.Length > 0 ? $" Follow it with `disco jobs watch {found.JobId}`." : "");
                await context.Error.WriteLineAsync("error: " + message);
                JsonErrors.Write(context, "FAILED_PRECONDITION", ExitCodes.Conflict, message);
                return ExitCodes.Conflict;
            }

            TileUrls urls = TileUrls.For(baseUrl, found.Id);
            if (context.JsonOutput)
            {
                context.WriteJsonText(JsonSerializer.Serialize(urls, JsonOptions));
                return ExitCodes.Success;
            }

            foreach (string set in TileMatrixSets)
            {
                context.Output.WriteLine($"xyz {set}: {urls.Xyz[set]}");
            }

            foreach (string set in TileMatrixSets)
            {
                context.Output.WriteLine($"tilejson {set}: {urls.TileJson[set]}");
            }

            context.Output.WriteLine($"wmts: {urls.Wmts}");
            if (context.Parse.GetValue(GlobalOptions.ApiKey) is not null)
            {
                context.Output.WriteLine("This server takes an API key: map clients send it in the x-api-key header.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The XYZ, TileJSON and WMTS URLs of one prediction (the JSON shape of `disco predictions tiles --json`).</summary>
    internal sealed record TileUrls(
        [property: System.Text.Json.Serialization.JsonPropertyName("predictionId")] string PredictionId,
        [property: System.Text.Json.Serialization.JsonPropertyName("xyz")] IReadOnlyDictionary<string, string> Xyz,
        [property: System.Text.Json.Serialization.JsonPropertyName("tileJson")] IReadOnlyDictionary<string, string> TileJson,
        [property: System.Text.Json.Serialization.JsonPropertyName("wmts")] string Wmts)
    {
        public static TileUrls For(string baseUrl, string predictionId)
        {
            string root = $"{baseUrl.TrimEnd('/')}/tiles/{Uri.EscapeDataString(predictionId)}";
            return new TileUrls(
                predictionId,
                TileMatrixSets.ToDictionary(s => s, s => $"{root}/{s}/{{z}}/{{x}}/{{y}}.png"),
                TileMatrixSets.ToDictionary(s => s, s => $"{root}/{s}/tilejson.json"),
                $"{root}/WMTSCapabilities.xml");
        }
    }

    /// <summary>
    /// Where /tiles is served: --http as given, or the first --server address with the next port number (the
    /// server's defaults put HTTP one port above gRPC).
    /// </summary>
    internal static string HttpBase(string? http, string server)
    {
        string text = http ?? server.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? server;
        string withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new UsageException(http is null
                ? $"Cannot tell the HTTP address from --server '{server}'; give it with --http URL."
                : $"--http '{http}' is not an http(s) URL, e.g. http://127.0.0.1:50052.");
        }

        if (http is not null)
        {
            return uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        }

        var builder = new UriBuilder(uri.Scheme, uri.Host, uri.Port + 1);
        return builder.Uri.GetLeftPart(UriPartial.Authority);
    }

    /// <summary>The export format a file name implies.</summary>
    internal static ExportFormat FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".tif" or ".tiff" => ExportFormat.Cog,
        ".geojson" or ".json" => ExportFormat.Geojson,
        ".png" => ExportFormat.Png,
        string other => throw new UsageException(
            $"Cannot tell the format from '{(other.Length == 0 ? "(no extension)" : other)}': give --format geotiff, cog, geojson or png, or name the file .tif, .geojson or .png."),
    };

    /// <summary>An export size flag, refused for GeoJSON (polygons have no pixel size).</summary>
    internal static (int Width, int Height) ExportSize(string flag, string text, ExportFormat format)
    {
        if (format == ExportFormat.Geojson)
        {
            throw new UsageException($"{flag} applies to geotiff, cog and png exports; GeoJSON polygons have no pixel size.");
        }

        return Parsing.Size(flag, text);
    }
}
