using Disco.Geo.Gdal.Interop;

namespace Disco.Geo;

/// <summary>
/// HDF5 files written with the HDF5 C library (the one GDAL reads them with), for the source sandbox tests: a plain
/// file, and files whose dataset "data" the library reads from another file (an external link, external raw data, a
/// virtual dataset). Every dataset is 4 × 8 float32. Compiled as source into the raster and server tests.
/// </summary>
internal static unsafe class Hdf5Files
{
    public const int Height = 4;
    public const int Width = 8;

    /// <summary>A self-contained HDF5 file with the dataset "data", every value <paramref name="value"/>.</summary>
    public static string WritePlain(string path, float value) => Write(path, file =>
    {
        long space = Space();
        long data = Check(Hdf5Native.H5Dcreate2(file, "data", Hdf5Native.Global("H5T_IEEE_F32LE_g"), space, 0, 0, 0));
        WriteValues(data, value);
        _ = Hdf5Native.H5Dclose(data);
        _ = Hdf5Native.H5Sclose(space);
    });

    /// <summary>
    /// "data" is an external link to the dataset "data" of <paramref name="target"/> (as written, e.g. absolute);
    /// with a user block the HDF5 signature is not at offset 0 but at <paramref name="userBlock"/> (512, 1024, …).
    /// </summary>
    public static string WriteExternalLink(string path, string target, ulong userBlock = 0) => Write(path, file =>
        Check(Hdf5Native.H5Lcreate_external(target, "data", file, "data", 0, 0)), userBlock);

    /// <summary>"data" keeps its raw values in <paramref name="rawFile"/> (which is written, little-endian float32).</summary>
    public static string WriteExternalStorage(string path, string rawFile, float value)
    {
        File.WriteAllBytes(rawFile, Enumerable.Repeat(value, Height * Width).SelectMany(BitConverter.GetBytes).ToArray());
        return Write(path, file =>
        {
            long creation = Check(Hdf5Native.H5Pcreate(Hdf5Native.Global("H5P_CLS_DATASET_CREATE_ID_g")));
            Check(Hdf5Native.H5Pset_external(creation, rawFile, 0, Height * Width * sizeof(float)));
            long space = Space();
            long data = Check(Hdf5Native.H5Dcreate2(file, "data", Hdf5Native.Global("H5T_IEEE_F32LE_g"), space, 0, creation, 0));
            _ = Hdf5Native.H5Dclose(data);
            _ = Hdf5Native.H5Sclose(space);
            _ = Hdf5Native.H5Pclose(creation);
        });
    }

    /// <summary>"data" is a virtual dataset whose one source is the whole dataset "data" of <paramref name="source"/>.</summary>
    public static string WriteVirtual(string path, string source) => Write(path, file =>
    {
        long creation = Check(Hdf5Native.H5Pcreate(Hdf5Native.Global("H5P_CLS_DATASET_CREATE_ID_g")));
        long space = Space();
        Check(Hdf5Native.H5Pset_virtual(creation, space, source, "data", space));
        long data = Check(Hdf5Native.H5Dcreate2(file, "data", Hdf5Native.Global("H5T_IEEE_F32LE_g"), space, 0, creation, 0));
        _ = Hdf5Native.H5Dclose(data);
        _ = Hdf5Native.H5Sclose(space);
        _ = Hdf5Native.H5Pclose(creation);
    });

    private static string Write(string path, Action<long> content, ulong userBlock = 0)
    {
        long creation = Check(Hdf5Native.H5Pcreate(Hdf5Native.Global("H5P_CLS_FILE_CREATE_ID_g")));
        if (userBlock > 0)
        {
            Check(Hdf5Native.H5Pset_userblock(creation, userBlock));
        }

        long file = Check(Hdf5Native.H5Fcreate(path, Hdf5Native.Truncate, creation, 0));
        _ = Hdf5Native.H5Pclose(creation);
        try
        {
            content(file);
        }
        finally
        {
            _ = Hdf5Native.H5Fclose(file);
        }

        return path;
    }

    private static long Space()
    {
        ulong* dimensions = stackalloc ulong[] { Height, Width };
        return Check(Hdf5Native.H5Screate_simple(2, dimensions, null));
    }

    private static void WriteValues(long data, float value)
    {
        float[] values = Enumerable.Repeat(value, Height * Width).ToArray();
        fixed (float* buffer = values)
        {
            Check(Hdf5Native.H5Dwrite(data, Hdf5Native.Global("H5T_NATIVE_FLOAT_g"), 0, 0, 0, buffer));
        }
    }

    private static long Check(long result) =>
        result >= 0 ? result : throw new InvalidOperationException("An HDF5 call failed while writing a test file.");
}
