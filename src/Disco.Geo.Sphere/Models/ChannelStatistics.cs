using System.Text.Json.Serialization;

namespace Disco.Geo.Sphere.Models;

/// <summary>
/// Per-channel mean and standard deviation. A model stores two sets: its inputs' (applied as (x − mean) / std before the
/// first layer) and, for regression and depth, its targets' (the network predicts standardised values, in log space
/// for depth). Both are area-weighted statistics of the training set (see <c>DatasetStatistics</c>), so polar rows of an
/// equiangular grid count with their true area.
/// </summary>
public sealed record ChannelStatistics
{
    /// <summary>Creates statistics; every mean must be finite and every std finite and positive.</summary>
    /// <exception cref="ArgumentException">Lengths differ, are zero, or a value is not finite or a std not positive.</exception>
    [JsonConstructor]
    public ChannelStatistics(IReadOnlyList<double> mean, IReadOnlyList<double> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count == 0 || mean.Count != std.Count)
        {
            throw new ArgumentException(
                $"Channel statistics need one mean and one std per channel: got {mean.Count} means and {std.Count} stds.", nameof(mean));
        }

        for (int c = 0; c < mean.Count; c++)
        {
            if (!double.IsFinite(mean[c]))
            {
                throw new ArgumentException($"Channel {c} has mean {mean[c]}; statistics must be finite (check the data for NaN or infinity).", nameof(mean));
            }

            if (!double.IsFinite(std[c]) || !(std[c] > 0))
            {
                throw new ArgumentException(
                    $"Channel {c} has std {std[c]}; it must be finite and positive (a constant channel carries no information: drop it or give std 1).",
                    nameof(std));
            }
        }

        Mean = [.. mean];
        Std = [.. std];
    }

    /// <summary>Per-channel means.</summary>
    [JsonPropertyName("mean")]
    public IReadOnlyList<double> Mean { get; }

    /// <summary>Per-channel standard deviations (positive).</summary>
    [JsonPropertyName("std")]
    public IReadOnlyList<double> Std { get; }

    /// <summary>Number of channels.</summary>
    [JsonIgnore]
    public int Count => Mean.Count;

    /// <summary>Mean 0, std 1: leaves values unchanged.</summary>
    public static ChannelStatistics Identity(int channels)
    {
        if (channels < 1)
        {
            throw new ArgumentException($"channels = {channels} must be at least 1.", nameof(channels));
        }

        return new ChannelStatistics(Enumerable.Repeat(0.0, channels).ToArray(), Enumerable.Repeat(1.0, channels).ToArray());
    }

    /// <summary>Value equality over both lists.</summary>
    public bool Equals(ChannelStatistics? other) =>
        other is not null && Mean.SequenceEqual(other.Mean) && Std.SequenceEqual(other.Std);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Count, Mean[0], Std[0]);
}
