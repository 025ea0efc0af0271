using System.Globalization;
using Disco.Geo.Client;
using Disco.Geo.Grids;
using Disco.Geo.Protos.V1;
using Google.Protobuf;
using Spectre.Console;

namespace Disco.Geo.Cli;

/// <summary>Human-readable rendering: tables, sizes, progress bars and job watching.</summary>
internal static class Display
{
    private static readonly JsonFormatter Compact = new(JsonFormatter.Settings.Default);

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " KiB",
        < 1024L * 1024 * 1024 => (bytes / (1024.0 * 1024)).ToString("F1", CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes / (1024.0 * 1024 * 1024)).ToString("F2", CultureInfo.InvariantCulture) + " GiB",
    };

    public static string Time(Google.Protobuf.WellKnownTypes.Timestamp? time) =>
        time is null ? "" : time.ToDateTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public static string Grid(Protos.V1.Grid? grid) => grid is null || grid.Nlat == 0 ? "" : $"{Kind(grid.Kind)} {grid.Nlat}x{grid.Nlon}";

    public static string Kind(Protos.V1.GridKind kind) => ApiGridKinds.To(kind) is { } known ? known.ToName() : "?";

    /// <summary>"RawFile" → "raw-file", the spelling the flags accept.</summary>
    public static string Lower(Enum value) =>
        string.Concat(value.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    public static void Table(CliContext context, string[] headers, IEnumerable<string[]> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (string header in headers)
        {
            table.AddColumn(new TableColumn(header));
        }

        int count = 0;
        foreach (string[] row in rows)
        {
            table.AddRow(row.Select(cell => Markup.Escape(cell)).ToArray());
            count++;
        }

        if (count == 0)
        {
            context.Output.WriteLine("(none)");
            return;
        }

        context.Console.Write(table);
    }

    /// <summary>Runs <paramref name="work"/> with a progress bar when attached to a terminal, or plainly otherwise.</summary>
    public static async Task<T> WithTransferProgressAsync<T>(CliContext context, string description, Func<IProgress<TransferProgress>?, Task<T>> work)
    {
        if (!context.ShowProgress)
        {
            return await work(null);
        }

        T result = default!;
        await context.Console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async progressContext =>
            {
                ProgressTask task = progressContext.AddTask(Markup.Escape(description), maxValue: 1);
                var progress = new SynchronousProgress<TransferProgress>(p =>
                {
                    task.MaxValue = Math.Max(1, p.TotalBytes);
                    task.Description = Markup.Escape($"{description} ({Lower(p.Phase)})");
                    task.Value = p.Phase == TransferPhase.Hashing ? 0 : p.Bytes;
                });
                result = await work(progress);
                task.Value = task.MaxValue;
            });
        return result;
    }

    /// <summary>
    /// Follows a job to its end with a progress bar (terminal), JSON lines (--json), or plain lines; returns the exit
    /// code. Cancelling (Ctrl+C) stops following, not the job: it throws <see cref="FollowInterruptedException"/>, whose
    /// message says so and how to follow or cancel the job.
    /// </summary>
    public static async Task<int> WatchJobAsync(CliContext context, DiscoClient client, string jobId, CancellationToken cancellationToken)
    {
        Job? last = null;
        try
        {
            if (context.JsonOutput)
            {
                await foreach (Job job in client.Jobs.WatchAsync(jobId, cancellationToken))
                {
                    context.WriteJsonText(Compact.Format(job));
                    last = job;
                }
            }
            else if (context.ShowProgress)
            {
                await context.Console.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .StartAsync(async progressContext =>
                    {
                        ProgressTask task = progressContext.AddTask(jobId, maxValue: 1);
                        await foreach (Job job in client.Jobs.WatchAsync(jobId, cancellationToken))
                        {
                            last = job;
                            task.Value = job.Progress?.Fraction ?? 0;
                            task.Description = Markup.Escape($"{Lower(job.Kind)} {Lower(job.State)}: {job.Progress?.Message}");
                        }
                    });
            }
            else
            {
                // Logs and pipes get a line per state or stage change and otherwise at most one every few seconds: a
                // training job reports every step, which would bury everything else in a CI log.
                string previousKey = "";
                long previousTime = 0;
                await foreach (Job job in client.Jobs.WatchAsync(jobId, cancellationToken))
                {
                    last = job;
                    string key = $"{job.State}|{job.Progress?.Stage}";
                    long now = System.Diagnostics.Stopwatch.GetTimestamp();
                    if (key != previousKey || System.Diagnostics.Stopwatch.GetElapsedTime(previousTime, now) >= TimeSpan.FromSeconds(5) || JobsClient.IsFinal(job.State))
                    {
                        context.Output.WriteLine($"{job.Id} {Lower(job.State)} {Percent(job.Progress?.Fraction ?? 0)} {job.Progress?.Message}");
                        previousKey = key;
                        previousTime = now;
                    }
                }
            }

            last ??= await client.Jobs.GetAsync(jobId, cancellationToken);
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new FollowInterruptedException(last ?? new Job { Id = jobId }, e);
        }

        return Outcome(context, last);
    }

    /// <summary>Prints how a job ended and maps it to an exit code.</summary>
    public static int Outcome(CliContext context, Job job)
    {
        if (job.State == JobState.Succeeded)
        {
            context.Say($"Job {job.Id} succeeded{Result(job.Result)}.");
            return ExitCodes.Success;
        }

        if (JobFinal(job.State))
        {
            string why = job.Error is { } error && error.Message.Length > 0 ? ": " + error.Message : ".";
            string message = $"Job {job.Id} ended {Lower(job.State)}{why}";
            context.Error.WriteLine(message);
            if (job.Resumable)
            {
                context.Error.WriteLine($"Resume it with `disco jobs resume {job.Id}`.");
            }
            else if (job.State == JobState.Failed)
            {
                // The server marks failures a resume cannot fix (a bad request) as not resumable.
                context.Error.WriteLine("A resume would fail the same way: change what the message names and run the command again.");
            }

            JsonErrors.Write(context, "JOB_" + job.State.ToString().ToUpperInvariant(), ExitCodes.JobUnsuccessful, message, job);

            return ExitCodes.JobUnsuccessful;
        }

        return ExitCodes.Success;
    }

    public static string Percent(double fraction) => (fraction * 100).ToString("F0", CultureInfo.InvariantCulture) + "%";

    private static bool JobFinal(JobState state) => JobsClient.IsFinal(state);

    private static string Result(JobResult? result) => result?.ResultCase switch
    {
        JobResult.ResultOneofCase.DatasetId => ", dataset " + result.DatasetId,
        JobResult.ResultOneofCase.ModelId => ", model " + result.ModelId,
        JobResult.ResultOneofCase.PredictionId => ", prediction " + result.PredictionId,
        JobResult.ResultOneofCase.Verify => $", {result.Verify.BlobsChecked} blobs ({Bytes(result.Verify.BytesChecked)}) intact",
        _ => "",
    };

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
