using System.Runtime.InteropServices;
using Disco.Geo.Gdal.Errors;
using Disco.Geo.Gdal.Handles;
using Disco.Geo.Gdal.Interop;

namespace Disco.Geo.Gdal;

/// <summary>
/// One raster band of a <see cref="GdalDataset"/>. GDAL owns the band; this object keeps its dataset alive and becomes
/// unusable when the dataset is disposed.
/// </summary>
public sealed class GdalBand
{
    private readonly GdalDataset _dataset;
    private readonly nint _band;

    internal GdalBand(GdalDataset dataset, nint band, int index)
    {
        _dataset = dataset;
        _band = band;
        Index = index;
    }

    /// <summary>1-based band number.</summary>
    public int Index { get; }

    /// <summary>Pixel data type; <see cref="GdalDataType.Unknown"/> for types this binding does not map.</summary>
    public GdalDataType DataType
    {
        get
        {
            int type = GdalNative.GDALGetRasterDataType(Pointer);
            return type is >= 1 and <= 7 ? (GdalDataType)type : GdalDataType.Unknown;
        }
    }

    /// <summary>The nodata value, or null when the band has none.</summary>
    public double? NoDataValue
    {
        get
        {
            double value = GdalNative.GDALGetRasterNoDataValue(Pointer, out int success);
            return success != 0 ? value : null;
        }

        set
        {
            if (value is null)
            {
                throw new ArgumentNullException(nameof(value), "Removing a nodata value is not supported; create the band without one.");
            }

            GdalErrors.Reset();
            GdalErrors.Check(GdalNative.GDALSetRasterNoDataValue(Pointer, value.Value), $"Setting nodata on band {Index} of '{_dataset.Path}'");
        }
    }

    /// <summary>Scale applied to stored values (value = stored·Scale + Offset); 1 when not set.</summary>
    public double Scale
    {
        get
        {
            double value = GdalNative.GDALGetRasterScale(Pointer, out int success);
            return success != 0 ? value : 1.0;
        }

        set
        {
            GdalErrors.Reset();
            GdalErrors.Check(GdalNative.GDALSetRasterScale(Pointer, value), $"Setting the scale of band {Index}");
        }
    }

    /// <summary>Offset applied to stored values; 0 when not set.</summary>
    public double Offset
    {
        get
        {
            double value = GdalNative.GDALGetRasterOffset(Pointer, out int success);
            return success != 0 ? value : 0.0;
        }

        set
        {
            GdalErrors.Reset();
            GdalErrors.Check(GdalNative.GDALSetRasterOffset(Pointer, value), $"Setting the offset of band {Index}");
        }
    }

    /// <summary>The band description (GeoTIFF stores it in GDAL_METADATA; QGIS shows it as the band name).</summary>
    public string Description
    {
        get => Marshal.PtrToStringUTF8(GdalNative.GDALGetDescription(Pointer)) ?? string.Empty;
        set
        {
            GdalErrors.Reset();
            GdalNative.GDALSetDescription(Pointer, value ?? string.Empty);
            GdalErrors.ThrowIfFailed($"Setting the description of band {Index}");
        }
    }

    /// <summary>The unit of the values, e.g. "m" (empty when unknown).</summary>
    public string Unit
    {
        get => Marshal.PtrToStringUTF8(GdalNative.GDALGetRasterUnitType(Pointer)) ?? string.Empty;
        set
        {
            GdalErrors.Reset();
            GdalErrors.Check(GdalNative.GDALSetRasterUnitType(Pointer, value ?? string.Empty), $"Setting the unit of band {Index}");
        }
    }

    /// <summary>Colour interpretation of the band.</summary>
    public ColorInterpretation ColorInterpretation
    {
        get
        {
            int value = GdalNative.GDALGetRasterColorInterpretation(Pointer);
            return value is >= 0 and <= 6 ? (ColorInterpretation)value : ColorInterpretation.Undefined;
        }

        set
        {
            GdalErrors.Reset();
            GdalErrors.Check(GdalNative.GDALSetRasterColorInterpretation(Pointer, (int)value), $"Setting the colour interpretation of band {Index}");
        }
    }

    /// <summary>GDAL mask flags (GMF_ALL_VALID 1, GMF_PER_DATASET 2, GMF_ALPHA 4, GMF_NODATA 8).</summary>
    public int MaskFlags => GdalNative.GDALGetMaskFlags(Pointer);

    /// <summary>Number of overviews (reduced-resolution copies) of the band.</summary>
    public int OverviewCount => GdalNative.GDALGetOverviewCount(Pointer);

    /// <summary>The natural block size (tile or strip) of the band.</summary>
    public (int Width, int Height) BlockSize
    {
        get
        {
            GdalNative.GDALGetBlockSize(Pointer, out int width, out int height);
            return (width, height);
        }
    }

    /// <summary>The band's mask (validity) band: 255 valid, 0 invalid.</summary>
    public GdalBand GetMaskBand() => new(_dataset, GdalNative.GDALGetMaskBand(Pointer), 0);

    /// <summary>The colour table (RGBA), or null when the band has none.</summary>
    public unsafe IReadOnlyList<ColorEntry>? GetColorTable()
    {
        nint table = GdalNative.GDALGetRasterColorTable(Pointer);
        if (table == 0)
        {
            return null;
        }

        int count = GdalNative.GDALGetColorEntryCount(table);
        ColorEntry[] entries = new ColorEntry[count];
        for (int i = 0; i < count; i++)
        {
            NativeColorEntry* entry = GdalNative.GDALGetColorEntry(table, i);
            entries[i] = new ColorEntry((byte)entry->C1, (byte)entry->C2, (byte)entry->C3, (byte)entry->C4);
        }

        GC.KeepAlive(_dataset);
        return entries;
    }

    /// <summary>Sets an RGBA colour table (entry i is the colour of value i) and marks the band as palette-indexed.</summary>
    public unsafe void SetColorTable(IReadOnlyList<ColorEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        using ColorTableHandle table = new(GdalNative.GDALCreateColorTable(1));
        for (int i = 0; i < entries.Count; i++)
        {
            NativeColorEntry native = new() { C1 = entries[i].Red, C2 = entries[i].Green, C3 = entries[i].Blue, C4 = entries[i].Alpha };
            GdalNative.GDALSetColorEntry(table, i, &native);
        }

        GdalErrors.Reset();
        GdalErrors.Check(GdalNative.GDALSetRasterColorTable(Pointer, table), $"Setting the colour table of band {Index}");
    }

    /// <summary>Category names (entry i names value i), or an empty list.</summary>
    public IReadOnlyList<string> GetCategoryNames()
    {
        // GDAL 3.6's GTiff driver reads the .aux.xml sidecar lazily and its GetCategoryNames does not trigger that
        // (asked first, it answers none); asking for the attribute table does.
        GdalNative.GDALGetDefaultRAT(Pointer);
        List<string> names = NativeStringList.Read(GdalNative.GDALGetRasterCategoryNames(Pointer));
        GC.KeepAlive(_dataset);
        return names;
    }

    /// <summary>Sets category names (entry i names value i).</summary>
    public void SetCategoryNames(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        using NativeStringList list = new(names);
        GdalErrors.Reset();
        GdalErrors.Check(GdalNative.GDALSetRasterCategoryNames(Pointer, list.Pointer), $"Setting the category names of band {Index}");
    }

    /// <summary>
    /// Sets a thematic raster attribute table with one row per class: Value (the pixel value), Class (the name), Red,
    /// Green, Blue and Alpha. GeoTIFF keeps it, like the category names, in GDAL's .aux.xml sidecar.
    /// </summary>
    public void SetClassAttributeTable(IReadOnlyList<RasterClassRow> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        using RasterAttributeTableHandle table = new(GdalNative.GDALCreateRasterAttributeTable());
        GdalErrors.Reset();
        GdalErrors.Check(GdalNative.GDALRATSetTableType(table, 0), $"Making the attribute table of band {Index} thematic");
        (string Name, int Type, RasterAttributeUsage Usage)[] columns =
        [
            ("Value", 0, RasterAttributeUsage.MinMax), ("Class", 2, RasterAttributeUsage.Name), ("Red", 0, RasterAttributeUsage.Red),
            ("Green", 0, RasterAttributeUsage.Green), ("Blue", 0, RasterAttributeUsage.Blue), ("Alpha", 0, RasterAttributeUsage.Alpha),
        ];
        foreach ((string name, int type, RasterAttributeUsage usage) in columns)
        {
            GdalErrors.Check(GdalNative.GDALRATCreateColumn(table, name, type, (int)usage), $"Adding column {name} to the attribute table of band {Index}");
        }

        GdalNative.GDALRATSetRowCount(table, classes.Count);
        for (int row = 0; row < classes.Count; row++)
        {
            RasterClassRow item = classes[row];
            GdalNative.GDALRATSetValueAsInt(table, row, 0, item.Value);
            GdalNative.GDALRATSetValueAsString(table, row, 1, item.Name);
            GdalNative.GDALRATSetValueAsInt(table, row, 2, item.Color.Red);
            GdalNative.GDALRATSetValueAsInt(table, row, 3, item.Color.Green);
            GdalNative.GDALRATSetValueAsInt(table, row, 4, item.Color.Blue);
            GdalNative.GDALRATSetValueAsInt(table, row, 5, item.Color.Alpha);
        }

        GdalErrors.Check(GdalNative.GDALSetDefaultRAT(Pointer, table), $"Setting the attribute table of band {Index}");
    }

    /// <summary>The band's raster attribute table, or null when it has none.</summary>
    public RasterAttributeTable? GetAttributeTable()
    {
        nint table = GdalNative.GDALGetDefaultRAT(Pointer);
        if (table == 0)
        {
            GC.KeepAlive(_dataset);
            return null;
        }

        int columnCount = GdalNative.GDALRATGetColumnCount(table);
        var columns = new List<(string, RasterAttributeUsage)>(columnCount);
        for (int c = 0; c < columnCount; c++)
        {
            columns.Add((Marshal.PtrToStringUTF8(GdalNative.GDALRATGetNameOfCol(table, c)) ?? string.Empty, (RasterAttributeUsage)GdalNative.GDALRATGetUsageOfCol(table, c)));
        }

        int rowCount = GdalNative.GDALRATGetRowCount(table);
        var rows = new List<IReadOnlyList<string>>(rowCount);
        for (int r = 0; r < rowCount; r++)
        {
            string[] cells = new string[columnCount];
            for (int c = 0; c < columnCount; c++)
            {
                cells[c] = Marshal.PtrToStringUTF8(GdalNative.GDALRATGetValueAsString(table, r, c)) ?? string.Empty;
            }

            rows.Add(cells);
        }

        GC.KeepAlive(_dataset);
        return new RasterAttributeTable(columns, rows);
    }

    /// <summary>A metadata item of the band (null when absent).</summary>
    public string? GetMetadataItem(string name, string? domain = null) =>
        Marshal.PtrToStringUTF8(GdalNative.GDALGetMetadataItem(Pointer, name, domain));

    /// <summary>Sets a metadata item of the band.</summary>
    public void SetMetadataItem(string name, string value, string? domain = null)
    {
        GdalErrors.Reset();
        GdalErrors.Check(GdalNative.GDALSetMetadataItem(Pointer, name, value, domain), $"Setting metadata {name} on band {Index}");
    }

    /// <summary>
    /// Reads a window into <paramref name="buffer"/> (row-major, bufferWidth × bufferHeight), converting to the type of
    /// <typeparamref name="T"/> (byte, short, ushort, int, uint, float, double). A buffer smaller than the window makes
    /// GDAL decimate (nearest, or from overviews).
    /// </summary>
    /// <exception cref="GdalException">The read failed (truncated or corrupt file, I/O error).</exception>
    public unsafe void Read<T>(Span<T> buffer, int x, int y, int width, int height, int bufferWidth, int bufferHeight)
        where T : unmanaged
    {
        CheckWindow(x, y, width, height, bufferWidth, bufferHeight, buffer.Length);
        fixed (T* pointer = buffer)
        {
            GdalErrors.Reset();
            int result = GdalNative.GDALRasterIO(Pointer, GdalNative.GfRead, x, y, width, height, (nint)pointer,
                bufferWidth, bufferHeight, (int)TypeOf<T>(), 0, 0);
            GdalErrors.Check(result, $"Reading band {Index} of '{_dataset.Path}' (window {x},{y} {width}x{height})",
                "The file may be truncated or corrupt.");
        }

        GC.KeepAlive(_dataset);
    }

    /// <summary>Reads a window at full resolution.</summary>
    public void Read<T>(Span<T> buffer, int x, int y, int width, int height)
        where T : unmanaged =>
        Read(buffer, x, y, width, height, width, height);

    /// <summary>Writes a window from <paramref name="buffer"/> (row-major, width × height).</summary>
    public unsafe void Write<T>(ReadOnlySpan<T> buffer, int x, int y, int width, int height)
        where T : unmanaged
    {
        CheckWindow(x, y, width, height, width, height, buffer.Length);
        fixed (T* pointer = buffer)
        {
            GdalErrors.Reset();
            int result = GdalNative.GDALRasterIO(Pointer, GdalNative.GfWrite, x, y, width, height, (nint)pointer,
                width, height, (int)TypeOf<T>(), 0, 0);
            GdalErrors.Check(result, $"Writing band {Index} of '{_dataset.Path}'");
        }

        GC.KeepAlive(_dataset);
    }

    internal nint Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_dataset.Handle.IsClosed, _dataset);
            return _band;
        }
    }

    internal GdalDataset Dataset => _dataset;

    internal static GdalDataType TypeOf<T>()
        where T : unmanaged
    {
        if (typeof(T) == typeof(byte))
        {
            return GdalDataType.Byte;
        }

        if (typeof(T) == typeof(ushort))
        {
            return GdalDataType.UInt16;
        }

        if (typeof(T) == typeof(short))
        {
            return GdalDataType.Int16;
        }

        if (typeof(T) == typeof(uint))
        {
            return GdalDataType.UInt32;
        }

        if (typeof(T) == typeof(int))
        {
            return GdalDataType.Int32;
        }

        if (typeof(T) == typeof(float))
        {
            return GdalDataType.Float32;
        }

        if (typeof(T) == typeof(double))
        {
            return GdalDataType.Float64;
        }

        throw new NotSupportedException($"Pixel buffers of {typeof(T).Name} are not supported; use byte, short, ushort, int, uint, float or double.");
    }

    private void CheckWindow(int x, int y, int width, int height, int bufferWidth, int bufferHeight, int bufferLength)
    {
        int rasterWidth = _dataset.Width;
        int rasterHeight = _dataset.Height;
        if (x < 0 || y < 0 || width <= 0 || height <= 0 || (long)x + width > rasterWidth || (long)y + height > rasterHeight)
        {
            throw new ArgumentOutOfRangeException(nameof(x),
                $"Window {x},{y} {width}x{height} is outside the {rasterWidth}x{rasterHeight} raster '{_dataset.Path}'.");
        }

        if (bufferWidth <= 0 || bufferHeight <= 0 || (long)bufferWidth * bufferHeight > bufferLength)
        {
            throw new ArgumentException(
                $"The buffer holds {bufferLength} values but {bufferWidth}x{bufferHeight} = {(long)bufferWidth * bufferHeight} are needed.");
        }
    }
}
