namespace Disco.Geo.Client;

/// <summary>What a transfer is doing.</summary>
public enum TransferPhase
{
    /// <summary>Computing the SHA-256 of the local file.</summary>
    Hashing,

    /// <summary>Sending or receiving bytes.</summary>
    Transferring,

    /// <summary>Waiting before a retry after a failure.</summary>
    Retrying,

    /// <summary>Done.</summary>
    Complete,
}

/// <summary>Progress of an upload or download.</summary>
/// <param name="Phase">What is happening.</param>
/// <param name="Bytes">Bytes done in this phase (for a resumed upload, including what the server already had).</param>
/// <param name="TotalBytes">Size of the file.</param>
/// <param name="BytesPerSecond">Recent rate.</param>
public readonly record struct TransferProgress(TransferPhase Phase, long Bytes, long TotalBytes, double BytesPerSecond);
