using System.Runtime.InteropServices;
using System.Text;

namespace Disco.Geo.Gdal.Interop;

/// <summary>
/// A NULL-terminated array of UTF-8 strings (GDAL's char** "CSL" lists: creation options, argv of the utilities),
/// allocated in native memory for the duration of one call. GDAL copies what it keeps, so the list is freed on dispose.
/// </summary>
internal sealed unsafe class NativeStringList : IDisposable
{
    private byte** _items;
    private readonly int _count;

    internal NativeStringList(IEnumerable<string>? items)
    {
        string[] values = items?.ToArray() ?? [];
        _count = values.Length;
        if (_count == 0)
        {
            return;
        }

        _items = (byte**)NativeMemory.AllocZeroed((nuint)(_count + 1), (nuint)sizeof(byte*));
        for (int i = 0; i < _count; i++)
        {
            _items[i] = AllocateUtf8(values[i]);
        }
    }

    /// <summary>The char** pointer, or NULL for an empty list.</summary>
    internal nint Pointer => (nint)_items;

    internal static NativeStringList FromOptions(IReadOnlyDictionary<string, string>? options) =>
        new(options?.Select(pair => $"{pair.Key}={pair.Value}"));

    /// <summary>Reads a GDAL-owned char** list into managed strings (does not free it).</summary>
    internal static List<string> Read(nint list)
    {
        List<string> result = [];
        if (list == 0)
        {
            return result;
        }

        for (byte** item = (byte**)list; *item != null; item++)
        {
            result.Add(Marshal.PtrToStringUTF8((nint)(*item)) ?? string.Empty);
        }

        return result;
    }

    public void Dispose()
    {
        if (_items == null)
        {
            return;
        }

        for (int i = 0; i < _count; i++)
        {
            NativeMemory.Free(_items[i]);
        }

        NativeMemory.Free(_items);
        _items = null;
    }

    internal static byte* AllocateUtf8(string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        byte* text = (byte*)NativeMemory.Alloc((nuint)(length + 1));
        Encoding.UTF8.GetBytes(value, new Span<byte>(text, length));
        text[length] = 0;
        return text;
    }
}
