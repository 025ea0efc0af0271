using System.Runtime.InteropServices;

namespace Disco.Geo.Gdal.Interop;

/// <summary>
/// Raw imports of the HDF5 C API (H5public.h, H5Fpublic.h, H5Lpublic.h, H5Opublic.h, H5Dpublic.h, H5Ppublic.h): what
/// the source sandbox needs to find the other files an HDF5 or netCDF-4 file makes the library read (external links,
/// external raw data, virtual datasets), and what the tests need to write such files. The library is the one GDAL's
/// HDF5 and netCDF drivers use (Debian 12: libhdf5_serial.so.103, HDF5 1.10, where hid_t is 64 bits and the link
/// visitor is H5Lvisit). Unchecked like <see cref="GdalNative"/>: negative returns are errors.
/// </summary>
internal static partial class Hdf5Native
{
    internal const string Library = Hdf5LibraryResolver.LogicalName;

    internal const long Default = 0; // H5P_DEFAULT, and H5E_DEFAULT for the error stack
    internal const uint ReadOnly = 0; // H5F_ACC_RDONLY
    internal const uint Truncate = 2; // H5F_ACC_TRUNC
    internal const int IndexName = 0; // H5_INDEX_NAME
    internal const int IterateNative = 2; // H5_ITER_NATIVE
    internal const int LinkHard = 0; // H5L_TYPE_HARD
    internal const int LinkSoft = 1; // H5L_TYPE_SOFT
    internal const int LinkExternal = 64; // H5L_TYPE_EXTERNAL; anything above is a user-defined link class
    internal const int IdDataset = 5; // H5I_DATASET
    internal const int LayoutVirtual = 3; // H5D_VIRTUAL

    // The resolver (shared with GDAL's, one per assembly) must be in place before the "hdf5" name is looked up.
    static Hdf5Native()
    {
        GdalLibraryResolver.Register();
    }

    /// <summary>H5L_info_t of HDF5 1.10 (H5L_info1_t later): the link's class; for soft and external links the value's size.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct LinkInfo
    {
        public int Type;
        public byte CreationOrderValid;
        public long CreationOrder;
        public int CharacterSet;
        public ulong AddressOrValueSize;
    }

    [LibraryImport(Library)]
    internal static partial int H5open();

    [LibraryImport(Library)]
    internal static partial int H5Eset_auto2(long stack, nint function, nint data);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Fopen(string name, uint flags, long accessList);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Fcreate(string name, uint flags, long createList, long accessList);

    [LibraryImport(Library)]
    internal static partial int H5Fclose(long file);

    [LibraryImport(Library)]
    internal static unsafe partial int H5Lvisit(long group, int indexType, int order,
        delegate* unmanaged<long, byte*, LinkInfo*, nint, int> visitor, nint data);

    [LibraryImport(Library)]
    internal static unsafe partial int H5Lget_val(long location, byte* name, byte* buffer, nuint size, long accessList);

    [LibraryImport(Library)]
    internal static unsafe partial int H5Lunpack_elink_val(byte* buffer, nuint size, uint* flags, byte** fileName, byte** objectName);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int H5Lcreate_external(string fileName, string objectName, long location, string linkName, long createList, long accessList);

    [LibraryImport(Library)]
    internal static unsafe partial long H5Oopen(long location, byte* name, long accessList);

    [LibraryImport(Library)]
    internal static partial int H5Oclose(long obj);

    [LibraryImport(Library)]
    internal static partial int H5Iget_type(long id);

    [LibraryImport(Library)]
    internal static partial long H5Dget_create_plist(long dataset);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Dcreate2(long location, string name, long type, long space, long linkCreateList, long createList, long accessList);

    [LibraryImport(Library)]
    internal static unsafe partial int H5Dwrite(long dataset, long memoryType, long memorySpace, long fileSpace, long transferList, void* buffer);

    [LibraryImport(Library)]
    internal static partial int H5Dclose(long dataset);

    [LibraryImport(Library)]
    internal static unsafe partial long H5Screate_simple(int rank, ulong* dimensions, ulong* maximumDimensions);

    [LibraryImport(Library)]
    internal static partial int H5Sclose(long space);

    [LibraryImport(Library)]
    internal static partial long H5Pcreate(long propertyClass);

    [LibraryImport(Library)]
    internal static partial int H5Pclose(long list);

    [LibraryImport(Library)]
    internal static partial int H5Pset_userblock(long fileCreateList, ulong size);

    [LibraryImport(Library)]
    internal static partial int H5Pget_external_count(long createList);

    [LibraryImport(Library)]
    internal static unsafe partial int H5Pget_external(long createList, uint index, nuint nameSize, byte* name, long* offset, ulong* size);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int H5Pset_external(long createList, string name, long offset, ulong size);

    [LibraryImport(Library)]
    internal static partial int H5Pget_layout(long createList);

    [LibraryImport(Library)]
    internal static unsafe partial int H5Pget_virtual_count(long createList, nuint* count);

    [LibraryImport(Library)]
    internal static unsafe partial nint H5Pget_virtual_filename(long createList, nuint index, byte* name, nuint size);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int H5Pset_virtual(long createList, long virtualSpace, string sourceFile, string sourceDataset, long sourceSpace);

    /// <summary>
    /// A predefined identifier (H5P_CLS_DATASET_CREATE_ID_g, H5T_NATIVE_FLOAT_g, …): HDF5 exports them as global variables
    /// that hold their value only after <see cref="H5open"/>.
    /// </summary>
    internal static long Global(string name)
    {
        if (H5open() < 0)
        {
            throw new InvalidOperationException("The HDF5 library could not be initialised.");
        }

        return Marshal.ReadInt64(NativeLibrary.GetExport(Hdf5LibraryResolver.Load(), name));
    }
}
