using System.Globalization;
using Disco.Geo.Gdal;
using Disco.Geo.Gdal.Utilities;
using Disco.Geo.Raster.Wrapping;

namespace Disco.Geo.Raster.Outputs;

/// <summary>
/// Writes sphere-grid maps (class ids, probabilities, continuous values) as GeoTIFF or Cloud-Optimized GeoTIFF that
/// QGIS and GDAL open directly: EPSG:4326 with the exact geotransform of <see cref="RegularLayout"/> (one pixel per
/// node for equiangular and equirectangular grids; rows resampled where latitudes are not equispaced), nodata, band
/// descriptions and units, and for class maps a colour table with category names (category names live in a
/// .aux.xml sidecar, GDAL's standard place for them). Optionally reprojected onto any CRS, extent and resolution.
/// Files are written under a temporary name and renamed, so readers never see a half-written file.
/// </summary>
public static class GeoTiffWriter
{
    /// <summary>Writes a tiled, compressed GeoTIFF.</summary>
    /// <exception cref="ArgumentException">The values do not fit the requested type, or the classes are inconsistent.</exception>
    /// <exception cref="GdalException">GDAL cannot write the file (directory missing, disk full, …).</exception>
    public static Task WriteGeoTiffAsync(SphereRaster raster, string path, GeoTiffOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Write(raster, path, options ?? new GeoTiffOptions(), cog: false, cancellationToken), cancellationToken);

    /// <summary>Writes a Cloud-Optimized GeoTIFF (tiled, overviews — mode for class maps, average otherwise — ordered for HTTP range reads).</summary>
    /// <exception cref="ArgumentException">The values do not fit the requested type, or the classes are inconsistent.</exception>
    /// <exception cref="GdalException">GDAL cannot write the file.</exception>
    public static Task WriteCogAsync(SphereRaster raster, string path, GeoTiffOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Write(raster, path, options ?? new GeoTiffOptions(), cog: true, cancellationToken), cancellationToken);

    /// <summary>Synchronous form of <see cref="WriteGeoTiffAsync"/> and <see cref="WriteCogAsync"/>.</summary>
    public static void Write(SphereRaster raster, string path, GeoTiffOptions options, bool cog, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(raster);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The directory '{directory}' of '{path}' does not exist; create it first.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        RegularRasterBuilder.Encoding encoding = RegularRasterBuilder.ChooseEncoding(raster, options.DataType, options.Classes);
        using GdalDataset regular = RegularRasterBuilder.Build(raster, encoding, options.Metadata);
        GdalDataset? reprojected = options.Reproject is null ? null : Reproject(regular, raster, encoding, options.Reproject, cancellationToken);
        try
        {
            GdalDataset final = reprojected ?? regular;
            string temporary = Path.Combine(directory ?? ".", $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp.tif");
            try
            {
                using (final.CreateCopy(cog ? "COG" : "GTiff", temporary, CreationOptions(options, encoding, cog), cancellationToken))
                {
                }

                MoveIntoPlace(temporary, path);
            }
            finally
            {
                File.Delete(temporary);
                File.Delete(temporary + ".aux.xml");
            }
        }
        finally
        {
            reprojected?.Dispose();
        }
    }

    private static Dictionary<string, string> CreationOptions(GeoTiffOptions options, RegularRasterBuilder.Encoding encoding, bool cog)
    {
        string compression = options.Compression.ToUpperInvariant();
        Dictionary<string, string> creation = new() { ["COMPRESS"] = compression };
        if (compression is "DEFLATE" or "LZW" or "ZSTD")
        {
            // Palette images must not use the floating-point predictor; class maps compress best without one.
            creation["PREDICTOR"] = encoding.DataType == GdalDataType.Float32 ? "3" : encoding.Categorical ? "1" : "2";
        }

        if (cog)
        {
            creation["RESAMPLING"] = encoding.Categorical ? "MODE" : "AVERAGE";
            creation["OVERVIEWS"] = "AUTO";
            creation["BLOCKSIZE"] = "256";
        }
        else
        {
            creation["TILED"] = "YES";
            creation["BLOCKXSIZE"] = "256";
            creation["BLOCKYSIZE"] = "256";
        }

        return creation;
    }

    private static GdalDataset Reproject(GdalDataset regular, SphereRaster raster, RegularRasterBuilder.Encoding encoding, OutputGrid target,
        CancellationToken cancellationToken)
    {
        if (target.Resolution is not null && target.Size is not null)
        {
            throw new ArgumentException("Give either a resolution or a size for the output grid, not both.", nameof(target));
        }

        target.Bounds?.Validate(nameof(target));
        using SpatialReference crs = SpatialReference.FromUserInput(target.Crs);
        Resampling resampling = target.Resampling ?? (encoding.Categorical ? Resampling.Nearest : Resampling.Bilinear);
        if (encoding.Categorical && resampling is not (Resampling.Nearest or Resampling.Mode))
        {
            throw new ArgumentException($"A class map cannot be reprojected with {resampling.ToName()}; use Nearest or Mode.", nameof(target));
        }

        List<string> arguments = ["-of", "MEM", "-t_srs", crs.ToWkt(), "-r", resampling.ToName() == "nearest" ? "near" : resampling.ToName()];
        string noData = double.IsNaN(encoding.NoData) ? "nan" : encoding.NoData.ToString(CultureInfo.InvariantCulture);
        arguments.AddRange(["-srcnodata", noData, "-dstnodata", noData, "-wo", "SAMPLE_GRID=YES"]);
        if (target.Bounds is { } bounds)
        {
            arguments.AddRange(["-te", Format(bounds.West), Format(bounds.South), Format(bounds.East), Format(bounds.North)]);
        }

        if (target.Resolution is { } resolution)
        {
            arguments.AddRange(["-tr", Format(resolution.X), Format(resolution.Y)]);
        }

        if (target.Size is { } size)
        {
            arguments.AddRange(["-ts", size.Width.ToString(CultureInfo.InvariantCulture), size.Height.ToString(CultureInfo.InvariantCulture)]);
        }

        // With a target extent the source is repeated every 360° so that any longitude the target asks for is found;
        // without one, gdalwarp derives the extent from the single copy.
        RegularLayout layout = RegularLayout.For(raster.Grid);
        double targetWest = -180;
        double targetEast = 180;
        if (target.Bounds is { } given && crs.IsGeographic)
        {
            targetWest = given.West;
            targetEast = given.East;
        }

        using LongitudeCopies? copies = target.Bounds is null ? null :
            LongitudeCopies.Create(regular, layout.Bounds, layout.PixelWidth, targetWest - 2 * layout.PixelWidth, targetEast + 2 * layout.PixelWidth, cancellationToken);
        GdalDataset source = copies?.Mosaic ?? regular;
        GdalDataset result = GdalUtilities.Warp([source], string.Empty, arguments, cancellationToken);
        try
        {
            for (int b = 1; b <= result.BandCount && b <= raster.BandCount; b++)
            {
                GdalBand band = result.GetBand(b);
                band.Description = raster.Bands[b - 1].Name;
                band.NoDataValue = encoding.NoData;
                if (encoding.Classes is not null && raster.BandCount == 1)
                {
                    RegularRasterBuilder.ApplyClasses(band, encoding.Classes, encoding.DataType);
                }
            }

            foreach (string item in regular.GetMetadata())
            {
                int equals = item.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0)
                {
                    result.SetMetadataItem(item[..equals], item[(equals + 1)..]);
                }
            }

            // The node layout's description would be wrong here: the warp resampled the nodes' cells.
            result.SetMetadataItem("DISCO_LAYOUT",
                $"reprojected from the {raster.Grid} grid ({(encoding.Categorical ? "nearest node for classes" : $"{resampling.ToName()} between nodes")})");

            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static void MoveIntoPlace(string temporary, string path)
    {
        File.Move(temporary, path, overwrite: true);
        string sidecar = temporary + ".aux.xml";
        if (File.Exists(sidecar))
        {
            // GDAL's PAM sidecar carries what TIFF tags cannot (category names); it follows the file's name.
            File.Move(sidecar, path + ".aux.xml", overwrite: true);
        }
        else
        {
            File.Delete(path + ".aux.xml");
        }
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
