using TorchSharp;

namespace Disco.Geo.Sphere.Tests.Runtime;

public class NativeRuntimeTests
{
    [Fact]
    public void Libtorch_loads_in_the_test_host()
    {
        // Fails with TypeInitializationException when libLibTorchSharp.so still requires GLIBCXX_3.4.32.
        using torch.Tensor x = torch.arange(1, 5, dtype: torch.float64);
        Assert.Equal(10.0, x.sum().item<double>());
    }

    [Fact]
    public void Malloc_thresholds_are_set_before_the_first_test()
    {
        Assert.True(MallocTuning.Applied);
    }

    [Fact]
    public void OpenMp_threads_wait_passively_unless_the_user_chose_otherwise()
    {
        // The native environment, which libgomp reads, not .NET's copy.
        Assert.NotNull(NativeEnvironment.OpenMpWaitPolicy);
        Assert.Equal(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "PASSIVE", NativeEnvironment.OpenMpWaitPolicy);
    }

    [Fact]
    public void OneDnn_is_capped_at_avx2_unless_the_user_chose_otherwise()
    {
        Assert.Equal(Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") ?? "SSE41", NativeEnvironment.OneDnnMaxIsa);
    }
}
