using Disco.Geo.Sphere.Contraction;
using Disco.Geo.Sphere.Psi;
using TorchSharp;
using static Disco.Geo.Sphere.Tests.Contraction.ContractionTestData;

namespace Disco.Geo.Sphere.Tests.Contraction;

public class ContractionValidationTests
{
    private static readonly PsiTensor Psi = RandomPsi(new Random(5), kernelSize: 2, nlatOut: 3, nlonOut: 4, nlatIn: 5, nlonIn: 8);

    public static IEnumerable<object[]> Backends() => Enum.GetNames<ContractionBackend>().Select(name => new object[] { name });

    [Theory]
    [MemberData(nameof(Backends))]
    public void Wrong_rank_names_the_tensor_and_suggests_unsqueeze(string backend)
    {
        using IDiscoContraction contraction = Create(backend);
        using torch.Tensor x = torch.zeros(2, 5, 8, dtype: torch.ScalarType.Float32);
        ArgumentException error = Assert.Throws<ArgumentException>(() => contraction.Contract(x));
        Assert.Equal("x", error.ParamName);
        Assert.Contains("unsqueeze(0)", error.Message, StringComparison.Ordinal);

        using torch.Tensor z = torch.zeros(1, 2, 3, 4, dtype: torch.ScalarType.Float32);
        Assert.Equal("z", Assert.Throws<ArgumentException>(() => contraction.ContractAdjoint(z)).ParamName);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Wrong_grid_shape_names_the_tensor_and_the_expected_shape(string backend)
    {
        using IDiscoContraction contraction = Create(backend);
        using torch.Tensor x = torch.zeros(1, 2, 6, 8, dtype: torch.ScalarType.Float32);
        ArgumentException error = Assert.Throws<ArgumentException>(() => contraction.Contract(x));
        Assert.Equal("x", error.ParamName);
        Assert.Contains("[B, C, 5, 8]", error.Message, StringComparison.Ordinal);

        using torch.Tensor z = torch.zeros(new long[] { 1, 2, 3, 3, 4 }, dtype: torch.ScalarType.Float32);
        ArgumentException adjointError = Assert.Throws<ArgumentException>(() => contraction.ContractAdjoint(z));
        Assert.Equal("z", adjointError.ParamName);
        Assert.Contains("[B, C, 2, 3, 4]", adjointError.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Unsupported_dtypes_are_rejected_with_a_conversion_hint(string backend)
    {
        using IDiscoContraction contraction = Create(backend);
        foreach (torch.ScalarType dtype in new[] { torch.ScalarType.Int32, torch.ScalarType.Float16, torch.ScalarType.BFloat16 })
        {
            using torch.Tensor x = torch.zeros(new long[] { 1, 2, 5, 8 }, dtype: dtype);
            ArgumentException error = Assert.Throws<ArgumentException>(() => contraction.Contract(x));
            Assert.Equal("x", error.ParamName);
            Assert.Contains("float32", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Empty_batch_or_channels_are_rejected(string backend)
    {
        using IDiscoContraction contraction = Create(backend);
        using torch.Tensor x = torch.zeros(new long[] { 0, 2, 5, 8 }, dtype: torch.ScalarType.Float32);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => contraction.Contract(x)).ParamName);
    }

    [Fact]
    public void Cpu_kernel_rejects_tensors_on_other_devices()
    {
        using IDiscoContraction contraction = Create("CpuKernel");
        using torch.Tensor x = torch.zeros(new long[] { 1, 2, 5, 8 }, dtype: torch.ScalarType.Float32, device: new torch.Device(DeviceType.META));
        ArgumentException error = Assert.Throws<ArgumentException>(() => contraction.Contract(x));
        Assert.Equal("x", error.ParamName);
        Assert.Contains(".cpu()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Longitude_counts_that_do_not_divide_are_rejected()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() =>
            new PsiTensor(1, 2, 3, 2, 8, [0, 0, 0], [], []));
        Assert.Equal("nlonOut", error.ParamName);
    }

    [Fact]
    public void Malformed_psi_is_rejected_before_the_kernel_can_read_out_of_bounds()
    {
        PsiTensor outOfRange = new(1, 1, 4, 2, 8, [0, 1], [16], [1.0]);
        foreach (string backend in Enum.GetNames<ContractionBackend>())
        {
            ArgumentException error = Assert.Throws<ArgumentException>(() => DiscoContraction.Create(outOfRange, Enum.Parse<ContractionBackend>(backend)));
            Assert.Equal("psi", error.ParamName);
        }

        PsiTensor decreasing = new(1, 2, 4, 2, 8, [0, 2, 1], [0], [1.0]);
        Assert.Equal("psi", Assert.Throws<ArgumentException>(() => DiscoContraction.Create(decreasing, ContractionBackend.CpuKernel)).ParamName);
    }

    private static IDiscoContraction Create(string backend) => DiscoContraction.Create(Psi, Enum.Parse<ContractionBackend>(backend));
}
