using Disco.Geo.Server.Options;
using Disco.Geo.Server.Problems;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Jobs.Sources;

/// <summary>
/// Server-side paths a client may name: only files under a configured import root, after resolving ".." and symbolic
/// links, so no request can read outside those directories.
/// </summary>
internal sealed class ImportRoots
{
    private readonly string[] _roots;

    public ImportRoots(IOptions<StorageOptions> options)
    {
        _roots = options.Value.ImportRoots.Where(r => !string.IsNullOrWhiteSpace(r))
            .Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r)) + Path.DirectorySeparatorChar)
            .ToArray();
    }

    /// <summary>The configured roots, as full paths ending in a separator.</summary>
    public IReadOnlyList<string> Roots => _roots;

    /// <summary>Returns the resolved path of an existing file under a root, or throws with the right status.</summary>
    public string Resolve(string field, string path)
    {
        if (_roots.Length == 0)
        {
            throw Problem.PermissionDenied($"{field}: this server accepts no server-side paths (Storage:ImportRoots is empty). Upload the file with `disco datasets upload` instead.");
        }

        if (string.IsNullOrWhiteSpace(path) || !Path.IsPathFullyQualified(path) || path.Contains('\0', StringComparison.Ordinal))
        {
            throw Problem.InvalidArgument(field, "must be an absolute path on the server, under one of its import roots.");
        }

        string full = Path.GetFullPath(path);
        if (!IsUnderRoot(full))
        {
            throw Problem.PermissionDenied($"{field}: '{ClientText.Shorten(path)}' is outside the server's import roots ({string.Join(", ", _roots)}).");
        }

        var file = new FileInfo(full);
        if (!file.Exists)
        {
            throw Problem.NotFound("file", ClientText.Shorten(path));
        }

        // A link inside a root may point anywhere: check where it really leads.
        string real = full;
        for (int hop = 0; hop < 40; hop++)
        {
            string next = new FileInfo(real).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? real;
            next = RealDirectoryPath(next);
            if (next == real)
            {
                break;
            }

            real = next;
        }

        if (!IsUnderRoot(real))
        {
            throw Problem.PermissionDenied($"{field}: '{ClientText.Shorten(path)}' leads outside the server's import roots through a symbolic link.");
        }

        return real;
    }

    private bool IsUnderRoot(string fullPath) => _roots.Any(root => fullPath.StartsWith(root, StringComparison.Ordinal));

    private static string RealDirectoryPath(string fullPath)
    {
        // Resolve links in the directories above the file too.
        string? directory = Path.GetDirectoryName(fullPath);
        var parts = new Stack<string>();
        parts.Push(Path.GetFileName(fullPath));
        while (directory is not null)
        {
            var info = new DirectoryInfo(directory);
            if (info.LinkTarget is not null)
            {
                string target = info.ResolveLinkTarget(returnFinalTarget: true)!.FullName;
                return Path.Combine([target, .. parts]);
            }

            parts.Push(info.Name);
            directory = info.Parent?.FullName;
        }

        return fullPath;
    }
}
