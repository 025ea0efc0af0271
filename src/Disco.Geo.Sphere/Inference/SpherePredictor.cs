using System.Runtime.CompilerServices;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Rotations;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Inference;

/// <summary>
/// Runs a model without gradients on the model's device (move the model first, e.g. with
/// <c>model.to(TorchDevices.Select("auto"))</c>, or load its package onto a device). Batched tensor inference
/// (<see cref="Predict(Tensor, int, long)"/>) and streamed inference of one map in latitude bands (<see cref="PredictBandsAsync"/>), both
/// with optional test-time rotation averaging. The U-Nets have no layers that behave differently in training and
/// evaluation mode, and prediction changes no module state, so concurrent predictions with one model are safe.
/// </summary>
public sealed class SpherePredictor
{
    /// <summary>Creates a predictor for <paramref name="model"/>.</summary>
    public SpherePredictor(SphereModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        ColumnStride = Math.Max(1, model.Grid.NLon / model.Config.LevelGrids()[^1].NLon);
    }

    /// <summary>The model.</summary>
    public SphereModel Model { get; }

    /// <summary>
    /// Physical outputs [B, OutputChannels, NLat, NLon] for inputs [B, InputChannels, NLat, NLon] on the model's device:
    /// class probabilities, values in target units, or depth (see <see cref="SphereModel.ToPhysical"/>), averaged over
    /// <paramref name="rotationAveraging"/> rotations when that is 2 or more: exact rotations of the grid first (the
    /// identity, longitude rolls by whole columns, then those after the north–south flip where the grid allows it), then random ones
    /// (see <see cref="PredictionOptions.RotationAveraging"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The input does not fit the model.</exception>
    public Tensor Predict(Tensor input, int rotationAveraging = 0, long seed = 0) =>
        Predict(input, rotationAveraging, seed, RotationAveragingScheme.ExactFirst);

    /// <summary><see cref="Predict(Tensor, int, long)"/> with a choice of averaging scheme (benchmarks compare them).</summary>
    internal Tensor Predict(Tensor input, int rotationAveraging, long seed, RotationAveragingScheme scheme)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (rotationAveraging is < 0 or > 64)
        {
            throw new ArgumentException($"rotation_averaging = {rotationAveraging} must be in 0..64.", nameof(rotationAveraging));
        }

        using IDisposable noGrad = no_grad();
        if (rotationAveraging <= 1)
        {
            using DisposeScope scope = NewDisposeScope();
            return Model.ToPhysical(Model.forward(input)).MoveToOuterDisposeScope();
        }

        IReadOnlyList<Rotation> rotations = TestTimeRotations.Plan(Model.Grid, rotationAveraging, ColumnStride, seed, scheme);
        return TestTimeRotations.Average(input, Model.Grid, rotations, scheme, Model.forward, Model.ToPhysical);
    }

    /// <summary>Columns of the model's grid per column of its coarsest level: rolls by multiples of this leave an equivariant model's output unchanged.</summary>
    internal int ColumnStride { get; }

    /// <summary>
    /// Predicts one map and emits it in latitude bands, north to south, once the forward pass is done (it runs off the
    /// caller's thread). Segmentation with <see cref="PredictionOutput.Values"/> emits the arg-max class id.
    /// </summary>
    /// <param name="input">Input bands [InputChannels, NLat, NLon] row-major, finite.</param>
    /// <param name="options">Output kind, rotation averaging, band height.</param>
    /// <param name="cancellationToken">Checked before the forward pass and between bands.</param>
    /// <exception cref="ArgumentException">The input does not fit the model, or probabilities were asked of a non-segmentation model.</exception>
    public async IAsyncEnumerable<PredictionBand> PredictBandsAsync(
        float[] input, PredictionOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        options ??= new PredictionOptions();
        options.Validate();
        if (options.Output == PredictionOutput.Probabilities && Model.Config.Task != ModelTask.Segmentation)
        {
            throw new ArgumentException($"Probabilities exist only for segmentation; this is a {Model.Config.Task.ToName()} model. Ask for values.", nameof(options));
        }

        SphereSample sample = SphereSample.Unlabeled(input, Model.Grid.NLat, Model.Grid.NLon);
        cancellationToken.ThrowIfCancellationRequested();
        (float[] map, int bands) = await Task.Run(() => PredictMap(sample, options), cancellationToken).ConfigureAwait(false);

        int nlat = Model.Grid.NLat, nlon = Model.Grid.NLon;
        int rows = options.RowsPerBand > 0 ? options.RowsPerBand : 16;
        for (int start = 0; start < nlat; start += rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(rows, nlat - start);
            float[] values = new float[bands * count * nlon];
            for (int b = 0; b < bands; b++)
            {
                Array.Copy(map, ((long)b * nlat + start) * nlon, values, (long)b * count * nlon, (long)count * nlon);
            }

            yield return new PredictionBand(start, count, bands, nlon, values);
        }
    }

    /// <summary>The whole output map [bands, NLat, NLon] of one sample as a managed array.</summary>
    internal (float[] Map, int Bands) PredictMap(SphereSample sample, PredictionOptions options)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor input = SphereBatch.Inputs([sample], Model.Config, Model.Device);
        ScalarType dtype = Model.parameters().First().dtype;
        if (input.dtype != dtype)
        {
            input = input.to(dtype);
        }

        Tensor physical = options.Leveller is { } leveller ? leveller.Predict(Model, input, options.Valid).Physical : Predict(input, options.RotationAveraging, options.Seed);
        Tensor output = Model.Config.Task == ModelTask.Segmentation && options.Output == PredictionOutput.Values
            ? physical.argmax(1, keepdim: true).to(ScalarType.Float32)
            : physical.to(ScalarType.Float32);
        Tensor cpu = output.select(0, 0).to(CPU).contiguous();
        return (cpu.data<float>().ToArray(), (int)cpu.shape[0]);
    }
}
