using System.Runtime.InteropServices;

namespace Disco.Geo.Gdal.Interop;

/// <summary>
/// Loading a system library that distributions ship under several names (sonames per version, -dev symlinks): the
/// first candidate that loads wins, and the reasons the others failed go into the caller's error.
/// </summary>
internal static class NativeCandidates
{
    /// <summary>Loads the first loadable candidate; false with one "name: reason" per candidate when none loads.</summary>
    internal static bool TryLoadFirst(IReadOnlyList<string> candidates, out nint handle, out string? loaded, out List<string> failures)
    {
        failures = [];
        foreach (string candidate in candidates)
        {
            try
            {
                handle = NativeLibrary.Load(candidate);
                loaded = candidate;
                return true;
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                failures.Add($"{candidate}: {FirstLine(e.Message)}");
            }
        }

        handle = 0;
        loaded = null;
        return false;
    }

    private static string FirstLine(string text)
    {
        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        return newline < 0 ? text : text[..newline];
    }
}
