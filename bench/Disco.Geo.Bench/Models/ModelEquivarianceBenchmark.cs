using System.Globalization;
using System.Text;
using Disco.Geo.Grids;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Inference;
using Disco.Geo.Sphere.Losses;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Rotations;
using Disco.Geo.Sphere.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Bench.Models;

/// <summary>
/// Issue 4 §6: how much a whole model's output changes when its input is rotated, for the isotropic DISCO U-Net, an
/// anisotropic one and the planar baseline, untrained and briefly trained. Three kinds of rotation: whole-step rolls
/// about the pole and the north–south flip (rotation by π about the x axis), which the grid represents exactly, so any
/// error is the model's; and random SO(3) rotations, applied by bilinear resampling, reported beside the resampling's
/// own round-trip error.
/// </summary>
internal sealed class ModelEquivarianceBenchmark : IBenchmark
{
    public string Name => "model-equivariance";

    public string Description => "Whole-model equivariance: DISCO U-Net (isotropic, anisotropic) vs planar, untrained and trained [--quick]";

    public async Task<int> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        bool quick = context.Quick;
        SphereGrid grid = quick ? SphereGrid.Create(GridKind.Equiangular, 91, 180, 0) : SphereGrid.Create(GridKind.Equiangular, 181, 360, 0);
        int levels = quick ? 3 : 4;
        int trainingSteps = quick ? 12 : 40;
        int testInputs = quick ? 2 : 3;
        int rotations = quick ? 3 : 4;
        string loadBefore = BenchmarkProcesses.LoadAverage();

        ModelConfig isotropic = ModelConfig.Reference(ModelTask.Segmentation, 3, 2, grid) with
        {
            Channels = [.. ModelConfig.Reference(ModelTask.Segmentation, 3, 2, grid).Channels.Take(levels)],
            Blocks = [.. ModelConfig.Reference(ModelTask.Segmentation, 3, 2, grid).Blocks.Take(levels)],
        };
        (string Name, ModelConfig Config)[] models =
        [
            ("DISCO U-Net, isotropic [3]", isotropic),
            ("DISCO U-Net, anisotropic (3, 3)", isotropic with { KernelShape = [3, 3] }),
            ("planar baseline (3×3 Conv2d)", SphereModelFactory.PlanarBaselineFor(isotropic)),
        ];

        InMemorySphereDataset training = SyntheticGlobes.Dataset(grid, 3, 4, seed: 1);
        InMemorySphereDataset test = SyntheticGlobes.Dataset(grid, 3, testInputs, seed: 2);
        Rotation[] randomRotations = Enumerable.Range(0, rotations).Select(i => Rotation.Random(new Random(100 + i))).ToArray();
        int coarseStep = 1 << (levels - 1);

        StringBuilder table = new();
        table.AppendLine("| model | parameters | state | z-roll (exact) | N–S flip (exact) | random SO(3), resampled | resampling floor: output there and back | class agreement under SO(3) | mIoU NR / R |");
        table.AppendLine("|---|---|---|---|---|---|---|---|---|");
        double inputFloor = 0;
        foreach ((string name, ModelConfig config) in models)
        {
            using SphereModel model = SphereModelFactory.Create(config, seed: 1);
            foreach (string state in new[] { "untrained", "trained" })
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (state == "trained")
                {
                    Console.WriteLine($"Training {name} for {trainingSteps} steps…");
                    await new SphereTrainer().TrainAsync(
                        model, training, null,
                        new TrainingOptions { Epochs = trainingSteps / 2, BatchSize = 2, LearningRate = 3e-3, Seed = 1 },
                        cancellationToken: cancellationToken);
                }

                model.eval();
                List<double> rolled = [], flipped = [], so3 = [], agreement = [], floor = [];
                for (int t = 0; t < test.Count; t++)
                {
                    using DisposeScope scope = NewDisposeScope();
                    using IDisposable noGrad = no_grad();
                    Tensor x = tensor(test.Get(t).Input, [1, 3, grid.NLat, grid.NLon]);
                    Tensor y = model.forward(x);
                    Tensor a = AreaWeights.Rows(grid, y);
                    rolled.Add(RelativeError(model.forward(roll(x, 3 * coarseStep, -1)), roll(y, 3 * coarseStep, -1), a));
                    flipped.Add(RelativeError(model.forward(FlipNorthSouth(x)), FlipNorthSouth(y), a));
                    foreach (Rotation rotation in randomRotations)
                    {
                        GridRotation forward = GridRotation.Create(grid, rotation);
                        GridRotation back = GridRotation.Create(grid, rotation.Inverse());
                        Tensor rotatedOutput = forward.Interpolate(y);
                        Tensor outputOfRotated = model.forward(forward.Interpolate(x));
                        so3.Add(RelativeError(outputOfRotated, rotatedOutput, a));
                        Tensor same = outputOfRotated.argmax(1).eq(rotatedOutput.argmax(1)).to(float64);
                        agreement.Add((same * a.to(float64)).sum().item<double>() / (a.to(float64).sum().item<double>() * grid.NLon));
                        inputFloor = Math.Max(inputFloor, RelativeError(back.Interpolate(forward.Interpolate(x)), x, a));
                        floor.Add(RelativeError(back.Interpolate(rotatedOutput), y, a));
                    }
                }

                string miou = "–";
                if (state == "trained")
                {
                    double nr = SphereEvaluator.Evaluate(model, test)["miou"];
                    double r = SphereEvaluator.Evaluate(model, test, new EvaluationOptions { Rotation = RotationAugmentation.SO3, Seed = 3 })["miou"];
                    miou = string.Create(c, $"{nr:F3} / {r:F3}");
                }

                string line = string.Create(c,
                    $"| {name} | {model.ParameterCount:N0} | {state} | {Summary(rolled)} | {Summary(flipped)} | {Summary(so3)} | {Summary(floor)} | {agreement.Average():P2} (min {agreement.Min():P2}) | {miou} |");
                Console.WriteLine(line);
                table.AppendLine(line);
            }
        }

        StringBuilder body = new();
        body.AppendLine(string.Create(c, $"Equiangular {grid.NLat}×{grid.NLon} (column 0 at longitude 0, so the north–south flip maps nodes to nodes), {levels} levels, float32."));
        body.AppendLine(string.Create(c, $"Inputs: {testInputs} globes of 3 random polynomials of degree ≤ 4 in (x, y, z) (band-limited, ℓ ≤ 4); \"trained\" = {trainingSteps} `SphereTrainer` steps"));
        body.AppendLine("(batch 2, no augmentation) segmenting where band 0 is positive, on 4 other such globes. Entries are the relative change of the raw");
        body.AppendLine("outputs (logits), ‖M(R·x) − R·M(x)‖ / ‖M(x)‖ with area-weighted L2 norms over the sphere, mean (max) over inputs and rotations.");
        body.AppendLine(string.Create(c, $"z-roll: by 3 coarsest-grid columns ({3 * coarseStep} fine columns), exact on every level. N–S flip: (θ, λ) → (π − θ, −λ), a rotation by π about"));
        body.AppendLine(string.Create(c, $"the x axis, exact on this grid. SO(3): {rotations} uniform random rotations applied by bilinear resampling (`GridRotation`), so these"));
        body.AppendLine(string.Create(c, $"entries include interpolation error: resampling there and back changes the inputs by ≤ {inputFloor:P3}, and each model's outputs by the"));
        body.AppendLine("\"resampling floor\" column — an SO(3) error at that level is interpolation, not the model.");
        body.AppendLine("Class agreement: area fraction where argmax M(R·x) = argmax R·M(x). mIoU NR / R: area-weighted mIoU of the trained model on the test");
        body.AppendLine("globes as they are and randomly rotated (input bilinear, labels nearest) — the rotation-robustness protocol in miniature.");
        body.AppendLine();
        body.AppendLine(string.Create(c, $"**Preliminary:** 2 shared cores (load average {loadBefore} before, {BenchmarkProcesses.LoadAverage()} after); timings are not reported here, the errors do not depend on load."));
        body.AppendLine();
        body.Append(table);
        context.WriteSection("Models: equivariance of whole networks", body.ToString());
        return 0;
    }

    private static string Summary(List<double> errors) =>
        string.Create(CultureInfo.InvariantCulture, $"{errors.Average():E1} ({errors.Max():E1})");

    private static double RelativeError(Tensor actual, Tensor expected, Tensor rowAreas)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor a = rowAreas.to(float64);
        double difference = ((actual.to(float64) - expected.to(float64)).square() * a).sum().item<double>();
        double reference = (expected.to(float64).square() * a).sum().item<double>();
        return Math.Sqrt(difference / reference);
    }

    /// <summary>(θ, λ) → (π − θ, −λ): rows reversed, longitudes negated (column 0 must sit at longitude 0).</summary>
    private static Tensor FlipNorthSouth(Tensor x)
    {
        using DisposeScope scope = NewDisposeScope();
        long nlon = x.shape[^1];
        long[] negated = Enumerable.Range(0, (int)nlon).Select(p => (nlon - p) % nlon).ToArray();
        return x.flip(-2).index_select(-1, tensor(negated, device: x.device)).MoveToOuterDisposeScope();
    }
}
