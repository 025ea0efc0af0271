namespace Disco.Geo.Sphere.Contraction;

/// <summary>
/// The K-expanded contraction z that the fused training forward keeps for the weight gradient, in kernel workspace
/// memory (reused from step to step instead of a fresh tensor each time). The backward disposes it once it has used it;
/// if no backward ever runs, the finaliser returns the memory.
/// </summary>
internal sealed class KeptContraction : IDisposable
{
    private KernelWorkspace.Lease _lease;

    internal KeptContraction(KernelWorkspace.Lease lease)
    {
        _lease = lease;
    }

    ~KeptContraction()
    {
        _lease.Dispose();
    }

    /// <summary>Start of z, or 0 once released.</summary>
    public nint Address => _lease.Address;

    public void Dispose()
    {
        _lease.Dispose();
        GC.SuppressFinalize(this);
    }
}
