using System.Runtime.InteropServices;
using Disco.Geo.Gdal.Interop;

namespace Disco.Geo.Gdal;

/// <summary>
/// The other files an HDF5 file (netCDF-4 included) makes the HDF5 library itself read, which GDAL does not report in
/// <c>GDALGetFileList</c>: external links (a link to an object in another file), datasets whose raw data lies in
/// external files (<c>H5Pset_external</c>), virtual datasets whose sources lie in other files, and user-defined link
/// classes (whose traversal is code the file cannot be checked against). Found by walking every link of the file with
/// the HDF5 library, before GDAL opens it.
/// </summary>
internal static unsafe class Hdf5References
{
    private static readonly byte[] Signature = [0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1a, (byte)'\n'];

    // HDF5's own calls are serialised by the library (Debian builds it thread-safe); this keeps the walker's error-stack
    // setting and state simple.
    private static readonly Lock Gate = new();
    private static bool _initialized;

    /// <summary>
    /// True when the file has an HDF5 superblock where the library looks for one: at offset 0, 512, 1024, 2048, … (a
    /// user block of any power-of-two size from 512 bytes may precede it).
    /// </summary>
    public static bool IsHdf5(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.RandomAccess);
        Span<byte> header = stackalloc byte[Signature.Length];
        for (long offset = 0; offset + Signature.Length <= stream.Length; offset = offset == 0 ? 512 : offset * 2)
        {
            stream.Position = offset;
            stream.ReadExactly(header);
            if (header.SequenceEqual(Signature))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The first other file the HDF5 file refers to (as the file names it), or null when it refers to none.
    /// </summary>
    /// <exception cref="InvalidDataException">The HDF5 library cannot open or walk the file.</exception>
    public static string? FindExternalReference(string path)
    {
        lock (Gate)
        {
            if (!_initialized)
            {
                // The walker reports failures itself; HDF5 would otherwise print its error stack to stderr.
                _ = Hdf5Native.H5Eset_auto2(Hdf5Native.Default, 0, 0);
                _initialized = true;
            }

            long file = Hdf5Native.H5Fopen(path, Hdf5Native.ReadOnly, Hdf5Native.Default);
            if (file < 0)
            {
                throw new InvalidDataException("the file starts like an HDF5 file, but the HDF5 library cannot open it");
            }

            var walk = new Walk();
            GCHandle handle = GCHandle.Alloc(walk);
            try
            {
                int status = Hdf5Native.H5Lvisit(file, Hdf5Native.IndexName, Hdf5Native.IterateNative, &Visit, GCHandle.ToIntPtr(handle));
                if (walk.Failure is not null || (status < 0 && walk.Reference is null))
                {
                    throw new InvalidDataException("the HDF5 library cannot list the objects of the file", walk.Failure);
                }

                return walk.Reference;
            }
            finally
            {
                handle.Free();
                _ = Hdf5Native.H5Fclose(file);
            }
        }
    }

    /// <summary>One link of the walk; returns 1 (stop) at the first reference to another file, 0 to go on.</summary>
    [UnmanagedCallersOnly]
    private static int Visit(long group, byte* name, Hdf5Native.LinkInfo* info, nint data)
    {
        var walk = (Walk)GCHandle.FromIntPtr(data).Target!;
        try
        {
            walk.Reference = info->Type switch
            {
                Hdf5Native.LinkHard => DatasetReference(group, name),
                Hdf5Native.LinkSoft => null, // a path inside this file; what it names is visited through its hard link
                Hdf5Native.LinkExternal => ExternalLinkTarget(group, name, info->AddressOrValueSize),
                _ => $"a user-defined link '{Marshal.PtrToStringUTF8((nint)name)}'",
            };
            return walk.Reference is null ? 0 : 1;
        }
        catch (Exception e)
        {
            // Never let an exception unwind through HDF5's frames: stop the walk and rethrow on the managed side.
            walk.Failure = e;
            return -1;
        }
    }

    private static string ExternalLinkTarget(long group, byte* name, ulong size)
    {
        byte[] value = new byte[checked((int)Math.Max(size, 1))];
        fixed (byte* buffer = value)
        {
            uint flags;
            byte* fileName;
            byte* objectName;
            if (Hdf5Native.H5Lget_val(group, name, buffer, (nuint)value.Length, Hdf5Native.Default) < 0 ||
                Hdf5Native.H5Lunpack_elink_val(buffer, (nuint)value.Length, &flags, &fileName, &objectName) < 0)
            {
                return $"an external link '{Marshal.PtrToStringUTF8((nint)name)}'";
            }

            return Marshal.PtrToStringUTF8((nint)fileName) ?? "(unnamed)";
        }
    }

    /// <summary>For a dataset: the first external raw-data file or virtual source file other than this file ("."), else null.</summary>
    private static string? DatasetReference(long group, byte* name)
    {
        long obj = Hdf5Native.H5Oopen(group, name, Hdf5Native.Default);
        if (obj < 0)
        {
            throw new InvalidDataException($"the HDF5 object '{Marshal.PtrToStringUTF8((nint)name)}' cannot be opened");
        }

        try
        {
            if (Hdf5Native.H5Iget_type(obj) != Hdf5Native.IdDataset)
            {
                return null;
            }

            long creation = Hdf5Native.H5Dget_create_plist(obj);
            if (creation < 0)
            {
                throw new InvalidDataException("the storage of an HDF5 dataset cannot be read");
            }

            try
            {
                return ExternalStorage(creation) ?? VirtualSource(creation);
            }
            finally
            {
                _ = Hdf5Native.H5Pclose(creation);
            }
        }
        finally
        {
            _ = Hdf5Native.H5Oclose(obj);
        }
    }

    private static string? ExternalStorage(long creation)
    {
        int count = Hdf5Native.H5Pget_external_count(creation);
        if (count < 0)
        {
            throw new InvalidDataException("the external storage of an HDF5 dataset cannot be read");
        }

        if (count == 0)
        {
            return null;
        }

        byte* name = stackalloc byte[1024];
        long offset;
        ulong size;
        if (Hdf5Native.H5Pget_external(creation, 0, 1024, name, &offset, &size) < 0)
        {
            return "(external raw data)";
        }

        name[1023] = 0; // HDF5 copies with strncpy: a longer name arrives unterminated
        return NameOrPlaceholder(name, "(external raw data)");
    }

    private static string? VirtualSource(long creation)
    {
        if (Hdf5Native.H5Pget_layout(creation) != Hdf5Native.LayoutVirtual)
        {
            return null;
        }

        nuint count;
        if (Hdf5Native.H5Pget_virtual_count(creation, &count) < 0)
        {
            throw new InvalidDataException("the sources of an HDF5 virtual dataset cannot be read");
        }

        byte* name = stackalloc byte[1024];
        for (nuint i = 0; i < count; i++)
        {
            if (Hdf5Native.H5Pget_virtual_filename(creation, i, name, 1024) < 0)
            {
                return "(virtual dataset source)";
            }

            // "." is HDF5's name for the virtual dataset's own file.
            string source = NameOrPlaceholder(name, "(virtual dataset source)");
            if (source != ".")
            {
                return source;
            }
        }

        return null;
    }

    private static string NameOrPlaceholder(byte* name, string placeholder)
    {
        string? text = Marshal.PtrToStringUTF8((nint)name);
        return string.IsNullOrEmpty(text) ? placeholder : text;
    }

    private sealed class Walk
    {
        public string? Reference { get; set; }

        public Exception? Failure { get; set; }
    }
}
