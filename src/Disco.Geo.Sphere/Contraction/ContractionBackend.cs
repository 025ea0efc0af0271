namespace Disco.Geo.Sphere.Contraction;

/// <summary>Which implementation of <see cref="IDiscoContraction"/> to use.</summary>
internal enum ContractionBackend
{
    /// <summary><see cref="CpuKernel"/> for CPU tensors, <see cref="TensorOps"/> for tensors on any other device; decided per call.</summary>
    Auto,

    /// <summary>The hand-written SIMD C# kernel (CPU tensors only).</summary>
    CpuKernel,

    /// <summary>FFT along longitude over the latitude band, from standard tensor ops: runs on any device.</summary>
    TensorOps,
}
