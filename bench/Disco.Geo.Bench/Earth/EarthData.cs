using System.Diagnostics;
using Disco.Geo.Grids;
using Disco.Geo.Raster;
using Disco.Geo.Raster.Ingest;
using Disco.Geo.Samples;

namespace Disco.Geo.Bench.Earth;

/// <summary>
/// The real Earth data of the benchmarks on one grid, through the product's own ingest: NASA Blue Marble months as
/// RGB (0..255, area-averaged from the 2048×1024 JPEGs), Natural Earth 1:50m land as a label (land where polygons cover
/// at least half of a node's cell) and cover fraction, and optionally ETOPO5 relief in metres. All arrays are row-major
/// on the grid, rows north to south, column 0 at 180° W.
/// </summary>
internal sealed class EarthData
{
    private EarthData(SphereGrid grid, IReadOnlyDictionary<int, float[]> rgb, int[] land, float[] landFraction, float[]? elevation)
    {
        Grid = grid;
        Rgb = rgb;
        Land = land;
        LandFraction = landFraction;
        Elevation = elevation;
    }

    public SphereGrid Grid { get; }

    /// <summary>Month → [3, NLat, NLon] red, green, blue in 0..255.</summary>
    public IReadOnlyDictionary<int, float[]> Rgb { get; }

    /// <summary>1 land, 0 water, per node.</summary>
    public int[] Land { get; }

    /// <summary>Share of each node's cell covered by land polygons.</summary>
    public float[] LandFraction { get; }

    /// <summary>ETOPO5 relief in metres (negative below sea level), or null when not loaded.</summary>
    public float[]? Elevation { get; }

    public static async Task<EarthData> LoadAsync(SphereGrid grid, IEnumerable<int> months, bool withElevation, CancellationToken cancellationToken, int? landSupersampling = null)
    {
        Stopwatch clock = Stopwatch.StartNew();
        SampleData samples = new();
        RasterIngestor ingestor = new();
        Dictionary<int, float[]> rgb = [];
        foreach (int month in months)
        {
            string path = await samples.GetAsync(SampleCatalog.BlueMarble(month), cancellationToken);
            SphereRaster raster = await ingestor.IngestAsync(RasterSource.GlobalImage(path), grid, null, cancellationToken);
            if (raster.BandCount != 3 || raster.ValidCount != grid.NodeCount)
            {
                throw new InvalidDataException($"Blue Marble month {month} came out with {raster.BandCount} bands and {raster.ValidCount} valid nodes of {grid.NodeCount}.");
            }

            rgb[month] = raster.Data.ToArray();
        }

        string land = await samples.GetAsync(SampleCatalog.NaturalEarthLand50m, cancellationToken);
        SphereRaster labels = await new PolygonRasterizer().RasterizeAsync(land, grid, new PolygonRasterizeOptions { Threshold = 0.5, Supersampling = landSupersampling ?? new PolygonRasterizeOptions().Supersampling }, cancellationToken);
        int nodes = (int)grid.NodeCount;
        float[] fraction = labels.Band(0).ToArray();
        int[] classes = new int[nodes];
        ReadOnlySpan<float> label = labels.Band(1);
        for (int k = 0; k < nodes; k++)
        {
            classes[k] = label[k] >= 0.5f ? 1 : 0;
        }

        float[]? elevation = null;
        if (withElevation)
        {
            string etopo = await samples.GetAsync(SampleCatalog.Etopo5, cancellationToken);
            SphereRaster relief = await ingestor.IngestAsync(RasterSource.File(etopo), grid, null, cancellationToken);
            if (relief.ValidCount != grid.NodeCount)
            {
                throw new InvalidDataException($"ETOPO5 covers {relief.ValidCount} of {grid.NodeCount} nodes.");
            }

            elevation = relief.Band(0).ToArray();
        }

        Console.WriteLine($"Earth data on {grid} ingested in {clock.Elapsed.TotalSeconds:F1} s");
        return new EarthData(grid, rgb, classes, fraction, elevation);
    }

    /// <summary>Land share of the globe by area.</summary>
    public double LandAreaShare()
    {
        double[] areas = Grid.RowAreas();
        double land = 0, total = 0;
        for (int k = 0; k < Land.Length; k++)
        {
            double a = areas[k / Grid.NLon];
            total += a;
            land += Land[k] * a;
        }

        return land / total;
    }
}
