using Disco.Geo.Engine;
using Disco.Geo.Server.Application.Transfers;
using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Application.Exports;

/// <summary>
/// Runs an export engine into a temporary file, streams the file (metadata with its sidecar, then its pieces) and
/// deletes it, whatever happens. An input the engine cannot export is the caller's resource's state, not a bad request.
/// </summary>
internal sealed class FileExports(DataDirectory directory, IOptions<LimitsOptions> limits, ServerMetrics metrics)
{
    /// <summary>
    /// Calls <paramref name="export"/> with the path to write (it returns the content type), then streams the file as
    /// <paramref name="fileName"/>. <paramref name="subjectId"/> names the exported resource in a refusal.
    /// <paramref name="describe"/>, when given, makes the STAC Item sent with the metadata (see <see cref="ExportedFileStreaming"/>).
    /// </summary>
    public async Task ExportAsync(
        string subjectId, string extension, Func<string, Task<string>> export, string fileName, Func<ExportedFile, Task> writeMetadata, Func<FilePiece, Task> writePiece,
        CancellationToken cancellationToken, Func<string, ExportedFile, Task<string>>? describe = null)
    {
        string temp = directory.NewTempPath(extension);
        try
        {
            string contentType;
            try
            {
                contentType = await export(temp);
            }
            catch (EngineInputException e)
            {
                throw Problem.FailedPrecondition("EXPORT", subjectId, e.Message);
            }

            await ExportedFileStreaming.StreamAsync(temp, fileName, contentType, writeMetadata, writePiece, limits.Value.TransferChunkBytes, metrics, cancellationToken, describe);
        }
        finally
        {
            ExportedFileStreaming.Delete(temp);
        }
    }
}
