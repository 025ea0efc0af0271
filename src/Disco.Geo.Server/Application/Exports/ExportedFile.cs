namespace Disco.Geo.Server.Application.Exports;

/// <summary>What is sent ahead of an exported file's bytes: its name, type, size and hash, and GDAL's sidecar inlined.</summary>
internal sealed record ExportedFile(string FileName, string ContentType, long SizeBytes, string Sha256, string AuxXml);
