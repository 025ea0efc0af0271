using Disco.Geo.Server.Application.Tiles;
using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Storage.Records;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Application.Predictions;

/// <summary>
/// Follows a running prediction for the call that started it: the job hands over its map's rows as the engine makes
/// them, and the one <see cref="TileWriter"/> cuts them into the tiles a replay or a download of the same map would
/// send; the summary comes last. The job never builds tiles, so there is one tile contract and no call back up.
/// </summary>
internal sealed class LivePredictionTiles(IOptions<LimitsOptions> limits, ServerMetrics metrics)
{
    /// <summary>
    /// Reads <paramref name="stream"/> to its end: tiles go to <paramref name="writeTile"/> when
    /// <paramref name="streamTiles"/>, the summary to <paramref name="writeSummary"/>. A stream that ends without a
    /// summary (the job failed or was cancelled) just ends; the caller reads the job's outcome.
    /// </summary>
    public async Task FollowAsync(
        PredictionStream stream, bool streamTiles, int rowsPerTile, Func<MapTile, Task> writeTile, Func<PredictionSummaryRecord, Task> writeSummary, CancellationToken cancellationToken)
    {
        TileWriter? tiles = null;
        await foreach (PredictionProgress progress in stream.Reader.ReadAllAsync(cancellationToken))
        {
            switch (progress)
            {
                case PredictionBegun begun when streamTiles:
                    tiles = new TileWriter(begun.Bands, begun.Grid.NLat, begun.Grid.NLon, rowsPerTile, TileGeometry.Of(begun.Grid), limits.Value, metrics);
                    break;
                case PredictionRows rows when tiles is not null:
                    await tiles.AddRowsAsync(rows.RowStart, rows.RowCount, rows.Values, rows.Mask, writeTile);
                    break;
                case PredictionFinished finished:
                    if (tiles is not null)
                    {
                        await tiles.FlushAsync(writeTile);
                    }

                    await writeSummary(finished.Summary);
                    break;
            }
        }
    }
}
