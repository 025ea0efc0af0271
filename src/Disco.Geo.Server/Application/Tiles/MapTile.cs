namespace Disco.Geo.Server.Application.Tiles;

/// <summary>
/// A latitude band of a map: rows [<see cref="RowStart"/>, <see cref="RowStart"/> + <see cref="RowCount"/>) over every
/// column, with the coordinates of its rows and columns. The byte arrays belong to the tile alone (nothing writes
/// them after it is made), so the Api layer may wrap them into a message without a copy.
/// </summary>
/// <param name="RowStart">First row.</param>
/// <param name="RowCount">Rows in the tile.</param>
/// <param name="Bands">Bands.</param>
/// <param name="Columns">Columns (the whole grid's width).</param>
/// <param name="Values">Float32 values [bands, rows, columns], little-endian.</param>
/// <param name="Mask">Validity [rows, columns]: 1 valid, 0 no data.</param>
/// <param name="LatitudesDegrees">The rows' latitudes, north first; empty when the grid has none to give.</param>
/// <param name="LongitudesDegrees">The columns' longitudes.</param>
internal sealed record MapTile(
    int RowStart, int RowCount, int Bands, int Columns, byte[] Values, byte[] Mask, IReadOnlyList<double> LatitudesDegrees, IReadOnlyList<double> LongitudesDegrees);
