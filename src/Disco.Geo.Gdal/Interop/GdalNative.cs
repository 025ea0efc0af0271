using System.Runtime.InteropServices;

namespace Disco.Geo.Gdal.Interop;

/// <summary>
/// Raw imports of the GDAL C API (cpl_*.h, gdal.h, ogr_*.h, gdal_alg.h, gdalwarper.h, gdal_utils.h), one file per
/// header family. Everything here is unchecked: callers go through the safe wrappers, which turn GDAL's error state
/// into exceptions. Pointers GDAL owns are returned as nint and read with <see cref="Marshal.PtrToStringUTF8(nint)"/>;
/// string returns are never declared as string because the marshaller would free GDAL's memory.
/// </summary>
internal static partial class GdalNative
{
    internal const string Library = GdalLibraryResolver.LogicalName;

    // An explicit static constructor makes the runtime run it before the first import is bound, so the resolver is in
    // place before the "gdal" name is ever looked up.
    static GdalNative()
    {
        GdalLibraryResolver.Register();
    }

    internal static void EnsureResolver()
    {
        // Touching this method runs the static constructor.
    }
}

/// <summary>GDALDataType.</summary>
internal enum NativeDataType
{
    Unknown = 0,
    Byte = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Float64 = 7,
}

/// <summary>CPLErr.</summary>
internal enum CplErr
{
    None = 0,
    Debug = 1,
    Warning = 2,
    Failure = 3,
    Fatal = 4,
}

/// <summary>The first, stable part of GDALWarpOptions (unchanged since GDAL 1.x); the rest is left to GDAL's defaults.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GdalWarpOptionsPrefix
{
    public nint PapszWarpOptions;
    public double DfWarpMemoryLimit;
    public int EResampleAlg;
    public int EWorkingDataType;
    public nint HSrcDS;
    public nint HDstDS;
    public int NBandCount;
    public nint PanSrcBands;
    public nint PanDstBands;
    public int NSrcAlphaBand;
    public int NDstAlphaBand;
    public nint PadfSrcNoDataReal;
    public nint PadfSrcNoDataImag;
    public nint PadfDstNoDataReal;
    public nint PadfDstNoDataImag;
    public nint PfnProgress;
    public nint PProgressArg;
    public nint PfnTransformer;
    public nint PTransformerArg;
}

/// <summary>GDALColorEntry: four shorts (RGBA for RGB palettes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeColorEntry
{
    public short C1;
    public short C2;
    public short C3;
    public short C4;
}
