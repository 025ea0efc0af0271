using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Packaging;

namespace Disco.Geo.Server.Tests.Tiles;

/// <summary>
/// One real server with two finished predictions the tile tests share: a class map of the land/water model (both
/// classes occur) and a continuous map of an untrained one-output regression model on the same 10° grid.
/// </summary>
public sealed class TilePredictions : IAsyncLifetime
{
    internal TestServer Server { get; private set; } = null!;

    internal string Files { get; private set; } = null!;

    internal Model SegmentationModel { get; private set; } = null!;

    internal PredictionArray Segmentation { get; private set; } = null!;

    internal PredictionArray Regression { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Files = Temp.Directory("tiles-files");
        Server = await TestServer.StartAsync();
        using DiscoClient client = Server.Client();
        SegmentationModel = await client.ImportModelAsync(Packages.Write(Files, "lw.discomodel", seed: 5));
        Model regression = await client.ImportModelAsync(WriteRegressionPackage(Path.Combine(Files, "temperature.discomodel")));
        // Centred on 0, the field drives the untrained segmentation network to both classes (about half land).
        await GriddedDatasets.StoreFieldAsync(Server, "field", SegmentationModel.Grid, offset: -10);
        Segmentation = await client.PredictToArrayAsync(new PredictRequest { Model = SegmentationModel.Name, Dataset = "field" });
        Regression = await client.PredictToArrayAsync(new PredictRequest { Model = regression.Name, Dataset = "field" });
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Temp.Delete(Files);
    }

    private static string WriteRegressionPackage(string path)
    {
        Disco.Geo.Sphere.Models.ModelConfig config = Disco.Geo.Sphere.Models.ModelConfig.Create(ModelTask.Regression, 1, 1, Packages.Grid, levels: 2, baseChannels: 4);
        using SphereModel model = SphereModelFactory.Create(config, 3);
        ModelPackage.SaveAsync(path, model, new ModelCardInfo { Name = "temperature" }).GetAwaiter().GetResult();
        return path;
    }
}
