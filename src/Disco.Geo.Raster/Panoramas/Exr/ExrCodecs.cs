using System.IO.Compression;

namespace Disco.Geo.Raster.Panoramas.Exr;

/// <summary>The lossless building blocks shared by OpenEXR's ZIP, RLE and DWA compressions.</summary>
internal static class ExrCodecs
{
    /// <summary>zlib-inflates exactly <paramref name="output"/>.Length bytes.</summary>
    internal static void Inflate(ReadOnlySpan<byte> compressed, Span<byte> output, string what)
    {
        using MemoryStream input = new(compressed.ToArray(), writable: false);
        using ZLibStream zlib = new(input, CompressionMode.Decompress);
        int total = 0;
        try
        {
            while (total < output.Length)
            {
                int read = zlib.Read(output[total..]);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Corrupt zlib data in the {what} of an OpenEXR file: {e.Message}", e);
        }

        if (total != output.Length)
        {
            throw new InvalidDataException($"The {what} of an OpenEXR file inflates to {total} bytes instead of {output.Length}.");
        }
    }

    /// <summary>
    /// Undoes the ZIP pre-filter: bytes were split into even- and odd-position halves and delta-coded (each byte minus
    /// its predecessor, plus 128).
    /// </summary>
    internal static void ReconstructBytes(Span<byte> scratch, Span<byte> output)
    {
        for (int i = 1; i < scratch.Length; i++)
        {
            scratch[i] = (byte)(scratch[i - 1] + scratch[i] - 128);
        }

        int half = (scratch.Length + 1) / 2;
        for (int i = 0; i < scratch.Length; i++)
        {
            output[i] = (i & 1) == 0 ? scratch[i / 2] : scratch[half + i / 2];
        }
    }

    /// <summary>
    /// OpenEXR run-length decoding: a signed count byte n; n &lt; 0 copies −n literal bytes, n ≥ 0 repeats the next byte n + 1 times.
    /// </summary>
    internal static void RunLengthDecode(ReadOnlySpan<byte> input, Span<byte> output, string what)
    {
        int read = 0;
        int written = 0;
        while (read < input.Length)
        {
            int count = (sbyte)input[read++];
            if (count < 0)
            {
                count = -count;
                if (read + count > input.Length || written + count > output.Length)
                {
                    throw new InvalidDataException($"Corrupt run-length data in the {what} of an OpenEXR file.");
                }

                input.Slice(read, count).CopyTo(output[written..]);
                read += count;
                written += count;
            }
            else
            {
                if (read >= input.Length || written + count + 1 > output.Length)
                {
                    throw new InvalidDataException($"Corrupt run-length data in the {what} of an OpenEXR file.");
                }

                output.Slice(written, count + 1).Fill(input[read++]);
                written += count + 1;
            }
        }

        if (written != output.Length)
        {
            throw new InvalidDataException($"The run-length data in the {what} of an OpenEXR file decode to {written} bytes instead of {output.Length}.");
        }
    }
}
