using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Application.Exports;
using Disco.Geo.Server.Application.Transfers;
using Google.Protobuf;

namespace Disco.Geo.Server.Api.Mapping;

/// <summary>Between the API's file chunks and metadata and the application's file pieces and exported files.</summary>
internal static class TransferMapping
{
    /// <summary>
    /// A piece the server sends. The bytes are wrapped without a copy:
    /// <see cref="UnsafeByteOperations.UnsafeWrap(ReadOnlyMemory{byte})"/> is safe because <see cref="FileSender"/> gives
    /// every piece a buffer of its own that nothing writes after it is handed out.
    /// </summary>
    public static FileChunk ToApi(FilePiece piece) => new() { Offset = piece.Offset, Data = UnsafeByteOperations.UnsafeWrap(piece.Data) };

    /// <summary>A chunk the server receives; the piece reads the message's bytes in place.</summary>
    public static FilePiece ToPiece(FileChunk chunk) => new(chunk.Offset, chunk.Data.Memory);

    public static FileMetadata ToApi(ExportedFile file) => new()
    {
        FileName = file.FileName,
        ContentType = file.ContentType,
        SizeBytes = file.SizeBytes,
        Sha256 = file.Sha256,
        AuxXml = file.AuxXml,
        StacItemJson = file.StacItemJson,
    };
}
