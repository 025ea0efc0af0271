using System.Runtime.InteropServices;
using Disco.Geo.Gdal.Handles;

namespace Disco.Geo.Gdal.Interop;

// gdal_utils.h (the programs as functions), gdal_alg.h (transformers, polygonize) and gdalwarper.h (the warp engine).
internal static partial class GdalNative
{
    [LibraryImport(Library)]
    internal static partial nint GDALTranslateOptionsNew(nint argv, nint forBinary);

    [LibraryImport(Library)]
    internal static partial void GDALTranslateOptionsFree(nint options);

    [LibraryImport(Library)]
    internal static partial void GDALTranslateOptionsSetProgress(UtilityOptionsHandle options, nint progress, nint progressArg);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GDALTranslate(string destination, DatasetHandle source, UtilityOptionsHandle options, out int usageError);

    [LibraryImport(Library)]
    internal static partial nint GDALWarpAppOptionsNew(nint argv, nint forBinary);

    [LibraryImport(Library)]
    internal static partial void GDALWarpAppOptionsFree(nint options);

    [LibraryImport(Library)]
    internal static partial void GDALWarpAppOptionsSetProgress(UtilityOptionsHandle options, nint progress, nint progressArg);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GDALWarp(string? destination, nint destinationDataset, int sourceCount, nint sources, UtilityOptionsHandle options, out int usageError);

    [LibraryImport(Library)]
    internal static partial nint GDALBuildVRTOptionsNew(nint argv, nint forBinary);

    [LibraryImport(Library)]
    internal static partial void GDALBuildVRTOptionsFree(nint options);

    [LibraryImport(Library)]
    internal static partial void GDALBuildVRTOptionsSetProgress(UtilityOptionsHandle options, nint progress, nint progressArg);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GDALBuildVRT(string destination, int sourceCount, nint sources, nint sourceNames, UtilityOptionsHandle options, out int usageError);

    [LibraryImport(Library)]
    internal static partial nint GDALRasterizeOptionsNew(nint argv, nint forBinary);

    [LibraryImport(Library)]
    internal static partial void GDALRasterizeOptionsFree(nint options);

    [LibraryImport(Library)]
    internal static partial void GDALRasterizeOptionsSetProgress(UtilityOptionsHandle options, nint progress, nint progressArg);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GDALRasterize(string? destination, nint destinationDataset, DatasetHandle source, UtilityOptionsHandle options, out int usageError);

    [LibraryImport(Library)]
    internal static partial int GDALPolygonize(nint band, nint maskBand, nint layer, int pixelValueField, nint options, nint progress, nint progressArg);

    [LibraryImport(Library)]
    internal static partial nint GDALCreateGenImgProjTransformer2(DatasetHandle source, nint destination, nint options);

    [LibraryImport(Library)]
    internal static partial void GDALDestroyGenImgProjTransformer(nint transformer);

    [LibraryImport(Library)]
    internal static unsafe partial int GDALGenImgProjTransform(nint transformer, int dstToSrc, int count, double* x, double* y, double* z, int* success);

    [LibraryImport(Library)]
    internal static partial nint GDALCreateWarpOptions();

    [LibraryImport(Library)]
    internal static partial void GDALDestroyWarpOptions(nint options);

    [LibraryImport(Library)]
    internal static partial void GDALWarpInitDefaultBandMapping(WarpOptionsHandle options, int bandCount);

    [LibraryImport(Library)]
    internal static partial void GDALWarpInitSrcNoDataReal(WarpOptionsHandle options, double value);

    [LibraryImport(Library)]
    internal static partial nint GDALCreateWarpOperation(WarpOptionsHandle options);

    [LibraryImport(Library)]
    internal static partial void GDALDestroyWarpOperation(nint operation);

    [LibraryImport(Library)]
    internal static partial int GDALChunkAndWarpImage(WarpOperationHandle operation, int xOff, int yOff, int xSize, int ySize);
}
