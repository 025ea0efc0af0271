using System.Diagnostics;
using System.Globalization;
using System.Text;
using Disco.Geo.Bench.Earth;
using Disco.Geo.Bench.Earth.Pictures;
using Disco.Geo.Bench.Models;
using Disco.Geo.Grids;
using Disco.Geo.Pictures;
using Disco.Geo.Raster;
using Disco.Geo.Raster.Panoramas;
using Disco.Geo.Raster.Rendering;
using Disco.Geo.Samples;
using Disco.Geo.Scenes;
using Disco.Geo.Scenes.Generation;
using Disco.Geo.Scenes.Rendering;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Inference;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Bench.Panoramas;

/// <summary>
/// Issue 6 §3: depth estimation and semantic segmentation (floor, ceiling, wall, object) on synthetic 360° indoor
/// panoramas from Disco.Geo.Scenes, trained on a few hundred scenes and tested on held-out scenes, upright and under
/// uniformly random camera rotations (NR/NR, NR/R, R/R), DISCO U-Net beside the planar U-Net; then the trained models
/// on the eight real HDR photographs of the sample data.
/// </summary>
/// <remarks>
/// Options: --quick (64×128, few scenes and steps, outputs under bench/out/quick); --train N; --test N; --steps N;
/// --batch N; --tasks depth,seg; --models disco,planar (keys of ModelSpecs); --split dev (held-out scenes of another seed, for
/// choosing configurations; outputs under bench/out/dev); --no-rotated-training (upright training only); --leveller KEY (train
/// that segmentation model upright as a <see cref="CameraLeveller"/> and also score every upright-trained model levelled by
/// it, with the leveller's error and the cost per panorama); --level-refinements 0,2 (refinement passes to score, segmentation).
/// </remarks>
internal sealed class PanoramaDepthSegBenchmark : IBenchmark
{
    private const ulong TrainingSeed = 1;
    private const ulong TestSeed = 2;

    // Held-out scenes for choosing configurations (--split dev), so that the reported test scenes stay unseen.
    private const ulong DevelopmentSeed = 3;

    public string Name => "panorama-depth-seg";

    public string Description => "Synthetic indoor panoramas: depth (AbsRel, RMSE, δ) and floor/ceiling/wall/object mIoU, NR/NR, NR/R, R/R, DISCO vs planar; real HDR photos [--quick]";

    public async Task<int> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        Stopwatch total = Stopwatch.StartNew();
        bool quick = context.Quick;
        bool dev = context.Option("split", "test") == "dev";
        ulong testSeed = dev ? DevelopmentSeed : TestSeed;
        (BenchmarkContext output, string pictures) = Experiments.Outputs(context, quick ? "quick" : dev ? "dev" : null);
        int height = quick ? 64 : 128, width = 2 * height;
        int trainCount = int.Parse(context.Option("train", quick ? "24" : "240"), c);
        int testCount = int.Parse(context.Option("test", quick ? "8" : "60"), c);
        int steps = int.Parse(context.Option("steps", quick ? "12" : "300"), c);
        int batch = int.Parse(context.Option("batch", "4"), c);
        string[] tasks = context.Option("tasks", "depth,seg").Split(',', StringSplitOptions.RemoveEmptyEntries);
        bool rotatedTraining = !context.Arguments.Contains("--no-rotated-training");
        string[] modelKeys = context.Option("models", "disco,planar").Split(',', StringSplitOptions.RemoveEmptyEntries);
        string levellerKey = context.Option("leveller", "");
        int[] refinements = [.. context.Option("level-refinements", "0").Split(',').Select(x => int.Parse(x, c))];
        string loadBefore = Experiments.LoadAverage();
        SphereGrid grid = SphereGrid.Create(GridKind.Equirectangular, height, width);

        Stopwatch renderClock = Stopwatch.StartNew();
        Panorama[] trainingScenes = [.. PanoramaDataset.Generate(trainCount, TrainingSeed, height, width)];
        Panorama[] testScenes = [.. PanoramaDataset.Generate(testCount, testSeed, height, width)];
        Panorama[] rotatedTestScenes = [.. PanoramaDataset.Generate(testCount, testSeed, height, width, new DatasetOptions { Rotation = CameraRotationMode.Random })];
        double renderSeconds = renderClock.Elapsed.TotalSeconds;
        Console.WriteLine($"Rendered {trainCount + 2 * testCount} panoramas at {height}×{width} in {renderSeconds:F1} s");

        StringBuilder depthTable = new();
        depthTable.AppendLine("| model | training | parameters | train time | test | AbsRel | RMSE (m) | δ<1.25 | δ<1.25² | δ<1.25³ |");
        depthTable.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        StringBuilder segTable = new();
        segTable.AppendLine("| model | training | parameters | train time | test | pixel accuracy | IoU floor | IoU ceiling | IoU wall | IoU object | mIoU |");
        segTable.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        StringBuilder robustness = new();
        robustness.AppendLine("| task, metric | model | NR/NR | NR/R | loss NR/NR → NR/R (positive = worse) | R/NR | R/R |");
        robustness.AppendLine("|---|---|---|---|---|---|---|");
        Dictionary<string, List<Line>> curves = [];
        List<(string Group, double NrNr, double NrR, double Rr)> chart = [];
        Dictionary<string, TrainedModel> keep = [];
        Dictionary<string, string> descriptions = [];
        TrainedModel? levellerModel = null;
        CameraLeveller? leveller = null;
        string levellerNotes = "";
        List<string> levellingCosts = [];

        try
        {
            if (levellerKey.Length > 0)
            {
                ModelConfig levellerConfig = ModelSpecs.Config(levellerKey, ModelTask.Segmentation, 3, SceneLabels.ClassCount, grid);
                descriptions[$"{ModelSpecs.Label(levellerKey)} (leveller)"] = ModelSpecs.Describe(levellerConfig);
                levellerModel = await Experiments.TrainAsync(
                    $"leveller {ModelSpecs.Label(levellerKey)}", levellerConfig, Dataset(grid, trainingScenes, depth: false), null,
                    new TrainingOptions { Epochs = steps, MaxSteps = steps, BatchSize = batch, LearningRate = 2e-3, Seed = 7, TimeLimit = TimeSpan.FromMinutes(quick ? 3 : 15) },
                    seed: 1, cancellationToken, printEvery: 25);
                leveller = new CameraLeveller(levellerModel.Model, SceneLabels.Ceiling, SceneLabels.Floor);
                levellerNotes = LevellingErrors(leveller, grid, testScenes, rotatedTestScenes, levellerModel.Seconds);
                Console.WriteLine(levellerNotes);
            }

            foreach (string task in tasks)
            {
                bool depth = task == "depth";
                InMemorySphereDataset training = Dataset(grid, trainingScenes, depth);
                InMemorySphereDataset test = Dataset(grid, testScenes, depth);
                InMemorySphereDataset rotatedTest = Dataset(grid, rotatedTestScenes, depth);
                curves[task] = [];
                Dictionary<(string Key, int Refinements), RotationScores> levelledScores = [];
                foreach (string key in modelKeys)
                {
                    ModelConfig config = ModelSpecs.Config(key, depth ? ModelTask.Depth : ModelTask.Segmentation, 3, depth ? 1 : SceneLabels.ClassCount, grid);
                    string modelName = ModelSpecs.Label(key);
                    descriptions[modelName] = ModelSpecs.Describe(config);
                    Dictionary<RotationAugmentation, RotationScores> scores = [];
                    foreach (RotationAugmentation augmentation in rotatedTraining ? new[] { RotationAugmentation.None, RotationAugmentation.SO3 } : [RotationAugmentation.None])
                    {
                        string trainedOn = augmentation == RotationAugmentation.None ? "NR" : "R";
                        string label = $"{modelName} {task} {trainedOn}";
                        TrainingOptions options = new()
                        {
                            Epochs = steps,
                            MaxSteps = steps,
                            BatchSize = batch,
                            LearningRate = 2e-3,
                            Seed = 7,
                            Rotation = augmentation,
                            TimeLimit = TimeSpan.FromMinutes(quick ? 3 : 15),
                        };
                        TrainedModel trained = await Experiments.TrainAsync(label, config, training, null, options, seed: 1, cancellationToken, printEvery: 25);
                        RotationScores s = Experiments.Evaluate(trained.Model, test, 1, cancellationToken, [rotatedTest]);
                        scores[augmentation] = s;
                        if (leveller is not null && augmentation == RotationAugmentation.None)
                        {
                            Stopwatch plainClock = Stopwatch.StartNew();
                            SphereEvaluator.Evaluate(trained.Model, test, null, cancellationToken);
                            double plainMs = plainClock.Elapsed.TotalMilliseconds / test.Count;
                            foreach (int r in depth ? [0] : refinements)
                            {
                                EvaluationOptions levelled = new() { Leveller = new CameraLeveller(leveller.Model, leveller.UpClass, leveller.DownClass) { Refinements = r } };
                                Stopwatch levelledClock = Stopwatch.StartNew();
                                IReadOnlyDictionary<string, double> upright = SphereEvaluator.Evaluate(trained.Model, test, levelled, cancellationToken);
                                double levelledMs = levelledClock.Elapsed.TotalMilliseconds / test.Count;
                                levelledScores[(key, r)] = new RotationScores(upright, [SphereEvaluator.Evaluate(trained.Model, rotatedTest, levelled, cancellationToken)]);
                                levellingCosts.Add(string.Create(c, $"- {modelName}, {Levelled(r)}: {levelledMs:F0} ms per panorama against {plainMs:F0} ms plain (evaluation with metrics, batch 1)"));
                            }
                        }

                        List<(string, string, IReadOnlyDictionary<string, double>)> rows = [(trainedOn, "NR", s.Unrotated), (trainedOn, "R", s.Rotated[0])];
                        foreach (((string levelledKey, int r), RotationScores ls) in augmentation == RotationAugmentation.None ? levelledScores : [])
                        {
                            if (levelledKey == key)
                            {
                                rows.AddRange([($"NR, {Levelled(r)}", "NR", ls.Unrotated), ($"NR, {Levelled(r)}", "R", ls.Rotated[0])]);
                            }
                        }

                        foreach ((string trainedAs, string testName, IReadOnlyDictionary<string, double> m) in rows)
                        {
                            string rowStart = string.Create(c, $"| {modelName} | {trainedAs} | {trained.Model.ParameterCount:N0} | {trained.Seconds / 60:F1} min{(trained.Result.StopReason == StopReason.TimeLimit ? " (time limit)" : "")} | {testName} |");
                            string line = depth
                                ? string.Create(c, $"{rowStart} {m["abs_rel"]:F3} | {m["rmse"]:F3} | {m["delta1"]:F3} | {m["delta2"]:F3} | {m["delta3"]:F3} |")
                                : string.Create(c, $"{rowStart} {m["accuracy"]:F3} | {Iou(m, 0)} | {Iou(m, 1)} | {Iou(m, 2)} | {Iou(m, 3)} | {m["miou"]:F3} |");
                            (depth ? depthTable : segTable).AppendLine(line);
                            Console.WriteLine(line);
                        }

                        curves[task].Add(new Line(label.Replace($" {task}", "", StringComparison.Ordinal), trained.Curve.Select(p => (p.Step, p.Loss)).ToList(),
                            SvgCharts.Palette[curves[task].Count % SvgCharts.Palette.Length], augmentation != RotationAugmentation.None));
                        if (augmentation == RotationAugmentation.None && key.StartsWith("disco", StringComparison.Ordinal) && !keep.ContainsKey(task))
                        {
                            keep[task] = trained;
                        }
                        else
                        {
                            trained.Dispose();
                        }
                    }

                    foreach ((string metric, string metricName) in depth ? new[] { ("delta1", "δ<1.25"), ("abs_rel", "AbsRel") } : [("miou", "mIoU")])
                    {
                        double nrnr = scores[RotationAugmentation.None].Unrotated[metric];
                        double nrr = scores[RotationAugmentation.None].Rotated[0][metric];
                        double rnr = scores.TryGetValue(RotationAugmentation.SO3, out RotationScores? r) ? r.Unrotated[metric] : double.NaN;
                        double rr = r?.Rotated[0][metric] ?? double.NaN;
                        robustness.AppendLine(string.Create(c, $"| {task}, {metricName} | {modelName} | {nrnr:F3} | {nrr:F3} | {Experiments.Signed(metric == "abs_rel" ? nrr - nrnr : nrnr - nrr)} | {Cell(rnr)} | {Cell(rr)} |"));
                        Console.WriteLine(robustness.ToString().Split('\n')[^2]);
                        foreach (((string levelledKey, int passes), RotationScores l) in levelledScores)
                        {
                            if (levelledKey != key)
                            {
                                continue;
                            }

                            double lnr = l.Unrotated[metric], lr = l.Rotated[0][metric];
                            robustness.AppendLine(string.Create(c, $"| {task}, {metricName} | {modelName}, {Levelled(passes)} by {ModelSpecs.Label(levellerKey)} | {lnr:F3} | {lr:F3} | {Experiments.Signed(metric == "abs_rel" ? lr - lnr : lnr - lr)} | – | – |"));
                            Console.WriteLine(robustness.ToString().Split('\n')[^2]);
                        }

                        if (metric != "abs_rel" && rotatedTraining)
                        {
                            chart.Add(($"{modelName}: {(depth ? "depth δ<1.25" : "segmentation mIoU")}", nrnr, nrr, rr));
                        }
                    }
                }
            }

            string realNotes = "";
            if (keep.TryGetValue("depth", out TrainedModel? depthModel) && keep.TryGetValue("seg", out TrainedModel? segModel))
            {
                WriteSyntheticPreview(pictures, grid, testScenes, rotatedTestScenes, depthModel, segModel);
                realNotes = await WriteRealPreviewAsync(pictures, grid, trainingScenes, depthModel, segModel, cancellationToken);
            }

            WriteCharts(pictures, chart, curves, steps, batch);

            StringBuilder body = new();
            body.AppendLine(string.Create(c, $"Data: `PanoramaDataset.Generate` (Disco.Geo.Scenes) at {height}×{width}, equirectangular grid (pixel-centred rows, Fejér quadrature). {trainCount} training scenes (dataset seed {TrainingSeed}), {testCount} held-out"));
            body.AppendLine(string.Create(c, $"scenes (seed {testSeed}: other rooms, furniture, lights and camera positions), rendered upright (NR) and, for the R test, re-rendered exactly (not resampled) from the same"));
            body.AppendLine(string.Create(c, $"positions under uniformly random camera rotations (`CameraRotationMode.Random`, one rotation per scene). Rendering all {trainCount + 2 * testCount} took {renderSeconds:F1} s."));
            body.AppendLine("Input: sRGB in [0, 1]. Depth: Euclidean distance in metres, `ModelTask.Depth` (log-depth head, scale-invariant log loss with λ = ½); metrics area-weighted over the sphere:");
            body.AppendLine("AbsRel = mean |d̂ − d| / d, RMSE in metres, δ<t = share of the area where max(d̂/d, d/d̂) < t. Segmentation: 4 classes, area-weighted cross-entropy, area-weighted IoU.");
            body.AppendLine(string.Create(c, $"Training: {steps} steps of batch {batch} ({steps * batch / (double)trainCount:F1} epochs), AdamW lr 2e-3, cosine, seed 7, weights seed 1; R training = a fresh uniform SO(3) rotation"));
            body.AppendLine("of every sample at every step by the trainer (input bilinear, depth and labels nearest). NR/R = trained upright, tested on the rotated cameras.");
            body.AppendLine("Models (`--models` keys, see `ModelSpecs`; planar = 3×3 `Conv2d`, circular in azimuth, sized by `PlanarBaselineFor`):");
            foreach ((string name, string description) in descriptions)
            {
                body.AppendLine($"- {name}: {description}");
            }

            body.AppendLine();
            body.AppendLine(string.Create(c, $"Load average {loadBefore} before, {Experiments.LoadAverage()} after (2 shared cores). Total run time {total.Elapsed.TotalMinutes:F1} min."));
            body.AppendLine();
            if (depthTable.Length > 0 && tasks.Contains("depth"))
            {
                body.AppendLine("### Depth (held-out scenes)");
                body.AppendLine();
                body.Append(depthTable);
                body.AppendLine();
            }

            if (tasks.Contains("seg"))
            {
                body.AppendLine("### Semantic segmentation (held-out scenes)");
                body.AppendLine();
                body.Append(segTable);
                body.AppendLine();
            }

            body.AppendLine("### Rotation robustness (X/Y = trained on X, tested on Y)");
            body.AppendLine();
            body.Append(robustness);
            body.AppendLine();
            if (levellerNotes.Length > 0)
            {
                body.AppendLine(levellerNotes);
                body.AppendLine();
                body.AppendLine("Cost of levelling at test time:");
                body.AppendLine();
                body.AppendLine(string.Join(Environment.NewLine, levellingCosts));
                body.AppendLine();
            }

            // The real-photo previews need both a depth and a segmentation model; a one-task run has none.
            if (realNotes.Length > 0)
            {
                body.AppendLine("### Real photographs");
                body.AppendLine();
                body.AppendLine(realNotes);
                body.AppendLine();
            }

            if (Experiments.LinksPictures(context))
            {
                string prefix = quick ? "pictures/" : "../docs/"; // relative to bench/RESULTS.md, where the sections are composed
                body.AppendLine($"![Synthetic held-out panoramas]({prefix}panorama-synthetic.png)");
                body.AppendLine($"![Real HDR photographs]({prefix}panorama-real.png)");
                if (chart.Count > 0)
                {
                    body.AppendLine($"![Rotation robustness]({prefix}panorama-rotation.png)");
                }

                body.AppendLine($"![Depth training]({prefix}panorama-depth-training.svg) ![Segmentation training]({prefix}panorama-seg-training.svg)");
            }

            output.WriteSection("Panoramas: depth and semantic segmentation on synthetic indoor scenes", body.ToString());
        }
        finally
        {
            foreach (TrainedModel model in keep.Values)
            {
                model.Dispose();
            }

            levellerModel?.Dispose();
        }

        return 0;
    }

    /// <summary>
    /// How far the leveller's up is from the truth: on the upright scenes the truth is north; on the rotated ones it is
    /// the dipole of the true ceiling and floor labels (whose own offset from north on the upright scenes is given too).
    /// </summary>
    private static string LevellingErrors(CameraLeveller leveller, SphereGrid grid, Panorama[] upright, Panorama[] rotated, double seconds)
    {
        static double Degrees((double X, double Y, double Z) a, (double X, double Y, double Z) b) =>
            Math.Acos(Math.Clamp(a.X * b.X + a.Y * b.Y + a.Z * b.Z, -1, 1)) * (180 / Math.PI);

        (double, double, double) LabelUp(Panorama p)
        {
            using DisposeScope scope = NewDisposeScope();
            Tensor oneHot = nn.functional.one_hot(tensor(p.Labels.Select(l => (long)l).ToArray(), [1, p.Height, p.Width]), SceneLabels.ClassCount)
                .permute(0, 3, 1, 2).to(float32);
            return CameraLeveller.EstimateUp(oneHot, grid, SceneLabels.Ceiling, SceneLabels.Floor)[0];
        }

        (double, double, double) Estimate(Panorama p)
        {
            using DisposeScope scope = NewDisposeScope();
            return leveller.EstimateUp(tensor(p.Rgb, [1, 3, p.Height, p.Width]))[0];
        }

        double[] uprightError = [.. upright.Select(p => Degrees(Estimate(p), (0, 0, 1))).Order()];
        double[] labelOffset = [.. upright.Select(p => Degrees(LabelUp(p), (0, 0, 1))).Order()];
        double[] rotatedError = [.. rotated.Select(p => Degrees(Estimate(p), LabelUp(p))).Order()];
        static string Summary(double[] sorted) => string.Create(CultureInfo.InvariantCulture,
            $"median {sorted[sorted.Length / 2]:F1}°, 90th percentile {sorted[(int)(0.9 * (sorted.Length - 1))]:F1}°, largest {sorted[^1]:F1}°");
        return string.Join(Environment.NewLine,
            string.Create(CultureInfo.InvariantCulture, $"Levelling: the leveller trained in {seconds / 60:F1} min (upright scenes only); its up estimate on the held-out scenes:"),
            $"- upright cameras, angle to north: {Summary(uprightError)};",
            $"- rotated cameras, angle to the true labels' ceiling–floor dipole: {Summary(rotatedError)} (that dipole's own angle to north on the upright scenes: {Summary(labelOffset)}).");
    }

    private static string Levelled(int refinements) => refinements == 0 ? "levelled" : $"levelled + {refinements} refinement{(refinements > 1 ? "s" : "")}";

    private static string Iou(IReadOnlyDictionary<string, double> m, int c) =>
        m.TryGetValue($"iou_{c}", out double v) ? v.ToString("F3", CultureInfo.InvariantCulture) : "–";

    private static InMemorySphereDataset Dataset(SphereGrid grid, IEnumerable<Panorama> panoramas, bool depth) =>
        new(grid, panoramas.Select(p => depth
            ? SphereSample.ForRegression(p.Rgb, p.Depth, p.Height, p.Width)
            : SphereSample.ForSegmentation(p.Rgb, [.. p.Labels.Select(l => (int)l)], p.Height, p.Width)));

    /// <summary>Largest PNG written for the README.</summary>
    private const int PictureBytes = 290_000;

    private static readonly Colour[] LabelColours = [.. SceneLabels.DisplayColors.Select(x => new Colour(x.R, x.G, x.B))];

    private static Action<Canvas, int, int> Rgb(SphereGrid grid, float[] rgb, int w, int h) => EarthPictures.RgbPanel(grid, rgb, w, h, 255);

    private static Action<Canvas, int, int> Depth(SphereGrid grid, float[] depth, ColorMap map, int w, int h) =>
        (canvas, x, y) => SpherePanel.Draw(canvas, x, y, w, h, grid, (i, p) => DepthColour(map, depth[i * grid.NLon + p]));

    /// <summary>Viridis over −log depth from 12 m (dark purple) to 0.5 m (yellow): near is bright, far is dark.</summary>
    private static ColorMap DepthColours => ColorMap.Viridis(-Math.Log(12), -Math.Log(0.5));

    private static Colour DepthColour(ColorMap map, double depth) => SpherePanel.From(map, -Math.Log(Math.Max(1e-3, depth)));

    private static Action<Canvas, int, int> Labels(SphereGrid grid, Func<int, int> label, int w, int h) =>
        (canvas, x, y) => SpherePanel.Draw(canvas, x, y, w, h, grid, (i, p) => LabelColours[label(i * grid.NLon + p)]);

    private static int[] ArgMax(float[] probabilities, int classes)
    {
        int nodes = probabilities.Length / classes;
        int[] result = new int[nodes];
        for (int k = 0; k < nodes; k++)
        {
            for (int cls = 1; cls < classes; cls++)
            {
                if (probabilities[cls * nodes + k] > probabilities[result[k] * nodes + k])
                {
                    result[k] = cls;
                }
            }
        }

        return result;
    }

    private static readonly (string, Colour)[] LabelLegend =
        [.. SceneLabels.Names.Select((n, i) => (n.ToUpperInvariant(), new Colour(SceneLabels.DisplayColors[i].R, SceneLabels.DisplayColors[i].G, SceneLabels.DisplayColors[i].B)))];

    private static void WriteSyntheticPreview(string directory, SphereGrid grid, Panorama[] test, Panorama[] rotated, TrainedModel depthModel, TrainedModel segModel)
    {
        // Log depth from 0.5 m (yellow) to 12 m (purple): the span of the synthetic rooms.
        ColorMap map = DepthColours;
        var rows = new[] { (test[0], "HELD-OUT"), (test[1], "HELD-OUT"), (test[2], "HELD-OUT"), (rotated[0], "ROTATED CAMERA") }
            .Select(x => (Scene: x.Item1, What: x.Item2, Depth: EarthPictures.Predict(depthModel.Model, x.Item1.Rgb),
                Labels: ArgMax(EarthPictures.Predict(segModel.Model, x.Item1.Rgb), SceneLabels.ClassCount)))
            .ToList();
        SpherePanel.SaveWithin(Path.Combine(directory, "panorama-synthetic.png"), PictureBytes, grid.NLon, (w, h) =>
        {
            List<(string, Action<Canvas, int, int>)> panels = [];
            foreach (var (p, what, depth, labels) in rows)
            {
                panels.Add(($"{what}: RGB", Rgb(grid, p.Rgb, w, h)));
                panels.Add(("TRUE DEPTH", Depth(grid, p.Depth, map, w, h)));
                panels.Add(("DISCO DEPTH", Depth(grid, depth, map, w, h)));
                panels.Add(("TRUE LABELS", Labels(grid, k => p.Labels[k], w, h)));
                panels.Add(("DISCO LABELS", Labels(grid, k => labels[k], w, h)));
            }

            return SpherePanel.Layout(panels, 5, w, h, "SYNTHETIC PANORAMAS: DISCO U-NET TRAINED UPRIGHT (NR)",
                [("DEPTH 0.5 M", DepthColour(map, 0.5)), ("2 M", DepthColour(map, 2)), ("12 M", DepthColour(map, 12)), .. LabelLegend]);
        });
    }

    private static async Task<string> WriteRealPreviewAsync(
        string directory, SphereGrid grid, Panorama[] training, TrainedModel depthModel, TrainedModel segModel, CancellationToken cancellationToken)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        double targetMean = training.Average(p => PhotoToneMapping.AreaMean(grid, p.Rgb));
        SampleData samples = new();
        PanoramaIngestor ingestor = new();
        int w = grid.NLon, h = grid.NLat;
        List<(string Name, float[] Display, float[] Depth)> photos = [];
        StringBuilder notes = new();
        notes.AppendLine(string.Create(c, $"The eight CC0 HDR photographs (1024×512 OpenEXR, linear radiance) ingested by `PanoramaIngestor` onto the same {h}×{w} grid, tone-mapped with the renderer's own curve"));
        notes.AppendLine(string.Create(c, $"sRGB(1 − e^(−k·L)) per channel, the exposure k chosen per photo by bisection so that its area-weighted mean display value equals the synthetic training set's ({targetMean:F3})."));
        notes.AppendLine("Photographs run azimuth clockwise (to the right), the renderer counter-clockwise, so each photo is mirrored left–right before prediction and the outputs mirrored back.");
        notes.AppendLine("There is no ground truth; most photos are outdoor scenes unlike anything in training, so these previews show how the models transfer, not accuracy.");
        notes.AppendLine();
        notes.AppendLine("| photo | exposure k | predicted depth: 10th / 50th / 90th percentile (m) | predicted floor / ceiling / wall / object share of the sphere |");
        notes.AppendLine("|---|---|---|---|");
        ColorMap map = DepthColours;
        foreach (string name in SampleCatalog.PanoramaNames)
        {
            string path = await samples.GetAsync(SampleCatalog.Panorama(name), cancellationToken);
            SphereRaster raster = await ingestor.IngestAsync(path, grid, null, cancellationToken);
            float[] radiance = raster.Data.AsSpan(0, 3 * h * w).ToArray();
            (float[] display, double exposure) = PhotoToneMapping.Match(grid, radiance, targetMean);
            float[] mirrored = Mirror(display, 3, h, w);
            float[] depth = Mirror(EarthPictures.Predict(depthModel.Model, mirrored), 1, h, w);
            int[] labels = ArgMax(Mirror(EarthPictures.Predict(segModel.Model, mirrored), SceneLabels.ClassCount, h, w), SceneLabels.ClassCount);
            float[] sorted = [.. depth.Order()];
            double[] share = new double[SceneLabels.ClassCount];
            double[] areas = grid.RowAreas();
            for (int k = 0; k < labels.Length; k++)
            {
                share[labels[k]] += areas[k / w] / (4 * Math.PI);
            }

            notes.AppendLine(string.Create(c,
                $"| {name} | {exposure:G3} | {sorted[sorted.Length / 10]:F1} / {sorted[sorted.Length / 2]:F1} / {sorted[sorted.Length * 9 / 10]:F1} | {share[0]:P0} / {share[1]:P0} / {share[2]:P0} / {share[3]:P0} |"));
            photos.Add((name, display, depth));
        }

        // Photo and depth side by side, two photos per row; the label shares are in the table (the picture would
        // otherwise have to shrink the photographs below the ~300 KB budget).
        int used = SpherePanel.SaveWithin(Path.Combine(directory, "panorama-real.png"), PictureBytes, w, (pw, ph) => SpherePanel.Layout(
            [.. photos.SelectMany(p => new (string, Action<Canvas, int, int>)[]
            {
                ($"{p.Name.ToUpperInvariant()}: TONE-MAPPED", Rgb(grid, p.Display, pw, ph)),
                ("DISCO DEPTH", Depth(grid, p.Depth, map, pw, ph)),
            })],
            4, pw, ph, "REAL HDR PHOTOS: DISCO DEPTH, TRAINED ON SYNTHETIC ROOMS",
            [("DEPTH 0.5 M", DepthColour(map, 0.5)), ("1 M", DepthColour(map, 1)), ("2 M", DepthColour(map, 2)), ("4 M", DepthColour(map, 4)), ("12 M", DepthColour(map, 12))]));
        Console.WriteLine($"Real-photo preview drawn with {used}-pixel panels");
        return notes.ToString();
    }

    /// <summary>Reverses the columns of a [bands, H, W] array: azimuth φ ↦ −φ on a pixel-centred grid.</summary>
    private static float[] Mirror(float[] values, int bands, int h, int w)
    {
        float[] result = new float[values.Length];
        for (int b = 0; b < bands; b++)
        {
            for (int i = 0; i < h; i++)
            {
                int row = (b * h + i) * w;
                for (int j = 0; j < w; j++)
                {
                    result[row + j] = values[row + w - 1 - j];
                }
            }
        }

        return result;
    }

    private static void WriteCharts(string directory, List<(string Group, double NrNr, double NrR, double Rr)> chart, Dictionary<string, List<Line>> curves, int steps, int batch)
    {
        Directory.CreateDirectory(directory);
        CultureInfo c = CultureInfo.InvariantCulture;
        Bar ChartBar(int g, int s)
        {
            double v = s switch { 0 => chart[g].NrNr, 1 => chart[g].NrR, _ => chart[g].Rr };
            return new Bar(v, 0, v.ToString("F3", c));
        }

        // Without rotated training (--no-rotated-training) there is no R/R bar to draw.
        if (chart.Count == 0)
        {
            return;
        }

        PngCharts.GroupedBars(
                "SYNTHETIC PANORAMAS UNDER CAMERA ROTATIONS (HELD-OUT SCENES)", chart.Select(x => x.Group).ToList(), ["NR/NR", "NR/R", "R/R"], ChartBar,
                0, 1, 0.1, "NR = UPRIGHT CAMERAS, R = UNIFORMLY RANDOM CAMERA ROTATIONS; TRAIN/TEST. R TESTS RE-RENDER EACH SCENE FROM A ROTATED CAMERA.")
            .Save(Path.Combine(directory, "panorama-rotation.png"));
        File.WriteAllText(Path.Combine(directory, "panorama-rotation.svg"), SvgCharts.GroupedBars(
            "Synthetic panoramas under camera rotations (held-out scenes)", "score (higher is better)",
            chart.Select(x => x.Group).ToList(), ["NR/NR", "NR/R", "R/R"],
            ChartBar,
            0, 1, "NR = upright cameras, R = uniformly random camera rotations; train/test. R tests re-render each scene from a rotated camera."));
        foreach ((string task, List<Line> lines) in curves)
        {
            List<Line> smooth = lines.Select(l => l with { Points = SvgCharts.Smooth(l.Points, 0.08) }).ToList();
            File.WriteAllText(Path.Combine(directory, $"panorama-{task}-training.svg"), SvgCharts.Lines(
                task == "depth" ? $"Depth training loss ({steps} steps, batch {batch})" : $"Segmentation training loss ({steps} steps, batch {batch})",
                "step", task == "depth" ? "scale-invariant log loss" : "area-weighted cross-entropy", smooth, logY: true,
                footnote: "Exponential moving average (α = 0.08) of the per-step loss; dashed = trained with random rotations."));
        }
    }

    // Upright-only runs have no R/x columns: a dash, as in the Earth tables.
    private static string Cell(double value) => double.IsNaN(value) ? "–" : value.ToString("F3", CultureInfo.InvariantCulture);
}
