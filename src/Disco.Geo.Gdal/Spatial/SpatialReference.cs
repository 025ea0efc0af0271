using System.Runtime.InteropServices;
using Disco.Geo.Gdal.Errors;
using Disco.Geo.Gdal.Handles;
using Disco.Geo.Gdal.Interop;

namespace Disco.Geo.Gdal;

/// <summary>
/// A coordinate reference system (OGRSpatialReference). Axis order is always the traditional GIS order (x = easting or
/// longitude, y = northing or latitude), whatever the authority says, so EPSG:4326 coordinates are (lon, lat) here.
/// </summary>
public sealed class SpatialReference : IDisposable
{
    private SpatialReference(SpatialReferenceHandle handle)
    {
        Handle = handle;
        GdalNative.OSRSetAxisMappingStrategy(handle, GdalNative.OamsTraditionalGisOrder);
    }

    /// <summary>WGS 84 geographic coordinates in degrees (EPSG:4326), longitude first.</summary>
    public static SpatialReference Wgs84() => FromUserInput("EPSG:4326");

    internal SpatialReferenceHandle Handle { get; }

    /// <summary>True for a geographic (latitude/longitude) CRS.</summary>
    public bool IsGeographic => GdalNative.OSRIsGeographic(Handle) != 0;

    /// <summary>True for a projected CRS.</summary>
    public bool IsProjected => GdalNative.OSRIsProjected(Handle) != 0;

    /// <summary>The CRS name, e.g. "WGS 84" or "WGS 84 / Equal Earth Greenwich".</summary>
    public string Name => Marshal.PtrToStringUTF8(GdalNative.OSRGetName(Handle)) ?? string.Empty;

    /// <summary>Size of the angular unit in radians (0.0174532925… for degrees) of a geographic CRS.</summary>
    public double AngularUnitRadians => GdalNative.OSRGetAngularUnits(Handle, out _);

    /// <summary>"EPSG:4326"-style identifier when the CRS has (or can be matched to) an authority code, else null.</summary>
    public string? AuthorityId
    {
        get
        {
            string? name = Marshal.PtrToStringUTF8(GdalNative.OSRGetAuthorityName(Handle, null));
            string? code = Marshal.PtrToStringUTF8(GdalNative.OSRGetAuthorityCode(Handle, null));
            if (name is null || code is null)
            {
                using SpatialReference clone = Clone();
                if (GdalNative.OSRAutoIdentifyEPSG(clone.Handle) == 0)
                {
                    name = Marshal.PtrToStringUTF8(GdalNative.OSRGetAuthorityName(clone.Handle, null));
                    code = Marshal.PtrToStringUTF8(GdalNative.OSRGetAuthorityCode(clone.Handle, null));
                }
            }

            return name is null || code is null ? null : $"{name}:{code}";
        }
    }

    /// <summary>
    /// Parses any definition GDAL accepts: "EPSG:8857", WKT, PROJJSON, a PROJ string ("+proj=eqearth"), "OGC:CRS84", a
    /// file holding one of these.
    /// </summary>
    /// <exception cref="ArgumentException">GDAL cannot parse the definition; the message carries GDAL's reason.</exception>
    public static SpatialReference FromUserInput(string definition)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(definition);
        GdalRuntime.EnsureInitialized();
        SpatialReferenceHandle handle = new(GdalNative.OSRNewSpatialReference(null));
        GdalErrors.Reset();
        int result = GdalNative.OSRSetFromUserInput(handle, definition);
        if (result != 0)
        {
            GdalException failure = GdalErrors.Failure($"Parsing the coordinate reference system '{Shorten(definition)}'");
            handle.Dispose();
            throw new ArgumentException(
                failure.Message + " Use an authority code such as 'EPSG:4326', a WKT string or a PROJ string.",
                nameof(definition), failure);
        }

        return new SpatialReference(handle);
    }

    /// <summary>Wraps a pointer GDAL owns (e.g. a dataset's CRS) by cloning it, so the result lives independently.</summary>
    internal static SpatialReference? CloneFrom(nint borrowed)
    {
        if (borrowed == 0)
        {
            return null;
        }

        return new SpatialReference(new SpatialReferenceHandle(GdalNative.OSRClone(borrowed)));
    }

    /// <summary>An independent copy.</summary>
    public SpatialReference Clone() => CloneFrom(Handle.DangerousGetHandle())!;

    /// <summary>The CRS as WKT (GDAL's default WKT flavour).</summary>
    public string ToWkt()
    {
        GdalErrors.Reset();
        int result = GdalNative.OSRExportToWkt(Handle, out nint text);
        try
        {
            GdalErrors.Check(result, "Exporting a coordinate reference system to WKT");
            return Marshal.PtrToStringUTF8(text) ?? string.Empty;
        }
        finally
        {
            GdalNative.VSIFree(text);
        }
    }

    /// <summary>The CRS as a PROJ string, or null when PROJ cannot express it as one.</summary>
    public string? ToProj4()
    {
        int result = GdalNative.OSRExportToProj4(Handle, out nint text);
        try
        {
            return result == 0 ? Marshal.PtrToStringUTF8(text) : null;
        }
        finally
        {
            GdalNative.VSIFree(text);
        }
    }

    /// <summary>True when both describe the same CRS (OSRIsSame).</summary>
    public bool IsSame(SpatialReference other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return GdalNative.OSRIsSame(Handle, other.Handle) != 0;
    }

    /// <summary>A short description: the authority id when known, else the name.</summary>
    public override string ToString() => AuthorityId ?? Name;

    /// <inheritdoc />
    public void Dispose() => Handle.Dispose();

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
