using Disco.Geo.Gdal;

namespace Disco.Geo.Raster.Ingest;

/// <summary>How a source of a multi-source ingest is read.</summary>
public enum IngestSourceKind
{
    /// <summary>A georeferenced raster, or several tiles mosaicked.</summary>
    Raster,

    /// <summary>
    /// A raster without georeferencing taken as EPSG:4326 plate carrée: over the bounds the request gives
    /// (<see cref="IngestSource.AssignedBounds"/>), or, without them, over the whole globe when it is exactly 2:1.
    /// </summary>
    GlobalImage,

    /// <summary>A vector layer rasterised onto the grid (see <see cref="VectorLayerBands"/>).</summary>
    Vector,
}

/// <summary>
/// One source of an ingest as found on disk, before any pixel is read: what it is and which 1-based bands it offers
/// (for vector layers, the virtual bands of <see cref="VectorLayerBands"/>).
/// </summary>
public sealed record IngestSource
{
    /// <summary>0 = the main source, i = additional source i − 1.</summary>
    public required int Index { get; init; }

    /// <summary>One file, or the tiles of a mosaic.</summary>
    public required IReadOnlyList<string> Paths { get; init; }

    /// <summary>What the source's files may read; every open of them goes through it.</summary>
    public required SourceSandbox Sandbox { get; init; }

    /// <summary>How the client knows the file (an upload's file name), or null to use the file's own name.</summary>
    public string? DisplayName { get; init; }

    /// <summary>How the source is read.</summary>
    public required IngestSourceKind Kind { get; init; }

    /// <summary>Band names by 1-based number (raster descriptions or colours; vector virtual band names).</summary>
    public required IReadOnlyList<string> BandNames { get; init; }

    /// <summary>Raster size in pixels (0 × 0 for vector layers).</summary>
    public (int Width, int Height) Size { get; init; }

    /// <summary>The rasterised layer of a vector source.</summary>
    public string? LayerName { get; init; }

    /// <summary>Features of the rasterised layer (vector sources).</summary>
    public long FeatureCount { get; init; }

    /// <summary>Integer attribute fields of a vector layer, in layer order: virtual bands 3, 4, ….</summary>
    public IReadOnlyList<string> ClassFields { get; init; } = [];

    /// <summary>1-based alpha bands of a multi-band raster (they mark coverage and are not ingested by default).</summary>
    public IReadOnlyList<int> AlphaBands { get; init; } = [];

    /// <summary>
    /// What <see cref="RasterInspector"/> reports for a raster source (its first tile for a mosaic): driver, CRS,
    /// bounds and bands, read from the same open as the classification. Null for vector sources.
    /// </summary>
    public SourceInfo? Raster { get; init; }

    /// <summary>
    /// The GDAL connection string of the chosen variable of a NetCDF or HDF5 file (<c>NETCDF:"file":var</c>), which
    /// every read opens instead of the file; null when the file is read as a whole.
    /// </summary>
    public string? Subdataset { get; init; }

    /// <summary>The chosen variable of a NetCDF or HDF5 file by name ("salinity"), for provenance; null when the file is read as a whole.</summary>
    public string? Variable { get; init; }

    /// <summary>Where a <see cref="IngestSourceKind.GlobalImage"/> lies when the request placed it; null = the whole globe.</summary>
    public GeoBounds? AssignedBounds { get; init; }

    /// <summary>Number of bands (virtual bands for vector layers).</summary>
    public int BandCount => BandNames.Count;

    /// <summary>The time axis when the bands of this single-file raster are time steps (see <see cref="SourceTimeAxis"/>), else null.</summary>
    public SourceTimeAxis? Time { get; init; }

    /// <summary>How the API names this source: "the main source" or "additional_sources[i]".</summary>
    public string Label => LabelOf(Index);

    /// <summary>The source's name at the start of a sentence, with its file: "The main source 'a.tif'".</summary>
    public string Subject => $"{SubjectOf(Index)} {Display}";

    /// <summary>The file (or the number of tiles), for messages.</summary>
    public string Display => Paths.Count == 1 ? $"'{DisplayName ?? Path.GetFileName(Paths[0])}'" : $"{Paths.Count} tiles ('{Path.GetFileName(Paths[0])}', …)";

    /// <summary>The paths as provenance shows them: an upload by its file name, never by its blob.</summary>
    public IReadOnlyList<string> ProvenancePaths => DisplayName is null ? Paths : [DisplayName];

    /// <summary>"1 red, 2 green, 3 blue", for messages that list the valid band numbers.</summary>
    public string DescribeBands() => string.Join(", ", BandNames.Select((name, i) => $"{i + 1} {name}"));

    /// <summary>
    /// Opens a source just far enough to classify it. A single file is tried as a raster first (anything GDAL reads
    /// as pixels), then as a vector layer (OGR); several files are tiles of one raster, described by the first.
    /// </summary>
    /// <param name="index">0 = the main source, i = additional source i − 1 (for messages).</param>
    /// <param name="files">The source's files and sandbox.</param>
    /// <exception cref="IngestInputException">The file is unreadable, empty, has neither bands nor features, is an ungeoreferenced image that is not 2:1 and has no bounds, or has bounds but georeferencing of its own.</exception>
    /// <exception cref="IngestAccessDeniedException">The file refers to a file outside its sandbox.</exception>
    public static IngestSource Inspect(int index, SourceFiles files)
    {
        (IngestSource source, GdalDataset? dataset) = Open(index, files);
        dataset?.Dispose();
        return source;
    }

    /// <summary>
    /// <see cref="Inspect"/>, handing over the open dataset of a single-file raster so that the read uses the very
    /// open that was classified and validated (null for mosaics and vector layers, which their readers open by name).
    /// </summary>
    internal static (IngestSource Source, GdalDataset? Dataset) Open(int index, SourceFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        IReadOnlyList<string> paths = files.Paths;
        if (paths.Count == 0)
        {
            throw new IngestInputException($"{SubjectOf(index)} names no file.");
        }

        string name = files.DisplayName ?? Path.GetFileName(paths[0]);
        GdalDataset dataset = Open(index, files, 0, paths.Count == 1 ? GdalOpenKind.Any : GdalOpenKind.Raster);
        string? subdataset = null;
        try
        {
            if (files.Variable is { } variable)
            {
                if (paths.Count != 1)
                {
                    throw new IngestInputException($"{SubjectOf(index)} is a mosaic of {paths.Count} tiles; a variable can be chosen only in a single NetCDF or HDF5 file.", files.VariableField);
                }

                (dataset, subdataset) = OpenVariable(index, files, name, dataset, variable);
            }

            if (dataset.BandCount > 0)
            {
                for (int tile = 1; tile < paths.Count; tile++)
                {
                    using GdalDataset other = Open(index, files, tile, GdalOpenKind.Raster);
                }

                IngestSource raster = InspectRaster(index, files, dataset) with { Subdataset = subdataset, Variable = files.Variable?.TrimStart('/') };
                if (paths.Count == 1)
                {
                    return (raster, dataset);
                }

                dataset.Dispose();
                return (raster, null);
            }

            IReadOnlyList<string> variables = VariablesOf(dataset);
            if (variables.Count > 0)
            {
                // Named by variable only: GDAL's subdataset strings carry the server's path of the file.
                throw new IngestInputException(
                    $"{SubjectOf(index)} '{name}' holds {variables.Count} variables ({string.Join(", ", variables)}) and no bands of its own; " +
                    $"choose one with the request's variable field (CLI: --variable {variables[0]}).");
            }

            if (paths.Count == 1 && dataset.LayerCount > 0)
            {
                if (files.Bounds is { } bounds)
                {
                    throw new IngestInputException(
                        $"{SubjectOf(index)} '{name}' is a vector layer, which carries its own coordinates; bounds ({bounds}) place only images without georeferencing, so drop them.",
                        BoundsFieldOf(index));
                }

                IngestSource vector = InspectVector(index, files, dataset);
                dataset.Dispose();
                return (vector, null);
            }

            throw new IngestInputException($"{SubjectOf(index)} '{name}' has neither raster bands nor vector layers; give a raster (GeoTIFF, NetCDF, PNG, JPEG, …) or a vector file (Shapefile, GeoJSON, GeoPackage, …).");
        }
        catch
        {
            dataset.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The variable <paramref name="variable"/> of an opened container, as its own dataset: the container's subdataset
    /// of that name, or the container itself when it is a single-variable file GDAL opened directly (its bands carry
    /// that variable's name). The container is disposed when a subdataset replaces it.
    /// </summary>
    private static (GdalDataset Dataset, string? Subdataset) OpenVariable(int index, SourceFiles files, string name, GdalDataset container, string variable)
    {
        GdalSubdataset[] subdatasets = RasterInspector.Subdatasets(container)
            .Select(s => GdalSubdataset.TryParse(s, out GdalSubdataset? parsed) ? parsed : null)
            .OfType<GdalSubdataset>()
            .ToArray();
        if (subdatasets.Length == 0)
        {
            string? own = container.BandCount > 0 ? container.GetBand(1).GetMetadataItem("NETCDF_VARNAME") : null;
            if (own is not null && string.Equals(own, variable.TrimStart('/'), StringComparison.Ordinal))
            {
                return (container, null);
            }

            throw new IngestInputException(
                own is null
                    ? $"{SubjectOf(index)} '{name}' has no variables to choose from; variable applies to NetCDF and HDF5 files, leave it empty for this file."
                    : $"{SubjectOf(index)} '{name}' has no variable '{variable}'; its only variable is {own}.",
                files.VariableField);
        }

        GdalSubdataset? chosen = subdatasets.FirstOrDefault(s => s.Names(variable));
        if (chosen is null)
        {
            throw new IngestInputException(
                $"{SubjectOf(index)} '{name}' has no variable '{variable}'; its variables are {string.Join(", ", subdatasets.Select(s => s.VariableName))}.",
                files.VariableField);
        }

        // The connection string names the file as the sandbox knows it (GDAL reports the path it was given).
        string connection = (chosen with { File = files.Paths[0] }).ConnectionString;
        GdalDataset opened = Open(index, files with { Paths = [connection] }, 0, GdalOpenKind.Raster);
        container.Dispose();
        return (opened, connection);
    }

    /// <summary>The variables of a container, by name, for messages (never GDAL's strings, which hold the file's path).</summary>
    private static string[] VariablesOf(GdalDataset dataset) => RasterInspector.Subdatasets(dataset)
        .Select(s => GdalSubdataset.TryParse(s, out GdalSubdataset? parsed) ? parsed.VariableName : null)
        .OfType<string>()
        .ToArray();

    /// <summary>
    /// Opens through the source's sandbox (<see cref="IngestSandboxes.AllowedDrivers"/>; every file GDAL reports for
    /// the dataset checked). VRTs, tile indexes and web-service descriptions would let a file read other files or
    /// URLs; they are not recognised.
    /// </summary>
    private static GdalDataset Open(int index, SourceFiles files, int tile, GdalOpenKind kind)
    {
        string path = files.Paths[tile];
        string name = files.DisplayName is { } display && files.Paths.Count == 1 ? display : Path.GetFileName(path);
        try
        {
            return files.Sandbox.Open(path, kind);
        }
        catch (SourceContainmentException e)
        {
            throw new IngestAccessDeniedException(IngestSandboxes.Describe($"{SubjectOf(index)} '{name}'", e));
        }
        catch (GdalException e) when (e.Message.Contains("not recognized", StringComparison.OrdinalIgnoreCase))
        {
            string gdal = (e.GdalMessages.Count > 0 ? e.GdalMessages[^1].Trim() : e.Message.Trim()).Replace(path, name, StringComparison.Ordinal);
            throw new IngestInputException(
                $"{SubjectOf(index)} '{name}' cannot be ingested: it is not a file the server reads (GDAL: {gdal.TrimEnd('.')}). " +
                "Check that the file is complete and in a self-contained raster or vector format (GeoTIFF, NetCDF, HDF, GRIB, JPEG 2000, PNG, JPEG, " +
                "Shapefile, GeoJSON, GeoPackage, FlatGeobuf, …); VRTs and service descriptions are refused because they read other files or URLs, and so are MapInfo tables.");
        }
    }

    private static IngestSource InspectRaster(int index, SourceFiles files, GdalDataset dataset)
    {
        IReadOnlyList<string> paths = files.Paths;
        SourceInfo info = RasterInspector.Describe(dataset, paths[0]);
        string[] names = info.Bands.Select(BandName).ToArray();
        IngestSourceKind kind = IngestSourceKind.Raster;
        string display = files.DisplayName ?? Path.GetFileName(paths[0]);
        bool georeferenced = paths.Count > 1 || dataset.GetGeoTransform() is not null;
        if (files.Bounds is { } bounds && georeferenced)
        {
            throw new IngestInputException(
                $"{SubjectOf(index)} '{display}' is already georeferenced ({info.Crs ?? "a geotransform without a CRS"}); drop bounds ({bounds}), which only place an image without georeferencing.",
                BoundsFieldOf(index));
        }

        if (!georeferenced)
        {
            if (files.Bounds is null && (long)dataset.Width != 2L * dataset.Height)
            {
                throw new IngestInputException(
                    $"{SubjectOf(index)} '{display}' has no georeferencing and is {dataset.Width}x{dataset.Height} pixels. Without bounds an image without " +
                    "georeferencing is only accepted as a global plate carrée map, which is exactly twice as wide as high (e.g. 2048x1024); " +
                    "otherwise give its bounds (west, south, east, north in degrees; `--bounds` in the CLI) or add georeferencing (a world file such as .jgw/.pgw next to it, or a GeoTIFF with its CRS and bounds).");
            }

            kind = IngestSourceKind.GlobalImage;
        }

        int[] alpha = info.Bands.Count < 2 ? [] : info.Bands.Where(b => b.ColorInterpretation == ColorInterpretation.Alpha).Select(b => b.Index).ToArray();
        return new IngestSource
        {
            Index = index,
            Paths = paths,
            Sandbox = files.Sandbox,
            DisplayName = files.DisplayName,
            Kind = kind,
            AssignedBounds = kind == IngestSourceKind.GlobalImage ? files.Bounds : null,
            BandNames = names,
            AlphaBands = alpha,
            Size = (info.Width, info.Height),
            Raster = info,
            Time = paths.Count == 1 ? SourceTimeAxis.Read(dataset, $"{SubjectOf(index)} '{display}'") : null,
        };
    }

    private static IngestSource InspectVector(int index, SourceFiles files, GdalDataset dataset)
    {
        IReadOnlyList<string> paths = files.Paths;
        OgrLayer layer = dataset.GetLayer(0);
        long features = layer.FeatureCount;
        if (features <= 0)
        {
            throw new IngestInputException(
                $"{SubjectOf(index)} '{files.DisplayName ?? Path.GetFileName(paths[0])}': vector layer '{layer.Name}' has no features, so there is nothing to rasterise. Check that the file is the complete layer.");
        }

        string[] classFields = layer.Fields.Where(f => f.Type is OgrFieldType.Integer or OgrFieldType.Integer64).Select(f => f.Name).ToArray();
        return new IngestSource
        {
            Index = index,
            Paths = paths,
            Sandbox = files.Sandbox,
            DisplayName = files.DisplayName,
            Kind = IngestSourceKind.Vector,
            BandNames = VectorLayerBands.Names(classFields),
            LayerName = layer.Name,
            FeatureCount = features,
            ClassFields = classFields,
        };
    }

    /// <summary>"the main source" (index 0) or "additional_sources[index − 1]".</summary>
    public static string LabelOf(int index) => index == 0 ? "the main source" : $"additional_sources[{index - 1}]";

    /// <summary>The API field of a source's bounds: "bounds" for the main source, "additional_sources[i].bounds" otherwise.</summary>
    public static string BoundsFieldOf(int index) => index == 0 ? "bounds" : $"additional_sources[{index - 1}].bounds";

    /// <summary><see cref="LabelOf"/> at the start of a sentence (field paths keep their spelling).</summary>
    public static string SubjectOf(int index) => index == 0 ? "The main source" : LabelOf(index);

    private static string BandName(SourceBandInfo band)
    {
        if (!string.IsNullOrWhiteSpace(band.Description))
        {
            return band.Description;
        }

        return band.ColorInterpretation switch
        {
            ColorInterpretation.Red => "red",
            ColorInterpretation.Green => "green",
            ColorInterpretation.Blue => "blue",
            ColorInterpretation.Gray => "gray",
            ColorInterpretation.Alpha => "alpha",
            ColorInterpretation.Palette => "palette",
            _ => $"band{band.Index}",
        };
    }
}
