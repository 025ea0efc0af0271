using Disco.Geo.Sphere.Inference;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Packaging;

namespace Disco.Geo.Engine.Prediction;

/// <summary>
/// The rules of levelling a prediction with a second model (<see cref="CameraLeveller"/>): the leveller must turn with
/// the camera, so it is an isotropic DISCO segmentation model; it finds "up" as the dipole of its class named
/// <see cref="UpClassName"/> against its class named <see cref="DownClassName"/> (the scene library's and the
/// panorama samples' class names), on the model's grid and input bands. Checked at the RPC from the two packages'
/// cards, before any job exists, and again when the job loads them.
/// </summary>
public static class Levelling
{
    /// <summary>The leveller's class above the camera.</summary>
    public const string UpClassName = "ceiling";

    /// <summary>The leveller's class below the camera.</summary>
    public const string DownClassName = "floor";

    /// <summary>Most refinement passes a prediction may ask for: each one is a full forward pass of the model.</summary>
    public const int MaxRefinements = 3;

    /// <summary>What is wrong with levelling <paramref name="model"/> by <paramref name="leveller"/>, or null when nothing is.</summary>
    /// <param name="leveller">The leveller's card.</param>
    /// <param name="model">The model's card.</param>
    /// <param name="refinements">Refinement passes asked for.</param>
    public static string? Problem(ModelCard leveller, ModelCard model, int refinements)
    {
        ArgumentNullException.ThrowIfNull(leveller);
        ArgumentNullException.ThrowIfNull(model);
        ModelConfig config = leveller.Config;
        if (!CameraLeveller.CanLevel(config))
        {
            return $"model {leveller.Name} cannot level: a leveller must turn with the camera, so it must be a DISCO segmentation model with an isotropic kernel "
                + $"(kernel_shape [n]); it is a {config.Architecture.ToName()} {config.Task.ToName()} model with kernel shape [{string.Join(", ", config.KernelShape)}].";
        }

        if (UpAndDown(leveller) is null)
        {
            return $"model {leveller.Name} cannot level: it needs classes named '{UpClassName}' and '{DownClassName}' (above and below the camera); "
                + $"its classes are {string.Join(", ", leveller.Classes.Select(c => $"'{c.Name}'"))}.";
        }

        if (!config.Grid.Equals(model.Config.Grid) || config.InputChannels != model.Config.InputChannels)
        {
            return $"model {leveller.Name} cannot level model {model.Name}: the leveller must run on the model's grid ({model.Config.Grid}) with its "
                + $"{model.Config.InputChannels} input band(s); it runs on {config.Grid} with {config.InputChannels}.";
        }

        if (refinements is < 0 or > MaxRefinements)
        {
            return $"level_refinements = {refinements} must be between 0 and {MaxRefinements}.";
        }

        if (refinements > 0 && !leveller.Classes.Select(c => c.Name).SequenceEqual(model.Classes.Select(c => c.Name), StringComparer.OrdinalIgnoreCase))
        {
            return $"level_refinements needs a segmentation model with the leveller's classes in the same order ({string.Join(", ", leveller.Classes.Select(c => c.Name))}); "
                + $"model {model.Name} has {(model.Classes.Count == 0 ? $"none (a {model.Config.Task.ToName()} model)" : string.Join(", ", model.Classes.Select(c => c.Name)))}. Ask for 0 refinements.";
        }

        return null;
    }

    /// <summary>
    /// <see cref="Problem"/> on two cards as a catalog keeps them (<see cref="IModelCardReader"/>), without reading the
    /// packages; a card that cannot be parsed is a problem too.
    /// </summary>
    /// <param name="leveller">The leveller's stored card.</param>
    /// <param name="levellerName">The leveller's name, for messages.</param>
    /// <param name="model">The model's stored card.</param>
    /// <param name="modelName">The model's name, for messages.</param>
    /// <param name="refinements">Refinement passes asked for.</param>
    public static string? Check(ModelCardJson leveller, string levellerName, ModelCardJson model, string modelName, int refinements)
    {
        ArgumentNullException.ThrowIfNull(leveller);
        ArgumentNullException.ThrowIfNull(model);
        ModelCard levellerCard, modelCard;
        try
        {
            levellerCard = ModelPackage.ParseCardJson(leveller.Json, leveller.FormatVersion);
            modelCard = ModelPackage.ParseCardJson(model.Json, model.FormatVersion);
        }
        catch (ModelPackageException e)
        {
            return $"the stored card of model {levellerName} or {modelName} cannot be read ({ModelPackageCardReader.Describe(e.Problem)}); check them with `disco models verify`.";
        }

        return Problem(levellerCard with { Name = levellerName }, modelCard with { Name = modelName }, refinements);
    }

    /// <summary>The leveller of a loaded model, after <see cref="Problem"/> found nothing wrong.</summary>
    internal static CameraLeveller Create(LoadedModel leveller, int refinements)
    {
        (int up, int down) = UpAndDown(leveller.Card) ?? throw new InvalidOperationException("Check the leveller with Levelling.Problem first.");
        return new CameraLeveller(leveller.Model, up, down) { Refinements = refinements };
    }

    private static (int Up, int Down)? UpAndDown(ModelCard card)
    {
        int up = IndexOf(card, UpClassName), down = IndexOf(card, DownClassName);
        return up >= 0 && down >= 0 ? (up, down) : null;
    }

    private static int IndexOf(ModelCard card, string name)
    {
        for (int i = 0; i < card.Classes.Count; i++)
        {
            if (string.Equals(card.Classes[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}
