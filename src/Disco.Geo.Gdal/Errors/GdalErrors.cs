using System.Runtime.InteropServices;
using Disco.Geo.Gdal.Interop;

namespace Disco.Geo.Gdal.Errors;

/// <summary>
/// Turns GDAL's per-thread error state into exceptions. One process-wide handler (CPLSetErrorHandler) replaces GDAL's
/// default, which prints to stderr: it forwards every message to <see cref="GdalRuntime.Diagnostics"/> and records
/// failures and warnings raised on the calling thread between <see cref="Reset"/> and the check, because a single call
/// can emit several messages and the last one (what CPLGetLastErrorMsg returns) is often the least specific.
/// GDAL keeps its error state per thread, so a reset, the call and the check must run on one thread without an await.
/// </summary>
internal static class GdalErrors
{
    private const int MaxRecorded = 32;

    [ThreadStatic]
    private static List<GdalMessage>? _threadMessages;

    internal static unsafe void InstallHandler()
    {
        GdalNative.CPLSetErrorHandler(&OnError);
    }

    /// <summary>Clears GDAL's last error and this thread's record before a call.</summary>
    internal static void Reset()
    {
        GdalNative.CPLErrorReset();
        _threadMessages?.Clear();
    }

    /// <summary>True when GDAL recorded a failure on this thread since <see cref="Reset"/>.</summary>
    internal static bool HasFailure() => GdalNative.CPLGetLastErrorType() >= (int)CplErr.Failure;

    /// <summary>Throws when <paramref name="result"/> (a CPLErr or OGRErr) is not zero.</summary>
    internal static void Check(int result, string operation, string? advice = null)
    {
        if (result != 0)
        {
            throw Failure(operation, advice);
        }
    }

    /// <summary>Throws when GDAL recorded a failure on this thread since <see cref="Reset"/>.</summary>
    internal static void ThrowIfFailed(string operation, string? advice = null)
    {
        if (HasFailure())
        {
            throw Failure(operation, advice);
        }
    }

    /// <summary>Builds the exception for a failed operation from this thread's record and GDAL's last error.</summary>
    internal static GdalException Failure(string operation, string? advice = null)
    {
        List<string> texts = [];
        if (_threadMessages is not null)
        {
            foreach (GdalMessage message in _threadMessages)
            {
                if (message.Severity >= GdalMessageSeverity.Failure && !texts.Contains(message.Text))
                {
                    texts.Add(message.Text);
                }
            }
        }

        string? last = Marshal.PtrToStringUTF8(GdalNative.CPLGetLastErrorMsg());
        if (!string.IsNullOrWhiteSpace(last) && !texts.Contains(last))
        {
            texts.Add(last);
        }

        int number = GdalNative.CPLGetLastErrorNo();
        string detail = texts.Count == 0 ? "GDAL gave no error message" : string.Join(" | ", texts);
        string text = $"{operation} failed: {detail}.";
        if (!string.IsNullOrEmpty(advice))
        {
            text += " " + advice;
        }

        return new GdalException(text, number, texts);
    }

    [UnmanagedCallersOnly]
    private static unsafe void OnError(int errorClass, int errorNumber, byte* message)
    {
        try
        {
            string text = Marshal.PtrToStringUTF8((nint)message) ?? string.Empty;
            GdalMessageSeverity severity = errorClass switch
            {
                (int)CplErr.Debug => GdalMessageSeverity.Debug,
                (int)CplErr.Warning => GdalMessageSeverity.Warning,
                (int)CplErr.Failure => GdalMessageSeverity.Failure,
                (int)CplErr.Fatal => GdalMessageSeverity.Fatal,
                _ => GdalMessageSeverity.Debug,
            };
            GdalMessage record = new(severity, errorNumber, text);
            if (severity >= GdalMessageSeverity.Warning)
            {
                List<GdalMessage> messages = _threadMessages ??= [];
                if (messages.Count < MaxRecorded)
                {
                    messages.Add(record);
                }
            }

            GdalRuntime.Publish(record);
        }
        catch
        {
            // Nothing may unwind into GDAL's native frames.
        }
    }
}
