using System.Text.Json;
using Disco.Geo.Cli;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// Ctrl+C (SIGINT) sent to a real `disco` process while it follows a job on a real server: the CLI stops following,
/// says the job goes on and how to watch or cancel it, exits 130 without an unhandled exception, and the job really
/// goes on. The jobs are held by gate handlers, so they are certainly running when the signal arrives and still
/// running when the test looks, whatever the machine's speed.
/// </summary>
public sealed class CliInterruptTests() : ServerTests("cli-interrupt")
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly GateHandler _training = new(JobKind.Training, exclusive: true);
    private readonly GateHandler _verify = new(JobKind.Verify, exclusive: false);
    private readonly GateHandler _prediction = new(JobKind.Prediction, exclusive: false);

    private protected override void Configure(WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IJobHandler>(_training);
        builder.Services.AddSingleton<IJobHandler>(_verify);
        builder.Services.AddSingleton<IJobHandler>(_prediction);
    }

    [Theory]
    [InlineData("train", false)]
    [InlineData("datasets verify", true)]
    [InlineData("jobs watch", false)]
    public async Task Ctrl_C_while_following_a_job_leaves_it_running_and_says_how_to_watch_or_cancel_it(string command, bool json)
    {
        string[] args = command switch
        {
            "train" => ["train", "--model-name", "m", "--task", "segmentation", "--dataset", await LabelledDatasetAsync(), "--levels", "2", "--channels", "4", "--epochs", "1"],
            "datasets verify" => ["datasets", "verify", (await _client.UploadFileAsync(Temp.File(_files, "v.bin", 10_000, seed: 1))).Dataset.Id],
            _ => ["jobs", "watch", (await _server.Get<JobRunner>().SubmitAsync(
                new JobSubmission(JobKind.Training.ToRecord(), JobSpecs.Of(new StartTrainingRequest { ModelName = "gate" }), "cpu", 0, "gate job", null, []), CancellationToken.None)).Id],
        };
        using CliProcess cli = CliProcess.Start(["--server", _server.GrpcAddress, .. args, .. json ? new[] { "--json" } : []]);

        // The job is running once the CLI prints its running state (a Job line with --json, a text line otherwise).
        string running = await cli.WaitForLineAsync(line => line.Contains(json ? "\"JOB_STATE_RUNNING\"" : " running ", StringComparison.Ordinal), Patience);
        string jobId = json ? JsonDocument.Parse(running).RootElement.GetProperty("id").GetString()! : running.Split(' ')[0];
        await cli.InterruptAsync();
        int exit = await cli.WaitForExitAsync(Patience);

        string report = $"exit {exit}\nstdout:\n{cli.Output}\nstderr:\n{cli.Error}";
        Assert.True(exit == ExitCodes.Cancelled, report);
        Assert.Contains($"Job {jobId} keeps running on the server", cli.Error, StringComparison.Ordinal);
        Assert.Contains($"`disco jobs watch {jobId}`", cli.Error, StringComparison.Ordinal);
        Assert.Contains($"`disco jobs cancel {jobId}`", cli.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("rerun", cli.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", cli.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", cli.Error, StringComparison.Ordinal);
        if (json)
        {
            // stdout stays JSON Lines, and its last line says why it ended.
            string[] lines = cli.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.All(lines, line => JsonDocument.Parse(line).Dispose());
            using JsonDocument last = JsonDocument.Parse(lines[^1]);
            JsonElement error = last.RootElement.GetProperty("error");
            Assert.Equal("CANCELLED", error.GetProperty("code").GetString());
            Assert.Equal(ExitCodes.Cancelled, error.GetProperty("exit_code").GetInt32());
            Assert.Equal(jobId, error.GetProperty("job_id").GetString());
            Assert.Equal("JOB_STATE_RUNNING", error.GetProperty("job_state").GetString());
        }

        // The job goes on: still running after the CLI is gone, and it finishes when its work does.
        Assert.Equal(JobState.Running, (await _client.GetJobAsync(jobId)).State);
        (command == "datasets verify" ? _verify : _training).Finish(jobId);
        Assert.Equal(JobState.Succeeded, (await _client.WaitForJobAsync(jobId)).State);
    }

    [Fact]
    public async Task Ctrl_C_during_a_batch_prediction_names_the_predictions_that_keep_running()
    {
        await _client.ImportModelAsync(Packages.Write(_files, "m.discomodel", seed: 7));
        string input = TestRasters.WriteAnalyticGeoTiff(Path.Combine(_files, "jan.tif"), 72, 36);
        using CliProcess cli = CliProcess.Start("--server", _server.GrpcAddress, "predict", "--model", "land-water", "--out", Path.Combine(_files, "out"), input);

        string started = await cli.WaitForLineAsync(line => line.StartsWith("started ", StringComparison.Ordinal), Patience);
        string jobId = started[(started.IndexOf("(job ", StringComparison.Ordinal) + 5)..^1];
        await cli.InterruptAsync();
        int exit = await cli.WaitForExitAsync(Patience);

        string report = $"exit {exit}\nstdout:\n{cli.Output}\nstderr:\n{cli.Error}";
        Assert.True(exit == ExitCodes.Cancelled, report);
        Assert.Contains($"These predictions keep running on the server: {jobId} ({input})", cli.Error, StringComparison.Ordinal);
        Assert.Contains("`disco jobs watch ID`", cli.Error, StringComparison.Ordinal);
        Assert.Contains("`disco jobs cancel ID`", cli.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", cli.Error, StringComparison.Ordinal);
        Assert.Equal(JobState.Running, (await _client.GetJobAsync(jobId)).State);
        _prediction.Finish(jobId);
        Assert.True(DiscoClient.IsFinal((await _client.WaitForJobAsync(jobId)).State));
    }

    private async Task<string> LabelledDatasetAsync()
    {
        string path = TinyTraining.WriteLabelledGeoTiff(Path.Combine(_files, "labelled.tif"));
        return (await TinyTraining.IngestAsync(_client, path, "labelled", TinyTraining.Grid9)).Name;
    }
}
