using System.Security.Cryptography;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;
using Grpc.Core;

namespace Disco.Geo.Server.Tests;

/// <summary>Uploads with a SHA-256 the caller already knows: the server checks it against the bytes it receives.</summary>
public sealed class KnownHashUploadTests() : ServerTests("known-hash")
{
    [Fact]
    public async Task A_right_known_hash_is_accepted_and_a_wrong_one_is_refused()
    {
        string path = Temp.File(_files, "known.bin", 300_000, seed: 11);
        string sha256 = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path)));

        UploadFileResponse accepted = await _client.UploadFileAsync(path, "known", sha256);
        Assert.False(accepted.AlreadyExisted);
        Assert.Equal(sha256, accepted.Dataset.Blob.Sha256);
        Assert.Equal(300_000, accepted.Dataset.Blob.SizeBytes);

        string wrong = Convert.ToHexStringLower(SHA256.HashData("something else"u8));
        DiscoException refused = await Assert.ThrowsAsync<DiscoException>(() => _client.UploadFileAsync(path, "known-wrong", wrong));
        Assert.Equal(StatusCode.DataLoss, refused.StatusCode);
        await Assert.ThrowsAsync<DiscoException>(() => _client.GetDatasetAsync("known-wrong"));

        await Assert.ThrowsAsync<ArgumentException>(() => _client.UploadFileAsync(path, "known-bad", "not-a-hash"));
    }
}
