using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Jobs;
using Google.Protobuf;

namespace Disco.Geo.Server.Api.Mapping;

/// <summary>Builds <see cref="TypedArray"/> messages (little-endian, row-major bytes) and tiles from them.</summary>
internal static class TypedArrays
{
    /// <summary>A live prediction tile as the wire sends it; the tile's arrays are its own, so they are wrapped, not copied.</summary>
    public static Tile ToApi(this PredictionTile tile) => new()
    {
        RowStart = tile.RowStart,
        RowCount = tile.RowCount,
        ColStart = tile.ColStart,
        ColCount = tile.ColCount,
        Values = new TypedArray { Dtype = DataType.Float32, Shape = { tile.Bands, tile.RowCount, tile.ColCount }, Data = UnsafeByteOperations.UnsafeWrap(tile.Values) },
        Mask = new TypedArray { Dtype = DataType.Uint8, Shape = { tile.RowCount, tile.ColCount }, Data = UnsafeByteOperations.UnsafeWrap(tile.Mask) },
    };
}
