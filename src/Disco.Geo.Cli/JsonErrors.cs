using System.Reflection;
using System.Text;
using System.Text.Json;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace Disco.Geo.Cli;

/// <summary>
/// The error object a command prints on stdout with --json when it fails, so a script that reads stdout learns of the
/// failure from stdout alone (the message for people still goes to stderr). One line, so it also ends a JSON Lines
/// stream:
/// <code>{"error":{"code":"INVALID_ARGUMENT","message":"…","exit_code":5,"field_violations":[{"field":"name","description":"…"}]}}</code>
/// with "reason" (google.rpc.ErrorInfo) when the server gave one, and "job_id", "job_state" and "resumable" when the
/// failure concerns a job.
/// </summary>
internal static class JsonErrors
{
    public const string Help = """
        JSON output (--json):
          stdout carries only JSON; messages for people go to stderr.
          Commands that follow a job (datasets ingest|verify, train, jobs watch, jobs resume --watch) print JSON Lines:
          one Job object per line as its state changes (--detach: the queued Job once).
          Every other command prints one JSON document.
          When a command fails, stdout gets one line {"error":{...}} (the last line of a JSON Lines stream):
            code              a gRPC status name from the server (INVALID_ARGUMENT, NOT_FOUND, ...), or USAGE, IO,
                              CANCELLED (Ctrl+C), SAMPLE_DATA_UNAVAILABLE, JOB_FAILED, JOB_CANCELLED, JOB_INTERRUPTED
            message           what went wrong and what to do
            exit_code         the exit code below
            field_violations  [{"field","description"}] for invalid requests (may be empty)
            reason            the server's machine-readable reason, when it gave one
            job_id, job_state, resumable   when the failure concerns a job (e.g. it ended failed, or Ctrl+C stopped
                              following it while it goes on)
        """;

    /// <summary>A failed call to the server.</summary>
    public static void Write(CliContext context, DiscoException e, string message) =>
        Write(context, StatusName(e.StatusCode), ExitCodes.For(e.StatusCode), message, e.FieldViolations, e.Reason, null);

    /// <summary>A job that ended failed, cancelled or interrupted, or that the user stopped following.</summary>
    public static void Write(CliContext context, string code, int exitCode, string message, Job job) =>
        Write(context, code, exitCode, message, [], null, job);

    /// <summary>A local failure: usage, files, Ctrl+C.</summary>
    public static void Write(CliContext context, string code, int exitCode, string message) =>
        Write(context, code, exitCode, message, [], null, null);

    /// <summary>"InvalidArgument" → "INVALID_ARGUMENT", the canonical gRPC spelling.</summary>
    public static string StatusName(StatusCode code) =>
        string.Concat(code.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : char.ToUpperInvariant(c).ToString()));

    private static void Write(CliContext context, string code, int exitCode, string message, IReadOnlyList<FieldViolation> violations, string? reason, Job? job)
    {
        if (!context.JsonOutput)
        {
            return;
        }

        using var buffer = new MemoryStream();
        // Relaxed escaping: the message is read by scripts and people in a terminal, never embedded in HTML, so
        // quotes and backticks of command hints stay as they are instead of becoming \u0027 and \u0060.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("code", code);
            json.WriteString("message", message);
            json.WriteNumber("exit_code", exitCode);
            json.WriteStartArray("field_violations");
            foreach (FieldViolation violation in violations)
            {
                json.WriteStartObject();
                json.WriteString("field", violation.Field);
                json.WriteString("description", violation.Description);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (reason is not null)
            {
                json.WriteString("reason", reason);
            }

            if (job is not null)
            {
                json.WriteString("job_id", job.Id);
                if (job.State != JobState.Unspecified)
                {
                    // Unspecified when following was stopped before the first state arrived.
                    json.WriteString("job_state", StateName(job.State));
                    json.WriteBoolean("resumable", job.Resumable);
                }
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        context.WriteJsonText(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    // The proto JSON name, as in the Job lines before it: JOB_STATE_RUNNING.
    private static string StateName(JobState state) =>
        typeof(JobState).GetField(state.ToString())?.GetCustomAttribute<OriginalNameAttribute>()?.Name ?? state.ToString();
}
