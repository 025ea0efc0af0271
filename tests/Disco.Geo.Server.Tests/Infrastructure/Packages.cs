using Disco.Geo.Server.Engines;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>Model package files in the documented header format (DISCOMDL, version, card), with random weights.</summary>
internal static class Packages
{
    public const string Card = """
        {"name":"land-water","architecture":"disco-unet","task":"segmentation",
         "grid":{"kind":"equiangular","nlat":181,"nlon":360},
         "classes":[{"id":0,"name":"water","color":"#1f4e9c"},{"id":1,"name":"land","color":"#3c8d2f"}],
         "metrics":{"miou":0.93,"accuracy":0.97}}
        """;

    public static string Write(string directory, string name, int payloadBytes, int seed, string card = Card)
    {
        byte[] header = ModelPackageHeader.Encode(1, card);
        byte[] payload = new byte[payloadBytes];
        new Random(seed).NextBytes(payload);
        string path = Path.Combine(directory, name);
        using var file = File.Create(path);
        file.Write(header);
        file.Write(payload);
        return path;
    }
}
