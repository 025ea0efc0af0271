namespace Disco.Geo.Server.Application.Exports;

/// <summary>
/// What is sent ahead of an exported file's bytes: its name, type, size and hash, GDAL's sidecar inlined, and for
/// prediction exports the STAC Item that describes the file.
/// </summary>
internal sealed record ExportedFile(string FileName, string ContentType, long SizeBytes, string Sha256, string AuxXml, string StacItemJson = "");
