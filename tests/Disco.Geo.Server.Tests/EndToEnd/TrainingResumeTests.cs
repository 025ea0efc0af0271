using System.Text.Json;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Disco.Geo.Server.Tests.EndToEnd;

/// <summary>
/// Stopping training and continuing it: a cancelled job resumed through the API reproduces the uninterrupted run, and
/// a real disco-server process killed with SIGKILL mid-training leaves an INTERRUPTED job that `disco jobs resume`
/// finishes from its last checkpoint after a restart.
/// </summary>
public sealed class TrainingResumeTests
{
    private const string Checkpoint = "training.checkpoint";

    [Fact]
    public async Task A_cancelled_training_job_resumes_from_its_checkpoint_and_matches_the_uninterrupted_run()
    {
        string files = Temp.Directory("resume");
        // The trainer logs every step; holding the interrupted run's step-20 line keeps it at step 20 until the cancel
        // has arrived, so the cancel cannot lose a race against the remaining steps on a fast or idle machine.
        using var sink = new GatedLogSink("Step 20/", armed: false);
        await using TestServer server = await TestServer.StartAsync(configure: builder =>
        {
            builder.Logging.AddFilter<GatedLogSink>(typeof(Disco.Geo.Sphere.Training.SphereTrainer).FullName, LogLevel.Debug);
            builder.Logging.AddProvider(sink);
        });
        using DiscoClient client = server.Client();
        try
        {
            Dataset a = await TinyTraining.IngestAsync(client, TinyTraining.WriteLabelledGeoTiff(Path.Combine(files, "a.tif")), "a", TinyTraining.Grid17);
            Dataset b = await TinyTraining.IngestAsync(client, TinyTraining.WriteLabelledGeoTiff(Path.Combine(files, "b.tif"), shift: 120), "b", TinyTraining.Grid17);

            Job reference = await client.StartTrainingAsync(TinyTraining.Request("straight", [a.Id, b.Id], epochs: 60, checkpointEvery: 5));
            Assert.Equal(JobState.Succeeded, (await TinyTraining.FinishAsync(client, reference.Id, TimeSpan.FromMinutes(3))).State);

            sink.Arm();
            Job job = await client.StartTrainingAsync(TinyTraining.Request("interrupted", [a.Id, b.Id], epochs: 60, checkpointEvery: 5));
            await sink.WaitHeldAsync();
            Job midway = await client.GetJobAsync(job.Id);
            await client.CancelJobAsync(job.Id);
            sink.Open();
            Job cancelled = await TinyTraining.FinishAsync(client, job.Id, TimeSpan.FromMinutes(1));
            Assert.Equal(JobState.Cancelled, cancelled.State);
            Assert.True(cancelled.Resumable);
            Assert.InRange(cancelled.Progress.Step, midway.Progress.Step, 119);
            Assert.True(File.Exists(Path.Combine(server.DataDirectory, "jobs", job.Id, Checkpoint)), "no checkpoint after cancellation");

            Job resumed = await client.ResumeJobAsync(job.Id);
            Assert.Equal(2, resumed.Attempt);
            Job done = await TinyTraining.FinishAsync(client, job.Id, TimeSpan.FromMinutes(3));
            Assert.True(done.State == JobState.Succeeded, $"resumed job ended {done.State}: {done.Error}");
            Assert.False(Directory.Exists(Path.Combine(server.DataDirectory, "jobs", job.Id)), "the working directory outlived the job");

            Model straight = await client.GetModelAsync("straight");
            Model interrupted = await client.GetModelAsync("interrupted");
            Assert.Equal(cancelled.Progress.Step, long.Parse(Provenance(interrupted, "last_attempt_started_at_step"), System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal("2", Provenance(interrupted, "attempts"));

            // The same seed gives the same steps: the resumed run retraces the uninterrupted one.
            Assert.Equal(Provenance(straight, "loss_curve"), Provenance(interrupted, "loss_curve"));
            Assert.Equal(straight.Metrics["final_training_loss"], interrupted.Metrics["final_training_loss"]);
            Assert.Equal(straight.Metrics["miou"], interrupted.Metrics["miou"]);
        }
        finally
        {
            Temp.Delete(files);
        }
    }

    [Fact]
    public async Task After_kill_9_mid_training_the_job_is_interrupted_and_disco_jobs_resume_finishes_it_from_the_checkpoint()
    {
        string data = Temp.Directory("kill-data");
        string files = Temp.Directory("kill-files");
        ServerProcess server = await ServerProcess.StartAsync(data);
        DiscoClient client = Connect(server.Address);
        try
        {
            Dataset dataset = await TinyTraining.IngestAsync(client, TinyTraining.WriteLabelledGeoTiff(Path.Combine(files, "w.tif")), "world", TinyTraining.Grid17);
            Job job = await client.StartTrainingAsync(TinyTraining.Request("survivor", [dataset.Id], epochs: 400, checkpointEvery: 5));
            await TinyTraining.WaitUntilAsync(client, job.Id, j => j.Progress?.Step >= 20, TimeSpan.FromMinutes(2));

            server.KillHard();
            server.Dispose();
            string checkpoint = Path.Combine(data, "jobs", job.Id, Checkpoint);
            Assert.True(File.Exists(checkpoint), "no checkpoint on disk after the kill");
            // The restarted server binds a port of its own; nothing was in flight, so a new client simply uses it.
            server = await ServerProcess.StartAsync(data);
            client.Dispose();
            client = Connect(server.Address);

            Job interrupted = await client.GetJobAsync(job.Id);
            Assert.Equal(JobState.Interrupted, interrupted.State);
            Assert.True(interrupted.Resumable);
            Assert.Equal((int)Grpc.Core.StatusCode.Aborted, interrupted.Error.Code);

            CliResult resume = await CliRunner.RunAsync(null, "--server", server.Address, "jobs", "resume", job.Id, "--watch");
            Assert.True(resume.ExitCode == 0, resume.ToString());
            Assert.Contains("succeeded", resume.Output, StringComparison.Ordinal);

            Job done = await client.GetJobAsync(job.Id);
            Assert.Equal((JobState.Succeeded, 2), (done.State, done.Attempt));
            Model model = await client.GetModelAsync("survivor");
            Assert.Equal(400, model.Metrics["steps"]);
            long startedAt = long.Parse(Provenance(model, "last_attempt_started_at_step"), System.Globalization.CultureInfo.InvariantCulture);
            // Checkpoints come every 5 steps and the newest may still be in flight at the kill, so the resume starts
            // from one taken at step 10 or later (the watcher saw step 20) and before the end.
            Assert.True(startedAt >= 10 && startedAt % 5 == 0 && startedAt < 400, $"resumed at step {startedAt}");
        }
        finally
        {
            client.Dispose();
            server.Dispose();
            Temp.Delete(data);
            Temp.Delete(files);
        }
    }

    private static DiscoClient Connect(string address) => DiscoClient.Connect(new DiscoClientOptions
    {
        Address = address,
        MaxAttempts = 40,
        InitialBackoff = TimeSpan.FromMilliseconds(200),
        MaxBackoff = TimeSpan.FromSeconds(1),
    });

    private static string Provenance(Model model, string key)
    {
        using JsonDocument card = JsonDocument.Parse(model.CardJson);
        return card.RootElement.GetProperty("provenance").GetProperty(key).GetString()!;
    }
}
