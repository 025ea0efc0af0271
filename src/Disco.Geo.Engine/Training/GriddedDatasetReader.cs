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
    /// <summary>Reads the tensor file of <paramref name="dataset"/>.</summary>
    /// <exception cref="EngineInputException">The file does not match the record.</exception>
    public static GriddedTensor Read(GriddedDataset dataset, CancellationToken cancellationToken)
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

        // Band records that do not match the file's bands say nothing reliable about them: every band reads as an unnamed input.
        bool described = dataset.Bands.Count == file.Bands;
        GriddedBandRole[] roles = [.. Enumerable.Range(0, file.Bands).Select(b => described ? ToRole(dataset.Bands[b].Role) : GriddedBandRole.Input)];
        string[] names = [.. Enumerable.Range(0, file.Bands).Select(b => described && dataset.Bands[b].Name.Length > 0 ? dataset.Bands[b].Name : $"band_{b}")];
        return GriddedTensor.Create($"dataset {dataset.DatasetId}", dataset.Grid, values, roles, names, mask);
    }

    /// <summary>Reads every dataset and makes the samples of a training job.</summary>
    /// <exception cref="EngineInputException">A dataset does not match its record or does not fit the task.</exception>
    public static TrainingSamples ReadSamples(
        ModelTask task, IReadOnlyList<string> classNames, IReadOnlyList<GriddedDataset> training, IReadOnlyList<GriddedDataset> validation,
        double validationFraction, long seed, CancellationToken cancellationToken)
    {
        if (training.Count == 0)
        {
            throw new EngineInputException("datasets: give at least one gridded training dataset.");
        }

        List<GriddedTensor> trainTensors = [.. training.Select(d => Read(d, cancellationToken))];
        List<GriddedTensor> validTensors = [.. validation.Select(d => Read(d, cancellationToken))];
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
