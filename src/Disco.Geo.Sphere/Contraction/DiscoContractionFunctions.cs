using TorchSharp;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>
/// Autograd wrapper of <see cref="CpuDiscoContraction.ContractNoGrad"/>. psi is a constant, so the backward is the
/// adjoint contraction of the incoming gradient; nothing needs to be saved but the contraction object itself.
/// The backward goes through the adjoint's own autograd function, so second derivatives work too.
/// </summary>
internal sealed class DiscoContractFunction : torch.autograd.SingleTensorFunction<DiscoContractFunction>
{
    internal const string ContractionKey = "contraction";

    public override string Name => "DiscoContract";

    public override torch.Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        CpuDiscoContraction contraction = (CpuDiscoContraction)vars[1];
        ctx.save_data(ContractionKey, contraction);
        return contraction.ContractNoGrad((torch.Tensor)vars[0]);
    }

    public override List<torch.Tensor> backward(torch.autograd.AutogradContext ctx, torch.Tensor grad_output)
    {
        CpuDiscoContraction contraction = (CpuDiscoContraction)ctx.get_data(ContractionKey);
        return [DiscoContractAdjointFunction.apply(grad_output, contraction), null!];
    }
}

/// <summary>Autograd wrapper of <see cref="CpuDiscoContraction.ContractAdjointNoGrad"/>; its backward is the forward contraction.</summary>
internal sealed class DiscoContractAdjointFunction : torch.autograd.SingleTensorFunction<DiscoContractAdjointFunction>
{
    public override string Name => "DiscoContractAdjoint";

    public override torch.Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        CpuDiscoContraction contraction = (CpuDiscoContraction)vars[1];
        ctx.save_data(DiscoContractFunction.ContractionKey, contraction);
        return contraction.ContractAdjointNoGrad((torch.Tensor)vars[0]);
    }

    public override List<torch.Tensor> backward(torch.autograd.AutogradContext ctx, torch.Tensor grad_output)
    {
        CpuDiscoContraction contraction = (CpuDiscoContraction)ctx.get_data(DiscoContractFunction.ContractionKey);
        return [DiscoContractFunction.apply(grad_output, contraction), null!];
    }
}
