using System.Diagnostics;
using System.Globalization;
using System.Text;
using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Raster;
using Disco.Geo.Raster.Ingest;
using Disco.Geo.Raster.Outputs;
using Disco.Geo.Raster.Panoramas;
using Disco.Geo.Raster.Rendering;
using Disco.Geo.Samples;

namespace Disco.Geo.Bench.Raster;

/// <summary>
/// Issue 3 §6: ingest of a 2048×1024 RGB image (NASA Blue Marble, July) and of ETOPO5 (4320×2161 NetCDF, 0..360)
/// onto an equiangular 361×720 grid, and COG export of a 361×720 class map; plus EXR panorama ingest, XYZ tile
/// rendering and class polygons. Each case runs in its own child process so that its peak RSS (VmHWM) is its own;
/// the sample data is fetched into the cache by the parent first, so downloads are never timed.
/// </summary>
internal sealed class RasterIoBenchmark : IBenchmark
{
    private const string ChildFlag = "--child";
    private const string ResultPrefix = "RASTER-IO-RESULT";

    private static readonly string[] Cases = ["bmng-ingest", "etopo5-ingest", "cog-export", "exr-panorama", "tiles", "polygons"];

    public string Name => "raster-io";

    public string Description => "Raster I/O: BMNG and ETOPO5 ingest onto 361x720, COG export, EXR panorama, tiles, polygons [--quick]";

    public async Task<int> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        int warmup = 1;
        int runs = context.Quick ? 3 : 7;
        int childAt = context.Arguments.ToList().IndexOf(ChildFlag);
        if (childAt >= 0)
        {
            string result = await MeasureAsync(context.Arguments[childAt + 1], context.Arguments[childAt + 2], warmup, runs, cancellationToken);
            Console.WriteLine($"{ResultPrefix} {result}");
            return 0;
        }

        Console.WriteLine("Fetching sample data (not timed)…");
        SampleData samples = new();
        await samples.GetAsync(SampleCatalog.BlueMarble(7), cancellationToken);
        await samples.GetAsync(SampleCatalog.Etopo5, cancellationToken);
        await samples.GetAsync(SampleCatalog.Panorama("forest"), cancellationToken);
        string scratch = Directory.CreateTempSubdirectory("disco-bench-raster-").FullName;
        try
        {
            StringBuilder table = new();
            table.AppendLine("| case | input → output | first run (cold) ms | median ms | min ms | managed alloc / run | peak RSS (process) |");
            table.AppendLine("|---|---|---|---|---|---|---|");
            foreach (string name in Cases)
            {
                Console.WriteLine($"Running {name}…");
                table.AppendLine(await RunChildAsync(context, name, scratch, cancellationToken));
            }

            GdalRuntime.EnsureInitialized();
            string body = table +
                $"\nGDAL {GdalRuntime.Version} ({GdalRuntime.LibraryName}); {runs} timed runs after {warmup} warm-up run per case, each case in a fresh process. " +
                "Ingest times include opening the file, the warp and reading the result; \"cold\" is the first call in the process (driver registration, JIT). " +
                "Class map for COG/polygons: ETOPO5 on the 361x720 grid binned into 5 relief classes. Preliminary: the 2 cores are shared with other engineers' builds and tests.\n";
            context.WriteSection("Raster and panorama I/O (issue 3)", body);
            Console.WriteLine(body);
            return 0;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static async Task<string> RunChildAsync(BenchmarkContext context, string name, string scratch, CancellationToken cancellationToken)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this process's executable.");
        ProcessStartInfo start = new(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (!self.EndsWith("disco-bench", StringComparison.Ordinal))
        {
            start.ArgumentList.Add(typeof(RasterIoBenchmark).Assembly.Location);
        }

        foreach (string argument in new[] { context.Name, ChildFlag, name, scratch }.Concat(context.Quick ? ["--quick"] : Array.Empty<string>()))
        {
            start.ArgumentList.Add(argument);
        }

        using Process child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
        string output = await child.StandardOutput.ReadToEndAsync(cancellationToken);
        await child.WaitForExitAsync(cancellationToken);
        string? line = output.Split('\n').FirstOrDefault(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal));
        return line is null ? $"| {name} | failed (exit {child.ExitCode}) | | | | | |" : line[(ResultPrefix.Length + 1)..].Trim();
    }

    private static async Task<string> MeasureAsync(string name, string scratch, int warmup, int runs, CancellationToken cancellationToken)
    {
        SampleData samples = new();
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 361, 720);
        RasterIngestor ingestor = new();
        string bmng = await samples.GetAsync(SampleCatalog.BlueMarble(7), cancellationToken);
        string etopo = await samples.GetAsync(SampleCatalog.Etopo5, cancellationToken);
        string forest = await samples.GetAsync(SampleCatalog.Panorama("forest"), cancellationToken);
        (string description, Action run) = name switch
        {
            "bmng-ingest" => ("BMNG July 2048x1024 RGB JPEG → equiangular 361x720, 3 bands, average",
                (Action)(() => ingestor.Ingest(RasterSource.GlobalImage(bmng), grid, new RasterIngestOptions(), cancellationToken))),
            "etopo5-ingest" => ("ETOPO5 4320x2161 NetCDF (0..360) → equiangular 361x720, average",
                () => ingestor.Ingest(RasterSource.File(etopo), grid, new RasterIngestOptions(), cancellationToken)),
            "cog-export" => ("361x720 class map (5 classes) → COG, EPSG:4326, DEFLATE, overviews", CogExport(grid, etopo, scratch, cancellationToken)),
            "exr-panorama" => ("forest.exr 1024x512 DWAB → decode + equiangular 361x720, 3 bands",
                () => new PanoramaIngestor().Ingest(forest, grid, new PanoramaOptions(), cancellationToken)),
            "tiles" => ("ETOPO5 map on 361x720 → 16 WebMercatorQuad PNG tiles at z=2 (256 px)", Tiles(grid, etopo, cancellationToken)),
            "polygons" => ("361x720 class map → class polygons (GeoJSON text, simplified, with areas)", Polygons(grid, etopo, cancellationToken)),
            _ => throw new ArgumentException($"Unknown case '{name}'.", nameof(name)),
        };

        Stopwatch clock = Stopwatch.StartNew();
        run();
        double cold = clock.Elapsed.TotalMilliseconds;
        for (int i = 1; i < warmup; i++)
        {
            run();
        }

        List<double> times = [];
        long allocated = 0;
        for (int i = 0; i < runs; i++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            clock.Restart();
            run();
            times.Add(clock.Elapsed.TotalMilliseconds);
            allocated += GC.GetTotalAllocatedBytes(precise: true) - before;
        }

        times.Sort();
        long rss = BenchmarkContext.PeakRssBytes();
        return string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {description} | {cold:F0} | {times[times.Count / 2]:F1} | {times[0]:F1} | {allocated / runs / 1048576.0:F1} MiB | {rss / 1048576.0:F0} MiB |");
    }

    private static SphereRaster ClassMap(SphereGrid grid, string etopo, CancellationToken cancellationToken)
    {
        SphereRaster relief = new RasterIngestor().Ingest(RasterSource.File(etopo), grid, new RasterIngestOptions(), cancellationToken);
        float[] classes = relief.Data.Select(v => v < -3000 ? 0f : v < -200 ? 1f : v < 0 ? 2f : v < 500 ? 3f : 4f).ToArray();
        return new SphereRaster(grid, classes, [new RasterBandInfo("relief_class", BandRole.Label)], relief.Valid, relief.Provenance);
    }

    private static Action CogExport(SphereGrid grid, string etopo, string scratch, CancellationToken cancellationToken)
    {
        SphereRaster map = ClassMap(grid, etopo, cancellationToken);
        GeoTiffOptions options = new()
        {
            Classes =
            [
                new MapClass(0, "deep ocean", 8, 48, 107), new MapClass(1, "ocean", 33, 113, 181), new MapClass(2, "shelf", 107, 174, 214),
                new MapClass(3, "lowland", 26, 152, 80), new MapClass(4, "highland", 140, 81, 10),
            ],
        };
        string path = Path.Combine(scratch, "classes.cog.tif");
        return () => GeoTiffWriter.Write(map, path, options, cog: true, cancellationToken);
    }

    private static Action Tiles(SphereGrid grid, string etopo, CancellationToken cancellationToken)
    {
        SphereRaster relief = new RasterIngestor().Ingest(RasterSource.File(etopo), grid, new RasterIngestOptions(), cancellationToken);
        ColorMap colours = ColorMap.Elevation();
        return () =>
        {
            for (int x = 0; x < 4; x++)
            {
                for (int y = 0; y < 4; y++)
                {
                    MapTileRenderer.RenderTile(relief, TileMatrixSet.WebMercatorQuad, 2, x, y, colours, cancellationToken: cancellationToken);
                }
            }
        };
    }

    private static Action Polygons(SphereGrid grid, string etopo, CancellationToken cancellationToken)
    {
        SphereRaster map = ClassMap(grid, etopo, cancellationToken);
        return () => ClassPolygons.ToGeoJson(ClassPolygons.Extract(map, new ClassPolygonOptions(), cancellationToken));
    }
}
