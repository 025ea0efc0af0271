using System.Diagnostics;
using System.Globalization;
using System.Text;
using Disco.Geo.Bench.Earth.Pictures;
using Disco.Geo.Bench.Models;
using Disco.Geo.Grids;
using Disco.Geo.Pictures;
using Disco.Geo.Raster.Rendering;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Losses;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Training;

namespace Disco.Geo.Bench.Earth;

/// <summary>
/// Issue 6 §2: ETOPO5 elevation and bathymetry (metres) regressed from Blue Marble RGB plus the Natural Earth land mask
/// on the 1° grid, trained on months 01, 03, 05 and tested on 07 and 08, DISCO U-Net beside the planar U-Net, against the
/// baseline of predicting each class's (land, water) area-weighted mean elevation.
/// </summary>
/// <remarks>Options: --quick (65×128, few steps, outputs under bench/out/quick); --split dev (train 01, 03; test 05); --steps N; --loss l1|l2|huber; --seeds N (N trainings per model with other initial weights and sample orders: mean ± sd).</remarks>
internal sealed class ElevationBenchmark : IBenchmark
{
    public string Name => "earth-elevation";

    public string Description => "ETOPO5 elevation/bathymetry from Blue Marble RGB + land mask at 1°: RMSE/MAE, DISCO vs planar vs class-mean baseline [--quick]";

    public async Task<int> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        Stopwatch total = Stopwatch.StartNew();
        bool quick = context.Quick;
        bool dev = context.Option("split", "test") == "dev";
        (BenchmarkContext output, string pictures) = Experiments.Outputs(context, quick ? "quick" : dev ? "dev" : null);
        int[] trainMonths = dev ? [1, 3] : [1, 3, 5];
        int[] testMonths = dev ? [5] : [7, 8];
        int steps = int.Parse(context.Option("steps", quick ? "30" : "600"), c);
        string[] modelKeys = context.Option("models", "disco,planar").Split(',', StringSplitOptions.RemoveEmptyEntries);
        int seeds = int.Parse(context.Option("seeds", "1"), c);
        RegressionLoss lossKind = Enum.Parse<RegressionLoss>(context.Option("loss", "l2"), ignoreCase: true);
        string loadBefore = Experiments.LoadAverage();
        SphereGrid grid = quick ? SphereGrid.Create(GridKind.Equiangular, 65, 128) : SphereGrid.Create(GridKind.Equiangular, 181, 360);
        string gridName = quick ? "65×128" : "1°";

        EarthData data = await EarthData.LoadAsync(grid, trainMonths.Concat(testMonths), withElevation: true, cancellationToken);
        float[] elevation = data.Elevation!;
        InMemorySphereDataset training = Dataset(data, trainMonths);
        InMemorySphereDataset test = Dataset(data, testMonths);
        double[] areas = grid.RowAreas();
        int nodes = (int)grid.NodeCount;

        // The baseline: each class's area-weighted mean over the training globes (the target is the same every month).
        double[] classMean = new double[2];
        double[] classArea = new double[2];
        for (int k = 0; k < nodes; k++)
        {
            classMean[data.Land[k]] += elevation[k] * areas[k / grid.NLon];
            classArea[data.Land[k]] += areas[k / grid.NLon];
        }

        classMean[0] /= classArea[0];
        classMean[1] /= classArea[1];
        float[] baseline = data.Land.Select(l => (float)classMean[l]).ToArray();

        TrainingOptions options = new()
        {
            Epochs = steps,
            MaxSteps = steps,
            BatchSize = 1,
            LearningRate = 2e-3,
            Seed = 7,
            Loss = new LossOptions { Regression = lossKind },
            TimeLimit = TimeSpan.FromMinutes(quick ? 3 : 20),
        };

        StringBuilder table = new();
        string spread = seeds > 1 ? $" (mean ± sd over {seeds} seeds)" : "";
        table.AppendLine($"| predictor | parameters | steps | train time | RMSE (m){spread} | MAE (m) | RMSE land (m) | RMSE water (m) | RMSE / baseline RMSE |{(seeds > 1 ? " RMSE per seed (m) |" : "")}");
        table.AppendLine($"|---|---|---|---|---|---|---|---|---|{(seeds > 1 ? "---|" : "")}");
        Errors baselineErrors = Errors.Of(grid, data.Land, elevation, testMonths.Select(_ => baseline));
        table.AppendLine(string.Create(c,
            $"| class mean (land {classMean[1]:F0} m, water {classMean[0]:F0} m) | 2 | – | – | {baselineErrors.Rmse:F0} | {baselineErrors.Mae:F0} | {baselineErrors.RmseLand:F0} | {baselineErrors.RmseWater:F0} | 1.00 |{(seeds > 1 ? " – |" : "")}"));

        List<Line> curves = [];
        Dictionary<string, float[]> julyPredictions = [];
        foreach (string key in modelKeys)
        {
            ModelConfig config = ModelSpecs.Config(key, ModelTask.Regression, 4, 1, grid);
            string label = ModelSpecs.Label(key);
            List<Errors> runs = [];
            long parameters = 0;
            long trainedSteps = 0;
            double seconds = 0;
            bool timeLimited = false;
            for (int seed = 1; seed <= seeds; seed++)
            {
                // Seed s draws other initial weights (weights seed s) and another sample order (7 + s − 1); seed 1 is the single run's.
                string run = seeds > 1 ? $"{label} seed {seed}" : label;
                using TrainedModel trained = await Experiments.TrainAsync(run, config, training, null, options with { Seed = 7 + seed - 1 }, seed: seed, cancellationToken);
                List<float[]> predictions = testMonths.Select(m => EarthPictures.Predict(trained.Model, Input(data, m))).ToList();
                Errors errors = Errors.Of(grid, data.Land, elevation, predictions);
                IReadOnlyDictionary<string, double> check = Sphere.Inference.SphereEvaluator.Evaluate(trained.Model, test, null, cancellationToken);
                Console.WriteLine(string.Create(c, $"[{run}] evaluator RMSE {check["rmse"]:F1} m vs harness {errors.Rmse:F1} m"));
                runs.Add(errors);
                parameters = trained.Model.ParameterCount;
                trainedSteps = trained.Result.Steps;
                timeLimited |= trained.Result.StopReason == StopReason.TimeLimit;
                seconds += trained.Seconds;
                if (seed == 1)
                {
                    julyPredictions[label] = predictions[0];
                    curves.Add(new Line(label, trained.Curve.Select(p => (p.Step, p.Loss)).ToList(), SvgCharts.Palette[curves.Count]));
                }
            }

            string Stat(Func<Errors, double> metric) => seeds > 1
                ? string.Create(c, $"{runs.Average(metric):F0} ± {Experiments.SampleStandardDeviation(runs.Select(metric).ToArray()):F0}")
                : string.Create(c, $"{metric(runs[0]):F0}");
            double rmse = runs.Average(e => e.Rmse);
            table.AppendLine(string.Create(c,
                $"| {label} | {parameters:N0} | {trainedSteps}{(timeLimited ? " (time limit)" : "")} | {seconds / seeds / 60:F1} min | {Stat(e => e.Rmse)} | {Stat(e => e.Mae)} | {Stat(e => e.RmseLand)} | {Stat(e => e.RmseWater)} | {rmse / baselineErrors.Rmse:F2} |{(seeds > 1 ? " " + string.Join(" / ", runs.Select(e => e.Rmse.ToString("F0", c))) + " |" : "")}"));
            Console.WriteLine(table.ToString().Split('\n')[^2]);
        }

        if (!dev)
        {
            WritePictures(pictures, gridName, data, testMonths[0], julyPredictions, curves, steps);
        }

        StringBuilder body = new();
        body.AppendLine("Target: ETOPO5 relief and bathymetry in metres (NOAA, 5′, longitudes 0..360, area-averaged onto the grid by `RasterIngestor`, which wraps it to −180..180).");
        body.AppendLine("Inputs: Blue Marble RGB (0–255) plus the Natural Earth land label (0/1) as a fourth band. The target is the same for every month, so the models");
        body.AppendLine(string.Create(c, $"see {trainMonths.Length} different colourings of one Earth and are tested on the colourings of months {string.Join(", ", testMonths.Select(m => m.ToString("00", c)))} — a test of reading relief from imagery and"));
        body.AppendLine("coastline context, not of generalising to unseen terrain (there is only one Earth here). Baseline: each class's area-weighted mean elevation.");
        body.AppendLine(string.Create(c, $"Training: `ModelTask.Regression`, {lossKind} loss on standardised targets, AdamW lr 2e-3, cosine, batch 1, {steps} steps, seed 7{(seeds > 1 ? $" (seed s of {seeds}: weights seed s, sample-order seed 7 + s − 1)" : "")}. RMSE and MAE are area-weighted over the test months."));
        body.AppendLine("Models (`--models` keys, see `ModelSpecs`):");
        foreach (string key in modelKeys)
        {
            body.AppendLine($"- {ModelSpecs.Label(key)}: {ModelSpecs.Describe(ModelSpecs.Config(key, ModelTask.Regression, 4, 1, grid))}");
        }

        body.AppendLine();
        body.AppendLine(string.Create(c, $"Load average {loadBefore} before, {Experiments.LoadAverage()} after (2 shared cores). Total run time {total.Elapsed.TotalMinutes:F1} min."));
        body.AppendLine();
        body.Append(table);
        if (!dev && Experiments.LinksPictures(context))
        {
            string prefix = quick ? "pictures/" : "../docs/"; // relative to bench/RESULTS.md, where the sections are composed
            body.AppendLine();
            body.AppendLine($"![Elevation, July]({prefix}earth-elevation-july.png)");
            body.AppendLine($"![Training curves]({prefix}earth-elevation-training.svg)");
        }

        output.WriteSection(dev ? "Earth: elevation (development split)" : "Earth: elevation and bathymetry from Blue Marble", body.ToString());
        return 0;
    }

    private static float[] Input(EarthData data, int month)
    {
        int nodes = (int)data.Grid.NodeCount;
        float[] input = new float[4 * nodes];
        data.Rgb[month].CopyTo(input, 0);
        for (int k = 0; k < nodes; k++)
        {
            input[3 * nodes + k] = data.Land[k];
        }

        return input;
    }

    private static InMemorySphereDataset Dataset(EarthData data, IEnumerable<int> months) =>
        new(data.Grid, months.Select(m => SphereSample.ForRegression(Input(data, m), data.Elevation!, data.Grid.NLat, data.Grid.NLon)));

    private static void WritePictures(string directory, string gridName, EarthData data, int month, Dictionary<string, float[]> predictions, List<Line> curves, int steps)
    {
        Directory.CreateDirectory(directory);
        SphereGrid grid = data.Grid;
        ColorMap relief = ColorMap.Elevation();
        ColorMap difference = ColorMap.BlueWhiteRed(-3000, 3000);
        float[] truth = data.Elevation!;
        Dictionary<string, float[]> errors = predictions.ToDictionary(p => p.Key, p => p.Value.Select((v, k) => v - truth[k]).ToArray());
        // Relief maps are busy; the panels shrink from 360 px if the PNG would pass the README's size budget.
        SpherePanel.SaveWithin(Path.Combine(directory, "earth-elevation-july.png"), 290_000, 360, (width, height) =>
        {
            List<(string, Action<Canvas, int, int>)> panels =
            [
                ("INPUT: BLUE MARBLE " + CultureInfo.InvariantCulture.DateTimeFormat.GetMonthName(month).ToUpperInvariant() + " + LAND MASK", EarthPictures.RgbPanel(grid, data.Rgb[month], width, height)),
                ("TRUTH: ETOPO5 (M)", Field(grid, truth, relief, width, height)),
            ];
            foreach ((string label, float[] predicted) in predictions)
            {
                panels.Add(($"PREDICTION: {label.ToUpperInvariant()}", Field(grid, predicted, relief, width, height)));
                panels.Add(("ERROR (PREDICTION - TRUTH), ±3000 M", Field(grid, errors[label], difference, width, height)));
            }

            return SpherePanel.Layout(panels, 2, width, height, $"ELEVATION/BATHYMETRY FROM RGB, {gridName}, HELD-OUT MONTH",
                [("-6000 M", SpherePanel.From(relief, -6000)), ("-2000", SpherePanel.From(relief, -2000)), ("0", SpherePanel.From(relief, 0)), ("1000", SpherePanel.From(relief, 1000)),
                 ("3000", SpherePanel.From(relief, 3000)), ("ERROR -3000", SpherePanel.From(difference, -3000)), ("+3000", SpherePanel.From(difference, 3000))]);
        });

        List<Line> smooth = curves.Select(l => l with { Points = SvgCharts.Smooth(l.Points, 0.05) }).ToList();
        File.WriteAllText(Path.Combine(directory, "earth-elevation-training.svg"), SvgCharts.Lines(
            $"Elevation training loss at {gridName} ({steps} steps, batch 1)", "step", "loss (standardised target)", smooth, logY: true,
            footnote: "Exponential moving average (α = 0.05) of the per-step loss."));
    }

    private static Action<Canvas, int, int> Field(SphereGrid grid, float[] values, ColorMap map, int width, int height) =>
        (canvas, x, y) => SpherePanel.Draw(canvas, x, y, width, height, grid, (i, p) => SpherePanel.From(map, values[i * grid.NLon + p]));

    /// <summary>Area-weighted errors of predictions against the truth over several test maps, overall and per class.</summary>
    private sealed record Errors(double Rmse, double Mae, double RmseLand, double RmseWater)
    {
        public static Errors Of(SphereGrid grid, int[] land, float[] truth, IEnumerable<float[]> predictions)
        {
            double[] areas = grid.RowAreas();
            double[] squared = new double[2], absolute = new double[2], weight = new double[2];
            foreach (float[] predicted in predictions)
            {
                for (int k = 0; k < truth.Length; k++)
                {
                    double a = areas[k / grid.NLon];
                    double e = predicted[k] - truth[k];
                    squared[land[k]] += a * e * e;
                    absolute[land[k]] += a * Math.Abs(e);
                    weight[land[k]] += a;
                }
            }

            return new Errors(
                Math.Sqrt(squared.Sum() / weight.Sum()), absolute.Sum() / weight.Sum(),
                Math.Sqrt(squared[1] / weight[1]), Math.Sqrt(squared[0] / weight[0]));
        }
    }
}
