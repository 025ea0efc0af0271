using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

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
    /// <summary>
    /// Free blocks kept for reuse; more are released, smallest first. A training step of the reference U-Net holds about
    /// a hundred blocks at its peak (outputs, input gradients, kept contractions, per-core scratch); with 64 the blocks
    /// released after each step had to be mapped and faulted in again by the next (measured: the level-0 convolutions'
    /// backward 18 → 36 ms). The cap only guards against unbounded variety of sizes.
    /// </summary>
    internal const int MaxFreeBlocks = 1024;

    private const long HugePageBytes = 2L * 1024 * 1024;
    private const int MadviseHugePage = 14;
    private const int ProtectReadWrite = 3;
    private const int MapPrivateAnonymous = 0x22;

    private static readonly object Gate = new();
    private static readonly List<(nint Address, long Bytes)> FreeBlocks = [];

    // Blocks lent to tensors from EmptyTensor, by address, until libtorch's deleter hands them back.
    private static readonly Dictionary<nint, long> Outstanding = [];

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

    /// <summary>
    /// An uninitialised contiguous CPU tensor of float32 or float64 whose memory is a workspace block, handed back to
    /// the workspace when libtorch frees the tensor. For the kernels' outputs: a tensor from libtorch's allocator comes
    /// from glibc, which splits a freed block for later small allocations, so the next call's output of the same size
    /// no longer fits, extends the heap and page-faults every page again (measured: 4,074 faults, 16 MB, on every
    /// 181×360 64-channel layer forward, a quarter of its time; none with a block from here).
    /// </summary>
    public static torch.Tensor EmptyTensor(long[] shape, torch.ScalarType dtype)
    {
        int elementSize = dtype switch
        {
            torch.ScalarType.Float32 => sizeof(float),
            torch.ScalarType.Float64 => sizeof(double),
            _ => throw new ArgumentException($"Workspace tensors are float32 or float64, not {dtype}.", nameof(dtype)),
        };
        long elements = 1;
        foreach (long extent in shape)
        {
            elements *= extent;
        }

        Lease lease = Rent<byte>(elements * elementSize);
        lock (Gate)
        {
            Outstanding[lease.Address] = lease.Bytes;
        }

        nint handle;
        fixed (long* sizes = shape)
        {
            handle = THSTensor_new(lease.Address, &ReleaseTensorMemory, sizes, shape.Length, (sbyte)dtype, (sbyte)dtype, 0, 0, false);
        }

        if (handle == 0)
        {
            // libtorch did not take the block, so it will not call the deleter: hand it back here.
            lock (Gate)
            {
                Outstanding.Remove(lease.Address);
            }

            lease.Dispose();
            torch.CheckForErrors();
            throw new InvalidOperationException("libtorch could not wrap a workspace block as a tensor.");
        }

        return torch.Tensor.UnsafeCreateTensor(handle);
    }

    // libtorch's deleter for EmptyTensor's storage; runs on whichever thread frees the last reference.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void ReleaseTensorMemory(nint address)
    {
        long bytes;
        lock (Gate)
        {
            if (!Outstanding.Remove(address, out bytes))
            {
                return;
            }
        }

        Return(address, bytes);
    }

    [LibraryImport("LibTorchSharp")]
    private static partial nint THSTensor_new(
        nint data, delegate* unmanaged[Cdecl]<nint, void> deleter, long* sizes, int length, sbyte scalarType, sbyte dtype, int deviceType, int deviceIndex,
        [MarshalAs(UnmanagedType.U1)] bool requiresGrad);

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

        /// <summary>Size of the block in bytes (at least what was asked for).</summary>
        public readonly long Bytes => _bytes;

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
