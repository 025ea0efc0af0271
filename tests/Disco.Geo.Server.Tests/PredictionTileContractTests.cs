using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// One tile writer for every map a client streams: a live prediction, the replay of the same prediction (same request
/// id) and a download of a gridded dataset on the same grid send tiles with the same row boundaries, the same size and
/// the same coordinates. The server's transfer chunk is small here (1 KiB), so its own choice of rows per tile (7 rows
/// of the 36-column map) differs from the prediction engine's band of rows (the whole 19-row map): tiles that followed
/// the engine would show.
/// </summary>
public sealed class PredictionTileContractTests() : ServerTests("tile-contract", settings: ["--Limits:TransferChunkBytes=1024"])
{
    /// <summary>The 19×36 map of <see cref="Packages"/> at 1 band: 1024 / (36 × 4) bytes.</summary>
    private const int ServerRowsPerTile = 7;

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public async Task Live_replayed_and_downloaded_tiles_have_the_same_rows_size_and_coordinates(int rowsPerTile)
    {
        Model model = await _client.ImportModelAsync(Packages.Write(_files, "lw.discomodel", seed: 5));
        await GriddedDatasets.StoreFieldAsync(_server, "field", model.Grid, offset: -10);
        var request = new PredictRequest { Model = model.Name, Dataset = "field", StreamTiles = true, RowsPerTile = rowsPerTile, RequestId = "tiles-" + Guid.NewGuid().ToString("N") };

        List<Tile> live = await TilesAsync(request);
        List<Tile> replayed = await TilesAsync(request);

        int rows = rowsPerTile > 0 ? rowsPerTile : ServerRowsPerTile;
        int[] starts = [.. Enumerable.Range(0, (19 + rows - 1) / rows).Select(k => k * rows)];
        Assert.Equal(starts, live.Select(t => t.RowStart));
        Assert.Equal(starts.Select(s => Math.Min(rows, 19 - s)), live.Select(t => t.RowCount));
        double[] latitudes = [.. Enumerable.Range(0, 19).Select(Packages.Grid.LatitudeDegrees)];
        double[] longitudes = [.. Enumerable.Range(0, 36).Select(Packages.Grid.LongitudeDegrees)];
        Assert.All(live, tile =>
        {
            Assert.Equal((0, 36), (tile.ColStart, tile.ColCount));
            Assert.Equal([1, tile.RowCount, 36], tile.Values.Shape);
            Assert.Equal([tile.RowCount, 36], tile.Mask.Shape);
            Assert.Equal(latitudes.AsSpan(tile.RowStart, tile.RowCount).ToArray(), tile.LatitudesDegrees);
            Assert.Equal(longitudes, tile.LongitudesDegrees);
        });

        // The replay reads the stored map back: every field of every tile is the same, values and mask included.
        Assert.Equal(live, replayed);

        // A dataset on the same grid downloads in tiles of the same rows and coordinates (its one band is the same size).
        List<Tile> downloaded = [];
        await foreach (Tile tile in _client.DownloadTilesAsync("field", rowsPerTile))
        {
            downloaded.Add(tile);
        }

        Assert.Equal(live.Select(Layout), downloaded.Select(Layout));

        // Both assemble into the whole map the client's array holds.
        var assembler = new TileAssembler(19, 36);
        live.ForEach(assembler.Add);
        PredictionArray array = await _client.PredictToArrayAsync(request);
        Assert.Equal(array.Values, assembler.Values);
        Assert.Equal(array.Mask, assembler.Mask);
    }

    private static (int, int, int, int, string, string, string) Layout(Tile tile) =>
        (tile.RowStart, tile.RowCount, tile.ColStart, tile.ColCount, string.Join(",", tile.Values.Shape), string.Join(",", tile.LatitudesDegrees), string.Join(",", tile.LongitudesDegrees));

    private async Task<List<Tile>> TilesAsync(PredictRequest request)
    {
        List<Tile> tiles = [];
        await foreach (PredictResponse message in _client.PredictAsync(request))
        {
            if (message.Tile is { } tile)
            {
                tiles.Add(tile);
            }
        }

        return tiles;
    }
}
