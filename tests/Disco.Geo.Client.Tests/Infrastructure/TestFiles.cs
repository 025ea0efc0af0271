namespace Disco.Geo.Client.Tests.Infrastructure;

/// <summary>Scratch files under one temporary directory per test run.</summary>
internal static class TestFiles
{
    public static string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("disco-client-tests-").FullName;

    public static string Write(string name, int bytes, int seed)
    {
        byte[] content = new byte[bytes];
        new Random(seed).NextBytes(content);
        string path = Path.Combine(Directory, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    public static string PathOf(string name) => Path.Combine(Directory, name);
}
