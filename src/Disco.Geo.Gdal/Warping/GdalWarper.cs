using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Disco.Geo.Gdal.Errors;
using Disco.Geo.Gdal.Handles;
using Disco.Geo.Gdal.Interop;
using Disco.Geo.Gdal.Utilities;

namespace Disco.Geo.Gdal.Warping;

/// <summary>
/// GDAL's warp engine (gdalwarper.h: GDALWarpOperation) driven directly, for what the gdalwarp program cannot express:
/// a destination whose pixels are not an affine grid (<see cref="IPixelMapping"/>). GDAL's general image-projection
/// transformer still does every CRS and datum conversion between source pixels and destination coordinates; our
/// mapping only adds the last step from destination coordinates to destination pixels. All of GDAL's kernels, nodata
/// handling, chunking and I/O are used unchanged.
/// </summary>
public static class GdalWarper
{
    // Source bands without a nodata value get one no integer pixel can take, so GDAL masks nothing for them.
    private const double UnmatchableIntegerNoData = -1.1e20;

    /// <summary>Warps bands of <paramref name="source"/> into bands of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">Band lists are inconsistent or out of range.</exception>
    /// <exception cref="GdalException">GDAL fails (unreadable source, no transformation between the CRSs, …).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; GDAL stops at the next chunk.</exception>
    /// <param name="source">The dataset to read.</param>
    /// <param name="destination">The dataset to write.</param>
    /// <param name="request">Bands, kernel, CRS and mapping.</param>
    /// <param name="cancellationToken">Stops GDAL at its next progress callback.</param>
    /// <param name="progress">The fraction done (0 to 1), reported synchronously from GDAL's progress callback, or null.</param>
    public static unsafe void Warp(GdalDataset source, GdalDataset destination, WarpRequest request, CancellationToken cancellationToken = default, IProgress<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(request);
        Validate(source, destination, request);
        cancellationToken.ThrowIfCancellationRequested();

        using TransformerHandle transformer = CreateTransformer(source, destination, request);
        using GdalProgress monitor = new(cancellationToken, progress);
        MappingState state = new(transformer, request.DestinationMapping);
        GCHandle stateHandle = GCHandle.Alloc(state);
        // GDAL inspects the first bytes of a transformer argument for a signature of its own transformers, so it gets a
        // zeroed native block that carries our state handle after that header.
        nint* argument = (nint*)NativeMemory.AllocZeroed(TransformerArgumentSize);
        argument[TransformerArgumentSlot] = GCHandle.ToIntPtr(stateHandle);
        bool sourceAdded = false;
        bool destinationAdded = false;
        try
        {
            source.Handle.DangerousAddRef(ref sourceAdded);
            destination.Handle.DangerousAddRef(ref destinationAdded);
            using WarpOptionsHandle options = new(GdalNative.GDALCreateWarpOptions());
            int bandCount = request.SourceBands.Count;
            GdalNative.GDALWarpInitDefaultBandMapping(options, bandCount);
            GdalWarpOptionsPrefix* prefix = (GdalWarpOptionsPrefix*)options.DangerousGetHandle();
            prefix->PapszWarpOptions = BuildWarpOptions(prefix->PapszWarpOptions, request);
            prefix->DfWarpMemoryLimit = request.MemoryLimitBytes;
            prefix->EResampleAlg = (int)request.Resampling;
            prefix->HSrcDS = source.Handle.DangerousGetHandle();
            prefix->HDstDS = destination.Handle.DangerousGetHandle();
            int* sourceBands = (int*)prefix->PanSrcBands;
            int* destinationBands = (int*)prefix->PanDstBands;
            for (int i = 0; i < bandCount; i++)
            {
                sourceBands[i] = request.SourceBands[i];
                destinationBands[i] = request.DestinationBands[i];
            }

            prefix->NSrcAlphaBand = request.SourceAlphaBand;
            prefix->PadfSrcNoDataReal = AllocateDoubles(SourceNoDataValues(source, request));
            prefix->PadfDstNoDataReal = AllocateDoubles(Enumerable.Repeat(request.DestinationNoData, bandCount).ToArray());
            prefix->PfnProgress = GdalProgress.Function;
            prefix->PProgressArg = monitor.Argument;
            prefix->PfnTransformer = (nint)(delegate* unmanaged<nint, int, int, double*, double*, double*, int*, int>)&Transform;
            prefix->PTransformerArg = (nint)argument;

            GdalErrors.Reset();
            nint operationPointer = GdalNative.GDALCreateWarpOperation(options);
            if (operationPointer == 0)
            {
                throw GdalErrors.Failure($"Setting up the warp of '{source.Path}'");
            }

            using WarpOperationHandle operation = new(operationPointer);
            (int x, int y, int width, int height) = request.DestinationWindow ?? (0, 0, destination.Width, destination.Height);
            int result = GdalNative.GDALChunkAndWarpImage(operation, x, y, width, height);
            monitor.ThrowIfCancelled();
            if (state.Failure is not null)
            {
                ExceptionDispatchInfo.Capture(state.Failure).Throw();
            }

            GdalErrors.Check(result, $"Warping '{source.Path}'");
        }
        finally
        {
            if (sourceAdded)
            {
                source.Handle.DangerousRelease();
            }

            if (destinationAdded)
            {
                destination.Handle.DangerousRelease();
            }

            NativeMemory.Free(argument);
            stateHandle.Free();
        }
    }

    private const int TransformerArgumentSlot = 8;
    private const nuint TransformerArgumentSize = 9 * 8;

    private static void Validate(GdalDataset source, GdalDataset destination, WarpRequest request)
    {
        if (request.SourceBands.Count == 0 || request.SourceBands.Count != request.DestinationBands.Count)
        {
            throw new ArgumentException(
                $"A warp needs the same non-zero number of source and destination bands ({request.SourceBands.Count} vs {request.DestinationBands.Count}).",
                nameof(request));
        }

        if (request.SourceNoData is not null && request.SourceNoData.Count != request.SourceBands.Count)
        {
            throw new ArgumentException("SourceNoData must have one entry per source band.", nameof(request));
        }

        int sourceCount = source.BandCount;
        int destinationCount = destination.BandCount;
        foreach (int band in request.SourceBands)
        {
            if (band < 1 || band > sourceCount)
            {
                throw new ArgumentException($"Source band {band} does not exist; '{source.Path}' has bands 1..{sourceCount}.", nameof(request));
            }
        }

        foreach (int band in request.DestinationBands)
        {
            if (band < 1 || band > destinationCount)
            {
                throw new ArgumentException($"Destination band {band} does not exist; the destination has bands 1..{destinationCount}.", nameof(request));
            }
        }

        if (request.SourceAlphaBand < 0 || request.SourceAlphaBand > sourceCount)
        {
            throw new ArgumentException($"Source alpha band {request.SourceAlphaBand} does not exist; '{source.Path}' has bands 1..{sourceCount}.", nameof(request));
        }

        if (request.DestinationWindow is { } window &&
            (window.X < 0 || window.Y < 0 || window.Width <= 0 || window.Height <= 0 ||
             window.X + window.Width > destination.Width || window.Y + window.Height > destination.Height))
        {
            throw new ArgumentException($"The window {window} is outside the {destination.Width}x{destination.Height} destination.", nameof(request));
        }

        if (request.DestinationMapping is not null && request.DestinationCrs is null)
        {
            throw new ArgumentException("A DestinationMapping needs a DestinationCrs.", nameof(request));
        }
    }

    private static TransformerHandle CreateTransformer(GdalDataset source, GdalDataset destination, WarpRequest request)
    {
        List<string> options = [];
        nint target = 0;
        if (request.DestinationMapping is not null)
        {
            options.Add("DST_SRS=" + request.DestinationCrs!.ToWkt());
        }
        else
        {
            target = destination.Handle.DangerousGetHandle();
            if (request.DestinationCrs is not null)
            {
                options.Add("DST_SRS=" + request.DestinationCrs.ToWkt());
            }
        }

        using NativeStringList list = new(options);
        GdalErrors.Reset();
        nint pointer = GdalNative.GDALCreateGenImgProjTransformer2(source.Handle, target, list.Pointer);
        GC.KeepAlive(destination);
        if (pointer == 0)
        {
            throw GdalErrors.Failure(
                $"Creating a transformation from '{source.Path}' to the destination grid",
                "The source needs a geotransform and a CRS (or assigned bounds and CRS).");
        }

        return new TransformerHandle(pointer);
    }

    private static nint BuildWarpOptions(nint list, WarpRequest request)
    {
        list = GdalNative.CSLSetNameValue(list, "INIT_DEST", "NO_DATA");
        list = GdalNative.CSLSetNameValue(list, "UNIFIED_SRC_NODATA", "NO");
        if (request.WarpOptions is not null)
        {
            foreach ((string key, string value) in request.WarpOptions)
            {
                list = GdalNative.CSLSetNameValue(list, key, value);
            }
        }

        return list;
    }

    private static double[] SourceNoDataValues(GdalDataset source, WarpRequest request)
    {
        double[] values = new double[request.SourceBands.Count];
        for (int i = 0; i < values.Length; i++)
        {
            double? explicitValue = request.SourceNoData?[i];
            if (explicitValue is not null)
            {
                values[i] = explicitValue.Value;
                continue;
            }

            GdalDataType type = source.GetBand(request.SourceBands[i]).DataType;
            values[i] = type is GdalDataType.Float32 or GdalDataType.Float64 ? double.NaN : UnmatchableIntegerNoData;
        }

        return values;
    }

    private static unsafe nint AllocateDoubles(double[] values)
    {
        // GDALDestroyWarpOptions frees these arrays with CPLFree, so they come from GDAL's allocator.
        double* array = (double*)GdalNative.VSIMalloc((nuint)(values.Length * sizeof(double)));
        if (array == null)
        {
            throw new OutOfMemoryException("GDAL could not allocate the nodata arrays of a warp.");
        }

        for (int i = 0; i < values.Length; i++)
        {
            array[i] = values[i];
        }

        return (nint)array;
    }

    [UnmanagedCallersOnly]
    private static unsafe int Transform(nint argument, int dstToSrc, int count, double* x, double* y, double* z, int* success)
    {
        MappingState? state = null;
        try
        {
            state = GCHandle.FromIntPtr(((nint*)argument)[TransformerArgumentSlot]).Target as MappingState;
            if (state is null)
            {
                return 0;
            }

            return state.Transform(dstToSrc != 0, count, x, y, z, success);
        }
        catch (Exception e)
        {
            if (state is not null)
            {
                state.Failure ??= e;
            }

            for (int i = 0; i < count; i++)
            {
                success[i] = 0;
            }

            return 0;
        }
    }

    /// <summary>Composes GDAL's source-pixel ↔ destination-coordinate transformer with our destination mapping.</summary>
    private sealed class MappingState(TransformerHandle transformer, IPixelMapping? mapping)
    {
        private readonly nint _transformer = transformer.DangerousGetHandle();

        internal Exception? Failure { get; set; }

        internal unsafe int Transform(bool dstToSrc, int count, double* x, double* y, double* z, int* success)
        {
            Span<double> xs = new(x, count);
            Span<double> ys = new(y, count);
            if (mapping is null)
            {
                return GdalNative.GDALGenImgProjTransform(_transformer, dstToSrc ? 1 : 0, count, x, y, z, success);
            }

            if (dstToSrc)
            {
                mapping.PixelToGeo(xs, ys);
                int result = GdalNative.GDALGenImgProjTransform(_transformer, 1, count, x, y, z, success);
                MarkNaN(count, x, y, success);
                return result;
            }

            int forward = GdalNative.GDALGenImgProjTransform(_transformer, 0, count, x, y, z, success);
            mapping.GeoToPixel(xs, ys);
            MarkNaN(count, x, y, success);
            return forward;
        }

        private static unsafe void MarkNaN(int count, double* x, double* y, int* success)
        {
            for (int i = 0; i < count; i++)
            {
                if (double.IsNaN(x[i]) || double.IsNaN(y[i]))
                {
                    success[i] = 0;
                }
            }
        }
    }
}
