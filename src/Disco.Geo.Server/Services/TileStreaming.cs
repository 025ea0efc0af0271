using Disco.Geo.Protos.V1;
using Disco.Geo.Raster.Storage;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Storage;
using Google.Protobuf;

namespace Disco.Geo.Server.Services;

/// <summary>Streams a tensor file as latitude-band tiles with their grid coordinates.</summary>
internal static class TileStreaming
{
    /// <summary>Room left in each message for the tile's coordinates and the protobuf and gRPC framing.</summary>
    private const int FramingReserveBytes = 64 * 1024;

    /// <summary>Rows per tile when the client leaves it to the server: about one transfer chunk of values per tile.</summary>
    public static int DefaultRows(int bands, int nlon, int chunkBytes) => Math.Max(1, chunkBytes / Math.Max(1, bands * nlon * sizeof(float)));

    public static async Task StreamTilesAsync(
        string tensorPath, Grid grid, int rowsPerTile, LimitsOptions limits, Func<Tile, Task> write, ServerMetrics metrics, CancellationToken cancellationToken)
    {
        using TensorFile file = TensorFile.OpenRead(tensorPath);
        // Keep each message under the send limit, with room for coordinates and framing.
        int maxRows = Math.Max(1, (limits.MaxSendMessageBytes - FramingReserveBytes) / Math.Max(1, (file.Bands * file.NLon * sizeof(float)) + file.NLon + 16));
        int rows = Math.Min(rowsPerTile > 0 ? rowsPerTile : DefaultRows(file.Bands, file.NLon, limits.TransferChunkBytes), maxRows);
        double[] longitudes = Enumerable.Range(0, file.NLon).Select(j => grid.LonOriginDegrees + (360.0 * j / file.NLon)).ToArray();
        double[] latitudes = GridMapping.LatitudesDegrees(grid);
        for (int start = 0; start < file.NLat; start += rows)
        {
            int count = Math.Min(rows, file.NLat - start);
            byte[] values = new byte[file.Bands * count * file.NLon * sizeof(float)];
            byte[] mask = new byte[count * file.NLon];
            file.ReadRows(start, count, values);
            file.ReadMask(start, count, mask);
            var tile = new Tile
            {
                RowStart = start,
                RowCount = count,
                ColStart = 0,
                ColCount = file.NLon,
                Values = new TypedArray { Dtype = DataType.Float32, Shape = { file.Bands, count, file.NLon }, Data = UnsafeByteOperations.UnsafeWrap(values) },
                Mask = new TypedArray { Dtype = DataType.Uint8, Shape = { count, file.NLon }, Data = UnsafeByteOperations.UnsafeWrap(mask) },
                LongitudesDegrees = { longitudes },
            };
            if (latitudes.Length == file.NLat)
            {
                tile.LatitudesDegrees.Add(latitudes.AsSpan(start, count).ToArray());
            }

            await write(tile);
            metrics.AddStreamedBytes(values.Length + mask.Length);
        }
    }
}
