using System.Diagnostics;
using System.Globalization;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Inference;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Training;

namespace Disco.Geo.Bench.Earth;

/// <summary>A trained model with what the benchmarks report about its training.</summary>
internal sealed class TrainedModel(string name, SphereModel model, TrainingResult result, IReadOnlyList<(double Step, double Loss)> curve, double seconds)
    : IDisposable
{
    public string Name { get; } = name;

    public SphereModel Model { get; } = model;

    public TrainingResult Result { get; } = result;

    /// <summary>Training loss per step.</summary>
    public IReadOnlyList<(double Step, double Loss)> Curve { get; } = curve;

    /// <summary>Wall time of the training call, statistics and final evaluation included.</summary>
    public double Seconds { get; } = seconds;

    public void Dispose() => Model.Dispose();
}

/// <summary>Metric values of one model under the rotation-robustness protocol: unrotated test data, and several random rotations of it.</summary>
internal sealed record RotationScores(IReadOnlyDictionary<string, double> Unrotated, IReadOnlyList<IReadOnlyDictionary<string, double>> Rotated)
{
    public double Mean(string metric) => Rotated.Average(r => r[metric]);

    /// <summary>Sample standard deviation across rotation seeds (0 for one seed).</summary>
    public double Spread(string metric) => Experiments.SampleStandardDeviation(Rotated.Select(r => r[metric]).ToArray());

    public double Min(string metric) => Rotated.Min(r => r[metric]);

    public double Max(string metric) => Rotated.Max(r => r[metric]);

    /// <summary>"0.912 ± 0.004" of the rotated runs.</summary>
    public string MeanSpread(string metric, string format = "F3") =>
        string.Create(CultureInfo.InvariantCulture, $"{Mean(metric).ToString(format, CultureInfo.InvariantCulture)} ± {Spread(metric).ToString(format, CultureInfo.InvariantCulture)}");
}

/// <summary>Training and evaluation steps shared by the Earth and panorama benchmarks.</summary>
internal static class Experiments
{
    /// <summary>
    /// Builds a model (weights from <paramref name="seed"/>), trains it with progress on the console every
    /// <paramref name="printEvery"/> steps, and records the loss curve.
    /// </summary>
    public static async Task<TrainedModel> TrainAsync(
        string name, ModelConfig config, ISphereDataset training, ISphereDataset? validation, TrainingOptions options, long seed,
        CancellationToken cancellationToken, int printEvery = 50)
    {
        SphereModel model = SphereModelFactory.Create(config, seed);
        try
        {
            List<(double, double)> curve = [];
            Stopwatch clock = Stopwatch.StartNew();
            Console.WriteLine($"[{name}] {model.ParameterCount:N0} parameters; training on {training.Count} samples ({options.Rotation} rotations)…");
            TrainingResult result = await new SphereTrainer().TrainAsync(
                model, training, validation, options, new ConsoleProgress(name, curve, printEvery), cancellationToken);
            double seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{name}] {result.StopReason} after {result.Steps} steps in {seconds:F0} s (load {LoadAverage()})"));
            return new TrainedModel(name, model, result, curve, seconds);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The rotation protocol's test side: metrics on the data as it is, and on rotated copies of it: either
    /// <paramref name="rotatedData"/>, one dataset per rotation seed, when the rotated inputs are made from the sources
    /// (re-rendered panoramas, globes re-ingested by <see cref="RotatedEarth"/>), or else <paramref name="rotations"/>
    /// randomly rotated copies resampled on the grid (seeds 1..n: every sample gets its own uniform SO(3) rotation per
    /// seed; inputs bilinear, targets and masks by nearest node).
    /// </summary>
    public static RotationScores Evaluate(
        SphereModel model, ISphereDataset data, int rotations, CancellationToken cancellationToken, IReadOnlyList<ISphereDataset>? rotatedData = null)
    {
        IReadOnlyDictionary<string, double> unrotated = SphereEvaluator.Evaluate(model, data, null, cancellationToken);
        List<IReadOnlyDictionary<string, double>> rotated = [];
        if (rotatedData is not null)
        {
            rotated.AddRange(rotatedData.Select(d => SphereEvaluator.Evaluate(model, d, null, cancellationToken)));
        }
        else
        {
            for (int seed = 1; seed <= rotations; seed++)
            {
                rotated.Add(SphereEvaluator.Evaluate(model, data, new EvaluationOptions { Rotation = RotationAugmentation.SO3, Seed = seed }, cancellationToken));
            }
        }

        return new RotationScores(unrotated, rotated);
    }

    /// <summary>Sample standard deviation (n − 1 in the denominator) of repeated runs; 0 for fewer than two.</summary>
    public static double SampleStandardDeviation(IReadOnlyList<double> values)
    {
        if (values.Count < 2)
        {
            return 0;
        }

        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    /// <summary>
    /// "+0.017", "-0.041", and "+0.000" for differences that round to zero: .NET formats a small negative number with
    /// the section format "+0.000;-0.000" as "-+0.000".
    /// </summary>
    public static string Signed(double difference)
    {
        double rounded = Math.Round(difference, 3);
        return (rounded == 0 ? 0 : rounded).ToString("+0.000;-0.000", CultureInfo.InvariantCulture);
    }

    /// <summary>The 1-, 5- and 15-minute load averages of the shared machine.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>The repository's docs/ directory, next to bench/.</summary>
    public static string DocsDirectory(BenchmarkContext context) =>
        Path.GetFullPath(Path.Combine(context.ResultsDirectory, "..", "..", "docs"));

    /// <summary>
    /// Where a run writes: full runs write bench/results/&lt;name&gt;.md and pictures into docs/; smoke (--quick) and
    /// development (--split dev) runs write both under bench/out/&lt;mode&gt;/ (ignored by git) so that they never replace
    /// the committed results.
    /// </summary>
    public static (BenchmarkContext Results, string Pictures) Outputs(BenchmarkContext context, string? mode)
    {
        if (mode is null)
        {
            // A part run in its own process (--results-name) keeps its pictures out of docs/, where the main run's are.
            string part = context.Option("results-name", context.Name);
            return (context, part == context.Name ? DocsDirectory(context) : Path.GetFullPath(Path.Combine(context.ResultsDirectory, "..", "out", part)));
        }

        string directory = Path.GetFullPath(Path.Combine(context.ResultsDirectory, "..", "out", mode));
        return (new BenchmarkContext(context.Name, context.Arguments, directory), Path.Combine(directory, "pictures"));
    }

    /// <summary>False for a part run in its own process (--results-name): its pictures are under bench/out, not docs/.</summary>
    public static bool LinksPictures(BenchmarkContext context) => context.Option("results-name", context.Name) == context.Name;

    private sealed class ConsoleProgress(string name, List<(double, double)> curve, int printEvery) : IProgress<TrainingEvent>
    {
        public void Report(TrainingEvent value)
        {
            if (value.Kind == TrainingEventKind.Step && value.Loss is double loss)
            {
                curve.Add((value.Step, loss));
                if (value.Step % printEvery == 0)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"[{name}] step {value.Step}/{value.TotalSteps} loss {loss:G4} lr {value.LearningRate:G3} {value.Elapsed.TotalSeconds:F0} s"));
                }
            }
            else if (value.Kind == TrainingEventKind.Validated)
            {
                Console.WriteLine($"[{name}] {value.Message}");
            }
        }
    }
}
