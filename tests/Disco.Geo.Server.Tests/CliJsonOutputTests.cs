using System.Text.Json;
using Disco.Geo.Cli;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// `--json`: stdout carries only JSON (one document, or JSON Lines for job-following commands), and a failed command
/// ends stdout with one {"error":{…}} object, whatever failed: the request, the job, the connection or the usage.
/// </summary>
public sealed class CliJsonOutputTests() : ServerTests("cli-json")
{
    private readonly GateHandler _verify = new(JobKind.Verify, exclusive: false);

    // Verify jobs run until the test releases or cancels them, so how a job ends does not depend on timing.
    private protected override void Configure(WebApplicationBuilder builder) => builder.Services.AddSingleton<IJobHandler>(_verify);

    [Fact]
    public async Task A_job_following_command_prints_json_lines_and_a_job_that_ends_unsuccessfully_ends_them_with_an_error_object()
    {
        string raw = (await _client.UploadFileAsync(Temp.File(_files, "v.bin", 10_000, seed: 3))).Dataset.Id;
        CliResult queued = await RunAsync("datasets", "verify", raw, "--detach", "--json");
        Assert.True(queued.ExitCode == 0, queued.ToString());
        string jobId;
        using (JsonDocument job = JsonDocument.Parse(queued.Output))
        {
            jobId = job.RootElement.GetProperty("id").GetString()!;
        }

        await _verify.WaitStartedAsync(jobId);
        await _client.CancelJobAsync(jobId);
        CliResult watch = await RunAsync("jobs", "watch", jobId, "--json");
        Assert.True(watch.ExitCode == ExitCodes.JobUnsuccessful, watch.ToString());
        string[] lines = watch.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 2, watch.ToString());
        foreach (string line in lines[..^1])
        {
            using JsonDocument job = JsonDocument.Parse(line);
            Assert.Equal(jobId, job.RootElement.GetProperty("id").GetString());
        }

        JsonElement error = Error(lines[^1]);
        Assert.Equal("JOB_CANCELLED", error.GetProperty("code").GetString());
        Assert.Equal(ExitCodes.JobUnsuccessful, error.GetProperty("exit_code").GetInt32());
        Assert.Equal(jobId, error.GetProperty("job_id").GetString());
        Assert.Equal("JOB_STATE_CANCELLED", error.GetProperty("job_state").GetString());
        Assert.Contains($"Job {jobId} ended cancelled", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains($"Job {jobId} ended cancelled", watch.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rejected_requests_missing_things_an_unreachable_server_and_usage_errors_print_one_error_object()
    {
        await RunAsync("datasets", "upload", Temp.File(_files, "raw.tif", 10_000, seed: 4));
        CliResult invalid = await RunAsync("datasets", "ingest", "--name", "bad name", "--from", "raw", "--grid", "equiangular:1x360", "--json");
        Assert.Equal(ExitCodes.InvalidRequest, invalid.ExitCode);
        JsonElement error = Error(invalid.Output);
        Assert.Equal("INVALID_ARGUMENT", error.GetProperty("code").GetString());
        Assert.Equal(ExitCodes.InvalidRequest, error.GetProperty("exit_code").GetInt32());
        string[] fields = [.. error.GetProperty("field_violations").EnumerateArray().Select(v => v.GetProperty("field").GetString()!)];
        Assert.Contains("name", fields);
        Assert.Contains("grid.nlat", fields);
        Assert.All(error.GetProperty("field_violations").EnumerateArray(), v => Assert.NotEmpty(v.GetProperty("description").GetString()!));
        Assert.Contains("grid.nlat:", invalid.Error, StringComparison.Ordinal);

        CliResult missing = await RunAsync("datasets", "show", "april", "--json");
        Assert.Equal(ExitCodes.NotFound, missing.ExitCode);
        Assert.Equal("NOT_FOUND", Error(missing.Output).GetProperty("code").GetString());
        Assert.Contains("april", Error(missing.Output).GetProperty("message").GetString(), StringComparison.Ordinal);

        using var refusing = new RefusingPort();
        CliResult down = await CliRunner.RunAsync(null, "--server", refusing.Address, "--timeout", "2", "jobs", "list", "--json");
        Assert.Equal(ExitCodes.Unreachable, down.ExitCode);
        Assert.Equal("UNAVAILABLE", Error(down.Output).GetProperty("code").GetString());
        Assert.Contains("cannot reach the server", Error(down.Output).GetProperty("message").GetString(), StringComparison.Ordinal);

        CliResult noFile = await RunAsync("datasets", "upload", Path.Combine(_files, "nope.tif"), "--json");
        Assert.Equal(ExitCodes.Usage, noFile.ExitCode);
        Assert.Equal("USAGE", Error(noFile.Output).GetProperty("code").GetString());

        CliResult badFlag = await RunAsync("jobs", "list", "--json", "--frobnicate");
        Assert.Equal(ExitCodes.Usage, badFlag.ExitCode);
        Assert.Equal("USAGE", Error(badFlag.Output).GetProperty("code").GetString());
        Assert.Contains("--frobnicate", Error(badFlag.Output).GetProperty("message").GetString(), StringComparison.Ordinal);

        // Without --json, stdout stays free of error objects.
        CliResult plain = await RunAsync("datasets", "show", "april");
        Assert.Empty(plain.Output);
    }

    [Fact]
    public async Task Help_documents_json_lines_and_the_error_object()
    {
        CliResult help = await CliRunner.RunAsync(null, "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("JSON Lines", help.Output, StringComparison.Ordinal);
        Assert.Contains("{\"error\":{", help.Output, StringComparison.Ordinal);
        Assert.Contains("field_violations", help.Output, StringComparison.Ordinal);
        Assert.Contains("JOB_FAILED", help.Output, StringComparison.Ordinal);
        CliResult train = await CliRunner.RunAsync(null, "train", "--help");
        Assert.Contains("JSON Lines", train.Output, StringComparison.Ordinal);
    }

    /// <summary>The error object, which must be the last line of stdout and alone on it.</summary>
    private static JsonElement Error(string output)
    {
        string last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        using JsonDocument document = JsonDocument.Parse(last);
        return document.RootElement.GetProperty("error").Clone();
    }

    private Task<CliResult> RunAsync(params string[] args) => CliRunner.RunAsync(_server, args);
}
