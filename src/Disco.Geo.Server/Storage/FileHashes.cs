using System.Security.Cryptography;

namespace Disco.Geo.Server.Storage;

/// <summary>SHA-256 of files, the hash blobs are stored under.</summary>
internal static class FileHashes
{
    /// <summary>Lower-case hex SHA-256 of a file from <paramref name="offset"/> to its end.</summary>
    public static async Task<string> Sha256Async(string path, long offset, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite, BufferSize = 0, Options = FileOptions.SequentialScan });
        stream.Position = offset;
        byte[] hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return Convert.ToHexStringLower(hash);
    }
}
