namespace Disco.Geo.Sphere.Packaging;

/// <summary>
/// Writes a file so that readers and crashes see either the old content or the new, never a mix: the bytes go to a
/// temporary file in the same directory (same file system, so the rename is atomic), are flushed to disk, and the
/// temporary file is renamed over the target.
/// </summary>
internal static class AtomicFile
{
    /// <param name="path">The file to write.</param>
    /// <param name="bytes">Its new content.</param>
    /// <param name="createDirectory">
    /// False when the directory must already exist: a missing one then throws <see cref="DirectoryNotFoundException"/>
    /// rather than being created, e.g. under a shared root that may have been unmounted or moved away, where creating
    /// it would plant an empty tree where the real one belongs.
    /// </param>
    public static void Write(string path, ReadOnlySpan<byte> bytes, bool createDirectory = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? ".";
        if (createDirectory)
        {
            Directory.CreateDirectory(directory);
        }

        string temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (FileStream stream = new(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (FileStream stream = new(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary file is harmless and has a recognisable name.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
