using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Disco.Geo.Sphere.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Packaging;

/// <summary>A model rebuilt from a package, with its card. Disposing it disposes the model.</summary>
/// <param name="Model">The model, on the requested device, in evaluation mode.</param>
/// <param name="Card">The card.</param>
public sealed record LoadedModel(SphereModel Model, ModelCard Card) : IDisposable
{
    /// <inheritdoc />
    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Saves and loads models as one versioned file: a binary header, a JSON <see cref="ModelCard"/> and the weights,
/// sealed by a SHA-256 checksum. Writes are atomic. Reading validates everything and throws
/// <see cref="ModelPackageException"/> naming the problem (not a package, truncated, corrupt, unsupported version,
/// incompatible).
/// <code>
/// bytes 0..7    ASCII "DISCOMDL"
/// bytes 8..11   u32 LE format version (1)
/// bytes 12..15  u32 LE card length L (1 .. 1 MiB)
/// bytes 16..    L bytes UTF-8 JSON: the model card
/// then          u64 LE weights length W, then W bytes of weights (a tensor dictionary, see below)
/// then          32 bytes: SHA-256 of every preceding byte
/// tensor dictionary: u32 count, then per tensor u16 name length, UTF-8 name, u8 dtype (1 f32, 2 f64, 3 i64),
///                    u8 rank, rank × i64 dims, u64 byte length, raw little-endian row-major data
/// </code>
/// </summary>
public static partial class ModelPackage
{
    /// <summary>The format version this build writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>Largest accepted card.</summary>
    public const int MaxCardBytes = 1 << 20;

    private const string Magic = "DISCOMDL";
    private const string WeightsFormat = "disco-tensor-dictionary-v1";
    private const int HashBytes = 32;

    private static readonly string[] Palette =
        ["#1f4e9c", "#3a9c3a", "#d9a441", "#c0392b", "#8e44ad", "#16a085", "#7f8c8d", "#e67e22", "#2c3e50", "#f1c40f"];

    /// <summary>
    /// Writes <paramref name="model"/> (weights, configuration and normalisation) with the caller's card information to
    /// <paramref name="path"/>, atomically. Returns the card written.
    /// </summary>
    /// <exception cref="ArgumentException">The card information does not fit the model (e.g. class names missing or miscounted).</exception>
    public static async Task<ModelCard> SaveAsync(string path, SphereModel model, ModelCardInfo info, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(info);
        byte[] weights;
        int tensorCount;
        using (MemoryStream stream = new())
        {
            using (BinaryWriter writer = new(stream, Encoding.UTF8, leaveOpen: true))
            {
                Dictionary<string, Tensor> state = model.state_dict();
                tensorCount = state.Count;
                TensorDictionary.Write(writer, state.Select(kv => (kv.Key, kv.Value)));
            }

            weights = stream.ToArray();
        }

        ModelCard card = BuildCard(model, info, weights, tensorCount);
        byte[] cardBytes = JsonSerializer.SerializeToUtf8Bytes(card, ModelJson.Options);
        if (cardBytes.Length > MaxCardBytes)
        {
            throw new ArgumentException($"The model card is {cardBytes.Length} bytes; at most {MaxCardBytes} fit. Shorten the provenance or description.", nameof(info));
        }

        byte[] file = new byte[16 + cardBytes.Length + 8 + weights.Length + HashBytes];
        Encoding.ASCII.GetBytes(Magic, file);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(12), (uint)cardBytes.Length);
        cardBytes.CopyTo(file, 16);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(16 + cardBytes.Length), (ulong)weights.Length);
        weights.CopyTo(file, 16 + cardBytes.Length + 8);
        SHA256.HashData(file.AsSpan(0, file.Length - HashBytes), file.AsSpan(file.Length - HashBytes));
        await AtomicFile.WriteAsync(path, file, cancellationToken).ConfigureAwait(false);
        return card;
    }

    /// <summary>Reads and validates the card of a package (header, checksum and card; the network is not built).</summary>
    /// <exception cref="ModelPackageException">The file is not a valid package.</exception>
    public static async Task<ModelCard> ReadCardAsync(string path, CancellationToken cancellationToken = default)
    {
        (ModelCard card, _, _) = await ReadAsync(path, cancellationToken).ConfigureAwait(false);
        return card;
    }

    /// <summary>
    /// Reads and validates a package as <see cref="ReadCardAsync"/> does and returns its format version and its card as the
    /// JSON stored in it, verbatim (for catalogs that keep the card as written).
    /// </summary>
    /// <exception cref="ModelPackageException">The file is not a valid package.</exception>
    public static async Task<(int FormatVersion, string Json)> ReadCardJsonAsync(string path, CancellationToken cancellationToken = default)
    {
        (ModelCard card, _, string json) = await ReadAsync(path, cancellationToken).ConfigureAwait(false);
        return (card.FormatVersion, json);
    }

    /// <summary>
    /// Rebuilds the model of a package on the device named by <paramref name="device"/> ("auto", "cpu", "cuda" or
    /// "cuda:N", see <see cref="Runtime.TorchDevices.Select"/>), loads its weights and returns it in evaluation mode.
    /// </summary>
    /// <exception cref="ArgumentException">The device name is unknown or CUDA is not available.</exception>
    /// <exception cref="ModelPackageException">The file is not a valid package or its weights do not fit the configuration.</exception>
    public static Task<LoadedModel> LoadAsync(string path, string device, CancellationToken cancellationToken = default) =>
        LoadAsync(path, Runtime.TorchDevices.Select(device), cancellationToken);

    /// <summary>
    /// Rebuilds the model of a package on <paramref name="device"/> (null = CPU), loads its weights and returns it in
    /// evaluation mode with its card.
    /// </summary>
    /// <exception cref="ModelPackageException">The file is not a valid package or its weights do not fit the configuration.</exception>
    public static async Task<LoadedModel> LoadAsync(string path, Device? device = null, CancellationToken cancellationToken = default)
    {
        (ModelCard card, byte[] weights, _) = await ReadAsync(path, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        SphereModel model = SphereModelFactory.Create(card.Config);
        try
        {
            Dictionary<string, Tensor> tensors;
            try
            {
                using BinaryReader reader = new(new MemoryStream(weights));
                tensors = TensorDictionary.Read(reader);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or OverflowException)
            {
                throw new ModelPackageException(ModelPackageProblem.Corrupt, $"The weights in {path} are damaged: {e.Message}", e);
            }

            try
            {
                TensorDictionary.LoadInto(model, tensors);
            }
            catch (InvalidDataException e)
            {
                throw new ModelPackageException(ModelPackageProblem.Incompatible, $"The weights in {path} do not fit its configuration: {e.Message}", e);
            }
            finally
            {
                TensorDictionary.Dispose(tensors);
            }

            if (device is not null)
            {
                model.to(device);
            }

            model.eval();
            return new LoadedModel(model, card);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static async Task<(ModelCard Card, byte[] Weights, string Json)> ReadAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The model package {path} does not exist.", path);
        }

        byte[] bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        if (bytes.Length < 8 || Encoding.ASCII.GetString(bytes, 0, 8) != Magic)
        {
            throw new ModelPackageException(ModelPackageProblem.NotAPackage,
                $"{path} is not a Disco model package: it does not start with the DISCOMDL header. Export models with the model package writer.");
        }

        if (bytes.Length < 16)
        {
            throw new ModelPackageException(ModelPackageProblem.Truncated, $"{path} ends inside its header ({bytes.Length} bytes); the file is truncated.");
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (version == 0)
        {
            throw new ModelPackageException(ModelPackageProblem.Corrupt, $"{path} has format version 0, which does not exist; the file is corrupt.");
        }

        if (version != FormatVersion)
        {
            throw new ModelPackageException(ModelPackageProblem.UnsupportedVersion,
                $"{path} has package format version {version}; this build of Disco.Geo reads version {FormatVersion}. " +
                (version > FormatVersion ? "Upgrade Disco.Geo to load it." : "Re-export the model with this version."));
        }

        uint cardLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        if (cardLength is 0 or > MaxCardBytes)
        {
            throw new ModelPackageException(ModelPackageProblem.Corrupt, $"{path} declares a card of {cardLength} bytes; it must be 1..{MaxCardBytes}. The file is corrupt.");
        }

        long weightsOffset = 16L + cardLength + 8;
        if (bytes.Length < weightsOffset)
        {
            throw new ModelPackageException(ModelPackageProblem.Truncated, $"{path} ends inside its card; the file is truncated ({bytes.Length} bytes).");
        }

        ulong weightsLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16 + (int)cardLength));
        ulong expectedLength = (ulong)weightsOffset + weightsLength + HashBytes;
        if (weightsLength > int.MaxValue || (ulong)bytes.Length < expectedLength)
        {
            throw new ModelPackageException(ModelPackageProblem.Truncated,
                $"{path} is {bytes.Length} bytes but its header promises {expectedLength}; the file is truncated (copy it again).");
        }

        if ((ulong)bytes.Length > expectedLength)
        {
            throw new ModelPackageException(ModelPackageProblem.Corrupt,
                $"{path} has {(ulong)bytes.Length - expectedLength} bytes after its checksum; the file is corrupt.");
        }

        byte[] hash = SHA256.HashData(bytes.AsSpan(0, bytes.Length - HashBytes));
        if (!hash.AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - HashBytes)))
        {
            throw new ModelPackageException(ModelPackageProblem.Corrupt, $"{path} fails its SHA-256 checksum: the file is corrupt (copy it again).");
        }

        ModelCard card = ParseCard(path, bytes.AsSpan(16, (int)cardLength), (int)version);
        byte[] weights = bytes.AsSpan((int)weightsOffset, (int)weightsLength).ToArray();
        if (card.Weights.Bytes != weights.Length || !string.Equals(card.Weights.Sha256, Convert.ToHexStringLower(SHA256.HashData(weights)), StringComparison.Ordinal))
        {
            throw new ModelPackageException(ModelPackageProblem.Corrupt, $"The card of {path} does not describe its weights section (length or SHA-256 differ).");
        }

        return (card, weights, Encoding.UTF8.GetString(bytes, 16, (int)cardLength));
    }

    /// <summary>
    /// A card as <see cref="ReadCardJsonAsync"/> returned it (kept by a catalog), parsed and checked as a package's card
    /// is, without reading the package.
    /// </summary>
    /// <exception cref="ModelPackageException">The JSON is not a valid card of that format version.</exception>
    public static ModelCard ParseCardJson(string json, int formatVersion)
    {
        ArgumentNullException.ThrowIfNull(json);
        return ParseCard("the stored card", Encoding.UTF8.GetBytes(json), formatVersion);
    }

    private static ModelCard ParseCard(string path, ReadOnlySpan<byte> json, int version)
    {
        ModelCard? card;
        try
        {
            card = JsonSerializer.Deserialize<ModelCard>(json, ModelJson.Options);
        }
        catch (JsonException e)
        {
            throw new ModelPackageException(ModelPackageProblem.Corrupt, $"The card of {path} is not a valid model card: {e.Message}", e);
        }

        if (card is null || card.Format != ModelCard.FormatName)
        {
            throw new ModelPackageException(ModelPackageProblem.Corrupt, $"The card of {path} is not a \"{ModelCard.FormatName}\" card.");
        }

        if (card.FormatVersion != version)
        {
            throw new ModelPackageException(ModelPackageProblem.Corrupt,
                $"The card of {path} says format version {card.FormatVersion} but the header says {version}; the file is corrupt.");
        }

        try
        {
            card.Config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ModelPackageException(ModelPackageProblem.Incompatible, $"{path} describes a model this build cannot rebuild: {e.Message}", e);
        }

        if (!Equals(card.Grid, card.Config.Grid))
        {
            throw new ModelPackageException(ModelPackageProblem.Corrupt, $"The card of {path} names grid {card.Grid} but its configuration has {card.Config.Grid}.");
        }

        bool segmentation = card.Config.Task == ModelTask.Segmentation;
        if ((segmentation && card.Classes.Count != card.Config.OutputChannels) || card.InputBands.Count != card.Config.InputChannels ||
            (!segmentation && card.OutputBands.Count != card.Config.OutputChannels))
        {
            throw new ModelPackageException(ModelPackageProblem.Corrupt,
                $"The card of {path} lists {card.InputBands.Count} input bands, {card.Classes.Count} classes and {card.OutputBands.Count} output bands, which does not match its configuration.");
        }

        return card;
    }

    private static ModelCard BuildCard(SphereModel model, ModelCardInfo info, byte[] weights, int tensorCount)
    {
        ModelConfig config = model.Config;
        if (string.IsNullOrWhiteSpace(info.Name))
        {
            throw new ArgumentException("The model needs a name (ModelCardInfo.Name).", nameof(info));
        }

        List<ClassInfo> classes = [];
        if (config.Task == ModelTask.Segmentation)
        {
            IReadOnlyList<string> names = info.ClassNames ?? throw new ArgumentException(
                $"A segmentation model needs class names: give {config.OutputChannels} in ModelCardInfo.ClassNames.", nameof(info));
            if (names.Count != config.OutputChannels || names.Any(string.IsNullOrWhiteSpace))
            {
                throw new ArgumentException($"Give exactly {config.OutputChannels} non-blank class names, got {names.Count}.", nameof(info));
            }

            if (info.ClassColors is not null && (info.ClassColors.Count != names.Count || info.ClassColors.Any(c => c is null || !ColorPattern().IsMatch(c))))
            {
                throw new ArgumentException($"Give one colour per class as \"#RRGGBB\", got [{string.Join(", ", info.ClassColors)}].", nameof(info));
            }

            for (int c = 0; c < names.Count; c++)
            {
                classes.Add(new ClassInfo(c, names[c], info.ClassColors?[c].ToLowerInvariant() ?? Palette[c % Palette.Length]));
            }
        }
        else if (info.ClassNames is { Count: > 0 })
        {
            throw new ArgumentException($"Class names apply to segmentation; this is a {config.Task.ToName()} model.", nameof(info));
        }

        ChannelStatistics inputs = model.InputStatistics;
        IReadOnlyList<string> inputNames = Names(info.InputBandNames, config.InputChannels, c => $"band_{c}", "input band");
        List<BandInfo> outputs = [];
        if (config.Task != ModelTask.Segmentation)
        {
            ChannelStatistics targets = model.TargetStatistics;
            IReadOnlyList<string> outputNames = Names(info.OutputBandNames, config.OutputChannels, c => config.Task == ModelTask.Depth ? "depth" : $"output_{c}", "output band");
            outputs.AddRange(outputNames.Select((name, c) => new BandInfo(name, targets.Mean[c], targets.Std[c])));
        }

        Dictionary<string, double> metrics = new(StringComparer.Ordinal);
        foreach ((string name, double value) in info.Metrics ?? new Dictionary<string, double>())
        {
            // JSON has no NaN or infinity; an undefined metric (e.g. the IoU of a class that never occurred) is left out.
            if (double.IsFinite(value))
            {
                metrics[name] = value;
            }
        }

        return new ModelCard
        {
            FormatVersion = FormatVersion,
            Name = info.Name.Trim(),
            Description = info.Description,
            Architecture = config.Architecture.ToName(),
            Task = config.Task.ToName(),
            Grid = config.Grid,
            Config = config,
            ParameterCount = model.ParameterCount,
            Classes = classes,
            InputBands = inputNames.Select((name, c) => new BandInfo(name, inputs.Mean[c], inputs.Std[c])).ToArray(),
            OutputBands = outputs,
            Provenance = new SortedDictionary<string, string>(info.Provenance?.ToDictionary() ?? [], StringComparer.Ordinal),
            Metrics = metrics,
            LibraryVersions = LibraryVersions.Current(),
            CreatedUtc = DateTimeOffset.UtcNow,
            Weights = new WeightsInfo(WeightsFormat, weights.Length, Convert.ToHexStringLower(SHA256.HashData(weights)), tensorCount),
        };
    }

    private static IReadOnlyList<string> Names(IReadOnlyList<string>? given, int count, Func<int, string> fallback, string what)
    {
        if (given is null)
        {
            return Enumerable.Range(0, count).Select(fallback).ToArray();
        }

        if (given.Count != count || given.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Give exactly {count} non-blank {what} names, got {given.Count}."), nameof(given));
        }

        return given;
    }

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    private static partial Regex ColorPattern();
}
