using System.IO.Compression;
using System.Text.Json;

namespace Disco.Geo.Sphere.Tests.Conformance;

/// <summary>One torch-harmonics reference case (see Reference/README.md): parameters plus named float64/int64 arrays.</summary>
public sealed class ReferenceCase
{
    public static readonly string[] Names =
    [
        "conv_eq16x32_k3_nodal",
        "conv_eq16x32_k3_mean",
        "conv_eq16x32_k3_tc4_nodal",
        "conv_eq16x32_to_8x16_k33_nodal",
        "conv_eq16x32_to_8x16_k33_groups2_support",
        "conv_eq17x32_k34_tc_mean",
        "conv_lg16x32_k3_nodal",
        "conv_eq16x32_zernike3_nodal",
        "conv_eq16x32_harmonic22_mean",
        "convT_eq8x16_to_16x32_k3_nodal",
    ];

    private static readonly Dictionary<string, ReferenceCase> Cache = [];

    private ReferenceCase(string name, JsonElement parameters, Dictionary<string, (long[] Shape, double[] Data)> arrays)
    {
        Name = name;
        Params = parameters;
        Arrays = arrays;
    }

    public string Name { get; }

    public JsonElement Params { get; }

    public Dictionary<string, (long[] Shape, double[] Data)> Arrays { get; }

    public static IEnumerable<object[]> All() => Names.Select(n => new object[] { n });

    public static ReferenceCase Load(string name)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(name, out ReferenceCase? cached))
            {
                return cached;
            }

            string path = Path.Combine(AppContext.BaseDirectory, "Reference", $"reference_{name}.json.gz");
            using FileStream file = File.OpenRead(path);
            using GZipStream gzip = new(file, CompressionMode.Decompress);
            using JsonDocument document = JsonDocument.Parse(gzip);
            JsonElement root = document.RootElement;
            Dictionary<string, (long[], double[])> arrays = [];
            foreach (JsonProperty array in root.GetProperty("arrays").EnumerateObject())
            {
                long[] shape = array.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                double[] data = array.Value.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
                arrays[array.Name] = (shape, data);
            }

            ReferenceCase loaded = new(name, root.GetProperty("params").Clone(), arrays);
            Cache[name] = loaded;
            return loaded;
        }
    }

    public double[] Array(string name) => Arrays[name].Data;

    public long[] Shape(string name) => Arrays[name].Shape;

    public int Int(string key) => Params.GetProperty(key).GetInt32();

    public string String(string key) => Params.GetProperty(key).GetString()!;

    public bool Transpose => Params.GetProperty("transpose").GetBoolean();

    public double? ThetaCutoff =>
        Params.GetProperty("theta_cutoff").ValueKind == JsonValueKind.Null ? null : Params.GetProperty("theta_cutoff").GetDouble();

    public (int Nlat, int Nlon) InShape => (Params.GetProperty("in_shape")[0].GetInt32(), Params.GetProperty("in_shape")[1].GetInt32());

    public (int Nlat, int Nlon) OutShape => (Params.GetProperty("out_shape")[0].GetInt32(), Params.GetProperty("out_shape")[1].GetInt32());

    /// <summary>kernel_shape as an array (an int becomes a one-element array).</summary>
    public int[] KernelShape
    {
        get
        {
            JsonElement k = Params.GetProperty("kernel_shape");
            return k.ValueKind == JsonValueKind.Array ? k.EnumerateArray().Select(e => e.GetInt32()).ToArray() : [k.GetInt32()];
        }
    }
}
