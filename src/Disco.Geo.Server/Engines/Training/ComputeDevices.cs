using Disco.Geo.Sphere.Runtime;
using TorchSharp;

namespace Disco.Geo.Server.Engines.Training;

/// <summary>The torch device of a job's device lane ("cpu", "cuda", "cuda:N" or "auto").</summary>
internal static class ComputeDevices
{
    /// <summary>Resolves the device; a device this machine does not have is an input the user must change.</summary>
    /// <exception cref="EngineInputException">Unknown name, or CUDA asked for but not available.</exception>
    public static torch.Device Select(string? name)
    {
        try
        {
            return TorchDevices.Select(string.IsNullOrWhiteSpace(name) ? "cpu" : name);
        }
        catch (ArgumentException e)
        {
            throw new EngineInputException($"device '{name}': {e.Message}");
        }
    }
}
