using Disco.Geo.Gdal;

namespace Disco.Geo;

/// <summary>
/// Writes analytic global rasters with the GDAL binding: the known-truth inputs of the server tests and the server
/// benchmarks (compiled into both as source; neither project references the other).
/// </summary>
internal static class GlobalGeoTiff
{
    /// <summary>
    /// A global EPSG:4326 float32 GeoTIFF covering 360° of longitude from <paramref name="west"/> and −90..90, one band
    /// per function of (latitude°, longitude°) evaluated at the pixel centres; <paramref name="noData"/>, if given, is
    /// declared on every band.
    /// </summary>
    public static string Write(
        string path, int width, int height, IReadOnlyList<Func<double, double, double>> bands,
        IReadOnlyList<string>? descriptions = null, IReadOnlyDictionary<string, string>? creationOptions = null,
        double west = -180, double? noData = null)
    {
        using GdalDataset dataset = GdalDataset.Create("GTiff", path, width, height, bands.Count, GdalDataType.Float32, creationOptions);
        double dx = 360.0 / width;
        double dy = 180.0 / height;
        dataset.SetGeoTransform(GeoTransform.NorthUp(west, 90, dx, dy));
        using (SpatialReference wgs84 = SpatialReference.Wgs84())
        {
            dataset.SetSpatialReference(wgs84);
        }

        float[] row = new float[width];
        for (int b = 0; b < bands.Count; b++)
        {
            GdalBand band = dataset.GetBand(b + 1);
            if (descriptions is not null)
            {
                band.Description = descriptions[b];
            }

            if (noData is not null)
            {
                band.NoDataValue = noData.Value;
            }

            for (int r = 0; r < height; r++)
            {
                double lat = 90 - ((r + 0.5) * dy);
                for (int c = 0; c < width; c++)
                {
                    row[c] = (float)bands[b](lat, west + ((c + 0.5) * dx));
                }

                band.Write<float>(row, 0, r, width, 1);
            }
        }

        return path;
    }
}
