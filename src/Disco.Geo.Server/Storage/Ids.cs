using System.Security.Cryptography;

namespace Disco.Geo.Server.Storage;

/// <summary>
/// Resource ids: a type prefix and 26 Crockford base-32 characters of a 48-bit millisecond timestamp followed by 80
/// random bits. Ids sort by creation time, which is what list pagination orders by.
/// </summary>
internal static class Ids
{
    public const string Dataset = "ds";
    public const string Model = "mdl";
    public const string Job = "job";
    public const string Prediction = "prd";
    public const string Upload = "upl";

    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private static readonly object Gate = new();
    private static long _lastMillis;
    private static UInt128 _lastRandom;

    public static string New(string prefix)
    {
        Span<byte> random = stackalloc byte[10];
        long millis = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        UInt128 entropy;
        lock (Gate)
        {
            // Within one millisecond, increment instead of drawing fresh bits so ids stay strictly ordered.
            if (millis <= _lastMillis)
            {
                millis = _lastMillis;
                entropy = _lastRandom + 1;
            }
            else
            {
                RandomNumberGenerator.Fill(random);
                entropy = 0;
                foreach (byte b in random)
                {
                    entropy = (entropy << 8) | b;
                }
            }

            _lastMillis = millis;
            _lastRandom = entropy;
        }

        UInt128 value = ((UInt128)(ulong)millis << 80) | (entropy & ((UInt128.One << 80) - 1));
        Span<char> text = stackalloc char[26];
        for (int i = 25; i >= 0; i--)
        {
            text[i] = Alphabet[(int)(value & 31)];
            value >>= 5;
        }

        return prefix + "_" + new string(text);
    }

    /// <summary>
    /// The id of the one record of kind <paramref name="prefix"/> a job outputs: the job id's characters under the
    /// output's prefix (so it sorts by the job's creation). Every attempt of a job, on any replica, commits under the
    /// same id, which makes the commit happen once.
    /// </summary>
    public static string OutputOf(string prefix, string jobId) => prefix + "_" + jobId[(jobId.IndexOf('_', StringComparison.Ordinal) + 1)..];

    /// <summary>True when <paramref name="value"/> has the shape of an id with this prefix.</summary>
    public static bool IsId(string prefix, string value)
    {
        if (value.Length != prefix.Length + 27 || !value.StartsWith(prefix + "_", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in value.AsSpan(prefix.Length + 1))
        {
            if (!Alphabet.Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
