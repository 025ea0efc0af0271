using Disco.Geo.Grids;
using Disco.Geo.Raster.Storage;
using Disco.Geo.Server.Application.Tiles;
using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// The one tile writer on its own: a map handed over in runs of rows that ignore tile boundaries (and arrive out of
/// order) comes out as exactly the tiles the writer cuts from the same map stored in a tensor file.
/// </summary>
public sealed class TileWriterTests : IDisposable
{
    private const int Bands = 2;
    private const int NLat = 10;
    private const int NLon = 6;

    private readonly string _directory = Temp.Directory("tile-writer");
    private readonly SphereGrid _grid = SphereGrid.Create(GridKind.Equiangular, NLat, NLon, -180);

    public void Dispose() => Temp.Delete(_directory);

    [Theory]
    [InlineData(4, new[] { 3, 3, 3, 1 }, false)]
    [InlineData(4, new[] { 10 }, false)]
    [InlineData(3, new[] { 1, 5, 2, 2 }, true)]
    [InlineData(0, new[] { 2, 2, 2, 2, 2 }, false)]
    public async Task Rows_handed_over_in_any_runs_become_the_tiles_of_the_stored_map(int rowsPerTile, int[] runs, bool reversed)
    {
        float[] values = [.. Enumerable.Range(0, Bands * NLat * NLon).Select(i => i * 0.5f)];
        byte[] mask = [.. Enumerable.Range(0, NLat * NLon).Select(i => (byte)(i % 7 == 0 ? 0 : 1))];
        string path = Path.Combine(_directory, "map.tensor");
        using (TensorFile file = TensorFile.Create(path, Bands, NLat, NLon, hasMask: true))
        {
            file.WriteRows(0, NLat, values, mask);
        }

        var limits = new LimitsOptions();
        var metrics = new ServerMetrics();
        List<MapTile> stored = [];
        await TileWriter.WriteFileAsync(path, rowsPerTile, _ => TileGeometry.Of(_grid), limits, tile => Add(stored, tile), metrics, CancellationToken.None);

        var writer = new TileWriter(Bands, NLat, NLon, rowsPerTile, TileGeometry.Of(_grid), limits, metrics);
        List<MapTile> live = [];
        List<(int Start, int Count)> spans = [];
        for (int start = 0, k = 0; start < NLat; start += runs[k], k++)
        {
            spans.Add((start, runs[k]));
        }

        foreach ((int start, int count) in reversed ? Enumerable.Reverse(spans) : spans)
        {
            float[] run = new float[Bands * count * NLon];
            for (int b = 0; b < Bands; b++)
            {
                values.AsSpan(((b * NLat) + start) * NLon, count * NLon).CopyTo(run.AsSpan(b * count * NLon));
            }

            await writer.AddRowsAsync(start, count, run, mask.AsMemory(start * NLon, count * NLon), tile => Add(live, tile));
        }

        await writer.FlushAsync(tile => Add(live, tile));

        int rows = rowsPerTile > 0 ? rowsPerTile : NLat; // 0: the server's choice, the whole small map in one tile
        Assert.Equal(Enumerable.Range(0, (NLat + rows - 1) / rows).Select(k => k * rows), stored.Select(t => t.RowStart));
        Assert.Equal(stored.Select(Describe), live.OrderBy(t => t.RowStart).Select(Describe));
        Assert.All(stored, tile => Assert.Equal(Enumerable.Range(tile.RowStart, tile.RowCount).Select(_grid.LatitudeDegrees), tile.LatitudesDegrees));
        Assert.All(stored, tile => Assert.Equal(Enumerable.Range(0, NLon).Select(_grid.LongitudeDegrees), tile.LongitudesDegrees));
    }

    private static string Describe(MapTile tile) =>
        $"{tile.RowStart}+{tile.RowCount} {tile.Bands}x{tile.Columns} {Convert.ToHexString(tile.Values)} {Convert.ToHexString(tile.Mask)} "
        + $"{string.Join(",", tile.LatitudesDegrees)} {string.Join(",", tile.LongitudesDegrees)}";

    private static Task Add(List<MapTile> tiles, MapTile tile)
    {
        tiles.Add(tile);
        return Task.CompletedTask;
    }
}
