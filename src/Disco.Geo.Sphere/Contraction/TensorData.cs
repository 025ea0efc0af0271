using System.Runtime.InteropServices;
using TorchSharp;

namespace Disco.Geo.Sphere.Contraction;

/// <summary>
/// Zero-copy access to the memory of a CPU tensor. TorchSharp has no public data pointer, but its native library
/// exports THSTensor_data (the call its own TensorAccessor makes), which returns the address of element 0.
/// The pointer is valid only while the tensor is alive: callers keep a reference until they are done with it.
/// </summary>
internal static unsafe partial class TensorData
{
    /// <summary>Address of element 0 of a contiguous CPU tensor of element type T.</summary>
    public static T* Pointer<T>(torch.Tensor tensor)
        where T : unmanaged
    {
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous() || tensor.element_size() != sizeof(T))
        {
            throw new InvalidOperationException(
                $"Expected a contiguous CPU tensor of {typeof(T).Name}, got {tensor.dtype} on {tensor.device}.");
        }

        IntPtr data = THSTensor_data(tensor.Handle);
        if (data == IntPtr.Zero)
        {
            throw new InvalidOperationException("THSTensor_data returned a null pointer.");
        }

        return (T*)data;
    }

    [LibraryImport("LibTorchSharp")]
    private static partial IntPtr THSTensor_data(IntPtr tensor);
}
