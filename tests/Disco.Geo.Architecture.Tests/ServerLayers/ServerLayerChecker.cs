using System.Text.RegularExpressions;

namespace Disco.Geo.Architecture.Tests.ServerLayers;

/// <summary>
/// Checks the server's folder layering from the text of its sources: every using directive and fully qualified name that
/// names a server folder (Disco.Geo.Server.X), gRPC (Grpc.*) or the wire types (Disco.Geo.Protos), and every name
/// qualified from a server folder only ("Jobs.IJobHandler"), which C# resolves inside the server's namespace without a
/// using. A file's layer is its top-level folder.
/// </summary>
internal static partial class ServerLayerChecker
{
    public const string ServerDirectory = "src/Disco.Geo.Server";
    private const string ServerNamespace = "Disco.Geo.Server";

    public static IReadOnlyList<Violation> Check(IEnumerable<SourceFile> files, IReadOnlyList<ServerLayer> layers)
    {
        Dictionary<string, ServerLayer> byFolder = layers
            .SelectMany(layer => layer.Folders.Select(folder => (folder, layer)))
            .ToDictionary(pair => pair.folder, pair => pair.layer, StringComparer.Ordinal);
        Dictionary<string, ServerLayer> byName = layers.ToDictionary(layer => layer.Name, StringComparer.Ordinal);
        var folderQualified = new Regex(
            $@"(?<![\w.:])(?<folder>{string.Join("|", byFolder.Keys.Select(Regex.Escape))})\.(?=[A-Z])", RegexOptions.CultureInvariant);
        List<Violation> violations = [];
        SortedSet<string> unknownFolders = new(StringComparer.Ordinal);
        foreach (SourceFile file in files)
        {
            int slash = file.Path.IndexOf('/', StringComparison.Ordinal);
            string? folder = slash < 0 ? null : file.Path[..slash];
            ServerLayer? layer = folder is null ? byName[ServerLayerRules.RootLayer] : byFolder.GetValueOrDefault(folder);
            if (layer is null)
            {
                unknownFolders.Add(folder!);
                continue;
            }

            string[] lines = CodeText.Strip(file.Text).Split('\n');
            for (int index = 0; index < lines.Length; index++)
            {
                string line = lines[index];
                if (line.TrimStart().StartsWith("namespace ", StringComparison.Ordinal))
                {
                    continue;
                }

                string where = $"{ServerDirectory}/{file.Path}:{index + 1}";
                foreach (Match reference in Reference().Matches(line))
                {
                    string? target = reference.Groups["folder"].Success ? reference.Groups["folder"].Value : null;
                    if (Broken(layer, reference.Groups["name"].Value, target, byFolder) is { } rule)
                    {
                        violations.Add(new Violation(where, rule));
                    }
                }

                foreach (Match reference in folderQualified.Matches(line))
                {
                    string target = reference.Groups["folder"].Value;
                    if (Broken(layer, $"{ServerNamespace}.{target}", target, byFolder) is { } rule)
                    {
                        violations.Add(new Violation(where, rule));
                    }
                }
            }
        }

        violations.InsertRange(0, unknownFolders.Select(folder => new Violation(
            $"{ServerDirectory}/{folder}/",
            "folder has no layer in the server layer table (engines belong in Disco.Geo.Engine; anything else: add it to a layer)")));
        return violations;
    }

    private static string? Broken(ServerLayer layer, string name, string? folder, Dictionary<string, ServerLayer> byFolder)
    {
        if (folder is null)
        {
            return layer.MayUseWire
                ? null
                : $"{layer.Name} uses {name}: no gRPC or proto types below the Api layer (map them in Api)";
        }

        if (!byFolder.TryGetValue(folder, out ServerLayer? target))
        {
            return $"{layer.Name} uses {name}: {folder}/ has no layer in the server layer table";
        }

        if (target == layer || layer.MayUse.Contains(target.Name))
        {
            return null;
        }

        string may = layer.MayUse.Count == 0 ? "only its own layer" : string.Join(", ", layer.MayUse);
        return $"{layer.Name} uses {name} ({target.Name}): layers point down only; {layer.Name} may use {may}";
    }

    /// <summary>Disco.Geo.Server.Folder…, Disco.Geo.Protos…, Grpc.X…, optionally global::-qualified, not inside a longer name.</summary>
    [GeneratedRegex(@"(?<![\w.])(?:global::)?(?<name>Disco\.Geo\.Server\.(?<folder>[A-Za-z_]\w*)|Disco\.Geo\.Protos\b|Grpc\.[A-Za-z_]\w*)")]
    private static partial Regex Reference();
}
