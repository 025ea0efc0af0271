using System.Text.Json;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Packaging;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Interop;

/// <summary>One thing wrong with a weights file: the field at fault (e.g. "tensors.enc0.conv.weight") and what is wrong.</summary>
/// <param name="Field">Dotted path: "file", "header", "__metadata__.&lt;key&gt;", "tensors.&lt;name&gt;[.shape|.dtype|.data_offsets]" or "tensors".</param>
/// <param name="Description">What is wrong and what was expected.</param>
public sealed record WeightsViolation(string Field, string Description);

/// <summary>A weights file cannot be imported; <see cref="Violations"/> lists every defect found.</summary>
public sealed class ModelWeightsException : Exception
{
    /// <summary>Creates the exception from its violations.</summary>
    public ModelWeightsException(IReadOnlyList<WeightsViolation> violations)
        : base("The weights file cannot be imported: " + string.Join("; ", violations.Take(5).Select(v => $"{v.Field}: {v.Description}")) + (violations.Count > 5 ? $"; and {violations.Count - 5} more" : ""))
    {
        Violations = violations;
    }

    /// <summary>Creates the exception.</summary>
    public ModelWeightsException()
    {
        Violations = [];
    }

    /// <summary>Creates the exception.</summary>
    public ModelWeightsException(string message)
        : base(message)
    {
        Violations = [new WeightsViolation("file", message)];
    }

    /// <summary>Creates the exception.</summary>
    public ModelWeightsException(string message, Exception innerException)
        : base(message, innerException)
    {
        Violations = [new WeightsViolation("file", message)];
    }

    /// <summary>Every defect found, in file order.</summary>
    public IReadOnlyList<WeightsViolation> Violations { get; }
}

/// <summary>
/// Model weights as safetensors, for PyTorch users: <see cref="ExportAsync"/> writes a package's state dict with the
/// model card (verbatim JSON) in the <c>__metadata__</c> map under <see cref="CardKey"/>, and <see cref="ImportAsync"/>
/// rebuilds the architecture that card describes, checks every tensor's name, dtype and shape against it and writes a
/// model package.
/// <para>
/// Tensor names are the TorchSharp state-dict names, which for every DISCO convolution are the module path followed by
/// torch-harmonics' own parameter names: <c>&lt;path&gt;.weight</c> of shape [out_channels, in_channels/groups,
/// kernel_size] and <c>&lt;path&gt;.bias</c> of shape [out_channels], the layout of <c>DiscreteContinuousConvS2</c>
/// (and of <c>DiscreteContinuousConvTransposeS2</c>); psi is rebuilt from the configuration and never stored. Besides
/// the learned parameters the file holds the normalisation buffers (<c>input_mean</c>, <c>input_std</c>,
/// <c>target_mean</c>, <c>target_std</c>), which on import take precedence over the statistics copied in the card.
/// </para>
/// </summary>
public static class SafetensorsWeights
{
    /// <summary>The <c>__metadata__</c> key holding the model card JSON.</summary>
    public const string CardKey = "disco_geo_model_card";

    /// <summary>Writes the weights of the package at <paramref name="packagePath"/> as a safetensors file, atomically.</summary>
    /// <exception cref="ModelPackageException">The package is not valid.</exception>
    public static async Task ExportAsync(string packagePath, string safetensorsPath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(safetensorsPath);
        (_, string cardJson) = await ModelPackage.ReadCardJsonAsync(packagePath, cancellationToken).ConfigureAwait(false);
        using LoadedModel loaded = await ModelPackage.LoadAsync(packagePath, (Device?)null, cancellationToken).ConfigureAwait(false);
        byte[] file = Export(loaded.Model, new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt", [CardKey] = cardJson });
        await AtomicFile.WriteAsync(safetensorsPath, file, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads a safetensors file written by <see cref="ExportAsync"/> (or by PyTorch with the same names and the card in
    /// its metadata), validates it against the architecture its card describes and writes a model package to
    /// <paramref name="packagePath"/>. <paramref name="name"/> replaces the card's model name when given.
    /// </summary>
    /// <returns>The card of the package written.</returns>
    /// <exception cref="ModelWeightsException">The file is not valid safetensors or does not fit its card; every defect is listed.</exception>
    public static async Task<ModelCard> ImportAsync(string safetensorsPath, string packagePath, string? name = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(safetensorsPath);
        byte[] bytes = await File.ReadAllBytesAsync(safetensorsPath, cancellationToken).ConfigureAwait(false);
        List<(string Field, string Description)> violations = [];
        (Dictionary<string, SafeTensor> tensors, Dictionary<string, string> metadata) = SafetensorsFormat.Read(bytes, violations);
        ThrowIfAny(violations);
        ModelCard card = ReadCard(metadata);
        cancellationToken.ThrowIfCancellationRequested();
        using SphereModel model = SphereModelFactory.Create(card.Config);
        LoadInto(model, tensors, violations);
        ThrowIfAny(violations);
        ModelCardInfo info = new()
        {
            Name = string.IsNullOrWhiteSpace(name) ? card.Name : name,
            Description = card.Description,
            ClassNames = card.Classes.Count > 0 ? card.Classes.Select(c => c.Name).ToArray() : null,
            ClassColors = card.Classes.Count > 0 ? card.Classes.Select(c => c.Color).ToArray() : null,
            InputBandNames = card.InputBands.Select(b => b.Name).ToArray(),
            OutputBandNames = card.OutputBands.Count > 0 ? card.OutputBands.Select(b => b.Name).ToArray() : null,
            Provenance = card.Provenance,
            Metrics = card.Metrics,
        };
        try
        {
            return await ModelPackage.SaveAsync(packagePath, model, info, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            throw new ModelWeightsException([new WeightsViolation("__metadata__." + CardKey, e.Message)]);
        }
    }

    /// <summary>The state dict of <paramref name="module"/> as a safetensors file, tensors in name order.</summary>
    internal static byte[] Export(nn.Module module, IReadOnlyDictionary<string, string> metadata)
    {
        List<(string, SafeTensor)> tensors = [];
        foreach ((string tensorName, Tensor value) in module.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            using DisposeScope scope = NewDisposeScope();
            Tensor cpu = value.detach().to(CPU).contiguous();
            tensors.Add((tensorName, new SafeTensor(DTypeCode(value.dtype, tensorName), [.. value.shape], cpu.bytes.ToArray())));
        }

        return SafetensorsFormat.Write(tensors, metadata);
    }

    /// <summary>
    /// Copies safetensors tensors into a module's parameters and buffers after checking that the names, dtypes and shapes
    /// are exactly the module's; every mismatch is added to <paramref name="violations"/> and nothing is copied then.
    /// </summary>
    internal static void LoadInto(nn.Module module, IReadOnlyDictionary<string, SafeTensor> tensors, List<(string Field, string Description)> violations)
    {
        Dictionary<string, Tensor> target = module.state_dict();
        int before = violations.Count;
        foreach ((string tensorName, Tensor destination) in target.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            string field = "tensors." + tensorName;
            if (!tensors.TryGetValue(tensorName, out SafeTensor? source))
            {
                violations.Add((field, $"is missing; the architecture needs it with shape [{string.Join(", ", destination.shape)}] ({DTypeCode(destination.dtype, tensorName)})."));
                continue;
            }

            if (source.DType != DTypeCode(destination.dtype, tensorName))
            {
                violations.Add((field + ".dtype", $"is {source.DType}; the architecture stores this tensor as {DTypeCode(destination.dtype, tensorName)}."));
            }

            if (!source.Shape.SequenceEqual(destination.shape))
            {
                violations.Add((field + ".shape", $"is [{string.Join(", ", source.Shape)}]; the architecture needs [{string.Join(", ", destination.shape)}]."));
            }
        }

        foreach (string unexpected in tensors.Keys.Where(k => !target.ContainsKey(k)).Order(StringComparer.Ordinal))
        {
            violations.Add(("tensors." + unexpected, "is not a parameter or buffer of the architecture the card describes."));
        }

        if (violations.Count > before)
        {
            return;
        }

        using IDisposable noGrad = no_grad();
        foreach ((string tensorName, Tensor destination) in target)
        {
            SafeTensor source = tensors[tensorName];
            using Tensor cpu = empty(source.Shape, destination.dtype);
            cpu.bytes = source.Data;
            destination.copy_(cpu);
        }
    }

    private static ModelCard ReadCard(Dictionary<string, string> metadata)
    {
        const string field = "__metadata__." + CardKey;
        if (!metadata.TryGetValue(CardKey, out string? json))
        {
            throw new ModelWeightsException([new WeightsViolation(field,
                "is missing: the model card says which architecture the weights belong to. Export with `disco models export --format safetensors`, or copy that file's metadata when saving from PyTorch.")]);
        }

        ModelCard? card;
        try
        {
            card = JsonSerializer.Deserialize<ModelCard>(json, ModelJson.Options);
        }
        catch (JsonException e)
        {
            throw new ModelWeightsException([new WeightsViolation(field, $"is not a valid model card: {e.Message}")]);
        }

        if (card is null || card.Format != ModelCard.FormatName)
        {
            throw new ModelWeightsException([new WeightsViolation(field, $"is not a \"{ModelCard.FormatName}\" card.")]);
        }

        try
        {
            card.Config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ModelWeightsException([new WeightsViolation(field + ".config", $"describes a model this build cannot rebuild: {e.Message}")]);
        }

        return card;
    }

    private static void ThrowIfAny(List<(string Field, string Description)> violations)
    {
        if (violations.Count > 0)
        {
            throw new ModelWeightsException(violations.Select(v => new WeightsViolation(v.Field, v.Description)).ToArray());
        }
    }

    private static string DTypeCode(ScalarType dtype, string tensorName) => dtype switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float64 => "F64",
        ScalarType.Int64 => "I64",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int32 => "I32",
        _ => throw new NotSupportedException($"Tensor '{tensorName}' has dtype {dtype}, which has no safetensors code here."),
    };
}
