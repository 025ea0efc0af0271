using System.Diagnostics;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Engines.Raster;
using Disco.Geo.Server.Engines.Training;
using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Options;
using Disco.Geo.Sphere.Inference;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Packaging;
using Microsoft.Extensions.Options;
using TorchSharp;
using ApiPredictionOutput = Disco.Geo.Protos.V1.PredictionOutput;
using PackageCard = Disco.Geo.Sphere.Packaging.ModelCard;
using SpherePredictionOutput = Disco.Geo.Sphere.Inference.PredictionOutput;
using StatusCode = Disco.Geo.Server.Application.Errors.ProblemKind;

namespace Disco.Geo.Server.Engines.Prediction;

/// <summary>
/// <see cref="IPredictionEngine"/> on the DISCO engine: takes the model from <see cref="LoadedModelCache"/> (loaded
/// onto the server's default device), brings the input onto the model's grid (<see cref="PredictionInputs"/>), runs
/// <see cref="SpherePredictor"/> with optional test-time rotation averaging, and hands every latitude band to the sink
/// as soon as it is out, while <see cref="PredictionSummaryBuilder"/> adds up class areas or band statistics.
/// Output bands: "class" (label role, class ids) or "p_&lt;class&gt;" per class for segmentation; the model's output
/// bands for regression and depth. Nodes where the input has no data are marked invalid in the output's mask.
/// </summary>
internal sealed class DiscoPredictionEngine(
    LoadedModelCache models, PredictionInputs inputs, IOptions<JobsOptions> jobOptions, ILogger<DiscoPredictionEngine> logger) : IPredictionEngine
{
    /// <summary>Rows per band when the request leaves it to the server: about 64 KiB of float32 per band and tile.</summary>
    public static int DefaultRowsPerTile(int nlon) => Math.Clamp(16384 / Math.Max(1, nlon), 1, 64);

    public async Task<PredictionSummary> PredictAsync(PredictionWork work, IPredictionSink sink, IProgress<EngineProgress> progress, CancellationToken cancellationToken)
    {
        PredictRequest request = work.Request;
        torch.Device device = ComputeDevices.Select(jobOptions.Value.DefaultDevice);
        progress.Report(new EngineProgress(0, "loading", $"Loading model {work.Model.Model.Name}"));
        using LoadedModelCache.ModelLease lease = await AcquireAsync(work.Model, device, cancellationToken);
        SphereModel model = lease.Model.Model;
        PackageCard card = lease.Model.Card;
        bool segmentation = model.Config.Task == ModelTask.Segmentation;
        bool probabilities = request.Output == ApiPredictionOutput.Probabilities;
        if (probabilities && !segmentation)
        {
            throw new EngineInputException($"output: probabilities exist only for segmentation models; {work.Model.Model.Name} is a {model.Config.Task.ToName()} model. Ask for values.");
        }

        PredictionInputArray input = await inputs.ReadAsync(work, model.Grid, model.Config.InputChannels, progress, cancellationToken);
        List<ModelClass> classes = [.. card.Classes.Select(c => new ModelClass { Id = c.Id, Name = c.Name, Color = c.Color })];
        List<Band> bands = OutputBands(model, card, classes, probabilities);
        Grid grid = ApiConversions.ToApiGrid(model.Grid);
        await sink.BeginAsync(grid, bands, cancellationToken);

        var summary = new PredictionSummaryBuilder(model.Grid, [.. bands.Select(b => b.Name)], segmentation ? classes : [], probabilities);
        if (input.Truth is { } truth && (segmentation ? input.TruthBands == 1 : input.TruthBands == bands.Count))
        {
            summary.ScoreAgainst(truth, model.Config.Task == ModelTask.Depth);
        }
        var options = new PredictionOptions
        {
            Output = probabilities ? SpherePredictionOutput.Probabilities : SpherePredictionOutput.Values,
            RotationAveraging = request.RotationAveraging,
            RowsPerBand = request.RowsPerTile > 0 ? request.RowsPerTile : DefaultRowsPerTile(model.Grid.NLon),
        };
        progress.Report(new EngineProgress(0.3, "inference", $"Running {model.Config.Architecture.ToName()} on {model.Grid}"
            + (request.RotationAveraging > 1 ? $", averaged over {request.RotationAveraging} rotations" : "")));
        Stopwatch clock = Stopwatch.StartNew();
        int nlon = model.Grid.NLon;
        int rowsDone = 0;
        await foreach (PredictionBand band in new SpherePredictor(model).PredictBandsAsync(input.Values, options, cancellationToken))
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

        PredictionSummary result = summary.Build(clock.Elapsed.TotalSeconds);
        logger.LogInformation("Prediction {PredictionId} with model {ModelId} on {Grid}: {Bands} band(s) in {Milliseconds} ms",
            work.PredictionId, work.Model.ModelId, model.Grid, bands.Count, clock.ElapsedMilliseconds);
        return result;
    }

    private async Task<LoadedModelCache.ModelLease> AcquireAsync(StoredModel stored, torch.Device device, CancellationToken cancellationToken)
    {
        try
        {
            return await models.AcquireAsync(stored.PackagePath, stored.Model.Blob?.Sha256 ?? stored.PackagePath, device, cancellationToken);
        }
        catch (ModelPackageException e)
        {
            string message = ModelPackageCardReader.Strip(e.Message, stored.PackagePath);
            throw e.Problem is ModelPackageProblem.Incompatible or ModelPackageProblem.UnsupportedVersion
                ? new JobFailedException(StatusCode.FailedPrecondition, $"Model {stored.Model.Name} cannot run on this server: {message}")
                : new JobFailedException(StatusCode.DataLoss,
                    $"The stored package of model {stored.Model.Name} is damaged ({message}); check it with `disco models verify {stored.Model.Name}`, then delete it and import it again.");
        }
        catch (FileNotFoundException)
        {
            throw new JobFailedException(StatusCode.DataLoss, $"The package file of model {stored.Model.Name} is missing from the store; delete the model and import it again.");
        }
    }

    private static List<Band> OutputBands(SphereModel model, PackageCard card, IReadOnlyList<ModelClass> classes, bool probabilities)
    {
        if (model.Config.Task == ModelTask.Segmentation)
        {
            return probabilities
                ? [.. classes.Select(c => new Band { Name = "p_" + c.Name, Role = BandRole.Input, Description = $"probability of class {c.Id} ({c.Name})" })]
                : [new Band { Name = "class", Role = BandRole.Label, Description = "class id: " + string.Join(", ", classes.Select(c => $"{c.Id} {c.Name}")) }];
        }

        return [.. Enumerable.Range(0, model.Config.OutputChannels).Select(c => new Band
        {
            Name = c < card.OutputBands.Count ? card.OutputBands[c].Name : $"output_{c}",
            Role = BandRole.Input,
            Description = model.Config.Task == ModelTask.Depth ? "depth" : "predicted value",
        })];
    }
}
