using System.Runtime.InteropServices;
using Disco.Geo.Client;
using Disco.Geo.Grids;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Api.Mapping;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>A gridded dataset downloaded through DownloadDataset's tiles, with the coordinates the server sent.</summary>
internal sealed class GriddedValues
{
    private GriddedValues(Dataset dataset, float[] values, byte[] mask, double[] latitudes, double[] longitudes)
    {
        Dataset = dataset;
        Values = values;
        Mask = mask;
        Latitudes = latitudes;
        Longitudes = longitudes;
    }

    public Dataset Dataset { get; }

    public int NLat => Dataset.Grid.Nlat;

    public int NLon => Dataset.Grid.Nlon;

    public float[] Values { get; }

    public byte[] Mask { get; }

    public double[] Latitudes { get; }

    public double[] Longitudes { get; }

    public int Band(string name) => Dataset.Bands.Select((b, i) => (b, i)).Single(x => x.b.Name == name).i;

    public float this[int band, int row, int column] => Values[(((band * NLat) + row) * NLon) + column];

    public bool Valid(int row, int column) => Mask[(row * NLon) + column] != 0;

    /// <summary>Area-weighted mean of a band over the valid nodes, with the grid's quadrature weights.</summary>
    public double AreaMean(int band)
    {
        SphereGrid grid = GridMapping.ToSphereGrid(Dataset.Grid);
        double sum = 0;
        double weight = 0;
        for (int i = 0; i < NLat; i++)
        {
            for (int p = 0; p < NLon; p++)
            {
                if (Valid(i, p))
                {
                    sum += grid.LatitudeWeights[i] * this[band, i, p];
                    weight += grid.LatitudeWeights[i];
                }
            }
        }

        return sum / weight;
    }

    public static async Task<GriddedValues> DownloadAsync(DiscoClient client, string dataset)
    {
        Dataset info = await client.GetDatasetAsync(dataset);
        int nlat = info.Grid.Nlat;
        int nlon = info.Grid.Nlon;
        // A time stack's tiles hold every step's bands in turn.
        int bands = info.Bands.Count * Math.Max(1, info.TimeSteps.Count);
        float[] values = new float[bands * nlat * nlon];
        byte[] mask = new byte[nlat * nlon];
        double[] latitudes = new double[nlat];
        double[] longitudes = [];
        await foreach (Tile tile in client.DownloadTilesAsync(info.Id))
        {
            ReadOnlySpan<float> data = MemoryMarshal.Cast<byte, float>(tile.Values.Data.Span);
            for (int b = 0; b < bands; b++)
            {
                data.Slice(b * tile.RowCount * nlon, tile.RowCount * nlon).CopyTo(values.AsSpan(((b * nlat) + tile.RowStart) * nlon));
            }

            tile.Mask.Data.Span.CopyTo(mask.AsSpan(tile.RowStart * nlon));
            tile.LatitudesDegrees.ToArray().CopyTo(latitudes, tile.RowStart);
            longitudes = [.. tile.LongitudesDegrees];
        }

        return new GriddedValues(info, values, mask, latitudes, longitudes);
    }
}
