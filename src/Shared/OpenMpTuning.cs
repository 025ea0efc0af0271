using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Disco.Geo;

/// <summary>
/// Makes libtorch's OpenMP worker threads sleep instead of spin while they wait. With the default (active) policy,
/// two threads on a 2-core machine that also runs anything else (the gRPC server, a second job, a build) spin against
/// each other: measured 5–10× slower training steps (3.8 s instead of 0.37 s at 181×360). libgomp reads
/// OMP_WAIT_POLICY once, when libtorch is loaded, and .NET's Environment.SetEnvironmentVariable does not reach the
/// native environment on Unix, so this sets it through libc before any tensor exists. A value the user set wins.
/// Compiled into every executable and test host (see Directory.Build.targets).
/// </summary>
internal static partial class OpenMpTuning
{
    /// <summary>The wait policy in effect for this process's native code.</summary>
    public static string? WaitPolicy { get; private set; }

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
            // overwrite = 0: an explicit OMP_WAIT_POLICY from the environment is kept.
            SetEnvironment("OMP_WAIT_POLICY", "PASSIVE", 0);
            WaitPolicy = Marshal.PtrToStringUTF8(GetEnvironment("OMP_WAIT_POLICY"));
        }
        catch (DllNotFoundException)
        {
        }
        catch (EntryPointNotFoundException)
        {
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);

    [LibraryImport("libc.so.6", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetEnvironment(string name);
}
