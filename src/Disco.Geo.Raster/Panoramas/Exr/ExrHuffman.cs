using System.Buffers.Binary;

namespace Disco.Geo.Raster.Panoramas.Exr;

/// <summary>
/// OpenEXR's static Huffman coding of 16-bit symbols (used by PIZ and by DWA for the AC coefficients). Stream layout:
/// five little-endian uint32 (lowest symbol, highest symbol, table length, bit count, reserved), the code lengths of
/// symbols lowest..highest packed in 6 bits each (59..62 = runs of 2..5 unused symbols, 63 + 8 bits = runs of 6..261),
/// then the bit stream, most significant bit first. Codes are canonical: longer codes are numerically smaller when
/// left-aligned, and within one length codes increase with the symbol. The highest symbol is a run marker: the 8 bits
/// after it repeat the previous symbol that many times.
/// </summary>
internal static class ExrHuffman
{
    private const int EncodingSize = (1 << 16) + 1;
    private const int ShortZeroRun = 59;
    private const int LongZeroRun = 63;
    private const int ShortestLongRun = 2 + LongZeroRun - ShortZeroRun;
    private const int MaxCodeLength = 58;

    /// <summary>Decodes exactly <paramref name="output"/>.Length symbols.</summary>
    /// <exception cref="InvalidDataException">The stream is truncated or inconsistent.</exception>
    internal static void Decode(ReadOnlySpan<byte> compressed, Span<ushort> output)
    {
        if (compressed.Length < 20)
        {
            if (output.Length != 0)
            {
                throw Corrupt("the Huffman header is truncated");
            }

            return;
        }

        uint minSymbol = BinaryPrimitives.ReadUInt32LittleEndian(compressed);
        uint maxSymbol = BinaryPrimitives.ReadUInt32LittleEndian(compressed[4..]);
        uint bitCount = BinaryPrimitives.ReadUInt32LittleEndian(compressed[12..]);
        if (minSymbol >= EncodingSize || maxSymbol >= EncodingSize || minSymbol > maxSymbol)
        {
            throw Corrupt($"symbol range {minSymbol}..{maxSymbol} is invalid");
        }

        ReadOnlySpan<byte> rest = compressed[20..];
        int[] lengths = new int[EncodingSize];
        int tableBytes = UnpackLengths(rest, (int)minSymbol, (int)maxSymbol, lengths);
        ReadOnlySpan<byte> bits = rest[tableBytes..];
        if ((bitCount + 7) / 8 > (ulong)bits.Length)
        {
            throw Corrupt($"{bitCount} bits of codes announced but only {bits.Length} bytes follow");
        }

        CanonicalCode code = CanonicalCode.Build(lengths, (int)minSymbol, (int)maxSymbol);
        DecodeBits(bits, (int)bitCount, code, (int)maxSymbol, output);
    }

    private static int UnpackLengths(ReadOnlySpan<byte> packed, int minSymbol, int maxSymbol, int[] lengths)
    {
        BitReader reader = new(packed, packed.Length * 8L);
        for (int symbol = minSymbol; symbol <= maxSymbol; symbol++)
        {
            int length = (int)reader.Read(6);
            if (length == LongZeroRun)
            {
                int run = (int)reader.Read(8) + ShortestLongRun;
                if (symbol + run > maxSymbol + 1)
                {
                    throw Corrupt("a run of unused symbols passes the end of the code table");
                }

                symbol += run - 1;
            }
            else if (length >= ShortZeroRun)
            {
                int run = length - ShortZeroRun + 2;
                if (symbol + run > maxSymbol + 1)
                {
                    throw Corrupt("a run of unused symbols passes the end of the code table");
                }

                symbol += run - 1;
            }
            else
            {
                lengths[symbol] = length;
            }
        }

        return (int)((reader.Position + 7) / 8);
    }

    // Hot loop: compiled optimised at once; tiering would run the first calls unoptimised on a busy machine.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void DecodeBits(ReadOnlySpan<byte> data, int bitCount, CanonicalCode code, int runSymbol, Span<ushort> output)
    {
        BitReader reader = new(data, bitCount);
        int written = 0;
        while (reader.Remaining > 0)
        {
            int symbol = code.ReadSymbol(ref reader);
            if (symbol == runSymbol)
            {
                if (reader.Remaining < 8)
                {
                    throw Corrupt("a run code is cut off");
                }

                int count = (int)reader.Read(8);
                if (written == 0 || written + count > output.Length)
                {
                    throw Corrupt("a run repeats outside the output");
                }

                output.Slice(written, count).Fill(output[written - 1]);
                written += count;
            }
            else
            {
                if (written >= output.Length)
                {
                    throw Corrupt("more symbols than expected");
                }

                output[written++] = (ushort)symbol;
            }
        }

        if (written != output.Length)
        {
            throw Corrupt($"{written} symbols decoded, {output.Length} expected");
        }
    }

    private static InvalidDataException Corrupt(string what) => new($"Corrupt Huffman-coded data in an OpenEXR file: {what}.");

    /// <summary>MSB-first bit reader over at most a given number of bits.</summary>
    private ref struct BitReader(ReadOnlySpan<byte> data, long bitCount)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private readonly long _bitCount = Math.Min(bitCount, data.Length * 8L);

        internal long Position { get; private set; }

        internal readonly long Remaining => _bitCount - Position;

        internal int ReadBit()
        {
            if (Position >= _bitCount)
            {
                throw Corrupt("the bit stream ends early");
            }

            int bit = (_data[(int)(Position >> 3)] >> (7 - (int)(Position & 7))) & 1;
            Position++;
            return bit;
        }

        internal ulong Read(int count)
        {
            ulong value = 0;
            for (int i = 0; i < count; i++)
            {
                value = (value << 1) | (uint)ReadBit();
            }

            return value;
        }
    }

    /// <summary>Canonical codes by length: the first code of each length and the symbols of that length in order.</summary>
    private sealed class CanonicalCode
    {
        private readonly ulong[] _first = new ulong[MaxCodeLength + 1];
        private readonly int[][] _symbols = new int[MaxCodeLength + 1][];
        private readonly int _shortest;

        private CanonicalCode(int shortest) => _shortest = shortest;

        internal static CanonicalCode Build(int[] lengths, int minSymbol, int maxSymbol)
        {
            long[] counts = new long[MaxCodeLength + 1];
            int shortest = MaxCodeLength + 1;
            for (int symbol = minSymbol; symbol <= maxSymbol; symbol++)
            {
                int length = lengths[symbol];
                if (length > MaxCodeLength)
                {
                    throw Corrupt($"a code of {length} bits exceeds the 58-bit limit");
                }

                if (length > 0)
                {
                    counts[length]++;
                    shortest = Math.Min(shortest, length);
                }
            }

            if (shortest > MaxCodeLength)
            {
                throw Corrupt("the code table is empty");
            }

            CanonicalCode code = new(shortest);
            // From the longest length up: each length's first code follows the codes of the longer lengths, halved.
            ulong next = 0;
            for (int length = MaxCodeLength; length > 0; length--)
            {
                ulong following = (next + (ulong)counts[length]) >> 1;
                code._first[length] = next;
                next = following;
            }

            for (int length = 1; length <= MaxCodeLength; length++)
            {
                code._symbols[length] = new int[counts[length]];
            }

            int[] filled = new int[MaxCodeLength + 1];
            for (int symbol = minSymbol; symbol <= maxSymbol; symbol++)
            {
                int length = lengths[symbol];
                if (length > 0)
                {
                    code._symbols[length][filled[length]++] = symbol;
                }
            }

            return code;
        }

        internal int ReadSymbol(ref BitReader reader)
        {
            ulong value = reader.Read(_shortest);
            for (int length = _shortest; length <= MaxCodeLength; length++)
            {
                int[] symbols = _symbols[length];
                ulong offset = value - _first[length];
                if (symbols.Length > 0 && value >= _first[length] && offset < (ulong)symbols.Length)
                {
                    return symbols[(int)offset];
                }

                if (length == MaxCodeLength)
                {
                    break;
                }

                value = (value << 1) | (uint)reader.ReadBit();
            }

            throw Corrupt("a bit pattern matches no code");
        }
    }
}
