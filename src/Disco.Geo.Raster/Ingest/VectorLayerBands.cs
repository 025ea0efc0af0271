using Disco.Geo.Grids;

namespace Disco.Geo.Raster.Ingest;

/// <summary>
/// How a vector layer (its first layer: e.g. Natural Earth land polygons) offers bands to <see cref="SourceBandSpec"/>, so that
/// source_band picks what to make of the polygons:
/// <list type="bullet">
/// <item>band 1, "fraction": the share of each node's cell covered by polygons, 0..1, an input by default. It is an
/// area average by definition, so its resampling must be unset or average.</item>
/// <item>band 2, "label": 1 where polygons cover at least half of the cell (fraction ≥ 0.5), else 0, a label by
/// default (e.g. land/water). Resampling unset, mode or nearest.</item>
/// <item>bands 3, 4, …: the layer's integer attribute fields in layer order, burnt as class ids (0 where no polygon)
/// and taken per cell as the most frequent id, labels by default. Resampling unset, mode or nearest.</item>
/// </list>
/// The mask role makes a band a validity mask (valid where it exceeds 0.5) instead of data. Without any band
/// selection a vector source gives bands 1 (input) and 2 (label). Polygons are burnt into a global EPSG:4326 raster up
/// to 8 times finer than the grid, then aggregated per cell by <see cref="PolygonRasterizer"/>.
/// </summary>
internal static class VectorLayerBands
{
    public const int Fraction = 1;
    public const int Label = 2;
    public const int FirstField = 3;

    private const int MaxSupersampling = 8;
    private const long FineCellBudget = 64L << 20;

    /// <summary>Names of the virtual bands, by 1-based number.</summary>
    public static string[] Names(IReadOnlyList<string> classFields) => ["fraction", "label", .. classFields];

    /// <summary>What a band of a vector source holds, for band descriptions.</summary>
    public static string Describe(IngestSource source, int sourceBand) => sourceBand switch
    {
        Fraction => $"share of the node's cell covered by polygons of layer '{source.LayerName}' (0..1)",
        Label => $"1 where polygons of layer '{source.LayerName}' cover at least half of the node's cell, else 0",
        _ => $"class id from field '{source.ClassFields[sourceBand - FirstField]}' of layer '{source.LayerName}' (most frequent per cell, 0 = no polygon)",
    };

    /// <summary>The role a band gets when its spec leaves it unspecified.</summary>
    public static BandRole DefaultRole(int sourceBand) => sourceBand == Fraction ? BandRole.Input : BandRole.Label;

    /// <summary>Checks that a band spec makes sense for a vector source; <paramref name="field"/> names it in messages.</summary>
    /// <exception cref="IngestInputException">The role or resampling does not fit the band.</exception>
    public static void Validate(SourceBandSpec spec, string field)
    {
        if (spec.SourceBand == Fraction)
        {
            if (spec.Role == BandRole.Label)
            {
                throw new IngestInputException(
                    $"{field}: band 1 of a vector source is the covered fraction 0..1, not a class; use band 2 for a 0/1 label (fraction ≥ 0.5), or give band 1 the input role.", field + ".role");
            }

            if (spec.Resampling is not (null or Resampling.Average))
            {
                throw new IngestInputException(
                    $"{field}: band 1 of a vector source is the covered fraction, an area average by definition; leave resampling unset or use average.", field + ".resampling");
            }

            return;
        }

        if (spec.Resampling is not (null or Resampling.Mode or Resampling.Nearest))
        {
            throw new IngestInputException(
                $"{field}: band {spec.SourceBand} of a vector source holds class ids, which {spec.Resampling?.ToString().ToLowerInvariant()} would blend into ids that do not exist; leave resampling unset or use mode or nearest.", field + ".resampling");
        }
    }

    /// <summary>
    /// Rasterises the layer of <paramref name="source"/> onto <paramref name="grid"/> and returns one band per requested
    /// virtual band, in order (named by <paramref name="names"/>, roles as given).
    /// </summary>
    public static async Task<SphereRaster> RasterizeAsync(
        PolygonRasterizer rasterizer, IngestSource source, IReadOnlyList<int> sourceBands, IReadOnlyList<string> names, IReadOnlyList<BandRole> roles,
        SphereGrid grid, CancellationToken cancellationToken)
    {
        PolygonRasterizeOptions options = OptionsFor(grid) with { Sandbox = source.Sandbox };
        string path = source.Paths[0];
        SphereRaster? presence = null;
        var fields = new Dictionary<int, SphereRaster>();
        if (sourceBands.Any(b => b is Fraction or Label))
        {
            presence = await rasterizer.RasterizeAsync(path, grid, options, cancellationToken).ConfigureAwait(false);
        }

        foreach (int band in sourceBands.Where(b => b >= FirstField).Distinct())
        {
            fields[band] = await rasterizer.RasterizeAsync(path, grid, options with { ClassField = source.ClassFields[band - FirstField] }, cancellationToken)
                .ConfigureAwait(false);
        }

        int nodes = (int)grid.NodeCount;
        float[] data = new float[sourceBands.Count * nodes];
        bool[] valid = new bool[nodes];
        Array.Fill(valid, true);
        var bands = new RasterBandInfo[sourceBands.Count];
        RasterProvenance? provenance = null;
        for (int k = 0; k < sourceBands.Count; k++)
        {
            int band = sourceBands[k];
            SphereRaster raster = band >= FirstField ? fields[band] : presence!;
            int slot = band >= FirstField ? 0 : band - 1;
            raster.Band(slot).CopyTo(data.AsSpan(k * nodes, nodes));
            for (int i = 0; i < nodes; i++)
            {
                valid[i] &= raster.Valid[i];
            }

            // The presence label is thresholded from the area average; class ids are the most frequent id per cell.
            Resampling resampling = band == Fraction ? Resampling.Average : Resampling.Mode;
            bands[k] = new RasterBandInfo(names[k], roles[k], resampling, band);
            provenance ??= raster.Provenance;
        }

        return new SphereRaster(grid, data, bands, valid, provenance);
    }

    /// <summary>As fine as 8 cells per grid cell, but never more fine cells than the budget (coarser for very fine grids).</summary>
    private static PolygonRasterizeOptions OptionsFor(SphereGrid grid)
    {
        double cell = Math.Min(grid.LonStepDegrees, 180.0 / grid.NLat);
        double cellsAtOne = Math.Ceiling(360 / cell) * Math.Ceiling(180 / cell);
        int supersampling = (int)Math.Clamp(Math.Floor(Math.Sqrt(FineCellBudget / cellsAtOne)), 1, MaxSupersampling);
        long limit = Math.Max(FineCellBudget, (long)(cellsAtOne * supersampling * supersampling * 1.01) + 1);
        return new PolygonRasterizeOptions { Supersampling = supersampling, Threshold = 0.5, MaxFinePixels = limit };
    }
}
