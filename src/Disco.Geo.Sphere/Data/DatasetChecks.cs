using Disco.Geo.Sphere.Models;

namespace Disco.Geo.Sphere.Data;

/// <summary>Checks that a dataset can feed a model, before any work starts.</summary>
internal static class DatasetChecks
{
    /// <exception cref="ArgumentException">The dataset is empty, on another grid, or has other input bands; the message names the role ("training", …).</exception>
    public static void Check(ISphereDataset dataset, ModelConfig config, string role)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (dataset.Count < 1)
        {
            throw new ArgumentException($"The {role} dataset is empty: give at least one sample.", nameof(dataset));
        }

        GridSpec grid = GridSpec.From(dataset.Grid);
        if (grid.Kind != config.Grid.Kind || grid.NLat != config.Grid.NLat || grid.NLon != config.Grid.NLon)
        {
            throw new ArgumentException(
                $"The {role} dataset lives on {grid} but the model runs on {config.Grid}: ingest the data onto the model's grid, or configure the model for the data's grid.",
                nameof(dataset));
        }

        if (dataset.InputChannels != config.InputChannels)
        {
            throw new ArgumentException(
                $"The {role} dataset has {dataset.InputChannels} input bands but the model takes {config.InputChannels}.", nameof(dataset));
        }
    }
}
