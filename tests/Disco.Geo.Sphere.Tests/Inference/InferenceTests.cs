using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Inference;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Rotations;
using Disco.Geo.Sphere.Tests.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Inference;

public class InferenceTests
{
    [Theory]
    [InlineData(PredictionOutput.Values, 5)]
    [InlineData(PredictionOutput.Probabilities, 4)]
    [InlineData(PredictionOutput.Values, 0)]
    public async Task Bands_reassemble_to_the_full_forward_output(PredictionOutput output, int rowsPerBand)
    {
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(outputs: 3), 1);
        SphereSample sample = SyntheticSpheres.Hemispheres(1, 3).Get(0);
        SpherePredictor predictor = new(model);

        List<PredictionBand> bands = [];
        await foreach (PredictionBand band in predictor.PredictBandsAsync(sample.Input, new PredictionOptions { Output = output, RowsPerBand = rowsPerBand }))
        {
            bands.Add(band);
        }

        int channels = output == PredictionOutput.Values ? 1 : 3;
        int expectedRows = rowsPerBand == 0 ? 16 : rowsPerBand;
        Assert.Equal(Enumerable.Range(0, (17 + expectedRows - 1) / expectedRows).Select(b => b * expectedRows), bands.Select(b => b.RowStart));
        Assert.Equal(17, bands.Sum(b => b.RowCount));
        Assert.All(bands, b => Assert.Equal(channels * b.RowCount * 32, b.Values.Length));

        using Tensor input = tensor(sample.Input, [1, 2, 17, 32]);
        using Tensor probabilities = model.ToPhysical(model.forward(input));
        using Tensor full = output == PredictionOutput.Values ? probabilities.argmax(1).to(float32) : probabilities[0];
        float[] expected = full.contiguous().data<float>().ToArray();
        float[] assembled = new float[channels * 17 * 32];
        foreach (PredictionBand band in bands)
        {
            for (int c = 0; c < channels; c++)
            {
                Array.Copy(band.Values, c * band.RowCount * 32, assembled, (c * 17 + band.RowStart) * 32, band.RowCount * 32);
            }
        }

        Assert.Equal(expected, assembled);
    }

    [Fact]
    public void The_old_rotation_averaging_scheme_averages_random_rotations_rotated_back_bilinearly()
    {
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(ModelTask.Regression, 1), 2);
        using Tensor x = randn(1, 2, 17, 32);
        SpherePredictor predictor = new(model);
        using Tensor plain = predictor.Predict(x);
        using Tensor one = predictor.Predict(x, rotationAveraging: 1);
        Assert.True(plain.equal(one).all().item<bool>());

        // k = 2: the identity and one rotation drawn from the seed, done by hand.
        Rotation rotation = Rotation.Random(new SeededRandom(SeededRandom.Mix(9, SeededRandom.TestTimeStream, 1)));
        GridRotation forward = GridRotation.Create(SyntheticSpheres.Grid, rotation);
        GridRotation back = GridRotation.Create(SyntheticSpheres.Grid, rotation.Inverse());
        IDisposable noGrad = no_grad();
        using Tensor rotated = back.Interpolate(model.ToPhysical(model.forward(forward.Interpolate(x))));
        noGrad.Dispose();

        using Tensor expected = (plain + rotated) / 2;
        using Tensor averaged = predictor.Predict(x, rotationAveraging: 2, seed: 9, RotationAveragingScheme.RandomBilinear);
        Assert.True(averaged.allclose(expected, rtol: 1e-5, atol: 1e-5));
        Assert.False(averaged.requires_grad);
    }

    [Fact]
    public async Task Concurrent_predictions_with_one_model_agree_with_serial_ones()
    {
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 4);
        SpherePredictor predictor = new(model);
        float[][] inputs = Enumerable.Range(0, 4).Select(i => SyntheticSpheres.Hemispheres(1, 20 + i).Get(0).Input).ToArray();
        float[][] serial = inputs.Select(input => predictor.PredictMap(SphereSample.Unlabeled(input, 17, 32), new PredictionOptions()).Map).ToArray();
        float[][] parallel = await Task.WhenAll(inputs.Select(input => Task.Run(() =>
            predictor.PredictMap(SphereSample.Unlabeled(input, 17, 32), new PredictionOptions { Output = PredictionOutput.Values }).Map)));
        Assert.Equal(serial, parallel);
    }

    [Fact]
    public async Task Bad_requests_are_rejected()
    {
        using SphereModel regression = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(ModelTask.Regression, 1), 2);
        SpherePredictor predictor = new(regression);
        float[] input = new float[2 * 17 * 32];
        await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (PredictionBand _ in predictor.PredictBandsAsync(input, new PredictionOptions { Output = PredictionOutput.Probabilities }))
            {
            }
        });
        await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (PredictionBand _ in predictor.PredictBandsAsync(new float[17 * 32]))
            {
            }
        });
        Assert.Throws<ArgumentException>(() => predictor.Predict(randn(1, 2, 17, 32), rotationAveraging: -1));
        Assert.Throws<ArgumentException>(() => new PredictionOptions { RowsPerBand = -1 }.Validate());
    }

    [Fact]
    public void The_evaluator_reports_task_metrics_and_rotated_test_conditions()
    {
        InMemorySphereDataset data = SyntheticSpheres.Hemispheres(2, 5);
        using SphereModel model = SphereModelFactory.Create(SyntheticSpheres.TinyConfig(), 1);
        IReadOnlyDictionary<string, double> plain = SphereEvaluator.Evaluate(model, data);
        Assert.Contains("miou", plain.Keys);
        Assert.Contains("loss", plain.Keys);
        Assert.InRange(plain["accuracy"], 0, 1);

        IReadOnlyDictionary<string, double> rotated = SphereEvaluator.Evaluate(model, data, new EvaluationOptions { Rotation = RotationAugmentation.SO3, Seed = 1 });
        Assert.NotEqual(plain["loss"], rotated["loss"]);
        IReadOnlyDictionary<string, double> averaged = SphereEvaluator.Evaluate(model, data, new EvaluationOptions { RotationAveraging = 3, BatchSize = 2 });
        Assert.DoesNotContain("loss", averaged.Keys);
        Assert.Throws<ArgumentException>(() => SphereEvaluator.Evaluate(model, data, new EvaluationOptions { BatchSize = 0 }));
    }
}
