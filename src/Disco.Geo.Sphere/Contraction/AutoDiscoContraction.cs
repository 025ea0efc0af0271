using Disco.Geo.Sphere.Psi;
using TorchSharp;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>
/// Dispatches each call on the tensor's device: the CPU kernel for CPU tensors, tensor ops elsewhere. Deciding per
/// call (not at construction) lets a layer be moved between devices after it was built. Each backend is created on
/// first use.
/// </summary>
internal sealed class AutoDiscoContraction : IDiscoContraction, IFusedContraction
{
    private readonly object _gate = new();
    private CpuDiscoContraction? _cpu;
    private FftDiscoContraction? _tensorOps;
    private bool _disposed;

    public AutoDiscoContraction(PsiTensor psi)
    {
        ContractionValidation.CheckPsi(psi);
        Psi = psi;
    }

    public PsiTensor Psi { get; }

    public ContractionBackend Backend => ContractionBackend.Auto;

    public torch.Tensor Contract(torch.Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Select(x).Contract(x);
    }

    public torch.Tensor ContractAdjoint(torch.Tensor z)
    {
        ArgumentNullException.ThrowIfNull(z);
        return Select(z).ContractAdjoint(z);
    }

    public torch.Tensor? TryContractAndMix(torch.Tensor x, torch.Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        return x.device_type == DeviceType.CPU ? ((CpuDiscoContraction)Select(x)).TryContractAndMix(x, weight) : null;
    }

    public torch.Tensor? TryContractAndMixDifferentiable(torch.Tensor x, torch.Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        return x.device_type == DeviceType.CPU ? ((CpuDiscoContraction)Select(x)).TryContractAndMixDifferentiable(x, weight) : null;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _cpu?.Dispose();
            _tensorOps?.Dispose();
        }
    }

    private IDiscoContraction Select(torch.Tensor tensor)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (tensor.device_type == DeviceType.CPU)
            {
                return _cpu ??= new CpuDiscoContraction(Psi);
            }

            return _tensorOps ??= new FftDiscoContraction(Psi);
        }
    }
}
