using Disco.Geo.Sphere.Packaging;

namespace Disco.Geo.Server.Engines.Prediction;

/// <summary>
/// The <see cref="IModelCardReader"/> of a server with the DISCO engine: a package is accepted only when the engine
/// can read it (header, format version, SHA-256 seal, card), so an import of a damaged or foreign file fails before
/// the model becomes visible. The card JSON is then taken verbatim from the header (<see cref="ModelPackageHeader"/>).
/// </summary>
internal sealed class ModelPackageCardReader : IModelCardReader
{
    private readonly ModelPackageHeader _header = new();

    public async Task<ModelCard> ReadAsync(string packagePath, CancellationToken cancellationToken)
    {
        try
        {
            await ModelPackage.ReadCardAsync(packagePath, cancellationToken);
        }
        catch (ModelPackageException e)
        {
            throw new EngineInputException(e.Problem switch
            {
                ModelPackageProblem.UnsupportedVersion => e.Message,
                _ => $"{Describe(e.Problem)}: {Strip(e.Message, packagePath)} Export models with `disco models export` and import the file unchanged.",
            });
        }

        return await _header.ReadAsync(packagePath, cancellationToken);
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
