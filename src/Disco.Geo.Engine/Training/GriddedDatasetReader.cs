using Disco.Geo.Raster;
using Disco.Geo.Raster.Storage;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Models;

namespace Disco.Geo.Engine.Training;

/// <summary>
/// Reads a stored gridded dataset (its tensor file, checked against the record by <see cref="TensorFile"/>) into
/// Disco.Geo.Sphere's <see cref="GriddedTensor"/>, which splits the bands by role and fills missing inputs; the file
/// stays on this side because Sphere does not read GIS or storage formats.
/// </summary>
internal static class GriddedDatasetReader
{
    /// <summary>Reads the tensor file of a dataset of one sample (of a time stack: its first step).</summary>
    /// <exception cref="EngineInputException">The file does not match the record.</exception>
    public static GriddedTensor Read(GriddedDataset dataset, CancellationToken cancellationToken) => ReadSteps(dataset, cancellationToken)[0];

    /// <summary>Reads every sample of <paramref name="dataset"/>: one, or one per step of a time stack.</summary>
    /// <exception cref="EngineInputException">The file does not match the record.</exception>
    public static IReadOnlyList<GriddedTensor> ReadSteps(GriddedDataset dataset, CancellationToken cancellationToken)
    {
        using TensorFile file = TensorFile.OpenRead(dataset.TensorPath);
        try
        {
            file.RequireShape(dataset.Grid.NLat, dataset.Grid.NLon, $"Dataset {dataset.DatasetId}");
        }
        catch (InvalidDataException e)
        {
            // The record is the user's to repair: ingesting again writes a file that matches it.
            throw new EngineInputException(e.Message + " Ingest it again.");
        }

        int nodes = (int)dataset.Grid.NodeCount;
        float[] values = file.ReadAllBands();
        byte[] mask = new byte[nodes];
        file.ReadMask(0, file.NLat, mask);
        cancellationToken.ThrowIfCancellationRequested();

        int steps = dataset.SampleCount;
        if (file.Bands % steps != 0)
        {
            throw new EngineInputException($"Dataset {dataset.DatasetId} records {steps} time steps but its file holds {file.Bands} bands, which is not a whole number per step. Ingest it again.");
        }

        // Band records that do not match the file's bands say nothing reliable about them: every band reads as an unnamed input.
        int perStep = file.Bands / steps;
        bool described = dataset.Bands.Count == perStep;
        GriddedBandRole[] roles = [.. Enumerable.Range(0, perStep).Select(b => described ? ToRole(dataset.Bands[b].Role) : GriddedBandRole.Input)];
        string[] names = [.. Enumerable.Range(0, perStep).Select(b => described && dataset.Bands[b].Name.Length > 0 ? dataset.Bands[b].Name : $"band_{b}")];
        var tensors = new GriddedTensor[steps];
        for (int t = 0; t < steps; t++)
        {
            // Each step narrows its own copy of the mask: an input missing at one step leaves the other steps alone.
            string display = dataset.TimeSteps.Count == 0 ? $"dataset {dataset.DatasetId}" : $"dataset {dataset.DatasetId} at {Iso(dataset.TimeSteps[t])}";
            tensors[t] = GriddedTensor.Create(display, dataset.Grid, values.AsSpan(t * perStep * nodes, perStep * nodes), roles, names, t == steps - 1 ? mask : [.. mask]);
        }

        return tensors;
    }

    /// <summary>A timestamp as ISO 8601 UTC, for messages.</summary>
    public static string Iso(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The samples of the datasets, all steps or those inside <paramref name="window"/> (datasets without steps: all, or none with a window).</summary>
    private static List<GriddedTensor> Select(IReadOnlyList<GriddedDataset> datasets, TimeWindow? window, CancellationToken cancellationToken)
    {
        var selected = new List<GriddedTensor>();
        foreach (GriddedDataset dataset in datasets)
        {
            IReadOnlyList<GriddedTensor> steps = ReadSteps(dataset, cancellationToken);
            for (int t = 0; t < steps.Count; t++)
            {
                if (window is null || (dataset.TimeSteps.Count > 0 && window.Contains(dataset.TimeSteps[t])))
                {
                    selected.Add(steps[t]);
                }
            }
        }

        return selected;
    }

    /// <summary>Reads every dataset and makes the samples of a training job.</summary>
    /// <exception cref="EngineInputException">A dataset does not match its record or does not fit the task.</exception>
    /// <param name="task">What the model learns.</param>
    /// <param name="classNames">Segmentation class names, or empty.</param>
    /// <param name="training">The training datasets; every step of a time stack is a sample.</param>
    /// <param name="validation">The validation datasets (may be empty).</param>
    /// <param name="validationFraction">Without validation samples: the share of training samples held out.</param>
    /// <param name="seed">Seed of the hold-out split.</param>
    /// <param name="trainingTime">Only the training datasets' steps inside this window train, or null for all.</param>
    /// <param name="validationTime">The training datasets' steps inside this window validate, or null.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static TrainingSamples ReadSamples(
        ModelTask task, IReadOnlyList<string> classNames, IReadOnlyList<GriddedDataset> training, IReadOnlyList<GriddedDataset> validation,
        double validationFraction, long seed, TimeWindow? trainingTime, TimeWindow? validationTime, CancellationToken cancellationToken)
    {
        if (training.Count == 0)
        {
            throw new EngineInputException("datasets: give at least one gridded training dataset.");
        }

        List<GriddedTensor> trainTensors = Select(training, trainingTime, cancellationToken);
        List<GriddedTensor> validTensors = [.. Select(validation, null, cancellationToken), .. validationTime is null ? [] : Select(training, validationTime, cancellationToken)];
        if (trainTensors.Count == 0)
        {
            throw new EngineInputException($"train_time_range: no step of the training datasets lies in {trainingTime}.", "train_time_range");
        }

        try
        {
            return TrainingSamples.Create(task, classNames, trainTensors, validTensors, validationFraction, seed);
        }
        catch (TrainingDataException e)
        {
            throw new EngineInputException(e.Message, e.Field);
        }
    }

    private static GriddedBandRole ToRole(BandRole role) => role switch
    {
        BandRole.Label => GriddedBandRole.Label,
        BandRole.Mask => GriddedBandRole.Mask,
        _ => GriddedBandRole.Input,
    };
}
