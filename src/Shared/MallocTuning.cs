using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Disco.Geo;

/// <summary>
/// Tunes glibc malloc before anything allocates tensors. libtorch's CPU allocator uses malloc, and by default glibc
/// returns every freed block above the mmap threshold (4-250 MB tensors) to the OS, so the next allocation
/// page-faults it back in: measured 2-10x slower convolutions. Raising the mmap and trim thresholds keeps those
/// pages in the process. The price is that RSS does not shrink after a peak.
/// Compiled into every executable and test host (see Directory.Build.targets).
/// </summary>
internal static partial class MallocTuning
{
    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;

    /// <summary>True once the thresholds were accepted by glibc (false on non-glibc platforms).</summary>
    public static bool Applied { get; private set; }

#pragma warning disable CA2255 // Runs in application and test entry assemblies only, before Main or the first test.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply()
    {
        if (Applied || !OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            Applied = Mallopt(MMmapThreshold, 1 << 30) == 1 && Mallopt(MTrimThreshold, int.MaxValue) == 1;
        }
        catch (DllNotFoundException)
        {
            // musl or another libc without mallopt: nothing to tune.
        }
        catch (EntryPointNotFoundException)
        {
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);
}
