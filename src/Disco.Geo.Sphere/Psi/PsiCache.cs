using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Disco.Geo.Sphere.Psi;

/// <summary>
/// Psi tensors by specification: in memory for the life of the process (layers with the same grids and basis share
/// one), and on disk for large grids so they are built once per machine. Files are keyed by the SHA-256 of every
/// parameter, carry the full parameter text and a SHA-256 of their contents, and are written to a temporary name then
/// renamed, so a crash never leaves a half-written file under a valid name. A file that fails any check is rebuilt.
/// </summary>
internal sealed class PsiCache
{
    /// <summary>Bumped whenever the psi construction or the file layout changes: older files are then ignored.</summary>
    public const int FormatVersion = 1;

    private static readonly byte[] Magic = "DISCOPSI"u8.ToArray();
    private readonly ConcurrentDictionary<PsiSpec, Lazy<PsiTensor>> _memory = new();
    private readonly ILogger _logger;

    public PsiCache(string? directory, long minimumNodesOnDisk = 1 << 16, ILogger? logger = null)
    {
        Directory = directory;
        MinimumNodesOnDisk = minimumNodesOnDisk;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The process-wide cache, on disk under <see cref="DefaultDirectory"/>.</summary>
    public static PsiCache Shared { get; } = new(DefaultDirectory());

    /// <summary>Where psi files go (null: memory only).</summary>
    public string? Directory { get; }

    /// <summary>Grids with fewer row × column nodes than this are cheap to rebuild and stay in memory only.</summary>
    public long MinimumNodesOnDisk { get; }

    /// <summary>$DISCO_GEO_CACHE/psi, else $XDG_CACHE_HOME/disco-geo/psi, else ~/.cache/disco-geo/psi.</summary>
    public static string DefaultDirectory()
    {
        string? root = Environment.GetEnvironmentVariable("DISCO_GEO_CACHE");
        if (string.IsNullOrWhiteSpace(root))
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            root = Path.Combine(string.IsNullOrWhiteSpace(xdg) ? Path.Combine(home, ".cache") : xdg, "disco-geo");
        }

        return Path.Combine(root, "psi");
    }

    /// <summary>Returns psi for <paramref name="spec"/>, building it at most once.</summary>
    public PsiTensor GetOrBuild(PsiSpec spec) =>
        _memory.GetOrAdd(spec, s => new Lazy<PsiTensor>(() => LoadOrBuild(s), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    private PsiTensor LoadOrBuild(PsiSpec spec)
    {
        long nodes = spec.RowGrid.NodeCount + spec.ColumnGrid.NodeCount;
        if (Directory is null || nodes < MinimumNodesOnDisk)
        {
            return PsiBuilder.Build(spec);
        }

        string path = Path.Combine(Directory, spec.Key() + ".psi");
        if (File.Exists(path))
        {
            try
            {
                PsiTensor? loaded = Read(path, spec);
                if (loaded is not null)
                {
                    return loaded;
                }

                _logger.LogWarning("Psi cache file {Path} does not match its specification or version; rebuilding it", path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or EndOfStreamException or ArgumentException)
            {
                _logger.LogWarning(e, "Psi cache file {Path} is unreadable; rebuilding it", path);
            }
        }

        PsiTensor built = PsiBuilder.Build(spec);
        try
        {
            Write(path, spec, built);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only or full cache directory costs a rebuild next time, never a failure now.
            _logger.LogWarning(e, "Could not write psi cache file {Path}", path);
        }

        return built;
    }

    internal static void Write(string path, PsiSpec spec, PsiTensor psi)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (FileStream file = new(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                using IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                using (BinaryWriter writer = new(new HashingStream(file, hash), Encoding.UTF8, leaveOpen: true))
                {
                    writer.Write(Magic);
                    writer.Write(FormatVersion);
                    writer.Write(spec.CanonicalText());
                    writer.Write(psi.KernelSize);
                    writer.Write(psi.NLatOut);
                    writer.Write(psi.NLonOut);
                    writer.Write(psi.NLatIn);
                    writer.Write(psi.NLonIn);
                    writer.Write(psi.StoredEntries);
                    // Arrays go out as raw little-endian bytes: one hash update and one copy per array.
                    writer.Write(MemoryMarshal.AsBytes(psi.RowOffsets.AsSpan()));
                    writer.Write(MemoryMarshal.AsBytes(psi.Columns.AsSpan()));
                    writer.Write(MemoryMarshal.AsBytes(psi.Values.AsSpan()));
                }

                file.Write(hash.GetHashAndReset());
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    internal static PsiTensor? Read(string path, PsiSpec spec)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < Magic.Length + 32)
        {
            return null;
        }

        ReadOnlySpan<byte> payload = bytes.AsSpan(0, bytes.Length - 32);
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
        {
            return null;
        }

        using BinaryReader reader = new(new MemoryStream(bytes, 0, payload.Length), Encoding.UTF8);
        if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic) || reader.ReadInt32() != FormatVersion ||
            reader.ReadString() != spec.CanonicalText())
        {
            return null;
        }

        int kernelSize = reader.ReadInt32();
        int nlatOut = reader.ReadInt32();
        int nlonOut = reader.ReadInt32();
        int nlatIn = reader.ReadInt32();
        int nlonIn = reader.ReadInt32();
        int entries = reader.ReadInt32();
        if (kernelSize != spec.Basis.KernelSize || nlatOut != spec.RowGrid.NLat || nlonOut != spec.RowGrid.NLon ||
            nlatIn != spec.ColumnGrid.NLat || nlonIn != spec.ColumnGrid.NLon || entries < 0 ||
            (long)entries * 12 + (kernelSize * (long)nlatOut + 1) * 4 > payload.Length - reader.BaseStream.Position)
        {
            return null;
        }

        int position = (int)reader.BaseStream.Position;
        int[] offsets = new int[kernelSize * nlatOut + 1];
        int[] columns = new int[entries];
        double[] values = new double[entries];
        position = CopyOut(bytes, position, MemoryMarshal.AsBytes(offsets.AsSpan()));
        position = CopyOut(bytes, position, MemoryMarshal.AsBytes(columns.AsSpan()));
        position = CopyOut(bytes, position, MemoryMarshal.AsBytes(values.AsSpan()));
        if (position != payload.Length || offsets[0] != 0 || offsets[^1] != entries)
        {
            return null;
        }

        return new PsiTensor(kernelSize, nlatOut, nlonOut, nlatIn, nlonIn, offsets, columns, values);
    }

    private static int CopyOut(byte[] source, int position, Span<byte> destination)
    {
        source.AsSpan(position, destination.Length).CopyTo(destination);
        return position + destination.Length;
    }

    /// <summary>Feeds everything written through it into a running hash.</summary>
    private sealed class HashingStream(Stream inner, IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            inner.Write(buffer);
        }
    }
}
