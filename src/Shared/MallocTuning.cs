using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Disco.Geo;

/// <summary>
/// Tunes glibc malloc before anything allocates tensors. libtorch's CPU allocator uses malloc, and by default glibc
/// returns every freed block above the mmap threshold (4-250 MB tensors) to the OS, so the next allocation
/// page-faults it back in: measured 2-10x slower convolutions. Raising the mmap and trim thresholds keeps those
/// pages in the process. The price: RSS does not shrink after a peak, and heap fragmentation lets it settle at a few
/// times the largest working set (measured: repeated 0.5 GB allocate/free cycles plateau at 5.8 GB instead of 1.2 GB).
/// DISCO_MALLOC_MMAP_THRESHOLD (bytes; 0 leaves glibc's defaults alone) trades that memory back for speed.
/// Compiled into every executable and test host (see Directory.Build.targets).
/// </summary>
internal static partial class MallocTuning
{
    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;
    private const int DefaultMmapThreshold = 1 << 30;

    /// <summary>True once the thresholds were accepted by glibc (false on non-glibc platforms or when disabled).</summary>
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

        int threshold = DefaultMmapThreshold;
        string? setting = Environment.GetEnvironmentVariable("DISCO_MALLOC_MMAP_THRESHOLD");
        if (!string.IsNullOrWhiteSpace(setting) &&
            long.TryParse(setting, NumberStyles.Integer, CultureInfo.InvariantCulture, out long requested) && requested >= 0)
        {
            if (requested == 0)
            {
                return;
            }

            threshold = (int)Math.Min(requested, DefaultMmapThreshold);
        }

        try
        {
            Applied = Mallopt(MMmapThreshold, threshold) == 1 && Mallopt(MTrimThreshold, int.MaxValue) == 1;
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
