using System.Runtime.InteropServices;
using Disco.Geo.Raster.Storage;
using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Options;

namespace Disco.Geo.Server.Application.Tiles;

/// <summary>
/// The one tile writer: cuts a map into latitude-band tiles for live predictions, replayed predictions and dataset
/// downloads alike, so a client sees the same tiles (same boundaries, same size, same coordinates) whichever way a
/// map reaches it. Tiles start at multiples of <see cref="RowsPerTile"/> and hold that many rows (the last may hold
/// fewer). A live prediction hands rows over as the engine produces them, in whatever runs it likes; rows are
/// gathered until a tile is whole, so the engine's granularity never shows on the wire.
/// </summary>
internal sealed class TileWriter
{
    /// <summary>Room left in each message for the tile's coordinates and the protobuf and gRPC framing.</summary>
    private const int FramingReserveBytes = 64 * 1024;

    private readonly TileGeometry _geometry;
    private readonly ServerMetrics _metrics;

    /// <summary>Tiles being gathered from live rows, by tile index, with the rows they have so far.</summary>
    private readonly SortedDictionary<int, (MapTile Tile, int RowsFilled)> _pending = [];

    public TileWriter(int bands, int nlat, int nlon, int requestedRowsPerTile, TileGeometry geometry, LimitsOptions limits, ServerMetrics metrics)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bands);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nlat);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nlon);
        Bands = bands;
        NLat = nlat;
        NLon = nlon;
        RowsPerTile = RowsFor(requestedRowsPerTile, bands, nlon, limits);
        if (geometry.LongitudesDegrees.Length != nlon)
        {
            throw new ArgumentException($"The tile geometry has {geometry.LongitudesDegrees.Length} longitudes for a map of {nlon} columns.", nameof(geometry));
        }

        // Latitudes that do not fit the map (a stored grid record that disagrees with its tensor) are left out rather
        // than sent wrong, as before there was one writer.
        _geometry = geometry.LatitudesDegrees.Length == nlat ? geometry : geometry with { LatitudesDegrees = [] };
        _metrics = metrics;
    }

    public int Bands { get; }

    public int NLat { get; }

    public int NLon { get; }

    /// <summary>Rows in every tile but possibly the last.</summary>
    public int RowsPerTile { get; }

    /// <summary>Rows per tile when the client leaves it to the server: about one transfer chunk of values per tile.</summary>
    public static int DefaultRows(int bands, int nlon, int chunkBytes) => Math.Max(1, chunkBytes / Math.Max(1, bands * nlon * sizeof(float)));

    /// <summary>
    /// The rows per tile for a request: the client's choice or <see cref="DefaultRows"/>, capped so every message stays
    /// under the send limit with room for coordinates and framing.
    /// </summary>
    public static int RowsFor(int requestedRowsPerTile, int bands, int nlon, LimitsOptions limits)
    {
        int maxRows = Math.Max(1, (limits.MaxSendMessageBytes - FramingReserveBytes) / Math.Max(1, (bands * nlon * sizeof(float)) + nlon + 16));
        return Math.Min(requestedRowsPerTile > 0 ? requestedRowsPerTile : DefaultRows(bands, nlon, limits.TransferChunkBytes), maxRows);
    }

    /// <summary>Writes a stored map (a tensor file) as tiles, in row order.</summary>
    public static async Task WriteFileAsync(
        string tensorPath, int requestedRowsPerTile, Func<TensorFile, TileGeometry> geometry, LimitsOptions limits, Func<MapTile, Task> write, ServerMetrics metrics,
        CancellationToken cancellationToken)
    {
        using TensorFile file = TensorFile.OpenRead(tensorPath);
        var writer = new TileWriter(file.Bands, file.NLat, file.NLon, requestedRowsPerTile, geometry(file), limits, metrics);
        for (int start = 0; start < file.NLat; start += writer.RowsPerTile)
        {
            MapTile tile = writer.NewTile(start / writer.RowsPerTile);
            file.ReadRows(start, tile.RowCount, tile.Values);
            file.ReadMask(start, tile.RowCount, tile.Mask);
            await writer.EmitAsync(tile, write);
        }
    }

    /// <summary>
    /// Takes rows [<paramref name="rowStart"/>, <paramref name="rowStart"/> + <paramref name="rowCount"/>) of a live map,
    /// values laid out [bands, rowCount, columns] and mask [rowCount, columns], and writes every tile they complete.
    /// </summary>
    public async Task AddRowsAsync(int rowStart, int rowCount, ReadOnlyMemory<float> values, ReadOnlyMemory<byte> mask, Func<MapTile, Task> write)
    {
        if (rowStart < 0 || rowCount < 0 || rowStart + rowCount > NLat || values.Length != Bands * rowCount * NLon || mask.Length != rowCount * NLon)
        {
            throw new ArgumentException($"Rows {rowStart}+{rowCount} of {Bands} bands do not fit a {NLat}x{NLon} map with {values.Length} values and {mask.Length} mask bytes.");
        }

        int row = rowStart;
        while (row < rowStart + rowCount)
        {
            int index = row / RowsPerTile;
            (MapTile tile, int filled) = _pending.TryGetValue(index, out var pending) ? pending : (NewTile(index), 0);
            int take = Math.Min(tile.RowStart + tile.RowCount, rowStart + rowCount) - row;
            int fromRow = row - rowStart;
            int intoRow = row - tile.RowStart;
            Span<float> target = MemoryMarshal.Cast<byte, float>(tile.Values.AsSpan());
            for (int b = 0; b < Bands; b++)
            {
                values.Span.Slice(((b * rowCount) + fromRow) * NLon, take * NLon).CopyTo(target.Slice(((b * tile.RowCount) + intoRow) * NLon, take * NLon));
            }

            mask.Span.Slice(fromRow * NLon, take * NLon).CopyTo(tile.Mask.AsSpan(intoRow * NLon));
            filled += take;
            row += take;
            if (filled >= tile.RowCount)
            {
                _pending.Remove(index);
                await EmitAsync(tile, write);
            }
            else
            {
                _pending[index] = (tile, filled);
            }
        }
    }

    /// <summary>
    /// Writes the tiles still missing rows, in row order: the engine finished without handing them all over. Their
    /// missing rows stay masked out (mask 0), so the client still receives every tile of the map.
    /// </summary>
    public async Task FlushAsync(Func<MapTile, Task> write)
    {
        foreach ((MapTile tile, _) in _pending.Values.ToArray())
        {
            await EmitAsync(tile, write);
        }

        _pending.Clear();
    }

    private MapTile NewTile(int index)
    {
        int start = index * RowsPerTile;
        int count = Math.Min(RowsPerTile, NLat - start);
        return new MapTile(
            start, count, Bands, NLon,
            new byte[(long)Bands * count * NLon * sizeof(float)],
            new byte[count * NLon],
            _geometry.LatitudesDegrees.Length == 0 ? [] : new ArraySegment<double>(_geometry.LatitudesDegrees, start, count),
            _geometry.LongitudesDegrees);
    }

    private async Task EmitAsync(MapTile tile, Func<MapTile, Task> write)
    {
        await write(tile);
        _metrics.AddStreamedBytes(tile.Values.Length + tile.Mask.Length);
    }
}
