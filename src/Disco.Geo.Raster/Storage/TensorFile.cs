using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace Disco.Geo.Raster.Storage;

/// <summary>
/// The file format of gridded datasets and prediction maps in the blob store, written by the server and read by the
/// engines and the download and tile paths.
/// <code>
/// bytes 0..7    ASCII "DSCTENS1"
/// bytes 8..11   uint32 little-endian: header length H
/// bytes 12..    H bytes of UTF-8 JSON {"dtype":"float32","shape":[bands,nlat,nlon],"mask":true|false}, space-padded so
///               the values start at a multiple of 64
/// then          float32 little-endian values [bands, nlat, nlon], row-major
/// then          when "mask" is true: uint8 validity [nlat, nlon] (1 valid, 0 no data)
/// </code>
/// </summary>
public sealed class TensorFile : IDisposable
{
    private const string Magic = "DSCTENS1";
    private readonly SafeFileHandle _handle;
    private readonly long _dataOffset;

    private TensorFile(SafeFileHandle handle, int bands, int nlat, int nlon, bool hasMask, long dataOffset)
    {
        _handle = handle;
        Bands = bands;
        NLat = nlat;
        NLon = nlon;
        HasMask = hasMask;
        _dataOffset = dataOffset;
    }

    /// <summary>Number of bands.</summary>
    public int Bands { get; }

    /// <summary>Number of latitude rows.</summary>
    public int NLat { get; }

    /// <summary>Number of longitude columns.</summary>
    public int NLon { get; }

    /// <summary>True when a validity mask follows the values.</summary>
    public bool HasMask { get; }

    private long PlaneBytes => (long)NLat * NLon * sizeof(float);

    private long MaskOffset => _dataOffset + (Bands * PlaneBytes);

    /// <summary>Opens a tensor file for reading; throws <see cref="InvalidDataException"/> when it is not one.</summary>
    /// <param name="path">The file.</param>
    public static TensorFile OpenRead(string path)
    {
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            Span<byte> prefix = stackalloc byte[12];
            if (RandomAccess.Read(handle, prefix, 0) != 12 || Encoding.ASCII.GetString(prefix[..8]) != Magic)
            {
                throw new InvalidDataException($"{path} is not a Disco tensor file (bad magic).");
            }

            int headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]));
            if (headerLength is <= 0 or > 65536)
            {
                throw new InvalidDataException($"{path}: tensor header length {headerLength} is out of range.");
            }

            byte[] header = new byte[headerLength];
            if (RandomAccess.Read(handle, header, 12) != headerLength)
            {
                throw new InvalidDataException($"{path}: tensor header is truncated.");
            }

            using JsonDocument json = JsonDocument.Parse(header);
            if (json.RootElement.GetProperty("dtype").GetString() != "float32")
            {
                throw new InvalidDataException($"{path}: only float32 tensors are supported.");
            }

            int[] shape = json.RootElement.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            bool hasMask = json.RootElement.TryGetProperty("mask", out JsonElement mask) && mask.GetBoolean();
            if (shape.Length != 3 || shape.Any(s => s <= 0))
            {
                throw new InvalidDataException($"{path}: tensor shape must be [bands, nlat, nlon].");
            }

            var file = new TensorFile(handle, shape[0], shape[1], shape[2], hasMask, 12 + headerLength);
            long expected = file.MaskOffset + (hasMask ? (long)shape[1] * shape[2] : 0);
            if (RandomAccess.GetLength(handle) != expected)
            {
                throw new InvalidDataException($"{path}: expected {expected} bytes for shape [{string.Join(", ", shape)}], found {RandomAccess.GetLength(handle)}.");
            }

            return file;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Creates a tensor file of the given shape (zero-filled) for writing rows in any order.</summary>
    /// <param name="path">The new file; overwritten if present.</param>
    /// <param name="bands">Number of bands.</param>
    /// <param name="nlat">Number of rows.</param>
    /// <param name="nlon">Number of columns.</param>
    /// <param name="hasMask">Whether a mask follows the values.</param>
    public static TensorFile Create(string path, int bands, int nlat, int nlon, bool hasMask)
    {
        string json = JsonSerializer.Serialize(new { dtype = "float32", shape = new[] { bands, nlat, nlon }, mask = hasMask });
        int headerLength = Encoding.UTF8.GetByteCount(json);
        int padded = (((12 + headerLength + 63) / 64) * 64) - 12;
        byte[] prefix = new byte[12 + padded];
        Encoding.ASCII.GetBytes(Magic, prefix);
        BinaryPrimitives.WriteUInt32LittleEndian(prefix.AsSpan(8), (uint)padded);
        prefix.AsSpan(12).Fill((byte)' ');
        Encoding.UTF8.GetBytes(json, prefix.AsSpan(12));
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        var file = new TensorFile(handle, bands, nlat, nlon, hasMask, prefix.Length);
        RandomAccess.SetLength(handle, file.MaskOffset + (hasMask ? (long)nlat * nlon : 0));
        RandomAccess.Write(handle, prefix, 0);
        return file;
    }

    /// <summary>Writes rows [rowStart, rowStart + rowCount) of every band; values are [bands, rowCount, nlon], mask [rowCount, nlon] or empty.</summary>
    /// <param name="rowStart">First row.</param>
    /// <param name="rowCount">Number of rows.</param>
    /// <param name="values">Values of those rows for every band.</param>
    /// <param name="mask">Validity of those rows, or empty.</param>
    public void WriteRows(int rowStart, int rowCount, ReadOnlySpan<float> values, ReadOnlySpan<byte> mask)
    {
        CheckRows(rowStart, rowCount);
        int rowFloats = rowCount * NLon;
        if (values.Length != Bands * rowFloats)
        {
            throw new ArgumentException($"Expected {Bands * rowFloats} values for {rowCount} rows of {Bands} bands, got {values.Length}.", nameof(values));
        }

        for (int b = 0; b < Bands; b++)
        {
            ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(values.Slice(b * rowFloats, rowFloats));
            RandomAccess.Write(_handle, bytes, _dataOffset + (b * PlaneBytes) + ((long)rowStart * NLon * sizeof(float)));
        }

        if (HasMask && !mask.IsEmpty)
        {
            RandomAccess.Write(_handle, mask[..rowFloats], MaskOffset + ((long)rowStart * NLon));
        }
    }

    /// <summary>Reads rows of every band as little-endian float32 bytes [bands, rowCount, nlon] into <paramref name="destination"/>.</summary>
    /// <param name="rowStart">First row.</param>
    /// <param name="rowCount">Number of rows.</param>
    /// <param name="destination">At least bands × rowCount × nlon × 4 bytes.</param>
    public void ReadRows(int rowStart, int rowCount, Span<byte> destination)
    {
        CheckRows(rowStart, rowCount);
        int rowBytes = rowCount * NLon * sizeof(float);
        for (int b = 0; b < Bands; b++)
        {
            ReadExactly(destination.Slice(b * rowBytes, rowBytes), _dataOffset + (b * PlaneBytes) + ((long)rowStart * NLon * sizeof(float)));
        }
    }

    /// <summary>
    /// Every band as one band-major array [bands, nlat·nlon] (each stored plane read straight into place); callers check
    /// that <see cref="Bands"/> × nlat × nlon fits in one array first.
    /// </summary>
    public float[] ReadAllBands()
    {
        long plane = (long)NLat * NLon;
        float[] values = new float[Bands * plane];

        // In pieces of at most 2^28 floats, so that a byte span never exceeds int.MaxValue however large the plane.
        const long Piece = 1 << 28;
        for (int b = 0; b < Bands; b++)
        {
            for (long start = 0; start < plane; start += Piece)
            {
                int count = (int)Math.Min(Piece, plane - start);
                ReadExactly(MemoryMarshal.AsBytes(values.AsSpan((int)((b * plane) + start), count)), _dataOffset + (b * PlaneBytes) + (start * sizeof(float)));
            }
        }

        return values;
    }

    /// <summary>Reads the mask of rows into <paramref name="destination"/> (rowCount × nlon bytes); all ones when the file has no mask.</summary>
    /// <param name="rowStart">First row.</param>
    /// <param name="rowCount">Number of rows.</param>
    /// <param name="destination">rowCount × nlon bytes.</param>
    public void ReadMask(int rowStart, int rowCount, Span<byte> destination)
    {
        CheckRows(rowStart, rowCount);
        Span<byte> target = destination[..(rowCount * NLon)];
        if (!HasMask)
        {
            target.Fill(1);
            return;
        }

        ReadExactly(target, MaskOffset + ((long)rowStart * NLon));
    }

    /// <summary>
    /// Checks that the file holds values on an <paramref name="nlat"/> × <paramref name="nlon"/> grid and is small
    /// enough for <see cref="ReadAllBands"/>: the one place where a stored tensor is checked against the record that
    /// names it (gridded datasets, prediction maps), so every reader reports a mismatch alike.
    /// </summary>
    /// <param name="nlat">Latitude rows the record says the file holds.</param>
    /// <param name="nlon">Longitude columns the record says the file holds.</param>
    /// <param name="subject">What the file holds, at the start of a sentence (e.g. "Dataset ds_1", "The map of prediction pr_1").</param>
    /// <exception cref="InvalidDataException">The file's grid differs from the record's, or its bands do not fit in one array.</exception>
    public void RequireShape(int nlat, int nlon, string subject)
    {
        if (NLat != nlat || NLon != nlon)
        {
            throw new InvalidDataException($"{subject} stores {NLat}x{NLon} values but its grid says {nlat}x{nlon}; the file was written for another grid or is damaged.");
        }

        long nodes = (long)nlat * nlon;
        if (Bands * nodes > Array.MaxLength)
        {
            throw new InvalidDataException($"{subject} has {Bands} bands of {nodes} nodes, more than one array can hold; use fewer bands or a coarser grid.");
        }
    }

    /// <summary>Flushes the file to disk.</summary>
    public void Flush() => RandomAccess.FlushToDisk(_handle);

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();

    private void ReadExactly(Span<byte> destination, long offset)
    {
        while (!destination.IsEmpty)
        {
            int read = RandomAccess.Read(_handle, destination, offset);
            if (read == 0)
            {
                throw new EndOfStreamException("The tensor file is shorter than its header says.");
            }

            destination = destination[read..];
            offset += read;
        }
    }

    private void CheckRows(int rowStart, int rowCount)
    {
        if (rowStart < 0 || rowCount <= 0 || rowStart + rowCount > NLat)
        {
            throw new ArgumentOutOfRangeException(nameof(rowStart), $"Rows [{rowStart}, {rowStart + rowCount}) are outside [0, {NLat}).");
        }
    }
}

