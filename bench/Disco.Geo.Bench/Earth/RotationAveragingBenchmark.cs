using System.Diagnostics;
using System.Globalization;
using System.Text;
using Disco.Geo.Grids;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Inference;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Bench.Earth;

/// <summary>
/// Issue 13, test-time rotation averaging: trains small land/water models (Blue Marble months 01, 03, 05 → Natural Earth
/// land) and reports held-out mIoU (months 07, 08) and cost of plain prediction beside averaging over N = 2, 4, 8, 16
/// rotations with the exact-first scheme and with the old one (identity + random rotations, bilinear), on the upright
/// test globes and on randomly rotated ones.
/// </summary>
/// <remarks>
/// Options: --quick (few steps, outputs under bench/out/quick); --models a,b (disco, disco-aniso, planar); --steps N;
/// --grid NLATxNLON (equiangular; NLON divisible by 8); --seeds N (rotated test conditions); --repeats N (timing).
/// </remarks>
internal sealed class RotationAveragingBenchmark : IBenchmark
{
    private static readonly int[] Counts = [2, 4, 8, 16];

    public string Name => "rotation-averaging";

    public string Description => "Test-time rotation averaging on land/water: mIoU and cost of plain vs exact-first vs old (random, bilinear) vs random bicubic, N = 2, 4, 8, 16 [--quick]";

    public async Task<int> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        Stopwatch total = Stopwatch.StartNew();
        bool quick = context.Quick;
        (BenchmarkContext output, _) = Experiments.Outputs(context, quick ? "quick" : null);
        string[] modelKeys = context.Option("models", "disco,disco-aniso,planar").Split(',', StringSplitOptions.RemoveEmptyEntries);
        int steps = int.Parse(context.Option("steps", quick ? "20" : "400"), c);
        int seeds = int.Parse(context.Option("seeds", quick ? "1" : "2"), c);
        int repeats = int.Parse(context.Option("repeats", quick ? "1" : "3"), c);
        string[] size = context.Option("grid", "65x128").Split('x');
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, int.Parse(size[0], c), int.Parse(size[1], c));
        string loadBefore = Experiments.LoadAverage();

        int[] trainMonths = [1, 3, 5], testMonths = [7, 8];
        EarthData data = await EarthData.LoadAsync(grid, trainMonths.Concat(testMonths), withElevation: false, cancellationToken);
        InMemorySphereDataset training = Dataset(data, trainMonths);
        InMemorySphereDataset test = Dataset(data, testMonths);

        StringBuilder accuracy = new();
        accuracy.AppendLine("| model | test globes | plain | " + string.Join(" | ", Counts.Select(n => $"exact-first N={n}")) + " | " + string.Join(" | ", Counts.Select(n => $"old N={n}"))
            + " | " + string.Join(" | ", Counts.Select(n => $"random bicubic N={n}")) + " |");
        accuracy.AppendLine("|---|---|---|" + string.Concat(Enumerable.Repeat("---|", 3 * Counts.Length)));
        StringBuilder cost = new();
        cost.AppendLine("| model | plain ms | " + string.Join(" | ", Counts.Select(n => $"exact-first N={n}")) + " | " + string.Join(" | ", Counts.Select(n => $"old N={n}"))
            + " | " + string.Join(" | ", Counts.Select(n => $"random bicubic N={n}")) + " |");
        cost.AppendLine("|---|---|" + string.Concat(Enumerable.Repeat("---|", 3 * Counts.Length)));
        StringBuilder changed = new();
        changed.AppendLine("| model | column stride s | " + string.Join(" | ", Counts.Select(n => $"exact-first N={n}")) + " | " + string.Join(" | ", Counts.Select(n => $"old N={n}"))
            + " | " + string.Join(" | ", Counts.Select(n => $"random bicubic N={n}")) + " |");
        changed.AppendLine("|---|---|" + string.Concat(Enumerable.Repeat("---|", 3 * Counts.Length)));

        StringBuilder notes = new();
        foreach (string key in modelKeys)
        {
            ModelConfig config = LandWaterBenchmark.Config(key, grid);
            TrainingOptions options = new()
            {
                Epochs = steps,
                MaxSteps = steps,
                BatchSize = 1,
                LearningRate = 2e-3,
                Seed = 7,
                TimeLimit = TimeSpan.FromMinutes(quick ? 3 : 25),
            };
            TrainedModel trained;
            try
            {
                trained = await Experiments.TrainAsync(LandWaterBenchmark.Label(key), config, training, null, options, seed: 1, cancellationToken);
            }
            catch (TrainingDivergedException e)
            {
                // Reported, then retried once at half the learning rate: a divergence is a property of this run, not a reason to lose the others.
                Console.WriteLine($"[{key}] {e.Message} Retrying at half the learning rate.");
                notes.AppendLine(string.Create(c, $"- {LandWaterBenchmark.Label(key)}: diverged at lr {options.LearningRate:G3} ({e.Message.Split('.')[0]}); trained again at lr {options.LearningRate / 2:G3}."));
                options = options with { LearningRate = options.LearningRate / 2 };
                trained = await Experiments.TrainAsync(LandWaterBenchmark.Label(key), config, training, null, options, seed: 1, cancellationToken);
            }

            using TrainedModel owned = trained;
            SphereModel model = trained.Model;
            string label = string.Create(c, $"{LandWaterBenchmark.Label(key)}, {trained.Result.Steps} steps");

            // Accuracy: upright test globes, then `seeds` random rotations of them (input bilinear, labels nearest).
            foreach (int seed in new[] { 0 }.Concat(Enumerable.Range(1, seeds)))
            {
                cancellationToken.ThrowIfCancellationRequested();
                RotationAugmentation condition = seed == 0 ? RotationAugmentation.None : RotationAugmentation.SO3;
                double Score(int n, RotationAveragingScheme scheme) => SphereEvaluator.Evaluate(model, test, new EvaluationOptions
                {
                    Rotation = condition,
                    Seed = seed,
                    RotationAveraging = n,
                    AveragingScheme = scheme,
                }, cancellationToken)["miou"];
                double plain = Score(1, RotationAveragingScheme.ExactFirst);
                IEnumerable<string> cells = Counts.Select(n => Score(n, RotationAveragingScheme.ExactFirst))
                    .Concat(Counts.Select(n => Score(n, RotationAveragingScheme.RandomBilinear)))
                    .Concat(Counts.Select(n => Score(n, RotationAveragingScheme.RandomBicubic)))
                    .Select(v => string.Create(c, $"{v:F4} ({Experiments.Signed(v - plain)})"));
                string line = string.Create(c, $"| {label} | {(seed == 0 ? "upright" : $"rotated, seed {seed}")} | {plain:F4} | {string.Join(" | ", cells)} |");
                Console.WriteLine(line);
                accuracy.AppendLine(line);
            }

            // Cost and how much the averaging changes the classes, on the upright July globe.
            SpherePredictor predictor = new(model);
            using Tensor input = tensor(test.Get(0).Input, [1, 3, grid.NLat, grid.NLon]);
            double[] areas = grid.RowAreas();
            using Tensor plainClasses = predictor.Predict(input).argmax(1);
            double plainMs = Time(() => predictor.Predict(input), repeats);
            List<string> costCells = [], changedCells = [];
            foreach (RotationAveragingScheme scheme in new[] { RotationAveragingScheme.ExactFirst, RotationAveragingScheme.RandomBilinear, RotationAveragingScheme.RandomBicubic })
            {
                foreach (int n in Counts)
                {
                    double ms = Time(() => predictor.Predict(input, n, 0, scheme), repeats);
                    costCells.Add(string.Create(c, $"{ms:F0} ({ms / plainMs:F1}×)"));
                    using Tensor classes = predictor.Predict(input, n, 0, scheme).argmax(1);
                    changedCells.Add(string.Create(c, $"{ChangedArea(classes, plainClasses, areas, grid):P2}"));
                }
            }

            cost.AppendLine(string.Create(c, $"| {label} | {plainMs:F0} | {string.Join(" | ", costCells)} |"));
            changed.AppendLine(string.Create(c, $"| {label} | {predictor.ColumnStride} | {string.Join(" | ", changedCells)} |"));
            Console.WriteLine(cost.ToString().Split('\n')[^2]);
            Console.WriteLine(changed.ToString().Split('\n')[^2]);
            Write();
        }

        return 0;

        void Write()
        {
            StringBuilder body = new();
            body.AppendLine(string.Create(c, $"Land/water (Blue Marble RGB → Natural Earth 1:50m land ≥ 50 % of a cell) on the equiangular {grid.NLat}×{grid.NLon} grid (column 0 at 180° W, so the north–south flip maps nodes to nodes), trained on months 01, 03, 05 for {steps} steps"));
            body.AppendLine("(`SphereTrainer`, batch 1, AdamW lr 2e-3, cosine, no rotation augmentation, seed 7, weights seed 1: a small budget, so the models are weaker than those of the land/water section), tested on months 07 and 08 (area-weighted mIoU pooled over both).");
            body.AppendLine(string.Create(c, $"Test globes: upright, and {seeds} random SO(3) rotation(s) of them (evaluation seeds 1..{seeds}; input bilinear, labels nearest — the NR/R protocol)."));
            body.AppendLine("Exact-first (the product's scheme): the identity and longitude rolls by whole columns at evenly spread phases modulo the column stride s (columns of the input per column of the coarsest level; s = 8 here), then the same rolls after the north–south flip (rotation by π about the x axis) — permutations of the grid, no interpolation; random rotations (bicubic, pole-aware, logits moved back) only beyond 2s. So N ≤ 8 are rolls only and N = 16 adds the 8 flipped ones; every N here is exact.");
            body.AppendLine("Old: the identity plus N − 1 uniform random rotations, input and probabilities resampled bilinearly (the scheme before this change). Random bicubic: the same rotations as old, resampled like exact-first's random part (input bicubic, logits moved back bicubically, then softmax): the interpolation alone, apart from the choice of rotations. Cells: mIoU (difference to plain).");
            body.AppendLine();
            body.AppendLine(string.Create(c, $"Load average {loadBefore} before, {Experiments.LoadAverage()} after (2 cores shared with other work; times are wall-clock). Total run time {total.Elapsed.TotalMinutes:F1} min."));
            if (notes.Length > 0)
            {
                body.AppendLine();
                body.Append(notes);
            }

            body.AppendLine();
            body.AppendLine("### Held-out mIoU");
            body.AppendLine();
            body.Append(accuracy);
            body.AppendLine();
            body.AppendLine(string.Create(c, $"### Cost per globe (ms, median of {repeats}; × plain), upright July globe, float32 CPU"));
            body.AppendLine();
            body.Append(cost);
            body.AppendLine();
            body.AppendLine("### Area where the averaged class differs from plain prediction (upright July globe)");
            body.AppendLine();
            body.Append(changed);
            output.WriteSection("Test-time rotation averaging (land/water)", body.ToString());
        }
    }

    private static InMemorySphereDataset Dataset(EarthData data, IEnumerable<int> months) =>
        new(data.Grid, months.Select(m => SphereSample.ForSegmentation(data.Rgb[m], data.Land, data.Grid.NLat, data.Grid.NLon)));

    private static double Time(Func<Tensor> predict, int repeats)
    {
        using (predict())
        {
        }

        double[] times = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            Stopwatch clock = Stopwatch.StartNew();
            using (predict())
            {
            }

            times[r] = clock.Elapsed.TotalMilliseconds;
        }

        Array.Sort(times);
        return times[repeats / 2];
    }

    private static double ChangedArea(Tensor classes, Tensor plain, double[] areas, SphereGrid grid)
    {
        bool[] differ = classes.ne(plain).reshape(-1).data<bool>().ToArray();
        double changed = 0, all = 0;
        for (int k = 0; k < differ.Length; k++)
        {
            double a = areas[k / grid.NLon];
            all += a;
            changed += differ[k] ? a : 0;
        }

        return changed / all;
    }
}
