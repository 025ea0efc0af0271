using Disco.Geo.Grids;

namespace Disco.Geo.Sphere.Data;

/// <summary>What a band of a gridded tensor holds, for <see cref="GriddedTensor"/>.</summary>
public enum GriddedBandRole
{
    /// <summary>A model input.</summary>
    Input,

    /// <summary>A training target (class ids or values).</summary>
    Label,

    /// <summary>Validity: valid where the value exceeds 0.5.</summary>
    Mask,
}

/// <summary>
/// A gridded dataset in memory, split by band role: input bands (finite everywhere, as the models require), label
/// bands (verbatim) and the validity of every node. Mask-role bands fold into the validity (valid where the value
/// exceeds 0.5), as ingest does.
/// </summary>
public sealed class GriddedTensor
{
    private GriddedTensor(
        string display, SphereGrid grid, float[] inputs, string[] inputNames, float[] labels, string[] labelNames, byte[] mask)
    {
        Display = display;
        Grid = grid;
        Inputs = inputs;
        InputNames = inputNames;
        Labels = labels;
        LabelNames = labelNames;
        Mask = mask;
    }

    /// <summary>The grid of the values.</summary>
    public SphereGrid Grid { get; }

    /// <summary>Input bands [InputNames.Count, nlat, nlon]; nodes without data hold the band's area-weighted mean and are invalid in <see cref="Mask"/>.</summary>
    public float[] Inputs { get; }

    /// <summary>Names of the input bands, in order.</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>Label bands [LabelNames.Count, nlat, nlon] as stored.</summary>
    public float[] Labels { get; }

    /// <summary>Names of the label bands, in order.</summary>
    public IReadOnlyList<string> LabelNames { get; }

    /// <summary>Validity per node [nlat, nlon]: 1 valid, 0 no data.</summary>
    public byte[] Mask { get; }

    /// <summary>Human-readable name for messages (e.g. "dataset ds_1").</summary>
    public string Display { get; }

    /// <summary>Splits band-major values by role and makes the inputs finite (see <see cref="FillMissing"/>).</summary>
    /// <param name="display">How messages name the dataset.</param>
    /// <param name="grid">The grid of the values.</param>
    /// <param name="values">Band values [roles.Count, nlat, nlon]; only read.</param>
    /// <param name="roles">The role of each band.</param>
    /// <param name="names">The name of each band.</param>
    /// <param name="mask">Validity per node [nlat, nlon] (1 valid); taken over and narrowed by mask bands and missing inputs.</param>
    /// <exception cref="ArgumentException">The lengths do not fit the grid and the band count.</exception>
    public static GriddedTensor Create(
        string display, SphereGrid grid, ReadOnlySpan<float> values, IReadOnlyList<GriddedBandRole> roles, IReadOnlyList<string> names, byte[] mask)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(roles);
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(mask);
        int nodes = (int)grid.NodeCount;
        if (names.Count != roles.Count || mask.Length != nodes || values.Length != (long)roles.Count * nodes)
        {
            throw new ArgumentException(
                $"{roles.Count} roles, {names.Count} names, {values.Length} values and a mask of {mask.Length} do not describe bands on {grid}.", nameof(values));
        }

        var inputs = new List<int>();
        var labels = new List<int>();
        for (int b = 0; b < roles.Count; b++)
        {
            switch (roles[b])
            {
                case GriddedBandRole.Label:
                    labels.Add(b);
                    break;
                case GriddedBandRole.Mask:
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

        return new GriddedTensor(display, grid, inputValues, [.. inputs.Select(b => names[b])], labelValues, [.. labels.Select(b => names[b])], mask);
    }

    /// <summary>
    /// Replaces non-finite inputs, and inputs at invalid nodes, by the band's area-weighted mean over valid finite
    /// nodes (a neutral value: the models reject non-finite inputs), and marks nodes with a non-finite input invalid.
    /// </summary>
    /// <param name="grid">The grid of the values.</param>
    /// <param name="inputs">Input bands [bands, nlat, nlon], changed in place.</param>
    /// <param name="bands">Number of input bands.</param>
    /// <param name="mask">Validity per node, narrowed in place.</param>
    public static void FillMissing(SphereGrid grid, float[] inputs, int bands, byte[] mask)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(mask);
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
