using Disco.Geo.Grids;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Inference;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Tests.Data;
using Disco.Geo.Sphere.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Training;

public class SequentialTrainingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_planar_model_trains_after_a_long_disco_training_in_the_same_process()
    {
        int nlat = int.TryParse(Environment.GetEnvironmentVariable("NAN2_NLAT"), out int l) ? l : 33;
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, nlat, 2 * (nlat - 1));
        InMemorySphereDataset data = SyntheticSpheres.Hemispheres(8, 5, grid);
        int steps = int.TryParse(Environment.GetEnvironmentVariable("NAN2_STEPS"), out int s) ? s : 240;
        double before = Checksum(data);
        ModelConfig disco = ModelConfig.Create(ModelTask.Segmentation, 2, 2, grid);
        using SphereModel model = SphereModelFactory.Create(disco, 1);
        TrainingResult result = await new SphereTrainer().TrainAsync(
            model, data, null, new TrainingOptions { Epochs = steps / 4, MaxSteps = steps, BatchSize = 2, LearningRate = 1e-3, Seed = 7 });
        output.WriteLine($"disco steps {result.Steps}, last loss {result.StepLosses[^1]}");
        for (int seed = 1; seed <= 2; seed++)
        {
            IReadOnlyDictionary<string, double> m = SphereEvaluator.Evaluate(model, data, new EvaluationOptions { Rotation = RotationAugmentation.SO3, Seed = seed }, CancellationToken.None);
            output.WriteLine($"eval miou {m["miou"]}");
        }

        double after = Checksum(data);
        output.WriteLine($"dataset checksum {before} -> {after}");
        using SphereModel planar = SphereModelFactory.Create(SphereModelFactory.PlanarBaselineFor(disco), 1);
        foreach ((string name, Tensor p) in planar.named_parameters())
        {
            if (!isfinite(p).all().item<bool>())
            {
                output.WriteLine($"non-finite fresh parameter {name}");
            }
        }

        TrainingResult planarResult = await new SphereTrainer().TrainAsync(
            planar, data, null, new TrainingOptions { Epochs = 2, BatchSize = 2, LearningRate = 1e-3, Seed = 7 });
        Assert.True(double.IsFinite(planarResult.StepLosses[0]));
        Assert.Equal(before, after);
    }

    private static double Checksum(InMemorySphereDataset data)
    {
        double sum = 0;
        for (int i = 0; i < data.Count; i++)
        {
            float[] input = data.Get(i).Input;
            for (int n = 0; n < input.Length; n++)
            {
                sum += input[n] * (1 + (n % 7));
            }
        }

        return sum;
    }
}
