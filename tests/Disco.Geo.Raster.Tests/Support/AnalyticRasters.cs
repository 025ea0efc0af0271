using Disco.Geo.Gdal;

namespace Disco.Geo.Raster.Tests.Support;

/// <summary>Rasters of a known smooth function f(lat, lon), written with the binding in various CRSs.</summary>
internal static class AnalyticRasters
{
    /// <summary>A global EPSG:4326 GeoTIFF of <see cref="AnalyticField.F"/> at pixel centres, west edge at <paramref name="west"/>.</summary>
    internal static void WriteGeographic(string path, int width, int height, double west = -180, double? noData = null,
        Func<double, double, bool>? covered = null) =>
        GlobalGeoTiff.Write(
            path, width, height,
            [(lat, lon) => covered is null || covered(lat, lon) ? AnalyticField.F(lat, lon) : noData ?? double.NaN],
            creationOptions: new Dictionary<string, string> { ["COMPRESS"] = "DEFLATE", ["TILED"] = "YES" }, west: west, noData: noData);

    /// <summary>A global raster of <see cref="AnalyticField.F"/> in a projected CRS; pixels outside the projection's domain are nodata.</summary>
    internal static void WriteProjected(string path, string crs, int width, int height, double halfWidth, double halfHeight, float noData = -9999f)
    {
        using SpatialReference target = SpatialReference.FromUserInput(crs);
        using SpatialReference wgs84 = SpatialReference.Wgs84();
        using CoordinateTransformation inverse = CoordinateTransformation.Create(target, wgs84);
        using CoordinateTransformation forward = CoordinateTransformation.Create(wgs84, target);
        using GdalDataset dataset = GdalDataset.Create("GTiff", path, width, height, 1, GdalDataType.Float32,
            new Dictionary<string, string> { ["COMPRESS"] = "DEFLATE" });
        double dx = 2 * halfWidth / width;
        double dy = 2 * halfHeight / height;
        dataset.SetGeoTransform(GeoTransform.NorthUp(-halfWidth, halfHeight, dx, dy));
        dataset.SetSpatialReference(target);
        GdalBand band = dataset.GetBand(1);
        band.NoDataValue = noData;
        double[] xs = new double[width];
        double[] ys = new double[width];
        double[] xBack = new double[width];
        double[] yBack = new double[width];
        float[] row = new float[width];
        for (int r = 0; r < height; r++)
        {
            for (int c = 0; c < width; c++)
            {
                xs[c] = -halfWidth + (c + 0.5) * dx;
                ys[c] = halfHeight - (r + 0.5) * dy;
            }

            xs.CopyTo(xBack, 0);
            ys.CopyTo(yBack, 0);
            inverse.Transform(xs, ys);
            // PROJ happily inverts points outside the map's outline; a round trip tells which ones are real.
            double[] lon = (double[])xs.Clone();
            double[] lat = (double[])ys.Clone();
            forward.Transform(xs, ys);
            for (int c = 0; c < width; c++)
            {
                bool inside = double.IsFinite(lon[c]) && double.IsFinite(lat[c]) && Math.Abs(lon[c]) <= 180 &&
                              Math.Abs(xs[c] - xBack[c]) < 1 && Math.Abs(ys[c] - yBack[c]) < 1;
                row[c] = inside ? (float)AnalyticField.F(lat[c], lon[c]) : noData;
            }

            band.Write<float>(row, 0, r, width, 1);
        }
    }
}
