using System.Runtime.InteropServices;

namespace Disco.Geo.Bench.Speed;

/// <summary>
/// This process's CPU time, page faults and context switches (getrusage), for telling apart a phase that computes
/// from one that waits for a core or for the kernel to map pages.
/// </summary>
internal static partial class ProcessUsage
{
    private const int Self = 0;

    /// <summary>One sample: user and system CPU milliseconds, minor faults, voluntary and involuntary context switches.</summary>
    internal readonly record struct Sample(double UserMs, double SystemMs, long MinorFaults, long VoluntarySwitches, long InvoluntarySwitches)
    {
        public static Sample operator -(Sample a, Sample b) =>
            new(a.UserMs - b.UserMs, a.SystemMs - b.SystemMs, a.MinorFaults - b.MinorFaults, a.VoluntarySwitches - b.VoluntarySwitches, a.InvoluntarySwitches - b.InvoluntarySwitches);
    }

    public static Sample Now()
    {
        if (!OperatingSystem.IsLinux() || GetResourceUsage(Self, out ResourceUsage usage) != 0)
        {
            return default;
        }

        return new(
            (usage.UserSeconds * 1e3) + (usage.UserMicroseconds * 1e-3),
            (usage.SystemSeconds * 1e3) + (usage.SystemMicroseconds * 1e-3),
            usage.MinorFaults,
            usage.VoluntarySwitches,
            usage.InvoluntarySwitches);
    }

    // struct rusage on x86-64/arm64 Linux: two timevals, then 14 longs.
    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceUsage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public long MaxRss;
        public long SharedMemory;
        public long UnsharedData;
        public long UnsharedStack;
        public long MinorFaults;
        public long MajorFaults;
        public long Swaps;
        public long BlockInputs;
        public long BlockOutputs;
        public long MessagesSent;
        public long MessagesReceived;
        public long Signals;
        public long VoluntarySwitches;
        public long InvoluntarySwitches;
    }

    [LibraryImport("libc.so.6", EntryPoint = "getrusage")]
    private static partial int GetResourceUsage(int who, out ResourceUsage usage);
}
