namespace Disco.Geo.Gdal;

/// <summary>
/// A GDAL operation failed. The message names the operation, carries GDAL's own error text (CPLGetLastErrorMsg and every
/// failure GDAL reported during the call) and, where we know one, what to do about it.
/// </summary>
public sealed class GdalException : Exception
{
    /// <summary>Creates an exception for a failed operation.</summary>
    public GdalException(string message, int errorNumber = 0, IReadOnlyList<string>? gdalMessages = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorNumber = errorNumber;
        GdalMessages = gdalMessages ?? [];
    }

    /// <summary>GDAL's CPLErrorNum of the last failure (1 = app defined, 3 = file I/O, 4 = open failed, …), or 0.</summary>
    public int ErrorNumber { get; }

    /// <summary>The failure and warning texts GDAL reported on this thread during the operation, oldest first.</summary>
    public IReadOnlyList<string> GdalMessages { get; }
}
