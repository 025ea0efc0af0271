using Disco.Geo.Sphere.Contraction;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Models;

/// <summary>
/// The 1×1 convolution y[b] = W · x[b] + bias on contiguous CPU tensors as one autograd node on the CPU mixing kernels
/// (<see cref="CpuBatchedProducts"/>): the forward adds the bias while each column block is in cache, the backward
/// computes dx = Wᵀ · dy and dW = Σ_b dy[b] · x[b]ᵀ the same way and db = Σ dy. libtorch's matmul of these short, wide
/// products (Cout, Cin ≤ 256 against 10⁴–10⁵ grid points) and its separate bias pass were several times the memory
/// traffic. When the backward is itself differentiated (create_graph), it is composed from differentiable operations.
/// </summary>
internal sealed unsafe class PointwiseConvFunction : autograd.SingleTensorFunction<PointwiseConvFunction>
{
    public override string Name => "PointwiseConv";

    /// <summary>Whether the kernels take these tensors: CPU, float32 or float64, x [B, Cin, H, W].</summary>
    public static bool Supports(Tensor x, Tensor weight) =>
        x.device_type == DeviceType.CPU && weight.device_type == DeviceType.CPU && x.dim() == 4 && x.dtype == weight.dtype &&
        x.dtype is ScalarType.Float32 or ScalarType.Float64;

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        Tensor x = (Tensor)vars[0], weight = (Tensor)vars[1], bias = (Tensor)vars[2];
        using Tensor input = x.detach().contiguous();
        using Tensor w = weight.detach().contiguous();
        using Tensor b = bias.detach().contiguous();
        int batch = checked((int)x.shape[0]), inChannels = checked((int)x.shape[1]), outChannels = checked((int)w.shape[0]);
        int plane = checked((int)(x.shape[2] * x.shape[3]));
        Tensor y = KernelWorkspace.EmptyTensor([batch, outChannels, x.shape[2], x.shape[3]], x.dtype);
        if (x.dtype == ScalarType.Float32)
        {
            CpuBatchedProducts.Multiply(
                TensorData.Pointer<float>(w), outChannels, inChannels, TensorData.Pointer<float>(input), TensorData.Pointer<float>(y), batch, plane, true, TensorData.Pointer<float>(b));
        }
        else
        {
            CpuBatchedProducts.Multiply(
                TensorData.Pointer<double>(w), outChannels, inChannels, TensorData.Pointer<double>(input), TensorData.Pointer<double>(y), batch, plane, true, TensorData.Pointer<double>(b));
        }

        GC.KeepAlive(input);
        GC.KeepAlive(w);
        GC.KeepAlive(b);
        ctx.save_for_backward([x, weight]);
        return y;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        List<Tensor> saved = ctx.get_saved_variables();
        Tensor x = saved[0], weight = saved[1];
        long batch = x.shape[0], inChannels = x.shape[1], outChannels = weight.shape[0], height = x.shape[2], width = x.shape[3];
        if (is_grad_enabled())
        {
            Tensor dy = grad_output.reshape(batch, outChannels, height * width);
            Tensor dxComposed = matmul(weight.t(), dy).view(batch, inChannels, height, width);
            Tensor dwComposed = einsum("bon,bcn->oc", dy, x.reshape(batch, inChannels, height * width));
            return [dxComposed, dwComposed, grad_output.sum([0, 2, 3])];
        }

        using Tensor gradient = grad_output.contiguous();
        using Tensor input = x.detach().contiguous();
        using Tensor transposed = weight.detach().t().contiguous();
        int plane = checked((int)(height * width));
        Tensor dx = KernelWorkspace.EmptyTensor([batch, inChannels, height, width], x.dtype);
        Tensor dw = zeros([outChannels, inChannels], dtype: x.dtype, device: CPU);
        if (x.dtype == ScalarType.Float32)
        {
            Gradients(TensorData.Pointer<float>(transposed), TensorData.Pointer<float>(gradient), TensorData.Pointer<float>(input), TensorData.Pointer<float>(dx), TensorData.Pointer<float>(dw));
        }
        else
        {
            Gradients(TensorData.Pointer<double>(transposed), TensorData.Pointer<double>(gradient), TensorData.Pointer<double>(input), TensorData.Pointer<double>(dx), TensorData.Pointer<double>(dw));
        }

        GC.KeepAlive(gradient);
        GC.KeepAlive(input);
        GC.KeepAlive(transposed);
        return [dx, dw, gradient.sum([0, 2, 3])];

        void Gradients<T>(T* wt, T* dy, T* xs, T* dxs, T* dws)
            where T : unmanaged
        {
            CpuBatchedProducts.Multiply(wt, (int)inChannels, (int)outChannels, dy, dxs, (int)batch, plane, true);
            CpuBatchedProducts.MultiplyTransposedSum(dy, (int)outChannels, xs, (int)inChannels, dws, (int)batch, plane, true);
        }
    }
}
