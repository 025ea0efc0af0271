using System.Runtime.InteropServices;
using Disco.Geo.Gdal.Errors;
using Disco.Geo.Gdal.Interop;

namespace Disco.Geo.Gdal;

/// <summary>GDAL's in-memory file system (/vsimem/): files that drivers write and read without touching the disk.</summary>
internal static class MemoryFiles
{
    /// <summary>Moves the content of a /vsimem/ file into a managed array and deletes the file.</summary>
    internal static byte[] Take(string name)
    {
        GdalErrors.Reset();
        nint buffer = GdalNative.VSIGetMemFileBuffer(name, out ulong length, 1);
        if (buffer == 0)
        {
            throw GdalErrors.Failure($"Reading the in-memory file '{name}'");
        }

        try
        {
            if (length > int.MaxValue)
            {
                throw new InvalidOperationException($"The in-memory file '{name}' is {length} bytes, more than a managed array holds.");
            }

            byte[] bytes = new byte[(int)length];
            Marshal.Copy(buffer, bytes, 0, bytes.Length);
            return bytes;
        }
        finally
        {
            GdalNative.VSIFree(buffer);
        }
    }

    /// <summary>Deletes a /vsimem/ file if it exists.</summary>
    internal static void Delete(string name)
    {
        GdalNative.VSIUnlink(name);
        GdalErrors.Reset();
    }
}
