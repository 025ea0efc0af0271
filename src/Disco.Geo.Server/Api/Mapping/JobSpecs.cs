using Disco.Geo.Server.Jobs;
using Disco.Geo.Server.Storage.Records;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Disco.Geo.Server.Api.Mapping;

/// <summary>
/// A job's spec as the RPC received it: the v1 request packed as a google.protobuf.Any, which is how every existing
/// jobs.spec row is stored (<see cref="JobSpecRecord"/> has Any's layout).
/// </summary>
internal sealed class JobSpec<T>(T request) : IJobSpec
    where T : IMessage<T>, new()
{
    private static readonly MessageParser<T> Parser = new(() => new T());

    public JobSpecRecord ToRecord()
    {
        Any any = Any.Pack(request);
        return new JobSpecRecord { TypeUrl = any.TypeUrl, Value = any.Value };
    }

    // Compared as messages, not bytes: map fields serialise in any order.
    public bool IsSameRequest(JobSpecRecord stored) =>
        stored.TypeUrl == Any.Pack(request).TypeUrl && Parser.ParseFrom(stored.Value).Equals(request);
}

/// <summary>Reads a stored spec back as the request it was made from.</summary>
internal static class JobSpecs
{
    public static JobSpec<T> Of<T>(T request)
        where T : IMessage<T>, new() => new(request);

    /// <summary>The request in <paramref name="spec"/>; throws <see cref="InvalidProtocolBufferException"/> when it holds another type.</summary>
    public static T Read<T>(JobSpecRecord spec)
        where T : IMessage<T>, new() => new Any { TypeUrl = spec.TypeUrl, Value = spec.Value }.Unpack<T>();

    /// <summary>The request in <paramref name="spec"/>, or false when it holds another type.</summary>
    public static bool TryRead<T>(JobSpecRecord spec, out T request)
        where T : IMessage<T>, new() => new Any { TypeUrl = spec.TypeUrl, Value = spec.Value }.TryUnpack(out request);
}
