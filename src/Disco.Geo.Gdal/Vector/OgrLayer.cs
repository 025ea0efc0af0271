using System.Runtime.InteropServices;
using Disco.Geo.Gdal.Errors;
using Disco.Geo.Gdal.Handles;
using Disco.Geo.Gdal.Interop;

namespace Disco.Geo.Gdal;

/// <summary>
/// A vector layer of a <see cref="GdalDataset"/>. Geometries cross the boundary as ISO WKB (little endian), which any
/// geometry library reads (NetTopologySuite's WKBReader/WKBWriter in Disco.Geo.Raster).
/// </summary>
public sealed class OgrLayer
{
    private readonly GdalDataset _dataset;
    private readonly nint _layer;

    internal OgrLayer(GdalDataset dataset, nint layer)
    {
        _dataset = dataset;
        _layer = layer;
    }

    /// <summary>Layer name.</summary>
    public string Name => Marshal.PtrToStringUTF8(GdalNative.OGR_L_GetName(Pointer)) ?? string.Empty;

    /// <summary>Number of features (may scan the layer).</summary>
    public long FeatureCount => GdalNative.OGR_L_GetFeatureCount(Pointer, 1);

    /// <summary>The declared geometry type of the layer.</summary>
    public OgrGeometryType GeometryType => (OgrGeometryType)GdalNative.OGR_L_GetGeomType(Pointer);

    /// <summary>Field names and types, in order.</summary>
    public IReadOnlyList<(string Name, OgrFieldType Type)> Fields
    {
        get
        {
            nint definition = GdalNative.OGR_L_GetLayerDefn(Pointer);
            int count = GdalNative.OGR_FD_GetFieldCount(definition);
            List<(string, OgrFieldType)> fields = new(count);
            for (int i = 0; i < count; i++)
            {
                nint fieldDefinition = GdalNative.OGR_FD_GetFieldDefn(definition, i);
                fields.Add((Marshal.PtrToStringUTF8(GdalNative.OGR_Fld_GetNameRef(fieldDefinition)) ?? string.Empty,
                    (OgrFieldType)GdalNative.OGR_Fld_GetType(fieldDefinition)));
            }

            GC.KeepAlive(_dataset);
            return fields;
        }
    }

    /// <summary>The layer's CRS (an independent copy), or null.</summary>
    public SpatialReference? GetSpatialReference() => SpatialReference.CloneFrom(GdalNative.OGR_L_GetSpatialRef(Pointer));

    /// <summary>Adds a field.</summary>
    public void CreateField(string name, OgrFieldType type)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        using FieldDefinitionHandle field = new(GdalNative.OGR_Fld_Create(name, (int)type));
        GdalErrors.Reset();
        GdalErrors.Check(GdalNative.OGR_L_CreateField(Pointer, field, 1), $"Creating field '{name}' in layer '{Name}'");
    }

    /// <summary>
    /// Adds a feature with a WKB geometry (or none) and field values (long/int, double, string; null leaves a field unset).
    /// </summary>
    public unsafe void AddFeature(ReadOnlySpan<byte> wellKnownBinary, IReadOnlyDictionary<string, object?>? fields = null)
    {
        nint definition = GdalNative.OGR_L_GetLayerDefn(Pointer);
        using FeatureHandle feature = new(GdalNative.OGR_F_Create(definition));
        if (!wellKnownBinary.IsEmpty)
        {
            nint geometryPointer;
            int result;
            fixed (byte* data = wellKnownBinary)
            {
                GdalErrors.Reset();
                result = GdalNative.OGR_G_CreateFromWkb(data, 0, out geometryPointer, wellKnownBinary.Length);
            }

            GdalErrors.Check(result, $"Parsing a WKB geometry for layer '{Name}'");
            using GeometryHandle geometry = new(geometryPointer);
            GdalErrors.Check(GdalNative.OGR_F_SetGeometry(feature, geometry), $"Setting a feature geometry in layer '{Name}'");
        }

        if (fields is not null)
        {
            foreach ((string name, object? value) in fields)
            {
                int index = GdalNative.OGR_FD_GetFieldIndex(definition, name);
                if (index < 0)
                {
                    throw new ArgumentException($"Layer '{Name}' has no field '{name}'; create it with CreateField first.", nameof(fields));
                }

                switch (value)
                {
                    case null:
                        break;
                    case int integer:
                        GdalNative.OGR_F_SetFieldInteger64(feature, index, integer);
                        break;
                    case long integer:
                        GdalNative.OGR_F_SetFieldInteger64(feature, index, integer);
                        break;
                    case double real:
                        GdalNative.OGR_F_SetFieldDouble(feature, index, real);
                        break;
                    case float real:
                        GdalNative.OGR_F_SetFieldDouble(feature, index, real);
                        break;
                    case string text:
                        GdalNative.OGR_F_SetFieldString(feature, index, text);
                        break;
                    default:
                        throw new ArgumentException($"Field '{name}' has a value of type {value.GetType().Name}; use int, long, double or string.", nameof(fields));
                }
            }
        }

        GdalErrors.Reset();
        GdalErrors.Check(GdalNative.OGR_L_CreateFeature(Pointer, feature), $"Writing a feature to layer '{Name}'");
    }

    /// <summary>Reads every feature: its geometry as WKB (null when it has none) and its set fields by name.</summary>
    public unsafe IReadOnlyList<OgrFeatureRecord> ReadFeatures()
    {
        IReadOnlyList<(string Name, OgrFieldType Type)> fields = Fields;
        List<OgrFeatureRecord> records = [];
        GdalNative.OGR_L_ResetReading(Pointer);
        while (true)
        {
            GdalErrors.Reset();
            nint next = GdalNative.OGR_L_GetNextFeature(Pointer);
            if (next == 0)
            {
                GdalErrors.ThrowIfFailed($"Reading features of layer '{Name}'");
                break;
            }

            using FeatureHandle feature = new(next);
            byte[]? wkb = null;
            nint geometry = GdalNative.OGR_F_GetGeometryRef(feature);
            if (geometry != 0)
            {
                wkb = new byte[GdalNative.OGR_G_WkbSize(geometry)];
                fixed (byte* buffer = wkb)
                {
                    GdalErrors.Check(GdalNative.OGR_G_ExportToWkb(geometry, GdalNative.WkbNdr, buffer), $"Exporting a geometry of layer '{Name}'");
                }
            }

            Dictionary<string, object?> values = new(StringComparer.Ordinal);
            for (int i = 0; i < fields.Count; i++)
            {
                if (GdalNative.OGR_F_IsFieldSetAndNotNull(feature, i) == 0)
                {
                    values[fields[i].Name] = null;
                    continue;
                }

                values[fields[i].Name] = fields[i].Type switch
                {
                    OgrFieldType.Integer or OgrFieldType.Integer64 => GdalNative.OGR_F_GetFieldAsInteger64(feature, i),
                    OgrFieldType.Real => GdalNative.OGR_F_GetFieldAsDouble(feature, i),
                    _ => Marshal.PtrToStringUTF8(GdalNative.OGR_F_GetFieldAsString(feature, i)),
                };
            }

            records.Add(new OgrFeatureRecord(wkb, values));
        }

        return records;
    }

    internal nint Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_dataset.Handle.IsClosed, _dataset);
            return _layer;
        }
    }

    internal GdalDataset Dataset => _dataset;
}

/// <summary>One feature read from a layer.</summary>
/// <param name="WellKnownBinary">Geometry as ISO WKB (little endian), or null.</param>
/// <param name="Fields">Field values by name: long, double, string or null.</param>
public sealed record OgrFeatureRecord(byte[]? WellKnownBinary, IReadOnlyDictionary<string, object?> Fields);

/// <summary>OGR geometry types (OGRwkbGeometryType), the 2D subset.</summary>
public enum OgrGeometryType
{
    /// <summary>Any geometry.</summary>
    Unknown = 0,

    /// <summary>Point.</summary>
    Point = 1,

    /// <summary>Line string.</summary>
    LineString = 2,

    /// <summary>Polygon.</summary>
    Polygon = 3,

    /// <summary>Multi-point.</summary>
    MultiPoint = 4,

    /// <summary>Multi-line string.</summary>
    MultiLineString = 5,

    /// <summary>Multi-polygon.</summary>
    MultiPolygon = 6,
}

/// <summary>OGR field types (OGRFieldType), the subset we use.</summary>
public enum OgrFieldType
{
    /// <summary>32-bit integer.</summary>
    Integer = 0,

    /// <summary>Double.</summary>
    Real = 2,

    /// <summary>String.</summary>
    String = 4,

    /// <summary>64-bit integer.</summary>
    Integer64 = 12,
}
