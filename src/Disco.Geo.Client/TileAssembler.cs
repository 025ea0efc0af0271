using System.Runtime.InteropServices;
using Disco.Geo.Protos.V1;

namespace Disco.Geo.Client;

/// <summary>
/// Places float32 tiles into one [bands, rows, columns] array. Capacity grows by doubling as rows arrive, or is exact
/// when the grid size is given up front.
/// </summary>
public sealed class TileAssembler
{
    private float[] _values = [];
    private byte[] _mask = [];
    private int _capacityRows;
    private long _rowsReceived;

    /// <summary>Creates an assembler; pass the grid size when known to avoid regrowth.</summary>
    /// <param name="rows">Expected rows (nlat), or 0.</param>
    /// <param name="columns">Expected columns (nlon), or 0.</param>
    public TileAssembler(int rows = 0, int columns = 0)
    {
        _capacityRows = Math.Max(0, rows);
        Columns = Math.Max(0, columns);
    }

    /// <summary>Number of bands (from the first tile).</summary>
    public int Bands { get; private set; }

    /// <summary>Rows covered so far: one past the last row of any tile.</summary>
    public int Rows { get; private set; }

    /// <summary>Columns.</summary>
    public int Columns { get; private set; }

    /// <summary>Values [bands, rows, columns].</summary>
    public float[] Values => _capacityRows == Rows ? _values : Trim(_values, Bands, Rows * Columns, _capacityRows * Columns);

    /// <summary>Validity [rows, columns]: 1 valid, 0 no data or not received.</summary>
    public byte[] Mask => _capacityRows == Rows ? _mask : _mask.AsSpan(0, Rows * Columns).ToArray();

    /// <summary>Rows received over rows covered.</summary>
    public double FractionOfRows => Rows == 0 ? 0 : Math.Min(1, (double)_rowsReceived / Rows);

    /// <summary>Copies a tile into place.</summary>
    /// <param name="tile">A float32 tile with shape [bands, row_count, col_count].</param>
    public void Add(Tile tile)
    {
        ArgumentNullException.ThrowIfNull(tile);
        TypedArray values = tile.Values ?? throw new InvalidDataException("A tile without values.");
        if (values.Dtype != DataType.Float32 || values.Shape.Count != 3 || values.Shape[1] != tile.RowCount || values.Shape[2] != tile.ColCount
            || values.Data.Length != values.Shape[0] * tile.RowCount * tile.ColCount * sizeof(float) || tile.RowStart < 0 || tile.ColStart < 0)
        {
            throw new InvalidDataException("Tiles must be float32 arrays shaped [bands, row_count, col_count] at non-negative positions.");
        }

        int bands = (int)values.Shape[0];
        if (Bands == 0)
        {
            Bands = bands;
        }
        else if (bands != Bands)
        {
            throw new InvalidDataException($"A tile has {bands} bands; earlier tiles had {Bands}.");
        }

        int rowEnd = tile.RowStart + tile.RowCount;
        Reserve(rowEnd, Math.Max(Columns, tile.ColStart + tile.ColCount));
        Rows = Math.Max(Rows, rowEnd);
        ReadOnlySpan<float> source = MemoryMarshal.Cast<byte, float>(values.Data.Span);
        for (int b = 0; b < bands; b++)
        {
            for (int r = 0; r < tile.RowCount; r++)
            {
                source.Slice(((b * tile.RowCount) + r) * tile.ColCount, tile.ColCount)
                    .CopyTo(_values.AsSpan((((b * _capacityRows) + tile.RowStart + r) * Columns) + tile.ColStart, tile.ColCount));
            }
        }

        bool hasMask = tile.Mask is { } m && m.Data.Length == tile.RowCount * tile.ColCount;
        for (int r = 0; r < tile.RowCount; r++)
        {
            Span<byte> target = _mask.AsSpan(((tile.RowStart + r) * Columns) + tile.ColStart, tile.ColCount);
            if (hasMask)
            {
                tile.Mask!.Data.Span.Slice(r * tile.ColCount, tile.ColCount).CopyTo(target);
            }
            else
            {
                target.Fill(1);
            }
        }

        _rowsReceived += tile.ColCount == Columns ? tile.RowCount : 0;
    }

    private static float[] Trim(float[] values, int bands, int planeLength, int capacityPlaneLength)
    {
        float[] result = new float[(long)bands * planeLength];
        for (int b = 0; b < bands; b++)
        {
            values.AsSpan(b * capacityPlaneLength, planeLength).CopyTo(result.AsSpan(b * planeLength, planeLength));
        }

        return result;
    }

    private void Reserve(int rows, int columns)
    {
        if (rows <= _capacityRows && columns == Columns && _values.Length > 0)
        {
            return;
        }

        int capacity = Math.Max(rows, _values.Length == 0 ? _capacityRows : Math.Max(_capacityRows, Math.Min(rows * 2, rows + 4096)));
        float[] values = new float[(long)Bands * capacity * columns];
        byte[] mask = new byte[(long)capacity * columns];
        for (int b = 0; b < Bands && _values.Length > 0; b++)
        {
            for (int r = 0; r < Rows; r++)
            {
                _values.AsSpan(((b * _capacityRows) + r) * Columns, Columns).CopyTo(values.AsSpan(((b * capacity) + r) * columns, Columns));
            }
        }

        for (int r = 0; r < Rows && _mask.Length > 0; r++)
        {
            _mask.AsSpan(r * Columns, Columns).CopyTo(mask.AsSpan(r * columns, Columns));
        }

        _values = values;
        _mask = mask;
        _capacityRows = capacity;
        Columns = columns;
    }
}
