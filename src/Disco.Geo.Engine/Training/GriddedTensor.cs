using Disco.Geo.Grids;
using Disco.Geo.Raster;
using Disco.Geo.Raster.Storage;

namespace Disco.Geo.Engine.Training;

/// <summary>
/// A stored gridded dataset read into memory and split by band role: input bands (finite everywhere, as the models
/// require), label bands (verbatim) and the validity of every node. Mask-role bands fold into the validity
/// (valid where the value exceeds 0.5), as the ingest engine does; unspecified roles count as inputs.
/// </summary>
internal sealed class GriddedTensor
{
    private GriddedTensor(
        GriddedDataset source, SphereGrid grid, float[] inputs, string[] inputNames, float[] labels, string[] labelNames, byte[] mask)
    {
        Source = source;
        Grid = grid;
        Inputs = inputs;
        InputNames = inputNames;
        Labels = labels;
        LabelNames = labelNames;
        Mask = mask;
    }

    public GriddedDataset Source { get; }

    public SphereGrid Grid { get; }

    /// <summary>Input bands [InputNames.Count, nlat, nlon]; nodes without data hold the band's area-weighted mean and are invalid in <see cref="Mask"/>.</summary>
    public float[] Inputs { get; }

    public IReadOnlyList<string> InputNames { get; }

    /// <summary>Label bands [LabelNames.Count, nlat, nlon] as stored.</summary>
    public float[] Labels { get; }

    public IReadOnlyList<string> LabelNames { get; }

    /// <summary>Validity per node [nlat, nlon]: 1 valid, 0 no data.</summary>
    public byte[] Mask { get; }

    /// <summary>Human-readable name for messages.</summary>
    public string Display => $"dataset {Source.DatasetId}";

    /// <summary>Reads the tensor file of <paramref name="dataset"/>.</summary>
    /// <exception cref="EngineInputException">The grid is invalid or the file does not match the record.</exception>
    public static GriddedTensor Read(GriddedDataset dataset, CancellationToken cancellationToken)
    {
        SphereGrid grid = dataset.Grid;
        using TensorFile file = TensorFile.OpenRead(dataset.TensorPath);
        if (file.NLat != grid.NLat || file.NLon != grid.NLon)
        {
            throw new EngineInputException($"Dataset {dataset.DatasetId} stores {file.NLat}x{file.NLon} values but its grid says {grid.NLat}x{grid.NLon}; ingest it again.");
        }

        int nodes = (int)grid.NodeCount;
        if ((long)file.Bands * nodes > Array.MaxLength)
        {
            throw new EngineInputException($"Dataset {dataset.DatasetId} has {file.Bands} bands of {nodes} nodes, more than fits in memory at once; use fewer bands or a coarser grid.");
        }

        ReadOnlySpan<float> values = file.ReadAllBands();
        byte[] mask = new byte[nodes];
        file.ReadMask(0, file.NLat, mask);
        cancellationToken.ThrowIfCancellationRequested();

        var inputs = new List<int>();
        var labels = new List<int>();
        for (int b = 0; b < file.Bands; b++)
        {
            BandRole role = dataset.Bands.Count == file.Bands ? dataset.Bands[b].Role : BandRole.Input;
            switch (role)
            {
                case BandRole.Label:
                    labels.Add(b);
                    break;
                case BandRole.Mask:
                    ReadOnlySpan<float> band = values.Slice(b * nodes, nodes);
                    for (int k = 0; k < nodes; k++)
                    {
                        if (!(band[k] > 0.5f))
                        {
                            mask[k] = 0;
                        }
                    }

                    break;
                default:
                    inputs.Add(b);
                    break;
            }
        }

        string Name(int b) => dataset.Bands.Count == file.Bands && dataset.Bands[b].Name.Length > 0 ? dataset.Bands[b].Name : $"band_{b}";
        float[] inputValues = new float[inputs.Count * nodes];
        for (int i = 0; i < inputs.Count; i++)
        {
            values.Slice(inputs[i] * nodes, nodes).CopyTo(inputValues.AsSpan(i * nodes, nodes));
        }

        FillMissing(grid, inputValues, inputs.Count, mask);
        float[] labelValues = new float[labels.Count * nodes];
        for (int i = 0; i < labels.Count; i++)
        {
            values.Slice(labels[i] * nodes, nodes).CopyTo(labelValues.AsSpan(i * nodes, nodes));
        }

        return new GriddedTensor(dataset, grid, inputValues, [.. inputs.Select(Name)], labelValues, [.. labels.Select(Name)], mask);
    }

    /// <summary>
    /// Replaces non-finite inputs, and inputs at invalid nodes, by the band's area-weighted mean over valid finite
    /// nodes (a neutral value: the models reject non-finite inputs), and marks nodes with a non-finite input invalid.
    /// </summary>
    public static void FillMissing(SphereGrid grid, float[] inputs, int bands, byte[] mask)
    {
        int nodes = (int)grid.NodeCount;
        int nlon = grid.NLon;
        for (int k = 0; k < nodes; k++)
        {
            for (int b = 0; b < bands; b++)
            {
                if (!float.IsFinite(inputs[(b * nodes) + k]))
                {
                    mask[k] = 0;
                    break;
                }
            }
        }

        for (int b = 0; b < bands; b++)
        {
            Span<float> band = inputs.AsSpan(b * nodes, nodes);
            double sum = 0, weight = 0;
            for (int k = 0; k < nodes; k++)
            {
                if (mask[k] != 0)
                {
                    double w = grid.LatitudeWeights[k / nlon];
                    sum += w * band[k];
                    weight += w;
                }
            }

            float mean = weight > 0 ? (float)(sum / weight) : 0f;
            for (int k = 0; k < nodes; k++)
            {
                if (mask[k] == 0)
                {
                    band[k] = mean;
                }
            }
        }
    }
}
