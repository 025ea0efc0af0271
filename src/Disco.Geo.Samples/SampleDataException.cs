namespace Disco.Geo.Samples;

/// <summary>Sample data could not be fetched or verified; the message says why and what to do.</summary>
public sealed class SampleDataException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SampleDataException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
