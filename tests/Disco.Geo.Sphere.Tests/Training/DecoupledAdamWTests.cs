using Disco.Geo.Sphere.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Training;

public class DecoupledAdamWTests
{
    private static readonly double[] LearningRates = [1e-3, 5e-3, 2e-3, 1e-2, 4e-4, 3e-3];

    [Fact]
    public void The_update_matches_TorchSharps_AdamW_with_two_groups_and_changing_learning_rates()
    {
        (Parameter[] ours, Parameter[] theirs) = (Parameters(), Parameters());
        using DecoupledAdamW optimizer = new([(ours[..2], 0.05), (ours[2..], 0.0)]);
        using AdamW reference = optim.AdamW(
        [
            new AdamW.ParamGroup(theirs[..2], 1e-3, 0.9, 0.999, 1e-8, 0.05, false, false),
            new AdamW.ParamGroup(theirs[2..], 1e-3, 0.9, 0.999, 1e-8, 0.0, false, false),
        ]);
        for (int step = 0; step < LearningRates.Length; step++)
        {
            SetGradients(ours, step);
            SetGradients(theirs, step);
            double norm = optimizer.ClipGradientNorm(2.0);
            double referenceNorm = nn.utils.clip_grad_norm_(theirs, 2.0);
            Assert.Equal(referenceNorm, norm, 1e-5);
            optimizer.Step(LearningRates[step]);
            foreach (optim.ILearningRateController group in reference.ParamGroups)
            {
                group.LearningRate = LearningRates[step];
            }

            reference.step();
            for (int i = 0; i < ours.Length; i++)
            {
                double difference = (ours[i] - theirs[i]).abs().max().item<float>();
                Assert.True(difference < 1e-6, $"step {step + 1}, parameter {i}: differs by {difference:G3}");
            }
        }
    }

    [Fact]
    public void Saved_state_continues_the_same_updates()
    {
        (Parameter[] a, Parameter[] b) = (Parameters(), Parameters());
        using DecoupledAdamW first = new([(a, 0.01)]);
        for (int step = 0; step < 3; step++)
        {
            SetGradients(a, step);
            first.Step(1e-2);
        }

        using MemoryStream saved = new();
        using (BinaryWriter writer = new(saved, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            first.Save(writer);
        }

        using DecoupledAdamW second = new([(b, 0.01)]);
        second.Load(saved.ToArray());
        using (no_grad())
        {
            for (int i = 0; i < a.Length; i++)
            {
                b[i].copy_(a[i]);
            }
        }

        SetGradients(a, 3);
        SetGradients(b, 3);
        first.Step(1e-2);
        second.Step(1e-2);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(a[i].equal(b[i]).all().item<bool>(), $"parameter {i} differs after reload");
        }

        using DecoupledAdamW fewer = new([(b[..2], 0.01)]);
        Assert.Throws<InvalidDataException>(() => fewer.Load(saved.ToArray()));
    }

    private static Parameter[] Parameters()
    {
        Generator generator = new(17);
        return [
            new Parameter(randn([4, 3, 3], generator: generator)),
            new Parameter(randn([8, 4], generator: generator)),
            new Parameter(randn([4], generator: generator)),
            new Parameter(randn([8], generator: generator)),
        ];
    }

    private static void SetGradients(Parameter[] parameters, int step)
    {
        Generator generator = new(100 + (ulong)step);
        foreach (Parameter p in parameters)
        {
            p.grad = randn(p.shape, generator: generator) * 0.7;
        }
    }
}
