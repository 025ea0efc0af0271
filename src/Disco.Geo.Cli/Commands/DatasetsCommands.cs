using System.CommandLine;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;

namespace Disco.Geo.Cli.Commands;

internal static class DatasetsCommands
{
    public static Command Build(CommandFactory factory)
    {
        var command = new Command("datasets", "Upload, ingest, list, show, verify, download and remove datasets.");
        command.Subcommands.Add(Upload(factory));
        command.Subcommands.Add(Ingest(factory));
        command.Subcommands.Add(List(factory));
        command.Subcommands.Add(Show(factory));
        command.Subcommands.Add(Remove(factory));
        command.Subcommands.Add(Verify(factory));
        command.Subcommands.Add(Download(factory));
        return command;
    }

    private static Command Upload(CommandFactory factory)
    {
        var files = new Argument<string[]>("files") { Description = "Files to upload", Arity = ArgumentArity.OneOrMore };
        var name = new Option<string?>("--name") { Description = "Dataset name (one file only; default: the file name without extension)" };
        var command = new Command("upload", "Upload files as raw datasets (checksummed; an interrupted upload resumes when run again).") { files, name };
        factory.SetAction(command, async (context, cancellationToken) =>
        {
            string[] paths = context.Parse.GetValue(files)!;
            string? datasetName = context.Parse.GetValue(name);
            if (datasetName is not null && paths.Length > 1)
            {
                throw new UsageException("--name applies to a single file; upload several files without it (names come from the file names).");
            }

            foreach (string path in paths)
            {
                if (!File.Exists(path))
                {
                    throw new UsageException($"No file at {path}.");
                }
            }

            using DiscoClient client = context.Connect();
            var uploaded = new List<Dataset>();
            foreach (string path in paths)
            {
                UploadFileResponse response = await Display.WithTransferProgressAsync(context, Path.GetFileName(path),
                    progress => client.Datasets.UploadFileAsync(path, datasetName, progress, cancellationToken));
                uploaded.Add(response.Dataset);
                context.Say(response.AlreadyExisted
                    ? $"{response.Dataset.Id} {response.Dataset.Name}: already uploaded, nothing sent"
                    : $"{response.Dataset.Id} {response.Dataset.Name}: uploaded {Display.Bytes(response.Dataset.Blob.SizeBytes)}, sha256 {response.Dataset.Blob.Sha256}");
            }

            if (context.JsonOutput)
            {
                context.WriteJson(uploaded);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Ingest(CommandFactory factory)
    {
        var name = new Option<string>("--name") { Description = "Name of the gridded dataset to create", Required = true };
        var from = new Option<string?>("--from") { Description = "Raw dataset (id or name) to ingest" };
        var path = new Option<string[]>("--path") { Description = "Server-side file(s) under an import root; several are mosaicked", AllowMultipleArgumentsPerToken = true };
        var grid = new Option<string>("--grid") { Description = "Target grid KIND:NLATxNLON[:LON0], e.g. equiangular:181x360", Required = true };
        var extra = new Option<string[]>("--extra")
        {
            Description = "Additional source aligned by geography (a raw dataset, or an absolute server path; a raster or a vector layer), repeatable; its bands are SOURCE.BAND in --band. " +
                          "DATASET@VARIABLE reads one variable of an uploaded NetCDF/HDF5 file, e.g. --extra coads@SST",
        };
        var bands = new Option<string[]>("--band")
        {
            Description = "[SOURCE.]BAND:ROLE[:RESAMPLING[:NAME[:SCALE[:OFFSET]]]], repeatable, e.g. 1:input:average:red, 1.2:label:mode:land or " +
                          "1:input::temp:0.01:-273.15 (value × SCALE + OFFSET; empty fields take their defaults; default: all bands as inputs). " +
                          "A vector layer offers band 1 = share of each cell covered by polygons, 2 = 1 where at least half is covered, 3.. = its integer fields as class ids. " +
                          "ROLE mask turns a band into the validity mask.",
        };
        var labelMap = new Option<string[]>("--label-map")
        {
            Description = "[N@]VALUE=CLASS,… maps a label band's source values to class ids 0, 1, …, e.g. --band 1:label:mode:land --label-map 0=0,255=1 " +
                          "for a 0/255 mask (every value present must be listed). N = position of the --band it applies to, needed only with several label bands.",
        };
        var variable = new Option<string?>("--variable")
        {
            Description = "The variable of a NetCDF or HDF5 main source to ingest, e.g. --variable salinity (a --path written as NETCDF:\"/data/f.nc\":salinity names it too)",
        };
        var detach = new Option<bool>("--detach") { Description = "Return once the job is queued instead of following it" };
        var bounds = new Option<string?>("--bounds")
        {
            Description = "WEST,SOUTH,EAST,NORTH in degrees: where the main source lies when it is an image without georeferencing, e.g. 0,0,90,45",
        };
        var command = new Command("ingest",
            "Resample an uploaded file or server-side files onto a sphere grid (a job): georeferenced rasters (several --path are tiles to mosaic), " +
            "vector layers (rasterised), or images without georeferencing, placed at --bounds or, without it, taken as global EPSG:4326 maps when exactly 2:1.")
            { name, from, path, grid, extra, bands, labelMap, variable, detach, bounds };
        factory.SetAction(command, async (context, cancellationToken) =>
        {
            var request = new IngestDatasetRequest { Name = context.Parse.GetValue(name)!, Grid = Parsing.Grid(context.Parse.GetValue(grid)!) };
            string? source = context.Parse.GetValue(from);
            string[] paths = context.Parse.GetValue(path) ?? [];
            if ((source is null) == (paths.Length == 0))
            {
                throw new UsageException("Give exactly one source: --from DATASET, or --path FILE (repeat --path for tiles to mosaic).");
            }

            if (source is not null)
            {
                request.DatasetId = source;
            }
            else if (paths.Length == 1)
            {
                request.ServerPath = new ServerPathSource { Path = paths[0] };
            }
            else
            {
                request.Tiles = new TileListSource { Paths = { paths } };
            }

            if (context.Parse.GetValue(bounds) is { } boundsText)
            {
                if (paths.Length > 1)
                {
                    throw new UsageException("--bounds places one image without georeferencing; tiles (several --path) carry their own georeferencing.");
                }

                request.Bounds = Parsing.Bounds("--bounds", boundsText);
            }

            request.Variable = context.Parse.GetValue(variable) ?? "";
            foreach (string additional in context.Parse.GetValue(extra) ?? [])
            {
                // Dataset names never hold a colon; a NETCDF:"…":var or HDF5:"…"://var connection string is a server path.
                bool serverPath = Path.IsPathRooted(additional) || additional.Contains(':', StringComparison.Ordinal);
                int at = additional.IndexOf('@', StringComparison.Ordinal);
                request.AdditionalSources.Add(serverPath ? new RasterSource { ServerPath = additional }
                    : at > 0 ? new RasterSource { DatasetId = additional[..at], Variable = additional[(at + 1)..] }
                    : new RasterSource { DatasetId = additional });
            }

            foreach (string band in context.Parse.GetValue(bands) ?? [])
            {
                request.Bands.Add(Parsing.Band(band));
            }

            foreach (string map in context.Parse.GetValue(labelMap) ?? [])
            {
                Parsing.ApplyLabelMap(map, request.Bands);
            }

            using DiscoClient client = context.Connect();
            Job job = await client.Datasets.IngestAsync(request, cancellationToken);
            return await FollowAsync(context, client, job, context.Parse.GetValue(detach), cancellationToken);
        });
        return command;
    }

    private static Command List(CommandFactory factory)
    {
        var kind = new Option<string?>("--kind") { Description = "raw-file or gridded" };
        var prefix = new Option<string?>("--prefix") { Description = "Only names starting with this" };
        return ListCommand.Create(factory, "datasets", "List datasets.", [kind, prefix],
            (context, client, cancellationToken) =>
            {
                DatasetKind filter = context.Parse.GetValue(kind) is { } k ? Parsing.Enum<DatasetKind>("kind", k) : DatasetKind.Unspecified;
                return client.Datasets.ListAsync(filter, context.Parse.GetValue(prefix), cancellationToken);
            },
            (["ID", "NAME", "KIND", "SIZE", "GRID", "CREATED"],
                d => [d.Id, d.Name, Display.Lower(d.Kind), Display.Bytes(d.Blob?.SizeBytes ?? 0), Display.Grid(d.Grid), Display.Time(d.CreateTime)]),
            d => d.Id);
    }

    private static Command Show(CommandFactory factory)
    {
        var dataset = new Argument<string>("dataset") { Description = "Dataset id or name" };
        var command = new Command("show", "Show one dataset and its provenance: source files, driver, CRS, bounds, size, bands and resampling.") { dataset };
        factory.SetAction(command, async (context, cancellationToken) =>
        {
            using DiscoClient client = context.Connect();
            Dataset found = await client.Datasets.GetAsync(context.Parse.GetValue(dataset)!, cancellationToken);
            if (context.JsonOutput)
            {
                context.WriteJson(found);
                return ExitCodes.Success;
            }

            List<string[]> rows =
            [
                ["id", found.Id],
                ["name", found.Name],
                ["kind", Display.Lower(found.Kind)],
                ["size", Display.Bytes(found.Blob?.SizeBytes ?? 0)],
                ["sha256", found.Blob?.Sha256 ?? ""],
                ["file", found.FileName],
                ["grid", Display.Grid(found.Grid)],
                ["bands", string.Join(", ", found.Bands.Select(b => $"{b.Name} ({Display.Lower(b.Role)})"))],
                ["source", found.SourceDatasetId],
                ["created", Display.Time(found.CreateTime)],
            ];
            if (found.Description.Length > 0)
            {
                rows.Add(["description", found.Description]);
            }

            rows.AddRange(found.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => new[] { "label " + l.Key, l.Value }));
            rows.AddRange(TimeAxisRows.From(found.TimeSteps));
            rows.AddRange(ProvenanceRows.From(found.ProvenanceJson));
            Display.Table(context, ["FIELD", "VALUE"], rows);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Remove(CommandFactory factory) => RemoveCommand.Create(
        factory, ("datasets", "Dataset ids or names"), "Remove datasets (and their stored files when nothing else uses them).",
        (client, dataset, cancellationToken) => client.Datasets.DeleteAsync(dataset, cancellationToken),
        response => (response.DatasetId, response.FreedBytes));

    private static Command Verify(CommandFactory factory)
    {
        var dataset = new Argument<string>("dataset") { Description = "Dataset id or name" };
        var detach = new Option<bool>("--detach") { Description = "Return once the job is queued" };
        var command = new Command("verify", "Re-read a dataset's stored files and check their SHA-256 (a job).") { dataset, detach };
        factory.SetAction(command, async (context, cancellationToken) =>
        {
            using DiscoClient client = context.Connect();
            Job job = await client.Datasets.VerifyAsync(context.Parse.GetValue(dataset)!, cancellationToken);
            return await FollowAsync(context, client, job, context.Parse.GetValue(detach), cancellationToken);
        });
        return command;
    }

    private static Command Download(CommandFactory factory)
    {
        var dataset = new Argument<string>("dataset") { Description = "Dataset id or name" };
        var output = new Argument<string>("output") { Description = "File to write" };
        var command = new Command(
            "download",
            "Save a dataset to a file: a raw dataset's file as uploaded; a gridded (ingested) dataset as a Cloud-Optimized GeoTIFF with one band per dataset band, " +
            "on the same layout as prediction exports (label bands' class names in OUTPUT.aux.xml). Written to OUTPUT.part, then renamed.")
        {
            dataset, output,
        };
        factory.SetAction(command, async (context, cancellationToken) =>
        {
            string target = context.Parse.GetValue(output)!;
            using DiscoClient client = context.Connect();
            (Dataset info, long bytes) = await Display.WithTransferProgressAsync(context, Path.GetFileName(target),
                progress => client.Datasets.SaveAsync(context.Parse.GetValue(dataset)!, target, progress, cancellationToken));
            context.Say($"Wrote {target} ({Display.Bytes(bytes)})");
            if (context.JsonOutput)
            {
                context.WriteJson(info);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Prints a queued job and either follows it or returns at once.</summary>
    public static async Task<int> FollowAsync(CliContext context, DiscoClient client, Job job, bool detach, CancellationToken cancellationToken)
    {
        if (detach)
        {
            if (context.JsonOutput)
            {
                context.WriteJson(job);
            }
            else
            {
                context.Output.WriteLine($"Job {job.Id} queued. Follow it with `disco jobs watch {job.Id}`.");
            }

            return ExitCodes.Success;
        }

        context.Say($"Job {job.Id} queued ({job.Description}).");
        return await Display.WatchJobAsync(context, client, job.Id, cancellationToken);
    }
}
