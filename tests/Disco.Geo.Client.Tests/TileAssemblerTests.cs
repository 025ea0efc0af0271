using System.Runtime.InteropServices;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Google.Protobuf;

namespace Disco.Geo.Client.Tests;

/// <summary>Streamed tiles placed into one [bands, rows, columns] map.</summary>
public sealed class TileAssemblerTests
{
    [Fact]
    public void Tiles_in_any_order_land_in_place_and_the_map_is_trimmed_to_the_rows_covered()
    {
        var assembler = new TileAssembler();
        // Two bands, 4 columns; rows 2..3 arrive before rows 0..1.
        assembler.Add(Tile(rowStart: 2, rows: 2, columns: 4, bands: 2, first: 100));
        assembler.Add(Tile(rowStart: 0, rows: 2, columns: 4, bands: 2, first: 0));

        Assert.Equal((2, 4, 4), (assembler.Bands, assembler.Rows, assembler.Columns));
        Assert.Equal(1.0, assembler.FractionOfRows);
        float[] values = assembler.Values;
        Assert.Equal(2 * 4 * 4, values.Length);
        // Band 0 row 0 starts with the first tile's first value; band 0 row 2 with the second's.
        Assert.Equal(0f, values[0]);
        Assert.Equal(100f, values[2 * 4]);
        // Band 1 of the rows 2..3 tile follows its band 0 (8 values) in the tile.
        Assert.Equal(108f, values[(1 * 16) + (2 * 4)]);
        Assert.All(assembler.Mask, m => Assert.Equal(1, m));
    }

    [Fact]
    public void A_tile_mask_is_kept_and_rows_not_received_stay_invalid()
    {
        var assembler = new TileAssembler(rows: 4, columns: 2);
        Tile tile = Tile(rowStart: 1, rows: 1, columns: 2, bands: 1, first: 5);
        tile.Mask = new TypedArray { Dtype = DataType.Uint8, Shape = { 1, 2 }, Data = ByteString.CopyFrom(0, 1) };
        assembler.Add(tile);

        Assert.Equal(2, assembler.Rows);
        Assert.Equal([0, 0, 0, 1], assembler.Mask);
        Assert.Equal(0.5, assembler.FractionOfRows);
    }

    [Fact]
    public void Tiles_that_disagree_on_bands_or_shape_are_refused()
    {
        var assembler = new TileAssembler();
        assembler.Add(Tile(rowStart: 0, rows: 1, columns: 2, bands: 1, first: 0));
        Assert.Throws<InvalidDataException>(() => assembler.Add(Tile(rowStart: 1, rows: 1, columns: 2, bands: 2, first: 0)));

        Tile wrongShape = Tile(rowStart: 1, rows: 1, columns: 2, bands: 1, first: 0);
        wrongShape.RowCount = 2;
        Assert.Throws<InvalidDataException>(() => assembler.Add(wrongShape));
    }

    private static Tile Tile(int rowStart, int rows, int columns, int bands, float first)
    {
        float[] values = [.. Enumerable.Range(0, bands * rows * columns).Select(i => first + i)];
        return new Tile
        {
            RowStart = rowStart,
            RowCount = rows,
            ColStart = 0,
            ColCount = columns,
            Values = new TypedArray
            {
                Dtype = DataType.Float32,
                Shape = { bands, rows, columns },
                Data = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())),
            },
        };
    }
}
