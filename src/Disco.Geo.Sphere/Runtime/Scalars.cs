using TorchSharp;

namespace Disco.Geo.Sphere.Runtime;

/// <summary>
/// Native scalars that live for the whole process. TorchSharp turns numbers into native <see cref="Scalar"/>s on
/// every call (<c>a + b</c> is <c>add(b, alpha: 1)</c>, <c>x + 1e-5</c> adds a scalar with alpha 1) and leaves them
/// to the finalizer; the managed object is unreachable once its handle has been read, so a garbage collection during
/// the native call can free the scalar while libtorch still reads it. That is rare, but under concurrent predictions it
/// surfaced as "INTERNAL ASSERT FAILED at c10/core/Scalar.h" (3 of 11,200 requests). Scalars held in static fields
/// stay reachable, so the forward pass of every model passes these explicitly instead of numbers.
/// </summary>
/// <remarks>
/// <para>
/// The same defect made training crash or silently diverge to NaN (a freed scalar read as garbage, e.g. a pow
/// exponent or an AdamW coefficient): it is common, not rare, once steps run for minutes. The rules for all code in
/// this assembly that runs during training or inference:
/// </para>
/// <list type="bullet">
/// <item>never pass a number where TorchSharp takes a <see cref="Scalar"/> (arithmetic with numbers, <c>pow</c>,
/// <c>square</c>, <c>clamp</c>, comparisons, <c>fill_</c>, <c>div_</c>); use a static field here or in the class, a
/// field created with <see cref="Constant"/>, or <c>using Scalar s = v.ToScalar();</c> kept in scope across the call;</item>
/// <item><c>a + b</c> and <c>add(b)</c> on tensors pass an implicit alpha of 1: write <c>a.add(b, Scalars.One)</c>
/// (<see cref="OneInt64"/> on integer tensors); <c>a - b</c>, <c>a * b</c> and <c>a / b</c> on two tensors take no scalar;</item>
/// <item>prefer ops that take none (<c>x * x</c> instead of <c>square()</c>);</item>
/// <item>TorchSharp's own optimizers and <c>clip_grad_norm_</c> create implicit scalars internally, so training uses
/// <see cref="Training.DecoupledAdamW"/> instead.</item>
/// </list>
/// <para>
/// The guard is tests/Disco.Geo.Sphere.Tests/Runtime/GcStressTests: training and inference while another thread forces
/// collections and finalizers non-stop must give the same bits as without; it failed on every run before this rule
/// was applied to the training path.
/// </para>
/// </remarks>
internal static class Scalars
{
    public static readonly Scalar Zero = 0.0.ToScalar();

    public static readonly Scalar One = 1.0.ToScalar();

    /// <summary>An integer zero: clamping an integer tensor with a floating-point scalar would promote it to float.</summary>
    public static readonly Scalar ZeroInt64 = 0L.ToScalar();

    /// <summary>An integer one, e.g. the alpha of an add on integer tensors (libtorch refuses a floating-point alpha there).</summary>
    public static readonly Scalar OneInt64 = 1L.ToScalar();

    public static readonly Scalar MinusOne = (-1.0).ToScalar();

    /// <summary>A scalar for a constant fixed at construction (e.g. a norm's epsilon); it lives as long as the field that holds it.</summary>
    public static Scalar Constant(double value) => value.ToScalar();
}
