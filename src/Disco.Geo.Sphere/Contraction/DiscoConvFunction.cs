using TorchSharp;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>
/// Autograd wrapper of the CPU kernel's fused contraction + mixing, y = weight · contract(x), for training.
/// The forward keeps z (written from the block being mixed, so it is not read back; in workspace memory, see
/// <see cref="KeptContraction"/>) for the weight gradient; the backward is the mixing's adjoint (dz = weightᵀ · dy), the
/// weight gradient (dy · zᵀ) and the adjoint contraction of dz, all on the CPU kernels. When the backward itself is
/// being differentiated (create_graph, so grad mode is on inside it), it is composed from differentiable operations
/// instead, so higher derivatives stay exact.
/// </summary>
internal sealed class DiscoConvFunction : torch.autograd.SingleTensorFunction<DiscoConvFunction>
{
    private const string ContractionKey = "contraction";
    private const string KeptKey = "kept";

    public override string Name => "DiscoConv";

    public override torch.Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        torch.Tensor x = (torch.Tensor)vars[0], weight = (torch.Tensor)vars[1];
        CpuDiscoContraction contraction = (CpuDiscoContraction)vars[2];
        (torch.Tensor y, KeptContraction kept) = contraction.ContractAndMixKeeping(x, weight);
        ctx.save_data(ContractionKey, contraction);
        ctx.save_data(KeptKey, kept);
        ctx.save_for_backward([x, weight]);
        return y;
    }

    public override List<torch.Tensor> backward(torch.autograd.AutogradContext ctx, torch.Tensor grad_output)
    {
        CpuDiscoContraction contraction = (CpuDiscoContraction)ctx.get_data(ContractionKey);
        KeptContraction kept = (KeptContraction)ctx.get_data(KeptKey);
        List<torch.Tensor> saved = ctx.get_saved_variables();
        torch.Tensor x = saved[0], weight = saved[1];
        if (torch.is_grad_enabled())
        {
            kept.Dispose();
            torch.Tensor expanded = DiscoContractFunction.apply(x, contraction);
            torch.Tensor weightGradient = torch.einsum("botq,bcktq->ock", grad_output, expanded);
            torch.Tensor mixed = torch.einsum("ock,botq->bcktq", weight, grad_output);
            return [DiscoContractAdjointFunction.apply(mixed, contraction), weightGradient, null!];
        }

        (torch.Tensor dx, torch.Tensor dw) = contraction.BackwardNoGrad(x, weight, grad_output, kept);
        return [dx, dw, null!];
    }
}
