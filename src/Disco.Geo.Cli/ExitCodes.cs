using Grpc.Core;

namespace Disco.Geo.Cli;

/// <summary>The CLI's exit codes (documented in `disco --help` and the README).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Unreachable = 3;
    public const int NotFound = 4;
    public const int InvalidRequest = 5;
    public const int Unauthorized = 6;
    public const int Conflict = 7;
    public const int NotImplemented = 8;
    public const int JobUnsuccessful = 9;
    public const int DataIntegrity = 10;
    public const int SampleDataUnavailable = 11;
    public const int Cancelled = 130;

    public const string Help = """
        Exit codes:
          0    success
          1    other failure (internal server error, unexpected local error)
          2    usage error: bad flags or arguments, missing local file
          3    server unreachable or not serving (UNAVAILABLE, DEADLINE_EXCEEDED)
          4    not found (wrong id or name)
          5    invalid request (INVALID_ARGUMENT, OUT_OF_RANGE): see the field messages
          6    authentication or permission (UNAUTHENTICATED, PERMISSION_DENIED)
          7    conflict or wrong state (ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED)
          8    not implemented by this server build (UNIMPLEMENTED)
          9    a job ended failed, cancelled or interrupted, or some inputs of a batch failed
          10   data integrity (DATA_LOSS: checksum mismatch, corrupt stored data)
          11   sample data could not be fetched or verified (no network, package missing, file changed)
          130  interrupted by Ctrl+C
        """;

    public static int For(StatusCode code) => code switch
    {
        StatusCode.OK => Success,
        StatusCode.Unavailable or StatusCode.DeadlineExceeded => Unreachable,
        StatusCode.NotFound => NotFound,
        StatusCode.InvalidArgument or StatusCode.OutOfRange => InvalidRequest,
        StatusCode.Unauthenticated or StatusCode.PermissionDenied => Unauthorized,
        StatusCode.AlreadyExists or StatusCode.FailedPrecondition or StatusCode.Aborted => Conflict,
        StatusCode.Unimplemented => NotImplemented,
        StatusCode.DataLoss => DataIntegrity,
        StatusCode.Cancelled => Cancelled,
        _ => Failure,
    };
}
