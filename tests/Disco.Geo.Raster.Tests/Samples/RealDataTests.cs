using Disco.Geo.Grids;
using Disco.Geo.Raster.Ingest;
using Disco.Geo.Raster.Statistics;
using Disco.Geo.Samples;
using Xunit.Abstractions;

namespace Disco.Geo.Raster.Tests.Samples;

/// <summary>
/// Real data from Debian (fetched once into the shared cache): Natural Earth land, NASA Blue Marble, ETOPO5. The
/// expected numbers are physical facts (about 29 % of the Earth is land) and agreements between independent sources.
/// </summary>
[Trait(DebianArchive.Trait, DebianArchive.Value)]
public sealed class RealDataTests(ITestOutputHelper output)
{
    private static readonly SphereGrid Grid = SphereGrid.Create(GridKind.Equiangular, 361, 720);
    private static readonly Lazy<Task<SphereRaster>> Land = new(async () =>
        await new PolygonRasterizer().RasterizeAsync(await DebianArchive.FetchAsync(SampleCatalog.NaturalEarthLand50m), Grid));

    [Fact]
    public async Task Natural_earth_land_covers_29_percent_of_the_earth()
    {
        SphereRaster land = await Land.Value;
        Assert.Equal(["fraction", "label"], land.BandNames);
        Assert.Equal(Grid.NodeCount, land.ValidCount);
        IReadOnlyList<ClassArea> areas = AreaStatistics.AreaPerClass(land, band: 1);
        double landShare = areas.Single(a => a.ClassId == 1).Fraction;
        output.WriteLine($"land: {landShare:P2} of the area, {areas.Single(a => a.ClassId == 1).AreaKm2:N0} km²");
        Assert.InRange(landShare, 0.28, 0.295);
    }

    [Fact]
    public async Task Blue_marble_july_agrees_with_the_land_mask()
    {
        string image = await DebianArchive.FetchAsync(SampleCatalog.BlueMarble(7));
        SphereRaster rgb = await new RasterIngestor().IngestAsync(RasterSource.GlobalImage(image), Grid);
        Assert.Equal(["red", "green", "blue"], rgb.BandNames);
        Assert.Equal(Grid.NodeCount, rgb.ValidCount);
        SphereRaster land = await Land.Value;
        double agree = 0;
        double total = 0;
        double[] rowAreas = Grid.RowAreas();
        for (int k = 0; k < Grid.NodeCount; k++)
        {
            // A crude colour rule: land is not water-blue (oceans in BMNG are dark blue).
            float r = rgb[0, k / Grid.NLon, k % Grid.NLon];
            float g = rgb[1, k / Grid.NLon, k % Grid.NLon];
            float b = rgb[2, k / Grid.NLon, k % Grid.NLon];
            bool looksLand = r + g > 1.6 * b && r + g + b > 60;
            bool isLand = land[1, k / Grid.NLon, k % Grid.NLon] == 1;
            double w = rowAreas[k / Grid.NLon];
            agree += looksLand == isLand ? w : 0;
            total += w;
        }

        output.WriteLine($"colour rule vs Natural Earth: {agree / total:P2} of the area agrees");
        Assert.True(agree / total > 0.9, $"agreement {agree / total}");
    }

    [Fact]
    public async Task Etopo5_in_0_to_360_lands_seamlessly_and_matches_the_coastlines()
    {
        string etopo = await DebianArchive.FetchAsync(SampleCatalog.Etopo5);
        SphereRaster relief = await new RasterIngestor().IngestAsync(RasterSource.File(etopo), Grid);
        Assert.Equal(Grid.NodeCount, relief.ValidCount);
        Assert.Equal("meters", relief.Bands[0].Unit);
        Assert.Contains(relief.Provenance!.Notes, n => n.Contains("pixel width", StringComparison.Ordinal));
        Assert.Contains(relief.Provenance.Notes, n => n.Contains("wrapped", StringComparison.Ordinal));
        Assert.Contains(relief.Provenance.Notes, n => n.Contains("EPSG:4326 was assumed", StringComparison.Ordinal));
        float min = relief.Data.Min();
        float max = relief.Data.Max();
        output.WriteLine($"ETOPO5 on {Grid}: {min:F0} .. {max:F0} m; notes: {string.Join("; ", relief.Provenance.Notes)}");
        Assert.InRange(min, -10_400, -7_000);
        Assert.InRange(max, 4_500, 7_900);

        // Everest (27.99 N, 86.93 E) is high, the Mariana trench (11.35 N, 142.2 E) deep, the seam at 180° continuous.
        Assert.True(relief[0, 124, 534] > 4000, $"Himalaya {relief[0, 124, 534]}");
        Assert.True(relief[0, 157, 644] < -5000, $"Mariana {relief[0, 157, 644]}");
        for (int row = 60; row < 300; row += 20)
        {
            Assert.True(Math.Abs(relief[0, row, 0] - relief[0, row, 719]) < 2500, $"seam at row {row}");
        }

        SphereRaster land = await Land.Value;
        double agree = 0;
        double total = 0;
        double[] rowAreas = Grid.RowAreas();
        for (int k = 0; k < Grid.NodeCount; k++)
        {
            bool above = relief.Data[k] > 0;
            bool isLand = land.Data[Grid.NodeCount + k] == 1;
            agree += above == isLand ? rowAreas[k / Grid.NLon] : 0;
            total += rowAreas[k / Grid.NLon];
        }

        output.WriteLine($"ETOPO5 > 0 vs Natural Earth land: {agree / total:P2} of the area agrees");
        Assert.True(agree / total > 0.97, $"agreement {agree / total}");
    }
}
