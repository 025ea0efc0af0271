namespace Disco.Geo.Client.Tests.Infrastructure;

/// <summary>A scratch directory for one test, removed with it.</summary>
internal sealed class TestFiles : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("disco-client-tests-").FullName;

    public string Write(string name, int bytes, int seed)
    {
        byte[] content = new byte[bytes];
        new Random(seed).NextBytes(content);
        string path = Path.Combine(Directory, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    public string PathOf(string name) => Path.Combine(Directory, name);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
