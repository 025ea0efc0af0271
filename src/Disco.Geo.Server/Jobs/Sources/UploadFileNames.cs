using System.Text.RegularExpressions;

namespace Disco.Geo.Server.Jobs.Sources;

/// <summary>
/// Blobs are named by their SHA-256 alone, but GDAL picks some drivers by extension: a netCDF-4 file without ".nc" is
/// taken by the HDF5 driver, which ignores its CF coordinates and loses the georeferencing. So GDAL is handed a symbolic
/// link "&lt;blob&gt;.&lt;ext&gt;" beside the blob, with the extension of the file name it was uploaded under; beside it, so
/// that names inside the file resolve from the same directory as from the blob. The link is named by the blob and the
/// extension is limited to letters and digits, so the client chooses no path; the sandbox resolves the link to the
/// blob, the one file an upload may read. The blob store's start-up sweep removes the links (they name no blob) and
/// they are made again when needed.
/// </summary>
internal static partial class UploadFileNames
{
    /// <summary>The path GDAL should open for an upload: the blob itself, or a link to it that carries the upload's extension.</summary>
    /// <param name="blobPath">The stored file.</param>
    /// <param name="fileName">The file name the client uploaded it under (may be empty).</param>
    public static string PathFor(string blobPath, string fileName)
    {
        string extension = Path.GetExtension(fileName);
        if (!SafeExtension().IsMatch(extension) || !File.Exists(blobPath))
        {
            return blobPath;
        }

        string link = blobPath + extension.ToLowerInvariant();
        try
        {
            File.CreateSymbolicLink(link, blobPath);
        }
        catch (IOException) when (new FileInfo(link).LinkTarget == blobPath)
        {
            // Made already, by an earlier job or a concurrent one.
        }

        return link;
    }

    [GeneratedRegex(@"^\.[A-Za-z0-9]{1,10}$")]
    private static partial Regex SafeExtension();
}
