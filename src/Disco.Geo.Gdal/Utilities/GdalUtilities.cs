using System.Runtime.InteropServices;
using Disco.Geo.Gdal.Errors;
using Disco.Geo.Gdal.Handles;
using Disco.Geo.Gdal.Interop;

namespace Disco.Geo.Gdal.Utilities;

/// <summary>
/// GDAL's command-line programs as functions (gdal_utils.h): gdal_translate, gdalwarp, gdalbuildvrt, gdal_rasterize,
/// and GDALPolygonize from gdal_alg.h. Arguments are exactly those of the programs (e.g. ["-of", "MEM", "-r",
/// "bilinear"]). Every call runs synchronously on the calling thread; cancellation is polled through GDAL's progress
/// callback, so a cancelled token stops the work within one chunk and throws <see cref="OperationCanceledException"/>.
/// </summary>
public static class GdalUtilities
{
    /// <summary>gdal_translate: converts or subsets <paramref name="source"/> into a new dataset ("" with -of MEM or VRT for memory).</summary>
    /// <exception cref="ArgumentException">GDAL rejects the arguments.</exception>
    /// <exception cref="GdalException">The conversion fails.</exception>
    public static GdalDataset Translate(GdalDataset source, string destination, IEnumerable<string> arguments,
        CancellationToken cancellationToken = default, IProgress<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        cancellationToken.ThrowIfCancellationRequested();
        using UtilityOptionsHandle options = CreateOptions(arguments, "gdal_translate", GdalNative.GDALTranslateOptionsNew, GdalNative.GDALTranslateOptionsFree);
        using GdalProgress monitor = new(cancellationToken, progress);
        GdalNative.GDALTranslateOptionsSetProgress(options, GdalProgress.Function, monitor.Argument);
        GdalErrors.Reset();
        nint result = GdalNative.GDALTranslate(destination, source.Handle, options, out int usageError);
        return Finish(result, usageError, monitor, $"gdal_translate of '{source.Path}' to '{destination}'", destination);
    }

    /// <summary>gdalwarp into a new dataset ("" with -of MEM for memory).</summary>
    /// <exception cref="ArgumentException">GDAL rejects the arguments.</exception>
    /// <exception cref="GdalException">The warp fails.</exception>
    public static GdalDataset Warp(IReadOnlyList<GdalDataset> sources, string destination, IEnumerable<string> arguments,
        CancellationToken cancellationToken = default, IProgress<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        nint result = WarpCore(sources, destination, null, arguments, cancellationToken, progress, out GdalProgress monitor, out int usageError);
        using (monitor)
        {
            return Finish(result, usageError, monitor, $"gdalwarp to '{destination}'", destination);
        }
    }

    /// <summary>gdalwarp into an existing dataset (its size, geotransform and CRS define the output grid).</summary>
    public static void WarpInto(IReadOnlyList<GdalDataset> sources, GdalDataset destination, IEnumerable<string> arguments,
        CancellationToken cancellationToken = default, IProgress<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        nint result = WarpCore(sources, null, destination, arguments, cancellationToken, progress, out GdalProgress monitor, out int usageError);
        using (monitor)
        {
            FinishInto(result, usageError, monitor, $"gdalwarp into '{destination.Path}'");
        }
    }

    /// <summary>gdalbuildvrt: a virtual mosaic of datasets (tiles) or bands (-separate).</summary>
    public static GdalDataset BuildVrt(string destination, IReadOnlyList<GdalDataset> sources, IEnumerable<string> arguments,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count == 0)
        {
            throw new ArgumentException("gdalbuildvrt needs at least one source.", nameof(sources));
        }

        cancellationToken.ThrowIfCancellationRequested();
        using UtilityOptionsHandle options = CreateOptions(arguments, "gdalbuildvrt", GdalNative.GDALBuildVRTOptionsNew, GdalNative.GDALBuildVRTOptionsFree);
        using GdalProgress monitor = new(cancellationToken);
        GdalNative.GDALBuildVRTOptionsSetProgress(options, GdalProgress.Function, monitor.Argument);
        nint[] handles = AddRefAll(sources);
        try
        {
            unsafe
            {
                fixed (nint* array = handles)
                {
                    GdalErrors.Reset();
                    nint result = GdalNative.GDALBuildVRT(destination, handles.Length, (nint)array, 0, options, out int usageError);
                    return Finish(result, usageError, monitor, $"gdalbuildvrt of {sources.Count} source(s)", destination);
                }
            }
        }
        finally
        {
            ReleaseAll(sources);
        }
    }

    /// <summary>gdalbuildvrt from file names (GDAL opens them lazily, so thousands of tiles are fine).</summary>
    public static GdalDataset BuildVrt(string destination, IReadOnlyList<string> sourcePaths, IEnumerable<string> arguments,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(sourcePaths);
        if (sourcePaths.Count == 0)
        {
            throw new ArgumentException("gdalbuildvrt needs at least one source.", nameof(sourcePaths));
        }

        GdalRuntime.EnsureInitialized();
        cancellationToken.ThrowIfCancellationRequested();
        using UtilityOptionsHandle options = CreateOptions(arguments, "gdalbuildvrt", GdalNative.GDALBuildVRTOptionsNew, GdalNative.GDALBuildVRTOptionsFree);
        using GdalProgress monitor = new(cancellationToken);
        GdalNative.GDALBuildVRTOptionsSetProgress(options, GdalProgress.Function, monitor.Argument);
        using NativeStringList names = new(sourcePaths);
        GdalErrors.Reset();
        nint result = GdalNative.GDALBuildVRT(destination, sourcePaths.Count, 0, names.Pointer, options, out int usageError);
        return Finish(result, usageError, monitor, $"gdalbuildvrt of {sourcePaths.Count} file(s)", destination);
    }

    /// <summary>gdal_rasterize into a new raster (needs -tr or -ts and usually -te, -ot, -burn or -a).</summary>
    public static GdalDataset Rasterize(GdalDataset vectorSource, string destination, IEnumerable<string> arguments,
        CancellationToken cancellationToken = default, IProgress<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(vectorSource);
        ArgumentNullException.ThrowIfNull(destination);
        cancellationToken.ThrowIfCancellationRequested();
        using UtilityOptionsHandle options = CreateOptions(arguments, "gdal_rasterize", GdalNative.GDALRasterizeOptionsNew, GdalNative.GDALRasterizeOptionsFree);
        using GdalProgress monitor = new(cancellationToken, progress);
        GdalNative.GDALRasterizeOptionsSetProgress(options, GdalProgress.Function, monitor.Argument);
        GdalErrors.Reset();
        nint result = GdalNative.GDALRasterize(destination, 0, vectorSource.Handle, options, out int usageError);
        return Finish(result, usageError, monitor, $"gdal_rasterize of '{vectorSource.Path}'", destination);
    }

    /// <summary>gdal_rasterize into an existing raster (burns into its bands).</summary>
    public static void RasterizeInto(GdalDataset vectorSource, GdalDataset destination, IEnumerable<string> arguments,
        CancellationToken cancellationToken = default, IProgress<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(vectorSource);
        ArgumentNullException.ThrowIfNull(destination);
        cancellationToken.ThrowIfCancellationRequested();
        using UtilityOptionsHandle options = CreateOptions(arguments, "gdal_rasterize", GdalNative.GDALRasterizeOptionsNew, GdalNative.GDALRasterizeOptionsFree);
        using GdalProgress monitor = new(cancellationToken, progress);
        GdalNative.GDALRasterizeOptionsSetProgress(options, GdalProgress.Function, monitor.Argument);
        bool added = false;
        destination.Handle.DangerousAddRef(ref added);
        try
        {
            GdalErrors.Reset();
            nint result = GdalNative.GDALRasterize(null, destination.Handle.DangerousGetHandle(), vectorSource.Handle, options, out int usageError);
            FinishInto(result, usageError, monitor, $"gdal_rasterize of '{vectorSource.Path}' into '{destination.Path}'");
        }
        finally
        {
            if (added)
            {
                destination.Handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// GDALPolygonize: one polygon feature per connected region of equal value of <paramref name="band"/> (pixels where
    /// <paramref name="mask"/> is 0 are skipped), written to <paramref name="layer"/> with the value in field
    /// <paramref name="valueFieldIndex"/>.
    /// </summary>
    public static void Polygonize(GdalBand band, GdalBand? mask, OgrLayer layer, int valueFieldIndex, bool eightConnected = false,
        CancellationToken cancellationToken = default, IProgress<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(band);
        ArgumentNullException.ThrowIfNull(layer);
        cancellationToken.ThrowIfCancellationRequested();
        using NativeStringList options = new(eightConnected ? ["8CONNECTED=8"] : null);
        using GdalProgress monitor = new(cancellationToken, progress);
        GdalErrors.Reset();
        int result = GdalNative.GDALPolygonize(band.Pointer, mask?.Pointer ?? 0, layer.Pointer, valueFieldIndex, options.Pointer,
            GdalProgress.Function, monitor.Argument);
        GC.KeepAlive(band.Dataset);
        GC.KeepAlive(mask?.Dataset);
        GC.KeepAlive(layer.Dataset);
        monitor.ThrowIfCancelled();
        GdalErrors.Check(result, "GDALPolygonize");
    }

    private static nint WarpCore(IReadOnlyList<GdalDataset> sources, string? destination, GdalDataset? destinationDataset,
        IEnumerable<string> arguments, CancellationToken cancellationToken, IProgress<double>? progress, out GdalProgress monitor, out int usageError)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count == 0)
        {
            throw new ArgumentException("gdalwarp needs at least one source.", nameof(sources));
        }

        cancellationToken.ThrowIfCancellationRequested();
        using UtilityOptionsHandle options = CreateOptions(arguments, "gdalwarp", GdalNative.GDALWarpAppOptionsNew, GdalNative.GDALWarpAppOptionsFree);
        monitor = new GdalProgress(cancellationToken, progress);
        GdalNative.GDALWarpAppOptionsSetProgress(options, GdalProgress.Function, monitor.Argument);
        nint[] handles = AddRefAll(sources);
        bool addedDestination = false;
        destinationDataset?.Handle.DangerousAddRef(ref addedDestination);
        try
        {
            unsafe
            {
                fixed (nint* array = handles)
                {
                    GdalErrors.Reset();
                    nint target = destinationDataset?.Handle.DangerousGetHandle() ?? 0;
                    return GdalNative.GDALWarp(destination, target, handles.Length, (nint)array, options, out usageError);
                }
            }
        }
        finally
        {
            ReleaseAll(sources);
            if (addedDestination)
            {
                destinationDataset!.Handle.DangerousRelease();
            }
        }
    }

    private static UtilityOptionsHandle CreateOptions(IEnumerable<string> arguments, string program,
        Func<nint, nint, nint> create, Action<nint> free)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        GdalRuntime.EnsureInitialized();
        string[] argv = arguments.ToArray();
        using NativeStringList list = new(argv);
        GdalErrors.Reset();
        nint options = create(list.Pointer, 0);
        if (options == 0)
        {
            GdalException failure = GdalErrors.Failure($"Parsing the {program} arguments '{string.Join(' ', argv)}'");
            throw new ArgumentException(failure.Message, nameof(arguments), failure);
        }

        return new UtilityOptionsHandle(options, free);
    }

    private static GdalDataset Finish(nint result, int usageError, GdalProgress monitor, string operation, string destination)
    {
        if (result == 0)
        {
            monitor.ThrowIfCancelled();
            if (usageError != 0)
            {
                GdalException failure = GdalErrors.Failure(operation);
                throw new ArgumentException(failure.Message, nameof(result), failure);
            }

            throw GdalErrors.Failure(operation);
        }

        GdalDataset dataset = new(new DatasetHandle(result), destination);
        if (monitor.WasCancelled)
        {
            dataset.Dispose();
            monitor.ThrowIfCancelled();
        }

        return dataset;
    }

    private static void FinishInto(nint result, int usageError, GdalProgress monitor, string operation)
    {
        // With an existing destination GDAL returns that same handle, which stays owned by the caller.
        monitor.ThrowIfCancelled();
        if (result == 0 || GdalErrors.HasFailure())
        {
            if (usageError != 0)
            {
                GdalException failure = GdalErrors.Failure(operation);
                throw new ArgumentException(failure.Message, nameof(result), failure);
            }

            throw GdalErrors.Failure(operation);
        }
    }

    private static nint[] AddRefAll(IReadOnlyList<GdalDataset> sources)
    {
        nint[] handles = new nint[sources.Count];
        for (int i = 0; i < sources.Count; i++)
        {
            bool added = false;
            sources[i].Handle.DangerousAddRef(ref added);
            handles[i] = sources[i].Handle.DangerousGetHandle();
        }

        return handles;
    }

    private static void ReleaseAll(IReadOnlyList<GdalDataset> sources)
    {
        foreach (GdalDataset source in sources)
        {
            source.Handle.DangerousRelease();
        }
    }
}
