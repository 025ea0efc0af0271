using Disco.Geo.Sphere.Packaging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Training;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter: Adam with weight decay decoupled from the gradient) and global gradient-norm
/// clipping, computing the same update as TorchSharp's <c>optim.AdamW</c> and <c>nn.utils.clip_grad_norm_</c>.
/// </summary>
/// <remarks>
/// Ours rather than TorchSharp's because those create a native <see cref="Scalar"/> for every number they pass to
/// libtorch and keep no reference to it, so a garbage collection during the call frees it while libtorch reads it
/// (see <see cref="Runtime.Scalars"/>): training crashed with "INTERNAL ASSERT FAILED at c10/core/Scalar.h" or
/// silently diverged to NaN. Every scalar here is held in a <c>using</c> variable for the whole native call.
/// </remarks>
internal sealed class DecoupledAdamW : IDisposable
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Epsilon = 1e-8;

    private readonly ParameterState[] _states;

    /// <summary>One optimizer over parameter groups, each with its own weight decay (the learning rate is shared and set per step).</summary>
    public DecoupledAdamW(IReadOnlyList<(IReadOnlyList<Parameter> Parameters, double WeightDecay)> groups)
    {
        _states = groups.SelectMany(g => g.Parameters.Select(p => new ParameterState(p, g.WeightDecay))).ToArray();
    }

    /// <summary>The parameters in optimizer order.</summary>
    public IEnumerable<Parameter> Parameters => _states.Select(s => s.Parameter);

    /// <summary>Drops the gradients of all parameters (the next backward pass starts from zero).</summary>
    public void ZeroGrad()
    {
        foreach (ParameterState state in _states)
        {
            state.Parameter.grad = null;
        }
    }

    /// <summary>
    /// The global L2 norm of all gradients; when it exceeds <paramref name="maxNorm"/>, scales every gradient by
    /// maxNorm / (norm + 1e-6) like <c>clip_grad_norm_</c>. Pass +∞ to only measure.
    /// </summary>
    public double ClipGradientNorm(double maxNorm)
    {
        using DisposeScope scope = NewDisposeScope();
        using IDisposable noGrad = no_grad();
        List<Tensor> gradients = [.. _states.Select(s => s.Parameter.grad).OfType<Tensor>()];
        if (gradients.Count == 0)
        {
            return 0;
        }

        // Sum of squares per tensor, then over tensors: the same norm as torch's norm-of-norms up to rounding.
        Tensor squares = stack(gradients.Select(g => (g * g).sum()).ToArray());
        double norm = Math.Sqrt(squares.sum().to(ScalarType.Float64).item<double>());
        double coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1)
        {
            using Scalar scale = coefficient.ToScalar();
            foreach (Tensor gradient in gradients)
            {
                gradient.mul_(scale);
            }
        }

        return norm;
    }

    /// <summary>One AdamW update of every parameter with a gradient, at <paramref name="learningRate"/>.</summary>
    public void Step(double learningRate)
    {
        using IDisposable noGrad = no_grad();
        using Scalar beta1 = Beta1.ToScalar();
        using Scalar beta2 = Beta2.ToScalar();
        using Scalar oneMinusBeta1 = (1 - Beta1).ToScalar();
        using Scalar oneMinusBeta2 = (1 - Beta2).ToScalar();
        using Scalar epsilon = Epsilon.ToScalar();
        foreach (ParameterState state in _states)
        {
            using DisposeScope scope = NewDisposeScope();
            Tensor? gradient = state.Parameter.grad;
            if (gradient is null)
            {
                continue;
            }

            state.EnsureMoments();
            state.Step++;
            double biasCorrection1 = 1 - Math.Pow(Beta1, state.Step);
            double biasCorrection2 = 1 - Math.Pow(Beta2, state.Step);
            using Scalar decay = (1 - (learningRate * state.WeightDecay)).ToScalar();
            using Scalar denominatorScale = Math.Sqrt(biasCorrection2).ToScalar();
            using Scalar stepSize = (-learningRate / biasCorrection1).ToScalar();
            state.Parameter.mul_(decay);
            state.ExpAvg!.mul_(beta1).add_(gradient, oneMinusBeta1);
            state.ExpAvgSq!.mul_(beta2).addcmul_(gradient, gradient, oneMinusBeta2);
            Tensor denominator = state.ExpAvgSq.sqrt().div_(denominatorScale).add_(epsilon, Runtime.Scalars.One);
            state.Parameter.addcdiv_(state.ExpAvg, denominator, stepSize);
        }
    }

    /// <summary>Writes step counts and moments (a <see cref="TensorDictionary"/>: "i.step", "i.exp_avg", "i.exp_avg_sq").</summary>
    public void Save(BinaryWriter writer)
    {
        List<(string, Tensor)> tensors = [];
        using DisposeScope scope = NewDisposeScope();
        for (int i = 0; i < _states.Length; i++)
        {
            ParameterState state = _states[i];
            tensors.Add(($"{i}.step", tensor(state.Step)));
            if (state.ExpAvg is not null)
            {
                tensors.Add(($"{i}.exp_avg", state.ExpAvg));
                tensors.Add(($"{i}.exp_avg_sq", state.ExpAvgSq!));
            }
        }

        TensorDictionary.Write(writer, tensors);
    }

    /// <summary>Restores what <see cref="Save"/> wrote, onto the parameters' devices and dtypes.</summary>
    /// <exception cref="InvalidDataException">The state does not belong to these parameters.</exception>
    public void Load(byte[] bytes)
    {
        Dictionary<string, Tensor> saved = TensorDictionary.Read(new BinaryReader(new MemoryStream(bytes)));
        try
        {
            if (saved.Keys.Count(k => k.EndsWith(".step", StringComparison.Ordinal)) != _states.Length)
            {
                throw new InvalidDataException($"The optimizer state is for a different number of parameters than the model's {_states.Length}.");
            }

            for (int i = 0; i < _states.Length; i++)
            {
                ParameterState state = _states[i];
                if (!saved.TryGetValue($"{i}.step", out Tensor? step))
                {
                    throw new InvalidDataException($"The optimizer state lacks the step count of parameter {i}.");
                }

                state.Step = step.item<long>();
                state.DisposeMoments();
                if (saved.TryGetValue($"{i}.exp_avg", out Tensor? expAvg) && saved.TryGetValue($"{i}.exp_avg_sq", out Tensor? expAvgSq))
                {
                    if (!expAvg.shape.SequenceEqual(state.Parameter.shape) || !expAvgSq.shape.SequenceEqual(state.Parameter.shape))
                    {
                        throw new InvalidDataException($"The optimizer moments of parameter {i} have the wrong shape.");
                    }

                    state.ExpAvg = expAvg.to(state.Parameter.dtype, state.Parameter.device).clone().DetachFromDisposeScope();
                    state.ExpAvgSq = expAvgSq.to(state.Parameter.dtype, state.Parameter.device).clone().DetachFromDisposeScope();
                }
            }
        }
        finally
        {
            TensorDictionary.Dispose(saved);
        }
    }

    public void Dispose()
    {
        foreach (ParameterState state in _states)
        {
            state.DisposeMoments();
        }
    }

    private sealed class ParameterState(Parameter parameter, double weightDecay)
    {
        public Parameter Parameter { get; } = parameter;

        public double WeightDecay { get; } = weightDecay;

        public long Step { get; set; }

        public Tensor? ExpAvg { get; set; }

        public Tensor? ExpAvgSq { get; set; }

        public void EnsureMoments()
        {
            ExpAvg ??= zeros_like(Parameter).DetachFromDisposeScope();
            ExpAvgSq ??= zeros_like(Parameter).DetachFromDisposeScope();
        }

        public void DisposeMoments()
        {
            ExpAvg?.Dispose();
            ExpAvgSq?.Dispose();
            ExpAvg = null;
            ExpAvgSq = null;
        }
    }
}
