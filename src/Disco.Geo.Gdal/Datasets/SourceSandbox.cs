namespace Disco.Geo.Gdal;

/// <summary>
/// The files an untrusted source may consist of, and the one way to open such a source. Many formats name other files
/// that GDAL then reads as well: an ISIS3 or PDS4 label its raw data (<c>^Core = ../../etc/shadow</c>), a GeoTIFF's
/// <c>.aux.xml</c> an overview file anywhere, a VRT its sources. <see cref="Open"/> opens with the allowed drivers
/// only and with GDAL's reach narrowed (see <see cref="Enter"/>), asks GDAL for every file the dataset consists of
/// (<c>GDALGetFileList</c>: the file itself, external raw data, overviews, masks, <c>.aux.xml</c>, sidecars) and
/// refuses the source with <see cref="SourceContainmentException"/> unless each one is an allowed file or lies in an
/// allowed directory, symbolic links resolved. That happens before a pixel is read. Files GDAL does not list are
/// checked before it opens the source: a GRIB inventory ("&lt;file&gt;.idx"), and for HDF5 and netCDF-4 files everything
/// the HDF5 library itself would read (external links, external raw data, virtual dataset sources), which refuses an
/// HDF5 source unless it is self-contained.
/// </summary>
public sealed class SourceSandbox
{
    private readonly string[] _files;
    private readonly string[] _directories;

    private SourceSandbox(string[] files, string[] directories, bool isolated, IEnumerable<string>? allowedDrivers, string boundary)
    {
        _files = files;
        _directories = directories;
        Isolated = isolated;
        AllowedDrivers = allowedDrivers?.ToArray();
        Boundary = boundary;
    }

    /// <summary>
    /// True when the source is one file on its own (an upload): GDAL does not list its directory, looks for no
    /// sibling files and no <c>.aux.xml</c> (PAM), so it neither reads nor writes anything next to it.
    /// </summary>
    public bool Isolated { get; }

    /// <summary>The GDAL drivers that may open the source (short names), or null for any.</summary>
    public IReadOnlyList<string>? AllowedDrivers { get; }

    /// <summary>What the allowed set is, for messages: "the uploaded file", "the server's import roots".</summary>
    public string Boundary { get; }

    /// <summary>A source that is exactly one file and may read nothing else (e.g. an upload in a blob store).</summary>
    /// <param name="path">The file.</param>
    /// <param name="allowedDrivers">GDAL drivers that may open it (null = any).</param>
    /// <param name="boundary">How messages name the allowed set.</param>
    public static SourceSandbox SingleFile(string path, IEnumerable<string>? allowedDrivers = null, string boundary = "the file itself")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new SourceSandbox([RealPath(path)], [], isolated: true, allowedDrivers, boundary);
    }

    /// <summary>Sources whose files may be anywhere under the given directories (e.g. a server's import roots).</summary>
    /// <param name="directories">The allowed directories (resolved to their real paths).</param>
    /// <param name="allowedDrivers">GDAL drivers that may open a source (null = any).</param>
    /// <param name="boundary">How messages name the allowed set.</param>
    public static SourceSandbox Directories(IEnumerable<string> directories, IEnumerable<string>? allowedDrivers = null, string boundary = "the allowed directories")
    {
        ArgumentNullException.ThrowIfNull(directories);
        string[] roots = directories.Where(d => !string.IsNullOrWhiteSpace(d))
            .Select(d => System.IO.Path.TrimEndingDirectorySeparator(RealPath(d)) + System.IO.Path.DirectorySeparatorChar)
            .ToArray();
        return new SourceSandbox([], roots, isolated: false, allowedDrivers, boundary);
    }

    /// <summary>
    /// Opens a source and checks that it and every file GDAL says it consists of lie inside the sandbox.
    /// </summary>
    /// <exception cref="SourceContainmentException">The source, or a file it refers to, lies outside.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="GdalException">GDAL cannot open it with the allowed drivers.</exception>
    public GdalDataset Open(string path, GdalOpenKind kind = GdalOpenKind.Raster)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        GdalRuntime.EnsureInitialized();
        using IDisposable scope = Enter();

        // A variable of a container (NETCDF:"f.nc":v, HDF5:"f.h5"://v) is checked as its file, and opened only by the
        // driver its prefix names, when that driver is allowed.
        string file = path;
        IEnumerable<string>? drivers = AllowedDrivers;
        if (GdalSubdataset.TryParse(path, out GdalSubdataset? subdataset))
        {
            file = subdataset.File;
            if (AllowedDrivers is not null && !AllowedDrivers.Contains(subdataset.Driver, StringComparer.Ordinal))
            {
                throw new GdalException($"The {subdataset.Driver} driver is not among the drivers allowed here.");
            }

            drivers = [subdataset.Driver];
        }

        Refuse(path, file);
        RefuseUnlistedSidecars(file);
        RefuseHdf5References(file);
        GdalDataset dataset = GdalDataset.Open(subdataset?.ConnectionString ?? path, kind, allowedDrivers: drivers);
        try
        {
            Check(dataset, path);
            return dataset;
        }
        catch
        {
            dataset.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks an open dataset (e.g. a mosaic VRT built from sandboxed tiles): every file of <c>GDALGetFileList</c> must
    /// lie inside. Asking for the list also makes GDAL look for overviews and masks now, inside <see cref="Enter"/>,
    /// instead of later on whichever thread first reads them.
    /// </summary>
    /// <exception cref="SourceContainmentException">A file lies outside.</exception>
    public void Check(GdalDataset dataset, string sourcePath)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        using IDisposable scope = Enter();
        foreach (string file in dataset.GetFileList())
        {
            Refuse(sourcePath, file);
        }
    }

    /// <summary>True when the plain file path lies inside the sandbox (symbolic links resolved).</summary>
    public bool Contains(string path) => !IsNetworkOrVirtual(path) && IsAllowed(RealPath(path));

    /// <summary>
    /// Narrows GDAL on the calling thread until disposed: no Python pixel functions, no network access through
    /// /vsicurl/ and its relatives, no SQLite virtual tables over other files, and for isolated sources no directory listing (so no sibling files, external
    /// overviews or world files are found) and no PAM <c>.aux.xml</c> read or written. Thread-local, so the server's
    /// own outputs (which keep PAM) are not affected; restored to the thread's previous values on dispose.
    /// </summary>
    public IDisposable Enter()
    {
        var options = new List<(string Key, string Value)>
        {
            ("GDAL_VRT_ENABLE_PYTHON", "NO"),
            ("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", ".disco-no-network"),
            ("GDAL_HTTP_MAX_RETRY", "0"),

            // SQLite-based files (GeoPackage, SpatiaLite) could otherwise declare virtual tables over other files.
            ("OGR_SQLITE_ALLOW_EXTERNAL_ACCESS", "NO"),
        };
        if (Isolated)
        {
            options.Add(("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR"));
            options.Add(("GDAL_PAM_ENABLED", "NO"));
            options.Add(("USE_RRD", "NO"));
        }

        return new ThreadConfigScope(options);
    }

    /// <summary>
    /// Sidecars GDAL opens by name, even with directory listing off, without reporting them in <c>GDALGetFileList</c>:
    /// the GRIB driver reads an inventory from "&lt;file&gt;.idx". One that exists must lie inside like every other file
    /// (an upload's blob has none; a symbolic link out of an import root is refused).
    /// </summary>
    private void RefuseUnlistedSidecars(string path)
    {
        string index = path + ".idx";
        if (File.Exists(index) || new FileInfo(index).LinkTarget is not null)
        {
            Refuse(path, index);
        }
    }

    /// <summary>
    /// An HDF5 file (netCDF-4 included; the HDF5, HDF5Image and netCDF drivers open it) can make the HDF5 library read
    /// other files that GDAL never lists: external links, external raw data, virtual dataset sources. They are found by
    /// walking the file with the HDF5 library before GDAL opens it, and any of them refuses the source, inside an
    /// allowed directory too: HDF5 resolves those names through environment prefixes, the process's working directory
    /// and the file's own directory in turn, and a target may refer further, so no single path could be checked.
    /// </summary>
    private void RefuseHdf5References(string path)
    {
        if (!File.Exists(path) || !Hdf5References.IsHdf5(path))
        {
            return;
        }

        string? reference;
        try
        {
            reference = Hdf5References.FindExternalReference(path);
        }
        catch (InvalidDataException e)
        {
            throw new GdalException($"The file cannot be read: {e.Message}.", inner: e);
        }

        if (reference is not null)
        {
            throw new SourceContainmentException(path, reference, Boundary);
        }
    }

    private void Refuse(string sourcePath, string file)
    {
        if (IsNetworkOrVirtual(file) || !IsAllowed(RealPath(file)))
        {
            throw new SourceContainmentException(sourcePath, file, Boundary);
        }
    }

    private bool IsAllowed(string real) =>
        _files.Contains(real, StringComparer.Ordinal) || _directories.Any(root => real.StartsWith(root, StringComparison.Ordinal));

    /// <summary>GDAL virtual file systems and URLs are never part of a sandbox; /vsimem/ holds only what this process wrote.</summary>
    private static bool IsNetworkOrVirtual(string path) =>
        path.StartsWith("/vsi", StringComparison.Ordinal) || path.Contains("://", StringComparison.Ordinal) ||
        (path.Contains(':', StringComparison.Ordinal) && !System.IO.Path.IsPathRooted(path));

    /// <summary>
    /// The path with every symbolic link resolved and "." and ".." applied in order (POSIX realpath semantics: ".."
    /// after a link goes to the link target's parent). Works for paths that do not exist (the rest is taken as is).
    /// </summary>
    public static string RealPath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.Combine(Environment.CurrentDirectory, path);
        var pending = new List<string>(full.Split('/', StringSplitOptions.RemoveEmptyEntries));
        string current = "/";
        int links = 0;
        int next = 0;
        while (next < pending.Count)
        {
            string part = pending[next++];
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = System.IO.Path.GetDirectoryName(current) ?? "/";
                continue;
            }

            string candidate = System.IO.Path.Join(current, part);
            string? target = LinkTarget(candidate);
            if (target is null)
            {
                current = candidate;
                continue;
            }

            if (++links > 40)
            {
                throw new IOException($"Too many levels of symbolic links in '{path}'.");
            }

            // Continue with the link's target followed by what is left; an absolute target starts again at the root.
            pending = [.. target.Split('/', StringSplitOptions.RemoveEmptyEntries), .. pending.Skip(next)];
            next = 0;
            if (target.StartsWith('/'))
            {
                current = "/";
            }
        }

        return current;
    }

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Sets thread-local GDAL options and puts back the thread's previous values.</summary>
    private sealed class ThreadConfigScope : IDisposable
    {
        private readonly List<(string Key, string? Previous)> _previous = [];

        public ThreadConfigScope(IEnumerable<(string Key, string Value)> options)
        {
            foreach ((string key, string value) in options)
            {
                _previous.Add((key, GdalRuntime.GetThreadConfigOption(key)));
                GdalRuntime.SetThreadConfigOption(key, value);
            }
        }

        public void Dispose()
        {
            for (int i = _previous.Count - 1; i >= 0; i--)
            {
                GdalRuntime.SetThreadConfigOption(_previous[i].Key, _previous[i].Previous);
            }

            _previous.Clear();
        }
    }
}

/// <summary>
/// A source refers to a file outside its <see cref="SourceSandbox"/>. The message names the referenced file by its
/// file name only, so it can be shown to whoever sent the source without revealing the server's directories.
/// </summary>
public sealed class SourceContainmentException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="sourcePath">The source as opened.</param>
    /// <param name="referencedPath">The file outside, as GDAL named it.</param>
    /// <param name="boundary">What the allowed set is ("the uploaded file").</param>
    public SourceContainmentException(string sourcePath, string referencedPath, string boundary)
        : base($"it refers to '{NameOf(referencedPath)}', which is outside {boundary}")
    {
        SourcePath = sourcePath;
        ReferencedPath = referencedPath;
        ReferencedName = NameOf(referencedPath);
        Boundary = boundary;
    }

    /// <summary>The source as opened (a server path: keep it out of messages to clients).</summary>
    public string SourcePath { get; }

    /// <summary>The file outside, as GDAL named it (may be a server path: keep it out of messages to clients).</summary>
    public string ReferencedPath { get; }

    /// <summary>The file outside by its file name alone (or the URL's last segment), safe to show.</summary>
    public string ReferencedName { get; }

    /// <summary>What the allowed set is.</summary>
    public string Boundary { get; }

    private static string NameOf(string path)
    {
        string name = System.IO.Path.GetFileName(path.TrimEnd('/'));
        return name.Length == 0 ? "(unnamed)" : name.Length > 120 ? name[..120] + "…" : name;
    }
}
