using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Packaging;

/// <summary>
/// Named tensors in a simple, documented little-endian layout that any language can read:
/// <code>
/// u32 count
/// count × { u16 name length, UTF-8 name, u8 dtype (1 float32, 2 float64, 3 int64), u8 rank, rank × i64 dims,
///           u64 data length in bytes, raw row-major data }
/// </code>
/// Used for model weights in packages and for weights in training checkpoints. Loading copies values into a module's
/// existing parameters and buffers after checking that names and shapes match exactly.
/// </summary>
internal static class TensorDictionary
{
    private const int MaxTensors = 1 << 16;
    private const int MaxRank = 8;

    public static void Write(BinaryWriter writer, IEnumerable<(string Name, Tensor Value)> tensors)
    {
        (string Name, Tensor Value)[] list = [.. tensors];
        writer.Write((uint)list.Length);
        foreach ((string name, Tensor value) in list)
        {
            byte[] nameBytes = Encoding.UTF8.GetBytes(name);
            writer.Write((ushort)nameBytes.Length);
            writer.Write(nameBytes);
            writer.Write(Code(value.dtype, name));
            writer.Write((byte)value.dim());
            foreach (long dim in value.shape)
            {
                writer.Write(dim);
            }

            using DisposeScope scope = NewDisposeScope();
            Tensor cpu = value.detach().to(CPU).contiguous();
            ReadOnlySpan<byte> data = cpu.bytes;
            writer.Write((ulong)data.Length);
            writer.Write(data);
        }
    }

    /// <summary>Reads every tensor (on the CPU). The caller disposes them.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid tensor dictionary.</exception>
    public static Dictionary<string, Tensor> Read(BinaryReader reader)
    {
        Dictionary<string, Tensor> result = new(StringComparer.Ordinal);
        try
        {
            uint count = reader.ReadUInt32();
            if (count > MaxTensors)
            {
                throw new InvalidDataException($"The weights claim {count} tensors; at most {MaxTensors} are allowed.");
            }

            for (int i = 0; i < count; i++)
            {
                string name = Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadUInt16()));
                ScalarType dtype = FromCode(reader.ReadByte(), name);
                int rank = reader.ReadByte();
                if (rank > MaxRank)
                {
                    throw new InvalidDataException($"Tensor '{name}' claims rank {rank}.");
                }

                long[] shape = new long[rank];
                long elements = 1;
                for (int d = 0; d < rank; d++)
                {
                    shape[d] = reader.ReadInt64();
                    if (shape[d] < 0 || shape[d] > int.MaxValue)
                    {
                        throw new InvalidDataException($"Tensor '{name}' has an invalid dimension {shape[d]}.");
                    }

                    elements = checked(elements * shape[d]);
                }

                ulong length = reader.ReadUInt64();
                long expected = checked(elements * ElementSize(dtype));
                if (length != (ulong)expected)
                {
                    throw new InvalidDataException($"Tensor '{name}' has {length} bytes of data; its shape needs {expected}.");
                }

                byte[] data = reader.ReadBytes((int)length);
                if (data.Length != (int)length)
                {
                    throw new EndOfStreamException($"The weights end inside tensor '{name}'.");
                }

                Tensor value = empty(shape, dtype);
                value.bytes = data;
                if (!result.TryAdd(name, value))
                {
                    value.Dispose();
                    throw new InvalidDataException($"Tensor '{name}' appears twice.");
                }
            }

            return result;
        }
        catch
        {
            Dispose(result);
            throw;
        }
    }

    /// <summary>Copies tensors into a module's parameters and buffers, which must match by name, dtype-compatible shape and count.</summary>
    /// <exception cref="InvalidDataException">A tensor is missing, unexpected, or has the wrong shape; the message names it.</exception>
    public static void LoadInto(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors)
    {
        Dictionary<string, Tensor> target = module.state_dict();
        string[] missing = target.Keys.Where(k => !tensors.ContainsKey(k)).ToArray();
        string[] unexpected = tensors.Keys.Where(k => !target.ContainsKey(k)).ToArray();
        if (missing.Length > 0 || unexpected.Length > 0)
        {
            throw new InvalidDataException(
                $"The weights do not fit the model: missing [{string.Join(", ", missing.Take(5))}{(missing.Length > 5 ? ", …" : "")}], " +
                $"unexpected [{string.Join(", ", unexpected.Take(5))}{(unexpected.Length > 5 ? ", …" : "")}].");
        }

        foreach ((string name, Tensor destination) in target)
        {
            Tensor source = tensors[name];
            if (!source.shape.SequenceEqual(destination.shape))
            {
                throw new InvalidDataException(
                    $"Tensor '{name}' has shape [{string.Join(", ", source.shape)}] but the model needs [{string.Join(", ", destination.shape)}].");
            }
        }

        using IDisposable noGrad = no_grad();
        using DisposeScope scope = NewDisposeScope();
        foreach ((string name, Tensor destination) in target)
        {
            destination.copy_(tensors[name].to(destination.dtype, destination.device));
        }
    }

    /// <summary>Detached CPU copies of a module's state, e.g. to keep the best weights seen so far.</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module module)
    {
        Dictionary<string, Tensor> copy = new(StringComparer.Ordinal);
        foreach ((string name, Tensor value) in module.state_dict())
        {
            using DisposeScope scope = NewDisposeScope();
            copy[name] = value.detach().to(CPU, copy: true).MoveToOuterDisposeScope();
        }

        return copy;
    }

    public static void Dispose(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null)
        {
            return;
        }

        foreach (Tensor t in tensors.Values)
        {
            t.Dispose();
        }

        tensors.Clear();
    }

    private static byte Code(ScalarType dtype, string name) => dtype switch
    {
        ScalarType.Float32 => 1,
        ScalarType.Float64 => 2,
        ScalarType.Int64 => 3,
        _ => throw new NotSupportedException($"Tensor '{name}' has dtype {dtype}; only float32, float64 and int64 are stored."),
    };

    private static ScalarType FromCode(byte code, string name) => code switch
    {
        1 => ScalarType.Float32,
        2 => ScalarType.Float64,
        3 => ScalarType.Int64,
        _ => throw new InvalidDataException($"Tensor '{name}' has an unknown dtype code {code}."),
    };

    private static int ElementSize(ScalarType dtype) => dtype == ScalarType.Float32 ? 4 : 8;
}
