namespace Disco.Geo.Gdal;

/// <summary>Severity of a GDAL message (CPLErr).</summary>
public enum GdalMessageSeverity
{
    /// <summary>CE_Debug: only emitted when CPL_DEBUG is on.</summary>
    Debug = 1,

    /// <summary>CE_Warning: the operation went on.</summary>
    Warning = 2,

    /// <summary>CE_Failure: the operation failed.</summary>
    Failure = 3,

    /// <summary>CE_Fatal: GDAL is about to abort.</summary>
    Fatal = 4,
}

/// <summary>One message GDAL emitted through its error handler.</summary>
/// <param name="Severity">CPLErr class.</param>
/// <param name="ErrorNumber">CPLErrorNum.</param>
/// <param name="Text">GDAL's text.</param>
public readonly record struct GdalMessage(GdalMessageSeverity Severity, int ErrorNumber, string Text);
