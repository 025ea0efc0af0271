using System.Diagnostics;
using Disco.Geo.Engine.Training;
using Disco.Geo.Grids;
using Disco.Geo.Raster;
using Disco.Geo.Sphere.Inference;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Packaging;
using TorchSharp;

namespace Disco.Geo.Engine.Prediction;

/// <summary>
/// <see cref="IPredictionEngine"/> on the DISCO engine: takes the model from <see cref="LoadedModelCache"/> (loaded
/// onto the server's default device), brings the input onto the model's grid (<see cref="PredictionInputs"/>), runs
/// <see cref="SpherePredictor"/> with optional test-time rotation averaging, and hands every latitude band to the sink
/// as soon as it is out, while <see cref="PredictionSummaryBuilder"/> adds up class areas or band statistics.
/// Output bands: "class" (label role, class ids) or "p_&lt;class&gt;" per class for segmentation; the model's output
/// bands for regression and depth. Nodes where the input has no data are marked invalid in the output's mask.
/// </summary>
internal sealed class DiscoPredictionEngine(
    LoadedModelCache models, PredictionInputs inputs, EngineOptions options, ILogger<DiscoPredictionEngine> logger) : IPredictionEngine
{
    /// <summary>Rows per band when the request leaves it to the server: about 64 KiB of float32 per band and tile.</summary>
    public static int DefaultRowsPerTile(int nlon) => Math.Clamp(16384 / Math.Max(1, nlon), 1, 64);

    public async Task<MapSummary> PredictAsync(PredictionWork work, IPredictionSink sink, IProgress<EngineProgress> progress, CancellationToken cancellationToken)
    {
        PredictionSettings request = work.Settings;
        torch.Device device = ComputeDevices.Select(options.DefaultDevice);
        progress.Report(new EngineProgress(0, "loading", $"Loading model {work.Model.Name}"));
        using LoadedModelCache.ModelLease lease = await AcquireAsync(work.Model, device, cancellationToken);
        SphereModel model = lease.Model.Model;
        ModelCard card = lease.Model.Card;
        bool segmentation = model.Config.Task == ModelTask.Segmentation;
        bool probabilities = request.Probabilities;
        if (probabilities && !segmentation)
        {
            throw new EngineInputException($"output: probabilities exist only for segmentation models; {work.Model.Name} is a {model.Config.Task.ToName()} model. Ask for values.");
        }

        using LoadedModelCache.ModelLease? levellerLease = work.Leveller is { } stored ? await AcquireAsync(stored, device, cancellationToken) : null;
        CameraLeveller? leveller = null;
        if (levellerLease is not null)
        {
            string? problem = Levelling.Problem(levellerLease.Model.Card with { Name = work.Leveller!.Name }, card with { Name = work.Model.Name }, request.LevelRefinements);
            leveller = problem is null ? Levelling.Create(levellerLease.Model, request.LevelRefinements) : throw new EngineInputException($"level_with: {problem}");
        }

        PredictionInputArray input = await inputs.ReadAsync(work, model.Grid, model.Config.InputChannels, progress, cancellationToken);
        IReadOnlyList<ClassInfo> classes = card.Classes;
        List<DatasetBand> bands = OutputBands(model, card, classes, probabilities);
        if (input.TimeSteps.Count > 1)
        {
            return await PredictStepsAsync(work, model, leveller, input, bands, classes, sink, progress, cancellationToken);
        }

        await sink.BeginAsync(model.Grid, bands, cancellationToken);

        var summary = new PredictionSummaryBuilder(model.Grid, [.. bands.Select(b => b.Name)], segmentation ? classes : [], probabilities);
        if (input.Truth is { } truth && (segmentation ? input.TruthBands == 1 : input.TruthBands == bands.Count))
        {
            summary.ScoreAgainst(truth, model.Config.Task == ModelTask.Depth);
        }
        var predictionOptions = new PredictionOptions
        {
            Output = probabilities ? PredictionOutput.Probabilities : PredictionOutput.Values,
            RotationAveraging = request.RotationAveraging,
            Leveller = leveller,
            Valid = input.Mask,
            RowsPerBand = request.RowsPerTile > 0 ? request.RowsPerTile : DefaultRowsPerTile(model.Grid.NLon),
        };
        progress.Report(new EngineProgress(0.3, "inference", $"Running {model.Config.Architecture.ToName()} on {model.Grid}"
            + (request.RotationAveraging > 1 ? $", averaged over {request.RotationAveraging} rotations" : "")
            + (leveller is not null ? $", levelled by {work.Leveller!.Name}" : "")));
        Stopwatch clock = Stopwatch.StartNew();
        int nlon = model.Grid.NLon;
        int rowsDone = 0;
        await foreach (PredictionBand band in new SpherePredictor(model).PredictBandsAsync(input.Values, predictionOptions, cancellationToken))
        {
            ReadOnlyMemory<byte> mask = input.Mask.AsMemory(band.RowStart * nlon, band.RowCount * nlon);
            await sink.WriteRowsAsync(band.RowStart, band.RowCount, band.Values, mask, cancellationToken);
            summary.Add(band.RowStart, band.RowCount, band.Values, mask.Span);
            rowsDone += band.RowCount;
            progress.Report(new EngineProgress(0.3 + (0.7 * rowsDone / model.Grid.NLat), "streaming", $"Rows {rowsDone} of {model.Grid.NLat}")
            {
                Step = rowsDone,
                TotalSteps = model.Grid.NLat,
                Throughput = rowsDone / Math.Max(1e-6, clock.Elapsed.TotalSeconds),
                ThroughputUnit = "rows/s",
            });
        }

        MapSummary result = summary.Build(clock.Elapsed.TotalSeconds);
        logger.LogInformation("Prediction {PredictionId} with model {ModelId} on {Grid}: {Bands} band(s) in {Milliseconds} ms",
            work.PredictionId, work.Model.ModelId, model.Grid, bands.Count, clock.ElapsedMilliseconds);
        return result;
    }

    /// <summary>
    /// A time stack: every step is predicted in turn and kept, then the rows of all steps go to the sink together, so
    /// the map holds each step's output bands one step after the other, named "&lt;band&gt;@&lt;timestamp&gt;". A node
    /// is valid where it is valid at every step. The summary (class areas, statistics, scores) is of the first step.
    /// </summary>
    private async Task<MapSummary> PredictStepsAsync(PredictionWork work, SphereModel model, CameraLeveller? leveller, PredictionInputArray input, List<DatasetBand> stepBands,
        IReadOnlyList<ClassInfo> classes, IPredictionSink sink, IProgress<EngineProgress> progress, CancellationToken cancellationToken)
    {
        bool segmentation = model.Config.Task == ModelTask.Segmentation;
        PredictionInputArray[] steps = [input, .. input.LaterSteps];
        int nlat = model.Grid.NLat, nlon = model.Grid.NLon, nodes = nlat * nlon, perStep = stepBands.Count;
        if ((long)steps.Length * perStep * nodes > Array.MaxLength)
        {
            throw new EngineInputException($"{steps.Length} time steps of {perStep} band(s) on {model.Grid} are too many values for one prediction; predict fewer steps or on a coarser grid.");
        }

        List<DatasetBand> bands = [.. input.TimeSteps.SelectMany(time => stepBands.Select(b => b with
        {
            Name = $"{b.Name}@{GriddedDatasetReader.Iso(time)}",
            Description = $"{b.Description} at {GriddedDatasetReader.Iso(time)}",
        }))];
        var predictionOptions = new PredictionOptions
        {
            Output = work.Settings.Probabilities ? PredictionOutput.Probabilities : PredictionOutput.Values,
            RotationAveraging = work.Settings.RotationAveraging,
            Leveller = leveller,
            Valid = input.Mask,
            RowsPerBand = work.Settings.RowsPerTile > 0 ? work.Settings.RowsPerTile : DefaultRowsPerTile(nlon),
        };
        var summary = new PredictionSummaryBuilder(model.Grid, [.. stepBands.Select(b => b.Name)], segmentation ? classes : [], work.Settings.Probabilities);
        if (input.Truth is { } truth && (segmentation ? input.TruthBands == 1 : input.TruthBands == perStep))
        {
            summary.ScoreAgainst(truth, model.Config.Task == ModelTask.Depth);
        }

        Stopwatch clock = Stopwatch.StartNew();
        float[] all = new float[steps.Length * perStep * nodes];
        byte[] mask = [.. input.Mask];
        var predictor = new SpherePredictor(model);
        for (int t = 0; t < steps.Length; t++)
        {
            progress.Report(new EngineProgress(0.3 + (0.6 * t / steps.Length), "inference", $"Step {t + 1} of {steps.Length} ({GriddedDatasetReader.Iso(input.TimeSteps[t])})")
            {
                Step = t,
                TotalSteps = steps.Length,
            });
            await foreach (PredictionBand band in predictor.PredictBandsAsync(steps[t].Values, predictionOptions, cancellationToken))
            {
                for (int b = 0; b < perStep; b++)
                {
                    band.Values.AsSpan(b * band.RowCount * nlon, band.RowCount * nlon).CopyTo(all.AsSpan((((t * perStep) + b) * nodes) + (band.RowStart * nlon)));
                }

                if (t == 0)
                {
                    summary.Add(band.RowStart, band.RowCount, band.Values, input.Mask.AsSpan(band.RowStart * nlon, band.RowCount * nlon));
                }
            }

            for (int k = 0; k < nodes; k++)
            {
                mask[k] &= steps[t].Mask[k];
            }
        }

        await sink.BeginAsync(model.Grid, bands, cancellationToken);
        int rows = predictionOptions.RowsPerBand;
        for (int rowStart = 0; rowStart < nlat; rowStart += rows)
        {
            int count = Math.Min(rows, nlat - rowStart);
            float[] chunk = new float[bands.Count * count * nlon];
            for (int b = 0; b < bands.Count; b++)
            {
                all.AsSpan((b * nodes) + (rowStart * nlon), count * nlon).CopyTo(chunk.AsSpan(b * count * nlon));
            }

            await sink.WriteRowsAsync(rowStart, count, chunk, mask.AsMemory(rowStart * nlon, count * nlon), cancellationToken);
        }

        logger.LogInformation("Prediction {PredictionId} with model {ModelId} on {Grid}: {Steps} time steps of {Bands} band(s) in {Milliseconds} ms",
            work.PredictionId, work.Model.ModelId, model.Grid, steps.Length, perStep, clock.ElapsedMilliseconds);
        return summary.Build(clock.Elapsed.TotalSeconds) with { TimeSteps = input.TimeSteps };
    }

    private async Task<LoadedModelCache.ModelLease> AcquireAsync(StoredModel stored, torch.Device device, CancellationToken cancellationToken)
    {
        try
        {
            return await models.AcquireAsync(stored.PackagePath, stored.CacheKey, device, cancellationToken);
        }
        catch (ModelPackageException e)
        {
            string message = ModelPackageCardReader.Strip(e.Message, stored.PackagePath);
            throw e.Problem is ModelPackageProblem.Incompatible or ModelPackageProblem.UnsupportedVersion
                ? new EngineStateException($"Model {stored.Name} cannot run on this server: {message}", EngineStateProblem.Incompatible, e)
                : new EngineStateException(
                    $"The stored package of model {stored.Name} is damaged ({message}); check it with `disco models verify {stored.Name}`, then delete it and import it again.",
                    EngineStateProblem.Damaged, e);
        }
        catch (FileNotFoundException e)
        {
            throw new EngineStateException(
                $"The package file of model {stored.Name} is missing from the store; delete the model and import it again.", EngineStateProblem.Damaged, e);
        }
    }

    private static List<DatasetBand> OutputBands(SphereModel model, ModelCard card, IReadOnlyList<ClassInfo> classes, bool probabilities)
    {
        if (model.Config.Task == ModelTask.Segmentation)
        {
            return probabilities
                ? [.. classes.Select(c => new DatasetBand("p_" + c.Name, BandRole.Input, Description: $"probability of class {c.Id} ({c.Name})"))]
                : [new DatasetBand("class", BandRole.Label, Description: "class id: " + string.Join(", ", classes.Select(c => $"{c.Id} {c.Name}")))];
        }

        return [.. Enumerable.Range(0, model.Config.OutputChannels).Select(c => new DatasetBand(
            c < card.OutputBands.Count ? card.OutputBands[c].Name : $"output_{c}",
            BandRole.Input,
            Description: model.Config.Task == ModelTask.Depth ? "depth" : "predicted value"))];
    }
}
