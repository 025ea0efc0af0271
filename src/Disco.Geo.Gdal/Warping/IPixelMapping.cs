namespace Disco.Geo.Gdal.Warping;

/// <summary>
/// How the pixels of a warp destination sit in its coordinate reference system, for destinations that an affine
/// geotransform cannot describe (e.g. latitude rows at Gauss–Legendre nodes). Pixel coordinates follow GDAL: (0, 0) is
/// the top-left corner of the top-left pixel and (col + 0.5, row + 0.5) its centre. Both methods work in place on
/// batches and must be monotone and mutually inverse; a point that cannot be mapped is set to NaN.
/// Implementations are called from GDAL's warp thread and must not call GDAL.
/// </summary>
public interface IPixelMapping
{
    /// <summary>Destination pixel coordinates → georeferenced coordinates (x = easting/longitude, y = northing/latitude).</summary>
    void PixelToGeo(Span<double> x, Span<double> y);

    /// <summary>Georeferenced coordinates → destination pixel coordinates.</summary>
    void GeoToPixel(Span<double> x, Span<double> y);
}
