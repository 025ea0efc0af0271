using Disco.Geo.Engine.Export;
using Disco.Geo.Engine.Training;
using Disco.Geo.Grids;
using Disco.Geo.Raster;
using Disco.Geo.Raster.Storage;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Models;

namespace Disco.Geo.Engine.Tests.Training;

/// <summary>Stored gridded datasets read for training and prediction, and the shape check every tensor reader shares.</summary>
public sealed class GriddedDatasetReaderTests : IDisposable
{
    private static readonly SphereGrid Grid = SphereGrid.Create(GridKind.Equiangular, 5, 8);
    private static readonly int Nodes = (int)Grid.NodeCount;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_stored_dataset_reads_split_by_its_recorded_roles_with_the_stored_mask()
    {
        GriddedDataset dataset = Store("ds_1", 3, k => [k, k % 2, k < 8 ? 0 : 1], k => k == 20 ? (byte)0 : (byte)1,
            [new DatasetBand("index", BandRole.Input), new DatasetBand("parity", BandRole.Label), new DatasetBand("", BandRole.Mask)]);

        GriddedTensor tensor = GriddedDatasetReader.Read(dataset, CancellationToken.None);

        Assert.Equal(("dataset ds_1", 1, 1), (tensor.Display, tensor.InputNames.Count, tensor.LabelNames.Count));
        Assert.Equal(["index"], tensor.InputNames);
        Assert.Equal(1f, tensor.Labels[3]);
        Assert.Equal(Nodes - 8 - 1, tensor.Mask.Count(m => m == 1));
        Assert.Equal((0, 0), (tensor.Mask[0], tensor.Mask[20]));
        Assert.Equal(21f, tensor.Inputs[21]);

        // Band records that do not match the file: every band is an input named by its position.
        GriddedTensor unnamed = GriddedDatasetReader.Read(dataset with { Bands = [] }, CancellationToken.None);
        Assert.Equal(["band_0", "band_1", "band_2"], unnamed.InputNames);
    }

    [Fact]
    public void A_tensor_that_does_not_match_its_record_is_refused_alike_for_datasets_and_prediction_maps()
    {
        GriddedDataset dataset = Store("ds_2", 1, k => [k], _ => 1, [new DatasetBand("index", BandRole.Input)]);
        SphereGrid other = SphereGrid.Create(GridKind.Equiangular, 9, 16);

        EngineInputException e = Assert.Throws<EngineInputException>(() => GriddedDatasetReader.Read(dataset with { Grid = other }, CancellationToken.None));
        Assert.Equal("Dataset ds_2 stores 5x8 values but its grid says 9x16; the file was written for another grid or is damaged. Ingest it again.", e.Message);

        var map = new PredictionMap("pr_1", dataset.TensorPath, other, dataset.Bands, new MapModel("mdl_1", "m", "regression", []));
        InvalidDataException damaged = Assert.Throws<InvalidDataException>(() => LoadedPredictionMap.Load(map, CancellationToken.None));
        Assert.StartsWith("The map of prediction pr_1 stores 5x8 values but its grid says 9x16", damaged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_samples_come_from_the_stored_datasets_and_their_errors_are_input_errors()
    {
        GriddedDataset first = Store("ds_a", 2, k => [k, k % 2], _ => 1, [new DatasetBand("index", BandRole.Input), new DatasetBand("class", BandRole.Label)]);
        GriddedDataset second = Store("ds_b", 2, k => [-k, (k + 1) % 2], _ => 1, [new DatasetBand("index", BandRole.Input), new DatasetBand("class", BandRole.Label)]);

        TrainingSamples samples = GriddedDatasetReader.ReadSamples(ModelTask.Segmentation, [], [first], [second], 0, 1, null, null, CancellationToken.None);
        Assert.Equal((2, 1, 1), (samples.Outputs, samples.Training.Count, samples.Validation!.Count));

        EngineInputException names = Assert.Throws<EngineInputException>(() =>
            GriddedDatasetReader.ReadSamples(ModelTask.Segmentation, ["only"], [first], [], 0, 1, null, null, CancellationToken.None));
        Assert.Contains("model.class_names lists one class", names.Message, StringComparison.Ordinal);
        Assert.Contains("at least one gridded training dataset", Assert.Throws<EngineInputException>(() =>
            GriddedDatasetReader.ReadSamples(ModelTask.Segmentation, [], [], [second], 0, 1, null, null, CancellationToken.None)).Message, StringComparison.Ordinal);
    }

    /// <summary>A dataset as ingest stores it: a tensor file with a mask and the record's grid and bands.</summary>
    private GriddedDataset Store(string id, int bands, Func<int, float[]> values, Func<int, byte> valid, DatasetBand[] records)
    {
        string path = _temp.File(id + ".tensor");
        float[] data = new float[bands * Nodes];
        byte[] mask = new byte[Nodes];
        for (int k = 0; k < Nodes; k++)
        {
            float[] node = values(k);
            for (int b = 0; b < bands; b++)
            {
                data[(b * Nodes) + k] = node[b];
            }

            mask[k] = valid(k);
        }

        using (TensorFile file = TensorFile.Create(path, bands, Grid.NLat, Grid.NLon, hasMask: true))
        {
            file.WriteRows(0, Grid.NLat, data, mask);
        }

        return new GriddedDataset(id, path, Grid, records);
    }
}
