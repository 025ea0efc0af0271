using TorchSharp;

namespace Disco.Geo.Sphere.Runtime;

/// <summary>
/// Chooses the compute device at run time. "auto" takes CUDA when the CUDA build of libtorch is present and sees a GPU,
/// otherwise the CPU; every tensor path in this library works on either.
/// </summary>
public static class TorchDevices
{
    /// <summary>Resolves "auto", "cpu", "cuda" or "cuda:N" to a device.</summary>
    /// <exception cref="ArgumentException">The name is unknown, or CUDA was asked for but is not available.</exception>
    public static torch.Device Select(string? name = "auto")
    {
        string requested = string.IsNullOrWhiteSpace(name) ? "auto" : name.Trim().ToLowerInvariant();
        if (requested == "auto")
        {
            return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        }

        if (requested == "cpu")
        {
            return torch.CPU;
        }

        if (requested == "cuda" || requested.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
            {
                throw new ArgumentException(
                    "CUDA was requested but is not available: build with -p:TorchBackend=cuda on a machine with an NVIDIA GPU, or use device 'cpu' or 'auto'.",
                    nameof(name));
            }

            return new torch.Device(requested);
        }

        throw new ArgumentException($"Unknown device '{name}'. Use auto, cpu, cuda or cuda:N.", nameof(name));
    }
}
