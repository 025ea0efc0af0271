using System.Globalization;
using System.Text.Json;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;
using Disco.Geo.Server.Tests.Storage.Backends;
using Grpc.Core;
using Xunit.Abstractions;

namespace Disco.Geo.Server.Tests.Cluster;

/// <summary>
/// Three real disco-server processes (replicas r1, r2, r3, each with its own data directory and a port the kernel
/// picks) on one real PostgreSQL database and one blob root, as issue 12 deploys them. Heartbeats come every second and
/// polls every 200 ms; the lease is 5 s where a take-over after kill -9 is awaited, so that it is quick; every wait is on an event a client observes (a watch
/// event, a job state), never on a sleep.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ThreeReplicaClusterTests(PostgresFixture postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Checkpoint = "training.checkpoint";

    // Training waits are longer than Eventually.Guard: the 2-core CI machine is shared and tiny training still takes a minute there.
    private static readonly TimeSpan TrainingGuard = TimeSpan.FromMinutes(5);
    private readonly string _blobRoot = Temp.Directory("three-blobs");
    private readonly string _files = Temp.Directory("three-files");
    private readonly List<(string Id, string Data, ServerProcess Process)> _replicas = [];
    private readonly List<DiscoClient> _clients = [];

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>
    /// Starts r1, r2, r3 one after the other, as a rolling deployment would (the schema migration race has its own
    /// test). <paramref name="lease"/> is short only where a test waits for a take-over: on this shared 2-core machine a
    /// 3 s lease was seen to expire under a live, overloaded replica (claimed, then its first heartbeat 1 s after the
    /// job started came too late), and the job was taken over and fenced; correct, but not "each job runs once".
    /// </summary>
    private async Task StartReplicasAsync(string lease = "00:00:30", Func<string, string[]>? settingsOf = null)
    {
        string connectionString = await postgres.Server.CreateDatabaseAsync();
        string[] settings =
        [
            "--postgres", connectionString, "--blob-root", _blobRoot, "--Server:ShutdownDrain=00:00:00",
            $"--Cluster:LeaseDuration={lease}", "--Cluster:HeartbeatInterval=00:00:01", "--Cluster:PollInterval=00:00:00.200",
        ];
        for (int i = 1; i <= 3; i++)
        {
            string id = "r" + i.ToString(CultureInfo.InvariantCulture);
            string data = Temp.Directory("three-" + id);
            _replicas.Add((id, data, await ServerProcess.StartAsync(data, [.. settings, "--replica-id", id, .. settingsOf?.Invoke(id) ?? []])));
            _clients.Add(Connect(_replicas[^1].Process.Address));
        }
    }

    public Task DisposeAsync()
    {
        _clients.ForEach(c => c.Dispose());
        foreach ((_, string data, ServerProcess process) in _replicas)
        {
            process.Dispose();
            Temp.Delete(data);
        }

        Temp.Delete(_blobRoot);
        Temp.Delete(_files);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Ingested_on_r1_trained_through_r2_and_watched_from_r3_which_sees_progress_and_the_final_state()
    {
        await StartReplicasAsync();
        await WithOutputAsync(async () =>
        {
            Dataset dataset = await TinyTraining.IngestAsync(_clients[0], TinyTraining.WriteLabelledGeoTiff(Path.Combine(_files, "w.tif")), "world", TinyTraining.Grid9);
            Job job = await _clients[1].StartTrainingAsync(TinyTraining.Request("shared", [dataset.Id], epochs: 40, checkpointEvery: 5));

            var seen = new List<Job>();
            using var deadline = new CancellationTokenSource(TrainingGuard);
            await foreach (Job state in _clients[2].WatchJobAsync(job.Id, deadline.Token))
            {
                seen.Add(state);
            }

            Job final = seen[^1];
            Assert.True(final.State == JobState.Succeeded, $"training ended {final.State}: {final.Error}");
            Assert.Contains(seen, s => s.State == JobState.Running && s.Progress?.Step > 0 && s.Progress.Step < 40);
            // Step numbers seen from r3 while it ran never go backwards within the one attempt.
            long[] steps = [.. seen.Where(s => s.State == JobState.Running && s.Progress?.Step > 0).Select(s => s.Progress.Step)];
            Assert.Equal(steps.Order(), steps);
            JobAttempt attempt = Assert.Single(final.Attempts);
            Assert.Contains(attempt.Replica, _replicas.Select(r => r.Id));
            // The model is one record every replica sees, its package on the shared blob root.
            foreach (DiscoClient client in _clients)
            {
                Assert.Equal(job.Id, (await client.GetModelAsync("shared")).JobId);
            }
        });
    }

    [Fact]
    public async Task Killing_the_replica_that_trains_hands_the_job_to_another_that_resumes_from_the_checkpoint_and_commits_one_model()
    {
        await StartReplicasAsync(lease: "00:00:05");
        await WithOutputAsync(async () =>
        {
            Dataset dataset = await TinyTraining.IngestAsync(_clients[0], TinyTraining.WriteLabelledGeoTiff(Path.Combine(_files, "w.tif")), "world", TinyTraining.Grid17);
            Job job = await _clients[0].StartTrainingAsync(TinyTraining.Request("survivor", [dataset.Id], epochs: 200, checkpointEvery: 5));
            Job midway = await TinyTraining.WaitUntilAsync(_clients[0], job.Id, j => j.Progress?.Step >= 20 && j.Attempts.Count == 1, TrainingGuard);
            string victim = midway.Attempts[0].Replica;
            int victimIndex = _replicas.FindIndex(r => r.Id == victim);
            Assert.True(victimIndex >= 0, $"attempt 1 ran on an unknown replica '{victim}'");

            _replicas[victimIndex].Process.KillHard();
            // The checkpoints are on the shared root, where the replica that takes over finds them.
            Assert.True(File.Exists(Path.Combine(_blobRoot, "jobs", job.Id, Checkpoint)), "no checkpoint on the blob root after the kill");

            DiscoClient survivor = _clients[(victimIndex + 1) % 3];
            Job resumed = await TinyTraining.WaitUntilAsync(survivor, job.Id, j => j.Attempt == 2 && j.State == JobState.Running && j.Progress?.Step > 0, TrainingGuard);
            Job done = await TinyTraining.FinishAsync(survivor, job.Id, TrainingGuard);
            Assert.True(done.State == JobState.Succeeded, $"the resumed job ended {done.State}: {done.Error}");

            Assert.Equal(2, done.Attempt);
            Assert.Equal(2, done.Attempts.Count);
            Assert.Equal((1, victim), (done.Attempts[0].Attempt, done.Attempts[0].Replica));
            Assert.Equal(2, done.Attempts[1].Attempt);
            Assert.NotEqual(victim, done.Attempts[1].Replica);
            Assert.Contains(done.Attempts[1].Replica, _replicas.Select(r => r.Id));
            Assert.True(done.Attempts[1].LeaseGeneration > done.Attempts[0].LeaseGeneration, "the take-over did not fence the old lease");

            // Resumed from a checkpoint (every 5 steps; the newest may have been in flight at the kill), not from step 0.
            Model model = await survivor.GetModelAsync("survivor");
            long startedAt = long.Parse(Provenance(model, "last_attempt_started_at_step"), CultureInfo.InvariantCulture);
            Assert.True(startedAt >= 15 && startedAt % 5 == 0 && startedAt < 200, $"resumed at step {startedAt}, killed after step {midway.Progress.Step}");
            Assert.True(resumed.Progress.Step >= startedAt, $"the second attempt's first progress {resumed.Progress.Step} is before its start {startedAt}");
            Assert.Equal("2", Provenance(model, "attempts"));
            Assert.Equal(200, model.Metrics["steps"]);

            // Committed exactly once.
            List<Model> models = await survivor.ListModelsAsync().ToListAsync();
            Assert.Equal(job.Id, Assert.Single(models).JobId);
        });
    }

    [Fact]
    public async Task Many_small_jobs_submitted_to_all_three_replicas_at_once_each_run_exactly_once()
    {
        await StartReplicasAsync();
        await WithOutputAsync(async () =>
        {
            Dataset small = (await _clients[0].UploadFileAsync(Temp.File(_files, "small.bin", 4096, seed: 3))).Dataset;
            const int Jobs = 30;

            // Submitted concurrently, ten to each replica: all three claim loops race for the same queue.
            Job[] submitted = await Task.WhenAll(Enumerable.Range(0, Jobs).Select(i => _clients[i % 3].VerifyDatasetAsync(small.Id)));
            Job[] finished = await Task.WhenAll(submitted.Select((j, i) => TinyTraining.FinishAsync(_clients[(i + 1) % 3], j.Id, Eventually.Guard)));

            Assert.Equal(Jobs, finished.Select(j => j.Id).Distinct().Count());
            foreach (Job job in finished)
            {
                Assert.True(job.State == JobState.Succeeded, $"{job.Id} ended {job.State}: {job.Error}");
                JobAttempt attempt = Assert.Single(job.Attempts);
                Assert.Equal((1, 1, 1L), (job.Attempt, attempt.Attempt, attempt.LeaseGeneration));
                Assert.Contains(attempt.Replica, _replicas.Select(r => r.Id));
                Assert.Equal(1, job.Result.Verify.BlobsChecked);
            }
        });
    }

    [Fact]
    public async Task Predictions_through_one_client_given_all_three_addresses_survive_a_replica_killed_under_them()
    {
        // A short lease: a prediction the victim was answering is taken over once its lease expires.
        await StartReplicasAsync(lease: "00:00:05");
        await WithOutputAsync(async () =>
        {
            Model model = await _clients[0].ImportModelAsync(Packages.Write(_files, "lw.discomodel", seed: 5));
            var grid = new Grid { Kind = GridKind.Equiangular, Nlat = 19, Nlon = 36, LonOriginDegrees = 0 };
            await TinyTraining.IngestAsync(_clients[0], TinyTraining.WriteInputGeoTiff(Path.Combine(_files, "in.tif")), "field", grid, withLabels: false);
            using DiscoClient client = DiscoClient.Connect(new DiscoClientOptions
            {
                Address = string.Join(",", _replicas.Select(r => r.Process.Address)),
                MaxAttempts = 5,
                InitialBackoff = TimeSpan.FromMilliseconds(50),
                MaxBackoff = TimeSpan.FromMilliseconds(500),
            });
            const int Loops = 3;
            const int CallsPerLoop = 30;
            (string victim, _, ServerProcess victimProcess) = _replicas[1];
            var servedByVictim = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var succeeded = new System.Collections.Concurrent.ConcurrentBag<string>();
            var failed = new System.Collections.Concurrent.ConcurrentBag<(string RequestId, StatusCode Code, string Message)>();

            // Three callers predict back to back; the victim is killed once it has served one (so the balancer uses
            // it) and each caller has gone on calling past that point.
            Task[] loops = [.. Enumerable.Range(0, Loops).Select(loop => Task.Run(async () =>
            {
                for (int i = 0; i < CallsPerLoop; i++)
                {
                    string requestId = $"p{loop}-{i}";
                    try
                    {
                        string? jobId = null;
                        bool summary = false;
                        await foreach (PredictResponse message in client.PredictAsync(new PredictRequest { Model = model.Id, Dataset = "field", StreamTiles = true, RequestId = requestId }))
                        {
                            jobId ??= message.Prediction?.JobId;
                            summary |= message.MessageCase == PredictResponse.MessageOneofCase.Summary;
                        }

                        Assert.True(summary, $"{requestId} ended without a summary");
                        succeeded.Add(requestId);
                        if (!killed.Task.IsCompleted && jobId is not null && (await client.GetJobAsync(jobId)).PinnedReplica == victim)
                        {
                            servedByVictim.TrySetResult();
                        }
                    }
                    catch (DiscoException e)
                    {
                        failed.Add((requestId, e.StatusCode, e.Message));
                    }
                    catch (RpcException e)
                    {
                        failed.Add((requestId, e.StatusCode, e.Status.Detail));
                    }
                }
            }))];
            await servedByVictim.Task.WaitAsync(Eventually.Guard);
            victimProcess.KillHard();
            killed.SetResult();
            await Task.WhenAll(loops).WaitAsync(TrainingGuard);

            // One prediction per request id, whoever answered it: a request the victim had begun is either replayed
            // (it had finished) or taken over by the replica the retry reached (a second attempt of the same job).
            int takenOver = 0;
            DiscoClient survivor = _clients[0];
            foreach (string requestId in succeeded)
            {
                List<Prediction> records = await survivor.ListPredictionsAsync(requestId: requestId).ToListAsync();
                Prediction done = Assert.Single(records);
                Assert.Equal(PredictionState.Succeeded, done.State);
                // The replica running a job records its final state a moment after the prediction (whose stream ends
                // first), so a retry answered by replaying the finished prediction can come back before it: wait for it.
                Job job = await TinyTraining.FinishAsync(survivor, done.JobId, TrainingGuard);
                Assert.Equal(JobState.Succeeded, job.State);
                if (job.Attempts.Count > 1)
                {
                    takenOver++;
                    Assert.Equal(victim, job.Attempts[0].Replica);
                    Assert.NotEqual(victim, job.Attempts[^1].Replica);
                    Assert.Equal(job.Attempts[^1].Replica, job.PinnedReplica);
                }
            }

            output.WriteLine($"{Loops * CallsPerLoop} predictions: {succeeded.Count} succeeded ({takenOver} of them taken over from the killed replica), {failed.Count} failed: {string.Join(", ", failed)}");
            Assert.Empty(failed);
            Assert.Equal(Loops * CallsPerLoop, succeeded.Count);
        });
    }

    [Fact]
    public async Task A_prediction_whose_replica_died_before_running_it_is_taken_over_by_the_replica_a_retry_with_its_request_id_reaches()
    {
        // r1 queues predictions on a lane it does not run ("parked"), so the one it accepts is still waiting when it
        // is killed; r2 runs that lane. The queued job never had a lease: the retry takes it over once r1's liveness
        // (renewed every heartbeat) has expired, so the lease is short.
        await StartReplicasAsync(lease: "00:00:05", settingsOf: id => id == "r1" ? ["--Jobs:DefaultDevice=parked"] : ["--Jobs:Concurrency:parked=1"]);
        await WithOutputAsync(async () =>
        {
            Model model = await _clients[1].ImportModelAsync(Packages.Write(_files, "lw.discomodel", seed: 5));
            var grid = new Grid { Kind = GridKind.Equiangular, Nlat = 19, Nlon = 36, LonOriginDegrees = 0 };
            await TinyTraining.IngestAsync(_clients[1], TinyTraining.WriteInputGeoTiff(Path.Combine(_files, "in.tif")), "field", grid, withLabels: false);
            var request = new PredictRequest { Model = model.Id, Dataset = "field", StreamTiles = true, RequestId = "held-by-r1" };

            Prediction accepted;
            using (DiscoClient onlyR1 = DiscoClient.Connect(new DiscoClientOptions { Address = _replicas[0].Process.Address, MaxAttempts = 1 }))
            {
                await using IAsyncEnumerator<PredictResponse> first = onlyR1.PredictAsync(request).GetAsyncEnumerator();
                Assert.True(await first.MoveNextAsync());
                accepted = first.Current.Prediction;
                Assert.Equal("r1", (await _clients[1].GetJobAsync(accepted.JobId)).PinnedReplica);
                _replicas[0].Process.KillHard();
                DiscoException broken = await Assert.ThrowsAsync<DiscoException>(async () => await first.MoveNextAsync());
                Assert.Equal(StatusCode.Unavailable, broken.StatusCode);
            }

            // The retry reaches r2, which takes the job over and streams the map to this call.
            var messages = new List<PredictResponse>();
            await foreach (PredictResponse message in _clients[1].PredictAsync(request))
            {
                messages.Add(message);
            }

            Assert.Equal(accepted.Id, messages[0].Prediction.Id);
            Assert.Contains(messages, m => m.MessageCase == PredictResponse.MessageOneofCase.Tile);
            Assert.Equal(PredictResponse.MessageOneofCase.Summary, messages[^1].MessageCase);
            Prediction only = Assert.Single(await _clients[2].ListPredictionsAsync(requestId: request.RequestId).ToListAsync());
            Assert.Equal((accepted.Id, PredictionState.Succeeded), (only.Id, only.State));
            Job job = await _clients[2].GetJobAsync(accepted.JobId);
            Assert.Equal((JobState.Succeeded, "r2"), (job.State, job.PinnedReplica));
            Assert.Equal("r2", Assert.Single(job.Attempts).Replica);

            // Another retry, now on r3, replays the finished prediction.
            var replay = new List<PredictResponse>();
            await foreach (PredictResponse message in _clients[2].PredictAsync(request))
            {
                replay.Add(message);
            }

            Assert.Equal(accepted.Id, replay[0].Prediction.Id);
            Assert.Equal(messages.Count(m => m.Tile is not null), replay.Count(m => m.Tile is not null));
            Assert.Single(await _clients[2].ListPredictionsAsync(requestId: request.RequestId).ToListAsync());
        });
    }

    [Fact]
    public async Task A_retry_on_another_replica_follows_a_queued_prediction_whose_replica_is_alive_and_both_calls_get_the_map()
    {
        // Regression: the retry re-pinned the queued prediction to r2 although r1, where the first call still waited
        // for it, was alive. Only r1 has the "auto" lane, held by a training, so r1's prediction stays queued (pinned
        // to r1, no lease) until the training is cancelled; nothing depends on timing.
        await StartReplicasAsync(settingsOf: id => id == "r1"
            ? ["--Jobs:DefaultDevice=auto", "--Jobs:Concurrency:auto=1"]
            : ["--Logging:LogLevel:Disco.Geo.Server.Application.Predictions.PredictionRequests=Information"]);
        await WithOutputAsync(async () =>
        {
            (Model model, PredictRequest request) = await PredictionSetupAsync("followed");
            Dataset labelled = await TinyTraining.IngestAsync(_clients[1], TinyTraining.WriteLabelledGeoTiff(Path.Combine(_files, "w.tif")), "world", TinyTraining.Grid9);
            StartTrainingRequest holder = TinyTraining.Request("holder", [labelled.Id], epochs: 100_000);
            holder.Device = "auto";
            Job training = await _clients[0].StartTrainingAsync(holder);
            await TinyTraining.WaitUntilAsync(_clients[0], training.Id, j => j.State == JobState.Running, TrainingGuard);

            using DiscoClient onlyR1 = DiscoClient.Connect(new DiscoClientOptions { Address = _replicas[0].Process.Address, MaxAttempts = 1 });
            using DiscoClient onlyR2 = DiscoClient.Connect(new DiscoClientOptions { Address = _replicas[1].Process.Address, MaxAttempts = 1 });
            await using IAsyncEnumerator<PredictResponse> first = onlyR1.PredictAsync(request).GetAsyncEnumerator();
            Assert.True(await first.MoveNextAsync());
            Prediction accepted = first.Current.Prediction;
            Task<List<PredictResponse>> retry = CollectAsync(onlyR2.PredictAsync(request));

            // Until r2 says it follows, or the retry took the job away from r1 (the defect), or the call ended.
            await Eventually.HoldsAsync(
                async () => retry.IsCompleted || _replicas[1].Process.Output.Contains("follows prediction " + accepted.Id, StringComparison.Ordinal)
                    || (await _clients[2].GetJobAsync(accepted.JobId)).PinnedReplica != "r1",
                "r2 following the prediction");
            Assert.False(retry.IsCompleted, "the retry ended while the prediction was still queued on r1");
            Job queued = await _clients[2].GetJobAsync(accepted.JobId);
            Assert.Equal((JobState.Queued, "r1"), (queued.State, queued.PinnedReplica));

            // The lane frees up: r1 runs the prediction and streams it to the first call; the retry replays it.
            await _clients[0].CancelJobAsync(training.Id);
            var streamed = new List<PredictResponse> { first.Current };
            while (await first.MoveNextAsync())
            {
                streamed.Add(first.Current);
            }

            List<PredictResponse> replayed = await retry;
            AssertSameMap(accepted.Id, streamed, replayed);
            Prediction only = Assert.Single(await _clients[2].ListPredictionsAsync(requestId: request.RequestId).ToListAsync());
            Assert.Equal((accepted.Id, PredictionState.Succeeded), (only.Id, only.State));
            Job job = await _clients[2].GetJobAsync(accepted.JobId);
            Assert.Equal((JobState.Succeeded, "r1"), (job.State, job.PinnedReplica));
            Assert.Equal("r1", Assert.Single(job.Attempts).Replica);
        });
    }

    [Fact]
    public async Task Two_retries_of_one_request_on_two_replicas_at_once_after_its_replica_died_run_it_once_and_both_get_the_map()
    {
        // r1 accepts the prediction on a lane it does not run and is killed; r2 and r3 both run that lane and both get
        // a retry, released together. Both wait for r1's liveness to expire, then race to re-pin it: exactly one wins
        // (the conditional update), the other finds the winner alive and follows it.
        await StartReplicasAsync(lease: "00:00:05", settingsOf: id => id == "r1" ? ["--Jobs:DefaultDevice=parked"] : ["--Jobs:Concurrency:parked=1"]);
        await WithOutputAsync(async () =>
        {
            (_, PredictRequest request) = await PredictionSetupAsync("raced");
            Prediction accepted = await AcceptOnR1ThenKillAsync(request);

            using DiscoClient onlyR2 = DiscoClient.Connect(new DiscoClientOptions { Address = _replicas[1].Process.Address, MaxAttempts = 1 });
            using DiscoClient onlyR3 = DiscoClient.Connect(new DiscoClientOptions { Address = _replicas[2].Process.Address, MaxAttempts = 1 });
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task<List<PredictResponse>> viaR2 = Task.Run(async () => { await go.Task; return await CollectAsync(onlyR2.PredictAsync(request)); });
            Task<List<PredictResponse>> viaR3 = Task.Run(async () => { await go.Task; return await CollectAsync(onlyR3.PredictAsync(request)); });
            go.SetResult();
            List<PredictResponse>[] both = await Task.WhenAll(viaR2, viaR3);

            AssertSameMap(accepted.Id, both[0], both[1]);
            Prediction only = Assert.Single(await _clients[1].ListPredictionsAsync(requestId: request.RequestId).ToListAsync());
            Assert.Equal((accepted.Id, PredictionState.Succeeded), (only.Id, only.State));
            Job job = await _clients[1].GetJobAsync(accepted.JobId);
            Assert.Equal(JobState.Succeeded, job.State);
            Assert.Contains(job.PinnedReplica, new[] { "r2", "r3" });
            Assert.Equal(job.PinnedReplica, Assert.Single(job.Attempts).Replica);
        });
    }

    [Fact]
    public async Task A_prediction_whose_replica_died_and_that_nobody_retried_is_ended_as_abandoned_and_a_later_retry_runs_it_anew()
    {
        await StartReplicasAsync(lease: "00:00:05", settingsOf: id =>
            id == "r1" ? ["--Jobs:DefaultDevice=parked"] : ["--Jobs:Concurrency:parked=1", "--Cluster:AbandonedPredictionGrace=00:00:01"]);
        await WithOutputAsync(async () =>
        {
            (_, PredictRequest request) = await PredictionSetupAsync("abandoned");
            Prediction accepted = await AcceptOnR1ThenKillAsync(request);

            // Nobody retries: once r1's liveness has expired and the grace passed, a live replica ends it.
            Job ended = await TinyTraining.WaitUntilAsync(_clients[1], accepted.JobId, j => j.State != JobState.Queued, TrainingGuard);
            Assert.True(ended.State == JobState.Failed, $"the abandoned prediction's job is {ended.State}");
            Assert.Contains("Abandoned: replica 'r1' stopped", ended.Error.Message, StringComparison.Ordinal);
            Assert.False(ended.Resumable);
            Assert.Empty(ended.Attempts);
            Assert.Equal(PredictionState.Failed, (await _clients[2].GetPredictionAsync(accepted.Id)).State);

            // The client retries later with the same request id: it runs anew and streams the map.
            List<PredictResponse> later = await CollectAsync(_clients[2].PredictAsync(request));
            string rerun = later[0].Prediction.Id;
            Assert.NotEqual(accepted.Id, rerun);
            Assert.Contains(later, m => m.MessageCase == PredictResponse.MessageOneofCase.Tile);
            Assert.Equal(PredictResponse.MessageOneofCase.Summary, later[^1].MessageCase);
            List<Prediction> records = await _clients[1].ListPredictionsAsync(requestId: request.RequestId).ToListAsync();
            Assert.Equal(
                [(accepted.Id, PredictionState.Failed), (rerun, PredictionState.Succeeded)],
                records.Select(p => (p.Id, p.State)).OrderBy(p => p.Id == rerun));
        });
    }

    /// <summary>A model and a gridded dataset on its grid, imported through r2, and a streaming Predict request with <paramref name="requestId"/>.</summary>
    private async Task<(Model Model, PredictRequest Request)> PredictionSetupAsync(string requestId)
    {
        Model model = await _clients[1].ImportModelAsync(Packages.Write(_files, "lw.discomodel", seed: 5));
        var grid = new Grid { Kind = GridKind.Equiangular, Nlat = 19, Nlon = 36, LonOriginDegrees = 0 };
        await TinyTraining.IngestAsync(_clients[1], TinyTraining.WriteInputGeoTiff(Path.Combine(_files, "in.tif")), "field", grid, withLabels: false);
        return (model, new PredictRequest { Model = model.Id, Dataset = "field", StreamTiles = true, RequestId = requestId });
    }

    /// <summary>Predicts through r1 alone, takes the accepted prediction (its first message), then kills r1 under the call.</summary>
    private async Task<Prediction> AcceptOnR1ThenKillAsync(PredictRequest request)
    {
        using DiscoClient onlyR1 = DiscoClient.Connect(new DiscoClientOptions { Address = _replicas[0].Process.Address, MaxAttempts = 1 });
        await using IAsyncEnumerator<PredictResponse> first = onlyR1.PredictAsync(request).GetAsyncEnumerator();
        Assert.True(await first.MoveNextAsync());
        Prediction accepted = first.Current.Prediction;
        Assert.Equal("r1", (await _clients[1].GetJobAsync(accepted.JobId)).PinnedReplica);
        _replicas[0].Process.KillHard();
        DiscoException broken = await Assert.ThrowsAsync<DiscoException>(async () => await first.MoveNextAsync());
        Assert.Equal(StatusCode.Unavailable, broken.StatusCode);
        return accepted;
    }

    private static async Task<List<PredictResponse>> CollectAsync(IAsyncEnumerable<PredictResponse> stream)
    {
        var messages = new List<PredictResponse>();
        await foreach (PredictResponse message in stream)
        {
            messages.Add(message);
        }

        return messages;
    }

    /// <summary>Both calls answered with prediction <paramref name="id"/>: its record first, the same tiles, the summary last.</summary>
    private static void AssertSameMap(string id, List<PredictResponse> one, List<PredictResponse> other)
    {
        foreach (List<PredictResponse> messages in new[] { one, other })
        {
            Assert.Equal(id, messages[0].Prediction.Id);
            Assert.Contains(messages, m => m.MessageCase == PredictResponse.MessageOneofCase.Tile);
            Assert.Equal(PredictResponse.MessageOneofCase.Summary, messages[^1].MessageCase);
        }

        Assert.Equal(one.Count(m => m.Tile is not null), other.Count(m => m.Tile is not null));
        Assert.Equal(one[^1].Summary, other[^1].Summary);
    }

    private static DiscoClient Connect(string address) => DiscoClient.Connect(new DiscoClientOptions
    {
        Address = address,
        MaxAttempts = 5,
        InitialBackoff = TimeSpan.FromMilliseconds(100),
        MaxBackoff = TimeSpan.FromSeconds(1),
    });

    private static string Provenance(Model model, string key)
    {
        using JsonDocument card = JsonDocument.Parse(model.CardJson);
        return card.RootElement.GetProperty("provenance").GetProperty(key).GetString()!;
    }

    /// <summary>Runs the test body and, when it throws, adds every replica's output to the failure.</summary>
    private async Task WithOutputAsync(Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception e)
        {
            string outputs = string.Join("\n", _replicas.Select(r => $"--- {r.Id} ---\n{r.Process.Output}"));
            throw new Xunit.Sdk.XunitException(e.Message + "\n" + outputs + "\n" + e);
        }
    }
}
