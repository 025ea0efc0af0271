using Disco.Geo.Sphere.Psi;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>Creates the contraction for a psi with the requested backend.</summary>
internal static class DiscoContraction
{
    /// <summary>
    /// Prepares the contraction for <paramref name="psi"/>. Device- and dtype-specific data are built on first use
    /// and cached, so create one instance per psi and keep it.
    /// </summary>
    /// <exception cref="ArgumentException">psi is malformed (see <see cref="ContractionValidation.CheckPsi"/>).</exception>
    public static IDiscoContraction Create(PsiTensor psi, ContractionBackend backend = ContractionBackend.Auto)
    {
        ArgumentNullException.ThrowIfNull(psi);
        return backend switch
        {
            ContractionBackend.Auto => new AutoDiscoContraction(psi),
            ContractionBackend.CpuKernel => new CpuDiscoContraction(psi),
            ContractionBackend.TensorOps => new FftDiscoContraction(psi),
            _ => throw new ArgumentException($"Unknown contraction backend {backend}: use Auto, CpuKernel or TensorOps.", nameof(backend)),
        };
    }
}
