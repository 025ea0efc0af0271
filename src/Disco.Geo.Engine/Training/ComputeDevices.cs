using Disco.Geo.Sphere.Runtime;
using TorchSharp;

namespace Disco.Geo.Engine.Training;

/// <summary>The torch device of a job's device lane ("cpu", "cuda", "cuda:N" or "auto").</summary>
internal static class ComputeDevices
{
    /// <summary>Resolves the device; a device this machine does not have is an input the user must change.</summary>
    /// <exception cref="EngineInputException">Unknown name, or CUDA asked for but not available.</exception>
    public static torch.Device Select(string? name)
    {
        torch.Device device;
        try
        {
            device = TorchDevices.Select(string.IsNullOrWhiteSpace(name) ? "cpu" : name);
        }
        catch (ArgumentException e)
        {
            throw new EngineInputException($"device '{name}': {e.Message}", "device");
        }

        if (device.type == DeviceType.CUDA && device.index >= torch.cuda.device_count())
        {
            throw new EngineInputException($"device '{name}': this server has {torch.cuda.device_count()} CUDA device(s), numbered from 0; use cuda:0 … or 'auto'.", "device");
        }

        return device;
    }
}
