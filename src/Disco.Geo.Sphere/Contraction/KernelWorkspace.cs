using System.Runtime.InteropServices;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>
/// Scratch memory of the CPU kernels (the K-expanded intermediate, the phase-split source rows, per-core blocks), kept
/// between calls instead of allocated and freed by every call.
/// <para>
/// Why: glibc hands a freed block back to later small allocations (tensor headers, scalars awaiting finalisation), so
/// the next call of the same size often does not fit into it and gets fresh pages. First touch of a fresh 4 KB page
/// cost about 6 µs on the 2-vCPU VM (2026-12-07): the 361×720 → 361×720 forward, whose 266 MB intermediate came
/// fresh in some calls and not in others, measured 130 ms or 1,500 ms (65,000 page faults) in the same process, and
/// whole processes landed in one mode or the other. Blocks from here are reused as they are; blocks of 2 MB or more
/// are mapped outside glibc's heap, 2 MB-aligned and advised as transparent huge pages, so even a new one costs one
/// fault per 2 MB.
/// </para>
/// <para>
/// At most <see cref="MaxFreeBlocks"/> free blocks are kept; the memory held is bounded by what the largest calls need
/// at once (the process's glibc tuning keeps freed memory resident anyway, see src/Shared/MallocTuning.cs).
/// </para>
/// </summary>
internal static unsafe partial class KernelWorkspace
{
    /// <summary>Free blocks kept for reuse; more are released, smallest first.</summary>
    internal const int MaxFreeBlocks = 64;

    private const long HugePageBytes = 2L * 1024 * 1024;
    private const int MadviseHugePage = 14;
    private const int ProtectReadWrite = 3;
    private const int MapPrivateAnonymous = 0x22;

    private static readonly object Gate = new();
    private static readonly List<(nint Address, long Bytes)> FreeBlocks = [];

    /// <summary>Blocks obtained from the allocator so far (tests check that repeated calls reuse them).</summary>
    internal static long BlocksAllocated { get; private set; }

    /// <summary>A block of at least <paramref name="elements"/> elements of T, 64-byte aligned, contents undefined.</summary>
    public static Lease Rent<T>(long elements)
        where T : unmanaged
    {
        long bytes = Math.Max(64, elements * sizeof(T));
        lock (Gate)
        {
            // Smallest free block that fits, so a small request does not take the block a large one will want.
            int best = -1;
            for (int n = 0; n < FreeBlocks.Count; n++)
            {
                if (FreeBlocks[n].Bytes >= bytes && (best < 0 || FreeBlocks[n].Bytes < FreeBlocks[best].Bytes))
                {
                    best = n;
                }
            }

            if (best >= 0)
            {
                (nint address, long size) = FreeBlocks[best];
                FreeBlocks.RemoveAt(best);
                return new Lease(address, size);
            }

            BlocksAllocated++;
        }

        return new Lease(AllocateBlock(ref bytes), bytes);
    }

    /// <summary>Releases every free block (tests; a server could call it when idle).</summary>
    internal static void Trim()
    {
        lock (Gate)
        {
            foreach ((nint address, long bytes) in FreeBlocks)
            {
                FreeBlock(address, bytes);
            }

            FreeBlocks.Clear();
        }
    }

    private static void Return(nint address, long bytes)
    {
        lock (Gate)
        {
            FreeBlocks.Add((address, bytes));
            if (FreeBlocks.Count <= MaxFreeBlocks)
            {
                return;
            }

            int smallest = 0;
            for (int n = 1; n < FreeBlocks.Count; n++)
            {
                if (FreeBlocks[n].Bytes < FreeBlocks[smallest].Bytes)
                {
                    smallest = n;
                }
            }

            FreeBlock(FreeBlocks[smallest].Address, FreeBlocks[smallest].Bytes);
            FreeBlocks.RemoveAt(smallest);
        }
    }

    private static nint AllocateBlock(ref long bytes)
    {
        if (bytes < HugePageBytes || !OperatingSystem.IsLinux())
        {
            bytes = (bytes + 63) / 64 * 64;
            return (nint)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        }

        // Large blocks are mapped outside glibc's heap, so they neither fragment it nor get split by its small
        // allocations; 2 MB-aligned (over-map, then unmap the slack) so that every 2 MB of the block can be one page.
        bytes = (bytes + HugePageBytes - 1) / HugePageBytes * HugePageBytes;
        nint mapped = Mmap(0, (nuint)(bytes + HugePageBytes), ProtectReadWrite, MapPrivateAnonymous, -1, 0);
        if (mapped == -1)
        {
            throw new OutOfMemoryException($"Could not map {bytes} bytes of kernel workspace.");
        }

        nint start = (nint)((mapped + HugePageBytes - 1) / HugePageBytes * HugePageBytes);
        if (start > mapped)
        {
            _ = Munmap(mapped, (nuint)(start - mapped));
        }

        nint end = start + (nint)bytes, mappedEnd = mapped + (nint)(bytes + HugePageBytes);
        if (mappedEnd > end)
        {
            _ = Munmap(end, (nuint)(mappedEnd - end));
        }

        // Advice only: with THP off (or "never") the block works the same, with 4 KB pages.
        _ = Madvise(start, (nuint)bytes, MadviseHugePage);
        return start;
    }

    private static void FreeBlock(nint address, long bytes)
    {
        if (bytes < HugePageBytes || !OperatingSystem.IsLinux())
        {
            NativeMemory.AlignedFree((void*)address);
        }
        else
        {
            _ = Munmap(address, (nuint)bytes);
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);

    [LibraryImport("libc.so.6", EntryPoint = "mmap")]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int descriptor, nint offset);

    [LibraryImport("libc.so.6", EntryPoint = "munmap")]
    private static partial int Munmap(nint address, nuint length);

    /// <summary>A rented block; disposing returns it to the workspace (once).</summary>
    internal struct Lease : IDisposable
    {
        private nint _address;
        private readonly long _bytes;

        internal Lease(nint address, long bytes)
        {
            _address = address;
            _bytes = bytes;
        }

        /// <summary>Start of the block.</summary>
        public readonly nint Address => _address;

        /// <summary>The block as a T pointer.</summary>
        public readonly T* Pointer<T>()
            where T : unmanaged => (T*)_address;

        public void Dispose()
        {
            if (_address != 0)
            {
                Return(_address, _bytes);
                _address = 0;
            }
        }
    }
}
