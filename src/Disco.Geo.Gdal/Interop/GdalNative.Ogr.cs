using System.Runtime.InteropServices;
using Disco.Geo.Gdal.Handles;

namespace Disco.Geo.Gdal.Interop;

// ogr_api.h and the vector part of gdal.h: layers, fields, features, geometries as WKB.
internal static partial class GdalNative
{
    internal const int WkbNdr = 1;

    [LibraryImport(Library)]
    internal static partial int GDALDatasetGetLayerCount(DatasetHandle dataset);

    [LibraryImport(Library)]
    internal static partial nint GDALDatasetGetLayer(DatasetHandle dataset, int index);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GDALDatasetCreateLayer(DatasetHandle dataset, string name, nint srs, int geometryType, nint options);

    [LibraryImport(Library)]
    internal static partial nint OGR_L_GetName(nint layer);

    [LibraryImport(Library)]
    internal static partial long OGR_L_GetFeatureCount(nint layer, int force);

    [LibraryImport(Library)]
    internal static partial void OGR_L_ResetReading(nint layer);

    [LibraryImport(Library)]
    internal static partial nint OGR_L_GetNextFeature(nint layer);

    [LibraryImport(Library)]
    internal static partial nint OGR_L_GetLayerDefn(nint layer);

    [LibraryImport(Library)]
    internal static partial nint OGR_L_GetSpatialRef(nint layer);

    [LibraryImport(Library)]
    internal static partial int OGR_L_CreateField(nint layer, FieldDefinitionHandle field, int approximateOk);

    [LibraryImport(Library)]
    internal static partial int OGR_L_CreateFeature(nint layer, FeatureHandle feature);

    [LibraryImport(Library)]
    internal static partial int OGR_L_GetGeomType(nint layer);

    [LibraryImport(Library)]
    internal static partial int OGR_FD_GetFieldCount(nint definition);

    [LibraryImport(Library)]
    internal static partial nint OGR_FD_GetFieldDefn(nint definition, int index);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int OGR_FD_GetFieldIndex(nint definition, string name);

    [LibraryImport(Library)]
    internal static partial nint OGR_Fld_GetNameRef(nint field);

    [LibraryImport(Library)]
    internal static partial int OGR_Fld_GetType(nint field);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint OGR_Fld_Create(string name, int type);

    [LibraryImport(Library)]
    internal static partial void OGR_Fld_Destroy(nint field);

    [LibraryImport(Library)]
    internal static partial nint OGR_F_Create(nint definition);

    [LibraryImport(Library)]
    internal static partial void OGR_F_Destroy(nint feature);

    [LibraryImport(Library)]
    internal static partial nint OGR_F_GetGeometryRef(FeatureHandle feature);

    [LibraryImport(Library)]
    internal static partial int OGR_F_SetGeometry(FeatureHandle feature, GeometryHandle geometry);

    [LibraryImport(Library)]
    internal static partial int OGR_F_IsFieldSetAndNotNull(FeatureHandle feature, int index);

    [LibraryImport(Library)]
    internal static partial long OGR_F_GetFieldAsInteger64(FeatureHandle feature, int index);

    [LibraryImport(Library)]
    internal static partial double OGR_F_GetFieldAsDouble(FeatureHandle feature, int index);

    [LibraryImport(Library)]
    internal static partial nint OGR_F_GetFieldAsString(FeatureHandle feature, int index);

    [LibraryImport(Library)]
    internal static partial void OGR_F_SetFieldInteger64(FeatureHandle feature, int index, long value);

    [LibraryImport(Library)]
    internal static partial void OGR_F_SetFieldDouble(FeatureHandle feature, int index, double value);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void OGR_F_SetFieldString(FeatureHandle feature, int index, string value);

    [LibraryImport(Library)]
    internal static partial int OGR_G_WkbSize(nint geometry);

    [LibraryImport(Library)]
    internal static unsafe partial int OGR_G_ExportToWkb(nint geometry, int byteOrder, byte* buffer);

    [LibraryImport(Library)]
    internal static unsafe partial int OGR_G_CreateFromWkb(byte* data, nint srs, out nint geometry, int size);

    [LibraryImport(Library)]
    internal static partial void OGR_G_DestroyGeometry(nint geometry);
}
