using Disco.Geo.Sphere.Interop;
using Disco.Geo.Sphere.Packaging;

namespace Disco.Geo.Engine.Weights;

/// <summary>The <see cref="IModelWeightsConverter"/> of the DISCO engine, over <see cref="SafetensorsWeights"/>.</summary>
internal sealed class SafetensorsConverter : IModelWeightsConverter
{
    public async Task ExportSafetensorsAsync(string packagePath, string outputPath, CancellationToken cancellationToken)
    {
        try
        {
            await SafetensorsWeights.ExportAsync(packagePath, outputPath, cancellationToken);
        }
        catch (ModelPackageException e)
        {
            // The stored package is the server's state, not the client's input.
            throw new EngineStateException(
                $"{Prediction.ModelPackageCardReader.Describe(e.Problem)}: {Prediction.ModelPackageCardReader.Strip(e.Message, packagePath)}",
                e.Problem == ModelPackageProblem.Incompatible || e.Problem == ModelPackageProblem.UnsupportedVersion ? EngineStateProblem.Incompatible : EngineStateProblem.Damaged,
                e);
        }
    }

    public async Task ImportSafetensorsAsync(string safetensorsPath, string packagePath, string? name, CancellationToken cancellationToken)
    {
        try
        {
            await SafetensorsWeights.ImportAsync(safetensorsPath, packagePath, name, cancellationToken);
        }
        catch (ModelWeightsException e)
        {
            throw new EngineFileException(e.Violations.Select(v => (v.Field, v.Description.Replace(safetensorsPath, "the file", StringComparison.Ordinal))).ToArray());
        }
    }
}
