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
