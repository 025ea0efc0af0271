using System.Runtime.InteropServices;
using Disco.Geo.Gdal.Errors;
using Disco.Geo.Gdal.Handles;
using Disco.Geo.Gdal.Interop;
using Disco.Geo.Gdal.Utilities;

namespace Disco.Geo.Gdal;

/// <summary>
/// An open GDAL dataset (raster bands and/or vector layers). Not thread-safe: GDAL datasets must be used by one thread
/// at a time. Disposing closes the dataset, which flushes pending writes.
/// </summary>
public sealed class GdalDataset : IDisposable
{
    private static long _memoryFileCounter;

    internal GdalDataset(DatasetHandle handle, string description)
    {
        Handle = handle;
        Path = description;
    }

    internal DatasetHandle Handle { get; }

    /// <summary>The name the dataset was opened or created with.</summary>
    public string Path { get; }

    /// <summary>Short name of the driver, e.g. "GTiff", "netCDF", "MEM".</summary>
    public string DriverName =>
        Marshal.PtrToStringUTF8(GdalNative.GDALGetDriverShortName(GdalNative.GDALGetDatasetDriver(Handle))) ?? string.Empty;

    /// <summary>Raster width in pixels (0 for a vector-only dataset).</summary>
    public int Width => GdalNative.GDALGetRasterXSize(Handle);

    /// <summary>Raster height in pixels (0 for a vector-only dataset).</summary>
    public int Height => GdalNative.GDALGetRasterYSize(Handle);

    /// <summary>Number of raster bands.</summary>
    public int BandCount => GdalNative.GDALGetRasterCount(Handle);

    /// <summary>Number of vector layers.</summary>
    public int LayerCount => GdalNative.GDALDatasetGetLayerCount(Handle);

    /// <summary>
    /// Opens a dataset read-only (or for update). Checks the file first so the common mistakes get a clear message
    /// rather than GDAL's generic "not recognized": a missing file, a directory, an empty file.
    /// </summary>
    /// <param name="path">A file path, or any GDAL connection string (NETCDF:"f.nc":var, /vsizip/…, a VRT XML string).</param>
    /// <param name="kind">Raster, vector or both.</param>
    /// <param name="update">Open for update.</param>
    /// <param name="allowedDrivers">Restrict to these driver short names (null = all).</param>
    /// <exception cref="FileNotFoundException">The path is a plain file name that does not exist.</exception>
    /// <exception cref="GdalException">GDAL cannot open it; the message carries GDAL's reason.</exception>
    public static GdalDataset Open(string path, GdalOpenKind kind = GdalOpenKind.Raster, bool update = false, IEnumerable<string>? allowedDrivers = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        GdalRuntime.EnsureInitialized();
        CheckPlainFile(path);
        uint flags = GdalNative.OfVerboseError | (update ? GdalNative.OfUpdate : GdalNative.OfReadOnly);
        flags |= kind switch
        {
            GdalOpenKind.Raster => GdalNative.OfRaster,
            GdalOpenKind.Vector => GdalNative.OfVector,
            _ => GdalNative.OfRaster | GdalNative.OfVector,
        };

        using NativeStringList drivers = new(allowedDrivers);
        GdalErrors.Reset();
        nint pointer = GdalNative.GDALOpenEx(path, flags, drivers.Pointer, 0, 0);
        if (pointer == 0)
        {
            string what = kind switch
            {
                GdalOpenKind.Raster => "raster",
                GdalOpenKind.Vector => "vector dataset",
                _ => "dataset",
            };
            throw GdalErrors.Failure(
                $"Opening '{path}' as a {what}",
                "Check that the file is complete and in a format GDAL reads (GeoTIFF, NetCDF, PNG, JPEG, Shapefile, GeoJSON, …).");
        }

        return new GdalDataset(new DatasetHandle(pointer), path);
    }

    /// <summary>Creates a raster dataset with a driver that supports Create (GTiff, MEM, netCDF, …).</summary>
    /// <exception cref="GdalException">The driver is missing or refuses the parameters.</exception>
    public static GdalDataset Create(string driverName, string path, int width, int height, int bandCount, GdalDataType dataType,
        IReadOnlyDictionary<string, string>? creationOptions = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(driverName);
        ArgumentNullException.ThrowIfNull(path);
        if (width < 0 || height < 0 || bandCount < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"Size {width}x{height}x{bandCount} must not be negative.");
        }

        nint driver = RequireDriver(driverName);
        using NativeStringList options = NativeStringList.FromOptions(creationOptions);
        GdalErrors.Reset();
        nint pointer = GdalNative.GDALCreate(driver, path, width, height, bandCount, (int)dataType, options.Pointer);
        if (pointer == 0)
        {
            throw GdalErrors.Failure($"Creating '{path}' ({width}x{height}, {bandCount} band(s) of {dataType}) with the {driverName} driver");
        }

        return new GdalDataset(new DatasetHandle(pointer), path);
    }

    /// <summary>Creates an in-memory raster (MEM driver), e.g. as a warp target or before CreateCopy to a file format.</summary>
    public static GdalDataset CreateInMemory(int width, int height, int bandCount, GdalDataType dataType) =>
        Create("MEM", string.Empty, width, height, bandCount, dataType);

    /// <summary>Creates an empty vector dataset (e.g. driver "Memory", "GeoJSON", "ESRI Shapefile").</summary>
    public static GdalDataset CreateVector(string driverName, string path, IReadOnlyDictionary<string, string>? creationOptions = null) =>
        Create(driverName, path, 0, 0, 0, GdalDataType.Unknown, creationOptions);

    /// <summary>Raster band <paramref name="index"/> (1-based, as in GDAL).</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such band.</exception>
    public GdalBand GetBand(int index)
    {
        int count = BandCount;
        if (index < 1 || index > count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"'{Path}' has bands 1..{count}.");
        }

        return new GdalBand(this, GdalNative.GDALGetRasterBand(Handle, index), index);
    }

    /// <summary>The affine geotransform, or null when the dataset has none (GDAL then reports the identity).</summary>
    public unsafe GeoTransform? GetGeoTransform()
    {
        double* values = stackalloc double[6];
        GdalErrors.Reset();
        if (GdalNative.GDALGetGeoTransform(Handle, values) != 0)
        {
            GdalErrors.Reset();
            return null;
        }

        return GeoTransform.FromArray(new ReadOnlySpan<double>(values, 6));
    }

    /// <summary>Sets the affine geotransform.</summary>
    public unsafe void SetGeoTransform(GeoTransform transform)
    {
        double[] values = transform.ToArray();
        fixed (double* pointer = values)
        {
            GdalErrors.Reset();
            GdalErrors.Check(GdalNative.GDALSetGeoTransform(Handle, pointer), $"Setting the geotransform of '{Path}'");
        }
    }

    /// <summary>The dataset's CRS (an independent copy), or null when it has none.</summary>
    public SpatialReference? GetSpatialReference() => SpatialReference.CloneFrom(GdalNative.GDALGetSpatialRef(Handle));

    /// <summary>Sets the dataset's CRS.</summary>
    public void SetSpatialReference(SpatialReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        GdalErrors.Reset();
        GdalErrors.Check(GdalNative.GDALSetSpatialRef(Handle, reference.Handle), $"Setting the CRS of '{Path}'");
    }

    /// <summary>A metadata item of the dataset (null when absent).</summary>
    public string? GetMetadataItem(string name, string? domain = null) =>
        Marshal.PtrToStringUTF8(GdalNative.GDALGetMetadataItem(Handle.DangerousGetHandle(), name, domain));

    /// <summary>Sets a metadata item of the dataset.</summary>
    public void SetMetadataItem(string name, string value, string? domain = null)
    {
        GdalErrors.Reset();
        GdalErrors.Check(GdalNative.GDALSetMetadataItem(Handle.DangerousGetHandle(), name, value, domain), $"Setting metadata {name} on '{Path}'");
        GC.KeepAlive(this);
    }

    /// <summary>All "KEY=VALUE" metadata items of a domain ("SUBDATASETS" lists the variables of a NetCDF file).</summary>
    public IReadOnlyList<string> GetMetadata(string? domain = null)
    {
        List<string> items = NativeStringList.Read(GdalNative.GDALGetMetadata(Handle.DangerousGetHandle(), domain));
        GC.KeepAlive(this);
        return items;
    }

    /// <summary>The files that make up this dataset (main file and sidecars), as GDAL reports them.</summary>
    public IReadOnlyList<string> GetFileList()
    {
        nint list = GdalNative.GDALGetFileList(Handle);
        try
        {
            return NativeStringList.Read(list);
        }
        finally
        {
            GdalNative.CSLDestroy(list);
        }
    }

    /// <summary>Writes cached blocks to the file.</summary>
    public void FlushCache()
    {
        GdalErrors.Reset();
        GdalNative.GDALFlushCache(Handle);
        GdalErrors.ThrowIfFailed($"Flushing '{Path}'");
    }

    /// <summary>
    /// Copies this dataset into a new file with a driver that supports CreateCopy (COG, PNG, JPEG, GTiff, …).
    /// Cancellation stops GDAL through its progress callback; the partial output is then deleted.
    /// </summary>
    /// <exception cref="GdalException">The driver fails.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public GdalDataset CreateCopy(string driverName, string path, IReadOnlyDictionary<string, string>? creationOptions = null,
        CancellationToken cancellationToken = default, IProgress<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        cancellationToken.ThrowIfCancellationRequested();
        nint driver = RequireDriver(driverName);
        using NativeStringList options = NativeStringList.FromOptions(creationOptions);
        using GdalProgress monitor = new(cancellationToken, progress);
        GdalErrors.Reset();
        nint pointer = GdalNative.GDALCreateCopy(driver, path, Handle, 0, options.Pointer, GdalProgress.Function, monitor.Argument);
        if (pointer == 0)
        {
            monitor.ThrowIfCancelled();
            throw GdalErrors.Failure($"Writing '{path}' with the {driverName} driver");
        }

        GdalDataset copy = new(new DatasetHandle(pointer), path);
        if (monitor.WasCancelled)
        {
            copy.Dispose();
            monitor.ThrowIfCancelled();
        }

        return copy;
    }

    /// <summary>
    /// Encodes this dataset with a CreateCopy driver (PNG, JPEG, COG, GTiff, …) into a byte array, through GDAL's
    /// in-memory file system (/vsimem/), without touching the disk.
    /// </summary>
    public byte[] EncodeToBytes(string driverName, IReadOnlyDictionary<string, string>? creationOptions = null,
        CancellationToken cancellationToken = default)
    {
        string extension = driverName.ToUpperInvariant() switch
        {
            "PNG" => ".png",
            "JPEG" => ".jpg",
            _ => ".tif",
        };
        string name = $"/vsimem/disco-{Environment.ProcessId}-{Interlocked.Increment(ref _memoryFileCounter)}{extension}";
        try
        {
            using (CreateCopy(driverName, name, creationOptions, cancellationToken))
            {
            }

            return MemoryFiles.Take(name);
        }
        finally
        {
            MemoryFiles.Delete(name);
            MemoryFiles.Delete(name + ".aux.xml");
        }
    }

    /// <summary>Vector layer <paramref name="index"/> (0-based, as in OGR).</summary>
    public OgrLayer GetLayer(int index)
    {
        int count = LayerCount;
        if (index < 0 || index >= count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"'{Path}' has {count} layer(s).");
        }

        return new OgrLayer(this, GdalNative.GDALDatasetGetLayer(Handle, index));
    }

    /// <summary>Creates a vector layer.</summary>
    public OgrLayer CreateLayer(string name, SpatialReference? reference, OgrGeometryType geometryType,
        IReadOnlyDictionary<string, string>? creationOptions = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        using NativeStringList options = NativeStringList.FromOptions(creationOptions);
        GdalErrors.Reset();
        nint srs = reference is null ? 0 : reference.Handle.DangerousGetHandle();
        nint layer = GdalNative.GDALDatasetCreateLayer(Handle, name, srs, (int)geometryType, options.Pointer);
        GC.KeepAlive(reference);
        if (layer == 0)
        {
            throw GdalErrors.Failure($"Creating layer '{name}' in '{Path}'");
        }

        return new OgrLayer(this, layer);
    }

    /// <inheritdoc />
    public void Dispose() => Handle.Dispose();

    internal static nint RequireDriver(string driverName)
    {
        GdalRuntime.EnsureInitialized();
        nint driver = GdalNative.GDALGetDriverByName(driverName);
        if (driver == 0)
        {
            throw new GdalException(
                $"GDAL {GdalRuntime.Version} has no '{driverName}' driver. Install a GDAL build that includes it " +
                "(Debian's libgdal32 has GTiff, COG, PNG, JPEG, netCDF, GeoJSON, MEM, VRT and ESRI Shapefile).");
        }

        return driver;
    }

    private static void CheckPlainFile(string path)
    {
        // GDAL connection strings (NETCDF:"…":v, /vsi…/, <VRTDataset>, HDF5:…) are left to GDAL.
        if (path.StartsWith("/vsi", StringComparison.Ordinal) || path.StartsWith('<') ||
            (path.Contains(':', StringComparison.Ordinal) && !System.IO.Path.IsPathRooted(path)))
        {
            return;
        }

        if (Directory.Exists(path))
        {
            return; // Some drivers open directories (e.g. a folder of shapefiles).
        }

        FileInfo file = new(path);
        if (!file.Exists)
        {
            throw new FileNotFoundException($"The file '{path}' does not exist.", path);
        }

        if (file.Length == 0)
        {
            throw new GdalException($"The file '{path}' is empty (0 bytes); it was probably not written completely. Provide the complete file.");
        }
    }
}

/// <summary>What kind of dataset <see cref="GdalDataset.Open"/> looks for.</summary>
public enum GdalOpenKind
{
    /// <summary>Raster drivers only.</summary>
    Raster,

    /// <summary>Vector drivers only.</summary>
    Vector,

    /// <summary>Either.</summary>
    Any,
}
