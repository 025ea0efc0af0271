namespace Disco.Geo.Gdal;

/// <summary>
/// GDAL's affine geotransform: georeferenced X = OriginX + col·PixelWidth + row·RowRotation and
/// Y = OriginY + col·ColumnRotation + row·PixelHeight, with (col, row) measured from the top-left corner of the top-left
/// pixel (pixel centres sit at +0.5). North-up rasters have zero rotations and a negative PixelHeight.
/// </summary>
/// <param name="OriginX">X of the top-left corner.</param>
/// <param name="PixelWidth">X step per column.</param>
/// <param name="RowRotation">X step per row (0 for north-up).</param>
/// <param name="OriginY">Y of the top-left corner.</param>
/// <param name="ColumnRotation">Y step per column (0 for north-up).</param>
/// <param name="PixelHeight">Y step per row (negative for north-up).</param>
public readonly record struct GeoTransform(
    double OriginX, double PixelWidth, double RowRotation, double OriginY, double ColumnRotation, double PixelHeight)
{
    /// <summary>A north-up transform whose top-left corner is (west, north).</summary>
    public static GeoTransform NorthUp(double west, double north, double pixelWidth, double pixelHeight) =>
        new(west, pixelWidth, 0, north, 0, -Math.Abs(pixelHeight));

    /// <summary>True when both rotation terms are zero.</summary>
    public bool IsAxisAligned => RowRotation == 0 && ColumnRotation == 0;

    /// <summary>The georeferenced coordinate of a pixel-space position (0.5, 0.5 is the centre of the first pixel).</summary>
    public (double X, double Y) PixelToGeo(double column, double row) =>
        (OriginX + column * PixelWidth + row * RowRotation, OriginY + column * ColumnRotation + row * PixelHeight);

    /// <summary>The pixel-space position of a georeferenced coordinate; throws for a degenerate transform.</summary>
    public (double Column, double Row) GeoToPixel(double x, double y)
    {
        double determinant = PixelWidth * PixelHeight - RowRotation * ColumnRotation;
        if (determinant == 0 || !double.IsFinite(determinant))
        {
            throw new InvalidOperationException($"The geotransform {this} cannot be inverted.");
        }

        double dx = x - OriginX;
        double dy = y - OriginY;
        return ((dx * PixelHeight - dy * RowRotation) / determinant, (dy * PixelWidth - dx * ColumnRotation) / determinant);
    }

    internal double[] ToArray() => [OriginX, PixelWidth, RowRotation, OriginY, ColumnRotation, PixelHeight];

    internal static GeoTransform FromArray(ReadOnlySpan<double> values) =>
        new(values[0], values[1], values[2], values[3], values[4], values[5]);
}
