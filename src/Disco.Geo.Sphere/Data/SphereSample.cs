namespace Disco.Geo.Sphere.Data;

/// <summary>
/// One training or inference example on a sphere grid, as row-major arrays (rows north to south, columns eastwards):
/// the input bands [C, NLat, NLon]; optionally a target — class ids [NLat, NLon] for segmentation, or values
/// [T, NLat, NLon] for regression and depth — and a validity mask [NLat, NLon] (1 valid, 0 no data).
/// </summary>
/// <remarks>
/// Inputs must be finite everywhere: fill no-data inputs with a neutral value (e.g. the band mean) and mark the nodes
/// in the mask. A node is left out of losses and metrics when its mask is 0, its class id is negative (ignore), or its
/// target value is not finite (or, for depth, not positive).
/// </remarks>
public sealed class SphereSample
{
    private SphereSample(float[] input, int nlat, int nlon, int[]? classes, float[]? values, byte[]? mask)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (nlat < 1 || nlon < 1)
        {
            throw new ArgumentException($"nlat = {nlat} and nlon = {nlon} must both be positive.", nameof(nlat));
        }

        long nodes = (long)nlat * nlon;
        if (input.Length == 0 || input.Length % nodes != 0)
        {
            throw new ArgumentException(
                $"The input has {input.Length} values, which is not a whole number (at least 1) of {nlat}x{nlon} bands; lay it out [bands, nlat, nlon].",
                nameof(input));
        }

        for (int i = 0; i < input.Length; i++)
        {
            if (!float.IsFinite(input[i]))
            {
                long band = i / nodes, row = i % nodes / nlon, column = i % nlon;
                throw new ArgumentException(
                    $"Input band {band} has the non-finite value {input[i]} at row {row}, column {column}: fill no-data inputs with a finite value (e.g. the band mean) and mark them in the mask.",
                    nameof(input));
            }
        }

        if (classes is not null && classes.Length != nodes)
        {
            throw new ArgumentException($"The class map has {classes.Length} values; expected nlat × nlon = {nodes}.", nameof(classes));
        }

        if (values is not null && (values.Length == 0 || values.Length % nodes != 0))
        {
            throw new ArgumentException(
                $"The target has {values.Length} values, which is not a whole number (at least 1) of {nlat}x{nlon} bands; lay it out [bands, nlat, nlon].",
                nameof(values));
        }

        if (mask is not null && mask.Length != nodes)
        {
            throw new ArgumentException($"The mask has {mask.Length} values; expected nlat × nlon = {nodes}.", nameof(mask));
        }

        Input = input;
        NLat = nlat;
        NLon = nlon;
        InputChannels = (int)(input.Length / nodes);
        Classes = classes;
        Values = values;
        TargetChannels = values is null ? (classes is null ? 0 : 1) : (int)(values.Length / nodes);
        Mask = mask;
    }

    /// <summary>Input bands, [InputChannels, NLat, NLon] row-major.</summary>
    public float[] Input { get; }

    /// <summary>Latitude rows.</summary>
    public int NLat { get; }

    /// <summary>Longitude columns.</summary>
    public int NLon { get; }

    /// <summary>Number of input bands.</summary>
    public int InputChannels { get; }

    /// <summary>Class id per node [NLat, NLon] (negative = ignore), or null.</summary>
    public int[]? Classes { get; }

    /// <summary>Target values [TargetChannels, NLat, NLon], or null.</summary>
    public float[]? Values { get; }

    /// <summary>Target bands: 1 for a class map, the number of value bands, or 0 without a target.</summary>
    public int TargetChannels { get; }

    /// <summary>Validity per node [NLat, NLon] (non-zero = valid), or null when every node is valid.</summary>
    public byte[]? Mask { get; }

    /// <summary>A segmentation example: input bands and a class id per node.</summary>
    public static SphereSample ForSegmentation(float[] input, int[] classes, int nlat, int nlon, byte[]? mask = null)
    {
        ArgumentNullException.ThrowIfNull(classes);
        return new SphereSample(input, nlat, nlon, classes, null, mask);
    }

    /// <summary>A regression or depth example: input bands and target value bands.</summary>
    public static SphereSample ForRegression(float[] input, float[] values, int nlat, int nlon, byte[]? mask = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new SphereSample(input, nlat, nlon, null, values, mask);
    }

    /// <summary>An input without a target, for inference.</summary>
    public static SphereSample Unlabeled(float[] input, int nlat, int nlon) => new(input, nlat, nlon, null, null, null);
}
