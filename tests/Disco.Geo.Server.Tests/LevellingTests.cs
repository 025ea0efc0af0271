using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;
using Disco.Geo.Sphere.Packaging;
using Grpc.Core;
using TorchSharp;
using static TorchSharp.torch;
using CameraLeveller = Disco.Geo.Sphere.Inference.CameraLeveller;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// Levelling a prediction with a second model (level_with): refused at the RPC, before any job exists, when the
/// leveller cannot level; otherwise the server's map is the library's levelled prediction.
/// </summary>
public sealed class LevellingTests() : ServerTests("levelling")
{
    private static readonly Grid PackageGrid = new() { Kind = GridKind.Equiangular, Nlat = 19, Nlon = 36 };

    [Fact]
    public async Task A_leveller_that_cannot_level_is_refused_at_the_rpc_with_the_field_and_the_reason()
    {
        Model model = await _client.ImportModelAsync(Packages.WritePanorama(_files, "rooms.discomodel", "rooms", [3, 4], seed: 2));
        await _client.ImportModelAsync(Packages.WritePanorama(_files, "level.discomodel", "rooms-level", [3], seed: 3));
        await _client.ImportModelAsync(Packages.WritePanorama(_files, "directional.discomodel", "directional", [3, 4], seed: 4));
        await _client.ImportModelAsync(Packages.WritePanorama(_files, "sky.discomodel", "sky-ground", [3], seed: 5, ["sky", "ground"]));
        await _client.ImportModelAsync(Packages.WritePanorama(_files, "other.discomodel", "other-order", [3], seed: 6, ["ceiling", "floor", "wall", "object"]));
        await _client.ImportModelAsync(Packages.Write(_files, "land.discomodel", seed: 7, name: "land-water", inputs: 3));
        string gridded = await GriddedDatasets.StoreAsync(_server, "g", PackageGrid, new float[3 * 19 * 36]);
        long jobsBefore = (await _client.ListJobsAsync().ToListAsync()).Count;

        (PredictRequest Request, StatusCode Code, string Field, string Reason)[] cases =
        [
            (Request(model.Id, gridded, "rooms-level", refinements: 4), StatusCode.InvalidArgument, "level_refinements", "between 0 and 3"),
            (Request(model.Id, gridded, "", refinements: 1), StatusCode.InvalidArgument, "level_refinements", "level_with"),
            (Request(model.Id, gridded, "rooms-level"), StatusCode.InvalidArgument, "level_with", "rotation_averaging"),
            (Request(model.Id, gridded, "directional"), StatusCode.InvalidArgument, "level_with", "isotropic"),
            (Request(model.Id, gridded, "sky-ground"), StatusCode.InvalidArgument, "level_with", "'ceiling' and 'floor'"),
            (Request(model.Id, gridded, "other-order", refinements: 1), StatusCode.InvalidArgument, "level_with", "same order"),
            (Request("land-water", gridded, "rooms-level", refinements: 1), StatusCode.InvalidArgument, "level_with", "same order"),
        ];
        cases[2].Request.RotationAveraging = 4;
        foreach ((PredictRequest request, StatusCode code, string field, string reason) in cases)
        {
            DiscoException refused = await Expect.StatusAsync(code, () => DrainAsync(request));
            Assert.Contains(refused.FieldViolations, v => v.Field == field && v.Description.Contains(reason, StringComparison.Ordinal));
            Assert.DoesNotContain(Path.GetTempPath(), refused.Message, StringComparison.Ordinal); // no server paths
        }

        await Expect.StatusAsync(StatusCode.NotFound, () => DrainAsync(Request(model.Id, gridded, "no-such-leveller")));
        Assert.Equal(jobsBefore, (await _client.ListJobsAsync().ToListAsync()).Count);
    }

    [Fact]
    public async Task The_servers_levelled_map_is_the_librarys_levelled_prediction()
    {
        string modelPath = Packages.WritePanorama(_files, "rooms.discomodel", "rooms", [3, 4], seed: 2);
        string levellerPath = Packages.WritePanorama(_files, "level.discomodel", "rooms-level", [3], seed: 3);
        await _client.ImportModelAsync(modelPath);
        await _client.ImportModelAsync(levellerPath);

        // A smooth scene, tilted: the untrained leveller's up is well off the zenith, so levelling turns the input.
        int nodes = 19 * 36;
        float[] values = new float[3 * nodes];
        for (int i = 0; i < 19; i++)
        {
            double colatitude = Math.PI * i / 18;
            for (int p = 0; p < 36; p++)
            {
                double longitude = 2 * Math.PI * p / 36;
                double x = Math.Sin(colatitude) * Math.Cos(longitude), y = Math.Sin(colatitude) * Math.Sin(longitude), z = Math.Cos(colatitude);
                values[(i * 36) + p] = (float)(0.5 + (0.4 * x) + (0.2 * z));
                values[nodes + (i * 36) + p] = (float)(0.5 + (0.3 * y * z));
                values[(2 * nodes) + (i * 36) + p] = (float)(0.5 - (0.4 * x * y) + (0.1 * z));
            }
        }

        string gridded = await GriddedDatasets.StoreAsync(_server, "scene", PackageGrid, values, roles: [BandRole.Input, BandRole.Input, BandRole.Input]);
        PredictionArray plain = await _client.PredictToArrayAsync(new PredictRequest { Model = "rooms", Dataset = gridded, Output = PredictionOutput.Probabilities });
        PredictRequest levelledRequest = Request("rooms", gridded, "rooms-level", refinements: 1);
        levelledRequest.RequestId = "levelled-scene";
        PredictionArray levelled = await _client.PredictToArrayAsync(levelledRequest);

        using LoadedModel model = await ModelPackage.LoadAsync(modelPath);
        using LoadedModel leveller = await ModelPackage.LoadAsync(levellerPath);
        CameraLeveller library = new(leveller.Model, upClass: 1, downClass: 0) { Refinements = 1 };
        using Tensor input = tensor(values, [1, 3, 19, 36]);
        (Tensor physical, (double X, double Y, double Z)[] ups) = library.Predict(model.Model, input);
        using (physical)
        {
            Assert.True(ups[0].Z < Math.Cos(10 * Math.PI / 180), $"the test scene should need levelling; up = {ups[0]}");
            float[] expected = physical.contiguous().data<float>().ToArray();
            Assert.Equal(expected.Length, levelled.Values.Length);
            double largest = expected.Zip(levelled.Values, (e, a) => Math.Abs(e - a)).Max();
            Assert.True(largest < 1e-4, $"server and library differ by {largest}");
            Assert.True(expected.Zip(plain.Values, (e, a) => Math.Abs(e - a)).Max() > 1e-2, "levelling changed nothing");
        }

        // The job depends on the leveller too; the leveller named by id is the same request (replayed), other
        // levelling settings under the same request id are refused.
        Model levellerModel = await _client.GetModelAsync("rooms-level");
        Job job = await _client.GetJobAsync(levelled.Prediction.JobId);
        Assert.Contains(levellerModel.Id, job.Inputs);
        PredictRequest byId = levelledRequest.Clone();
        byId.LevelWith = levellerModel.Id;
        Assert.Equal(levelled.Prediction.Id, (await _client.PredictToArrayAsync(byId)).Prediction.Id);
        PredictRequest fewer = levelledRequest.Clone();
        fewer.LevelRefinements = 0;
        DiscoException reused = await Expect.StatusAsync(StatusCode.AlreadyExists, () => _client.PredictToArrayAsync(fewer));
        Assert.Contains("different level_refinements", reused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_photo_with_a_transparent_sky_is_levelled_from_its_valid_nodes_and_keeps_its_mask()
    {
        await _client.ImportModelAsync(Packages.WritePanorama(_files, "rooms.discomodel", "rooms", [3, 4], seed: 2));
        await _client.ImportModelAsync(Packages.WritePanorama(_files, "level.discomodel", "rooms-level", [3], seed: 3));
        string photo = TestRasters.WritePhoto(Path.Combine(_files, "landscape.png"), 4,
            (lat, lon, band) => band == 3 ? (lat > 30 ? 0 : 255) : (int)(120 + (60 * Math.Sin((lon + (40 * band)) * Math.PI / 180)) - lat));
        string id = (await _client.UploadFileAsync(photo)).Dataset.Id;
        PredictionArray plain = await _client.PredictToArrayAsync(new PredictRequest { Model = "rooms", Panorama = new PanoramaSource { DatasetId = id }, Output = PredictionOutput.Probabilities });
        PredictRequest levelledRequest = new() { Model = "rooms", Panorama = new PanoramaSource { DatasetId = id, PitchDegrees = 50 }, Output = PredictionOutput.Probabilities, LevelWith = "rooms-level" };
        PredictionArray levelled = await _client.PredictToArrayAsync(levelledRequest);
        Assert.Equal(plain.Values.Length, levelled.Values.Length);
        Assert.Contains(levelled.Mask, m => m == 0);
        Assert.Contains(levelled.Mask, m => m == 1);

        // Probabilities where there is data, none where the sky was transparent.
        for (int node = 0; node < levelled.Mask.Length; node++)
        {
            float sum = Enumerable.Range(0, levelled.Bands).Sum(b => levelled.Values[(b * levelled.Mask.Length) + node]);
            Assert.True(levelled.Mask[node] == 0 || Math.Abs(sum - 1) < 1e-4, $"node {node}: probabilities sum to {sum}");
        }
    }

    private static PredictRequest Request(string model, string dataset, string leveller, int refinements = 0) => new()
    {
        Model = model,
        Dataset = dataset,
        Output = PredictionOutput.Probabilities,
        LevelWith = leveller,
        LevelRefinements = refinements,
    };

    private async Task DrainAsync(PredictRequest request)
    {
        await foreach (PredictResponse _ in _client.PredictAsync(request))
        {
        }
    }
}
