using Disco.Geo.Client;
using Grpc.Core;

namespace Disco.Geo.Server.Tests.Infrastructure;

internal static class Expect
{
    /// <summary>Runs a call that must fail with <paramref name="code"/>; returns the exception for further checks.</summary>
    public static async Task<DiscoException> StatusAsync(StatusCode code, Func<Task> call)
    {
        DiscoException e = await Assert.ThrowsAsync<DiscoException>(call);
        Assert.True(code == e.StatusCode, $"Expected {code}, got {e.StatusCode}: {e.Message}");
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        return e;
    }

    /// <summary>Like <see cref="StatusAsync"/> for raw stub calls that throw RpcException.</summary>
    public static async Task<RpcException> RawStatusAsync(StatusCode code, Func<Task> call)
    {
        RpcException e = await Assert.ThrowsAsync<RpcException>(call);
        Assert.True(code == e.StatusCode, $"Expected {code}, got {e.StatusCode}: {e.Status.Detail}");
        return e;
    }
}
