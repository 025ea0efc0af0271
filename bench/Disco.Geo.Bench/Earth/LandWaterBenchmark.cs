using System.Diagnostics;
using System.Globalization;
using System.Text;
using Disco.Geo.Bench.Earth.Pictures;
using Disco.Geo.Bench.Models;
using Disco.Geo.Grids;
using Disco.Geo.Pictures;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Inference;
using Disco.Geo.Sphere.Losses;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Rotations;
using Disco.Geo.Sphere.Training;

namespace Disco.Geo.Bench.Earth;

/// <summary>
/// Issue 6 §2: land/water segmentation of NASA Blue Marble RGB against Natural Earth 1:50m land (≥ 50 % of a node's cell
/// = land), trained on months 01, 03, 05 and tested on 07 and 08, at 1° and 0.5°, DISCO U-Net beside the
/// parameter-matched planar U-Net; and rotation robustness with the protocol of the DISCO paper (train unrotated or
/// with random SO(3) rotations, test unrotated and on randomly rotated globes).
/// </summary>
/// <remarks>
/// Options: --quick (65×128 and 129×256 grids, few steps, outputs under bench/out/quick); --split dev (train 01 and 03, test 05:
/// for choosing configurations without looking at the test months; outputs under bench/out/dev); --models a,b
/// (keys below); --steps N (steps at the finer-than-2° grid); --rotations N; --no-half (skip 0.5°);
/// --lr, --batch, --weights none|balanced; --no-rotated-training (upright training only, for the architecture search).
/// </remarks>
internal sealed class LandWaterBenchmark : IBenchmark
{
    private const int Classes = 2;

    public string Name => "earth-landwater";

    public string Description => "Blue Marble → land/water (Natural Earth), 1° and 0.5°, DISCO vs planar, rotation robustness NR/NR, NR/R, R/R [--quick] [--split dev]";

    public async Task<int> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        Stopwatch total = Stopwatch.StartNew();
        bool quick = context.Quick;
        bool dev = context.Option("split", "test") == "dev";
        (BenchmarkContext output, string pictures) = Experiments.Outputs(context, quick ? "quick" : dev ? "dev" : null);
        int[] trainMonths = dev ? [1, 3] : [1, 3, 5];
        int[] testMonths = dev ? [5] : [7, 8];
        string[] modelKeys = context.Option("models", "disco,planar").Split(',', StringSplitOptions.RemoveEmptyEntries);
        int rotations = int.Parse(context.Option("rotations", quick ? "2" : "4"), c);
        int steps = int.Parse(context.Option("steps", quick ? "30" : "600"), c);
        int halfSteps = int.Parse(context.Option("half-steps", quick ? "8" : "300"), c);
        int batch = int.Parse(context.Option("batch", "1"), c);
        double learningRate = double.Parse(context.Option("lr", "2e-3"), c);
        string weighting = context.Option("weights", "none");
        bool withHalf = !context.Arguments.Contains("--no-half");
        // The architecture search trains only upright: the R/x columns then show a dash.
        bool rotatedTraining = !context.Arguments.Contains("--no-rotated-training");
        string loadBefore = Experiments.LoadAverage();

        // Smoke runs use small grids whose widths still halve over the 4 levels.
        SphereGrid fine = quick ? SphereGrid.Create(GridKind.Equiangular, 65, 128) : SphereGrid.Create(GridKind.Equiangular, 181, 360);
        SphereGrid finer = quick ? SphereGrid.Create(GridKind.Equiangular, 129, 256) : SphereGrid.Create(GridKind.Equiangular, 361, 720);
        string fineName = quick ? "65×128" : "1°";
        string finerName = quick ? "129×256" : "0.5°";

        EarthData data = await EarthData.LoadAsync(fine, trainMonths.Concat(testMonths), withElevation: false, cancellationToken);
        InMemorySphereDataset training = Dataset(data, trainMonths);
        InMemorySphereDataset test = Dataset(data, testMonths);
        // Rotated test globes made from the sources (see RotatedEarth); the identity through the same path is the control.
        RotatedEarth sources = await RotatedEarth.LoadAsync(testMonths, cancellationToken);
        IReadOnlyList<ISphereDataset> rotatedTests = RotatedTests(sources, fine, testMonths, rotations, cancellationToken);
        InMemorySphereDataset identityTest = Rendered(sources, fine, testMonths, _ => Rotation.Identity, cancellationToken);
        double[] areaShare = DatasetStatistics.ClassAreaFractions(training, Classes);
        LossOptions loss = weighting == "balanced"
            ? new LossOptions { ClassWeights = [.. areaShare.Select(a => 0.5 / a)] }
            : new LossOptions();

        TrainingOptions Options(int n, RotationAugmentation rotation) => new()
        {
            Epochs = n,
            MaxSteps = n,
            BatchSize = batch,
            LearningRate = learningRate,
            Seed = 7,
            Rotation = rotation,
            Loss = loss,
            // A safety net only: the budgets are in steps, sized to end well within this on a quiet machine.
            TimeLimit = TimeSpan.FromMinutes(quick ? 3 : 20),
        };

        StringBuilder main = new();
        main.AppendLine("| grid | model | parameters | training | steps | train time | pixel accuracy | IoU water | IoU land | mIoU |");
        main.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        StringBuilder robustness = new();
        robustness.AppendLine("| grid | model | NR/NR | NR/identity (control) | NR/R (mean ± sd over rotations) | NR/R worst | drop NR/NR → NR/R | NR/R resampled on the grid | its drop | R/NR | R/R (mean ± sd) |");
        robustness.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        List<Line> curves = [];
        List<(string Model, double NrNr, RotationScores NrR, RotationScores? Rr)> chart = [];
        Dictionary<string, TrainedModel> keep = [];

        try
        {
            foreach (string key in modelKeys)
            {
                ModelConfig config = Config(key, fine);
                RotationScores? unrotatedTraining = null, rotatedScores = null, resampledScores = null;
                double identity = double.NaN;
                foreach (RotationAugmentation augmentation in rotatedTraining ? new[] { RotationAugmentation.None, RotationAugmentation.SO3 } : [RotationAugmentation.None])
                {
                    string label = $"{Label(key)} {fineName} {(augmentation == RotationAugmentation.None ? "NR" : "R")}";
                    TrainedModel trained = await Experiments.TrainAsync(label, config, training, null, Options(steps, augmentation), seed: 1, cancellationToken);
                    RotationScores scores = Experiments.Evaluate(trained.Model, test, rotations, cancellationToken, rotatedTests);
                    main.AppendLine(Row(fineName, key, trained, augmentation, scores.Unrotated));
                    Console.WriteLine(main.ToString().Split('\n')[^2]);
                    curves.Add(new Line(label, trained.Curve.Select(p => (p.Step, p.Loss)).ToList(), SvgCharts.Palette[curves.Count % SvgCharts.Palette.Length],
                        augmentation != RotationAugmentation.None));
                    if (augmentation == RotationAugmentation.None)
                    {
                        unrotatedTraining = scores;
                        resampledScores = Experiments.Evaluate(trained.Model, test, rotations, cancellationToken);
                        identity = SphereEvaluator.Evaluate(trained.Model, identityTest, null, cancellationToken)["miou"];
                        keep[key] = trained;
                    }
                    else
                    {
                        rotatedScores = scores;
                        trained.Dispose();
                    }
                }

                double nrnr = unrotatedTraining!.Unrotated["miou"];
                robustness.AppendLine(string.Create(c,
                    $"| {fineName} | {Label(key)} | {nrnr:F3} | {identity:F3} | {unrotatedTraining.MeanSpread("miou")} | {unrotatedTraining.Min("miou"):F3} | {Experiments.Signed(nrnr - unrotatedTraining.Mean("miou"))} | {resampledScores!.MeanSpread("miou")} | {Experiments.Signed(nrnr - resampledScores.Mean("miou"))} | {(rotatedScores is null ? "–" : rotatedScores.Unrotated["miou"].ToString("F3", c))} | {rotatedScores?.MeanSpread("miou") ?? "–"} |"));
                Console.WriteLine(robustness.ToString().Split('\n')[^2]);
                chart.Add((Label(key), nrnr, unrotatedTraining, rotatedScores));
            }

            if (!dev)
            {
                WritePictures(pictures, fineName, data, sources, testMonths[0], keep, chart, curves, rotations, steps);
            }
        }
        finally
        {
            foreach (TrainedModel model in keep.Values)
            {
                model.Dispose();
            }
        }

        StringBuilder half = new();
        if (withHalf && !dev)
        {
            EarthData finerData = await EarthData.LoadAsync(finer, trainMonths.Concat(testMonths), withElevation: false, cancellationToken);
            InMemorySphereDataset finerTraining = Dataset(finerData, trainMonths);
            InMemorySphereDataset finerTest = Dataset(finerData, testMonths);
            IReadOnlyList<ISphereDataset> finerRotatedTests = RotatedTests(sources, finer, testMonths, Math.Max(1, rotations / 2), cancellationToken);
            half.AppendLine("| grid | model | parameters | training | steps | train time | pixel accuracy | IoU water | IoU land | mIoU | NR/R mIoU (mean ± sd) |");
            half.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (string key in modelKeys)
            {
                string label = $"{Label(key)} {finerName} NR";
                using TrainedModel trained = await Experiments.TrainAsync(label, Config(key, finer), finerTraining, null, Options(halfSteps, RotationAugmentation.None), seed: 1, cancellationToken);
                RotationScores scores = Experiments.Evaluate(trained.Model, finerTest, Math.Max(1, rotations / 2), cancellationToken, finerRotatedTests);
                half.AppendLine(Row(finerName, key, trained, RotationAugmentation.None, scores.Unrotated).TrimEnd() + $" {scores.MeanSpread("miou")} |");
                Console.WriteLine(half.ToString().Split('\n')[^2]);
            }
        }

        StringBuilder body = new();
        body.AppendLine(string.Create(c, $"Input: NASA Blue Marble Next Generation RGB (0–255, area-averaged from 2048×1024 onto the grid by `RasterIngestor`). Truth: Natural Earth 1:50m land polygons, land where they cover ≥ 50 % of a node's cell (`PolygonRasterizer`); land is {data.LandAreaShare():P1} of the area."));
        body.AppendLine(string.Create(c, $"Training months {string.Join(", ", trainMonths.Select(m => m.ToString("00", c)))}; test months {string.Join(", ", testMonths.Select(m => m.ToString("00", c)))} (metrics pooled over them). Equiangular grids with pole rows, column 0 at 180° W."));
        body.AppendLine(string.Create(c, $"All metrics are area-weighted (quadrature weights), so the oversampled polar rows count by their true area. Training: `SphereTrainer`, AdamW, lr {learningRate:G3}, cosine with 5 % warm-up, batch {batch}, clip 1, seed 7, weights seed 1,"));
        body.AppendLine(string.Create(c, $"{steps} steps at {fineName} and {halfSteps} at {finerName}, {(weighting == "balanced" ? "class-balanced" : "unweighted")} area-weighted cross-entropy; no validation split (the step budget is fixed, so nothing is chosen on the test months)."));
        body.AppendLine(string.Create(c, $"Rotation protocol (DISCO paper): NR = no rotation, R = uniform random SO(3) rotations; X/Y = trained on X, tested on Y. R training draws a new rotation for every sample of every step;"));
        body.AppendLine(string.Create(c, $"R testing evaluates each test globe under {rotations} random rotations (seeds 1..{rotations}, one independent rotation per globe and seed), reported as mean ± standard deviation over the seeds."));
        body.AppendLine(string.Create(c, $"Rotated globes are made from the sources like the upright ones (`RotatedEarth`): Blue Marble and the land fraction ingested on a {RotatedEarth.FineGrid.NLat}×{RotatedEarth.FineGrid.NLon} grid, each node of the rotated globe the area-weighted mean over its cell of the fine data at Rᵀv, land where that mean fraction is ≥ 0.5."));
        body.AppendLine(string.Create(c, $"NR/identity is the control: the upright globe through that same path. \"NR/R resampled on the grid\" is the former protocol, the gridded test globe turned with bilinear input and nearest labels (the evaluator's own rotation, seeds 1..n), which blurs the input and shifts label edges by up to half a cell for every model, rotation-trained or not."));
        body.AppendLine();
        body.AppendLine(DescribeModels(modelKeys, fine));
        body.AppendLine();
        body.AppendLine(string.Create(c, $"Load average {loadBefore} before, {Experiments.LoadAverage()} after (2 cores shared with other engineers; times are wall-clock and vary with load). Total run time {total.Elapsed.TotalMinutes:F1} min."));
        body.AppendLine();
        body.AppendLine($"### Land/water at {fineName} (NR = trained without rotations, tested unrotated; R = trained with random rotations, tested unrotated)");
        body.AppendLine();
        body.Append(main);
        body.AppendLine();
        body.AppendLine($"### Rotation robustness at {fineName} (mIoU)");
        body.AppendLine();
        body.Append(robustness);
        if (half.Length > 0)
        {
            body.AppendLine();
            body.AppendLine($"### Land/water at {finerName} (trained without rotations)");
            body.AppendLine();
            body.Append(half);
        }

        if (!dev && Experiments.LinksPictures(context))
        {
            body.AppendLine();
            body.AppendLine("### Pictures");
            body.AppendLine();
            string prefix = quick ? "pictures/" : "../docs/"; // relative to bench/RESULTS.md, where the sections are composed
            body.AppendLine($"![July prediction vs truth]({prefix}earth-landwater-july.png)");
            body.AppendLine($"![Rotated July globe]({prefix}earth-landwater-rotated.png)");
            body.AppendLine($"![Rotation robustness]({prefix}earth-landwater-rotation.png)");
            body.AppendLine($"![Training curves]({prefix}earth-landwater-training.svg)");
        }

        output.WriteSection(dev ? "Earth: land/water (development split: train 01, 03; test 05)" : "Earth: land/water segmentation from Blue Marble", body.ToString());
        return 0;
    }

    /// <summary>The model behind a key (see <see cref="ModelSpecs"/>).</summary>
    internal static ModelConfig Config(string key, SphereGrid grid) => ModelSpecs.Config(key, ModelTask.Segmentation, 3, Classes, grid);

    internal static string Label(string key) => ModelSpecs.Label(key);

    private static string DescribeModels(IEnumerable<string> keys, SphereGrid grid) =>
        "Models (`--models` keys, see `ModelSpecs`; all U-Nets with GELU and area-weighted group norm; planar = 3×3 `Conv2d` with circular longitude padding, sized by `SphereModelFactory.PlanarBaselineFor`):\n" +
        string.Concat(keys.Select(k => $"- {Label(k)}: {ModelSpecs.Describe(Config(k, grid))}\n"));

    private static InMemorySphereDataset Dataset(EarthData data, IEnumerable<int> months) =>
        new(data.Grid, months.Select(m => SphereSample.ForSegmentation(data.Rgb[m], data.Land, data.Grid.NLat, data.Grid.NLon)));

    /// <summary>
    /// The rotated test sets: seed s gives every test month its own uniform random rotation, rendered from the sources.
    /// </summary>
    private static IReadOnlyList<ISphereDataset> RotatedTests(RotatedEarth sources, SphereGrid grid, int[] months, int seeds, CancellationToken cancellationToken) =>
        Enumerable.Range(1, seeds)
            .Select(seed => (ISphereDataset)Rendered(sources, grid, months, month => Rotation.Random(new Random((1000 * seed) + month)), cancellationToken))
            .ToArray();

    private static InMemorySphereDataset Rendered(
        RotatedEarth sources, SphereGrid grid, IEnumerable<int> months, Func<int, Rotation> rotation, CancellationToken cancellationToken) =>
        new(grid, months.Select(m =>
        {
            (float[] rgb, int[] land) = sources.Render(grid, m, rotation(m), cancellationToken);
            return SphereSample.ForSegmentation(rgb, land, grid.NLat, grid.NLon);
        }));

    private static string Row(string grid, string key, TrainedModel trained, RotationAugmentation augmentation, IReadOnlyDictionary<string, double> m) =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {grid} | {Label(key)} | {trained.Model.ParameterCount:N0} | {(augmentation == RotationAugmentation.None ? "NR" : "R")} | {trained.Result.Steps}{(trained.Result.StopReason == StopReason.TimeLimit ? " (time limit)" : "")} | {trained.Seconds / 60:F1} min | {m["accuracy"]:F3} | {m.GetValueOrDefault("iou_0", double.NaN):F3} | {m.GetValueOrDefault("iou_1", double.NaN):F3} | {m["miou"]:F3} |");

    private static void WritePictures(
        string directory, string gridName, EarthData data, RotatedEarth sources, int month, Dictionary<string, TrainedModel> models,
        List<(string Model, double NrNr, RotationScores NrR, RotationScores? Rr)> chart, List<Line> curves, int rotations, int steps)
    {
        Directory.CreateDirectory(directory);
        SphereGrid grid = data.Grid;
        int width = 360, height = 180;
        float[] rgb = data.Rgb[month];
        string monthName = CultureInfo.InvariantCulture.DateTimeFormat.GetMonthName(month).ToUpperInvariant();

        if (models.TryGetValue("disco", out TrainedModel? disco) || models.Count > 0)
        {
            disco ??= models.Values.First();
            int[] predicted = EarthPictures.PredictClasses(disco.Model, rgb);
            Canvas picture = SpherePanel.Layout(
                [
                    ($"INPUT: BLUE MARBLE {monthName} (RGB)", EarthPictures.RgbPanel(grid, rgb, width, height)),
                    ("TRUTH: NATURAL EARTH 1:50M LAND", EarthPictures.ClassPanel(grid, data.Land, width, height)),
                    ($"PREDICTION: {disco.Name.ToUpperInvariant()}", EarthPictures.ClassPanel(grid, predicted, width, height)),
                    ("ERRORS", EarthPictures.ErrorPanel(grid, data.Land, predicted, width, height)),
                ],
                columns: 2, width, height, title: $"LAND/WATER FROM RGB, {gridName} GRID, HELD-OUT MONTH",
                legend: [("WATER", EarthPictures.Water), ("LAND", EarthPictures.Land), ("FALSE LAND", EarthPictures.FalseLand), ("MISSED LAND", EarthPictures.FalseWater)]);
            picture.Save(Path.Combine(directory, "earth-landwater-july.png"));
        }

        // One random rotation of the held-out globe, made from the sources as in the table, predicted by the models
        // trained without rotations.
        Rotation rotation = Rotation.Random(new Random(2023));
        (float[] rotatedRgb, int[] rotatedTruth) = sources.Render(grid, month, rotation);
        List<(string, Action<Canvas, int, int>)> panels =
        [
            ($"RANDOMLY ROTATED {monthName} GLOBE", EarthPictures.RgbPanel(grid, rotatedRgb, width, height)),
            ("TRUTH, ROTATED", EarthPictures.ClassPanel(grid, rotatedTruth, width, height)),
        ];
        foreach (TrainedModel model in models.Values)
        {
            int[] predicted = EarthPictures.PredictClasses(model.Model, rotatedRgb);
            double iou = RotatedMeanIoU(grid, rotatedTruth, predicted);
            panels.Add(($"{model.Name.Replace(" NR", "", StringComparison.Ordinal).ToUpperInvariant()}, TRAINED UNROTATED: MIOU {iou.ToString("F3", CultureInfo.InvariantCulture)}",
                EarthPictures.ErrorPanel(grid, rotatedTruth, predicted, width, height)));
        }

        SpherePanel.Layout(panels, columns: 2, width, height, title: "NR/R: A ROTATED GLOBE, MODELS TRAINED ONLY ON UPRIGHT ONES",
                legend: [("WATER", EarthPictures.CorrectWater), ("LAND", EarthPictures.CorrectLand), ("FALSE LAND", EarthPictures.FalseLand), ("MISSED LAND", EarthPictures.FalseWater)])
            .Save(Path.Combine(directory, "earth-landwater-rotated.png"));

        string[] series = ["NR/NR", "NR/R", "R/R"];
        Bar? ChartBar(int g, int s)
        {
            var entry = chart[g];
            return s switch
            {
                0 => new Bar(entry.NrNr, 0, entry.NrNr.ToString("F3", CultureInfo.InvariantCulture)),
                1 => new Bar(entry.NrR.Mean("miou"), entry.NrR.Spread("miou"), entry.NrR.Mean("miou").ToString("F3", CultureInfo.InvariantCulture)),
                _ => entry.Rr is null ? null : new Bar(entry.Rr.Mean("miou"), entry.Rr.Spread("miou"), entry.Rr.Mean("miou").ToString("F3", CultureInfo.InvariantCulture)),
            };
        }

        // The axis starts just below the lowest bar so that differences of a few hundredths stay visible.
        double lowest = chart.SelectMany(x => new[] { x.NrNr, x.NrR.Min("miou"), x.Rr?.Min("miou") ?? 1 }).Min();
        double yMin = Math.Min(0.8, Math.Floor((lowest - 0.03) * 20) / 20);
        PngCharts.GroupedBars(
                $"LAND/WATER MIOU AT {gridName} UNDER ROTATIONS (TEST MONTHS)", chart.Select(x => x.Model.ToUpperInvariant()).ToList(), series, ChartBar,
                yMin, 1.0, 1.0 - yMin > 0.3 ? 0.1 : 0.05,
                $"NR = NO ROTATION, R = RANDOM SO(3) ROTATIONS; TRAIN/TEST. BARS: MEAN, ± SD OVER {rotations} ROTATION SEEDS.")
            .Save(Path.Combine(directory, "earth-landwater-rotation.png"));
        string svg = SvgCharts.GroupedBars(
            $"Land/water mIoU at {gridName} under rotations (test months)", "area-weighted mIoU",
            chart.Select(x => x.Model).ToList(), series,
            ChartBar,
            yMin: yMin, yMax: 1.0,
            footnote: $"NR = no rotation, R = random SO(3) rotations; train/test. Error bars: ± sd over {rotations} rotation seeds.");
        File.WriteAllText(Path.Combine(directory, "earth-landwater-rotation.svg"), svg);

        List<Line> smooth = curves.Select(l => l with { Points = SvgCharts.Smooth(l.Points, 0.05) }).ToList();
        File.WriteAllText(Path.Combine(directory, "earth-landwater-training.svg"), SvgCharts.Lines(
            $"Land/water training loss at {gridName} ({steps} steps, batch of 1 globe)", "step", "area-weighted cross-entropy", smooth, logY: true,
            footnote: "Exponential moving average (α = 0.05) of the per-step loss; dashed = trained with random rotations."));
    }

    private static double RotatedMeanIoU(SphereGrid grid, int[] truth, int[] predicted)
    {
        double[] areas = grid.RowAreas();
        double[,] confusion = new double[Classes, Classes];
        for (int k = 0; k < truth.Length; k++)
        {
            confusion[truth[k], predicted[k]] += areas[k / grid.NLon];
        }

        double sum = 0;
        for (int cls = 0; cls < Classes; cls++)
        {
            double union = confusion[cls, 0] + confusion[cls, 1] + confusion[0, cls] + confusion[1, cls] - confusion[cls, cls];
            sum += confusion[cls, cls] / union;
        }

        return sum / Classes;
    }
}
