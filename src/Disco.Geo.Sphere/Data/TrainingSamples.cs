using Disco.Geo.Grids;
using Disco.Geo.Sphere.Models;

namespace Disco.Geo.Sphere.Data;

/// <summary>
/// Training data the user must fix (no labels, mixed grids, class ids that are not ids, …); the message says how.
/// </summary>
/// <param name="message">What is wrong and how to fix it.</param>
/// <param name="field">The request field at fault (e.g. "model.class_names"), when known.</param>
public sealed class TrainingDataException(string message, string? field = null) : Exception(message)
{
    /// <summary>The request field at fault, or null when the message names it only in words.</summary>
    public string? Field { get; } = field;
}

/// <summary>
/// The training and validation samples of a job: every gridded dataset is one sample. Inputs are its input
/// bands; the target is its label band (segmentation: integer class ids, one band; depth: one band of positive
/// depths) or its label bands (regression). A node is left out of the loss where the dataset's mask says no data, an
/// input is missing, or the label is missing (NaN) or, for segmentation, negative.
/// </summary>
public sealed class TrainingSamples
{
    private TrainingSamples(SphereGrid grid, IReadOnlyList<string> inputNames, IReadOnlyList<string> labelNames, int outputs, ISphereDataset training, ISphereDataset? validation)
    {
        Grid = grid;
        InputNames = inputNames;
        LabelNames = labelNames;
        Outputs = outputs;
        Training = training;
        Validation = validation;
    }

    /// <summary>The grid every sample is on.</summary>
    public SphereGrid Grid { get; }

    /// <summary>Names of the input bands.</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>Names of the label bands.</summary>
    public IReadOnlyList<string> LabelNames { get; }

    /// <summary>Classes (segmentation), target bands (regression) or 1 (depth).</summary>
    public int Outputs { get; }

    /// <summary>The training samples.</summary>
    public ISphereDataset Training { get; }

    /// <summary>The validation samples, or null without validation.</summary>
    public ISphereDataset? Validation { get; }

    /// <summary>Checks that the datasets fit together and the task, and makes one sample of each.</summary>
    /// <param name="task">What the model learns.</param>
    /// <param name="classNames">Segmentation class names, or empty to count the classes from the labels.</param>
    /// <param name="trainTensors">The training datasets (at least one).</param>
    /// <param name="validTensors">The validation datasets, or empty.</param>
    /// <param name="validationFraction">Without validation datasets: the share of training samples held out.</param>
    /// <param name="seed">Seed of the hold-out split.</param>
    /// <exception cref="TrainingDataException">A dataset without labels, on another grid or with other bands; class ids that are not ids.</exception>
    public static TrainingSamples Create(
        ModelTask task, IReadOnlyList<string> classNames, IReadOnlyList<GriddedTensor> trainTensors, IReadOnlyList<GriddedTensor> validTensors,
        double validationFraction, long seed)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(trainTensors);
        ArgumentNullException.ThrowIfNull(validTensors);
        if (trainTensors.Count == 0)
        {
            throw new TrainingDataException("datasets: give at least one gridded training dataset.");
        }

        GriddedTensor first = trainTensors[0];
        foreach (GriddedTensor tensor in trainTensors.Concat(validTensors))
        {
            CheckFits(task, first, tensor);
        }

        int outputs = task switch
        {
            ModelTask.Segmentation => ClassCount(classNames, trainTensors.Concat(validTensors)),
            ModelTask.Depth => 1,
            _ => first.LabelNames.Count,
        };
        SphereSample[] trainSamples = [.. trainTensors.Select(t => Sample(task, t, outputs))];
        SphereSample[] validSamples = [.. validTensors.Select(t => Sample(task, t, outputs))];
        ISphereDataset all = new InMemorySphereDataset(first.Grid, trainSamples);
        ISphereDataset trainSet = all;
        ISphereDataset? validSet = validSamples.Length > 0 ? new InMemorySphereDataset(first.Grid, validSamples) : null;
        if (validSet is null && validationFraction > 0)
        {
            if (all.Count < 2)
            {
                throw new TrainingDataException(
                    $"hyper_parameters.validation_fraction = {validationFraction} needs at least 2 training datasets to hold one out (each dataset is one sample); give validation_datasets or set it to 0.");
            }

            (trainSet, validSet) = DatasetSplit.Random(all, validationFraction, seed);
        }

        return new TrainingSamples(first.Grid, first.InputNames, first.LabelNames, outputs, trainSet, validSet);
    }

    private static void CheckFits(ModelTask task, GriddedTensor first, GriddedTensor tensor)
    {
        if (tensor.LabelNames.Count == 0)
        {
            throw new TrainingDataException(
                $"{tensor.Display} has no label bands, so a {task.ToString().ToLowerInvariant()} model cannot learn from it; ingest it with a band of role label (CLI: --band SOURCE.BAND:label).");
        }

        if (tensor.InputNames.Count == 0)
        {
            throw new TrainingDataException($"{tensor.Display} has no input bands; ingest it with at least one band of role input.");
        }

        if (task is ModelTask.Segmentation or ModelTask.Depth && tensor.LabelNames.Count != 1)
        {
            throw new TrainingDataException(
                $"{tensor.Display} has {tensor.LabelNames.Count} label bands ({string.Join(", ", tensor.LabelNames)}); {task.ToString().ToLowerInvariant()} trains on exactly one. Ingest it with one label band.");
        }

        if (!tensor.Grid.Equals(first.Grid))
        {
            throw new TrainingDataException(
                $"{tensor.Display} is on {tensor.Grid} but {first.Display} is on {first.Grid}; every training and validation dataset must be on one grid.");
        }

        if (tensor.InputNames.Count != first.InputNames.Count || tensor.LabelNames.Count != first.LabelNames.Count)
        {
            throw new TrainingDataException(
                $"{tensor.Display} has {tensor.InputNames.Count} input and {tensor.LabelNames.Count} label bands but {first.Display} has {first.InputNames.Count} and {first.LabelNames.Count}; every dataset needs the same bands.");
        }
    }

    /// <summary>The requested class count, or one more than the largest class id in the labels (at least 2).</summary>
    private static int ClassCount(IReadOnlyList<string> classNames, IEnumerable<GriddedTensor> tensors)
    {
        if (classNames.Count == 1)
        {
            throw new TrainingDataException("model.class_names lists one class; segmentation needs at least 2 (e.g. water, land).");
        }

        int largest = -1;
        var found = new SortedSet<int>();
        string labelName = "";
        foreach (GriddedTensor tensor in tensors)
        {
            for (int k = 0; k < tensor.Mask.Length; k++)
            {
                float value = tensor.Labels[k];
                if (tensor.Mask[k] == 0 || !float.IsFinite(value) || value < 0)
                {
                    continue;
                }

                double id = Math.Round(value);
                if (Math.Abs(value - id) > 1e-3)
                {
                    int row = k / tensor.Grid.NLon, column = k % tensor.Grid.NLon;
                    throw new TrainingDataException(
                        $"{tensor.Display}: label band '{tensor.LabelNames[0]}' holds {value} at row {row}, column {column}, which is not a class id; segmentation labels must be whole numbers 0, 1, … (ingest labels with mode or nearest resampling).");
                }

                if (classNames.Count > 0 && id >= classNames.Count)
                {
                    throw new TrainingDataException(
                        $"{tensor.Display}: label band '{tensor.LabelNames[0]}' holds class id {id}, but model.class_names lists {classNames.Count} classes (ids 0..{classNames.Count - 1}); " +
                        "add the missing class names, or map the label values to ids 0..N-1 when ingesting (CLI: --label-map VALUE=CLASS,…; API: BandSpec.label_map).",
                        "model.class_names");
                }

                if (id > 4095)
                {
                    throw new TrainingDataException($"{tensor.Display}: class id {id} is out of range; class ids must be 0..4095.");
                }

                largest = Math.Max(largest, (int)id);
                found.Add((int)id);
                labelName = tensor.LabelNames[0];
            }
        }

        // Class ids that leave most of 0..largest unused are values of another code (a 0/255 mask, land-cover codes
        // 10, 20, …), not ids: trained as they are, the empty classes dilute the model and its scores.
        if (classNames.Count == 0 && largest >= 2 && found.Count * 2 < largest + 1)
        {
            string values = string.Join(", ", found.Take(12)) + (found.Count > 12 ? ", …" : "");
            string map = string.Join(",", found.Take(12).Select((value, i) => $"{value}={i}"));
            throw new TrainingDataException(
                $"Label band '{labelName}' holds the values {values}, which are not class ids 0, 1, …: as ids they would make {largest + 1} classes, " +
                $"{largest + 1 - found.Count} of them never seen. Map them to class ids when ingesting (CLI: --label-map {map}; API: BandSpec.label_map), " +
                "or name all the classes with model.class_names.",
                "datasets");
        }

        if (largest < 0)
        {
            throw new TrainingDataException("The label bands hold no valid class ids (every node is masked, NaN or negative); check the label band and the mask.");
        }

        return classNames.Count > 0 ? classNames.Count : Math.Max(2, largest + 1);
    }

    private static SphereSample Sample(ModelTask task, GriddedTensor tensor, int outputs)
    {
        int nlat = tensor.Grid.NLat, nlon = tensor.Grid.NLon;
        if (task != ModelTask.Segmentation)
        {
            return SphereSample.ForRegression(tensor.Inputs, tensor.Labels, nlat, nlon, tensor.Mask);
        }

        int[] classes = new int[tensor.Mask.Length];
        for (int k = 0; k < classes.Length; k++)
        {
            float value = tensor.Labels[k];
            classes[k] = tensor.Mask[k] == 0 || !float.IsFinite(value) || value < 0 ? -1 : Math.Min(outputs - 1, (int)Math.Round(value));
        }

        return SphereSample.ForSegmentation(tensor.Inputs, classes, nlat, nlon, tensor.Mask);
    }
}
