using TorchSharp;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>
/// Both directions of a contraction computed without autograd; <see cref="DiscoContractFunction"/> and
/// <see cref="DiscoContractAdjointFunction"/> make them differentiable.
/// </summary>
internal interface IContractionKernels
{
    /// <summary>Forward contraction of a validated x; called with autograd disabled.</summary>
    torch.Tensor ContractNoGrad(torch.Tensor x);

    /// <summary>Adjoint contraction of a validated z; called with autograd disabled.</summary>
    torch.Tensor ContractAdjointNoGrad(torch.Tensor z);
}

/// <summary>
/// Autograd wrapper of <see cref="IContractionKernels.ContractNoGrad"/>. psi is a constant, so the backward is the
/// adjoint contraction of the incoming gradient: nothing is saved but the contraction object itself (no tensor, so
/// no save_for_backward is needed), which keeps the memory of a training step at input + output.
/// The backward goes through the adjoint's own autograd function, so second derivatives work too.
/// </summary>
internal sealed class DiscoContractFunction : torch.autograd.SingleTensorFunction<DiscoContractFunction>
{
    internal const string ContractionKey = "contraction";

    public override string Name => "DiscoContract";

    public override torch.Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        IContractionKernels contraction = (IContractionKernels)vars[1];
        ctx.save_data(ContractionKey, contraction);
        return contraction.ContractNoGrad((torch.Tensor)vars[0]);
    }

    public override List<torch.Tensor> backward(torch.autograd.AutogradContext ctx, torch.Tensor grad_output)
    {
        IContractionKernels contraction = (IContractionKernels)ctx.get_data(ContractionKey);
        return [DiscoContractAdjointFunction.apply(grad_output, contraction), null!];
    }
}

/// <summary>Autograd wrapper of <see cref="IContractionKernels.ContractAdjointNoGrad"/>; its backward is the forward contraction.</summary>
internal sealed class DiscoContractAdjointFunction : torch.autograd.SingleTensorFunction<DiscoContractAdjointFunction>
{
    public override string Name => "DiscoContractAdjoint";

    public override torch.Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        IContractionKernels contraction = (IContractionKernels)vars[1];
        ctx.save_data(DiscoContractFunction.ContractionKey, contraction);
        return contraction.ContractAdjointNoGrad((torch.Tensor)vars[0]);
    }

    public override List<torch.Tensor> backward(torch.autograd.AutogradContext ctx, torch.Tensor grad_output)
    {
        IContractionKernels contraction = (IContractionKernels)ctx.get_data(DiscoContractFunction.ContractionKey);
        return [DiscoContractFunction.apply(grad_output, contraction), null!];
    }
}
