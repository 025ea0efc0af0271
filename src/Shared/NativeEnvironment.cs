using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Disco.Geo;

/// <summary>
/// Environment variables that libtorch's native libraries read once, set through libc before any tensor exists
/// (.NET's Environment.SetEnvironmentVariable does not reach the native environment on Unix). A value the user set
/// wins. Compiled into every executable and test host (see Directory.Build.targets).
/// </summary>
internal static partial class NativeEnvironment
{
    /// <summary>The OpenMP wait policy in effect for this process's native code.</summary>
    public static string? OpenMpWaitPolicy { get; private set; }

    /// <summary>The highest instruction set oneDNN may use in this process.</summary>
    public static string? OneDnnMaxIsa { get; private set; }

#pragma warning disable CA2255 // Runs in application and test entry assemblies only, before Main or the first test.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            // OpenMP worker threads sleep instead of spinning while they wait. With the default (active) policy, two
            // threads on a 2-core machine that also runs anything else (the gRPC server, a second job, a build) spin
            // against each other: measured 5–10× slower training steps (3.8 s instead of 0.37 s at 181×360).
            OpenMpWaitPolicy = SetUnlessSet("OMP_WAIT_POLICY", "PASSIVE");

            // libtorch 2.10's oneDNN computes wrong input gradients for float32 Conv2d with its AVX-512 kernels: on an
            // AVX-512 EPYC, a 3×3 convolution 8→8 channels on a 17×32 image (batch 2) returned an input gradient off
            // by up to 1.1 (values ~1) in 278 of 300 draws, and NaN in 9, against a float64 reference; 16→16 channels
            // were right. The planar U-Net then trains on garbage and diverges at random steps. Capped at AVX2 every
            // draw matches to 2e-6 (Conv2dGradientTests). DISCO layers use our own kernels and are unaffected.
            // AVX2 is not enough either: the default planar baseline at 65×128 (batch 2) still hit a NaN loss or
            // gradient within 12 short trainings in every one of 6 test processes (PlanarTrainingStabilityTests),
            // while with SSE4.1 kernels 18 trainings in 2 processes stayed finite (2026-12-07).
            OneDnnMaxIsa = SetUnlessSet("ONEDNN_MAX_CPU_ISA", "SSE41");

            // Not set here: THP_MEM_ALLOC_ENABLE=1 (libtorch advises its tensors of 2 MB or more as transparent huge
            // pages). It removed the first-touch faults of libtorch's own large tensors, but made the tensor-op
            // contraction's forward+backward at 361×720 5× slower (fresh 2 MB pages on every call) and raised its peak
            // from 2.0 to 3.5 GiB (bench/results/speed-kernel-notes.md, 2026-12-07). The DISCO kernels' scratch memory
            // comes from KernelWorkspace instead, reused across calls and mapped as huge pages there; users may still
            // set the variable themselves.
        }
        catch (DllNotFoundException)
        {
        }
        catch (EntryPointNotFoundException)
        {
        }
    }

    private static string? SetUnlessSet(string name, string value)
    {
        // overwrite = 0: a value from the environment is kept.
        SetEnvironment(name, value, 0);
        return Marshal.PtrToStringUTF8(GetEnvironment(name));
    }

    [LibraryImport("libc.so.6", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);

    [LibraryImport("libc.so.6", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetEnvironment(string name);
}
