namespace Disco.Geo.Samples;

/// <summary>
/// The real, redistributable sample data Disco.Geo uses, all from Debian 12 packages (see docs: public domain NASA,
/// NOAA and Natural Earth data, CC0 Poly Haven panoramas):
/// <list type="bullet">
/// <item>gpredict: NASA Blue Marble Next Generation monthly Earth images, 2048×1024 JPEG, plate carrée, January,
/// March, May, July, August;</item>
/// <item>libmagics++-data: Natural Earth 1:50m land polygons (shapefile, 1420 polygons);</item>
/// <item>ferret-datasets: ETOPO5 relief in metres, 4320×2161 NetCDF, longitudes 0..360; the COADS monthly climatology,
/// 180×90 NetCDF with 12 monthly time steps (SST, AIRT, SPEH, WSPD, UWND, VWND, SLP);</item>
/// <item>blender-data: eight CC0 HDR 360° photographs by Greg Zaal (HDRI Haven), 1024×512 OpenEXR (DWAB).</item>
/// <item>stellarium-data: two of Stellarium's 360° landscape panoramas, 2048×1024 PNG with the sky transparent: Mars
/// (Spirit rover, RGBA) and the Apollo 17 landing site (grey + alpha). The package is large (246 MB), so they are
/// fetched only when asked for by name, never by `all`.</item>
/// </list>
/// </summary>
public static class SampleCatalog
{
    private const string Gpredict = "gpredict";
    private const string GpredictVersion = "2.3-72-gc596101-3";
    private const string Magics = "libmagics++-data";
    private const string MagicsVersion = "4.13.0-1";
    private const string Ferret = "ferret-datasets";
    private const string FerretVersion = "7.6.0-5";
    private const string Blender = "blender-data";
    private const string BlenderVersion = "3.4.1+dfsg-2";
    private const string BlenderWorld = "/usr/share/blender/datafiles/studiolights/world/";
    private const string Stellarium = "stellarium-data";
    private const string StellariumVersion = "0.22.2-1";

    private static readonly Dictionary<int, (string Sha256, long Size)> BlueMarbleMonths = new()
    {
        [1] = ("8945f98c813d036e0f60718c12c0c1678d82bf8c10d7075597e7392f0643c79f", 319_994),
        [3] = ("6d3555360e670217291487f0f211fdc36bd0f9ab24cf065f86383cb4daba8f8b", 319_212),
        [5] = ("1bec731042f53faa14f9082314a4a7e9e4a7f33722ffa165f6a219a0616b42ec", 309_186),
        [7] = ("7e9c09a43b2c0b73b9875b35e6bdc2cdfc4cdcaeba853c0aa7810df7d37117f1", 285_633),
        [8] = ("5c6bdee37f9d7cbf2e5d33d16a484a39ff8e314ebe6a8aec249c1656da430ff9", 283_699),
    };

    private static readonly Dictionary<string, (string Sha256, long Size)> Panoramas = new(StringComparer.Ordinal)
    {
        ["city"] = ("70940108df90c0721799d29f758ca79e67e509d9a2636487e639db7779561524", 213_545),
        ["courtyard"] = ("1518fa37da6a8a389810a7a70262c410553018a51f0be9e248155b9bb363ff3d", 270_418),
        ["forest"] = ("63ad3243d0f9c29bd1f51b9a3bbf5c0ad25ea39299698dba6cfc29d1660d6008", 513_764),
        ["interior"] = ("4f6810b182ade346eac6964bf02405adf430c321b8853a644316af4e05d0fdb5", 202_262),
        ["night"] = ("a46488f5cb744f325abc9f5af3c3eeb5d9393df69b5178fbe727538522120045", 148_071),
        ["studio"] = ("e501dd8a1172bd0e03903ede7f452300f8368448fe74720600338304d79281d9", 97_867),
        ["sunrise"] = ("b97206217e29763d62d9a65ad2d7058460acfb4824659e7a59f5bde374f21937", 260_454),
        ["sunset"] = ("a164f20b86bc43ba4afd66c988a20a9dd5f1a0a5d8e960aed57a33f78119c168", 170_385),
    };

    /// <summary>Months with a Blue Marble image: 1, 3, 5, 7, 8.</summary>
    public static IReadOnlyList<int> BlueMarbleMonthNumbers { get; } = [1, 3, 5, 7, 8];

    /// <summary>Names of the eight panoramas.</summary>
    public static IReadOnlyList<string> PanoramaNames { get; } = ["city", "courtyard", "forest", "interior", "night", "studio", "sunrise", "sunset"];

    /// <summary>ETOPO5 relief (metres, 4320×2161, variable ROSE, longitudes 0..360, X pixel size stored as float32).</summary>
    public static SampleFile Etopo5 { get; } = new("etopo5", Ferret, FerretVersion, "/usr/share/ferret-vis/data/etopo5.cdf",
        "1455d5e5feebd183d0bef5538a750ca8a44801e1503f964df900831c224459ce", 37_394_632);

    /// <summary>
    /// The COADS surface marine climatology (180×90, 2°, longitudes 20..380; 12 monthly steps on a CF time axis counted
    /// in hours from year 0; variables SST, AIRT, SPEH, WSPD, UWND, VWND, SLP; missing value -1e34 over land).
    /// </summary>
    public static SampleFile CoadsClimatology { get; } = new("coads", Ferret, FerretVersion, "/usr/share/ferret-vis/data/coads_climatology.cdf",
        "b94f55034d13d63f33e2153afddc0c5e00347076c35ab3e34937aec38ce9c4c1", 5_447_472);

    /// <summary>Natural Earth 1:50m land polygons; the .shp, with its .shx, .dbf and .prj as companions.</summary>
    public static SampleFile NaturalEarthLand50m { get; } = new("ne-50m-land", Magics, MagicsVersion, "/usr/share/magics/50m/ne_50m_land.shp",
        "7ee1c4fb9965fdf3bdff77322e0a1d8a8af38aa64cfaed2f0e906e6336d47070", 1_336_536,
        [
            new("ne-50m-land.shx", Magics, MagicsVersion, "/usr/share/magics/50m/ne_50m_land.shx", "dcb09a686710ea5237ccbd8d37885cc0dffa3ae9d63c8c541aa7106a87d5f64b", 11_460),
            new("ne-50m-land.dbf", Magics, MagicsVersion, "/usr/share/magics/50m/ne_50m_land.dbf", "03669bc144b31244ffd8cb736b52c280c5c814123a6e5c0ff5d1cd58ee455994", 61_157),
            new("ne-50m-land.prj", Magics, MagicsVersion, "/usr/share/magics/50m/ne_50m_land.prj", "98aaf3d1c0ecadf1a424a4536de261c3daf4e373697cb86c40c43b989daf52eb", 143),
        ]);

    /// <summary>The CC0 licence note next to the panoramas.</summary>
    public static SampleFile PanoramaLicense { get; } = new("hdri-license", Blender, BlenderVersion, BlenderWorld + "license.txt",
        "739a085ad7bc7e044841cfa9790eacb4fcf9ba15e31d61fb54a954717b2608c1", 100);

    /// <summary>Stellarium's Mars landscape (Spirit rover at Gusev crater): 2048×1024 RGBA PNG, sky transparent.</summary>
    public static SampleFile MarsLandscape { get; } = new("landscape-mars", Stellarium, StellariumVersion, "/usr/share/stellarium/landscapes/mars/mars.png",
        "c9f2fece30a6839dbb7ff15b4224940646539d41e5487a61b778dda0f6751f5a", 1_751_264);

    /// <summary>Stellarium's Apollo 17 landscape: 2048×1024 grey + alpha PNG, sky transparent.</summary>
    public static SampleFile MoonLandscape { get; } = new("landscape-apollo17", Stellarium, StellariumVersion, "/usr/share/stellarium/landscapes/moon/apollo17.png",
        "056a49af0128162f89fd553052818070e1f6e4185494ef13b56a1cc41dd4699e", 477_281);

    /// <summary>Samples from packages too large to fetch with everything else; fetched by name only.</summary>
    public static IReadOnlyList<SampleFile> OnRequest { get; } = [MarsLandscape, MoonLandscape];

    /// <summary>The Blue Marble Next Generation image of a month (1, 3, 5, 7 or 8), 2048×1024 JPEG.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No image for that month.</exception>
    public static SampleFile BlueMarble(int month)
    {
        if (!BlueMarbleMonths.TryGetValue(month, out (string Sha256, long Size) entry))
        {
            throw new ArgumentOutOfRangeException(nameof(month), month, "gpredict ships Blue Marble images for months 1, 3, 5, 7 and 8 only.");
        }

        return new SampleFile($"bmng-{month:00}", Gpredict, GpredictVersion, $"/usr/share/pixmaps/gpredict/maps/nasa-bmng-{month:00}_2048.jpg",
            entry.Sha256, entry.Size);
    }

    /// <summary>One of the eight HDR panoramas (city, courtyard, forest, interior, night, studio, sunrise, sunset), with its licence note.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static SampleFile Panorama(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Panoramas.TryGetValue(name, out (string Sha256, long Size) entry))
        {
            throw new ArgumentException($"Unknown panorama '{name}'; use one of {string.Join(", ", PanoramaNames)}.", nameof(name));
        }

        return new SampleFile($"hdri-{name}", Blender, BlenderVersion, $"{BlenderWorld}{name}.exr", entry.Sha256, entry.Size, [PanoramaLicense]);
    }

    /// <summary>One line saying what a catalogued file is, for listings.</summary>
    public static string Describe(SampleFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string key = file.Key;
        if (key.StartsWith("bmng-", StringComparison.Ordinal))
        {
            return $"NASA Blue Marble Next Generation, month {key[5..]}: 2048x1024 RGB JPEG, global plate carree without georeferencing";
        }

        if (key.StartsWith("hdri-", StringComparison.Ordinal))
        {
            return $"CC0 HDR 360-degree photograph '{key[5..]}': 1024x512 OpenEXR, equirectangular";
        }

        return key switch
        {
            "ne-50m-land" => "Natural Earth 1:50m land polygons: shapefile (.shp with .shx, .dbf, .prj), EPSG:4326",
            "etopo5" => "ETOPO5 relief and bathymetry in metres: 4320x2161 NetCDF, longitudes 0..360",
            "coads" => "COADS monthly marine climatology: 180x90 NetCDF, 12 monthly time steps of SST, AIRT, SPEH, WSPD, UWND, VWND, SLP",
            "landscape-mars" => "Stellarium 360-degree landscape, Mars (Spirit rover): 2048x1024 RGBA PNG, sky as alpha (package 246 MB; by name only)",
            "landscape-apollo17" => "Stellarium 360-degree landscape, Apollo 17: 2048x1024 grey+alpha PNG, sky as alpha (package 246 MB; by name only)",
            _ => $"{Path.GetFileName(file.PathInPackage)} from {file.Package}",
        };
    }

    /// <summary>Every catalogued file (with companions), for fetching everything at once.</summary>
    public static IReadOnlyList<SampleFile> All { get; } =
    [
        .. BlueMarbleMonthNumbers.Select(BlueMarble),
        NaturalEarthLand50m,
        Etopo5,
        CoadsClimatology,
        .. PanoramaNames.Select(Panorama),
    ];

    /// <summary>
    /// Every catalogued file of one package version, companions and on-request files included: what one fetch of that
    /// package extracts and keeps. A package directory in the cache is replaced as a whole, so a fetch for one file
    /// must keep its siblings: fetching the Apollo 17 landscape used to delete the Mars landscape fetched before it.
    /// </summary>
    public static IReadOnlyList<SampleFile> InPackage(string package, string version) =>
        [.. All.Concat(OnRequest).SelectMany(f => f.WithCompanions()).Where(f => f.Package == package && f.Version == version).DistinctBy(f => f.PathInPackage)];
}
