using TorchSharp;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>
/// A contraction that can also do a convolution's channel mixing in the same pass (no autograd):
/// <code>y[b,o,t,q] = Σ_{c,k} weight[o,c,k] · z[b,c,k,t,q]</code> with z the contraction of x, without z ever being
/// stored whole.
/// </summary>
internal interface IFusedContraction
{
    /// <summary>
    /// y [B, Cout, NLatOut, NLonOut] from x [B, Cin, NLatIn, NLonIn] and weight [Cout, Cin, K], or null when this
    /// backend cannot fuse for these tensors (then contract and mix separately). Called with autograd disabled or
    /// when no gradient is needed.
    /// </summary>
    torch.Tensor? TryContractAndMix(torch.Tensor x, torch.Tensor weight);

    /// <summary>The same, differentiable with respect to x and weight (the backward runs on the same kernels), or null.</summary>
    torch.Tensor? TryContractAndMixDifferentiable(torch.Tensor x, torch.Tensor weight);
}
