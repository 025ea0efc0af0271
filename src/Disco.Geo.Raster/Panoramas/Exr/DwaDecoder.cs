using System.Buffers.Binary;

namespace Disco.Geo.Raster.Panoramas.Exr;

/// <summary>
/// Decoder for OpenEXR's DWAA/DWAB compression (DreamWorks' lossy DCT codec; DWAA packs 32 scanlines per chunk, DWAB
/// 256). A chunk starts with eleven little-endian uint64 counters (version, sizes of the four streams, counts of AC and
/// DC coefficients, AC coding), then (version 2) the channel rules that say which channels are lossy-DCT coded
/// (R, G, B, Y, BY, RY), run-length coded (A) or stored, and which three form an R'G'B' set converted from Y'CbCr. Lossy
/// channels are coded per 8×8 block: a DC coefficient (zlib, delta-filtered), 63 AC coefficients in zig-zag order as
/// half floats with runs of zeros (static Huffman or zlib), an inverse DCT, the inverse Rec. 709 colour transform for
/// RGB sets, and a lookup from the codec's perceptual encoding back to linear light. The result is half precision,
/// widened to float.
/// </summary>
internal static class DwaDecoder
{
    private const int Unknown = 0;
    private const int LossyDct = 1;
    private const int RunLength = 2;
    private const int StaticHuffman = 0;
    private const int Deflate = 1;
    private const int CounterCount = 11;

    // Inverse DCT constants: a = 1/(2√2), b..g = cos(kπ/16)/2 for k = 1, 2, 3, 5, 6, 7 (as OpenEXR rounds them).
    private const float A = 3.535536e-01f;
    private const float B = 4.903927e-01f;
    private const float C = 4.619398e-01f;
    private const float D = 4.157349e-01f;
    private const float E = 2.777855e-01f;
    private const float F = 1.913422e-01f;
    private const float G = 9.754573e-02f;

    private static readonly Lazy<ushort[]> ToLinearTable = new(BuildToLinear);
    private static readonly ushort[] NoOpTable = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
    private static readonly int[] ZigZag = BuildZigZag();

    private static readonly Rule[] DefaultRules =
    [
        new("R", LossyDct, 1, 0, false), new("R", LossyDct, 2, 0, false),
        new("G", LossyDct, 1, 1, false), new("G", LossyDct, 2, 1, false),
        new("B", LossyDct, 1, 2, false), new("B", LossyDct, 2, 2, false),
        new("Y", LossyDct, 1, -1, false), new("Y", LossyDct, 2, -1, false),
        new("BY", LossyDct, 1, -1, false), new("BY", LossyDct, 2, -1, false),
        new("RY", LossyDct, 1, -1, false), new("RY", LossyDct, 2, -1, false),
        new("A", RunLength, 0, -1, false), new("A", RunLength, 1, -1, false), new("A", RunLength, 2, -1, false),
    ];

    // Files written before DWA version 2 carry no rules and used these (case-insensitive) names.
    private static readonly Rule[] LegacyRules = BuildLegacyRules();

    /// <summary>Decodes one chunk of <paramref name="lines"/> scanlines into the float planes at row <paramref name="firstRow"/>.</summary>
    internal static void Decode(ReadOnlySpan<byte> chunk, IReadOnlyList<ExrChannel> channels, int width, int lines, float[][] planes, int firstRow)
    {
        if (chunk.Length < CounterCount * 8)
        {
            throw Corrupt("the chunk is shorter than its header");
        }

        ulong[] counters = new ulong[CounterCount];
        for (int i = 0; i < CounterCount; i++)
        {
            counters[i] = BinaryPrimitives.ReadUInt64LittleEndian(chunk[(i * 8)..]);
        }

        ulong version = counters[0];
        ulong unknownUncompressed = counters[1];
        ulong unknownCompressed = counters[2];
        ulong acCompressed = counters[3];
        ulong dcCompressed = counters[4];
        ulong rleCompressed = counters[5];
        ulong rleUncompressed = counters[6];
        ulong rleRaw = counters[7];
        ulong acCount = counters[8];
        ulong dcCount = counters[9];
        ulong acCompression = counters[10];
        if (version > 2)
        {
            throw Corrupt($"DWA version {version} is unknown (0..2 are defined)");
        }

        int position = CounterCount * 8;
        Rule[] rules = version < 2 ? LegacyRules : ReadRules(chunk, ref position);
        ulong available = (ulong)(chunk.Length - position);
        ulong limit = (ulong)width * (ulong)lines * 64UL;
        if (unknownCompressed > available || acCompressed > available || dcCompressed > available || rleCompressed > available ||
            unknownCompressed + acCompressed + dcCompressed + rleCompressed > available ||
            unknownUncompressed > limit || rleUncompressed > limit || rleRaw > limit || acCount > limit || dcCount > limit)
        {
            throw Corrupt("the stream sizes do not fit the chunk");
        }

        ReadOnlySpan<byte> unknownStream = chunk.Slice(position, (int)unknownCompressed);
        ReadOnlySpan<byte> acStream = chunk.Slice(position + (int)unknownCompressed, (int)acCompressed);
        ReadOnlySpan<byte> dcStream = chunk.Slice(position + (int)(unknownCompressed + acCompressed), (int)dcCompressed);
        ReadOnlySpan<byte> rleStream = chunk.Slice(position + (int)(unknownCompressed + acCompressed + dcCompressed), (int)rleCompressed);

        byte[] unknown = new byte[unknownUncompressed];
        if (unknownCompressed > 0)
        {
            ExrCodecs.Inflate(unknownStream, unknown, "DWA stored channels");
        }

        ushort[] ac = new ushort[acCount];
        if (acCompressed > 0)
        {
            switch (acCompression)
            {
                case StaticHuffman:
                    ExrHuffman.Decode(acStream, ac);
                    break;
                case Deflate:
                    byte[] acBytes = new byte[acCount * 2];
                    ExrCodecs.Inflate(acStream, acBytes, "DWA AC coefficients");
                    for (int i = 0; i < ac.Length; i++)
                    {
                        ac[i] = BinaryPrimitives.ReadUInt16LittleEndian(acBytes.AsSpan(2 * i));
                    }

                    break;
                default:
                    throw Corrupt($"AC compression {acCompression} is unknown");
            }
        }

        ushort[] dc = new ushort[dcCount];
        if (dcCompressed > 0)
        {
            byte[] scratch = new byte[dcCount * 2];
            ExrCodecs.Inflate(dcStream, scratch, "DWA DC coefficients");
            byte[] bytes = new byte[scratch.Length];
            ExrCodecs.ReconstructBytes(scratch, bytes);
            for (int i = 0; i < dc.Length; i++)
            {
                dc[i] = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(2 * i));
            }
        }
        else if (dcCount != 0)
        {
            throw Corrupt("DC coefficients are announced without data");
        }

        byte[] rle = new byte[rleRaw];
        if (rleRaw > 0)
        {
            byte[] packed = new byte[rleUncompressed];
            ExrCodecs.Inflate(rleStream, packed, "DWA run-length channels");
            ExrCodecs.RunLengthDecode(packed, rle, "DWA run-length channels");
        }

        (int[] schemes, List<int[]> rgbSets) = Classify(channels, rules);
        bool[] done = new bool[channels.Count];
        int acPosition = 0;
        int dcPosition = 0;
        foreach (int[] set in rgbSets)
        {
            DecodeLossy(set, channels, schemes, width, lines, ac, ref acPosition, dc, ref dcPosition, planes, firstRow);
            foreach (int c in set)
            {
                done[c] = true;
            }
        }

        int unknownPosition = 0;
        int rlePosition = 0;
        for (int c = 0; c < channels.Count; c++)
        {
            if (done[c])
            {
                continue;
            }

            int elementSize = channels[c].BytesPerElement;
            switch (schemes[c])
            {
                case LossyDct:
                    DecodeLossy([c], channels, schemes, width, lines, ac, ref acPosition, dc, ref dcPosition, planes, firstRow);
                    break;
                case RunLength:
                    {
                        // Bytes of each element are split into planes: byte 0 of every pixel, then byte 1, …
                        int count = width * lines;
                        if (rlePosition + count * elementSize > rle.Length)
                        {
                            throw Corrupt("run-length channel data is short");
                        }

                        byte[] element = new byte[elementSize];
                        for (int k = 0; k < count; k++)
                        {
                            for (int b = 0; b < elementSize; b++)
                            {
                                element[b] = rle[rlePosition + b * count + k];
                            }

                            planes[c][(firstRow + k / width) * width + k % width] = channels[c].ToFloat(element);
                        }

                        rlePosition += count * elementSize;
                        break;
                    }

                default:
                    {
                        int count = width * lines;
                        if (unknownPosition + count * elementSize > unknown.Length)
                        {
                            throw Corrupt("stored channel data is short");
                        }

                        for (int k = 0; k < count; k++)
                        {
                            planes[c][(firstRow + k / width) * width + k % width] =
                                channels[c].ToFloat(unknown.AsSpan(unknownPosition + k * elementSize, elementSize));
                        }

                        unknownPosition += count * elementSize;
                        break;
                    }
            }
        }
    }

    // Hot loop: compiled optimised at once; tiering would run the first calls unoptimised on a busy machine.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void DecodeLossy(int[] set, IReadOnlyList<ExrChannel> channels, int[] schemes, int width, int lines, ushort[] ac,
        ref int acPosition, ushort[] dc, ref int dcPosition, float[][] planes, int firstRow)
    {
        foreach (int c in set)
        {
            if (schemes[c] != LossyDct)
            {
                throw Corrupt("an RGB set contains a channel that is not DCT-coded");
            }
        }

        int components = set.Length;
        int blocksX = (width + 7) / 8;
        int blocksY = (lines + 7) / 8;
        if (dcPosition + components * blocksX * blocksY > dc.Length)
        {
            throw Corrupt("too few DC coefficients");
        }

        ushort[][] toLinear = set.Select(c => channels[c].PerceptuallyLinear ? NoOpTable : ToLinearTable.Value).ToArray();
        float[][] blocks = [.. Enumerable.Range(0, components).Select(_ => new float[64])];
        ushort[][] halves = [.. Enumerable.Range(0, components).Select(_ => new ushort[64])];
        ushort[] zig = new ushort[64];
        for (int by = 0; by < blocksY; by++)
        {
            for (int bx = 0; bx < blocksX; bx++)
            {
                bool constant = true;
                for (int k = 0; k < components; k++)
                {
                    Array.Clear(zig);
                    zig[0] = dc[dcPosition + k * blocksX * blocksY + by * blocksX + bx];
                    int lastNonZero = UnRunAc(ac, ref acPosition, zig);
                    float[] block = blocks[k];
                    if (lastNonZero == 0)
                    {
                        float value = (float)HalfToFloat(zig[0]) * A * A;
                        Array.Fill(block, value);
                    }
                    else
                    {
                        constant = false;
                        for (int i = 0; i < 64; i++)
                        {
                            block[i] = HalfToFloat(zig[ZigZag[i]]);
                        }

                        InverseDct(block);
                    }
                }

                if (components == 3)
                {
                    int count = constant ? 1 : 64;
                    for (int i = 0; i < count; i++)
                    {
                        float y = blocks[0][i];
                        float cb = blocks[1][i];
                        float cr = blocks[2][i];
                        blocks[0][i] = y + 1.5747f * cr;
                        blocks[1][i] = y - 0.1873f * cb - 0.4682f * cr;
                        blocks[2][i] = y + 1.8556f * cb;
                    }
                }

                for (int k = 0; k < components; k++)
                {
                    for (int i = 0; i < 64; i++)
                    {
                        halves[k][i] = BitConverter.HalfToUInt16Bits((Half)blocks[k][constant ? 0 : i]);
                    }

                    int rows = Math.Min(8, lines - by * 8);
                    int columns = Math.Min(8, width - bx * 8);
                    float[] plane = planes[set[k]];
                    for (int y = 0; y < rows; y++)
                    {
                        int row = (firstRow + by * 8 + y) * width + bx * 8;
                        for (int x = 0; x < columns; x++)
                        {
                            plane[row + x] = HalfToFloat(toLinear[k][halves[k][y * 8 + x]]);
                        }
                    }
                }
            }
        }

        dcPosition += components * blocksX * blocksY;
    }

    /// <summary>Fills AC coefficients 1..63 (zig-zag order) of one block; 0xff00 ends a block, 0xffnn skips nn zeros.</summary>
    private static int UnRunAc(ushort[] ac, ref int position, ushort[] zig)
    {
        int index = 1;
        int lastNonZero = 0;
        while (index < 64)
        {
            if (position >= ac.Length)
            {
                throw Corrupt("the AC coefficients end early");
            }

            ushort value = ac[position++];
            if (value == 0xff00)
            {
                index = 64;
            }
            else if (value >> 8 == 0xff)
            {
                index += value & 0xff;
            }
            else
            {
                if (index >= 64)
                {
                    throw Corrupt("an AC coefficient falls outside its block");
                }

                lastNonZero = index;
                zig[index++] = value;
            }
        }

        return lastNonZero;
    }

    /// <summary>Separable 8×8 inverse DCT (orthonormal, rows then columns), in place.</summary>
    // Hot loop: compiled optimised at once; tiering would run the first calls unoptimised on a busy machine.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void InverseDct(float[] data)
    {
        Span<float> alpha = stackalloc float[4];
        Span<float> beta = stackalloc float[4];
        Span<float> theta = stackalloc float[4];
        Span<float> gamma = stackalloc float[4];
        for (int row = 0; row < 8; row++)
        {
            Pass(data, row * 8, 1, alpha, beta, theta, gamma);
        }

        for (int column = 0; column < 8; column++)
        {
            Pass(data, column, 8, alpha, beta, theta, gamma);
        }
    }

    private static void Pass(float[] d, int o, int s, Span<float> alpha, Span<float> beta, Span<float> theta, Span<float> gamma)
    {
        alpha[0] = C * d[o + 2 * s];
        alpha[1] = F * d[o + 2 * s];
        alpha[2] = C * d[o + 6 * s];
        alpha[3] = F * d[o + 6 * s];
        beta[0] = B * d[o + s] + D * d[o + 3 * s] + E * d[o + 5 * s] + G * d[o + 7 * s];
        beta[1] = D * d[o + s] - G * d[o + 3 * s] - B * d[o + 5 * s] - E * d[o + 7 * s];
        beta[2] = E * d[o + s] - B * d[o + 3 * s] + G * d[o + 5 * s] + D * d[o + 7 * s];
        beta[3] = G * d[o + s] - E * d[o + 3 * s] + D * d[o + 5 * s] - B * d[o + 7 * s];
        theta[0] = A * (d[o] + d[o + 4 * s]);
        theta[3] = A * (d[o] - d[o + 4 * s]);
        theta[1] = alpha[0] + alpha[3];
        theta[2] = alpha[1] - alpha[2];
        gamma[0] = theta[0] + theta[1];
        gamma[1] = theta[3] + theta[2];
        gamma[2] = theta[3] - theta[2];
        gamma[3] = theta[0] - theta[1];
        d[o] = gamma[0] + beta[0];
        d[o + s] = gamma[1] + beta[1];
        d[o + 2 * s] = gamma[2] + beta[2];
        d[o + 3 * s] = gamma[3] + beta[3];
        d[o + 4 * s] = gamma[3] - beta[3];
        d[o + 5 * s] = gamma[2] - beta[2];
        d[o + 6 * s] = gamma[1] - beta[1];
        d[o + 7 * s] = gamma[0] - beta[0];
    }

    private static (int[] Schemes, List<int[]> RgbSets) Classify(IReadOnlyList<ExrChannel> channels, Rule[] rules)
    {
        int[] schemes = new int[channels.Count];
        Dictionary<string, int[]> prefixes = new(StringComparer.Ordinal);
        List<string> order = [];
        for (int c = 0; c < channels.Count; c++)
        {
            string name = channels[c].Name;
            int dot = name.LastIndexOf('.');
            string suffix = dot < 0 ? name : name[(dot + 1)..];
            string prefix = dot < 0 ? string.Empty : name[..dot];
            if (!prefixes.TryGetValue(prefix, out int[]? indices))
            {
                indices = [-1, -1, -1];
                prefixes[prefix] = indices;
                order.Add(prefix);
            }

            foreach (Rule rule in rules)
            {
                if (rule.PixelType == channels[c].PixelType &&
                    string.Equals(rule.Suffix, suffix, rule.CaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
                {
                    schemes[c] = rule.Scheme;
                    if (rule.CscIndex >= 0)
                    {
                        indices[rule.CscIndex] = c;
                    }
                }
            }
        }

        List<int[]> sets = [];
        foreach (string prefix in order)
        {
            int[] indices = prefixes[prefix];
            if (indices.All(i => i >= 0))
            {
                sets.Add(indices);
            }
        }

        return (schemes, sets);
    }

    private static Rule[] ReadRules(ReadOnlySpan<byte> chunk, ref int position)
    {
        if (position + 2 > chunk.Length)
        {
            throw Corrupt("the channel rules are missing");
        }

        int size = BinaryPrimitives.ReadUInt16LittleEndian(chunk[position..]);
        if (size < 2 || position + size > chunk.Length)
        {
            throw Corrupt("the channel rules are truncated");
        }

        ReadOnlySpan<byte> data = chunk.Slice(position + 2, size - 2);
        position += size;
        List<Rule> rules = [];
        int p = 0;
        while (p < data.Length)
        {
            int end = data[p..].IndexOf((byte)0);
            if (end < 0 || end > 128 || p + end + 3 > data.Length)
            {
                throw Corrupt("a channel rule is truncated");
            }

            string suffix = System.Text.Encoding.ASCII.GetString(data.Slice(p, end));
            byte value = data[p + end + 1];
            byte type = data[p + end + 2];
            p += end + 3;
            int csc = (value >> 4) - 1;
            int scheme = (value >> 2) & 3;
            if (csc is < -1 or >= 3 || scheme > RunLength || type > 2)
            {
                throw Corrupt("a channel rule is invalid");
            }

            rules.Add(new Rule(suffix, scheme, type, csc, (value & 1) != 0));
        }

        return [.. rules];
    }

    private static Rule[] BuildLegacyRules()
    {
        List<Rule> rules = [];
        foreach ((string[] names, int csc) in new[] { (new[] { "r", "red" }, 0), (["g", "grn", "green"], 1), (["b", "blu", "blue"], 2), (["y", "by", "ry"], -1) })
        {
            foreach (string name in names)
            {
                rules.Add(new Rule(name, LossyDct, 1, csc, true));
                rules.Add(new Rule(name, LossyDct, 2, csc, true));
            }
        }

        rules.Add(new Rule("a", RunLength, 0, -1, true));
        rules.Add(new Rule("a", RunLength, 1, -1, true));
        rules.Add(new Rule("a", RunLength, 2, -1, true));
        return [.. rules];
    }

    /// <summary>natural index → zig-zag index for an 8×8 block (JPEG order).</summary>
    private static int[] BuildZigZag()
    {
        int[] zigzag = new int[64];
        int index = 0;
        for (int sum = 0; sum < 15; sum++)
        {
            int start = Math.Max(0, sum - 7);
            int end = Math.Min(7, sum);
            for (int k = start; k <= end; k++)
            {
                // Even diagonals run bottom-left to top-right, odd ones top-right to bottom-left.
                int row = sum % 2 == 0 ? sum - k : k;
                int column = sum - row;
                zigzag[row * 8 + column] = index++;
            }
        }

        return zigzag;
    }

    /// <summary>
    /// The codec's perceptual encoding back to linear light, per half-float bit pattern: x^2.2 up to 1, e^(2.2·(x − 1))
    /// above (a log curve that joins the gamma curve smoothly); zero, infinities and NaN map to zero.
    /// </summary>
    private static ushort[] BuildToLinear()
    {
        ushort[] table = new ushort[65536];
        for (int bits = 0; bits < 65536; bits++)
        {
            if (bits == 0 || (bits & 0x7c00) == 0x7c00)
            {
                continue;
            }

            float value = HalfToFloat((ushort)bits);
            float sign = value < 0 ? -1f : 1f;
            float magnitude = Math.Abs(value);
            float linear = (float)(magnitude <= 1f ? Math.Pow(magnitude, 2.2f) : Math.Pow(9.02501329156, magnitude - 1f));
            table[bits] = BitConverter.HalfToUInt16Bits((Half)(sign * linear));
        }

        return table;
    }

    internal static float HalfToFloat(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    private static InvalidDataException Corrupt(string what) => new($"Corrupt DWA-compressed data in an OpenEXR file: {what}.");

    private sealed record Rule(string Suffix, int Scheme, int PixelType, int CscIndex, bool CaseInsensitive);
}
