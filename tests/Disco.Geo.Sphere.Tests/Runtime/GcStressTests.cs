using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Inference;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Packaging;
using Disco.Geo.Sphere.Tests.Data;
using Disco.Geo.Sphere.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Runtime;

/// <summary>
/// Regression guard for implicit native scalars: TorchSharp turns numbers into <c>Scalar</c>s that nothing keeps
/// alive during the native call, so a collection at the wrong moment frees them while libtorch reads them (a crash
/// "INTERNAL ASSERT FAILED at c10/core/Scalar.h", or silently wrong numbers and NaN). Training and inference run here
/// while another thread collects garbage non-stop, and must give the same bits as without it. The collection runs
/// alone: forced collections are process-wide, and test code running beside it (e.g. <c>a + b</c> on tensors in an
/// assertion) holds no scalars, so it crashed the test host once in three fresh-clone runs while running in parallel.
/// <para>
/// The same holds for tensors: a temporary like the result of <c>a.equal(b)</c> in <c>a.equal(b).all()</c> is
/// unreachable while <c>all()</c> runs natively, so a collection then finalises it and libtorch reads a freed tensor
/// (this crashed the test host in 5 of 8 runs of 200,000 such comparisons under the stress, and once in a fresh-clone
/// CI run). Tensor work on the test thread while the stress runs therefore happens in a dispose scope, which holds
/// every temporary (<see cref="SameBits"/>); the product's own calls hold theirs the same way
/// (<see cref="Prediction_and_evaluation_create_no_tensor_outside_a_dispose_scope"/>).
/// </para>
/// </summary>
[Collection(GcStressCollection.Name)]
public class GcStressTests
{
    public static TheoryData<ModelArchitecture, ModelTask> Cases() => new()
    {
        { ModelArchitecture.DiscoUnet, ModelTask.Segmentation },
        { ModelArchitecture.PlanarUnet, ModelTask.Segmentation },
        { ModelArchitecture.DiscoUnet, ModelTask.Regression },
        { ModelArchitecture.PlanarUnet, ModelTask.Regression },
        { ModelArchitecture.DiscoUnet, ModelTask.Depth },
        { ModelArchitecture.PlanarUnet, ModelTask.Depth },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Training_under_constant_garbage_collection_gives_the_same_bits(ModelArchitecture architecture, ModelTask task)
    {
        (TrainingResult calm, Dictionary<string, Tensor> calmWeights) = await Train(architecture, task);
        TrainingResult stressed;
        Dictionary<string, Tensor> stressedWeights;
        long collections;
        using (GcStress stress = new())
        {
            (stressed, stressedWeights) = await Train(architecture, task);
            collections = stress.Collections;
        }

        Assert.True(collections > 0);
        Assert.Equal(calm.StepLosses, stressed.StepLosses);
        Assert.Equal(calm.FinalMetrics, stressed.FinalMetrics);
        foreach ((string name, Tensor a) in calmWeights)
        {
            Assert.True(SameBits(a, stressedWeights[name]), $"{name} differs under GC stress");
        }

        TensorDictionary.Dispose(calmWeights);
        TensorDictionary.Dispose(stressedWeights);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Inference_under_constant_garbage_collection_gives_the_same_bits(ModelArchitecture architecture, ModelTask task)
    {
        InMemorySphereDataset data = Data(task);
        using SphereModel model = SphereModelFactory.Create(Config(architecture, task), 5);
        model.InputStatistics = DatasetStatistics.Inputs(data);
        if (task != ModelTask.Segmentation)
        {
            model.TargetStatistics = DatasetStatistics.Targets(data, task);
        }

        (Tensor, IReadOnlyDictionary<string, double>, IReadOnlyDictionary<string, double>) Run()
        {
            SphereSample first = data.Get(0);
            float[] values = Enumerable.Range(0, data.Count).SelectMany(i => data.Get(i).Input).ToArray();
            using Tensor input = tensor(values, [data.Count, first.InputChannels, model.Grid.NLat, model.Grid.NLon]);
            Tensor predicted = new SpherePredictor(model).Predict(input, rotationAveraging: 3, seed: 7);
            IReadOnlyDictionary<string, double> plain = SphereEvaluator.Evaluate(model, data, new EvaluationOptions { BatchSize = 2 });
            IReadOnlyDictionary<string, double> averaged = SphereEvaluator.Evaluate(model, data, new EvaluationOptions { BatchSize = 2, RotationAveraging = 2 });
            return (predicted, plain, averaged);
        }

        (Tensor calmPrediction, IReadOnlyDictionary<string, double> calmPlain, IReadOnlyDictionary<string, double> calmAveraged) = Run();
        using (GcStress stress = new())
        {
            // Many repeats: each native call is a short window, so the collector needs many chances to hit one.
            for (int repeat = 0; repeat < 10; repeat++)
            {
                // The scope owns this repeat's tensors (the input and the prediction included) until it ends.
                using DisposeScope scope = NewDisposeScope();
                (Tensor prediction, IReadOnlyDictionary<string, double> plain, IReadOnlyDictionary<string, double> averaged) = Run();
                Assert.True(SameBits(calmPrediction, prediction), "the prediction differs under GC stress");
                Assert.Equal(calmPlain, plain);
                Assert.Equal(calmAveraged, averaged);
            }
        }

        calmPrediction.Dispose();
    }

    [Fact]
    public void Tensor_comparisons_in_the_stress_window_hold_their_temporaries()
    {
        using Tensor a = rand(1000, generator: new Generator(3)), b = a.clone();
        using GcStress stress = new();
        for (int i = 0; i < 200_000; i++)
        {
            Assert.True(SameBits(a, b));
        }

        Assert.True(stress.Collections > 0);
    }

    [Theory]
    [InlineData(ModelArchitecture.DiscoUnet)]
    [InlineData(ModelArchitecture.PlanarUnet)]
    public void Prediction_and_evaluation_create_no_tensor_outside_a_dispose_scope(ModelArchitecture architecture)
    {
        // A tensor made outside a scope is owned by nothing but the stack, so it can be finalised while a native call
        // still reads it (see the class remarks); the server predicts and evaluates with the collector running.
        InMemorySphereDataset data = Data(ModelTask.Segmentation);
        using SphereModel model = SphereModelFactory.Create(Config(architecture, ModelTask.Segmentation), 5);
        model.InputStatistics = DatasetStatistics.Inputs(data);
        SphereSample first = data.Get(0);
        using Tensor input = tensor(first.Input, [1, first.InputChannels, model.Grid.NLat, model.Grid.NLon]);
        ThreadDisposeScopeStatistics statistics = DisposeScopeManager.Statistics;
        long before = statistics.CreatedOutsideScopeCount;

        using Tensor plain = new SpherePredictor(model).Predict(input);
        using Tensor averaged = new SpherePredictor(model).Predict(input, rotationAveraging: 3, seed: 7);
        SphereEvaluator.Evaluate(model, data, new EvaluationOptions { BatchSize = 2 });
        SphereEvaluator.Evaluate(model, data, new EvaluationOptions { BatchSize = 2, RotationAveraging = 2 });

        Assert.Equal(before, statistics.CreatedOutsideScopeCount);
    }

    /// <summary>Whether a and b hold the same values, with the comparison's temporaries held by a scope.</summary>
    private static bool SameBits(Tensor a, Tensor b)
    {
        using DisposeScope scope = NewDisposeScope();
        return a.equal(b).all().item<bool>();
    }

    private static async Task<(TrainingResult, Dictionary<string, Tensor>)> Train(ModelArchitecture architecture, ModelTask task)
    {
        InMemorySphereDataset data = Data(task);
        (ISphereDataset train, ISphereDataset valid) = DatasetSplit.ByIndices(data, [0, 1, 2], [3]);
        using SphereModel model = SphereModelFactory.Create(Config(architecture, task), 3);
        TrainingResult result = await new SphereTrainer().TrainAsync(model, train, valid, new TrainingOptions
        {
            Epochs = 20,
            BatchSize = 2,
            LearningRate = 5e-3,
            WeightDecay = 1e-2,
            GradientClipNorm = 0.05, // small enough to clip every step
            Seed = 4,
        });
        return (result, TensorDictionary.Snapshot(model));
    }

    private static InMemorySphereDataset Data(ModelTask task) => task switch
    {
        ModelTask.Segmentation => SyntheticSpheres.Hemispheres(4, 1),
        ModelTask.Regression => SyntheticSpheres.SmoothRegression(4, 2),
        _ => SyntheticSpheres.SmoothRegression(4, 3, depth: true),
    };

    private static ModelConfig Config(ModelArchitecture architecture, ModelTask task) =>
        SyntheticSpheres.TinyConfig(task, task == ModelTask.Segmentation ? 2 : 1, architecture);
}

/// <summary>Runs <see cref="GcStressTests"/> with no other test in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GcStressCollection
{
    public const string Name = "GC stress";
}
