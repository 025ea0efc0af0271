using Disco.Geo.Sphere.Packaging;

namespace Disco.Geo.Engine.Prediction;

/// <summary>
/// The <see cref="IModelCardReader"/> of a server with the DISCO engine: a package is accepted only when the engine
/// can read it (header, format version, SHA-256 seal, card), so an import of a damaged or foreign file fails before
/// the model becomes visible. The card JSON is kept verbatim as the package stores it.
/// </summary>
internal sealed class ModelPackageCardReader : IModelCardReader
{
    public async Task<ModelCardJson> ReadAsync(string packagePath, CancellationToken cancellationToken)
    {
        try
        {
            (int formatVersion, string json) = await ModelPackage.ReadCardJsonAsync(packagePath, cancellationToken);
            return new ModelCardJson(formatVersion, json);
        }
        catch (ModelPackageException e)
        {
            throw new EngineInputException(e.Problem switch
            {
                ModelPackageProblem.UnsupportedVersion => e.Message,
                _ => $"{Describe(e.Problem)}: {Strip(e.Message, packagePath)} Export models with `disco models export` and import the file unchanged.",
            });
        }
    }

    /// <summary>A short description of what is wrong with a package.</summary>
    public static string Describe(ModelPackageProblem problem) => problem switch
    {
        ModelPackageProblem.NotAPackage => "This file is not a Disco model package (no DISCOMDL header)",
        ModelPackageProblem.Truncated => "The model package is truncated",
        ModelPackageProblem.Corrupt => "The model package is corrupt",
        ModelPackageProblem.UnsupportedVersion => "The model package has an unsupported format version",
        _ => "The model package cannot be used by this server",
    };

    /// <summary>The engine's message without the server-side path, which means nothing to the client.</summary>
    public static string Strip(string message, string path) => message.Replace(path, "the package", StringComparison.Ordinal);
}
