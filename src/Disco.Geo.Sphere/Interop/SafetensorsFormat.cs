using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Disco.Geo.Sphere.Interop;

/// <summary>One tensor of a safetensors file: dtype code ("F32", "F64", "I64", ...), shape and raw little-endian bytes.</summary>
internal sealed record SafeTensor(string DType, long[] Shape, byte[] Data);

/// <summary>
/// The safetensors file format (Hugging Face), written and read here rather than through TorchSharp.PyBridge so that the
/// <c>__metadata__</c> string map is ours to write and read and every defect of a file can be named field by field:
/// <code>
/// u64 LE  N, the header length
/// N bytes UTF-8 JSON: { "__metadata__": { string: string }, name: { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, ... }
///         (padded with spaces to a multiple of 8, as the reference writer does)
/// then    the data buffer; offsets are relative to its start, tensors are row-major little-endian and cover it without gaps
/// </code>
/// </summary>
internal static class SafetensorsFormat
{
    /// <summary>The reference implementation refuses headers above 100 MB; so do we.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Bytes per element of the dtypes this reader accepts.</summary>
    public static int? ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" => 1,
        _ => null,
    };

    /// <summary>Writes tensors (in the given order) and metadata as one safetensors file.</summary>
    public static byte[] Write(IReadOnlyList<(string Name, SafeTensor Tensor)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        using MemoryStream headerStream = new();
        long offset = 0;
        using (Utf8JsonWriter json = new(headerStream))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            foreach ((string key, string value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            foreach ((string name, SafeTensor tensor) in tensors)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", tensor.DType);
                json.WriteStartArray("shape");
                foreach (long dim in tensor.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += tensor.Data.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        int headerLength = (int)headerStream.Length;
        int padded = (headerLength + 7) / 8 * 8;
        byte[] file = new byte[8 + padded + offset];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)padded);
        headerStream.GetBuffer().AsSpan(0, headerLength).CopyTo(file.AsSpan(8));
        file.AsSpan(8 + headerLength, padded - headerLength).Fill((byte)' ');
        long position = 8 + padded;
        foreach ((_, SafeTensor tensor) in tensors)
        {
            tensor.Data.CopyTo(file.AsSpan((int)position));
            position += tensor.Data.Length;
        }

        return file;
    }

    /// <summary>
    /// Reads a safetensors file. Structural defects are added to <paramref name="violations"/> as (field, description)
    /// and the tensors read so far are returned; the caller refuses the file if any violation was added.
    /// </summary>
    public static (Dictionary<string, SafeTensor> Tensors, Dictionary<string, string> Metadata) Read(byte[] bytes, List<(string Field, string Description)> violations)
    {
        Dictionary<string, SafeTensor> tensors = new(StringComparer.Ordinal);
        Dictionary<string, string> metadata = new(StringComparer.Ordinal);
        if (bytes.Length < 8)
        {
            violations.Add(("file", $"is {bytes.Length} bytes; a safetensors file starts with an 8-byte header length."));
            return (tensors, metadata);
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength < 2 || headerLength > MaxHeaderBytes || headerLength > (ulong)(bytes.Length - 8))
        {
            violations.Add(("file", $"declares a {headerLength}-byte JSON header but has {bytes.Length - 8} bytes after the length; it is not a safetensors file or is truncated."));
            return (tensors, metadata);
        }

        int dataStart = 8 + (int)headerLength;
        long dataLength = bytes.Length - dataStart;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            violations.Add(("header", $"is not valid JSON: {e.Message}"));
            return (tensors, metadata);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                violations.Add(("header", "must be a JSON object of tensor entries."));
                return (tensors, metadata);
            }

            List<(long Begin, long End, string Name)> spans = [];
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    ReadMetadata(property.Value, metadata, violations);
                    continue;
                }

                string field = "tensors." + property.Name;
                if (tensors.ContainsKey(property.Name))
                {
                    violations.Add((field, "appears twice in the header."));
                    continue;
                }

                if (ReadEntry(property.Value, field, dataLength, violations) is not { } entry)
                {
                    continue;
                }

                spans.Add((entry.Begin, entry.End, property.Name));
                tensors[property.Name] = new SafeTensor(entry.DType, entry.Shape, bytes.AsSpan(dataStart + (int)entry.Begin, (int)(entry.End - entry.Begin)).ToArray());
            }

            // The format requires the tensors to tile the data buffer exactly: overlaps or holes mean a damaged file.
            long covered = 0;
            foreach ((long begin, long end, string name) in spans.OrderBy(s => s.Begin).ThenBy(s => s.End))
            {
                if (begin != covered)
                {
                    violations.Add(("tensors." + name, begin < covered
                        ? $"data_offsets [{begin}, {end}] overlap another tensor's data."
                        : $"data_offsets start at {begin}, leaving bytes {covered}..{begin} unused; the data buffer must be covered without gaps."));
                }

                covered = Math.Max(covered, end);
            }

            if (covered != dataLength && violations.Count == 0)
            {
                violations.Add(("file", $"has {dataLength - covered} bytes after the last tensor's data; the file is damaged."));
            }
        }

        return (tensors, metadata);
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, List<(string, string)> violations)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            violations.Add(("__metadata__", "must be a JSON object of string values."));
            return;
        }

        foreach (JsonProperty entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                violations.Add(("__metadata__." + entry.Name, "must be a string (safetensors metadata is a string-to-string map)."));
                continue;
            }

            metadata[entry.Name] = entry.Value.GetString()!;
        }
    }

    private static (string DType, long[] Shape, long Begin, long End)? ReadEntry(JsonElement value, string field, long dataLength, List<(string, string)> violations)
    {
        if (value.ValueKind != JsonValueKind.Object ||
            !value.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String ||
            !value.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array ||
            !value.TryGetProperty("data_offsets", out JsonElement offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
        {
            violations.Add((field, "must be an object with \"dtype\" (string), \"shape\" (array) and \"data_offsets\" ([begin, end])."));
            return null;
        }

        string dtype = dtypeElement.GetString()!;
        if (ElementSize(dtype) is not { } size)
        {
            violations.Add((field + ".dtype", $"'{dtype}' is not a safetensors dtype this reader knows."));
            return null;
        }

        List<long> shape = [];
        long elements = 1;
        foreach (JsonElement dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long d) || d < 0 || d > int.MaxValue)
            {
                violations.Add((field + ".shape", $"must hold non-negative integers, got {shapeElement.GetRawText()}."));
                return null;
            }

            shape.Add(d);
            elements = elements * d > int.MaxValue ? int.MaxValue + 1L : elements * d;
        }

        if (!offsetsElement[0].TryGetInt64(out long begin) || !offsetsElement[1].TryGetInt64(out long end) || begin < 0 || end < begin || end > dataLength)
        {
            violations.Add((field + ".data_offsets", $"{offsetsElement.GetRawText()} is not a range inside the {dataLength}-byte data buffer."));
            return null;
        }

        if (end - begin != elements * size)
        {
            violations.Add((field + ".data_offsets", $"cover {end - begin} bytes but shape {shapeElement.GetRawText()} of {dtype} needs {elements * size}."));
            return null;
        }

        return (dtype, [.. shape], begin, end);
    }
}
