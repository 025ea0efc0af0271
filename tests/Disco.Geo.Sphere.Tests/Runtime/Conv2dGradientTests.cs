using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Tests.Runtime;

/// <summary>
/// The planar baseline trains through libtorch's Conv2d; its gradients must be right on whatever CPU runs the tests.
/// On AVX-512 machines libtorch 2.10's oneDNN kernels got the input gradient of small-channel convolutions wrong
/// (see NativeEnvironment); these shapes are the ones that failed there.
/// </summary>
public class Conv2dGradientTests
{
    [Theory]
    [InlineData(8, 8, 17, 32, 1)]
    [InlineData(2, 8, 19, 34, 1)]
    [InlineData(8, 16, 17, 32, 2)]
    [InlineData(16, 8, 11, 18, 1)]
    public void Conv2d_input_and_weight_gradients_match_a_double_precision_reference(int inChannels, int outChannels, int height, int width, int stride)
    {
        using Generator generator = new(7, CPU);
        using TorchSharp.Modules.Conv2d conv = nn.Conv2d(inChannels, outChannels, 3L, stride: stride, padding: 0L);
        for (int draw = 0; draw < 20; draw++)
        {
            using DisposeScope scope = NewDisposeScope();
            Tensor x = randn([2, inChannels, height, width], generator: generator).requires_grad_();
            conv.zero_grad();
            Tensor y = conv.forward(x);
            Tensor upstream = randn(y.shape, generator: generator);
            (y * upstream).sum().backward();

            Tensor x64 = x.detach().to(float64).requires_grad_();
            Tensor w64 = conv.weight!.detach().to(float64).requires_grad_();
            Tensor y64 = nn.functional.conv2d(x64, w64, conv.bias!.detach().to(float64), strides: [stride, stride]);
            (y64 * upstream.to(float64)).sum().backward();

            Assert.True(MaxError(y, y64) < 1e-4, $"draw {draw}: forward off by {MaxError(y, y64):G3}");
            Assert.True(MaxError(x.grad!, x64.grad!) < 1e-4, $"draw {draw}: input gradient off by {MaxError(x.grad!, x64.grad!):G3}");
            Assert.True(MaxError(conv.weight.grad!, w64.grad!) < 1e-3, $"draw {draw}: weight gradient off by {MaxError(conv.weight.grad!, w64.grad!):G3}");
        }
    }

    private static double MaxError(Tensor actual, Tensor expected) =>
        (actual.detach().to(float64) - expected.detach()).abs().max().ToDouble() is double e && double.IsFinite(e) ? e : double.PositiveInfinity;
}
