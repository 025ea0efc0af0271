namespace Disco.Geo.Server.Application.Transfers;

/// <summary>
/// A run of a file's bytes at its offset: what a transfer chunk carries, without the wire type, so receiving and
/// sending files does not depend on the messages that carry them.
/// </summary>
internal readonly record struct FilePiece(long Offset, ReadOnlyMemory<byte> Data);
