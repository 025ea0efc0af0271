namespace Disco.Geo.Sphere.Inference;

/// <summary>What a prediction emits per node.</summary>
public enum PredictionOutput
{
    /// <summary>One band: the class id (as a number) for segmentation; the values for regression; depth for depth models.</summary>
    Values,

    /// <summary>Segmentation only: one band of probability per class.</summary>
    Probabilities,
}

/// <summary>Settings of a prediction.</summary>
public sealed record PredictionOptions
{
    /// <summary>What to emit. Default values.</summary>
    public PredictionOutput Output { get; init; } = PredictionOutput.Values;

    /// <summary>
    /// Test-time rotation averaging: average the physical outputs over this many rotations: each rotates the input by R,
    /// predicts, and rotates the raw prediction back by R⁻¹. Rotations that map the grid onto itself come first and are
    /// exact: the identity and longitude rolls by whole columns that the model's coarser levels do not make redundant
    /// (up to the model's longitude step-down factor s, e.g. 8 for 4 levels), then the same after the north–south flip (a
    /// rotation by π about an equatorial axis, where the grid's latitudes and longitudes are symmetric); beyond those 2s,
    /// uniform random rotations resampled bicubically across the poles. 0 or 1 = none.
    /// </summary>
    public int RotationAveraging { get; init; }

    /// <summary>
    /// Level every input first (camera orientation unknown): an isotropic segmentation model estimates "up", the input
    /// is turned upright, the model runs, and its output is turned back (see <see cref="CameraLeveller"/>). Null = none.
    /// Does not combine with <see cref="RotationAveraging"/>.
    /// </summary>
    public CameraLeveller? Leveller { get; init; }

    /// <summary>
    /// Nodes with data (non-zero), one per node of the grid, row-major; null = all. Levelling estimates "up" from these
    /// only (a photo's transparent sky holds filler, not data).
    /// </summary>
    public byte[]? Valid { get; init; }

    /// <summary>Seed of the random rotations. Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>Latitude rows per emitted band; 0 = 16. Default 0.</summary>
    public int RowsPerBand { get; init; }

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Output))
        {
            throw new ArgumentException($"Unknown prediction output {(int)Output}; use values or probabilities.", nameof(Output));
        }

        if (RotationAveraging is < 0 or > 64)
        {
            throw new ArgumentException($"rotation_averaging = {RotationAveraging} must be in 0..64.", nameof(RotationAveraging));
        }

        if (Leveller is not null && RotationAveraging > 1)
        {
            throw new ArgumentException("Levelling and rotation averaging do not combine; choose one.", nameof(Leveller));
        }

        if (RowsPerBand < 0)
        {
            throw new ArgumentException($"rows_per_band = {RowsPerBand} must be 0 (automatic) or positive.", nameof(RowsPerBand));
        }
    }
}

/// <summary>
/// Rows [RowStart, RowStart + RowCount) of every output band, laid out [Bands, RowCount, NLon] row-major (north to
/// south, west to east) — the layout a tile stream sends.
/// </summary>
/// <param name="RowStart">First latitude row.</param>
/// <param name="RowCount">Number of rows.</param>
/// <param name="Bands">Output bands.</param>
/// <param name="NLon">Columns per row.</param>
/// <param name="Values">Bands × RowCount × NLon values.</param>
public sealed record PredictionBand(int RowStart, int RowCount, int Bands, int NLon, float[] Values);
