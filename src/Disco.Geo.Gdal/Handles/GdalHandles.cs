using System.Runtime.InteropServices;
using Disco.Geo.Gdal.Interop;

namespace Disco.Geo.Gdal.Handles;

/// <summary>
/// Base of every owning handle: a pointer that GDAL allocated and that exactly one release function frees. Objects GDAL
/// owns itself (bands, layers, field definitions of a layer) are never wrapped in these; they are borrowed pointers kept
/// valid by holding their owning dataset.
/// </summary>
internal abstract class GdalOwnedHandle : SafeHandle
{
    protected GdalOwnedHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>Takes ownership of a raw pointer returned by GDAL.</summary>
    internal void Attach(nint pointer) => SetHandle(pointer);
}

/// <summary>A GDALDatasetH from GDALOpenEx, GDALCreate, GDALCreateCopy or a utility; released with GDALClose.</summary>
internal sealed class DatasetHandle : GdalOwnedHandle
{
    public DatasetHandle()
    {
    }

    internal DatasetHandle(nint pointer) => Attach(pointer);

    protected override bool ReleaseHandle()
    {
        GdalNative.GDALClose(handle);
        return true;
    }
}

/// <summary>An OGRSpatialReferenceH we created; released with OSRRelease (reference counted).</summary>
internal sealed class SpatialReferenceHandle : GdalOwnedHandle
{
    public SpatialReferenceHandle()
    {
    }

    internal SpatialReferenceHandle(nint pointer) => Attach(pointer);

    protected override bool ReleaseHandle()
    {
        GdalNative.OSRRelease(handle);
        return true;
    }
}

/// <summary>An OGRCoordinateTransformationH; released with OCTDestroyCoordinateTransformation.</summary>
internal sealed class CoordinateTransformationHandle : GdalOwnedHandle
{
    public CoordinateTransformationHandle()
    {
    }

    internal CoordinateTransformationHandle(nint pointer) => Attach(pointer);

    protected override bool ReleaseHandle()
    {
        GdalNative.OCTDestroyCoordinateTransformation(handle);
        return true;
    }
}

/// <summary>A GDALColorTableH we created; released with GDALDestroyColorTable.</summary>
internal sealed class ColorTableHandle : GdalOwnedHandle
{
    public ColorTableHandle()
    {
    }

    internal ColorTableHandle(nint pointer) => Attach(pointer);

    protected override bool ReleaseHandle()
    {
        GdalNative.GDALDestroyColorTable(handle);
        return true;
    }
}

/// <summary>A GDALRasterAttributeTableH we created; GDALSetDefaultRAT copies it, so ours is always destroyed.</summary>
internal sealed class RasterAttributeTableHandle : GdalOwnedHandle
{
    public RasterAttributeTableHandle()
    {
    }

    internal RasterAttributeTableHandle(nint pointer) => Attach(pointer);

    protected override bool ReleaseHandle()
    {
        GdalNative.GDALDestroyRasterAttributeTable(handle);
        return true;
    }
}

/// <summary>An OGRFeatureH we created or that OGR_L_GetNextFeature handed over; released with OGR_F_Destroy.</summary>
internal sealed class FeatureHandle : GdalOwnedHandle
{
    public FeatureHandle()
    {
    }

    internal FeatureHandle(nint pointer) => Attach(pointer);

    protected override bool ReleaseHandle()
    {
        GdalNative.OGR_F_Destroy(handle);
        return true;
    }
}

/// <summary>An OGRGeometryH we own (not one borrowed from a feature); released with OGR_G_DestroyGeometry.</summary>
internal sealed class GeometryHandle : GdalOwnedHandle
{
    public GeometryHandle()
    {
    }

    internal GeometryHandle(nint pointer) => Attach(pointer);

    protected override bool ReleaseHandle()
    {
        GdalNative.OGR_G_DestroyGeometry(handle);
        return true;
    }
}

/// <summary>An OGRFieldDefnH we created; OGR_L_CreateField copies it, so we release ours with OGR_Fld_Destroy.</summary>
internal sealed class FieldDefinitionHandle : GdalOwnedHandle
{
    public FieldDefinitionHandle()
    {
    }

    internal FieldDefinitionHandle(nint pointer) => Attach(pointer);

    protected override bool ReleaseHandle()
    {
        GdalNative.OGR_Fld_Destroy(handle);
        return true;
    }
}

/// <summary>Options of one gdal_utils program (GDALTranslateOptions, GDALWarpAppOptions, …) and their free function.</summary>
internal sealed class UtilityOptionsHandle : GdalOwnedHandle
{
    private readonly Action<nint> _free;

    internal UtilityOptionsHandle(nint pointer, Action<nint> free)
    {
        _free = free;
        Attach(pointer);
    }

    protected override bool ReleaseHandle()
    {
        _free(handle);
        return true;
    }
}

/// <summary>A general image-projection transformer (GDALCreateGenImgProjTransformer2); released with its destroy function.</summary>
internal sealed class TransformerHandle : GdalOwnedHandle
{
    public TransformerHandle()
    {
    }

    internal TransformerHandle(nint pointer) => Attach(pointer);

    protected override bool ReleaseHandle()
    {
        GdalNative.GDALDestroyGenImgProjTransformer(handle);
        return true;
    }
}

/// <summary>A GDALWarpOptions block from GDALCreateWarpOptions; released with GDALDestroyWarpOptions.</summary>
internal sealed class WarpOptionsHandle : GdalOwnedHandle
{
    public WarpOptionsHandle()
    {
    }

    internal WarpOptionsHandle(nint pointer) => Attach(pointer);

    protected override bool ReleaseHandle()
    {
        // The transformer belongs to us, not to the options: detach it so GDAL never touches it while freeing.
        unsafe
        {
            GdalWarpOptionsPrefix* options = (GdalWarpOptionsPrefix*)handle;
            options->PfnTransformer = 0;
            options->PTransformerArg = 0;
            options->PfnProgress = 0;
            options->PProgressArg = 0;
        }

        GdalNative.GDALDestroyWarpOptions(handle);
        return true;
    }
}

/// <summary>A GDALWarpOperationH; released with GDALDestroyWarpOperation.</summary>
internal sealed class WarpOperationHandle : GdalOwnedHandle
{
    public WarpOperationHandle()
    {
    }

    internal WarpOperationHandle(nint pointer) => Attach(pointer);

    protected override bool ReleaseHandle()
    {
        GdalNative.GDALDestroyWarpOperation(handle);
        return true;
    }
}
