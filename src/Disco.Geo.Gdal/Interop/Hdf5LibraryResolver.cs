namespace Disco.Geo.Gdal.Interop;

/// <summary>
/// Maps the logical name "hdf5" onto the HDF5 C library GDAL itself is linked with. Debian ships the serial build as
/// libhdf5_serial.so.&lt;soname&gt; (103 for HDF5 1.10 in Debian 12), other systems as libhdf5.so.&lt;soname&gt;; the
/// unversioned names come only with -dev packages. An override names the file explicitly.
/// </summary>
internal static class Hdf5LibraryResolver
{
    internal const string LogicalName = "hdf5";

    /// <summary>Environment variable naming a library file or soname to load instead of the search.</summary>
    internal const string OverrideVariable = "DISCO_HDF5_LIBRARY";

    private static readonly Lock Gate = new();
    private static nint _handle;

    /// <summary>The candidates tried, in order: override, else the Debian 12 sonames, then unversioned names.</summary>
    internal static IReadOnlyList<string> Candidates()
    {
        string? chosen = Environment.GetEnvironmentVariable(OverrideVariable);
        if (!string.IsNullOrWhiteSpace(chosen))
        {
            return [chosen.Trim()];
        }

        // Only the 1.10 ABI is bound (hid_t of 64 bits, H5Lvisit and H5L_info_t of 1.10); later sonames export the
        // visitor as H5Lvisit1/H5Lvisit2, so loading one of them fails on the first walk, and the sandbox then refuses.
        return OperatingSystem.IsLinux()
            ? ["libhdf5_serial.so.103", "libhdf5.so.103", "libhdf5_serial.so", "libhdf5.so"]
            : OperatingSystem.IsMacOS() ? ["libhdf5.103.dylib", "libhdf5.dylib"] : ["hdf5.dll"];
    }

    /// <summary>Loads the library (once) and returns its handle; throws with the names tried when none loads.</summary>
    internal static nint Load()
    {
        lock (Gate)
        {
            if (_handle != 0)
            {
                return _handle;
            }

            if (NativeCandidates.TryLoadFirst(Candidates(), out nint handle, out _, out List<string> failures))
            {
                _handle = handle;
                return _handle;
            }

            throw new DllNotFoundException(
                $"The HDF5 C library (the one GDAL's HDF5 and netCDF drivers use) could not be loaded. Install it with " +
                $"'apt-get install libhdf5-103-1' (Debian 12) or set {OverrideVariable} to the library file. Tried: {string.Join("; ", failures)}");
        }
    }
}
