using System.Runtime.InteropServices;
using Disco.Geo.Gdal.Handles;

namespace Disco.Geo.Gdal.Interop;

// gdal.h: drivers, datasets, bands, colour tables, masks.
internal static partial class GdalNative
{
    internal const uint OfReadOnly = 0x00;
    internal const uint OfUpdate = 0x01;
    internal const uint OfRaster = 0x02;
    internal const uint OfVector = 0x04;
    internal const uint OfVerboseError = 0x40;

    internal const int GfRead = 0;
    internal const int GfWrite = 1;

    [LibraryImport(Library)]
    internal static partial void GDALAllRegister();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GDALOpenEx(string fileName, uint openFlags, nint allowedDrivers, nint openOptions, nint siblingFiles);

    [LibraryImport(Library)]
    internal static partial void GDALClose(nint dataset);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GDALGetDriverByName(string name);

    [LibraryImport(Library)]
    internal static partial nint GDALGetDriverShortName(nint driver);

    [LibraryImport(Library)]
    internal static partial nint GDALGetDatasetDriver(DatasetHandle dataset);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GDALCreate(nint driver, string fileName, int xSize, int ySize, int bands, int dataType, nint options);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GDALCreateCopy(nint driver, string fileName, DatasetHandle source, int strict, nint options, nint progress, nint progressArg);

    [LibraryImport(Library)]
    internal static partial int GDALGetRasterXSize(DatasetHandle dataset);

    [LibraryImport(Library)]
    internal static partial int GDALGetRasterYSize(DatasetHandle dataset);

    [LibraryImport(Library)]
    internal static partial int GDALGetRasterCount(DatasetHandle dataset);

    [LibraryImport(Library)]
    internal static partial nint GDALGetRasterBand(DatasetHandle dataset, int band);

    [LibraryImport(Library)]
    internal static unsafe partial int GDALGetGeoTransform(DatasetHandle dataset, double* transform);

    [LibraryImport(Library)]
    internal static unsafe partial int GDALSetGeoTransform(DatasetHandle dataset, double* transform);

    [LibraryImport(Library)]
    internal static partial nint GDALGetSpatialRef(DatasetHandle dataset);

    [LibraryImport(Library)]
    internal static partial int GDALSetSpatialRef(DatasetHandle dataset, SpatialReferenceHandle srs);

    [LibraryImport(Library)]
    internal static partial nint GDALGetFileList(DatasetHandle dataset);

    [LibraryImport(Library)]
    internal static partial void GDALFlushCache(DatasetHandle dataset);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GDALGetMetadataItem(nint majorObject, string name, string? domain);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int GDALSetMetadataItem(nint majorObject, string name, string? value, string? domain);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GDALGetMetadata(nint majorObject, string? domain);

    [LibraryImport(Library)]
    internal static partial nint GDALGetDescription(nint majorObject);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void GDALSetDescription(nint majorObject, string description);

    [LibraryImport(Library)]
    internal static partial int GDALGetDataTypeSizeBytes(int dataType);

    // Bands (borrowed pointers owned by their dataset).
    [LibraryImport(Library)]
    internal static partial int GDALGetRasterDataType(nint band);

    [LibraryImport(Library)]
    internal static partial int GDALRasterIO(nint band, int readWrite, int xOff, int yOff, int xSize, int ySize, nint buffer, int bufXSize, int bufYSize, int bufType, int pixelSpace, int lineSpace);

    [LibraryImport(Library)]
    internal static partial double GDALGetRasterNoDataValue(nint band, out int success);

    [LibraryImport(Library)]
    internal static partial int GDALSetRasterNoDataValue(nint band, double value);

    [LibraryImport(Library)]
    internal static partial double GDALGetRasterScale(nint band, out int success);

    [LibraryImport(Library)]
    internal static partial double GDALGetRasterOffset(nint band, out int success);

    [LibraryImport(Library)]
    internal static partial int GDALSetRasterScale(nint band, double scale);

    [LibraryImport(Library)]
    internal static partial int GDALSetRasterOffset(nint band, double offset);

    [LibraryImport(Library)]
    internal static partial nint GDALGetRasterUnitType(nint band);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int GDALSetRasterUnitType(nint band, string unit);

    [LibraryImport(Library)]
    internal static partial int GDALGetRasterColorInterpretation(nint band);

    [LibraryImport(Library)]
    internal static partial int GDALSetRasterColorInterpretation(nint band, int interpretation);

    [LibraryImport(Library)]
    internal static partial nint GDALGetRasterColorTable(nint band);

    [LibraryImport(Library)]
    internal static partial int GDALSetRasterColorTable(nint band, ColorTableHandle table);

    [LibraryImport(Library)]
    internal static partial nint GDALGetRasterCategoryNames(nint band);

    [LibraryImport(Library)]
    internal static partial int GDALSetRasterCategoryNames(nint band, nint names);

    // Raster attribute tables (gdal_rat.h): the thematic legend QGIS and ArcGIS read beside the category names.
    [LibraryImport(Library)]
    internal static partial nint GDALCreateRasterAttributeTable();

    [LibraryImport(Library)]
    internal static partial void GDALDestroyRasterAttributeTable(nint table);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int GDALRATCreateColumn(RasterAttributeTableHandle table, string name, int type, int usage);

    [LibraryImport(Library)]
    internal static partial int GDALRATSetTableType(RasterAttributeTableHandle table, int type);

    [LibraryImport(Library)]
    internal static partial void GDALRATSetRowCount(RasterAttributeTableHandle table, int rows);

    [LibraryImport(Library)]
    internal static partial void GDALRATSetValueAsInt(RasterAttributeTableHandle table, int row, int field, int value);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void GDALRATSetValueAsString(RasterAttributeTableHandle table, int row, int field, string value);

    [LibraryImport(Library)]
    internal static partial int GDALSetDefaultRAT(nint band, RasterAttributeTableHandle table);

    [LibraryImport(Library)]
    internal static partial nint GDALGetDefaultRAT(nint band);

    [LibraryImport(Library)]
    internal static partial int GDALRATGetColumnCount(nint table);

    [LibraryImport(Library)]
    internal static partial int GDALRATGetRowCount(nint table);

    [LibraryImport(Library)]
    internal static partial nint GDALRATGetNameOfCol(nint table, int column);

    [LibraryImport(Library)]
    internal static partial int GDALRATGetUsageOfCol(nint table, int column);

    [LibraryImport(Library)]
    internal static partial nint GDALRATGetValueAsString(nint table, int row, int column);

    [LibraryImport(Library)]
    internal static partial nint GDALGetMaskBand(nint band);

    [LibraryImport(Library)]
    internal static partial int GDALGetMaskFlags(nint band);

    [LibraryImport(Library)]
    internal static partial int GDALGetOverviewCount(nint band);

    [LibraryImport(Library)]
    internal static partial void GDALGetBlockSize(nint band, out int xSize, out int ySize);

    [LibraryImport(Library)]
    internal static partial nint GDALCreateColorTable(int paletteInterpretation);

    [LibraryImport(Library)]
    internal static partial void GDALDestroyColorTable(nint table);

    [LibraryImport(Library)]
    internal static partial int GDALGetColorEntryCount(nint table);

    [LibraryImport(Library)]
    internal static unsafe partial NativeColorEntry* GDALGetColorEntry(nint table, int index);

    [LibraryImport(Library)]
    internal static unsafe partial void GDALSetColorEntry(ColorTableHandle table, int index, NativeColorEntry* entry);
}
