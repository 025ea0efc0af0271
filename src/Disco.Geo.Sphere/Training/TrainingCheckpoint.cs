using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Packaging;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Training;

/// <summary>The resumable state of a run besides weights and optimizer moments.</summary>
internal sealed class TrainingState
{
    public long Step { get; set; }

    public long LastValidatedStep { get; set; }

    public double? BestMetric { get; set; }

    public double BestLoss { get; set; } = double.PositiveInfinity;

    public int? BestEpoch { get; set; }

    public int ValidationsWithoutImprovement { get; set; }

    public bool EarlyStopped { get; set; }

    public double ElapsedSeconds { get; set; }

    public List<double> StepLosses { get; set; } = [];

    public List<EpochRecord> Validations { get; set; } = [];
}

/// <summary>
/// A training checkpoint: one file, written atomically (a temporary file in the same directory, flushed to disk, then
/// renamed over the old one), so a crash leaves either the previous or the new checkpoint, never a torn one.
/// <code>
/// bytes 0..7   ASCII "DISCOCKP"
/// u32          format version (2; version 1 held TorchSharp's AdamW state and is refused)
/// u32          JSON length, then the JSON: format version, model configuration, run fingerprint, TrainingState
/// u64 + bytes  model weights (TensorDictionary)
/// u64 + bytes  optimizer state (DecoupledAdamW.Save: step counts and moments per parameter)
/// u64 + bytes  best weights so far (TensorDictionary), length 0 when none
/// 32 bytes     SHA-256 of everything before
/// </code>
/// Data order and augmentation are drawn from (seed, epoch, step, slot), so the step counter is the whole random state.
/// </summary>
internal sealed class TrainingCheckpoint : IDisposable
{
    public const int FormatVersion = 2;
    private const string Magic = "DISCOCKP";

    private TrainingCheckpoint(ModelConfig config, string fingerprint, TrainingState state, Dictionary<string, Tensor> weights, byte[] optimizer, Dictionary<string, Tensor>? best)
    {
        Config = config;
        Fingerprint = fingerprint;
        State = state;
        Weights = weights;
        OptimizerState = optimizer;
        BestWeights = best;
    }

    public ModelConfig Config { get; }

    public string Fingerprint { get; }

    public TrainingState State { get; }

    public Dictionary<string, Tensor> Weights { get; }

    public byte[] OptimizerState { get; }

    public Dictionary<string, Tensor>? BestWeights { get; private set; }

    /// <summary>Hands the best weights to the caller, who then disposes them.</summary>
    public Dictionary<string, Tensor>? TakeBestWeights()
    {
        Dictionary<string, Tensor>? best = BestWeights;
        BestWeights = null;
        return best;
    }

    public static void Write(string path, SphereModel model, DecoupledAdamW optimizer, string fingerprint, TrainingState state, Dictionary<string, Tensor>? best)
    {
        using MemoryStream buffer = new();
        using (BinaryWriter writer = new(buffer, Encoding.UTF8, leaveOpen: true))
        {
            JsonObject json = new()
            {
                ["format_version"] = FormatVersion,
                ["model"] = JsonNode.Parse(model.Config.ToJson()),
                ["fingerprint"] = JsonNode.Parse(fingerprint),
                ["state"] = JsonSerializer.SerializeToNode(state, ModelJson.Options),
            };
            byte[] jsonBytes = Encoding.UTF8.GetBytes(json.ToJsonString(ModelJson.Compact));
            writer.Write(Encoding.ASCII.GetBytes(Magic));
            writer.Write((uint)FormatVersion);
            writer.Write((uint)jsonBytes.Length);
            writer.Write(jsonBytes);
            WriteSection(writer, w => TensorDictionary.Write(w, model.state_dict().Select(kv => (kv.Key, kv.Value))));
            WriteSection(writer, optimizer.Save);
            if (best is null)
            {
                writer.Write(0UL);
            }
            else
            {
                WriteSection(writer, w => TensorDictionary.Write(w, best.Select(kv => (kv.Key, kv.Value))));
            }
        }

        byte[] hash = SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        buffer.Write(hash);
        // The directory is the job's working directory, made when training started; on a cluster it lies on the shared
        // root, and if that went away (unmounted, moved) recreating it here would plant an empty root in its place.
        AtomicFile.Write(path, buffer.GetBuffer().AsSpan(0, (int)buffer.Length), createDirectory: false);
    }

    /// <exception cref="InvalidDataException">The file is not a valid checkpoint (the message says why).</exception>
    public static TrainingCheckpoint Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 16 + 32 || Encoding.ASCII.GetString(bytes, 0, 8) != Magic)
        {
            throw new InvalidDataException($"{path} is not a Disco training checkpoint (no DISCOCKP header).");
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"{path} is a version {version} checkpoint; this build reads version {FormatVersion}. Delete it to start over.");
        }

        byte[] expected = SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32));
        if (!expected.AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
        {
            throw new InvalidDataException($"{path} is corrupt or truncated (checksum mismatch). Delete it to start over.");
        }

        using MemoryStream stream = new(bytes, 12, bytes.Length - 12 - 32);
        using BinaryReader reader = new(stream);
        JsonNode json = JsonNode.Parse(reader.ReadBytes((int)reader.ReadUInt32()))
            ?? throw new InvalidDataException($"{path} has an empty checkpoint header.");
        ModelConfig config = ModelConfig.FromJson(json["model"]!.ToJsonString());
        string fingerprint = json["fingerprint"]!.ToJsonString(ModelJson.Compact);
        TrainingState state = json["state"].Deserialize<TrainingState>(ModelJson.Options)
            ?? throw new InvalidDataException($"{path} has no training state.");
        Dictionary<string, Tensor> weights = TensorDictionary.Read(new BinaryReader(new MemoryStream(ReadSection(reader))));
        byte[] optimizer = ReadSection(reader);
        byte[] bestBytes = ReadSection(reader);
        Dictionary<string, Tensor>? best = bestBytes.Length == 0 ? null : TensorDictionary.Read(new BinaryReader(new MemoryStream(bestBytes)));
        return new TrainingCheckpoint(config, fingerprint, state, weights, optimizer, best);
    }

    public void Dispose()
    {
        TensorDictionary.Dispose(Weights);
        TensorDictionary.Dispose(BestWeights);
    }

    private static void WriteSection(BinaryWriter writer, Action<BinaryWriter> write)
    {
        using MemoryStream section = new();
        using (BinaryWriter sectionWriter = new(section, Encoding.UTF8, leaveOpen: true))
        {
            write(sectionWriter);
        }

        writer.Write((ulong)section.Length);
        writer.Write(section.GetBuffer(), 0, (int)section.Length);
    }

    private static byte[] ReadSection(BinaryReader reader)
    {
        ulong length = reader.ReadUInt64();
        if (length > (ulong)(reader.BaseStream.Length - reader.BaseStream.Position))
        {
            throw new InvalidDataException("A checkpoint section is longer than the file.");
        }

        return reader.ReadBytes((int)length);
    }
}
