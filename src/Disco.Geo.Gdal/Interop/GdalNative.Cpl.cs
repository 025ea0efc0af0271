using System.Runtime.InteropServices;

namespace Disco.Geo.Gdal.Interop;

// cpl_error.h, cpl_conv.h, cpl_string.h, cpl_vsi.h
internal static partial class GdalNative
{
    [LibraryImport(Library)]
    internal static partial void CPLErrorReset();

    [LibraryImport(Library)]
    internal static partial int CPLGetLastErrorNo();

    [LibraryImport(Library)]
    internal static partial int CPLGetLastErrorType();

    [LibraryImport(Library)]
    internal static partial nint CPLGetLastErrorMsg();

    [LibraryImport(Library)]
    internal static unsafe partial nint CPLSetErrorHandler(delegate* unmanaged<int, int, byte*, void> handler);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void CPLSetConfigOption(string key, string? value);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void CPLSetThreadLocalConfigOption(string key, string? value);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint CPLGetConfigOption(string key, string? defaultValue);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint CPLGetThreadLocalConfigOption(string key, string? defaultValue);

    [LibraryImport(Library)]
    internal static partial void VSIFree(nint pointer);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint CSLSetNameValue(nint list, string name, string? value);

    [LibraryImport(Library)]
    internal static partial void CSLDestroy(nint list);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint VSIGetMemFileBuffer(string fileName, out ulong length, int unlinkAndSeize);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int VSIUnlink(string fileName);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint VSIFileFromMemBuffer(string fileName, nint data, ulong length, int takeOwnership);

    [LibraryImport(Library)]
    internal static partial int VSIFCloseL(nint file);

    [LibraryImport(Library)]
    internal static partial nint VSIMalloc(nuint size);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GDALVersionInfo(string request);
}
