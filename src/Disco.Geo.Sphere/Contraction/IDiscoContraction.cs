using Disco.Geo.Sphere.Psi;
using TorchSharp;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>
/// The sparse DISCO contraction for one <see cref="PsiTensor"/>, prepared once and reused for every call:
/// <code>
/// Contract:        z[b,c,k,t,q] = Σ_{i,p} ψ[k,t,i,p] · x[b,c,i,(p + s·q) mod NLonIn]
/// ContractAdjoint: x[b,c,i,p']  = Σ_{k,t,q} ψ[k,t,i,(p' − s·q) mod NLonIn] · z[b,c,k,t,q]
/// </code>
/// with s = NLonIn / NLonOut. Both are differentiable with respect to their tensor argument (psi is a constant), and
/// each is the other's backward. Inputs may be float32 or float64, any batch and channel count, and non-contiguous.
/// </summary>
internal interface IDiscoContraction : IDisposable
{
    /// <summary>The psi this contraction was prepared for.</summary>
    PsiTensor Psi { get; }

    /// <summary>The backend this instance was created with (<see cref="ContractionBackend.Auto"/> dispatches per call).</summary>
    ContractionBackend Backend { get; }

    /// <summary>x [B, C, NLatIn, NLonIn] → z [B, C, K, NLatOut, NLonOut].</summary>
    torch.Tensor Contract(torch.Tensor x);

    /// <summary>z [B, C, K, NLatOut, NLonOut] → x [B, C, NLatIn, NLonIn], summed over k.</summary>
    torch.Tensor ContractAdjoint(torch.Tensor z);
}
