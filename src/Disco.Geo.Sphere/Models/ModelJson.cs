using System.Text.Json;
using System.Text.Json.Serialization;

namespace Disco.Geo.Sphere.Models;

/// <summary>
/// The JSON conventions of configurations, checkpoints and model cards: snake_case property names, enums as
/// kebab-case strings ("equiangular-trapezoidal", "piecewise-linear", "disco-unet"), no comments, no trailing commas.
/// </summary>
internal static class ModelJson
{
    public static JsonSerializerOptions Options { get; } = Create(indented: true);

    public static JsonSerializerOptions Compact { get; } = Create(indented: false);

    private static JsonSerializerOptions Create(bool indented)
    {
        JsonSerializerOptions options = new()
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            WriteIndented = indented,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
