using System.Runtime.InteropServices;
using Disco.Geo.Gdal.Errors;
using Disco.Geo.Gdal.Interop;

namespace Disco.Geo.Gdal;

/// <summary>
/// Process-wide GDAL state: which library file is loaded, driver registration (GDALAllRegister, once), the error handler
/// and a few global configuration options. Every public entry point of this assembly calls
/// <see cref="EnsureInitialized"/>, so calling it yourself is only needed to fail early (e.g. at server start-up).
/// </summary>
public static class GdalRuntime
{
    private static readonly Lock Gate = new();
    private static volatile bool _initialized;
    private static string? _version;

    /// <summary>
    /// Receives every message GDAL emits (debug, warnings, failures), from any thread. Failures are also raised as
    /// <see cref="GdalException"/>; this hook is for logging. Handlers must be fast and must not call GDAL.
    /// </summary>
    public static event Action<GdalMessage>? Diagnostics;

    /// <summary>True once the library is loaded and drivers are registered.</summary>
    public static bool IsInitialized => _initialized;

    /// <summary>The library file or soname that was loaded (e.g. "libgdal.so.32").</summary>
    public static string? LibraryName => GdalLibraryResolver.LoadedName;

    /// <summary>GDAL's release name, e.g. "3.6.2".</summary>
    public static string Version
    {
        get
        {
            EnsureInitialized();
            return _version!;
        }
    }

    /// <summary>GDAL's version as a number, e.g. 3060200 for 3.6.2.</summary>
    public static int VersionNumber
    {
        get
        {
            EnsureInitialized();
            return int.Parse(Marshal.PtrToStringUTF8(GdalNative.GDALVersionInfo("VERSION_NUM")) ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// Applies settings that must be known before GDAL loads (library path) and process-wide configuration options.
    /// Call before any other GDAL use; a different library path after loading throws.
    /// </summary>
    /// <exception cref="InvalidOperationException">GDAL is already loaded from a different file.</exception>
    public static void Configure(GdalRuntimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        GdalLibraryResolver.SetOverride(options.LibraryPath);
        EnsureInitialized();
        foreach ((string key, string value) in options.ConfigOptions)
        {
            GdalNative.CPLSetConfigOption(key, value);
        }
    }

    /// <summary>Loads GDAL, registers all drivers and installs the error handler; safe to call from any thread, any number of times.</summary>
    /// <exception cref="DllNotFoundException">No GDAL library could be loaded; the message lists what was tried and how to install it.</exception>
    public static void EnsureInitialized()
    {
        if (_initialized)
        {
            return;
        }

        lock (Gate)
        {
            if (_initialized)
            {
                return;
            }

            GdalNative.EnsureResolver();
            GdalLibraryResolver.Load();
            GdalErrors.InstallHandler();
            GdalNative.GDALAllRegister();
            _version = Marshal.PtrToStringUTF8(GdalNative.GDALVersionInfo("RELEASE_NAME")) ?? "unknown";
            int number = int.Parse(Marshal.PtrToStringUTF8(GdalNative.GDALVersionInfo("VERSION_NUM")) ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            if (number < 3040000)
            {
                throw new NotSupportedException(
                    $"GDAL {_version} from '{GdalLibraryResolver.LoadedName}' is too old; Disco.Geo needs GDAL 3.4 or later.");
            }

            _initialized = true;
        }
    }

    /// <summary>True when GDAL has a driver of that short name (e.g. "COG", "netCDF").</summary>
    public static bool HasDriver(string shortName)
    {
        EnsureInitialized();
        return GdalNative.GDALGetDriverByName(shortName) != 0;
    }

    /// <summary>Sets a configuration option for the calling thread only (null removes it); GDAL reads these per thread first.</summary>
    public static void SetThreadConfigOption(string key, string? value)
    {
        EnsureInitialized();
        GdalNative.CPLSetThreadLocalConfigOption(key, value);
    }

    /// <summary>The calling thread's own value of a configuration option (null when the thread has not set it).</summary>
    public static string? GetThreadConfigOption(string key)
    {
        EnsureInitialized();
        return Marshal.PtrToStringUTF8(GdalNative.CPLGetThreadLocalConfigOption(key, null));
    }

    internal static void Publish(GdalMessage message) => Diagnostics?.Invoke(message);
}
