using Disco.Geo.Grids;
using Disco.Geo.Raster.Ingest;
using Disco.Geo.Raster.Tests.Support;
using Xunit.Abstractions;

namespace Disco.Geo.Raster.Tests.Ingest;

/// <summary>
/// Ingest against analytic truth: f (values 2..18, second derivatives up to ~10 per rad²) sampled on rasters, resampled
/// onto every grid kind, compared with f at the nodes. Bounds: area averaging of a 4×–8× finer source errs by the
/// box filter's curvature term, about h²/24·|f''| ≤ 1e-3 for 2° cells; bilinear interpolation of a 1° source errs by at
/// most h²/8·|f''| ≈ 4e-4 plus float32 rounding.
/// </summary>
public sealed class AnalyticIngestTests(AnalyticFixture rasters, ITestOutputHelper output) : IClassFixture<AnalyticFixture>
{
    private readonly RasterIngestor _ingestor = new();

    [Theory]
    [InlineData(GridKind.Equiangular, 91, 180)]
    [InlineData(GridKind.LegendreGauss, 90, 180)]
    [InlineData(GridKind.Equirectangular, 90, 180)]
    public async Task Default_area_averaging_matches_f_at_the_nodes_of_uniform_grids(GridKind kind, int nlat, int nlon)
    {
        SphereGrid grid = SphereGrid.Create(kind, nlat, nlon);
        SphereRaster raster = await _ingestor.IngestAsync(RasterSource.File(rasters.Fine), grid);
        Assert.Equal(grid.NodeCount, raster.ValidCount);
        Assert.Equal(Resampling.Average, raster.Bands[0].Resampling);
        double worst = MaxError(raster);
        output.WriteLine($"{grid}: max |error| = {worst:E2}");
        Assert.True(worst < 1e-3, $"max error {worst}");
    }

    [Theory]
    [InlineData(GridKind.Equiangular, 91, 180)]
    [InlineData(GridKind.LegendreGauss, 90, 180)]
    [InlineData(GridKind.Equirectangular, 90, 180)]
    [InlineData(GridKind.Lobatto, 61, 120)]
    [InlineData(GridKind.EquiangularTrapezoidal, 61, 120)]
    public async Task Bilinear_sampling_matches_f_at_every_node_of_every_grid_kind(GridKind kind, int nlat, int nlon)
    {
        // GDAL widens bilinear to about ±1 cell when downsampling (anti-aliasing): error ≈ h²/12·|f''| ≤ 4e-3 for 3°
        // cells. Within two cells of a pole the widened kernel is cut by the raster's edge and leans to one side.
        SphereGrid grid = SphereGrid.Create(kind, nlat, nlon);
        SphereRaster raster = await _ingestor.IngestAsync(RasterSource.File(rasters.Fine), grid, new RasterIngestOptions { InputResampling = Resampling.Bilinear });
        Assert.Equal(grid.NodeCount, raster.ValidCount);
        double polar = 90 - 2 * 180.0 / nlat;
        double worst = MaxError(raster, maxAbsLatitude: polar);
        double nearPoles = MaxError(raster);
        output.WriteLine($"{grid}: max |error| = {worst:E2} within {polar:F1}° of the equator, {nearPoles:E2} everywhere");
        Assert.True(worst < 4e-3, $"max error {worst}");
        Assert.True(nearPoles < 3e-2, $"max error near the poles {nearPoles}");
    }

    [Fact]
    public async Task Averaging_on_uneven_rows_gives_the_mean_over_cells_bounded_by_the_midpoints()
    {
        // Trapezoidal rows are 15° apart near the poles, so a node's cell (midpoint to midpoint) is far from centred on
        // it; the average is then the cell mean, not f at the node. Reference: the mean of f over the same box, sampled
        // at the source's 0.25° pixel centres (GDAL weights source pixels by overlap in pixel space).
        SphereGrid grid = SphereGrid.Create(GridKind.EquiangularTrapezoidal, 61, 120);
        SphereRaster raster = await _ingestor.IngestAsync(RasterSource.File(rasters.Fine), grid, new RasterIngestOptions { InputResampling = Resampling.Average, UnifyPoleRows = false });
        double worst = 0;
        foreach (int i in new[] { 1, 2, 10, 30, 58, 59 })
        {
            double north = i == 0 ? 90 : (grid.LatitudeDegrees(i - 1) + grid.LatitudeDegrees(i)) / 2;
            double south = i == grid.NLat - 1 ? -90 : (grid.LatitudeDegrees(i) + grid.LatitudeDegrees(i + 1)) / 2;
            foreach (int p in new[] { 0, 17, 60, 111 })
            {
                double west = grid.LongitudeDegrees(p) - grid.LonStepDegrees / 2;
                double mean = BoxMean(west, west + grid.LonStepDegrees, south, north);
                worst = Math.Max(worst, Math.Abs(raster[0, i, p] - mean));
            }
        }

        output.WriteLine($"cell means: max |error| = {worst:E2}");
        Assert.True(worst < 5e-3, $"max error {worst}");
    }

    [Fact]
    public async Task Bilinear_interpolation_of_a_coarser_source_is_exact_to_second_order()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 361, 720);
        SphereRaster raster = await _ingestor.IngestAsync(RasterSource.File(rasters.Coarse), grid);
        Assert.Equal(Resampling.Bilinear, raster.Bands[0].Resampling);
        Assert.Equal(grid.NodeCount, raster.ValidCount);
        double worst = MaxError(raster, skipPoleRows: true);
        output.WriteLine($"bilinear from 1°: max |error| = {worst:E2}");
        Assert.True(worst < 1e-3, $"max error {worst}");
    }

    [Fact]
    public async Task Longitudes_0_to_360_give_the_same_seamless_result()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 91, 180);
        SphereRaster west = await _ingestor.IngestAsync(RasterSource.File(rasters.Fine), grid);
        SphereRaster shifted = await _ingestor.IngestAsync(RasterSource.File(rasters.Fine0To360), grid);
        Assert.Equal(grid.NodeCount, shifted.ValidCount);
        Assert.Contains(shifted.Provenance!.Notes, n => n.Contains("wrapped", StringComparison.Ordinal));
        double difference = 0;
        for (int k = 0; k < west.Data.Length; k++)
        {
            difference = Math.Max(difference, Math.Abs(west.Data[k] - shifted.Data[k]));
        }

        Assert.True(difference < 1e-4, $"0..360 differs from -180..180 by {difference}");
        Assert.True(MaxError(shifted) < 2e-3);
    }

    [Fact]
    public async Task Grid_columns_starting_anywhere_read_across_the_source_seam()
    {
        // Column 0 at 90° E: the grid's longitudes run 90..450, crossing the -180/180 edge of the source mid-grid.
        SphereGrid grid = SphereGrid.Create(GridKind.LegendreGauss, 45, 90, lonOriginDegrees: 90);
        SphereRaster raster = await _ingestor.IngestAsync(RasterSource.File(rasters.Fine), grid);
        Assert.Equal(grid.NodeCount, raster.ValidCount);
        Assert.True(MaxError(raster) < 3e-3);
    }

    [Fact]
    public async Task Equal_Earth_raster_matches_f_and_covers_the_globe()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 91, 180);
        SphereRaster raster = await _ingestor.IngestAsync(RasterSource.File(rasters.EqualEarth), grid);
        Assert.Equal("EPSG:8857", raster.Provenance!.SourceCrs);
        Assert.Contains(raster.Provenance.Notes, n => n.Contains("edge meridian", StringComparison.Ordinal));
        double coverage = (double)raster.ValidCount / grid.NodeCount;
        double interior = MaxError(raster, maxAbsLongitude: 175, maxAbsLatitude: 80);
        double polar = MaxError(raster, maxAbsLongitude: 175);
        double everywhere = MaxError(raster);
        output.WriteLine($"Equal Earth: {coverage:P2} valid, max |error| {interior:E2} (|lon| <= 175, |lat| <= 80), {polar:E2} (|lon| <= 175), {everywhere:E2} everywhere");
        // Nodes near ±180° sit on the map's outline, where the raster's pixels are only partly inside the map. Near
        // the poles the cells are strongly sheared in Equal Earth, and GDAL takes the bounding box of a cell's corners.
        Assert.True(coverage > 0.99, $"coverage {coverage}");
        Assert.True(interior < 1e-2, $"max error {interior}");
        Assert.True(polar < 2e-2, $"max error near the poles {polar}");
        Assert.True(everywhere < 0.25, $"max error {everywhere}");
    }

    [Fact]
    public async Task Pole_rows_hold_one_value_each()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 91, 180);
        SphereRaster raster = await _ingestor.IngestAsync(RasterSource.File(rasters.Fine), grid);
        foreach (int row in new[] { 0, grid.NLat - 1 })
        {
            float first = raster[0, row, 0];
            for (int p = 1; p < grid.NLon; p++)
            {
                Assert.Equal(first, raster[0, row, p]);
            }

            double expected = AnalyticField.F(grid.LatitudeDegrees(row), 0);
            Assert.True(Math.Abs(first - expected) < 2e-3, $"pole row {row}: {first} vs {expected}");
        }
    }

    private static double BoxMean(double west, double east, double south, double north)
    {
        // Source pixel centres are at 0.125 + 0.25 k; weight each by its overlap with the box.
        double sum = 0;
        double weight = 0;
        for (double lat = -89.875; lat < 90; lat += 0.25)
        {
            double wy = Math.Max(0, Math.Min(north, lat + 0.125) - Math.Max(south, lat - 0.125));
            if (wy <= 0)
            {
                continue;
            }

            for (double lon = west - 1; lon < east + 1; lon += 0.25)
            {
                double centre = Math.Floor(lon / 0.25) * 0.25 + 0.125;
                double wx = Math.Max(0, Math.Min(east, centre + 0.125) - Math.Max(west, centre - 0.125));
                if (wx > 0 && centre >= west - 0.125 && centre <= east + 0.125)
                {
                    sum += wx * wy * (float)AnalyticField.F(lat, centre);
                    weight += wx * wy;
                }
            }
        }

        return sum / weight;
    }

    private static double MaxError(SphereRaster raster, bool skipPoleRows = false, double maxAbsLongitude = 360, double maxAbsLatitude = 90)
    {
        double worst = 0;
        SphereGrid grid = raster.Grid;
        for (int i = 0; i < grid.NLat; i++)
        {
            if ((skipPoleRows && grid.HasPoleRows && (i == 0 || i == grid.NLat - 1)) || Math.Abs(grid.LatitudeDegrees(i)) > maxAbsLatitude)
            {
                continue;
            }

            for (int p = 0; p < grid.NLon; p++)
            {
                double longitude = grid.LongitudeDegrees(p);
                if (raster.Valid[i * grid.NLon + p] && Math.Abs(longitude) <= maxAbsLongitude)
                {
                    double expected = AnalyticField.F(grid.LatitudeDegrees(i), grid.LongitudeDegrees(p));
                    worst = Math.Max(worst, Math.Abs(raster[0, i, p] - expected));
                }
            }
        }

        return worst;
    }
}
