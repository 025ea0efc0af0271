using System.Runtime.InteropServices;
using Disco.Geo.Gdal.Handles;

namespace Disco.Geo.Gdal.Interop;

// ogr_srs_api.h: spatial references and coordinate transformations.
internal static partial class GdalNative
{
    internal const int OamsTraditionalGisOrder = 0;

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint OSRNewSpatialReference(string? wkt);

    [LibraryImport(Library)]
    internal static partial void OSRRelease(nint srs);

    [LibraryImport(Library)]
    internal static partial nint OSRClone(nint srs);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int OSRSetFromUserInput(SpatialReferenceHandle srs, string definition);

    [LibraryImport(Library)]
    internal static partial int OSRExportToWkt(SpatialReferenceHandle srs, out nint wkt);

    [LibraryImport(Library)]
    internal static partial int OSRExportToProj4(SpatialReferenceHandle srs, out nint proj4);

    [LibraryImport(Library)]
    internal static partial void OSRSetAxisMappingStrategy(SpatialReferenceHandle srs, int strategy);

    [LibraryImport(Library)]
    internal static partial int OSRIsGeographic(SpatialReferenceHandle srs);

    [LibraryImport(Library)]
    internal static partial int OSRIsProjected(SpatialReferenceHandle srs);

    [LibraryImport(Library)]
    internal static partial int OSRIsSame(SpatialReferenceHandle first, SpatialReferenceHandle second);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint OSRGetAuthorityName(SpatialReferenceHandle srs, string? targetKey);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint OSRGetAuthorityCode(SpatialReferenceHandle srs, string? targetKey);

    [LibraryImport(Library)]
    internal static partial int OSRAutoIdentifyEPSG(SpatialReferenceHandle srs);

    [LibraryImport(Library)]
    internal static partial nint OSRGetName(SpatialReferenceHandle srs);

    [LibraryImport(Library)]
    internal static partial double OSRGetAngularUnits(SpatialReferenceHandle srs, out nint name);

    [LibraryImport(Library)]
    internal static partial nint OCTNewCoordinateTransformation(SpatialReferenceHandle source, SpatialReferenceHandle target);

    [LibraryImport(Library)]
    internal static partial void OCTDestroyCoordinateTransformation(nint transformation);

    [LibraryImport(Library)]
    internal static unsafe partial int OCTTransform(CoordinateTransformationHandle transformation, int count, double* x, double* y, double* z);
}
