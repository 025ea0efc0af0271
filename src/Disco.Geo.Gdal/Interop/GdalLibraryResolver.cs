using System.Reflection;
using System.Runtime.InteropServices;

namespace Disco.Geo.Gdal.Interop;

/// <summary>
/// Maps the logical library name used by every import ("gdal") onto the system GDAL C library. Distributions ship
/// the library under a versioned soname (libgdal.so.32 for GDAL 3.6, .33 for 3.7, …) and only the -dev package adds
/// the unversioned libgdal.so, so the resolver tries an explicit override first, then the unversioned name, then the
/// known sonames from newest to oldest.
/// </summary>
internal static class GdalLibraryResolver
{
    internal const string LogicalName = "gdal";

    /// <summary>Environment variable naming a library file or soname to load instead of the search.</summary>
    internal const string OverrideVariable = "DISCO_GDAL_LIBRARY";

    private static readonly Lock Gate = new();
    private static bool _registered;
    private static nint _handle;
    private static string? _overridePath;

    /// <summary>The file name or path that was loaded, once the library is loaded.</summary>
    internal static string? LoadedName { get; private set; }

    /// <summary>The candidates tried, in order: override, libgdal.so, libgdal.so.40 … libgdal.so.32 (and macOS/Windows names).</summary>
    internal static IReadOnlyList<string> Candidates()
    {
        List<string> names = [];
        string? chosen = _overridePath ?? Environment.GetEnvironmentVariable(OverrideVariable);
        if (!string.IsNullOrWhiteSpace(chosen))
        {
            names.Add(chosen.Trim());
            return names;
        }

        if (OperatingSystem.IsWindows())
        {
            names.Add("gdal.dll");
            for (int version = 312; version >= 304; version--)
            {
                names.Add($"gdal{version}.dll");
            }

            return names;
        }

        if (OperatingSystem.IsMacOS())
        {
            names.Add("libgdal.dylib");
            for (int soname = 40; soname >= 30; soname--)
            {
                names.Add($"libgdal.{soname}.dylib");
            }

            return names;
        }

        names.Add("libgdal.so");
        for (int soname = 40; soname >= 30; soname--)
        {
            names.Add($"libgdal.so.{soname}");
        }

        return names;
    }

    /// <summary>Sets the override path; only possible before the library is loaded.</summary>
    internal static void SetOverride(string? path)
    {
        lock (Gate)
        {
            if (_handle != 0)
            {
                if (string.Equals(path, _overridePath, StringComparison.Ordinal))
                {
                    return;
                }

                throw new InvalidOperationException(
                    $"GDAL is already loaded from '{LoadedName}'; set the library path before the first GDAL call.");
            }

            _overridePath = string.IsNullOrWhiteSpace(path) ? null : path;
        }
    }

    internal static void Register()
    {
        lock (Gate)
        {
            if (_registered)
            {
                return;
            }

            NativeLibrary.SetDllImportResolver(typeof(GdalLibraryResolver).Assembly, Resolve);
            _registered = true;
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        // One resolver per assembly: the HDF5 imports (Hdf5Native) are resolved here as well.
        return libraryName switch
        {
            LogicalName => Load(),
            Hdf5LibraryResolver.LogicalName => Hdf5LibraryResolver.Load(),
            _ => 0,
        };
    }

    /// <summary>Loads the library (once) and returns its handle; throws with the list of names tried when none loads.</summary>
    internal static nint Load()
    {
        lock (Gate)
        {
            if (_handle != 0)
            {
                return _handle;
            }

            if (NativeCandidates.TryLoadFirst(Candidates(), out nint handle, out string? loaded, out List<string> failures))
            {
                _handle = handle;
                LoadedName = loaded;
                return _handle;
            }

            string advice = OperatingSystem.IsLinux()
                ? "Install it with 'apt-get install libgdal32 gdal-bin' (Debian 12; later releases ship libgdal33+) " +
                  "or run scripts/ensure-deps.sh"
                : "Install GDAL 3.4 or later";
            throw new DllNotFoundException(
                $"The GDAL C library could not be loaded. {advice}, or set {OverrideVariable} (or " +
                $"GdalRuntimeOptions.LibraryPath) to the library file. Tried: {string.Join("; ", failures)}");
        }
    }
}
